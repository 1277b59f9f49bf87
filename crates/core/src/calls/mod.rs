//! Calls between two people, as Element and Tchap place them in direct conversations: Matrix's
//! 1:1 VoIP, version 1 (`m.call.invite`, `answer`, `candidates`, `select_answer`, `negotiate`,
//! `hangup`, `reject` in the room, encrypted in an encrypted room).
//!
//! `account.calls()` places, accepts, declines and ends calls, and lists them live. The audio and
//! video are not here: the signalling drives a [`media::MediaEngine`] given by the front end
//! (the desktop app's is GStreamer's, in the `estafette-calls` crate), so that the core and the
//! CLI build without a media stack and the engine can later carry group calls too.
//!
//! - [`signalling`]: one task per account owns every call; the room's events, the user's
//!   gestures, the engine's reports and the timers reach it in order, through one channel.
//! - [`relays`]: the homeserver's TURN servers, fetched once and again before they expire.

mod history;
pub mod media;
mod relays;
mod signalling;

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use eyeball::SharedObservable;
use matrix_sdk::Client;
use matrix_sdk_ui::sync_service::SyncService;
use serde::Serialize;
use tokio::{
    sync::{mpsc, oneshot},
    task::JoinHandle,
};

use crate::{Account, Code, Subscription};
pub use history::{CallOutcome, CallRecord};
use media::MediaEngine;
pub(crate) use signalling::offers_video;
use signalling::{Gesture, Input};

impl Account {
    /// This account's calls.
    pub fn calls(&self) -> Calls<'_> {
        Calls { account: self }
    }
}

/// Who placed a call.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum CallDirection {
    Incoming,
    Outgoing,
}

/// Where a call stands.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case", tag = "state", content = "reason")]
pub enum CallState {
    /// Someone calls this user; not answered yet.
    Ringing,
    /// This user calls; the other side has not answered yet.
    Calling,
    /// Answered: the two sides are reaching each other.
    Connecting,
    Connected,
    /// The connection dropped; waiting for it to come back.
    Reconnecting,
    Ended(CallEnd),
}

/// Why a call ended, in words a person understands once translated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum CallEnd {
    /// This user hung up.
    HungUpHere,
    /// The other side hung up.
    HungUp,
    /// This user declined the call.
    DeclinedHere,
    /// The other side declined.
    Declined,
    /// Nobody answered this user's call in time.
    NoAnswer,
    /// A call to this user rang out, or its caller gave up before it was answered.
    Missed,
    /// The other side is in another call.
    Busy,
    /// Answered on another of this user's devices.
    AnsweredElsewhere,
    /// Declined on another of this user's devices.
    DeclinedElsewhere,
    /// The two sides could not reach each other, or lost each other for good.
    ConnectionFailed,
    /// The microphone or camera could not be opened.
    DeviceFailed,
    /// The other side's device could not open its microphone or camera.
    PeerDeviceFailed,
    /// The call's messages could not be sent.
    SignallingFailed,
    /// The other person left the conversation.
    PeerLeft,
}

/// One call, as the call screen shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CallView {
    pub call_id: String,
    pub room_id: String,
    /// The other person's Matrix ID.
    pub peer: String,
    pub direction: CallDirection,
    /// Whether the call was placed with video.
    pub video: bool,
    pub state: CallState,
    /// When media started to flow (milliseconds since the epoch): the screen counts from it.
    pub connected_at_ms: Option<u64>,
    pub microphone_muted: bool,
    pub camera_on: bool,
    /// The other person put the call on hold: nothing is sent or played until they take it
    /// back.
    pub held_by_peer: bool,
}

impl CallView {
    pub fn is_ended(&self) -> bool {
        matches!(self.state, CallState::Ended(_))
    }
}

/// Why a call gesture was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    #[error("calls are placed in a conversation with exactly one other person")]
    NotADirectConversation,
    #[error("no conversation {0} is known to this account")]
    RoomNotFound(String),
    #[error("this user is already in a call")]
    AlreadyInCall,
    #[error("no such call is going on")]
    NotFound,
    #[error("calls cannot be made on this machine: {0}")]
    NoMedia(String),
    #[error("the microphone or camera could not be opened: {0}")]
    Device(String),
    #[error("the server cannot be reached")]
    Offline,
}

impl CallError {
    pub fn code(&self) -> Code {
        match self {
            Self::NotADirectConversation => Code::CallNotADirectConversation,
            Self::RoomNotFound(_) => Code::CallRoomNotFound,
            Self::AlreadyInCall => Code::CallAlreadyInCall,
            Self::NotFound => Code::CallNotFound,
            Self::NoMedia(_) => Code::CallNoMedia,
            Self::Device(_) => Code::CallDevice,
            Self::Offline => Code::CallOffline,
        }
    }
}

/// The calls of one account: the signalling task and what it shares with the handle.
#[derive(Debug)]
pub(crate) struct CallsState {
    inputs: mpsc::UnboundedSender<Input>,
    calls: SharedObservable<Vec<CallView>>,
    settings: Arc<CallSettings>,
}

/// What the front end chooses for every call.
#[derive(Debug, Default)]
pub(crate) struct CallSettings {
    engine: Mutex<Option<Arc<dyn MediaEngine>>>,
    relay_only: AtomicBool,
    /// How long this user's calls ring before ending unanswered; the spec's 90 s by default.
    ring_for: Mutex<Option<Duration>>,
}

impl CallSettings {
    fn ring_for(&self) -> Duration {
        self.ring_for
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .unwrap_or(signalling::INVITE_LIFETIME)
    }

