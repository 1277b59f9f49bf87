//! Our own view-model of timeline items, mapped from matrix-sdk-ui's in this one place.
//!
//! Front ends display these; they never see SDK types, and never a key: encrypted media is
//! described by its mxc URI only, to be fetched and decrypted by the core.

use matrix_sdk::ruma::{
    MilliSecondsSinceUnixEpoch, UInt,
    events::{
        StateEventContentChange,
        room::{
            MediaSource,
            message::{FormattedBody, MessageFormat, MessageType},
        },
    },
};
use matrix_sdk_base::crypto::types::events::UtdCause;
use matrix_sdk_ui::timeline::{
    AnyOtherStateEventContentChange, EncryptedMessage, EventSendState, EventTimelineItem,
    MembershipChange, MsgLikeKind, TimelineDetails, TimelineEventShieldState,
    TimelineEventShieldStateCode, TimelineItem as SdkTimelineItem, TimelineItemContent,
    TimelineItemKind as SdkItemKind, VirtualTimelineItem,
};
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
    pub in_reply_to: Option<String>,
    /// Set when the message's authenticity is in doubt (encrypted rooms only).
    pub shield: Option<Shield>,
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

fn map_shield(state: TimelineEventShieldState) -> Option<Shield> {
    let (severe, code) = match state {
        TimelineEventShieldState::None => return None,
        TimelineEventShieldState::Red { code } => (true, code),
        TimelineEventShieldState::Grey { code } => (false, code),
    };
    let reason = match code {
        TimelineEventShieldStateCode::AuthenticityNotGuaranteed => {
            ShieldReason::AuthenticityNotGuaranteed
        }
        TimelineEventShieldStateCode::UnknownDevice => ShieldReason::UnknownDevice,
        TimelineEventShieldStateCode::UnsignedDevice => ShieldReason::UnsignedDevice,
        TimelineEventShieldStateCode::UnverifiedIdentity => ShieldReason::UnverifiedIdentity,
        TimelineEventShieldStateCode::VerificationViolation => ShieldReason::VerificationViolation,
        TimelineEventShieldStateCode::MismatchedSender => ShieldReason::MismatchedSender,
        TimelineEventShieldStateCode::SentInClear => ShieldReason::SentInClear,
    };
    Some(Shield { severe, reason })
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
    /// An event Estafette does not display yet (polls, stickers, calls, ...).
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
    /// Anything else (power levels, join rules, ...): the event type says which.
    Other {
        event_type: String,
    },
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

impl TimelineItem {
    pub(crate) fn from_sdk(item: &SdkTimelineItem) -> Self {
        let kind = match item.kind() {
            SdkItemKind::Event(event) => TimelineItemKind::Event(Box::new(map_event(event))),
            SdkItemKind::Virtual(VirtualTimelineItem::DateDivider(timestamp)) => {
                TimelineItemKind::DaySeparator {
                    timestamp_ms: millis(*timestamp),
                }
            }
            SdkItemKind::Virtual(VirtualTimelineItem::ReadMarker) => TimelineItemKind::ReadMarker,
            SdkItemKind::Virtual(VirtualTimelineItem::TimelineStart) => {
                TimelineItemKind::TimelineStart
            }
        };
        Self {
            id: item.unique_id().0.clone(),
            kind,
        }
    }

    pub fn as_event(&self) -> Option<&TimelineEvent> {
        match &self.kind {
            TimelineItemKind::Event(event) => Some(event),
            _ => None,
        }
    }
}

fn millis(timestamp: MilliSecondsSinceUnixEpoch) -> u64 {
    timestamp.0.into()
}

fn to_u64(value: Option<UInt>) -> Option<u64> {
    value.map(u64::from)
}

fn map_event(event: &EventTimelineItem) -> TimelineEvent {
    let (display_name, avatar_url) = match event.sender_profile() {
        TimelineDetails::Ready(profile) => (
            profile.display_name.clone(),
            profile.avatar_url.as_ref().map(ToString::to_string),
        ),
        _ => (None, None),
    };
    let (is_edited, in_reply_to) = match event.content() {
        TimelineItemContent::MsgLike(msg_like) => (
            msg_like
                .as_message()
                .is_some_and(|message| message.is_edited()),
            msg_like
                .in_reply_to
                .as_ref()
                .map(|reply| reply.event_id.to_string()),
        ),
        _ => (false, None),
    };
    TimelineEvent {
        event_id: event.event_id().map(ToString::to_string),
        transaction_id: event.transaction_id().map(ToString::to_string),
        sender: Person {
            user_id: event.sender().to_string(),
            display_name,
            avatar_url,
        },
        is_own: event.is_own(),
        timestamp_ms: millis(event.timestamp()),
        content: map_content(event.content()),
        send_state: event.send_state().map(map_send_state),
        is_edited,
        in_reply_to,
        // Not strict, as Element by default: unverified people are not flagged on every line.
        shield: map_shield(event.get_shield(false)),
    }
}

fn map_send_state(state: &EventSendState) -> SendState {
    match state {
        EventSendState::NotSentYet { progress } => SendState::Sending {
            upload: progress.as_ref().map(|progress| UploadProgress {
                sent: progress.progress.current as u64,
                total: progress.progress.total as u64,
            }),
        },
        EventSendState::Sent { .. } => SendState::Sent,
        EventSendState::SendingFailed {
            error,
            is_recoverable,
        } => SendState::Failed {
            recoverable: *is_recoverable,
            reason: error.to_string(),
        },
    }
}

fn html_of(formatted: Option<&FormattedBody>) -> Option<String> {
    formatted
        .filter(|body| body.format == MessageFormat::Html)
        .map(|body| body.body.clone())
}

pub(crate) fn map_content(content: &TimelineItemContent) -> EventContent {
    match content {
        TimelineItemContent::MsgLike(msg_like) => match &msg_like.kind {
            MsgLikeKind::Message(message) => map_message(message.msgtype()),
            MsgLikeKind::Redacted => EventContent::Redacted,
            MsgLikeKind::UnableToDecrypt(encrypted) => EventContent::UnableToDecrypt {
                reason: utd_reason(encrypted),
            },
            MsgLikeKind::Sticker(_) => unsupported("m.sticker"),
            MsgLikeKind::Poll(_) => unsupported("m.poll.start"),
            MsgLikeKind::Other(other) => unsupported(&other.event_type().to_string()),
            MsgLikeKind::LiveLocation(_) => unsupported("m.beacon_info"),
        },
        TimelineItemContent::MembershipChange(change) => {
            let user = Person {
                user_id: change.user_id().to_string(),
                display_name: change.display_name(),
                avatar_url: None,
            };
            EventContent::StateChange(StateChange::Membership {
                user,
                membership: change
                    .change()
                    .map_or(MembershipKind::Other, membership_kind),
            })
        }
        TimelineItemContent::ProfileChange(change) => {
            let user_id = change.user_id().to_string();
            EventContent::StateChange(match change.displayname_change() {
                Some(name) => StateChange::DisplayNameChanged {
                    user_id,
                    old: name.old.clone(),
                    new: name.new.clone(),
                },
                None => StateChange::AvatarChanged { user_id },
            })
        }
        TimelineItemContent::OtherState(state) => {
            EventContent::StateChange(match state.content() {
                AnyOtherStateEventContentChange::RoomCreate(_) => StateChange::RoomCreated,
                AnyOtherStateEventContentChange::RoomEncryption(_) => {
                    StateChange::EncryptionEnabled
                }
                AnyOtherStateEventContentChange::RoomName(change) => StateChange::RoomNameChanged {
                    name: match change {
                        StateEventContentChange::Original { content, .. } => {
                            Some(content.name.clone()).filter(|name| !name.is_empty())
                        }
                        StateEventContentChange::Redacted(_) => None,
                    },
                },
                AnyOtherStateEventContentChange::RoomTopic(change) => {
                    StateChange::RoomTopicChanged {
                        topic: match change {
                            StateEventContentChange::Original { content, .. } => {
                                Some(content.topic.clone()).filter(|topic| !topic.is_empty())
                            }
                            StateEventContentChange::Redacted(_) => None,
                        },
                    }
                }
                AnyOtherStateEventContentChange::RoomAvatar(_) => StateChange::RoomAvatarChanged,
                other => StateChange::Other {
                    event_type: other.event_type().to_string(),
                },
            })
        }
        TimelineItemContent::FailedToParseMessageLike { event_type, .. } => {
            unsupported(&event_type.to_string())
        }
        TimelineItemContent::FailedToParseState { event_type, .. } => {
            unsupported(&event_type.to_string())
        }
        TimelineItemContent::CallInvite => unsupported("m.call.invite"),
        TimelineItemContent::RtcNotification { .. } => {
            unsupported("org.matrix.msc4075.rtc.notification")
        }
    }
}

fn unsupported(event_type: &str) -> EventContent {
    EventContent::Unsupported {
        event_type: event_type.to_owned(),
    }
}

fn map_message(message: &MessageType) -> EventContent {
    match message {
        MessageType::Text(text) => EventContent::Text {
            body: text.body.clone(),
            html: html_of(text.formatted.as_ref()),
        },
        MessageType::Notice(notice) => EventContent::Notice {
            body: notice.body.clone(),
            html: html_of(notice.formatted.as_ref()),
        },
        MessageType::Emote(emote) => EventContent::Emote {
            body: emote.body.clone(),
            html: html_of(emote.formatted.as_ref()),
        },
        MessageType::Image(image) => {
            let info = image.info.as_deref();
            media(
                MediaKind::Image,
                image.filename(),
                image.caption(),
                &image.source,
                info.and_then(|info| info.mimetype.clone()),
                to_u64(info.and_then(|info| info.size)),
                (
                    to_u64(info.and_then(|info| info.width)),
                    to_u64(info.and_then(|info| info.height)),
                ),
            )
        }
        MessageType::Video(video) => {
            let info = video.info.as_deref();
            media(
                MediaKind::Video,
                video.filename(),
                video.caption(),
                &video.source,
                info.and_then(|info| info.mimetype.clone()),
                to_u64(info.and_then(|info| info.size)),
                (
                    to_u64(info.and_then(|info| info.width)),
                    to_u64(info.and_then(|info| info.height)),
                ),
            )
        }
        MessageType::Audio(audio) => {
            let info = audio.info.as_deref();
            media(
                MediaKind::Audio,
                audio.filename(),
                audio.caption(),
                &audio.source,
                info.and_then(|info| info.mimetype.clone()),
                to_u64(info.and_then(|info| info.size)),
                (None, None),
            )
        }
        MessageType::File(file) => {
            let info = file.info.as_deref();
            media(
                MediaKind::File,
                file.filename(),
                file.caption(),
                &file.source,
                info.and_then(|info| info.mimetype.clone()),
                to_u64(info.and_then(|info| info.size)),
                (None, None),
            )
        }
        other => EventContent::Text {
            body: other.body().to_owned(),
            html: None,
        },
    }
}

fn media(
    media_kind: MediaKind,
    name: &str,
    caption: Option<&str>,
    source: &MediaSource,
    mime_type: Option<String>,
    size: Option<u64>,
    (width, height): (Option<u64>, Option<u64>),
) -> EventContent {
    let (mxc, encrypted) = match source {
        MediaSource::Plain(uri) => (uri.to_string(), false),
        MediaSource::Encrypted(file) => (file.url.to_string(), true),
    };
    EventContent::Media(MediaSummary {
        media_kind,
        name: name.to_owned(),
        caption: caption.map(ToOwned::to_owned),
        mime_type,
        size,
        width,
        height,
        mxc,
        encrypted,
    })
}

fn utd_reason(message: &EncryptedMessage) -> UtdReason {
    match message {
        EncryptedMessage::MegolmV1AesSha2 { cause, .. } => match cause {
            UtdCause::Unknown => UtdReason::Unknown,
            UtdCause::SentBeforeWeJoined => UtdReason::SentBeforeWeJoined,
            UtdCause::VerificationViolation => UtdReason::VerificationViolation,
            UtdCause::UnsignedDevice => UtdReason::UnsignedDevice,
            UtdCause::UnknownDevice => UtdReason::UnknownDevice,
            UtdCause::HistoricalMessageAndBackupIsDisabled => {
                UtdReason::HistoricalMessageAndBackupIsDisabled
            }
            UtdCause::WithheldForUnverifiedOrInsecureDevice => {
                UtdReason::WithheldForUnverifiedOrInsecureDevice
            }
            UtdCause::WithheldBySender => UtdReason::WithheldBySender,
            UtdCause::HistoricalMessageAndDeviceIsUnverified => {
                UtdReason::HistoricalMessageAndDeviceIsUnverified
            }
        },
        _ => UtdReason::Unknown,
    }
}

fn membership_kind(change: MembershipChange) -> MembershipKind {
    match change {
        MembershipChange::Joined => MembershipKind::Joined,
        MembershipChange::Left => MembershipKind::Left,
        MembershipChange::Invited => MembershipKind::Invited,
        MembershipChange::InvitationAccepted => MembershipKind::InvitationAccepted,
        MembershipChange::InvitationRejected => MembershipKind::InvitationRejected,
        MembershipChange::InvitationRevoked => MembershipKind::InvitationRevoked,
        MembershipChange::Kicked => MembershipKind::Kicked,
        MembershipChange::Banned => MembershipKind::Banned,
        MembershipChange::KickedAndBanned => MembershipKind::KickedAndBanned,
        MembershipChange::Unbanned => MembershipKind::Unbanned,
        MembershipChange::Knocked => MembershipKind::Knocked,
        MembershipChange::KnockAccepted => MembershipKind::KnockAccepted,
        MembershipChange::KnockRetracted => MembershipKind::KnockRetracted,
        MembershipChange::KnockDenied => MembershipKind::KnockDenied,
        MembershipChange::None | MembershipChange::Error | MembershipChange::NotImplemented => {
            MembershipKind::Other
        }
    }
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
            Self::Other { event_type } => format!("({event_type})"),
        }
    }
}
