//! The error every public operation returns: one variant per domain, each with a stable code.

use crate::{
    auth::AuthError, encryption::EncryptionError, media::MediaError, rooms::RoomError,
    secrets::SecretsError, timeline::TimelineError,
};

/// Something with a stable, machine-readable identifier (`auth.wrong_credentials`, ...).
/// Front ends branch on it and translate it; the `Display` text is English, for logs and CLI.
pub trait ErrorCode {
    fn code(&self) -> &'static str;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error(transparent)]
    Auth(#[from] AuthError),
    #[error(transparent)]
    Secrets(#[from] SecretsError),
    #[error(transparent)]
    Room(#[from] RoomError),
    #[error(transparent)]
    Timeline(#[from] TimelineError),
    #[error(transparent)]
    Media(#[from] MediaError),
    #[error(transparent)]
    Encryption(#[from] EncryptionError),
    /// No signed-in account has this identifier.
    #[error("no signed-in account has the identifier {0}")]
    AccountNotFound(String),
    /// The account's local data (index file, data directory) could not be read or written.
    #[error("the local data of Estafette could not be read or written: {0}")]
    Storage(String),
    /// The sync service could not be set up.
    #[error("synchronisation could not start: {0}")]
    Sync(String),
}

impl ErrorCode for Error {
    fn code(&self) -> &'static str {
        match self {
            Self::Auth(error) => error.code(),
            Self::Secrets(error) => error.code(),
            Self::Room(error) => error.code(),
            Self::Timeline(error) => error.code(),
            Self::Media(error) => error.code(),
            Self::Encryption(error) => error.code(),
            Self::AccountNotFound(_) => "account.not_found",
            Self::Storage(_) => "storage.failed",
            Self::Sync(_) => "sync.failed",
        }
    }
}

impl Error {
    pub(crate) fn storage(error: impl std::fmt::Display) -> Self {
        Self::Storage(error.to_string())
    }
}
