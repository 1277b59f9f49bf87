//! The error every public operation returns: one variant per domain, each with a stable code.

use crate::{
    auth::AuthError, calls::CallError, encryption::EncryptionError, media::MediaError,
    notifications::NotificationsError, password::PasswordError, profile::ProfileError,
    rooms::RoomError, secrets::SecretsError, timeline::TimelineError,
};

/// Something with a stable, machine-readable identifier (`auth.wrong_credentials`, ...).
/// Front ends branch on it and translate it; the `Display` text is English, for logs and CLI.
pub trait ErrorCode {
    fn code(&self) -> Code;
}

/// Declares [`Code`] with each code written once: the variant, its text, and the list of all.
macro_rules! codes {
    ($($variant:ident = $code:literal,)*) => {
        /// Every failure's stable identifier, `domain.reason`. It crosses IPC as its text (a
        /// union of string literals in the generated TypeScript), so that a front end that
        /// lacks a translation for one fails to type-check.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize)]
        #[cfg_attr(feature = "specta", derive(specta::Type))]
        pub enum Code {
            $(#[serde(rename = $code)] $variant,)*
        }

        impl Code {
            /// Every code, in declaration order.
            pub const ALL: &[Code] = &[$(Code::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $code,)*
                }
            }
        }
    };
}

codes! {
    AuthInvalidInput = "auth.invalid_input",
    AuthHomeserverRequired = "auth.homeserver_required",
    AuthInsecureServer = "auth.insecure_server",
    AuthUnknownServer = "auth.unknown_server",
    AuthServerUnreachable = "auth.server_unreachable",
    AuthNotAMatrixServer = "auth.not_a_matrix_server",
    AuthNoSlidingSync = "auth.no_sliding_sync",
    AuthPasswordLoginUnsupported = "auth.password_login_unsupported",
    AuthWrongCredentials = "auth.wrong_credentials",
    AuthRateLimited = "auth.rate_limited",
    AuthAccountDeactivated = "auth.account_deactivated",
    AuthSessionExpired = "auth.session_expired",
    AuthServerError = "auth.server_error",
    AuthStoreFailed = "auth.store_failed",
    AuthEmailNotFound = "auth.email_not_found",
    AuthEmailLookupFailed = "auth.email_lookup_failed",
    AuthServerNotAllowed = "auth.server_not_allowed",
    AuthPolicyUnreadable = "auth.policy_unreadable",
    AuthPasswordSignInDisabled = "auth.password_sign_in_disabled",
    AuthRenewalEmailFailed = "auth.renewal_email_failed",
    AuthSsoUnsupported = "auth.sso_unsupported",
    AuthSsoTimedOut = "auth.sso_timed_out",
    AuthSsoRefused = "auth.sso_refused",
    AuthBrowserFailed = "auth.browser_failed",
    AuthSignInCancelled = "auth.sign_in_cancelled",
    PasswordWrong = "password.wrong",
    PasswordTooWeak = "password.too_weak",
    PasswordNotAvailable = "password.not_available",
    PasswordOffline = "password.offline",
    PasswordFailed = "password.failed",
    SecretsKeychainUnavailable = "secrets.keychain_unavailable",
    SecretsAccessDenied = "secrets.access_denied",
    SecretsMissing = "secrets.missing",
    SecretsDamaged = "secrets.damaged",
    SecretsFailed = "secrets.failed",
    RoomInvalidUserId = "room.invalid_user_id",
    RoomInvalidRoomId = "room.invalid_room_id",
    RoomNotFound = "room.not_found",
    RoomForbidden = "room.forbidden",
    RoomOffline = "room.offline",
    RoomServerError = "room.server_error",
    RoomTextTooLong = "room.text_too_long",
    RoomNotAPicture = "room.not_a_picture",
    RoomNotOpenToAnyone = "room.not_open_to_anyone",
    RoomUnsupportedSetting = "room.unsupported_setting",
    TimelineRoomNotFound = "timeline.room_not_found",
    TimelineOpenFailed = "timeline.open_failed",
    TimelinePaginationFailed = "timeline.pagination_failed",
    TimelineSendFailed = "timeline.send_failed",
    TimelineUnsentMessageNotFound = "timeline.unsent_message_not_found",
    TimelineReceiptFailed = "timeline.receipt_failed",
    TimelineEventNotFound = "timeline.event_not_found",
    TimelineInvalidEventId = "timeline.invalid_event_id",
    TimelineReplyFailed = "timeline.reply_failed",
    TimelineEditFailed = "timeline.edit_failed",
    TimelineRedactFailed = "timeline.redact_failed",
    TimelineReactFailed = "timeline.react_failed",
    TimelineDraftFailed = "timeline.draft_failed",
    MediaInvalidAddress = "media.invalid_address",
    MediaNotAnImage = "media.not_an_image",
    MediaNotPlayable = "media.not_playable",
    MediaFetchFailed = "media.fetch_failed",
    MediaNoAttachment = "media.no_attachment",
    MediaTooLarge = "media.too_large",
    MediaReadFailed = "media.read_failed",
    MediaUploadFailed = "media.upload_failed",
    MediaWriteFailed = "media.write_failed",
    MediaDamaged = "media.damaged",
    MediaOffline = "media.offline",
    MediaTooLargeToShow = "media.too_large_to_show",
    EncryptionPasswordRequired = "encryption.password_required",
    EncryptionWrongPassword = "encryption.wrong_password",
    EncryptionWrongRecoveryKey = "encryption.wrong_recovery_key",
    EncryptionBackupExists = "encryption.backup_exists",
    EncryptionWrongPassphraseOrFile = "encryption.wrong_passphrase_or_file",
    EncryptionVerificationNotFound = "encryption.verification_not_found",
    EncryptionInvalidId = "encryption.invalid_id",
    EncryptionOffline = "encryption.offline",
    EncryptionFile = "encryption.file",
    EncryptionFailed = "encryption.failed",
    NotificationsInvalidKeyword = "notifications.invalid_keyword",
    NotificationsInvalidDefault = "notifications.invalid_default",
    NotificationsNotSaved = "notifications.not_saved",
    ProfileInvalidName = "profile.invalid_name",
    ProfileNotAPicture = "profile.not_a_picture",
    ProfileOffline = "profile.offline",
    ProfileNotSaved = "profile.not_saved",
    CallNotADirectConversation = "call.not_a_direct_conversation",
    CallRoomNotFound = "call.room_not_found",
    CallAlreadyInCall = "call.already_in_call",
    CallNotFound = "call.not_found",
    CallNoMedia = "call.no_media",
    CallDevice = "call.device",
    CallOffline = "call.offline",
    AccountNotFound = "account.not_found",
    StorageFailed = "storage.failed",
    SyncFailed = "sync.failed",
}

