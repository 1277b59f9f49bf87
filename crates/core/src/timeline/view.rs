//! Our own view-model of a conversation: what front ends display. They never see SDK types,
//! and never a key: encrypted media is described by its mxc URI only, to be fetched and
//! decrypted by the core. `mapping` builds these from matrix-sdk-ui's items.

use serde::Serialize;

/// One row of a conversation.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TimelineItem {
    /// Stable across updates of the same item (local echo → sent, edits, decryption).
    pub id: String,
    #[serde(flatten)]
    pub kind: TimelineItemKind,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum TimelineItemKind {
    Event(Box<TimelineEvent>),
    /// Starts a new day; milliseconds since the Unix epoch, on that day (local time).
    DaySeparator {
        timestamp_ms: u64,
    },
    /// Everything below arrived after the user last read this room.
    ReadMarker,
    /// Nothing older exists: back-pagination is complete.
    TimelineStart,
}

impl TimelineItem {
    pub fn as_event(&self) -> Option<&TimelineEvent> {
        match &self.kind {
            TimelineItemKind::Event(event) => Some(event),
            _ => None,
        }
    }
}

/// Who sent something, as the room knows them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Person {
    pub user_id: String,
    pub display_name: Option<String>,
    /// `mxc://` URI; fetched through the core, never loaded directly by a webview.
    pub avatar_url: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct TimelineEvent {
    pub event_id: Option<String>,
    /// Set while the event is a local echo: what `retry_send` and `cancel_send` take.
    pub transaction_id: Option<String>,
    pub sender: Person,
    pub is_own: bool,
    pub timestamp_ms: u64,
    pub content: EventContent,
    /// `None` for events received from the server.
    pub send_state: Option<SendState>,
    pub is_edited: bool,
    /// The message this one answers, quoted above it.
    pub reply_to: Option<ReplyTo>,
    /// In the order they were first given.
    pub reactions: Vec<Reaction>,
    /// Set on the first message of a thread.
    pub thread: Option<ThreadSummary>,
    /// Set on a message inside a thread: the event ID of the thread's first message.
    pub thread_root: Option<String>,
    /// Other people whose latest read receipt is on this event (user IDs, most recent first).
    pub read_by: Vec<String>,
    /// The message mentions this user or the whole room, as their notification rules say.
    pub mentions_me: bool,
    /// The people the message mentions on purpose (`m.mentions`), as user IDs: an edit keeps
    /// them.
    pub mentioned: Vec<String>,
    /// This user may edit it: their own message, of a kind that can be edited.
    pub can_edit: bool,
    /// It can be answered: it is on the server and is a message or a readable event.
    pub can_reply: bool,
    /// Set when the message's authenticity is in doubt (encrypted rooms only).
    pub shield: Option<Shield>,
}

/// The message a reply answers.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ReplyTo {
    pub event_id: String,
    pub quote: Quote,
}

/// What is known of a quoted message.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum Quote {
    /// Not in the loaded part of the conversation: being fetched, or fetchable with
    /// [`crate::timeline::RoomTimeline::load_quote`].
    Loading,
    /// The server does not give it (deleted from history, or never visible to this user).
    Unavailable,
    Ready {
        message: Box<EmbeddedMessage>,
    },
}

/// A message shown inside another: a quote, or a thread's latest reply.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct EmbeddedMessage {
    pub sender: Person,
    pub content: EventContent,
}

/// One reaction key under a message and who gave it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Reaction {
    /// Usually one emoji; any text another client sent.
    pub key: String,
    /// User IDs, in the order they reacted.
    pub senders: Vec<String>,
    /// This user gave it (possibly still being sent).
    pub mine: bool,
}

/// A thread, as shown under its first message.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ThreadSummary {
    pub replies: u32,
    /// `None` until the latest reply is known.
    pub latest: Option<EmbeddedMessage>,
}

