//! Recovery: the user's cross-signing identity and key backup, kept in secret storage behind
//! one recovery key. Following the state deployment's policy the recovery key is the only
//! secret (no passphrase), and backup is on as soon as recovery is.

use std::{fmt, time::Duration};

use matrix_sdk::{
    encryption::{
        CrossSigningResetAuthType, recovery::RecoveryError, secret_storage::SecretStorageError,
    },
    ruma::api::client::uiaa::UiaaInfo,
};
use serde::Serialize;
use tracing::{info, instrument, warn};
use zeroize::Zeroizing;

use super::{Encryption, EncryptionError};

/// The recovery key, shown to the user once. Never logged: its `Debug` says nothing of it.
pub struct RecoveryKey(Zeroizing<String>);

impl RecoveryKey {
    /// The key as the user writes it down: groups of four characters (Element's encoding).
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for RecoveryKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("RecoveryKey(…)")
    }
}

/// What signing out of this device would lose, told to the user before they confirm.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SignOutRisk {
    /// No other device of the account exists.
    pub is_last_device: bool,
    /// Every message key of this device is in the key backup.
    pub backup_complete: bool,
}

fn recovery_error(error: RecoveryError) -> EncryptionError {
    match error {
        RecoveryError::BackupExistsOnServer => EncryptionError::BackupExistsOnServer,
        RecoveryError::Sdk(error) => EncryptionError::from_sdk(&error),
        RecoveryError::SecretStorage(SecretStorageError::SecretStorageKey(_)) => {
            EncryptionError::WrongRecoveryKey
        }
        RecoveryError::SecretStorage(SecretStorageError::Sdk(error)) => {
            EncryptionError::from_sdk(&error)
        }
        RecoveryError::SecretStorage(error) => EncryptionError::Failed(error.to_string()),
    }
}

impl Encryption<'_> {
    /// Sets up the account's identity and recovery at first sign-in: cross-signing (with the
    /// password when the server asks for it), then secret storage and key backup. Returns the
    /// recovery key, which exists nowhere else: the user must keep it.
    #[instrument(skip_all, fields(account = %self.account.id()))]
    pub async fn set_up_recovery(
        &self,
        password: Option<Zeroizing<String>>,
    ) -> Result<RecoveryKey, EncryptionError> {
        self.ensure_cross_signing(password.as_ref()).await?;
        let key = self
            .account
            .client()
            .encryption()
            .recovery()
            .enable()
            .await
            .map_err(recovery_error)?;
        info!("recovery set up");
        Ok(RecoveryKey(Zeroizing::new(key)))
    }

    async fn ensure_cross_signing(
        &self,
        password: Option<&Zeroizing<String>>,
    ) -> Result<(), EncryptionError> {
        let encryption = self.account.client().encryption();
        let challenge: UiaaInfo = match encryption.bootstrap_cross_signing_if_needed(None).await {
            Ok(()) => return Ok(()),
            Err(error) => match error.as_uiaa_response() {
                Some(challenge) => challenge.clone(),
                None => return Err(EncryptionError::from_sdk(&error)),
            },
        };
        let password = password.ok_or(EncryptionError::PasswordRequired)?;
        encryption
            .bootstrap_cross_signing_if_needed(Some(
                self.account.password_auth(password, &challenge),
            ))
            .await
            .map_err(|error| EncryptionError::from_sdk(&error))
    }

    /// A new device enters the recovery key: it imports the identity (the device becomes
    /// verified) and the backup key, then fetches the keys of existing history from the
    /// backup so that unreadable messages decrypt in place.
    #[instrument(skip_all, fields(account = %self.account.id()))]
    pub async fn recover(&self, recovery_key: &str) -> Result<(), EncryptionError> {
        let recovery = self.account.client().encryption().recovery();
        recovery
            .recover_and_fix_backup(recovery_key.trim())
            .await
            .map_err(recovery_error)?;
        info!("recovered from the recovery key");
        self.download_history_keys();
        Ok(())
    }

    /// Fetches every encrypted room's keys from the backup, in the background: the SDK only
    /// asks the backup for keys of messages that fail to decrypt *after* backup is on, and
    /// history seen before the recovery key was entered must decrypt too.
    fn download_history_keys(&self) {
        let client = self.account.client().clone();
        tokio::spawn(async move {
            let backups = client.encryption().backups();
            for room in client.joined_rooms() {
                if !room.encryption_state().is_encrypted() {
                    continue;
                }
                if let Err(error) = backups.download_room_keys_for_room(room.room_id()).await {
                    warn!(%error, "could not fetch a room's keys from the backup");
                }
            }
            info!("history keys fetched from the backup");
        });
    }

    /// "I lost everything": a new identity, new key backup and new recovery key. Messages
    /// whose keys were only in the old backup stay unreadable; other people see that this
    /// user's identity changed. The server asks for the password.
    #[instrument(skip_all, fields(account = %self.account.id()))]
    pub async fn reset_identity(
        &self,
        password: Option<Zeroizing<String>>,
    ) -> Result<RecoveryKey, EncryptionError> {
        let recovery = self.account.client().encryption().recovery();
        let handle = recovery.reset_identity().await.map_err(recovery_error)?;
        if let Some(handle) = handle {
            let auth = match (handle.auth_type(), password.as_ref()) {
                (CrossSigningResetAuthType::Uiaa(challenge), Some(password)) => {
                    Some(self.account.password_auth(password, challenge))
                }
                (CrossSigningResetAuthType::Uiaa(_), None) => {
                    handle.cancel().await;
                    return Err(EncryptionError::PasswordRequired);
                }
                // Single sign-on servers approve the reset in the browser; not offered yet.
                (CrossSigningResetAuthType::OAuth(_), _) => {
                    handle.cancel().await;
                    return Err(EncryptionError::Failed(
                        "this server approves identity resets in the browser".to_owned(),
                    ));
                }
            };
            handle.reset(auth).await.map_err(recovery_error)?;
        }
        info!("identity reset");
        let key = if self
            .account
            .client()
            .encryption()
            .backups()
            .are_enabled()
            .await
        {
            recovery.reset_key().await
        } else {
            recovery.enable().await
        }
        .map_err(recovery_error)?;
        Ok(RecoveryKey(Zeroizing::new(key)))
    }

    /// What signing out would lose. Waits a few seconds for pending keys to reach the backup.
    pub async fn sign_out_risk(&self) -> Result<SignOutRisk, EncryptionError> {
        let encryption = self.account.client().encryption();
        let is_last_device = encryption
            .recovery()
            .is_last_device()
            .await
            .map_err(recovery_error)?;
        let backups = encryption.backups();
        let backup_complete = backups.are_enabled().await
            && tokio::time::timeout(Duration::from_secs(5), backups.wait_for_steady_state())
                .await
                .is_ok_and(|uploaded| uploaded.is_ok());
        Ok(SignOutRisk {
            is_last_device,
            backup_complete,
        })
    }
}