impl std::fmt::Display for Code {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl PartialEq<&str> for Code {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
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
    #[error(transparent)]
    Notifications(#[from] NotificationsError),
    #[error(transparent)]
    Profile(#[from] ProfileError),
    #[error(transparent)]
    Call(#[from] CallError),
    #[error(transparent)]
    Password(#[from] PasswordError),
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
    fn code(&self) -> Code {
        match self {
            Self::Auth(error) => error.code(),
            Self::Secrets(error) => error.code(),
            Self::Room(error) => error.code(),
            Self::Timeline(error) => error.code(),
            Self::Media(error) => error.code(),
            Self::Encryption(error) => error.code(),
            Self::Notifications(error) => error.code(),
            Self::Profile(error) => error.code(),
            Self::Call(error) => error.code(),
            Self::Password(error) => error.code(),
            Self::AccountNotFound(_) => Code::AccountNotFound,
            Self::Storage(_) => Code::StorageFailed,
            Self::Sync(_) => Code::SyncFailed,
        }
    }
}

impl Error {
    pub(crate) fn storage(error: impl std::fmt::Display) -> Self {
        Self::Storage(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;

    use super::*;

    #[test]
    fn every_code_is_unique_and_reads_domain_dot_reason() {
        let texts: HashSet<&str> = Code::ALL.iter().map(|code| code.as_str()).collect();
        assert_eq!(texts.len(), Code::ALL.len(), "no code is declared twice");
        for text in texts {
            let (domain, reason) = text.split_once('.').expect("domain.reason");
            for part in [domain, reason] {
                assert!(
                    !part.is_empty() && part.chars().all(|c| c.is_ascii_lowercase() || c == '_'),
                    "{text} is lowercase words joined by underscores"
                );
            }
        }
    }

    #[test]
    fn a_code_crosses_ipc_as_its_text() {
        assert_eq!(
            serde_json::to_string(&Code::AuthWrongCredentials).expect("serialised"),
            "\"auth.wrong_credentials\""
        );
    }
}
