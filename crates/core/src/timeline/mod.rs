//! A room's conversation: its live list of items, back-pagination, sending through the SDK's
//! persistent send queue, and retrying or cancelling what could not be sent. A thread is a
//! conversation of its own, opened from its first message.

mod drafts;
mod gestures;
mod mapping;
mod mentions;
mod people;
mod view;

use std::{collections::HashSet, sync::Arc, time::Duration};

use futures_util::StreamExt;
use matrix_sdk::{
    config::RequestConfig,
    reqwest::StatusCode,
    ruma::{EventId, OwnedEventId, OwnedRoomId, OwnedUserId},
    send_queue::{LocalEchoContent, RoomSendQueueUpdate, SendHandle},
};
use matrix_sdk_ui::timeline::{RoomExt, Timeline, TimelineEventFocusThreadMode, TimelineFocus};
use tracing::{instrument, warn};

pub use self::drafts::{Draft, DraftKind};
pub use self::gestures::{EventSource, OutgoingMessage};
pub(crate) use self::mapping::map_content;
pub use self::mentions::Mention;
pub use self::people::Permissions;
pub use self::view::{
    EmbeddedMessage, EventContent, MediaKind, MediaSummary, MembershipKind, Person, Quote,
    Reaction, ReplyTo, RoomSetting, SendState, Shield, ShieldReason, StateChange, ThreadSummary,
    TimelineEvent, TimelineItem, TimelineItemKind, UploadProgress, UtdReason,
};
use crate::{
    Account, Code, ListDiff, Subscription,
    rooms::{RoomError, parse_room_id},
};

#[derive(Debug, thiserror::Error)]
pub enum TimelineError {
    #[error(transparent)]
    /// A room ID that is not one.
    Room(#[from] RoomError),
    #[error("no room {0} is known to this account")]
    RoomNotFound(String),
    #[error("the conversation could not be opened: {0}")]
    Open(String),
    #[error("older messages could not be loaded: {0}")]
    Pagination(String),
    #[error("the message could not be queued: {0}")]
    Send(String),
    #[error("no unsent message has the transaction ID {0}")]
    UnsentMessageNotFound(String),
    #[error("the read receipt could not be sent: {0}")]
    Receipt(String),
    #[error("no message {0} is in this conversation")]
    EventNotFound(String),
    #[error("not a valid event ID: {0}")]
    InvalidEventId(String),
    #[error("the message answered could not be found: {0}")]
    Reply(String),
    #[error("the message could not be edited: {0}")]
    Edit(String),
    #[error("the message could not be deleted: {0}")]
    Redact(String),
    #[error("the reaction could not be sent: {0}")]
    React(String),
    #[error("the draft could not be kept: {0}")]
    Draft(String),
}

impl TimelineError {
    pub fn code(&self) -> Code {
        match self {
            Self::Room(error) => error.code(),
            Self::RoomNotFound(_) => Code::TimelineRoomNotFound,
            Self::Open(_) => Code::TimelineOpenFailed,
            Self::Pagination(_) => Code::TimelinePaginationFailed,
            Self::Send(_) => Code::TimelineSendFailed,
            Self::UnsentMessageNotFound(_) => Code::TimelineUnsentMessageNotFound,
            Self::Receipt(_) => Code::TimelineReceiptFailed,
            Self::EventNotFound(_) => Code::TimelineEventNotFound,
            Self::InvalidEventId(_) => Code::TimelineInvalidEventId,
            Self::Reply(_) => Code::TimelineReplyFailed,
            Self::Edit(_) => Code::TimelineEditFailed,
            Self::Redact(_) => Code::TimelineRedactFailed,
            Self::React(_) => Code::TimelineReactFailed,
            Self::Draft(_) => Code::TimelineDraftFailed,
        }
    }
}

/// The open conversation of one room, or of one thread in it. Keep it while it is shown; drop
/// it on close.
#[derive(Clone, Debug)]
pub struct RoomTimeline {
    room_id: OwnedRoomId,
    /// Whose account it is.
    own_user_id: OwnedUserId,
    /// Set for a thread's timeline: the thread's first message.
    thread_root: Option<OwnedEventId>,
    slot: Arc<TimelineSlot>,
}

/// How long one back-pagination may run before it is abandoned. Requests to the server time
/// out on their own (after 30 s); this bounds the SDK's waiting around them. A sync that resets
/// the room's event cache in the middle of a pagination once left a call pending for good (a CI
/// run stuck for five minutes); a fresh call picks the shared pagination up again.
const PAGINATION_ATTEMPT: Duration = Duration::from_secs(45);
const PAGINATION_ATTEMPTS: u32 = 2;

/// Events loaded around the message a history is opened around, both sides together (the
/// server's `/context` limit): about a screenful on each side.
const AROUND_CONTEXT_EVENTS: u16 = 60;

/// How many times one open room's timeline may be built again because it held an event twice.
const MAX_REBUILDS: u64 = 3;

/// What one update of a timeline subscription carries.
pub type TimelineUpdate = Vec<ListDiff<TimelineItem>>;

impl Account {
    /// Opens the timeline of a room this account knows (joined, or invited with a preview).
    /// Replies in threads are not in it: each thread opens with [`Account::thread`].
    #[instrument(skip(self), fields(account = %self.id()))]
    pub async fn timeline(&self, room_id: &str) -> Result<RoomTimeline, TimelineError> {
        self.open_timeline(room_id, None).await
    }

