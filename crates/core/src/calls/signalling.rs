//! The account's calls, owned by one task: the room's call events, the user's gestures, the
//! engine's reports and the timers reach it in order, through one channel, so that no two of
//! them ever race over a call (glare and answers from several devices are decided here).
//!
//! What the task does follows the spec's 1:1 VoIP, version 1:
//! - the caller sends its invite once the engine made an offer, then its candidates in batches;
//!   the first answer is chosen (`m.call.select_answer`) and any later one from another device
//!   is ignored; nobody answering within the invite's lifetime ends it as "no answer";
//! - the callee rings for a fresh invite addressed to it (not for one from history, nor in a
//!   room with more than two people), answers or rejects it; an answer, rejection or chosen
//!   answer from another of its own devices stops the ringing;
//! - glare: when both call each other in the same room, the call with the lesser ID is kept
//!   and answered on the user's behalf, the other abandoned, on both sides alike;
//! - a call whose media never connects, or loses its connection for good, ends with a reason,
//!   so that no call screen ever stays stuck.
//!
//! Nothing here logs SDP or candidates: they hold the machine's addresses.

use std::{
    collections::VecDeque,
    sync::Arc,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use eyeball::SharedObservable;
use matrix_sdk::{
    Client, Room, RoomMemberships,
    room::MessagesOptions,
    ruma::{
        Int, MilliSecondsSinceUnixEpoch, OwnedUserId, OwnedVoipId, UInt,
        events::{
            AnySyncMessageLikeEvent, AnySyncTimelineEvent, SyncMessageLikeEvent,
            call::{
                SessionDescription,
                answer::{CallAnswerEventContent, OriginalSyncCallAnswerEvent},
                candidates::{self, CallCandidatesEventContent, OriginalSyncCallCandidatesEvent},
                hangup::{self, CallHangupEventContent, OriginalSyncCallHangupEvent},
                invite::{CallInviteEventContent, OriginalSyncCallInviteEvent},
                negotiate::{CallNegotiateEventContent, OriginalSyncCallNegotiateEvent},
                reject::{CallRejectEventContent, OriginalSyncCallRejectEvent},
                select_answer::{CallSelectAnswerEventContent, OriginalSyncCallSelectAnswerEvent},
            },
            room::{
                encrypted::OriginalSyncRoomEncryptedEvent,
                member::{MembershipState, OriginalSyncRoomMemberEvent},
            },
        },
        serde::Raw,
    },
};
use matrix_sdk_ui::sync_service::SyncService;
use rand::{Rng, distr::Alphanumeric};
use tokio::sync::{mpsc, oneshot};
use tracing::{debug, info, warn};

use super::{
    CallDirection, CallEnd, CallError, CallSettings, CallState, CallView,
    media::{self, MediaCommand, MediaEvent, MediaFailure, MediaSetup},
    relays::Relays,
};

/// How long an invite rings: the spec's recommended minimum.
pub(super) const INVITE_LIFETIME: Duration = Duration::from_secs(90);
/// Local candidates gathered within this time go out in one event.
const CANDIDATE_BATCH: Duration = Duration::from_millis(200);
/// An answered call whose media has not connected by then has failed.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);
/// A dropped connection not back by then has failed.
const RECONNECT_TIMEOUT: Duration = Duration::from_secs(20);
/// How long a connection that failed after working waits for the other side's hangup.
const HANGUP_GRACE: Duration = Duration::from_secs(5);
/// How long an answer to a later offer is valid (`m.call.negotiate`'s lifetime), as Element
/// sends it.
const NEGOTIATION_LIFETIME_MS: u32 = 10_000;
/// Ended calls remembered, so that their late events are not taken for new ones.
const ENDED_REMEMBERED: usize = 200;

type Reply = oneshot::Sender<Result<String, CallError>>;

/// A gesture of the user, with where its outcome goes.
#[derive(Debug)]
pub(super) enum Gesture {
    Place {
        room_id: String,
        video: bool,
        reply: Reply,
    },
    Accept {
        call_id: String,
        video: bool,
        reply: Reply,
    },
    Decline {
        call_id: String,
        reply: Reply,
    },
    HangUp {
        call_id: String,
        reply: Reply,
    },
    Microphone {
        call_id: String,
        muted: bool,
        reply: Reply,
    },
    Camera {
        call_id: String,
        on: bool,
        reply: Reply,
    },
}

#[derive(Debug)]
pub(super) enum Input {
    Remote(Remote),
    Gesture(Gesture),
    Media { call_id: String, event: MediaEvent },
    Timer { call_id: String, timer: Timer },
    SendFailed { call_id: String, what: &'static str },
    Dismiss(String),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Timer {
    /// The invite's lifetime is over.
    InviteExpired,
    FlushCandidates,
    ConnectTimeout,
    ReconnectTimeout,
}

/// A call event from the room, decrypted.
#[derive(Debug)]
pub(super) struct Remote {
    room: Room,
    sender: OwnedUserId,
    /// How long ago the server received it.
    age: Duration,
    event: RemoteEvent,
}

#[derive(Debug)]
enum RemoteEvent {
    Invite(Box<CallInviteEventContent>),
    Answer(Box<CallAnswerEventContent>),
    Candidates(CallCandidatesEventContent),
    SelectAnswer(CallSelectAnswerEventContent),
    Hangup(CallHangupEventContent),
    Reject(CallRejectEventContent),
    /// A later offer or answer during the call: Element's hold and resume, a change of streams.
    Negotiate(Box<CallNegotiateEventContent>),
    /// Someone left the room.
    Left,
}

impl RemoteEvent {
    fn call_id(&self) -> Option<&str> {
        Some(match self {
            Self::Invite(content) => content.call_id.as_str(),
            Self::Answer(content) => content.call_id.as_str(),
            Self::Candidates(content) => content.call_id.as_str(),
            Self::SelectAnswer(content) => content.call_id.as_str(),
            Self::Hangup(content) => content.call_id.as_str(),
            Self::Reject(content) => content.call_id.as_str(),
            Self::Negotiate(content) => content.call_id.as_str(),
            Self::Left => return None,
        })
    }

    fn party_id(&self) -> Option<&str> {
        match self {
            Self::Invite(content) => content.party_id.as_deref().map(|id| id.as_str()),
            Self::Answer(content) => content.party_id.as_deref().map(|id| id.as_str()),
            Self::Candidates(content) => content.party_id.as_deref().map(|id| id.as_str()),
            Self::SelectAnswer(content) => Some(content.party_id.as_str()),
            Self::Hangup(content) => content.party_id.as_deref().map(|id| id.as_str()),
            Self::Reject(content) => Some(content.party_id.as_str()),
            Self::Negotiate(content) => Some(content.party_id.as_str()),
            Self::Left => None,
        }
    }
}

/// Hands each call event sync delivers (after decryption) to the task. Handlers run inside
/// sync's processing: they only queue.
///
/// A call event whose room key comes after it (the keys travel on another sync connection) is
/// not decrypted when sync delivers it, and the SDK does not run the handlers again once it
/// can be: such fresh events are tried again for a few seconds here, or a call's answer or
/// hangup would be lost for good.
pub(super) fn listen(client: &Client, inputs: &mpsc::UnboundedSender<Input>) {
    // One handler per call event type: the SDK picks handlers by type before deserialising, so
    // the account's other events cost nothing here (a handler of every message would read them
    // all again, bodies included).
    macro_rules! forward {
        ($($event:ty => $variant:ident),* $(,)?) => {$(
            let for_calls = inputs.clone();
            client.add_event_handler(move |event: $event, room: Room| {
                let inputs = for_calls.clone();
                async move {
                    let event = AnySyncMessageLikeEvent::$variant(SyncMessageLikeEvent::Original(event));
                    if let Some(remote) = remote_of(room, event, Duration::ZERO) {
                        let _ = inputs.send(Input::Remote(remote));
                    }
                }
            });
        )*};
    }
    forward!(
        OriginalSyncCallInviteEvent => CallInvite,
        OriginalSyncCallAnswerEvent => CallAnswer,
        OriginalSyncCallCandidatesEvent => CallCandidates,
        OriginalSyncCallSelectAnswerEvent => CallSelectAnswer,
        OriginalSyncCallHangupEvent => CallHangup,
        OriginalSyncCallRejectEvent => CallReject,
        OriginalSyncCallNegotiateEvent => CallNegotiate,
    );
    let for_late = inputs.clone();
    client.add_event_handler(
        move |raw: Raw<OriginalSyncRoomEncryptedEvent>, room: Room| {
            let inputs = for_late.clone();
            async move {
                let Ok(event) = raw.deserialize() else { return };
                if age_of(event.origin_server_ts, event.unsigned.age) < LATE_KEY_WINDOW {
                    tokio::spawn(decrypt_later(room, raw, inputs));
                }
            }
        },
    );
    let for_members = inputs.clone();
    client.add_event_handler(move |event: OriginalSyncRoomMemberEvent, room: Room| {
        let inputs = for_members.clone();
        async move {
            if matches!(
                event.content.membership,
                MembershipState::Leave | MembershipState::Ban
            ) {
                let _ = inputs.send(Input::Remote(Remote {
                    room,
                    sender: event.state_key.clone(),
                    age: Duration::ZERO,
                    event: RemoteEvent::Left,
                }));
            }
        }
    });
}

/// Encrypted events younger than this are tried again when their key is missing.
const LATE_KEY_WINDOW: Duration = Duration::from_secs(120);
/// The waits before each new attempt at decrypting an event whose key has not arrived.
const DECRYPTION_RETRIES: [Duration; 5] = [
    Duration::from_millis(250),
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];

async fn decrypt_later(
    room: Room,
    raw: Raw<OriginalSyncRoomEncryptedEvent>,
    inputs: mpsc::UnboundedSender<Input>,
) {
    let mut waited = Duration::ZERO;
    for wait in DECRYPTION_RETRIES {
        tokio::time::sleep(wait).await;
        waited += wait;
        let Ok(decrypted) = room.decrypt_event(&raw, None).await else {
            continue;
        };
        if decrypted.kind.is_utd() {
            continue;
        }
        if let Ok(AnySyncTimelineEvent::MessageLike(event)) = decrypted.into_raw().deserialize()
            && let Some(remote) = remote_of(room, event, waited)
        {
            let _ = inputs.send(Input::Remote(remote));
        }
        return;
    }
}

/// How long ago the server received an event.
fn age_of(sent: MilliSecondsSinceUnixEpoch, age: Option<Int>) -> Duration {
    match age.and_then(|age| u64::try_from(i64::from(age)).ok()) {
        Some(age) => Duration::from_millis(age),
        None => Duration::from_millis(now_ms().saturating_sub(u64::from(sent.get()))),
    }
}

/// A call event, as the task takes it; `None` for anything else. `later` is how long it waited
/// for its key after sync delivered it.
fn remote_of(room: Room, event: AnySyncMessageLikeEvent, later: Duration) -> Option<Remote> {
    macro_rules! original {
        ($event:expr, $variant:expr) => {{
            let SyncMessageLikeEvent::Original(event) = $event else {
                return None;
            };
            (
                event.sender,
                age_of(event.origin_server_ts, event.unsigned.age),
                $variant(event.content),
            )
        }};
    }
    let (sender, age, event) = match event {
        AnySyncMessageLikeEvent::CallInvite(event) => {
            original!(event, |content| RemoteEvent::Invite(Box::new(content)))
        }
        AnySyncMessageLikeEvent::CallAnswer(event) => {
            original!(event, |content| RemoteEvent::Answer(Box::new(content)))
        }
        AnySyncMessageLikeEvent::CallCandidates(event) => original!(event, RemoteEvent::Candidates),
        AnySyncMessageLikeEvent::CallSelectAnswer(event) => {
            original!(event, RemoteEvent::SelectAnswer)
        }
        AnySyncMessageLikeEvent::CallHangup(event) => original!(event, RemoteEvent::Hangup),
        AnySyncMessageLikeEvent::CallReject(event) => original!(event, RemoteEvent::Reject),
        AnySyncMessageLikeEvent::CallNegotiate(event) => {
            original!(event, |content| RemoteEvent::Negotiate(Box::new(content)))
        }
        _ => return None,
    };
    Some(Remote {
        room,
        sender,
        age: age + later,
        event,
    })
}

fn now_ms() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|elapsed| u64::try_from(elapsed.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// A VoIP ID: 1 to 255 of `[0-9a-zA-Z._~-]`.
fn new_voip_id(length: usize) -> OwnedVoipId {
    let id: String = rand::rng()
        .sample_iter(Alphanumeric)
        .take(length)
        .map(char::from)
        .collect();
    OwnedVoipId::from(id)
}

/// One call, as the task knows it.
struct Call {
    view: CallView,
    room: Room,
    /// This device's party in the call.
    party_id: OwnedVoipId,
    /// The other side's party: the caller's for an incoming call, the chosen answer's for an
    /// outgoing one (none until chosen).
    peer_party: Option<OwnedVoipId>,
    /// The caller's offer, until answered.
    offer: Option<String>,
    media: Option<mpsc::UnboundedSender<MediaCommand>>,
    /// This side's description went out (invite or answer): candidates may follow it.
    described: bool,
    local_candidates: Vec<media::Candidate>,
    flush_scheduled: bool,
    /// The other side's candidates, with their party, until they can be given to the engine.
    remote_candidates: Vec<(Option<String>, media::Candidate)>,
    /// This side answered and waits to know whether its answer was chosen.
    answered: bool,
}

impl Call {
    fn id(&self) -> &str {
        &self.view.call_id
    }

    fn command(&self, command: MediaCommand) {
        if let Some(media) = &self.media {
            let _ = media.send(command);
        }
    }

    fn is_live(&self) -> bool {
        !self.view.is_ended()
    }
}

/// An event for the room, sent in order after those before it.
struct Outgoing {
    room: Room,
    call_id: String,
    what: &'static str,
    content: serde_json::Value,
}

struct Signalling {
    client: Client,
    /// To subscribe a call's room in sliding sync (see [`Signalling::follow_room`]).
    sync_service: Arc<SyncService>,
    /// Calls whose invite was looked for in the room's history, once each.
    looked_back: VecDeque<String>,
    inputs: mpsc::UnboundedSender<Input>,
    published: SharedObservable<Vec<CallView>>,
    settings: Arc<CallSettings>,
    relays: Relays,
    calls: Vec<Call>,
    ended: VecDeque<String>,
    outbox: mpsc::UnboundedSender<Outgoing>,
}

pub(super) async fn run(
    client: Client,
    sync_service: Arc<SyncService>,
    mut receiver: mpsc::UnboundedReceiver<Input>,
    inputs: mpsc::UnboundedSender<Input>,
    published: SharedObservable<Vec<CallView>>,
    settings: Arc<CallSettings>,
) {
    let (outbox, outgoing) = mpsc::unbounded_channel();
    let sender = tokio::spawn(send_in_order(outgoing, inputs.clone()));
    let mut signalling = Signalling {
        client,
        sync_service,
        looked_back: VecDeque::new(),
        inputs,
        published,
        settings,
        relays: Relays::default(),
        calls: Vec::new(),
        ended: VecDeque::new(),
        outbox,
    };
    while let Some(input) = receiver.recv().await {
        signalling.handle(input).await;
        signalling.publish();
    }
    sender.abort();
}

/// Sends the call events one after the other: an invite before its candidates, an answer
/// before its own.
async fn send_in_order(
    mut outgoing: mpsc::UnboundedReceiver<Outgoing>,
    inputs: mpsc::UnboundedSender<Input>,
) {
    while let Some(event) = outgoing.recv().await {
        if let Err(error) = event.room.send_raw(event.what, event.content).await {
            warn!(call = %event.call_id, what = event.what, %error, "a call event could not be sent");
            let _ = inputs.send(Input::SendFailed {
                call_id: event.call_id,
                what: event.what,
            });
        }
    }
}

impl Signalling {
    /// Subscribes a call's room in sliding sync for the call's length. Otherwise the room syncs
    /// as a list entry, one event per response: an answer followed at once by its candidates
    /// arrives as a "limited" update with the candidates only, and the answer is never seen.
    async fn follow_room(&self, room: &Room) {
        self.sync_service
            .room_list_service()
            .subscribe_to_rooms(&[room.room_id()])
            .await;
    }

    /// A fresh call event for a call never seen: its invite may have been skipped by sync (see
    /// [`Self::follow_room`]; the room was not followed yet). Looks for it among the room's
    /// latest events, once per call.
    async fn look_back_for_invite(&mut self, room: &Room, call_id: &str) -> Option<Remote> {
        if self.looked_back.iter().any(|known| known == call_id) {
            return None;
        }
        self.looked_back.push_back(call_id.to_owned());
        if self.looked_back.len() > ENDED_REMEMBERED {
            self.looked_back.pop_front();
        }
        let mut options = MessagesOptions::backward();
        options.limit = UInt::from(30u32);
        let messages = room.messages(options).await.ok()?;
        messages.chunk.into_iter().find_map(|event| {
            let Ok(AnySyncTimelineEvent::MessageLike(event)) = event.raw().deserialize() else {
                return None;
            };
            remote_of(room.clone(), event, Duration::ZERO)
                .filter(|remote| matches!(&remote.event, RemoteEvent::Invite(invite) if invite.call_id.as_str() == call_id))
        })
    }

    fn me(&self) -> Option<OwnedUserId> {
        self.client.user_id().map(ToOwned::to_owned)
    }

    /// Answers a gesture once the call list shows its outcome: a front end that reads the list
    /// after the gesture returns sees it.
    fn reply(&self, reply: Reply, outcome: Result<String, CallError>) {
        self.publish();
        let _ = reply.send(outcome);
    }

    fn publish(&self) {
        let views: Vec<CallView> = self.calls.iter().map(|call| call.view.clone()).collect();
        if self.published.get() != views {
            self.published.set(views);
        }
    }

    async fn handle(&mut self, input: Input) {
        match input {
            Input::Gesture(gesture) => self.gesture(gesture).await,
            Input::Remote(remote) => self.remote(remote).await,
            Input::Media { call_id, event } => self.media(&call_id, event),
            Input::Timer { call_id, timer } => self.timer(&call_id, timer),
            Input::SendFailed { call_id, what } => {
                // Without its invite or answer, the other side never sees the call.
                if matches!(what, "m.call.invite" | "m.call.answer") {
                    self.end(&call_id, CallEnd::SignallingFailed, None);
                }
            }
            Input::Dismiss(call_id) => self
                .calls
                .retain(|call| call.is_live() || call.id() != call_id),
        }
    }

    /// Ends a call: its media stops (closing the devices), the other side is told when
    /// `hangup` says why.
    fn end(&mut self, call_id: &str, reason: CallEnd, hangup: Option<hangup::Reason>) {
        let Some(index) = self
            .calls
            .iter()
            .position(|call| call.id() == call_id && call.is_live())
        else {
            return;
        };
        if let Some(reason) = hangup {
            let call = &self.calls[index];
            let content = CallHangupEventContent::version_1(
                call.view.call_id.clone().into(),
                call.party_id.clone(),
                reason,
            );
            send(&self.outbox, call, "m.call.hangup", to_json(&content));
        }
        let call = &mut self.calls[index];
        call.media = None;
        call.view.state = CallState::Ended(reason);
        info!(call = %call.view.call_id, ?reason, "call ended");
        self.ended.push_back(call_id.to_owned());
        if self.ended.len() > ENDED_REMEMBERED {
            self.ended.pop_front();
        }
    }

    fn start_media(
        &self,
        video: bool,
        call_id: &str,
        ice_servers: Vec<media::IceServer>,
        answering: Option<String>,
    ) -> Result<mpsc::UnboundedSender<MediaCommand>, CallError> {
        let engine = self
            .settings
            .engine()
            .ok_or_else(|| CallError::NoMedia("no media engine".into()))?;
        let session = engine
            .start(MediaSetup {
                video,
                ice_servers,
                relay_only: self.settings.relay_only(),
                answering,
            })
            .map_err(|failure| match failure {
                MediaFailure::DeviceMissing(_) | MediaFailure::DeviceDenied => {
                    CallError::Device(failure.to_string())
                }
                other => CallError::NoMedia(other.to_string()),
            })?;
        let mut events = session.events;
        let inputs = self.inputs.clone();
        let call_id = call_id.to_owned();
        tokio::spawn(async move {
            while let Some(event) = events.recv().await {
                if inputs
                    .send(Input::Media {
                        call_id: call_id.clone(),
                        event,
                    })
                    .is_err()
                {
                    return;
                }
            }
        });
        Ok(session.commands)
    }

    async fn gesture(&mut self, gesture: Gesture) {
        match gesture {
            Gesture::Place {
                room_id,
                video,
                reply,
            } => {
                let placed = self.place(&room_id, video).await;
                self.reply(reply, placed);
            }
            Gesture::Accept {
                call_id,
                video,
                reply,
            } => {
                let accepted = self.accept(&call_id, video).await;
                self.reply(reply, accepted.map(|()| call_id));
            }
            Gesture::Decline { call_id, reply } => {
                let found = self
                    .calls
                    .iter()
                    .find(|call| call.id() == call_id && call.view.state == CallState::Ringing);
                let Some(call) = found else {
                    self.reply(reply, Err(CallError::NotFound));
                    return;
                };
                let content = CallRejectEventContent::version_1(
                    call.view.call_id.clone().into(),
                    call.party_id.clone(),
                );
                send(&self.outbox, call, "m.call.reject", to_json(&content));
                self.end(&call_id, CallEnd::DeclinedHere, None);
                self.reply(reply, Ok(call_id));
            }
            Gesture::HangUp { call_id, reply } => {
                let Some(call) = self
                    .calls
                    .iter()
                    .find(|call| call.id() == call_id && call.is_live())
                else {
                    self.reply(reply, Err(CallError::NotFound));
                    return;
                };
                if call.view.state == CallState::Ringing {
                    // Hanging up a call not answered is declining it.
                    let content = CallRejectEventContent::version_1(
                        call.view.call_id.clone().into(),
                        call.party_id.clone(),
                    );
                    send(&self.outbox, call, "m.call.reject", to_json(&content));
                    self.end(&call_id, CallEnd::DeclinedHere, None);
                } else {
                    self.end(
                        &call_id,
                        CallEnd::HungUpHere,
                        Some(hangup::Reason::UserHangup),
                    );
                }
                self.reply(reply, Ok(call_id));
            }
            Gesture::Microphone {
                call_id,
                muted,
                reply,
            } => {
                let Some(call) = find_mut(&mut self.calls, &call_id).filter(|call| call.is_live())
                else {
                    self.reply(reply, Err(CallError::NotFound));
                    return;
                };
                call.view.microphone_muted = muted;
                call.command(MediaCommand::SetMicrophoneMuted(muted));
                self.reply(reply, Ok(call_id));
            }
            Gesture::Camera { call_id, on, reply } => {
                let Some(call) = find_mut(&mut self.calls, &call_id).filter(|call| call.is_live())
                else {
                    self.reply(reply, Err(CallError::NotFound));
                    return;
                };
                call.view.camera_on = on && call.view.video;
                call.command(MediaCommand::SetCameraOn(on));
                self.reply(reply, Ok(call_id));
            }
        }
    }

    /// The other person of a conversation a call may be placed in: exactly two people.
    async fn peer_in(&self, room: &Room) -> Result<OwnedUserId, CallError> {
        let me = self.me().ok_or(CallError::Offline)?;
        let members = room
            .members(RoomMemberships::ACTIVE)
            .await
            .map_err(|_| CallError::Offline)?;
        let others: Vec<OwnedUserId> = members
            .iter()
            .map(|member| member.user_id().to_owned())
            .filter(|user| *user != me)
            .collect();
        match others.as_slice() {
            [peer] => Ok(peer.clone()),
            _ => Err(CallError::NotADirectConversation),
        }
    }

    async fn place(&mut self, room_id: &str, video: bool) -> Result<String, CallError> {
        if self
            .calls
            .iter()
            .any(|call| call.is_live() && call.view.state != CallState::Ringing)
        {
            return Err(CallError::AlreadyInCall);
        }
        let room = matrix_sdk::ruma::RoomId::parse(room_id)
            .ok()
            .and_then(|id| self.client.get_room(&id))
            .ok_or_else(|| CallError::RoomNotFound(room_id.to_owned()))?;
        let peer = self.peer_in(&room).await?;
        if self.settings.engine().is_none() {
            return Err(CallError::NoMedia("no media engine".into()));
        }
        self.follow_room(&room).await;
        let call_id = new_voip_id(24);
        let ice_servers = self.relays.for_new_call(&self.client).await;
        let media = self.start_media(video, call_id.as_str(), ice_servers, None)?;
        let _ = media.send(MediaCommand::MakeOffer);
        self.calls.retain(Call::is_live);
        self.calls.push(Call {
            view: CallView {
                call_id: call_id.to_string(),
                room_id: room.room_id().to_string(),
                peer: peer.to_string(),
                direction: CallDirection::Outgoing,
                video,
                state: CallState::Calling,
                connected_at_ms: None,
                held_by_peer: false,
                microphone_muted: false,
                camera_on: video,
            },
            room,
            party_id: self.own_party(),
            peer_party: None,
            offer: None,
            media: Some(media),
            described: false,
            local_candidates: Vec::new(),
            flush_scheduled: false,
            remote_candidates: Vec::new(),
            answered: false,
        });
        info!(call = %call_id, video, "placing a call");
        Ok(call_id.to_string())
    }

    /// This device's party ID: its device ID, as Element uses, so that the user's other
    /// devices tell it apart.
    fn own_party(&self) -> OwnedVoipId {
        match self.client.device_id() {
            Some(device) => OwnedVoipId::from(device.as_str().to_owned()),
            None => new_voip_id(8),
        }
    }

    async fn accept(&mut self, call_id: &str, video: bool) -> Result<(), CallError> {
        let Some(call) = self
            .calls
            .iter()
            .find(|call| call.id() == call_id && call.view.state == CallState::Ringing)
        else {
            return Err(CallError::NotFound);
        };
        if self.calls.iter().any(|other| {
            other.id() != call_id && other.is_live() && other.view.state != CallState::Ringing
        }) {
            return Err(CallError::AlreadyInCall);
        }
        let offer = call.offer.clone().unwrap_or_default();
        let ice_servers = self.relays.for_new_call(&self.client).await;
        let media = self.start_media(video, call_id, ice_servers, Some(offer.clone()))?;
        let _ = media.send(MediaCommand::AnswerOffer(offer));
        let Some(call) = find_mut(&mut self.calls, call_id) else {
            return Err(CallError::NotFound);
        };
        let peer_party = call.peer_party.as_ref().map(|party| party.to_string());
        let waiting: Vec<media::Candidate> = std::mem::take(&mut call.remote_candidates)
            .into_iter()
            .filter(|(party, _)| party.is_none() || *party == peer_party)
            .map(|(_, candidate)| candidate)
            .collect();
        if !waiting.is_empty() {
            let _ = media.send(MediaCommand::RemoteCandidates(waiting));
        }
        call.media = Some(media);
        call.offer = None;
        call.answered = true;
        call.view.state = CallState::Connecting;
        call.view.camera_on = video && call.view.video;
        info!(call = %call_id, video, "accepting a call");
        after(
            &self.inputs,
            CONNECT_TIMEOUT,
            call_id,
            Timer::ConnectTimeout,
        );
        Ok(())
    }

    fn media(&mut self, call_id: &str, event: MediaEvent) {
        let Some(call) = find_mut(&mut self.calls, call_id).filter(|call| call.is_live()) else {
            return;
        };
        match event {
            MediaEvent::Offer(sdp)
                if call.view.direction == CallDirection::Outgoing && !call.described =>
            {
                let lifetime = self.settings.ring_for();
                let mut content = CallInviteEventContent::version_1(
                    call.view.call_id.clone().into(),
                    call.party_id.clone(),
                    UInt::try_from(u64::try_from(lifetime.as_millis()).unwrap_or(u64::MAX))
                        .unwrap_or(UInt::MAX),
                    SessionDescription::new("offer".into(), sdp),
                );
                content.invitee = matrix_sdk::ruma::UserId::parse(&call.view.peer).ok();
                call.described = true;
                let call_id = call.view.call_id.clone();
                let flush = !call.local_candidates.is_empty();
                send(&self.outbox, call, "m.call.invite", to_json(&content));
                after(&self.inputs, lifetime, &call_id, Timer::InviteExpired);
                if flush {
                    self.schedule_flush(&call_id);
                }
            }
            MediaEvent::Answer(sdp)
                if call.view.direction == CallDirection::Incoming && !call.described =>
            {
                let mut content = CallAnswerEventContent::version_1(
                    SessionDescription::new("answer".into(), sdp),
                    call.view.call_id.clone().into(),
                    call.party_id.clone(),
                );
                content.sdp_stream_metadata = Default::default();
                call.described = true;
                let call_id = call.view.call_id.clone();
                let flush = !call.local_candidates.is_empty();
                send(&self.outbox, call, "m.call.answer", to_json(&content));
                if flush {
                    self.schedule_flush(&call_id);
                }
            }
            // The answer to a later offer of the other side.
            MediaEvent::Answer(sdp) if call.described => {
                let content = CallNegotiateEventContent::version_1(
                    call.view.call_id.clone().into(),
                    call.party_id.clone(),
                    UInt::from(NEGOTIATION_LIFETIME_MS),
                    SessionDescription::new("answer".into(), sdp),
                );
                send(&self.outbox, call, "m.call.negotiate", to_json(&content));
            }
            MediaEvent::HeldByPeer(held) => {
                info!(call = %call_id, held, "the other side put the call on hold or took it back");
                call.view.held_by_peer = held;
            }
            MediaEvent::Offer(_) | MediaEvent::Answer(_) => {}
            MediaEvent::LocalCandidate(candidate) => {
                call.local_candidates.push(candidate);
                if call.described {
                    let call_id = call.view.call_id.clone();
                    self.schedule_flush(&call_id);
                }
            }
            MediaEvent::CandidatesGathered => {
                call.local_candidates.push(media::Candidate {
                    candidate: String::new(),
                    sdp_mid: None,
                    sdp_m_line_index: None,
                });
                if call.described {
                    let call_id = call.view.call_id.clone();
                    self.schedule_flush(&call_id);
                }
            }
            MediaEvent::Connected => {
                if call.view.connected_at_ms.is_none() {
                    call.view.connected_at_ms = Some(now_ms());
                    info!(call = %call_id, "call connected");
                }
                call.view.state = CallState::Connected;
            }
            MediaEvent::Disconnected => {
                if call.view.state == CallState::Connected {
                    call.view.state = CallState::Reconnecting;
                    after(
                        &self.inputs,
                        RECONNECT_TIMEOUT,
                        call_id,
                        Timer::ReconnectTimeout,
                    );
                }
            }
            // A connection lost after it worked is most often the other side hanging up: its
            // media stops before its hangup arrives through the server. The hangup is given a
            // moment to say so, rather than telling the user the connection failed.
            MediaEvent::Failed(MediaFailure::IceFailed)
                if matches!(
                    call.view.state,
                    CallState::Connected | CallState::Reconnecting
                ) =>
            {
                call.view.state = CallState::Reconnecting;
                after(&self.inputs, HANGUP_GRACE, call_id, Timer::ReconnectTimeout);
            }
            MediaEvent::Failed(failure) => {
                warn!(call = %call_id, %failure, "call media failed");
                let (end, reason) = match failure {
                    MediaFailure::DeviceMissing(_) | MediaFailure::DeviceDenied => {
                        (CallEnd::DeviceFailed, hangup::Reason::UserMediaFailed)
                    }
                    MediaFailure::IceFailed => {
                        (CallEnd::ConnectionFailed, hangup::Reason::IceFailed)
                    }
                    MediaFailure::Negotiation(_) | MediaFailure::Engine(_) => {
                        (CallEnd::ConnectionFailed, hangup::Reason::UnknownError)
                    }
                };
                // A call still ringing on the other side is withdrawn the same way.
                self.end(call_id, end, Some(reason));
            }
        }
    }

    fn schedule_flush(&mut self, call_id: &str) {
        let Some(call) = find_mut(&mut self.calls, call_id) else {
            return;
        };
        if call.flush_scheduled {
            return;
        }
        call.flush_scheduled = true;
        after(
            &self.inputs,
            CANDIDATE_BATCH,
            call_id,
            Timer::FlushCandidates,
        );
    }

    fn timer(&mut self, call_id: &str, timer: Timer) {
        let Some(call) = find_mut(&mut self.calls, call_id).filter(|call| call.is_live()) else {
            return;
        };
        match timer {
            Timer::FlushCandidates => {
                call.flush_scheduled = false;
                let candidates: Vec<candidates::Candidate> =
                    std::mem::take(&mut call.local_candidates)
                        .into_iter()
                        .map(|candidate| {
                            let mut sent = candidates::Candidate::new(candidate.candidate);
                            sent.sdp_mid = candidate.sdp_mid;
                            sent.sdp_m_line_index = candidate.sdp_m_line_index.map(UInt::from);
                            sent
                        })
                        .collect();
                if candidates.is_empty() {
                    return;
                }
                let content = CallCandidatesEventContent::version_1(
                    call.view.call_id.clone().into(),
                    call.party_id.clone(),
                    candidates,
                );
                send(&self.outbox, call, "m.call.candidates", to_json(&content));
            }
            Timer::InviteExpired => match call.view.state {
                CallState::Calling => self.end(
                    call_id,
                    CallEnd::NoAnswer,
                    Some(hangup::Reason::InviteTimeout),
                ),
                CallState::Ringing => self.end(call_id, CallEnd::Missed, None),
                _ => {}
            },
            Timer::ConnectTimeout => {
                if call.view.state == CallState::Connecting {
                    self.end(
                        call_id,
                        CallEnd::ConnectionFailed,
                        Some(hangup::Reason::IceTimeout),
                    );
                }
            }
            Timer::ReconnectTimeout => {
                if call.view.state == CallState::Reconnecting {
                    self.end(
                        call_id,
                        CallEnd::ConnectionFailed,
                        Some(hangup::Reason::IceFailed),
                    );
                }
            }
        }
    }

    async fn remote(&mut self, remote: Remote) {
        let Some(me) = self.me() else { return };
        let from_me = remote.sender == me;
        if let RemoteEvent::Left = remote.event {
            let room_id = remote.room.room_id().to_owned();
            let left: Vec<String> = self
                .calls
                .iter()
                .filter(|call| {
                    call.is_live()
                        && call.room.room_id() == room_id
                        && call.view.peer == remote.sender.as_str()
                })
                .map(|call| call.id().to_owned())
                .collect();
            for call_id in left {
                self.end(&call_id, CallEnd::PeerLeft, None);
            }
            return;
        }
        let Some(call_id) = remote.event.call_id().map(ToOwned::to_owned) else {
            return;
        };
        let party = remote.event.party_id().map(ToOwned::to_owned);
        let own_party = self.own_party();
        // This device's own events, back from the server.
        if from_me && party.as_deref() == Some(own_party.as_str()) {
            return;
        }
        if self.ended.contains(&call_id) {
            return;
        }
        if matches!(remote.event, RemoteEvent::Candidates(_))
            && !from_me
            && remote.age < INVITE_LIFETIME
            && !self.calls.iter().any(|call| call.id() == call_id)
            && let Some(invite) = self.look_back_for_invite(&remote.room, &call_id).await
            && let RemoteEvent::Invite(content) = invite.event
        {
            debug!(call = %call_id, "a call's invite skipped by sync was found in the room's history");
            self.invited(invite.room, invite.sender, invite.age, *content)
                .await;
        }
        match remote.event {
            RemoteEvent::Invite(content) => {
                if !from_me {
                    self.invited(remote.room, remote.sender, remote.age, *content)
                        .await;
                }
            }
            RemoteEvent::Answer(content) => {
                let Some(call) = find_mut(&mut self.calls, &call_id).filter(|call| call.is_live())
                else {
                    return;
                };
                match call.view.direction {
                    // Another device of this user took the call.
                    CallDirection::Incoming if from_me => {
                        self.end(&call_id, CallEnd::AnsweredElsewhere, None);
                    }
                    CallDirection::Outgoing
                        if !from_me
                            && call.peer_party.is_none()
                            && call.view.state == CallState::Calling =>
                    {
                        let Some(chosen) = content.party_id.clone() else {
                            // A version-0 answer: no choice to announce.
                            call.peer_party = Some(OwnedVoipId::from(String::new()));
                            self.take_answer(&call_id, content.answer.sdp, None);
                            return;
                        };
                        call.peer_party = Some(chosen.clone());
                        let select = CallSelectAnswerEventContent::version_1(
                            call.view.call_id.clone().into(),
                            call.party_id.clone(),
                            chosen.clone(),
                        );
                        send(&self.outbox, call, "m.call.select_answer", to_json(&select));
                        self.take_answer(&call_id, content.answer.sdp, Some(chosen.to_string()));
                    }
                    _ => {}
                }
            }
            RemoteEvent::Candidates(content) => {
                let Some(call) = find_mut(&mut self.calls, &call_id).filter(|call| call.is_live())
                else {
                    return;
                };
                if from_me {
                    return;
                }
                let received = content
                    .candidates
                    .into_iter()
                    .map(|candidate| media::Candidate {
                        candidate: candidate.candidate,
                        sdp_mid: candidate.sdp_mid,
                        sdp_m_line_index: candidate
                            .sdp_m_line_index
                            .and_then(|index| u32::try_from(u64::from(index)).ok()),
                    });
                let chosen = call.peer_party.as_ref().map(|party| party.to_string());
                let usable_now = call.media.is_some()
                    && match call.view.direction {
                        CallDirection::Incoming => call.answered,
                        CallDirection::Outgoing => chosen.is_some(),
                    };
                if usable_now && (chosen.is_none() || chosen == party || party.is_none()) {
                    let batch: Vec<media::Candidate> = received.collect();
                    call.command(MediaCommand::RemoteCandidates(batch));
                } else {
                    call.remote_candidates
                        .extend(received.map(|candidate| (party.clone(), candidate)));
                }
            }
            RemoteEvent::SelectAnswer(content) => {
                let Some(call) = find_mut(&mut self.calls, &call_id).filter(|call| call.is_live())
                else {
                    return;
                };
                if call.view.direction == CallDirection::Incoming
                    && content.selected_party_id != own_party
                {
                    self.end(&call_id, CallEnd::AnsweredElsewhere, None);
                }
            }
            RemoteEvent::Reject(_) => {
                let Some(call) = find_mut(&mut self.calls, &call_id).filter(|call| call.is_live())
                else {
                    return;
                };
                match (call.view.direction, from_me) {
                    (CallDirection::Outgoing, false) if call.view.state == CallState::Calling => {
                        self.end(&call_id, CallEnd::Declined, None);
                    }
                    (CallDirection::Incoming, true) => {
                        self.end(&call_id, CallEnd::DeclinedElsewhere, None)
                    }
                    _ => {}
                }
            }
            RemoteEvent::Hangup(content) => {
                let Some(call) = find_mut(&mut self.calls, &call_id).filter(|call| call.is_live())
                else {
                    return;
                };
                // Once an answer is chosen, only its party may end the call.
                if call.view.direction == CallDirection::Outgoing
                    && let (Some(chosen), Some(party)) = (&call.peer_party, &party)
                    && chosen.as_str() != party
                {
                    return;
                }
                let end = match (call.view.state, from_me) {
                    (CallState::Ringing, true) => CallEnd::DeclinedElsewhere,
                    (CallState::Ringing, false) => CallEnd::Missed,
                    (_, true) => return,
                    (CallState::Calling, false) => match content.reason {
                        hangup::Reason::UserBusy => CallEnd::Busy,
                        hangup::Reason::UserMediaFailed => CallEnd::PeerDeviceFailed,
                        // Version-0 clients decline with a hangup.
                        _ => CallEnd::Declined,
                    },
                    (_, false) => match content.reason {
                        hangup::Reason::IceFailed | hangup::Reason::IceTimeout => {
                            CallEnd::ConnectionFailed
                        }
                        hangup::Reason::UserMediaFailed => CallEnd::PeerDeviceFailed,
                        _ => CallEnd::HungUp,
                    },
                };
                self.end(&call_id, end, None);
            }
            RemoteEvent::Negotiate(content) => {
                let Some(call) = find_mut(&mut self.calls, &call_id).filter(|call| call.is_live())
                else {
                    return;
                };
                let from_peer = !from_me
                    && call.view.peer == remote.sender.as_str()
                    && call
                        .peer_party
                        .as_ref()
                        .is_none_or(|peer| Some(peer.as_str()) == party.as_deref());
                if !from_peer || !call.described {
                    return;
                }
                // This side never offers again: only the other side's offers need an answer.
                if content.description.session_type == "offer" {
                    call.command(MediaCommand::AnswerOffer(content.description.sdp));
                } else {
                    debug!(call = %call_id, "an answer to an offer this side did not make was left");
                }
            }
            RemoteEvent::Left => {}
        }
    }

    /// The chosen answer to this side's offer, and the candidates its party sent meanwhile.
    fn take_answer(&mut self, call_id: &str, sdp: String, party: Option<String>) {
        let Some(call) = find_mut(&mut self.calls, call_id) else {
            return;
        };
        call.command(MediaCommand::TakeAnswer(sdp));
        let waiting: Vec<media::Candidate> = std::mem::take(&mut call.remote_candidates)
            .into_iter()
            .filter(|(from, _)| party.is_none() || *from == party || from.is_none())
            .map(|(_, candidate)| candidate)
            .collect();
        if !waiting.is_empty() {
            call.command(MediaCommand::RemoteCandidates(waiting));
        }
        call.view.state = CallState::Connecting;
        after(
            &self.inputs,
            CONNECT_TIMEOUT,
            call_id,
            Timer::ConnectTimeout,
        );
    }

    async fn invited(
        &mut self,
        room: Room,
        sender: OwnedUserId,
        age: Duration,
        content: CallInviteEventContent,
    ) {
        let call_id = content.call_id.to_string();
        if self.calls.iter().any(|call| call.id() == call_id) {
            return;
        }
        let lifetime = Duration::from_millis(u64::from(content.lifetime));
        if age >= lifetime {
            return;
        }
        if let Some(invitee) = &content.invitee
            && Some(invitee) != self.me().as_ref()
        {
            return;
        }
        // Anyone in a group room could ring otherwise; the spec warns that another member
        // could answer a call placed there.
        if !matches!(self.peer_in(&room).await, Ok(peer) if peer == sender) {
            debug!(call = %call_id, "a call in a room that is not a conversation between two people was not rung");
            return;
        }
        let video = offers_video(&content.offer.sdp);

        // Glare: this user calls the same room at the same moment.
        let glare = self.calls.iter().find(|call| {
            call.is_live()
                && call.view.direction == CallDirection::Outgoing
                && call.room.room_id() == room.room_id()
                && call.view.state == CallState::Calling
        });
        let mut accept_with = None;
        if let Some(own) = glare {
            let own_id = own.id().to_owned();
            let own_video = own.view.video;
            if call_id.as_str() < own_id.as_str() {
                // Theirs is kept: ours is abandoned without a word (they ignore it the same
                // way), and theirs answered as the user wanted to talk.
                info!(call = %own_id, kept = %call_id, "both called at once: the other call is kept");
                self.calls.retain(|call| call.id() != own_id);
                self.ended.push_back(own_id);
                accept_with = Some(own_video);
            } else {
                info!(call = %call_id, kept = %own_id, "both called at once: this side's call is kept");
                return;
            }
        } else if self
            .calls
            .iter()
            .any(|call| call.is_live() && call.view.state != CallState::Ringing)
        {
            // Busy in another call: the caller is told at once.
            let content = CallHangupEventContent::version_1(
                content.call_id.clone(),
                self.own_party(),
                hangup::Reason::UserBusy,
            );
            let _ = self.outbox.send(Outgoing {
                room,
                call_id,
                what: "m.call.hangup",
                content: to_json(&content),
            });
            return;
        }
        self.follow_room(&room).await;
        self.calls.retain(Call::is_live);
        self.calls.push(Call {
            view: CallView {
                call_id: call_id.clone(),
                room_id: room.room_id().to_string(),
                peer: sender.to_string(),
                direction: CallDirection::Incoming,
                video,
                state: CallState::Ringing,
                connected_at_ms: None,
                held_by_peer: false,
                microphone_muted: false,
                camera_on: false,
            },
            room,
            party_id: self.own_party(),
            peer_party: Some(
                content
                    .party_id
                    .clone()
                    .unwrap_or_else(|| OwnedVoipId::from(String::new())),
            ),
            offer: Some(content.offer.sdp),
            media: None,
            described: false,
            local_candidates: Vec::new(),
            flush_scheduled: false,
            remote_candidates: Vec::new(),
            answered: false,
        });
        info!(call = %call_id, video, "incoming call");
        after(&self.inputs, lifetime - age, &call_id, Timer::InviteExpired);
        if let Some(video) = accept_with
            && let Err(error) = self.accept(&call_id, video).await
        {
            warn!(call = %call_id, %error, "the call kept after glare could not be answered");
            self.end(
                &call_id,
                CallEnd::DeviceFailed,
                Some(hangup::Reason::UserMediaFailed),
            );
        }
    }
}

/// Whether an offer sends or asks for video: a video section that is neither refused (port 0,
/// unless only bundled) nor inactive.
pub(crate) fn offers_video(sdp: &str) -> bool {
    let mut sections: Vec<Vec<&str>> = Vec::new();
    for line in sdp.lines() {
        if line.starts_with("m=") {
            sections.push(vec![line]);
        } else if let Some(section) = sections.last_mut() {
            section.push(line);
        }
    }
    sections.iter().any(|section| {
        let media = section[0];
        media.starts_with("m=video ")
            && (!media.starts_with("m=video 0 ") || section.contains(&"a=bundle-only"))
            && !section.contains(&"a=inactive")
    })
}

/// Sends `timer` to the task after `delay`.
fn after(inputs: &mpsc::UnboundedSender<Input>, delay: Duration, call_id: &str, timer: Timer) {
    let inputs = inputs.clone();
    let call_id = call_id.to_owned();
    tokio::spawn(async move {
        tokio::time::sleep(delay).await;
        let _ = inputs.send(Input::Timer { call_id, timer });
    });
}

fn send(
    outbox: &mpsc::UnboundedSender<Outgoing>,
    call: &Call,
    what: &'static str,
    content: serde_json::Value,
) {
    let _ = outbox.send(Outgoing {
        room: call.room.clone(),
        call_id: call.id().to_owned(),
        what,
        content,
    });
}

fn find_mut<'a>(calls: &'a mut [Call], call_id: &str) -> Option<&'a mut Call> {
    calls.iter_mut().find(|call| call.id() == call_id)
}

fn to_json(content: &impl serde::Serialize) -> serde_json::Value {
    serde_json::to_value(content).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::offers_video;

    #[test]
    fn an_offer_with_a_live_video_section_is_a_video_call() {
        let audio = "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=sendrecv\r\n";
        assert!(!offers_video(audio));
        assert!(offers_video(&format!(
            "{audio}m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=sendrecv\r\n"
        )));
        assert!(offers_video(&format!(
            "{audio}m=video 0 UDP/TLS/RTP/SAVPF 96\r\na=bundle-only\r\n"
        )));
        assert!(!offers_video(&format!(
            "{audio}m=video 0 UDP/TLS/RTP/SAVPF 96\r\n"
        )));
        assert!(!offers_video(&format!(
            "{audio}m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=inactive\r\n"
        )));
    }
}
