//! End-to-end encryption the user can trust: this device's standing (verified or not), recovery
//! (key backup and secret storage behind one recovery key), verification of devices and people,
//! identity changes of conversation partners, and room-key files in Element's format.
//!
//! The formats and flows are matrix-sdk's, which are those of Element and Tchap: secret storage
//! (`m.secret_storage.v1.aes-hmac-sha2`), key backup (`m.megolm_backup.v1.curve25519-aes-sha2`),
//! SAS verification (`m.sas.v1`) and the passphrase-protected `MEGOLM SESSION DATA` export.

mod identity_changes;
mod key_files;
mod recovery;
mod verification;

use futures_util::StreamExt;
use matrix_sdk::{
    encryption::{VerificationState, identities::UserIdentity, recovery::RecoveryState},
    ruma::{
        OwnedUserId, UserId,
        api::client::uiaa::{AuthData, MatrixUserIdentifier, Password, UiaaInfo, UserIdentifier},
    },
};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::{
    Account, Code, Subscription,
    auth::{is_http_network_failure, is_network_failure},
};

pub use identity_changes::{IdentityWarning, IdentityWarningKind};
pub use key_files::{KeyImportSummary, free_download_path, save_recovery_key};
pub use recovery::{RecoveryKey, SignOutRisk};
pub use verification::{
    IncomingVerification, SasEmoji, VerificationFlow, VerificationId,
    VerificationState as FlowState,
};

#[derive(Debug, thiserror::Error)]
pub enum EncryptionError {
    /// The server asks for the account password before changing the account's identity or
    /// devices.
    #[error("the server asks for the account password")]
    PasswordRequired,
    #[error("the password is wrong")]
    WrongPassword,
    #[error("the recovery key is wrong")]
    WrongRecoveryKey,
    /// Recovery cannot be set up while a key backup made by another device exists: the user
    /// must enter that recovery key, or reset.
    #[error("a key backup already exists on the server")]
    BackupExistsOnServer,
    #[error("the passphrase is wrong or the file is not a key export")]
    WrongPassphraseOrFile,
    #[error("no such verification is in progress")]
    VerificationNotFound,
    #[error("not a valid user or device ID: {0}")]
    InvalidId(String),
    #[error("the server cannot be reached")]
    Offline,
    #[error("the file could not be read or written: {0}")]
    File(String),
    #[error("encryption failed: {0}")]
    Failed(String),
}

impl EncryptionError {
    pub fn code(&self) -> Code {
        match self {
            Self::PasswordRequired => Code::EncryptionPasswordRequired,
            Self::WrongPassword => Code::EncryptionWrongPassword,
            Self::WrongRecoveryKey => Code::EncryptionWrongRecoveryKey,
            Self::BackupExistsOnServer => Code::EncryptionBackupExists,
            Self::WrongPassphraseOrFile => Code::EncryptionWrongPassphraseOrFile,
            Self::VerificationNotFound => Code::EncryptionVerificationNotFound,
            Self::InvalidId(_) => Code::EncryptionInvalidId,
            Self::Offline => Code::EncryptionOffline,
            Self::File(_) => Code::EncryptionFile,
            Self::Failed(_) => Code::EncryptionFailed,
        }
    }

    pub(crate) fn from_sdk(error: &matrix_sdk::Error) -> Self {
        if is_network_failure(error) {
            Self::Offline
        } else if let Some(info) = error.as_uiaa_response() {
            Self::from_uiaa(info)
        } else {
            Self::Failed(error.to_string())
        }
    }

    pub(crate) fn from_http(error: &matrix_sdk::HttpError) -> Self {
        match error.as_uiaa_response() {
            Some(info) => Self::from_uiaa(info),
            None if is_http_network_failure(error) => Self::Offline,
            None => Self::Failed(error.to_string()),
        }
    }

    /// A server that still answers with an authentication challenge either never got a
    /// password or rejected the one it got.
    fn from_uiaa(info: &UiaaInfo) -> Self {
        if info.auth_error.is_some() {
            Self::WrongPassword
        } else {
            Self::PasswordRequired
        }
    }
}

async fn security_status(client: &matrix_sdk::Client) -> SecurityStatus {
    SecurityStatus {
        device: device_trust(client).await,
        recovery: client.encryption().recovery().state().into(),
    }
}

