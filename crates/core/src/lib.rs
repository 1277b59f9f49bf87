//! Estafette's headless Matrix client.
//!
//! Everything Matrix lives here: accounts and their secrets, sign-in, sync, the room list,
//! timelines, room membership. Front ends (the desktop app, the CLI, tests, benchmarks) only
//! call this API and display its view-model types; none of them touches matrix-sdk directly.
//!
//! Live data is handed out as [`Subscription`]s: the current value first, then changes
//! (lists as batches of [`ListDiff`]). Dropping a subscription stops its task.

mod account;
mod account_validity;
mod accounts;
pub mod auth;
pub mod calls;
pub mod devices;
mod diff;
pub mod encryption;
mod error;
pub mod identity_lookup;
pub mod links;
pub mod logging;
pub mod media;
pub mod notifications;
mod oauth;
pub mod password;
pub mod people;
pub mod policy;
mod private_files;
pub mod profile;
pub mod room_list;
pub mod room_settings;
pub mod rooms;
pub mod roster;
pub mod secrets;
pub mod sso;
mod subscription;
pub mod sync;
pub mod timeline;
pub mod unread;

pub use account::{Account, AccountId, AccountInfo};
pub use accounts::{AccountManager, CoreConfig, SignIn, SsoSignIn, UnrestoredAccount};
pub use diff::ListDiff;
pub use error::{Code, Error, ErrorCode};
pub use subscription::Subscription;
/// Passwords are handed to the core in memory that is wiped when dropped.
pub use zeroize::Zeroizing;