    /// Opens the thread that starts at `root_event_id` in a room.
    #[instrument(skip(self), fields(account = %self.id()))]
    pub async fn thread(
        &self,
        room_id: &str,
        root_event_id: &str,
    ) -> Result<RoomTimeline, TimelineError> {
        let root = parse_event_id(root_event_id)?;
        self.open_timeline(room_id, Some(root)).await
    }

    /// Opens a room's history around one message, however far back it is (a reply's quote or
    /// a link to a message, as Element does): the message with the events just before and
    /// after it, then older ones with [`RoomTimeline::paginate_backwards`] and newer ones
    /// with [`RoomTimeline::paginate_forwards`] until the present. New messages do not arrive
    /// in it: the live conversation is [`Account::timeline`].
    #[instrument(skip(self), fields(account = %self.id()))]
    pub async fn timeline_around(
        &self,
        room_id: &str,
        event_id: &str,
    ) -> Result<RoomTimeline, TimelineError> {
        let target = parse_event_id(event_id)?;
        let room = self.joined_or_invited(room_id)?;
        // Asked first so that a message the server does not give (deleted from history, never
        // visible to this user) is told as such, and anything else as a failure to open; a few
        // retries, not the default's quarter of an hour, while the person waits.
        if let Err(error) = room
            .load_or_fetch_event(&target, Some(RequestConfig::short_retry()))
            .await
        {
            let refused = error.as_client_api_error().is_some_and(|error| {
                matches!(
                    error.status_code,
                    StatusCode::NOT_FOUND | StatusCode::FORBIDDEN
                )
            });
            return Err(if refused {
                TimelineError::EventNotFound(event_id.to_owned())
            } else {
                TimelineError::Open(error.to_string())
            });
        }
        let focus = TimelineFocus::Event {
            target,
            num_context_events: AROUND_CONTEXT_EVENTS,
            // A message in a thread opens in its thread; any other with the thread replies
            // kept out, as in the live conversation.
            thread_mode: TimelineEventFocusThreadMode::Automatic {
                hide_threaded_events: true,
            },
        };
        let timeline = open_sdk_timeline(&room, &focus).await?;
        Ok(RoomTimeline {
            room_id: room.room_id().to_owned(),
            own_user_id: room.own_user_id().to_owned(),
            thread_root: None,
            slot: Arc::new(TimelineSlot::new(room, focus, timeline)),
        })
    }

