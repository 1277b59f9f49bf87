//! Interactive verification (SAS emoji, `m.sas.v1`) of one's own devices and of other people,
//! as Element does it: a request, its acceptance, then both sides compare seven emoji.
//!
//! A flow is named by the other user and its flow ID ([`VerificationId`]); the SDK keeps its
//! state, so any number of front-end views can watch the same flow.

use futures_util::StreamExt;
use matrix_sdk::{
    encryption::verification::{
        CancelInfo, SasState, SasVerification, VerificationRequest, VerificationRequestState,
    },
    ruma::{
        DeviceId, UserId,
        events::{
            key::verification::{VerificationMethod, request::ToDeviceKeyVerificationRequestEvent},
            room::message::{MessageType, OriginalSyncRoomMessageEvent},
        },
    },
};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tracing::{info, instrument, warn};

use super::{EncryptionError, Verification, parse_user};
use crate::Subscription;

/// Estafette verifies by emoji only; QR codes need a camera on one side, rare on desktops.
fn methods() -> Vec<VerificationMethod> {
    vec![VerificationMethod::SasV1]
}

#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct VerificationId {
    /// The other party (this user's own ID when verifying one's own device).
    pub user_id: String,
    pub flow_id: String,
}

/// Someone (or another device of this user) asks to verify.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct IncomingVerification {
    pub id: VerificationId,
    /// Another device of this user: accepting it shares the user's identity with it.
    pub is_self_verification: bool,
    /// The asking device, when the request says (to-device requests do).
    pub device_id: Option<String>,
    pub device_name: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SasEmoji {
    /// Position in the spec's table of 64 emoji: front ends translate the name from it.
    pub index: u8,
    pub symbol: String,
    /// English name, as the spec gives it.
    pub description: String,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum VerificationState {
    /// This user asked; the other side has not answered yet.
    Requested,
    /// The other side asked; this user has not answered yet.
    Incoming,
    /// Both sides agreed; keys are being exchanged.
    Starting,
    /// Both screens show these emoji; the user says whether they match.
    CompareEmoji {
        emojis: Vec<SasEmoji>,
    },
    /// This user confirmed; the other side has not yet.
    WaitingForOther,
    Done,
    Cancelled {
        reason: CancelReason,
        by_us: bool,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum CancelReason {
    /// One side cancelled or declined.
    User,
    TimedOut,
    /// The emoji did not match, or the keys changed during the exchange: possibly an attack.
    Mismatch,
    /// Another device of this user answered the request.
    AnsweredElsewhere,
    Other,
}

impl From<&CancelInfo> for VerificationState {
    fn from(info: &CancelInfo) -> Self {
        let reason = match info.cancel_code().as_str() {
            "m.user" => CancelReason::User,
            "m.timeout" => CancelReason::TimedOut,
            "m.mismatched_sas" | "m.key_mismatch" | "m.mismatched_commitment" => {
                CancelReason::Mismatch
            }
            "m.accepted" => CancelReason::AnsweredElsewhere,
            _ => CancelReason::Other,
        };
        Self::Cancelled {
            reason,
            by_us: info.cancelled_by_us(),
        }
    }
}

/// A flow the user asked for.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct VerificationFlow {
    pub id: VerificationId,
}

fn flow_of(request: &VerificationRequest) -> VerificationFlow {
    VerificationFlow {
        id: VerificationId {
            user_id: request.other_user_id().to_string(),
            flow_id: request.flow_id().to_owned(),
        },
    }
}

impl Verification<'_> {
    /// Requests from other devices of this user and from other people, as they arrive.
    pub fn incoming(&self) -> Subscription<IncomingVerification> {
        let client = self.account.client().clone();
        let (found, mut requests) = mpsc::unbounded_channel::<(String, String)>();
        let to_device = found.clone();
        let in_room = found;
        let handles = [
            client.add_event_handler(move |event: ToDeviceKeyVerificationRequestEvent| {
                let to_device = to_device.clone();
                async move {
                    let _ = to_device.send((
                        event.sender.to_string(),
                        event.content.transaction_id.to_string(),
                    ));
                }
            }),
            client.add_event_handler(move |event: OriginalSyncRoomMessageEvent| {
                let in_room = in_room.clone();
                async move {
                    if let MessageType::VerificationRequest(_) = &event.content.msgtype {
                        let _ =
                            in_room.send((event.sender.to_string(), event.event_id.to_string()));
                    }
                }
            }),
        ];
        // Dropping the guards (with the subscription's task) removes the handlers.
        let guards = handles.map(|handle| client.event_handler_drop_guard(handle));
        Subscription::spawn(|sender| async move {
            let _guards = guards;
            while let Some((user_id, flow_id)) = requests.recv().await {
                let Ok(user) = UserId::parse(&user_id) else {
                    continue;
                };
                let Some(request) = client
                    .encryption()
                    .get_verification_request(&user, &flow_id)
                    .await
                else {
                    continue;
                };
                // Our own requests echo back from the room; finished ones need no prompt.
                if request.we_started() || request.is_done() || request.is_cancelled() {
                    continue;
                }
                let asking_device = match request.state() {
                    VerificationRequestState::Requested {
                        other_device_data, ..
                    } => Some(other_device_data),
                    _ => None,
                };
                let incoming = IncomingVerification {
                    id: flow_of(&request).id,
                    is_self_verification: request.is_self_verification(),
                    device_id: asking_device
                        .as_ref()
                        .map(|device| device.device_id().to_string()),
                    device_name: asking_device
                        .as_ref()
                        .and_then(|device| device.display_name().map(str::to_owned)),
                };
                info!(
                    self_verification = incoming.is_self_verification,
                    "verification requested"
                );
                if !sender.send(incoming) {
                    return;
                }
            }
        })
    }

    /// Asks this user's other devices to verify this one (a new device that has no recovery
    /// key at hand). Any of them may answer.
    #[instrument(skip(self), fields(account = %self.account.id()))]
    pub async fn verify_this_device(&self) -> Result<VerificationFlow, EncryptionError> {
        let request = self
            .account
            .identity_of(self.account.user_id())
            .await?
            .request_verification_with_methods(methods())
            .await
            .map_err(|error| EncryptionError::Failed(error.to_string()))?;
        Ok(flow_of(&request))
    }

    /// Asks one of this user's other devices to verify it.
    #[instrument(skip(self), fields(account = %self.account.id()))]
    pub async fn verify_own_device(
        &self,
        device_id: &str,
    ) -> Result<VerificationFlow, EncryptionError> {
        let own_user = parse_user(self.account.user_id())?;
        let device_id: &DeviceId = device_id.into();
        let device = self
            .account
            .client()
            .encryption()
            .get_device(&own_user, device_id)
            .await
            .map_err(|error| EncryptionError::Failed(error.to_string()))?
            .ok_or_else(|| EncryptionError::InvalidId(device_id.to_string()))?;
        let request = device
            .request_verification_with_methods(methods())
            .await
            .map_err(|error| EncryptionError::from_sdk(&error))?;
        Ok(flow_of(&request))
    }

    /// Asks another person to verify each other, in the direct conversation with them
    /// (created if none exists), as Element does.
    #[instrument(skip(self), fields(account = %self.account.id()))]
    pub async fn verify_user(&self, user_id: &str) -> Result<VerificationFlow, EncryptionError> {
        let request = self
            .account
            .identity_of(user_id)
            .await?
            .request_verification_with_methods(methods())
            .await
            .map_err(|error| EncryptionError::Failed(error.to_string()))?;
        Ok(flow_of(&request))
    }

    async fn verification_request(
        &self,
        id: &VerificationId,
    ) -> Result<VerificationRequest, EncryptionError> {
        let user = parse_user(&id.user_id)?;
        self.account
            .client()
            .encryption()
            .get_verification_request(&user, &id.flow_id)
            .await
            .ok_or(EncryptionError::VerificationNotFound)
    }

    async fn sas(&self, id: &VerificationId) -> Result<SasVerification, EncryptionError> {
        let user = parse_user(&id.user_id)?;
        self.account
            .client()
            .encryption()
            .get_verification(&user, &id.flow_id)
            .await
            .and_then(|verification| verification.sas())
            .ok_or(EncryptionError::VerificationNotFound)
    }

    pub async fn accept(&self, id: &VerificationId) -> Result<(), EncryptionError> {
        self.verification_request(id)
            .await?
            .accept_with_methods(methods())
            .await
            .map_err(|error| EncryptionError::from_sdk(&error))
    }

    /// The emoji match: this side trusts the other device (or person).
    pub async fn confirm(&self, id: &VerificationId) -> Result<(), EncryptionError> {
        self.sas(id)
            .await?
            .confirm()
            .await
            .map_err(|error| EncryptionError::from_sdk(&error))
    }

    /// The emoji differ: the flow is cancelled as a mismatch on both sides.
    pub async fn reject(&self, id: &VerificationId) -> Result<(), EncryptionError> {
        self.sas(id)
            .await?
            .mismatch()
            .await
            .map_err(|error| EncryptionError::from_sdk(&error))
    }

    /// Declines a request or stops a flow at any step.
    pub async fn cancel(&self, id: &VerificationId) -> Result<(), EncryptionError> {
        let request = self.verification_request(id).await?;
        match self.sas(id).await {
            Ok(sas) => sas.cancel().await,
            Err(_) => request.cancel().await,
        }
        .map_err(|error| EncryptionError::from_sdk(&error))
    }

    /// The flow's state, then each change. Watching also moves the flow along the steps that
    /// need no decision: the side that asked starts the emoji exchange once the other side
    /// accepts, and the other side takes it up.
    pub async fn watch(
        &self,
        id: &VerificationId,
    ) -> Result<Subscription<VerificationState>, EncryptionError> {
        let request = self.verification_request(id).await?;
        let client = self.account.client().clone();
        Ok(Subscription::spawn(|sender| async move {
            let follow = async {
                if let Some(sas) = follow_request(&request, &sender).await {
                    follow_sas(&sas, &sender).await;
                }
            };
            if request.room_id().is_some() {
                tokio::select! {
                    () = follow => {}
                    () = keep_encryption_sync_awake(&client) => {}
                }
                // The last steps (done event, signature upload) are queued as the flow ends.
                let _ = tokio::time::timeout(
                    std::time::Duration::from_secs(5),
                    keep_encryption_sync_awake(&client),
                )
                .await;
            } else {
                follow.await;
            }
        }))
    }
}

/// In a room, the SDK answers the other side's steps from the room-list sync, but queues the
/// answer for the encryption sync, which sends it only after its long poll (30 s) returns:
/// without help, each step of an in-room flow waits up to 30 s. A to-device message to this
/// very device ends that long poll, so queued answers go out at once. Runs only while a flow
/// is watched; the SDK ignores the message's unknown type.
async fn keep_encryption_sync_awake(client: &matrix_sdk::Client) {
    use matrix_sdk::ruma::{
        TransactionId,
        api::client::to_device::send_event_to_device::v3::Request,
        events::{AnyToDeviceEventContent, ToDeviceEventType},
        serde::Raw,
        to_device::DeviceIdOrAllDevices,
    };
    let (Some(user_id), Some(device_id)) = (client.user_id(), client.device_id()) else {
        return std::future::pending().await;
    };
    let Ok(content) = Raw::<AnyToDeviceEventContent>::from_json_string("{}".to_owned()) else {
        return std::future::pending().await;
    };
    let mut ticks = tokio::time::interval(std::time::Duration::from_secs(2));
    loop {
        ticks.tick().await;
        let messages = [(
            user_id.to_owned(),
            [(
                DeviceIdOrAllDevices::DeviceId(device_id.to_owned()),
                content.clone(),
            )]
            .into(),
        )]
        .into();
        let request = Request::new_raw(
            ToDeviceEventType::from("org.estafette.wake"),
            TransactionId::new(),
            messages,
        );
        if let Err(error) = client.send(request).await {
            warn!(%error, "could not wake the encryption sync");
        }
    }
}

/// Follows the request until it becomes an emoji exchange (returned) or ends.
async fn follow_request(
    request: &VerificationRequest,
    sender: &crate::subscription::UpdateSender<VerificationState>,
) -> Option<SasVerification> {
    let mut changes = request.changes();
    let mut state = request.state();
    loop {
        let update = match &state {
            VerificationRequestState::Created { .. } => VerificationState::Requested,
            VerificationRequestState::Requested { .. } => VerificationState::Incoming,
            VerificationRequestState::Ready { .. } => {
                if request.we_started() {
                    match request.start_sas().await {
                        Ok(Some(sas)) => return Some(sas),
                        // The other side started it meanwhile: the request moves on by itself.
                        Ok(None) => {}
                        Err(error) => {
                            // Nothing else would move the request: it ends, rather than leave
                            // both screens waiting for good.
                            warn!(%error, "could not start the emoji exchange");
                            if let Err(error) = request.cancel().await {
                                warn!(%error, "could not cancel the request either");
                            }
                        }
                    }
                }
                VerificationState::Starting
            }
            VerificationRequestState::Transitioned { verification } => {
                return verification.clone().sas();
            }
            VerificationRequestState::Done => VerificationState::Done,
            VerificationRequestState::Cancelled(info) => info.into(),
        };
        let finished = matches!(
            update,
            VerificationState::Done | VerificationState::Cancelled { .. }
        );
        if !sender.send(update) || finished {
            return None;
        }
        state = changes.next().await?;
    }
}

async fn follow_sas(
    sas: &SasVerification,
    sender: &crate::subscription::UpdateSender<VerificationState>,
) {
    let mut changes = sas.changes();
    let mut state = sas.state();
    loop {
        let update = match &state {
            SasState::Started { .. } => {
                if let Err(error) = sas.accept().await {
                    // As for a request that could not start: ended, not left waiting.
                    warn!(%error, "could not take up the emoji exchange");
                    if let Err(error) = sas.cancel().await {
                        warn!(%error, "could not cancel the exchange either");
                    }
                }
                VerificationState::Starting
            }
            SasState::Created { .. } | SasState::Accepted { .. } => VerificationState::Starting,
            SasState::KeysExchanged { emojis, .. } => match emojis {
                Some(emojis) => VerificationState::CompareEmoji {
                    emojis: emojis
                        .indices
                        .iter()
                        .zip(emojis.emojis.iter())
                        .map(|(index, emoji)| SasEmoji {
                            index: *index,
                            symbol: emoji.symbol.to_owned(),
                            description: emoji.description.to_owned(),
                        })
                        .collect(),
                },
                // The other side offered no emoji (decimals only): not supported.
                None => {
                    if let Err(error) = sas.cancel().await {
                        warn!(%error, "could not cancel a decimal-only exchange");
                    }
                    VerificationState::Starting
                }
            },
            SasState::Confirmed => VerificationState::WaitingForOther,
            SasState::Done { .. } => VerificationState::Done,
            SasState::Cancelled(info) => info.into(),
        };
        let finished = matches!(
            update,
            VerificationState::Done | VerificationState::Cancelled { .. }
        );
        if !sender.send(update) || finished {
            return;
        }
        match changes.next().await {
            Some(next) => state = next,
            None => return,
        }
    }
}
