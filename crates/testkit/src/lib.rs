//! A real Synapse homeserver on loopback, for tests, benchmarks and the demo.
//!
//! Synapse comes from PyPI into a virtualenv cached outside the repository (installed once per
//! machine and version). Each [`Homeserver`] gets its own data directory, a free port on
//! 127.0.0.1 and a configuration tuned for tests (fast password hashing, no rate limits).
//! No server outlives its owner: it is stopped on drop, and a watchdog stops it when the
//! owning process dies in any other way (panic abort, SIGKILL).

mod install;
mod server;
mod users;

pub mod seed;

pub use install::{SYNAPSE_VERSION, ensure_synapse_installed};
pub use server::Homeserver;
pub use users::RegisteredUser;

/// Everything that can go wrong while running the test homeserver.
#[derive(Debug, thiserror::Error)]
pub enum TestkitError {
    #[error("could not install Synapse: {0}")]
    Install(String),
    #[error("Synapse did not start: {0}")]
    Start(String),
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    #[error("HTTP request to the homeserver failed: {0}")]
    Http(#[from] reqwest::Error),
    #[error("the homeserver refused {what}: {body}")]
    Refused { what: String, body: String },
}