    fn joined_or_invited(&self, room_id: &str) -> Result<matrix_sdk::Room, TimelineError> {
        let room_id = parse_room_id(room_id)?;
        self.client()
            .get_room(room_id)
            .ok_or_else(|| TimelineError::RoomNotFound(room_id.to_string()))
    }

    async fn open_timeline(
        &self,
        room_id: &str,
        thread_root: Option<OwnedEventId>,
    ) -> Result<RoomTimeline, TimelineError> {
        let room = self.joined_or_invited(room_id)?;
        let room_id = room.room_id();
        // Building a timeline subscribes to the room's event cache, then reads its events: a
        // sync that lands in between is taken twice, and one message shows twice (issue 9).
        // Nothing here should make that window longer or bring a sync into it: the encryption
        // state (a request to the server for a room just joined) is asked for first, and the
        // room is subscribed to only once its timeline listens.
        if let Err(error) = room.request_encryption_state().await {
            warn!(%error, "the room's encryption state is not known yet");
        }
        let focus = match &thread_root {
            Some(root) => TimelineFocus::Thread {
                root_event_id: root.clone(),
            },
            None => TimelineFocus::Live {
                hide_threaded_events: true,
            },
        };
        let timeline = open_sdk_timeline(&room, &focus).await?;
        // Without a subscription the open room syncs only as a list entry, one event at a
        // time: a burst then arrives as a "limited" sync, the event cache keeps only its last
        // chunk and the timeline is cleared, to be paginated again (issue 9). Subscribed, the
        // room gets a full timeline window and its state, as Element X does for an open room.
        self.sync_service()
            .room_list_service()
            .subscribe_to_rooms(&[room_id])
            .await;
        Ok(RoomTimeline {
            room_id: room_id.to_owned(),
            own_user_id: room.own_user_id().to_owned(),
            thread_root,
            slot: Arc::new(TimelineSlot::new(room, focus, timeline)),
        })
    }
}

/// Queues what `send` sends, and returns its transaction ID: the send handle does not tell it,
/// but the queue announces it, before `send` returns, to whoever listens.
pub(crate) async fn queued<E: std::fmt::Display>(
    room: &matrix_sdk::Room,
    send: impl Future<Output = Result<SendHandle, E>>,
) -> Result<String, String> {
    let (_, mut updates) = room
        .send_queue()
        .subscribe()
        .await
        .map_err(|error| error.to_string())?;
    let handle = send.await.map_err(|error| error.to_string())?;
    loop {
        match updates.try_recv() {
            Ok(RoomSendQueueUpdate::NewLocalEvent(echo)) => {
                if let LocalEchoContent::Event { send_handle, .. } = &echo.content
                    && send_handle.created_at == handle.created_at
                {
                    return Ok(echo.transaction_id.to_string());
                }
            }
            Ok(_) | Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) => {}
            Err(_) => return Err("the send queue did not announce the message".to_owned()),
        }
    }
}

/// The one reading of an event ID handed to the core.
pub(crate) fn parse_event_id(event_id: &str) -> Result<OwnedEventId, TimelineError> {
    EventId::parse(event_id.trim()).map_err(|_| TimelineError::InvalidEventId(event_id.to_owned()))
}

impl RoomTimeline {
    pub fn room_id(&self) -> &str {
        self.room_id.as_str()
    }

    /// The first message of the thread this timeline shows, if it shows one.
    pub fn thread_root(&self) -> Option<&str> {
        self.thread_root.as_deref().map(EventId::as_str)
    }