/// A device holding the identity's private keys signs itself: it is trusted even before the
/// server echoes its signature. A device is only unverified relative to an identity that
/// exists: before cross-signing is set up, its standing is not known yet.
async fn device_trust(client: &matrix_sdk::Client) -> DeviceTrust {
    let encryption = client.encryption();
    if encryption
        .cross_signing_status()
        .await
        .is_some_and(|status| status.is_complete())
    {
        return DeviceTrust::Verified;
    }
    match encryption.verification_state().get() {
        VerificationState::Verified => DeviceTrust::Verified,
        VerificationState::Unknown => DeviceTrust::Unknown,
        VerificationState::Unverified => {
            let has_identity = match client.user_id() {
                Some(user_id) => encryption
                    .get_user_identity(user_id)
                    .await
                    .ok()
                    .flatten()
                    .is_some(),
                None => false,
            };
            if has_identity {
                DeviceTrust::Unverified
            } else {
                DeviceTrust::Unknown
            }
        }
    }
}

pub(crate) fn parse_user(user_id: &str) -> Result<OwnedUserId, EncryptionError> {
    UserId::parse(user_id.trim()).map_err(|_| EncryptionError::InvalidId(user_id.to_owned()))
}

/// This device's standing in the account's end-to-end encryption, as the UI needs it to decide
/// what to ask of the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SecurityStatus {
    pub device: DeviceTrust,
    pub recovery: RecoveryStatus,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum DeviceTrust {
    /// Not known yet (first sync after sign-in still running).
    Unknown,
    /// Signed by the user's identity: other people's clients trust this device.
    Verified,
    /// The account has an identity this device is not signed by: it must be verified with
    /// another device or the recovery key, or the identity reset.
    Unverified,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum RecoveryStatus {
    Unknown,
    /// No recovery key exists: history is lost with the last device.
    Disabled,
    /// A recovery key exists but this device lacks some of its secrets: entering the key
    /// completes it.
    Incomplete,
    /// Key backup is on and this device holds every secret.
    Enabled,
}

impl From<RecoveryState> for RecoveryStatus {
    fn from(state: RecoveryState) -> Self {
        match state {
            RecoveryState::Unknown => Self::Unknown,
            RecoveryState::Disabled => Self::Disabled,
            RecoveryState::Incomplete => Self::Incomplete,
            RecoveryState::Enabled => Self::Enabled,
        }
    }
}

impl Account {
    /// End-to-end encryption: this device's standing, recovery, identities of conversation
    /// partners, room-key files.
    pub fn encryption(&self) -> Encryption<'_> {
        Encryption { account: self }
    }

    /// Verifications of devices and people, by emoji.
    pub fn verification(&self) -> Verification<'_> {
        Verification { account: self }
    }
}

/// The end-to-end encryption of one account (`account.encryption()`).
#[derive(Clone, Copy, Debug)]
pub struct Encryption<'a> {
    account: &'a Account,
}

/// The verifications of one account (`account.verification()`).
#[derive(Clone, Copy, Debug)]
pub struct Verification<'a> {
    account: &'a Account,
}

impl Encryption<'_> {
    pub async fn status(&self) -> SecurityStatus {
        security_status(self.account.client()).await
    }

    /// The current [`SecurityStatus`], then each change.
    pub fn watch_status(&self) -> Subscription<SecurityStatus> {
        let client = self.account.client().clone();
        Subscription::spawn(|sender| async move {
            let encryption = client.encryption();
            let mut device_states = encryption.verification_state();
            let mut recovery_states = encryption.recovery().state_stream();
            // Right after sign-in the device is unsigned until cross-signing is set up: not
            // reported as unverified, which would ask a first device to verify itself.
            encryption.wait_for_e2ee_initialization_tasks().await;
            let mut last = security_status(&client).await;
            if !sender.send(last) {
                return;
            }
            loop {
                tokio::select! {
                    Some(_) = device_states.next() => {}
                    Some(_) = recovery_states.next() => {}
                    else => return,
                }
                let status = security_status(&client).await;
                if status != last {
                    last = status;
                    if !sender.send(status) {
                        return;
                    }
                }
            }
        })
    }
}

impl Account {
    /// `user_id`'s cross-signing identity, asked of the server: right after sign-in, or for
    /// someone just met, the first key query may not have run yet.
    pub(crate) async fn identity_of(&self, user_id: &str) -> Result<UserIdentity, EncryptionError> {
        let user = parse_user(user_id)?;
        self.client()
            .encryption()
            .request_user_identity(&user)
            .await
            .map_err(|error| EncryptionError::from_sdk(&error))?
            .ok_or_else(|| EncryptionError::Failed(format!("{user} has not set up encryption")))
    }

    /// The authentication the server's challenge asks for, answered with the account password.
    pub(crate) fn password_auth(
        &self,
        password: &Zeroizing<String>,
        challenge: &UiaaInfo,
    ) -> AuthData {
        let mut auth = Password::new(
            UserIdentifier::Matrix(MatrixUserIdentifier::new(self.user_id().to_owned())),
            password.as_str().to_owned(),
        );
        auth.session = challenge.session.clone();
        AuthData::Password(auth)
    }
}
