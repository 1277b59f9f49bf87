//! Alerts: the events that this user's push rules say notify, as [`Notice`]s a front end shows.
//!
//! The SDK evaluates the push rules on each event sync delivers, after decrypting it, and
//! hands those that notify to a handler registered on the client. The handler runs inside
//! sync's processing, so it only queues them; a task of the account then leaves out what must
//! not alert, describes the rest for people, and gathers bursts ([`super::burst`]):
//! - the catch-up after a start (Element stays quiet until it is up to date too), and events
//!   older than two minutes (a laptop waking up), so that opening the app is not a flood;
//! - one's own messages (the rules never match them), edits, and anything read already, here
//!   or on another device (the read receipt is checked when the alert is due);
//! - an event seen twice (sliding sync sends a room's latest events again when its window
//!   changes): at most one alert per event;
//! - an invitation to a room that was already an invitation when the account started.
//!
//! A message that could not be decrypted yet (its key arriving just after it) is tried again
//! for a few seconds, then its push rules are evaluated again on the decrypted message: in a
//! room set to mentions only, it alerts only if it mentions the user. One that stays
//! undecryptable alerts as such, as the server's rules for encrypted messages say.
//!
//! Nothing here logs what a message says.

use std::{
    collections::{HashSet, VecDeque},
    sync::{
        Arc,
        atomic::{AtomicBool, Ordering},
    },
    time::Duration,
};

use eyeball::SharedObservable;
use matrix_sdk::{
    Client, Room, RoomState,
    deserialized_responses::RawAnySyncOrStrippedTimelineEvent,
    ruma::{
        MilliSecondsSinceUnixEpoch, OwnedEventId, OwnedRoomId, UserId,
        events::{
            AnyStrippedStateEvent, AnySyncMessageLikeEvent, AnySyncStateEvent,
            AnySyncTimelineEvent, SyncMessageLikeEvent, SyncStateEvent,
            poll::unstable_start::UnstablePollStartEventContent,
            receipt::{ReceiptThread, ReceiptType},
            room::{
                encrypted::OriginalSyncRoomEncryptedEvent,
                member::MembershipState,
                message::{MessageType, Relation, sanitize::remove_plain_reply_fallback},
            },
        },
        push::Action,
        serde::Raw,
    },
    sync::Notification,
};
use serde::Serialize;
use tokio::{
    sync::{broadcast, mpsc},
    task::JoinHandle,
    time::Instant,
};
use tracing::debug;

use super::burst::Bursts;
use crate::{Subscription, sync::SyncState};

/// A room's later messages within this window alert together.
const BURST_WINDOW: Duration = Duration::from_secs(3);
/// Events older than this when they arrive are history, not news.
const OLDEST_NEWS: Duration = Duration::from_secs(120);
/// How many events are remembered as alerted already.
const REMEMBERED_EVENTS: usize = 2_000;
/// The waits before each new attempt at decrypting a message whose key has not arrived.
const DECRYPTION_RETRIES: [Duration; 4] = [
    Duration::from_millis(500),
    Duration::from_secs(1),
    Duration::from_secs(2),
    Duration::from_secs(4),
];
/// The longest text an alert carries: notifications show two or three lines.
const TEXT_MAX_CHARS: usize = 300;
/// How many of a burst's messages an alert carries (the count says how many there were).
const MESSAGES_PER_NOTICE: usize = 5;

/// An alert: a room's messages that notify, one or several (a burst).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Notice {
    pub room_id: String,
    /// The room's name as the room list shows it (for a conversation between two people, the
    /// other person's name).
    pub room_name: String,
    pub is_direct: bool,
    /// The newest messages of the alert, oldest first (at most five).
    pub messages: Vec<NoticeMessage>,
    /// How many messages the alert stands for.
    pub count: u32,
    /// One of them mentions the user (or holds a keyword): a stronger sound.
    pub highlight: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct NoticeMessage {
    pub event_id: String,
    pub sender_id: String,
    pub sender_name: String,
    pub content: NoticeContent,
    pub highlight: bool,
}