    /// The items as they are now, in one `Reset`, then each batch of changes.
    ///
    /// If the SDK's timeline ever holds one event twice (see [`Account::timeline`]), it is
    /// built again from the event cache, and this subscription starts over with a `Reset`: the
    /// copy is never shown.
    pub fn subscribe(&self) -> Subscription<TimelineUpdate> {
        let slot = self.slot.clone();
        let own_user_id = self.own_user_id.clone();
        Subscription::spawn(|sender| async move {
            'timeline: loop {
                let (generation, timeline) = slot.current();
                // Taking the items and the stream in one call guarantees that no change falls
                // between the snapshot and the first diff.
                let (items, mut stream) = timeline.subscribe().await;
                if holds_an_event_twice(&items) && slot.rebuild(generation).await {
                    continue 'timeline;
                }
                let reset = ListDiff::Reset {
                    values: items
                        .iter()
                        .map(|item| TimelineItem::from_sdk(item, &own_user_id))
                        .collect(),
                };
                if !sender.send(vec![reset]) {
                    return;
                }
                while let Some(diffs) = stream.next().await {
                    if slot.generation() != generation {
                        continue 'timeline;
                    }
                    if holds_an_event_twice(&timeline.items().await)
                        && slot.rebuild(generation).await
                    {
                        continue 'timeline;
                    }
                    let mut batch = Vec::with_capacity(diffs.len());
                    for diff in diffs {
                        let own_user_id = &own_user_id;
                        batch.push(
                            ListDiff::from_vector_diff(diff, |item| async move {
                                TimelineItem::from_sdk(&item, own_user_id)
                            })
                            .await,
                        );
                    }
                    if !sender.send(batch) {
                        return;
                    }
                }
                return;
            }
        })
    }

    /// The current items, without subscribing (CLI, tests).
    ///
    /// Like [`Self::subscribe`], never shows an event twice: a timeline holding a copy is
    /// built again first.
    pub async fn items(&self) -> Vec<TimelineItem> {
        let (mut generation, mut timeline) = self.slot.current();
        let mut items = timeline.items().await;
        while holds_an_event_twice(&items) && self.slot.rebuild(generation).await {
            (generation, timeline) = self.slot.current();
            items = timeline.items().await;
        }
        items
            .iter()
            .map(|item| TimelineItem::from_sdk(item, &self.own_user_id))
            .collect()
    }

    /// Loads up to `count` older events. Returns `true` once the start of the room is reached.
    ///
    /// Never waits forever: an attempt that has not returned after [`PAGINATION_ATTEMPT`] is
    /// abandoned and started again once, then reported as a failure the caller can retry.
    #[instrument(skip(self), fields(room_id = %self.room_id))]
    pub async fn paginate_backwards(&self, count: u16) -> Result<bool, TimelineError> {
        for attempt in 1..=PAGINATION_ATTEMPTS {
            match tokio::time::timeout(
                PAGINATION_ATTEMPT,
                self.slot.timeline().paginate_backwards(count),
            )
            .await
            {
                Ok(outcome) => {
                    return outcome.map_err(|error| TimelineError::Pagination(error.to_string()));
                }
                Err(_) => warn!(attempt, "a back-pagination did not return in time"),
            }
        }
        Err(TimelineError::Pagination(format!(
            "no answer after {} attempts of {} s",
            PAGINATION_ATTEMPTS,
            PAGINATION_ATTEMPT.as_secs()
        )))
    }

    /// Loads up to `count` newer events in a history opened around a message
    /// ([`Account::timeline_around`]). Returns `true` once the present is reached; always
    /// `true` for the live conversation, which has nothing newer to load.
    #[instrument(skip(self), fields(room_id = %self.room_id))]
    pub async fn paginate_forwards(&self, count: u16) -> Result<bool, TimelineError> {
        match tokio::time::timeout(
            PAGINATION_ATTEMPT,
            self.slot.timeline().paginate_forwards(count),
        )
        .await
        {
            Ok(outcome) => outcome.map_err(|error| TimelineError::Pagination(error.to_string())),
            Err(_) => Err(TimelineError::Pagination(format!(
                "no answer after {} s",
                PAGINATION_ATTEMPT.as_secs()
            ))),
        }
    }

    async fn send_handle(
        &self,
        transaction_id: &str,
    ) -> Result<matrix_sdk::send_queue::SendHandle, TimelineError> {
        self.slot
            .timeline()
            .items()
            .await
            .iter()
            .filter_map(|item| item.as_event())
            .find(|event| {
                event
                    .transaction_id()
                    .is_some_and(|txn| txn.as_str() == transaction_id)
            })
            .and_then(|event| event.local_echo_send_handle())
            .ok_or_else(|| TimelineError::UnsentMessageNotFound(transaction_id.to_owned()))
    }

    /// Sends again a message whose sending failed.
    pub async fn retry_send(&self, transaction_id: &str) -> Result<(), TimelineError> {
        self.send_handle(transaction_id)
            .await?
            .unwedge()
            .await
            .map_err(|error| TimelineError::Send(error.to_string()))
    }

    /// Removes a message that has not been sent yet. Returns `false` if it was sent meanwhile.
    pub async fn cancel_send(&self, transaction_id: &str) -> Result<bool, TimelineError> {
        self.send_handle(transaction_id)
            .await?
            .abort()
            .await
            .map_err(|error| TimelineError::Send(error.to_string()))
    }
}

