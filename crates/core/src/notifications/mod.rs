//! Notifications: which events alert this user, and how much each room may alert.
//!
//! The levels are the server's push rules, written as Element writes them, so that Element,
//! Tchap and the phone's push notifications agree with Estafette: a room's level is a rule of
//! its own (mute: an override rule that does nothing; mentions and keywords: a room rule that
//! does nothing, so that only the mention and keyword rules, which come first, alert), the
//! defaults are the server's predefined rules for one-to-one and other rooms, and keywords are
//! content rules.
//!
//! The alerts themselves ([`alerts`]) are the events those rules say notify, evaluated on this
//! device by the SDK as sync delivers them, after decryption: the server cannot read an
//! encrypted message, so only the client can tell whether it mentions the user.

mod alerts;
mod burst;

use matrix_sdk::{
    NotificationSettingsError,
    notification_settings::{IsEncrypted, IsOneToOne, NotificationSettings, RoomNotificationMode},
};
use serde::{Deserialize, Serialize};
use tokio::sync::{OnceCell, broadcast::error::RecvError};

pub(crate) use alerts::Alerts;
pub use alerts::{Notice, NoticeContent, NoticeMessage};

use crate::{Account, Code, Subscription, rooms::RoomError};

/// How much a room may alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum NotificationLevel {
    /// Every message.
    AllMessages,
    /// Only messages that mention the user (by name, or `@room`) or hold one of the keywords.
    MentionsAndKeywords,
    /// Nothing.
    Mute,
}

impl NotificationLevel {
    fn from_sdk(mode: RoomNotificationMode) -> Self {
        match mode {
            RoomNotificationMode::AllMessages => Self::AllMessages,
            RoomNotificationMode::MentionsAndKeywordsOnly => Self::MentionsAndKeywords,
            RoomNotificationMode::Mute => Self::Mute,
        }
    }

    fn to_sdk(self) -> RoomNotificationMode {
        match self {
            Self::AllMessages => RoomNotificationMode::AllMessages,
            Self::MentionsAndKeywords => RoomNotificationMode::MentionsAndKeywordsOnly,
            Self::Mute => RoomNotificationMode::Mute,
        }
    }
}

/// A room's level, and whether the room follows the default or has its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RoomNotifications {
    pub level: NotificationLevel,
    /// The room follows the default for its kind (direct or group); changing the default
    /// changes it.
    pub is_default: bool,
}

/// The levels of rooms that have none of their own: conversations between two people, and
/// the others. (Mute is not a default: Element cannot show one.)
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DefaultLevels {
    pub direct: NotificationLevel,
    pub group: NotificationLevel,
}

/// Which default a change applies to.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum RoomKind {
    /// Rooms of exactly two members (the push rules' definition of one-to-one).
    Direct,
    Group,
}

impl RoomKind {
    fn is_one_to_one(self) -> IsOneToOne {
        IsOneToOne::from(self == Self::Direct)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum NotificationsError {
    #[error(transparent)]
    Room(#[from] RoomError),
    /// A keyword must hold something other than spaces, and at most 100 characters.
    #[error("a keyword must be 1 to 100 characters, not only spaces")]
    InvalidKeyword,
    /// Mute cannot be a default level.
    #[error("mute cannot be a default level")]
    InvalidDefault,
    /// The server did not take the change (it may be unreachable); nothing changed.
    #[error("the notification settings could not be saved: {0}")]
    NotSaved(String),
}

impl NotificationsError {
    pub fn code(&self) -> Code {
        match self {
            Self::Room(error) => error.code(),
            Self::InvalidKeyword => Code::NotificationsInvalidKeyword,
            Self::InvalidDefault => Code::NotificationsInvalidDefault,
            Self::NotSaved(_) => Code::NotificationsNotSaved,
        }
    }

    fn from_sdk(error: NotificationSettingsError) -> Self {
        Self::NotSaved(error.to_string())
    }
}

/// The longest keyword accepted: a push rule's pattern is matched against every message.
const KEYWORD_MAX_CHARS: usize = 100;

/// The account's notification state: one SDK settings object (each one listens to push-rule
/// changes from sync, so there must not be one per call) and the alerts.
#[derive(Debug)]
pub(crate) struct NotificationsState {
    settings: OnceCell<NotificationSettings>,
    pub(crate) alerts: Alerts,
}

impl NotificationsState {
    pub(crate) fn new(alerts: Alerts) -> Self {
        Self {
            settings: OnceCell::new(),
            alerts,
        }
    }
}

impl Account {
    /// Notifications: the alerts, and the levels of rooms and defaults.
    pub fn notifications(&self) -> Notifications<'_> {
        Notifications { account: self }
    }
}

/// What notifies this account (`account.notifications()`).
#[derive(Clone, Copy, Debug)]
pub struct Notifications<'a> {
    account: &'a Account,
}

impl Notifications<'_> {
    async fn settings(&self) -> &NotificationSettings {
        let client = self.account.client();
        self.account
            .notifications_state()
            .settings
            .get_or_init(|| client.notification_settings())
            .await
    }

    /// The alerts, as they come: each one the events of a room that notify, a room's later
    /// events within a few seconds gathered into one (see [`Notice`]). Nothing that arrived
    /// before the subscription is replayed.
    pub fn watch(&self) -> Subscription<Notice> {
        self.account.notifications_state().alerts.subscribe()
    }

