//! Identity changes of conversation partners. The first identity seen for a person is pinned
//! (trust on first use, as Element does); when it changes, each room they share with this user
//! shows a warning until the user acknowledges it.

use std::collections::BTreeMap;

use futures_util::StreamExt;
use matrix_sdk::ruma::OwnedUserId;
use matrix_sdk_base::crypto::IdentityState;
use serde::Serialize;
use tracing::instrument;

use super::{Encryption, EncryptionError, parse_user};
use crate::Subscription;

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct IdentityWarning {
    pub user_id: String,
    pub display_name: Option<String>,
    pub kind: IdentityWarningKind,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum IdentityWarningKind {
    /// Their identity was reset (new device keys they have not vouched for with the old
    /// identity): probably a new installation, possibly someone else.
    IdentityReset,
    /// This user had verified them, and their identity has changed since: messages are
    /// withheld from the new identity until the user acts.
    VerifiedIdentityChanged,
}

impl Encryption<'_> {
    /// The room's members whose identity changed unacknowledged: the whole list, again at
    /// each change (it holds a few people at most).
    pub async fn watch_identity_warnings(
        &self,
        room_id: &str,
    ) -> Result<Subscription<Vec<IdentityWarning>>, EncryptionError> {
        let room = self
            .account
            .room(room_id)
            .map_err(|error| EncryptionError::InvalidId(error.to_string()))?;
        let mut changes = Box::pin(
            room.subscribe_to_identity_status_changes()
                .await
                .map_err(|error| EncryptionError::from_sdk(&error))?,
        );
        Ok(Subscription::spawn(|sender| async move {
            let mut warnings = BTreeMap::<OwnedUserId, IdentityWarningKind>::new();
            if !sender.send(Vec::new()) {
                return;
            }
            while let Some(batch) = changes.next().await {
                for change in batch {
                    match change.changed_to {
                        IdentityState::PinViolation => {
                            warnings.insert(change.user_id, IdentityWarningKind::IdentityReset);
                        }
                        IdentityState::VerificationViolation => {
                            warnings.insert(
                                change.user_id,
                                IdentityWarningKind::VerifiedIdentityChanged,
                            );
                        }
                        IdentityState::Verified | IdentityState::Pinned => {
                            warnings.remove(&change.user_id);
                        }
                    }
                }
                let mut list = Vec::with_capacity(warnings.len());
                for (user_id, kind) in &warnings {
                    let display_name = room
                        .get_member_no_sync(user_id)
                        .await
                        .ok()
                        .flatten()
                        .and_then(|member| member.display_name().map(str::to_owned));
                    list.push(IdentityWarning {
                        user_id: user_id.to_string(),
                        display_name,
                        kind: *kind,
                    });
                }
                if !sender.send(list) {
                    return;
                }
            }
        }))
    }

    /// The user has seen that `user_id`'s identity changed: the new one is pinned (or their
    /// verification withdrawn) and the warning goes away.
    #[instrument(skip(self), fields(account = %self.account.id()))]
    pub async fn acknowledge_identity_change(&self, user_id: &str) -> Result<(), EncryptionError> {
        let identity = self.account.identity_of(user_id).await?;
        let result = if identity.has_verification_violation() {
            identity.withdraw_verification().await
        } else {
            identity.pin().await
        };
        result.map_err(|error| EncryptionError::Failed(error.to_string()))
    }

    /// Whether this user verified `user_id`, and whether their identity changed since: for
    /// their profile card. Asks their server when this device does not know them yet.
    pub async fn trust_in(&self, user_id: &str) -> Result<crate::roster::Trust, EncryptionError> {
        use crate::roster::Trust;
        let user = parse_user(user_id)?;
        if user.as_str() == self.account.user_id() {
            return Ok(Trust::Unknown);
        }
        let identity = self
            .account
            .client()
            .encryption()
            .request_user_identity(&user)
            .await
            .map_err(|error| EncryptionError::from_sdk(&error))?;
        Ok(match identity {
            None => Trust::Unknown,
            Some(identity) if identity.has_verification_violation() => Trust::Changed,
            Some(identity) if identity.is_verified() => Trust::Verified,
            Some(_) => Trust::NotVerified,
        })
    }

    /// Whether this user has verified `user_id` (by emoji, in person).
    pub async fn is_user_verified(&self, user_id: &str) -> Result<bool, EncryptionError> {
        Ok(self.account.identity_of(user_id).await?.is_verified())
    }
}