async fn open_sdk_timeline(
    room: &matrix_sdk::Room,
    focus: &TimelineFocus,
) -> Result<Arc<Timeline>, TimelineError> {
    // The room's builder tracks read receipts and the read marker; `TimelineBuilder::new`
    // would not.
    room.timeline_builder()
        .with_focus(focus.clone())
        .build()
        .await
        .map(Arc::new)
        .map_err(|error| TimelineError::Open(error.to_string()))
}

/// Whether two items of the SDK's timeline are the same event from the server. Local echoes
/// do not count: the SDK merges each one with its remote echo itself.
fn holds_an_event_twice<'a>(
    items: impl IntoIterator<Item = &'a Arc<matrix_sdk_ui::timeline::TimelineItem>>,
) -> bool {
    let mut seen = HashSet::new();
    items
        .into_iter()
        .filter_map(|item| item.as_event())
        .filter(|event| !event.is_local_echo())
        .filter_map(|event| event.event_id())
        .any(|event_id| !seen.insert(event_id))
}

/// The SDK timeline a [`RoomTimeline`] reads, replaced by a new one built from the event cache
/// when it holds an event twice. The generation tells each subscription that its timeline was
/// replaced, so that several of them rebuild once, not once each.
#[derive(Debug)]
struct TimelineSlot {
    room: matrix_sdk::Room,
    focus: TimelineFocus,
    current: std::sync::Mutex<(u64, Arc<Timeline>)>,
    rebuilding: tokio::sync::Mutex<()>,
}

impl TimelineSlot {
    fn new(room: matrix_sdk::Room, focus: TimelineFocus, timeline: Arc<Timeline>) -> Self {
        Self {
            room,
            focus,
            current: std::sync::Mutex::new((0, timeline)),
            rebuilding: tokio::sync::Mutex::new(()),
        }
    }

    fn current(&self) -> (u64, Arc<Timeline>) {
        let current = self
            .current
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        (current.0, current.1.clone())
    }

    fn timeline(&self) -> Arc<Timeline> {
        self.current().1
    }

    fn generation(&self) -> u64 {
        self.current().0
    }

    /// Replaces the timeline of `generation` by a new one. Returns whether the slot now holds
    /// a newer timeline than `generation` (built here or by another subscription).
    async fn rebuild(&self, generation: u64) -> bool {
        let _one_at_a_time = self.rebuilding.lock().await;
        if self.generation() != generation {
            return true;
        }
        if generation >= MAX_REBUILDS {
            // Showing a copy is better than building timelines without end.
            return false;
        }
        warn!("the timeline held one event twice; building it again from the event cache");
        match open_sdk_timeline(&self.room, &self.focus).await {
            Ok(timeline) => {
                let mut current = self
                    .current
                    .lock()
                    .unwrap_or_else(|poison| poison.into_inner());
                *current = (generation + 1, timeline);
                true
            }
            Err(error) => {
                warn!(%error, "the timeline could not be built again");
                false
            }
        }
    }
}