    /// `room_id`'s level.
    pub async fn room_level(&self, room_id: &str) -> Result<RoomNotifications, NotificationsError> {
        let room = self.account.room(room_id)?;
        let settings = self.settings().await;
        if let Some(mode) = settings
            .get_user_defined_room_notification_mode(room.room_id())
            .await
        {
            return Ok(RoomNotifications {
                level: NotificationLevel::from_sdk(mode),
                is_default: false,
            });
        }
        let is_encrypted = IsEncrypted::from(
            room.latest_encryption_state()
                .await
                .is_ok_and(|state| state.is_encrypted()),
        );
        // The push rules' own definition of a one-to-one room.
        let is_one_to_one = IsOneToOne::from(room.active_members_count() == 2);
        let mode = settings
            .get_default_room_notification_mode(is_encrypted, is_one_to_one)
            .await;
        Ok(RoomNotifications {
            level: NotificationLevel::from_sdk(mode),
            is_default: true,
        })
    }

    /// Gives `room_id` a level of its own, or (`None`) makes it follow the default again.
    pub async fn set_room_level(
        &self,
        room_id: &str,
        level: Option<NotificationLevel>,
    ) -> Result<(), NotificationsError> {
        let room = self.account.room(room_id)?;
        let settings = self.settings().await;
        match level {
            Some(level) => settings
                .set_room_notification_mode(room.room_id(), level.to_sdk())
                .await
                .map_err(NotificationsError::from_sdk),
            None => match settings
                .delete_user_defined_room_rules(room.room_id())
                .await
            {
                Err(error) if error.is_rule_not_found() => Ok(()),
                result => result.map_err(NotificationsError::from_sdk),
            },
        }
    }

    /// The default levels, as the server's rules for encrypted rooms say (Estafette writes the
    /// encrypted and plain rules together, as Element does).
    pub async fn defaults(&self) -> DefaultLevels {
        let settings = self.settings().await;
        let level = async |kind: RoomKind| {
            NotificationLevel::from_sdk(
                settings
                    .get_default_room_notification_mode(IsEncrypted::Yes, kind.is_one_to_one())
                    .await,
            )
        };
        DefaultLevels {
            direct: level(RoomKind::Direct).await,
            group: level(RoomKind::Group).await,
        }
    }

    /// Sets the default level of one kind of room, for encrypted and plain rooms alike.
    pub async fn set_default(
        &self,
        kind: RoomKind,
        level: NotificationLevel,
    ) -> Result<(), NotificationsError> {
        if level == NotificationLevel::Mute {
            return Err(NotificationsError::InvalidDefault);
        }
        let settings = self.settings().await;
        for is_encrypted in [IsEncrypted::Yes, IsEncrypted::No] {
            settings
                .set_default_room_notification_mode(
                    is_encrypted,
                    kind.is_one_to_one(),
                    level.to_sdk(),
                )
                .await
                .map_err(NotificationsError::from_sdk)?;
        }
        Ok(())
    }

    /// The keywords that alert in every room not muted, in the order they were added.
    pub async fn keywords(&self) -> Vec<String> {
        self.settings()
            .await
            .enabled_keywords()
            .await
            .into_iter()
            .collect()
    }

    /// Adds a keyword (trimmed); adding one already there changes nothing.
    pub async fn add_keyword(&self, keyword: &str) -> Result<(), NotificationsError> {
        let keyword = valid_keyword(keyword)?;
        let settings = self.settings().await;
        if settings.enabled_keywords().await.contains(keyword) {
            return Ok(());
        }
        settings
            .add_keyword(keyword.to_owned())
            .await
            .map_err(NotificationsError::from_sdk)
    }

    /// Removes a keyword; removing one that is not there changes nothing.
    pub async fn remove_keyword(&self, keyword: &str) -> Result<(), NotificationsError> {
        let keyword = keyword.trim();
        match self.settings().await.remove_keyword(keyword).await {
            Err(error) if error.is_rule_not_found() => Ok(()),
            result => result.map_err(NotificationsError::from_sdk),
        }
    }

    /// A unit each time the push rules change (from here, from another client, or from the
    /// server), so that a settings screen can read them again.
    pub async fn changes(&self) -> Subscription<()> {
        let mut changes = self.settings().await.subscribe_to_changes();
        Subscription::spawn(|sender| async move {
            loop {
                match changes.recv().await {
                    // Missed changes are one change: the screen reads everything again.
                    Ok(()) | Err(RecvError::Lagged(_)) => {
                        if !sender.send(()) {
                            return;
                        }
                    }
                    Err(RecvError::Closed) => return,
                }
            }
        })
    }
}

fn valid_keyword(keyword: &str) -> Result<&str, NotificationsError> {
    let keyword = keyword.trim();
    if keyword.is_empty() || keyword.chars().count() > KEYWORD_MAX_CHARS {
        return Err(NotificationsError::InvalidKeyword);
    }
    Ok(keyword)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_keyword_is_trimmed_and_bounded() {
        assert_eq!(valid_keyword("  budget ").ok(), Some("budget"));
        assert!(matches!(
            valid_keyword("   "),
            Err(NotificationsError::InvalidKeyword)
        ));
        assert!(valid_keyword(&"é".repeat(100)).is_ok());
        assert!(valid_keyword(&"é".repeat(101)).is_err());
    }

    #[test]
    fn levels_cross_ipc_as_words() {
        assert_eq!(
            serde_json::to_string(&NotificationLevel::MentionsAndKeywords).ok(),
            Some("\"mentions_and_keywords\"".to_owned())
        );
    }
}