/// What a message is, in as many words as a notification needs.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum NoticeContent {
    /// Its text, without the quote of the message it answers, at most 300 characters.
    Text {
        text: String,
    },
    /// "/me" text: shown after the sender's name.
    Emote {
        text: String,
    },
    Image,
    Video,
    Audio,
    VoiceMessage,
    File {
        name: String,
    },
    Sticker,
    Location,
    Poll {
        question: String,
    },
    /// An invitation to the room, from the sender.
    Invite,
    Call,
    /// Encrypted with a key this device does not have (yet).
    Undecryptable,
}

/// An event the SDK said notifies, queued by the handler.
struct Candidate {
    room: Room,
    actions: Vec<Action>,
    event: RawAnySyncOrStrippedTimelineEvent,
    /// A message decrypted after sync could not: its actions are already those of its
    /// decrypted content, and it is not tried again.
    retried: bool,
}

/// A message that will alert, waiting for its room's burst window.
#[derive(Clone, Debug)]
struct Pending {
    message: NoticeMessage,
    /// `None` for invitations (stripped events carry no time, and there is no receipt).
    timestamp: Option<MilliSecondsSinceUnixEpoch>,
    event_id: Option<OwnedEventId>,
}

/// The account's alerts: whoever subscribes gets each [`Notice`] from then on.
#[derive(Debug, Clone)]
pub(crate) struct Alerts {
    notices: broadcast::Sender<Notice>,
}

impl Alerts {
    pub(crate) fn new() -> Self {
        Self {
            notices: broadcast::channel(64).0,
        }
    }

    pub(crate) fn subscribe(&self) -> Subscription<Notice> {
        let mut notices = self.notices.subscribe();
        Subscription::spawn(|sender| async move {
            loop {
                match notices.recv().await {
                    Ok(notice) => {
                        if !sender.send(notice) {
                            return;
                        }
                    }
                    // A subscriber that fell 64 alerts behind has shown enough of them.
                    Err(broadcast::error::RecvError::Lagged(_)) => {}
                    Err(broadcast::error::RecvError::Closed) => return,
                }
            }
        })
    }

    /// Registers the SDK's handler on `client` and starts the tasks that turn what it hands
    /// over into notices. Call once, before sync starts.
    pub(crate) async fn start(
        &self,
        client: &Client,
        sync_state: &SharedObservable<SyncState>,
    ) -> Vec<JoinHandle<()>> {
        let caught_up = Arc::new(AtomicBool::new(false));
        let watch_catch_up = tokio::spawn({
            let caught_up = caught_up.clone();
            let mut states = sync_state.subscribe();
            async move {
                loop {
                    if states.get() == SyncState::UpToDate {
                        caught_up.store(true, Ordering::SeqCst);
                        return;
                    }
                    if states.next().await.is_none() {
                        return;
                    }
                }
            }
        });
        let invited_at_start: HashSet<OwnedRoomId> = client
            .invited_rooms()
            .iter()
            .map(|room| room.room_id().to_owned())
            .collect();
        let (queue, candidates) = mpsc::unbounded_channel();
        client
            .register_notification_handler({
                let queue = queue.clone();
                move |Notification { actions, event }, room, _client| {
                    // Read when the event arrives, not when the task gets to it: the catch-up
                    // ends as soon as its responses are processed.
                    if caught_up.load(Ordering::SeqCst) {
                        let _ = queue.send(Candidate {
                            room,
                            actions,
                            event,
                            retried: false,
                        });
                    }
                    async {}
                }
            })
            .await;
        let describe = tokio::spawn(
            Describer {
                client: client.clone(),
                queue,
                notices: self.notices.clone(),
                seen: RecentIds::new(REMEMBERED_EVENTS),
                invited_at_start,
                bursts: Bursts::new(BURST_WINDOW),
            }
            .run(candidates),
        );
        vec![watch_catch_up, describe]
    }
}

/// The events remembered as alerted, the oldest forgotten first.
struct RecentIds {
    capacity: usize,
    order: VecDeque<String>,
    set: HashSet<String>,
}

impl RecentIds {
    fn new(capacity: usize) -> Self {
        Self {
            capacity,
            order: VecDeque::new(),
            set: HashSet::new(),
        }
    }