    fn engine(&self) -> Option<Arc<dyn MediaEngine>> {
        self.engine
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    fn relay_only(&self) -> bool {
        self.relay_only.load(Ordering::Relaxed)
    }
}

impl CallsState {
    /// Registers the handlers of the call events (before sync starts, so that none is missed)
    /// and starts the account's signalling task.
    pub(crate) fn start(
        client: &Client,
        sync_service: &Arc<SyncService>,
    ) -> (Self, JoinHandle<()>) {
        let (inputs, receiver) = mpsc::unbounded_channel();
        let calls = SharedObservable::new(Vec::new());
        let settings = Arc::new(CallSettings::default());
        signalling::listen(client, &inputs);
        let task = tokio::spawn(signalling::run(
            client.clone(),
            sync_service.clone(),
            receiver,
            inputs.clone(),
            calls.clone(),
            settings.clone(),
        ));
        (
            Self {
                inputs,
                calls,
                settings,
            },
            task,
        )
    }
}

/// The calls of one account (`account.calls()`).
#[derive(Clone, Copy, Debug)]
pub struct Calls<'a> {
    account: &'a Account,
}

impl Calls<'_> {
    fn state(&self) -> &CallsState {
        self.account.calls_state()
    }

    /// The engine that carries the sound and pictures of this account's calls. Without one,
    /// calls still ring but cannot be placed or answered.
    pub fn use_engine(&self, engine: Arc<dyn MediaEngine>) {
        *self
            .state()
            .settings
            .engine
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(engine);
    }

    /// Only relayed connections: the other side never learns this machine's addresses (it
    /// needs the homeserver's TURN server).
    pub fn set_relay_only(&self, relay_only: bool) {
        self.state()
            .settings
            .relay_only
            .store(relay_only, Ordering::Relaxed);
    }

    /// How long this user's calls ring on the other side before ending as unanswered
    /// (between 5 s and 5 min; 90 s, the spec's recommended minimum, unless set).
    pub fn set_ring_duration(&self, duration: Duration) {
        let bounded = duration.clamp(Duration::from_secs(5), Duration::from_secs(300));
        *self
            .state()
            .settings
            .ring_for
            .lock()
            .unwrap_or_else(|e| e.into_inner()) = Some(bounded);
    }

    /// The calls going on, and those ended but not dismissed yet; then each change.
    pub fn list(&self) -> Subscription<Vec<CallView>> {
        let mut calls = self.state().calls.subscribe();
        Subscription::spawn(|sender| async move {
            if !sender.send(calls.get()) {
                return;
            }
            while let Some(current) = calls.next().await {
                if !sender.send(current) {
                    return;
                }
            }
        })
    }

    pub fn current(&self) -> Vec<CallView> {
        self.state().calls.get()
    }

    /// The calls of a conversation, each with what became of it (answered and for how long,
    /// declined, missed), for its timeline; then each change. Only the calls whose invite is
    /// loaded are listed: older ones come with back-pagination.
    ///
    /// Sent whole on each change rather than as diffs: a conversation's loaded calls are few,
    /// and one answer or hangup changes one of them.
    pub fn history(&self, room_id: &str) -> Result<Subscription<Vec<CallRecord>>, CallError> {
        let client = self.account.client();
        let room = matrix_sdk::ruma::RoomId::parse(room_id)
            .ok()
            .and_then(|id| client.get_room(&id))
            .ok_or_else(|| CallError::RoomNotFound(room_id.to_owned()))?;
        let me = client.user_id().ok_or(CallError::Offline)?.to_owned();
        Ok(history::watch(room, me))
    }

    async fn ask(
        &self,
        gesture: impl FnOnce(oneshot::Sender<Result<String, CallError>>) -> Gesture,
    ) -> Result<String, CallError> {
        let (reply, answer) = oneshot::channel();
        self.state()
            .inputs
            .send(Input::Gesture(gesture(reply)))
            .map_err(|_| CallError::NotFound)?;
        answer.await.map_err(|_| CallError::NotFound)?
    }

    /// Calls the other person of a direct conversation; returns the call's ID.
    pub async fn place(&self, room_id: &str, video: bool) -> Result<String, CallError> {
        let room_id = room_id.to_owned();
        self.ask(|reply| Gesture::Place {
            room_id,
            video,
            reply,
        })
        .await
    }

    /// Answers a ringing call, with the camera or without.
    pub async fn accept(&self, call_id: &str, video: bool) -> Result<(), CallError> {
        let call_id = call_id.to_owned();
        self.ask(|reply| Gesture::Accept {
            call_id,
            video,
            reply,
        })
        .await
        .map(drop)
    }

    /// Declines a ringing call on every device of this user.
    pub async fn decline(&self, call_id: &str) -> Result<(), CallError> {
        let call_id = call_id.to_owned();
        self.ask(|reply| Gesture::Decline { call_id, reply })
            .await
            .map(drop)
    }

    /// Ends a call, whether it was answered or still calling.
    pub async fn hang_up(&self, call_id: &str) -> Result<(), CallError> {
        let call_id = call_id.to_owned();
        self.ask(|reply| Gesture::HangUp { call_id, reply })
            .await
            .map(drop)
    }

    pub async fn set_microphone_muted(&self, call_id: &str, muted: bool) -> Result<(), CallError> {
        let call_id = call_id.to_owned();
        self.ask(|reply| Gesture::Microphone {
            call_id,
            muted,
            reply,
        })
        .await
        .map(drop)
    }

    pub async fn set_camera_on(&self, call_id: &str, on: bool) -> Result<(), CallError> {
        let call_id = call_id.to_owned();
        self.ask(|reply| Gesture::Camera { call_id, on, reply })
            .await
            .map(drop)
    }

    /// Forgets an ended call (the screen that told how it ended was closed).
    pub fn dismiss(&self, call_id: &str) {
        let _ = self.state().inputs.send(Input::Dismiss(call_id.to_owned()));
    }
}
