//! Errors as the UI receives them: a stable code it translates, and the core's English text
//! as a fallback and for logs.

use estafette_core::{
    Code, ErrorCode, auth::AuthError, encryption::EncryptionError, media::MediaError,
    notifications::NotificationsError, password::PasswordError, profile::ProfileError,
    rooms::RoomError, timeline::TimelineError,
};
use serde::Serialize;

#[derive(Clone, Debug, PartialEq, Eq, Serialize, specta::Type, thiserror::Error)]
#[error("{code}: {message}")]
pub struct IpcError {
    pub code: IpcErrorCode,
    pub message: String,
}

/// A core failure's code, or one of the shell's own: in TypeScript, a union of every code's
/// text, which the UI's translations must cover.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(untagged)]
pub enum IpcErrorCode {
    Core(Code),
    Shell(ShellCode),
}

/// The failures of the shell itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
pub enum ShellCode {
    /// A live view's subscription is gone (closed, or the page reloaded).
    #[serde(rename = "app.subscription_closed")]
    SubscriptionClosed,
    #[serde(rename = "link.invalid")]
    LinkInvalid,
    /// Only `http`, `https` and `mailto` links are opened.
    #[serde(rename = "link.unsupported_scheme")]
    LinkUnsupportedScheme,
    #[serde(rename = "link.open_failed")]
    LinkOpenFailed,
    /// The page named a file the user did not choose, or the shell did not save.
    #[serde(rename = "file.unknown")]
    FileUnknown,
    #[serde(rename = "file.open_failed")]
    FileOpenFailed,
    /// The system's clipboard could not be written (or this system's is not supported).
    #[serde(rename = "clipboard.unavailable")]
    ClipboardUnavailable,
    /// The system's notification service did not show the notification (none is running).
    #[serde(rename = "notification.failed")]
    NotificationFailed,
    #[serde(rename = "preferences.not_saved")]
    PreferencesNotSaved,
}

impl ShellCode {
    pub const ALL: &[ShellCode] = &[
        Self::SubscriptionClosed,
        Self::LinkInvalid,
        Self::LinkUnsupportedScheme,
        Self::LinkOpenFailed,
        Self::FileUnknown,
        Self::FileOpenFailed,
        Self::ClipboardUnavailable,
        Self::NotificationFailed,
        Self::PreferencesNotSaved,
    ];
}

impl std::fmt::Display for IpcErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match serde_json::to_value(self) {
            Ok(serde_json::Value::String(text)) => f.write_str(&text),
            _ => write!(f, "{self:?}"),
        }
    }
}

/// Every code a command can fail with, for the UI's test that each has a text in every language.
pub fn every_error_code() -> Vec<IpcErrorCode> {
    Code::ALL
        .iter()
        .map(|code| IpcErrorCode::Core(*code))
        .chain(ShellCode::ALL.iter().map(|code| IpcErrorCode::Shell(*code)))
        .collect()
}

impl IpcError {
    pub fn new(code: impl Into<IpcErrorCode>, message: impl Into<String>) -> Self {
        Self {
            code: code.into(),
            message: message.into(),
        }
    }

    pub fn subscription_closed() -> Self {
        Self::new(
            ShellCode::SubscriptionClosed,
            "this view was closed; open it again",
        )
    }
}

impl From<Code> for IpcErrorCode {
    fn from(code: Code) -> Self {
        Self::Core(code)
    }
}

impl From<ShellCode> for IpcErrorCode {
    fn from(code: ShellCode) -> Self {
        Self::Shell(code)
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

via_core_error!(
    AuthError,
    RoomError,
    TimelineError,
    MediaError,
    EncryptionError,
    NotificationsError,
    PasswordError,
    ProfileError
);