/// A warning about who really sent a message, as Element shows it next to the message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Shield {
    /// Red: a real risk (identity changed, device not verified by its owner); grey: only
    /// information (key from a backup or a forward, message sent unencrypted).
    pub severe: bool,
    pub reason: ShieldReason,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum ShieldReason {
    /// The key came from a backup or another device: the sender cannot be confirmed.
    AuthenticityNotGuaranteed,
    UnknownDevice,
    /// Sent from a device its owner has not verified.
    UnsignedDevice,
    UnverifiedIdentity,
    /// The sender's identity changed after this user verified them.
    VerificationViolation,
    MismatchedSender,
    /// Sent unencrypted in an encrypted room.
    SentInClear,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SendState {
    /// Queued or in flight (also while offline: it goes out when the server answers).
    Sending {
        /// How much of a file has been uploaded, once its upload has started.
        upload: Option<UploadProgress>,
    },
    Sent,
    /// `recoverable`: retried automatically when connectivity returns; otherwise the user
    /// chooses to retry or cancel.
    Failed {
        recoverable: bool,
        reason: String,
    },
}

/// Bytes of a file (and its thumbnail) uploaded so far.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UploadProgress {
    pub sent: u64,
    pub total: u64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum EventContent {
    /// `html` is the sender's formatting, *unsanitised*: front ends must sanitise it to the
    /// spec's allowed HTML before display.
    Text {
        body: String,
        html: Option<String>,
    },
    Notice {
        body: String,
        html: Option<String>,
    },
    Emote {
        body: String,
        html: Option<String>,
    },
    Media(MediaSummary),
    Redacted,
    UnableToDecrypt {
        reason: UtdReason,
    },
    StateChange(StateChange),
    /// A call placed in the room (its ringing, answer and end are not timeline items: see
    /// `account.calls().history()`). Whether it had video, when its event is at hand.
    CallStarted {
        video: Option<bool>,
    },
    /// An event Estafette does not display yet (polls, stickers, ...).
    Unsupported {
        event_type: String,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum MediaKind {
    Image,
    Video,
    Audio,
    File,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct MediaSummary {
    pub media_kind: MediaKind,
    pub name: String,
    pub caption: Option<String>,
    pub mime_type: Option<String>,
    pub size: Option<u64>,
    pub width: Option<u64>,
    pub height: Option<u64>,
    pub mxc: String,
    /// The file is end-to-end encrypted; the core holds its key.
    pub encrypted: bool,
}

/// Why a message could not be decrypted, in terms a person can be told about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum UtdReason {
    /// The keys have not arrived (yet); may resolve by itself.
    Unknown,
    /// Sent before this user joined, and the room hides earlier history.
    SentBeforeWeJoined,
    /// The sender's identity changed since it was verified.
    VerificationViolation,
    /// Sent from a device its owner never verified.
    UnsignedDevice,
    UnknownDevice,
    /// Older than this device, and key backup is not set up.
    HistoricalMessageAndBackupIsDisabled,
    HistoricalMessageAndDeviceIsUnverified,
    /// The sender's device refuses to share keys with unverified devices.
    WithheldForUnverifiedOrInsecureDevice,
    WithheldBySender,
}

/// A change of room state, structured so that front ends can say it in the user's language.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "change", rename_all = "snake_case")]
pub enum StateChange {
    Membership {
        user: Person,
        membership: MembershipKind,
    },
    DisplayNameChanged {
        user_id: String,
        old: Option<String>,
        new: Option<String>,
    },
    AvatarChanged {
        user_id: String,
    },
    RoomCreated,
    RoomNameChanged {
        name: Option<String>,
    },
    RoomTopicChanged {
        topic: Option<String>,
    },
    RoomAvatarChanged,
    EncryptionEnabled,
    /// A room setting other than the above changed: which one, never how (front ends say
    /// "bob changed who can join", and group a new room's set-up as Element does).
    SettingChanged {
        setting: RoomSetting,
    },
}

/// The room settings a state change may touch, named for people, not by event type.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum RoomSetting {
    /// Who may do what (power levels).
    Permissions,
    /// Who can join.
    JoinRules,
    /// Who can read the history.
    HistoryVisibility,
    GuestAccess,
    /// The room's addresses.
    Addresses,
    PinnedMessages,
    /// Servers allowed to take part.
    ServerAccess,
    /// The room was replaced by a new one.
    Upgraded,
    /// The spaces it belongs to, or the rooms a space holds.
    Spaces,
    /// Any other setting, from another client's extension.
    Other,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum MembershipKind {
    Joined,
    Left,
    Invited,
    InvitationAccepted,
    InvitationRejected,
    InvitationRevoked,
    Kicked,
    Banned,
    KickedAndBanned,
    Unbanned,
    Knocked,
    KnockAccepted,
    KnockRetracted,
    KnockDenied,
    Other,
}

impl EventContent {
    /// A one-line English summary, for the CLI, logs-free previews and tests. The desktop UI
    /// builds its own, translated, from the structured content.
    pub fn summary(&self) -> String {
        match self {
            Self::Text { body, .. } | Self::Notice { body, .. } => body.clone(),
            Self::Emote { body, .. } => format!("* {body}"),
            Self::Media(media) => format!("[{:?}] {}", media.media_kind, media.name),
            Self::Redacted => "(message deleted)".to_owned(),
            Self::UnableToDecrypt { .. } => "(unable to decrypt)".to_owned(),
            Self::StateChange(change) => change.summary(),
            Self::CallStarted { video: Some(true) } => "(video call)".to_owned(),
            Self::CallStarted { video: Some(false) } => "(voice call)".to_owned(),
            Self::CallStarted { video: None } => "(call)".to_owned(),
            Self::Unsupported { event_type } => format!("({event_type})"),
        }
    }
}

impl StateChange {
    pub fn summary(&self) -> String {
        match self {
            Self::Membership { user, membership } => {
                let name = user.display_name.as_deref().unwrap_or(&user.user_id);
                format!("{name}: {membership:?}")
            }
            Self::DisplayNameChanged { user_id, new, .. } => {
                format!("{user_id} is now {}", new.as_deref().unwrap_or(user_id))
            }
            Self::AvatarChanged { user_id } => format!("{user_id} changed their avatar"),
            Self::RoomCreated => "room created".to_owned(),
            Self::RoomNameChanged { name } => {
                format!("room name: {}", name.as_deref().unwrap_or("(none)"))
            }
            Self::RoomTopicChanged { topic } => {
                format!("topic: {}", topic.as_deref().unwrap_or("(none)"))
            }
            Self::RoomAvatarChanged => "room avatar changed".to_owned(),
            Self::EncryptionEnabled => "end-to-end encryption enabled".to_owned(),
            Self::SettingChanged { setting } => format!("room settings changed ({setting:?})"),
        }
    }
}
