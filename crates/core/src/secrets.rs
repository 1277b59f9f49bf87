//! The secrets of each account, kept in the OS keychain (Secret Service, macOS Keychain,
//! Windows Credential Manager) and nowhere else: its session tokens and the key that encrypts
//! its SQLite stores.
//!
//! There is deliberately no plaintext fallback: without a keychain, signing in fails with
//! [`SecretsError::KeychainUnavailable`]. Secrets never appear in `Debug` output or logs.

use crate::Code;
use std::fmt;

use keyring_core::{Entry, Error as KeyringError};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

/// Why a secret could not be read or written.
#[derive(Debug, thiserror::Error)]
pub enum SecretsError {
    /// No keychain service is running or installed (no Secret Service on the session bus).
    #[error("no keychain is available on this system ({0})")]
    KeychainUnavailable(String),
    /// The keychain exists but is locked or refused access.
    #[error("the keychain refused access ({0})")]
    AccessDenied(String),
    /// The account's entry is not in the keychain (removed by hand, or another keychain).
    #[error("this account's secrets are missing from the keychain")]
    Missing,
    /// The entry exists but does not hold what Estafette wrote there.
    #[error("this account's secrets in the keychain are damaged")]
    Damaged,
    /// Any other failure reported by the keychain.
    #[error("the keychain failed ({0})")]
    Failed(String),
}

impl SecretsError {
    /// A stable identifier the front ends branch on and translate.
    pub fn code(&self) -> Code {
        match self {
            Self::KeychainUnavailable(_) => Code::SecretsKeychainUnavailable,
            Self::AccessDenied(_) => Code::SecretsAccessDenied,
            Self::Missing => Code::SecretsMissing,
            Self::Damaged => Code::SecretsDamaged,
            Self::Failed(_) => Code::SecretsFailed,
        }
    }
}

impl From<KeyringError> for SecretsError {
    fn from(error: KeyringError) -> Self {
        // Never format the variants that carry the stored bytes (`BadEncoding`, ...).
        match error {
            KeyringError::NoEntry => Self::Missing,
            KeyringError::NoDefaultStore => {
                Self::KeychainUnavailable("no default credential store".to_owned())
            }
            KeyringError::NoStorageAccess(inner) => Self::AccessDenied(inner.to_string()),
            KeyringError::PlatformFailure(inner) => Self::Failed(inner.to_string()),
            KeyringError::BadEncoding(_) | KeyringError::BadDataFormat(..) => Self::Damaged,
            other => Self::Failed(other.to_string()),
        }
    }
}

/// Installs the platform's keychain as the store used by every account. Front ends call it
/// once at start; unit tests install `keyring_core::mock::Store` instead.
pub fn use_platform_keychain() -> Result<(), SecretsError> {
    match keyring::Entry::store_status() {
        Ok(()) => Ok(()),
        Err(error) => Err(SecretsError::KeychainUnavailable(error.to_string())),
    }
}

/// The 32-byte key of an account's SQLite stores.
pub struct StoreKey(Zeroizing<[u8; 32]>);

impl StoreKey {
    fn generate() -> Self {
        let mut key = Zeroizing::new([0u8; 32]);
        rand::rng().fill_bytes(key.as_mut());
        Self(key)
    }

    pub(crate) fn bytes(&self) -> &[u8; 32] {
        &self.0
    }

    fn to_hex(&self) -> Zeroizing<String> {
        Zeroizing::new(hex::encode(self.0.as_ref()))
    }

    fn from_hex(text: &str) -> Result<Self, SecretsError> {
        let mut key = Zeroizing::new([0u8; 32]);
        hex::decode_to_slice(text, key.as_mut()).map_err(|_| SecretsError::Damaged)?;
        Ok(Self(key))
    }
}

impl fmt::Debug for StoreKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("StoreKey(<redacted>)")
    }
}

/// An account's access and refresh tokens.
#[derive(Clone, Serialize, Deserialize)]
pub struct SessionTokens {
    pub access_token: String,
    pub refresh_token: Option<String>,
}

impl fmt::Debug for SessionTokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SessionTokens")
            .field("access_token", &"<redacted>")
            .field(
                "refresh_token",
                &self.refresh_token.as_ref().map(|_| "<redacted>"),
            )
            .finish()
    }
}

