//! Errors as the UI receives them: a stable code it translates, and the core's English text
//! as a fallback and for logs.

use estafette_core::{
    ErrorCode, encryption::EncryptionError, media::MediaError, rooms::RoomError,
    timeline::TimelineError,
};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type, thiserror::Error)]
#[error("{code}: {message}")]
pub struct IpcError {
    pub code: String,
    pub message: String,
}

impl IpcError {
    pub fn new(code: &str, message: impl Into<String>) -> Self {
        Self {
            code: code.to_owned(),
            message: message.into(),
        }
    }

    pub fn subscription_closed() -> Self {
        Self::new(
            "app.subscription_closed",
            "this view was closed; open it again",
        )
    }
}

impl From<estafette_core::Error> for IpcError {
    fn from(error: estafette_core::Error) -> Self {
        Self::new(error.code(), error.to_string())
    }
}

macro_rules! via_core_error {
    ($($error:ty),*) => {$(
        impl From<$error> for IpcError {
            fn from(error: $error) -> Self {
                estafette_core::Error::from(error).into()
            }
        }
    )*};
}

via_core_error!(RoomError, TimelineError, MediaError, EncryptionError);
