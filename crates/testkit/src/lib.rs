//! A real Synapse homeserver on loopback, for tests, benchmarks and the demo.
//!
//! Synapse comes from PyPI into a virtualenv cached outside the repository (installed once per
//! machine and version, see [`ensure_synapse_installed`]). Each [`Homeserver`] gets its own
//! data directory, a free port on 127.0.0.1 and a configuration tuned for tests (fast password
//! hashing, no rate limits). No server outlives its owner: it is stopped on drop, and a
//! watchdog inside the server process stops it when the owner dies in any other way (SIGKILL,
//! abort). Users come from the shared-secret admin API ([`Homeserver::register_user`]);
//! [`seed_plain_rooms`] fills unencrypted rooms over the plain client-server API.
//!
//! Single sign-on: [`OidcProvider`] (the state portal's stand-in) with
//! [`Homeserver::start_with_sso`], and [`PortalBrowser`] for the browser's part.
//!
//! Nothing here talks to an address other than 127.0.0.1.
//!
//! Environment: `ESTAFETTE_CACHE_DIR` moves the cache (default `~/.cache/estafette`);
//! `ESTAFETTE_PYTHON` picks the Python that creates the virtualenv (default `python3`);
//! `ESTAFETTE_SYNAPSE_TMPDIR` moves temporary data directories (default `/dev/shm` when it
//! has room, else the system's temporary directory).

pub mod chaos;
mod config;
mod error;
mod http;
mod identity;
mod install;
mod mail;
mod oidc;
mod process;
mod server;
mod sound;
mod turn;
mod users;
mod wait;

pub mod seed;

pub use config::PASSWORD_POLICY;
pub use error::TestkitError;
pub use identity::IdentityServer;
pub use install::{SYNAPSE_VERSION, cache_root, ensure_synapse_installed, synapse_venv_dir};
pub use mail::MailSink;
pub use oidc::{OidcProvider, PORTAL_ID, PORTAL_NAME, PortalBrowser};
pub use seed::{SeedPlan, seed_plain_rooms};
pub use server::Homeserver;
pub use sound::SoundServer;
pub use turn::TurnServer;
pub use users::RegisteredUser;
pub use wait::eventually;