    /// `true` the first time `id` is seen.
    fn insert(&mut self, id: String) -> bool {
        if self.set.contains(&id) {
            return false;
        }
        if self.order.len() == self.capacity
            && let Some(oldest) = self.order.pop_front()
        {
            self.set.remove(&oldest);
        }
        self.order.push_back(id.clone());
        self.set.insert(id);
        true
    }
}

struct Describer {
    client: Client,
    /// For messages decrypted later, which come back as candidates.
    queue: mpsc::UnboundedSender<Candidate>,
    notices: broadcast::Sender<Notice>,
    seen: RecentIds,
    invited_at_start: HashSet<OwnedRoomId>,
    bursts: Bursts<OwnedRoomId, Pending>,
}

impl Describer {
    async fn run(mut self, mut candidates: mpsc::UnboundedReceiver<Candidate>) {
        loop {
            let due = self.bursts.next_due();
            tokio::select! {
                candidate = candidates.recv() => {
                    let Some(candidate) = candidate else { return };
                    let room = candidate.room.clone();
                    if let Some(pending) = self.consider(candidate).await
                        && let Some(now) = self.bursts.arrive(room.room_id().to_owned(), pending, Instant::now())
                    {
                        self.alert(&room, now).await;
                    }
                }
                () = sleep_until(due) => {
                    for (room_id, held) in self.bursts.take_due(Instant::now()) {
                        if let Some(room) = self.client.get_room(&room_id) {
                            self.alert(&room, held).await;
                        }
                    }
                }
            }
        }
    }

    /// What a candidate alerts with, or `None` when it must not alert.
    async fn consider(&mut self, candidate: Candidate) -> Option<Pending> {
        let Candidate {
            room,
            actions,
            event,
            retried,
        } = candidate;
        let highlight = actions.iter().any(Action::is_highlight);
        match event {
            RawAnySyncOrStrippedTimelineEvent::Sync(raw) => {
                let event = raw.deserialize().ok()?;
                let event_id = event.event_id().to_owned();
                if is_old(event.origin_server_ts()) {
                    return None;
                }
                let content = match describe_timeline_event(&event, room.own_user_id()) {
                    // An invitation already answered (sync gives it again in the room's
                    // history once joined) is no news.
                    Described::Content(NoticeContent::Invite)
                        if room.state() != RoomState::Invited =>
                    {
                        return None;
                    }
                    Described::Content(content) => content,
                    Described::Nothing => return None,
                    Described::Encrypted if retried => NoticeContent::Undecryptable,
                    Described::Encrypted => {
                        tokio::spawn(decrypt_later(
                            room,
                            raw.cast_unchecked(),
                            self.queue.clone(),
                        ));
                        return None;
                    }
                };
                if !self.seen.insert(event_id.to_string()) {
                    return None;
                }
                let sender = event.sender().to_owned();
                Some(Pending {
                    message: NoticeMessage {
                        event_id: event_id.to_string(),
                        sender_name: sender_name(&room, &sender).await,
                        sender_id: sender.to_string(),
                        content,
                        highlight,
                    },
                    timestamp: Some(event.origin_server_ts()),
                    event_id: Some(event_id),
                })
            }
            RawAnySyncOrStrippedTimelineEvent::Stripped(raw) => {
                let AnyStrippedStateEvent::RoomMember(member) = raw.deserialize().ok()? else {
                    return None;
                };
                if member.state_key != room.own_user_id()
                    || member.content.membership != MembershipState::Invite
                    || room.state() != RoomState::Invited
                    || self.invited_at_start.contains(room.room_id())
                    || !self.seen.insert(format!("invite {}", room.room_id()))
                {
                    return None;
                }
                let inviter = member.sender;
                let inviter_name = sender_name(&room, &inviter).await;
                Some(Pending {
                    message: NoticeMessage {
                        event_id: String::new(),
                        sender_id: inviter.to_string(),
                        sender_name: inviter_name,
                        content: NoticeContent::Invite,
                        highlight,
                    },
                    timestamp: None,
                    event_id: None,
                })
            }
        }
    }