impl Drop for SessionTokens {
    fn drop(&mut self) {
        use zeroize::Zeroize;
        self.access_token.zeroize();
        self.refresh_token.zeroize();
    }
}

/// The keychain entries of one account: `<account id>/store-key` and `<account id>/session`
/// under the service name (`estafette` unless configured otherwise, e.g. by tests).
///
/// Every call blocks on the keychain (D-Bus on Linux): async callers use `spawn_blocking`.
#[derive(Clone, Debug)]
pub struct AccountKeychain {
    service: String,
    account_id: String,
}

impl AccountKeychain {
    pub fn new(service: &str, account_id: &str) -> Self {
        Self {
            service: service.to_owned(),
            account_id: account_id.to_owned(),
        }
    }

    fn entry(&self, kind: &str) -> Result<Entry, SecretsError> {
        Ok(Entry::new(
            &self.service,
            &format!("{}/{kind}", self.account_id),
        )?)
    }

    /// Creates and saves a new random store key; an account gets one when it signs in.
    pub fn create_store_key(&self) -> Result<StoreKey, SecretsError> {
        let key = StoreKey::generate();
        self.entry("store-key")?.set_password(&key.to_hex())?;
        Ok(key)
    }

    pub fn store_key(&self) -> Result<StoreKey, SecretsError> {
        let text = Zeroizing::new(self.entry("store-key")?.get_password()?);
        StoreKey::from_hex(&text)
    }

    pub fn save_tokens(&self, tokens: &SessionTokens) -> Result<(), SecretsError> {
        let json = Zeroizing::new(
            serde_json::to_string(tokens)
                .map_err(|error| SecretsError::Failed(error.to_string()))?,
        );
        self.entry("session")?.set_password(&json)?;
        Ok(())
    }

    pub fn tokens(&self) -> Result<SessionTokens, SecretsError> {
        let json = Zeroizing::new(self.entry("session")?.get_password()?);
        serde_json::from_str(&json).map_err(|_| SecretsError::Damaged)
    }

    /// Removes both entries; entries already gone are not an error.
    pub fn delete_all(&self) -> Result<(), SecretsError> {
        for kind in ["session", "store-key"] {
            match self.entry(kind)?.delete_credential() {
                Ok(()) | Err(KeyringError::NoEntry) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }

    /// Whether any entry of this account is still in the keychain.
    pub fn has_any_entry(&self) -> Result<bool, SecretsError> {
        for kind in ["session", "store-key"] {
            match self.entry(kind)?.get_password() {
                Ok(_) => return Ok(true),
                Err(KeyringError::NoEntry) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(false)
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Once;

    use super::*;

    fn use_mock_keychain() {
        static INSTALL: Once = Once::new();
        INSTALL.call_once(|| {
            let store = keyring_core::mock::Store::new().expect("the mock store is infallible");
            keyring_core::set_default_store(store);
        });
    }

    #[test]
    fn secrets_round_trip_and_are_deleted() {
        use_mock_keychain();
        let keychain = AccountKeychain::new("estafette-unit", "round-trip");
        let key = keychain.create_store_key().expect("create key");
        assert_eq!(keychain.store_key().expect("read key").bytes(), key.bytes());

        let tokens = SessionTokens {
            access_token: "secret-a".into(),
            refresh_token: Some("r".into()),
        };
        keychain.save_tokens(&tokens).expect("save tokens");
        assert_eq!(
            keychain.tokens().expect("read tokens").access_token,
            "secret-a"
        );

        keychain.delete_all().expect("delete");
        assert!(!keychain.has_any_entry().expect("query"));
        assert!(matches!(keychain.tokens(), Err(SecretsError::Missing)));
        // Deleting twice is harmless (sign-out may be retried after a crash).
        keychain.delete_all().expect("delete again");
    }

    #[test]
    fn debug_output_never_shows_a_secret() {
        let tokens = SessionTokens {
            access_token: "syt_very_secret".into(),
            refresh_token: Some("refresh_secret".into()),
        };
        let printed = format!("{tokens:?} {:?}", StoreKey::generate());
        assert!(!printed.contains("secret"), "{printed}");
    }

    #[test]
    fn a_damaged_key_is_reported_as_such() {
        assert!(matches!(
            StoreKey::from_hex("zz"),
            Err(SecretsError::Damaged)
        ));
    }
}