    /// Sends the notice of `room`'s messages that are still unread.
    async fn alert(&self, room: &Room, pending: Vec<Pending>) {
        let mut messages = Vec::with_capacity(pending.len());
        for item in pending {
            if !is_read(room, &item).await {
                messages.push(item.message);
            }
        }
        if messages.is_empty() {
            return;
        }
        let count = u32::try_from(messages.len()).unwrap_or(u32::MAX);
        let highlight = messages.iter().any(|message| message.highlight);
        let skip = messages.len().saturating_sub(MESSAGES_PER_NOTICE);
        let notice = Notice {
            room_id: room.room_id().to_string(),
            room_name: room_name(room).await,
            is_direct: room.is_direct().await.unwrap_or(false),
            messages: messages.into_iter().skip(skip).collect(),
            count,
            highlight,
        };
        debug!(room = %room.room_id(), count, "alert");
        // No subscriber (no window yet): nobody to alert.
        let _ = self.notices.send(notice);
    }
}

async fn sleep_until(due: Option<Instant>) {
    match due {
        Some(due) => tokio::time::sleep_until(due).await,
        None => std::future::pending().await,
    }
}

fn is_old(timestamp: MilliSecondsSinceUnixEpoch) -> bool {
    let now = u64::from(MilliSecondsSinceUnixEpoch::now().get());
    let sent = u64::from(timestamp.get());
    now.saturating_sub(sent) > OLDEST_NEWS.as_millis() as u64
}

enum Described {
    Content(NoticeContent),
    /// Still encrypted: its key has not arrived.
    Encrypted,
    /// Notifies by the rules, but is nothing to show (an edit, a deleted message, a change
    /// of the room's settings).
    Nothing,
}

fn describe_timeline_event(event: &AnySyncTimelineEvent, me: &UserId) -> Described {
    use AnySyncMessageLikeEvent as M;
    let content = match event {
        AnySyncTimelineEvent::MessageLike(M::RoomMessage(SyncMessageLikeEvent::Original(
            message,
        ))) => {
            if matches!(message.content.relates_to, Some(Relation::Replacement(_))) {
                return Described::Nothing;
            }
            match &message.content.msgtype {
                MessageType::Text(text) => NoticeContent::Text {
                    text: shorten(remove_plain_reply_fallback(&text.body)),
                },
                MessageType::Notice(notice) => NoticeContent::Text {
                    text: shorten(remove_plain_reply_fallback(&notice.body)),
                },
                MessageType::Emote(emote) => NoticeContent::Emote {
                    text: shorten(remove_plain_reply_fallback(&emote.body)),
                },
                MessageType::Image(_) => NoticeContent::Image,
                MessageType::Video(_) => NoticeContent::Video,
                MessageType::Audio(audio) if audio.voice.is_some() => NoticeContent::VoiceMessage,
                MessageType::Audio(_) => NoticeContent::Audio,
                MessageType::File(file) => NoticeContent::File {
                    name: shorten(file.filename.as_deref().unwrap_or(&file.body)),
                },
                MessageType::Location(_) => NoticeContent::Location,
                other => NoticeContent::Text {
                    text: shorten(other.body()),
                },
            }
        }
        AnySyncTimelineEvent::MessageLike(M::RoomEncrypted(SyncMessageLikeEvent::Original(_))) => {
            return Described::Encrypted;
        }
        AnySyncTimelineEvent::MessageLike(M::Sticker(SyncMessageLikeEvent::Original(_))) => {
            NoticeContent::Sticker
        }
        AnySyncTimelineEvent::MessageLike(M::PollStart(SyncMessageLikeEvent::Original(poll))) => {
            NoticeContent::Poll {
                question: shorten(poll.content.poll.question.text.find_plain().unwrap_or("")),
            }
        }
        AnySyncTimelineEvent::MessageLike(M::UnstablePollStart(
            SyncMessageLikeEvent::Original(poll),
        )) => NoticeContent::Poll {
            question: shorten(match &poll.content {
                UnstablePollStartEventContent::New(new) => &new.poll_start.question.text,
                _ => return Described::Nothing,
            }),
        },
        AnySyncTimelineEvent::MessageLike(M::CallInvite(SyncMessageLikeEvent::Original(_))) => {
            NoticeContent::Call
        }
        AnySyncTimelineEvent::State(AnySyncStateEvent::RoomMember(SyncStateEvent::Original(
            member,
        ))) if member.state_key == me && member.content.membership == MembershipState::Invite => {
            NoticeContent::Invite
        }
        _ => return Described::Nothing,
    };
    Described::Content(content)
}

/// At most [`TEXT_MAX_CHARS`] characters, cut at a character, an ellipsis when cut.
fn shorten(text: &str) -> String {
    let text = text.trim();
    match text.char_indices().nth(TEXT_MAX_CHARS) {
        Some((cut, _)) => format!("{}…", text[..cut].trim_end()),
        None => text.to_owned(),
    }
}

/// Tries again to decrypt a message that sync could not, while its key may still arrive;
/// once decrypted, it goes back to the queue with the actions of its decrypted content.
async fn decrypt_later(
    room: Room,
    raw: Raw<OriginalSyncRoomEncryptedEvent>,
    queue: mpsc::UnboundedSender<Candidate>,
) {
    for wait in DECRYPTION_RETRIES {
        tokio::time::sleep(wait).await;
        let push_context = room.push_context().await.ok().flatten();
        let Ok(decrypted) = room.decrypt_event(&raw, push_context.as_ref()).await else {
            continue;
        };
        if decrypted.kind.is_utd() {
            continue;
        }
        let actions = decrypted.push_actions().map(<[Action]>::to_vec);
        let Some(actions) = actions.filter(|actions| actions.iter().any(Action::should_notify))
        else {
            // Decrypted, it does not notify (a plain message in a room set to mentions only).
            return;
        };
        let _ = queue.send(Candidate {
            room,
            actions,
            event: RawAnySyncOrStrippedTimelineEvent::Sync(decrypted.into_raw()),
            retried: true,
        });
        return;
    }
    // Still undecryptable: it alerts as what it is.
    let actions = room
        .event_push_actions(&raw)
        .await
        .ok()
        .flatten()
        .unwrap_or_default();
    let _ = queue.send(Candidate {
        room,
        actions,
        event: RawAnySyncOrStrippedTimelineEvent::Sync(raw.cast_unchecked()),
        retried: true,
    });
}

/// Whether this user has read the message, on this device or another: their read receipt
/// (public or private) is on it or on a later message.
async fn is_read(room: &Room, pending: &Pending) -> bool {
    let (Some(event_id), Some(timestamp)) = (&pending.event_id, pending.timestamp) else {
        return false;
    };
    let me = room.own_user_id();
    for receipt_type in [ReceiptType::Read, ReceiptType::ReadPrivate] {
        for thread in [ReceiptThread::Unthreaded, ReceiptThread::Main] {
            let Ok(Some((receipt_event, _))) = room
                .load_user_receipt(receipt_type.clone(), thread, me)
                .await
            else {
                continue;
            };
            if &receipt_event == event_id {
                return true;
            }
            let later = room
                .load_or_fetch_event(&receipt_event, None)
                .await
                .ok()
                .and_then(|event| event.timestamp())
                .is_some_and(|receipt_ts| receipt_ts > timestamp);
            if later {
                return true;
            }
        }
    }
    false
}

async fn sender_name(room: &Room, sender: &UserId) -> String {
    match room.get_member_no_sync(sender).await {
        Ok(Some(member)) => member.name().to_owned(),
        _ => sender.localpart().to_owned(),
    }
}

async fn room_name(room: &Room) -> String {
    match room.display_name().await {
        Ok(name) => name.to_string(),
        Err(_) => room
            .cached_display_name()
            .map(|name| name.to_string())
            .unwrap_or_else(|| room.room_id().to_string()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn remembered_ids_forget_the_oldest_first() {
        let mut ids = RecentIds::new(2);
        assert!(ids.insert("a".into()));
        assert!(!ids.insert("a".into()));
        assert!(ids.insert("b".into()));
        assert!(ids.insert("c".into()));
        assert!(ids.insert("a".into()), "the oldest was forgotten");
        assert!(!ids.insert("c".into()));
    }

    #[test]
    fn long_texts_are_cut_at_a_character() {
        assert_eq!(shorten("  bonjour  "), "bonjour");
        let long = "é".repeat(400);
        let short = shorten(&long);
        assert_eq!(short.chars().count(), TEXT_MAX_CHARS + 1);
        assert!(short.ends_with('…'));
    }
}
