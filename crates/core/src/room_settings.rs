//! A room's details and its settings, for those with the power to change them
//! (`account.rooms().settings(room_id)`): name, topic, avatar, who may join, who may read the
//! history, and encryption, which can be turned on and never off.

use futures_util::StreamExt;
use matrix_sdk::{
    Room,
    ruma::{
        UserId,
        api::client::room::Visibility,
        events::{
            StateEventType,
            room::{
                history_visibility::HistoryVisibility,
                join_rules::JoinRule,
                power_levels::{RoomPowerLevels, SyncRoomPowerLevelsEvent},
            },
        },
    },
};
use serde::{Deserialize, Serialize};
use tracing::instrument;

use crate::{
    Subscription,
    profile::square_avatar,
    rooms::{RoomError, Rooms},
};

/// The longest room name accepted, in characters (Element shows no more).
pub const MOST_NAME_CHARS: usize = 255;
/// The longest topic accepted, in characters: well under the server's 64 KiB per event.
pub const MOST_TOPIC_CHARS: usize = 4_000;

/// How long a change waits to come back through sync before the call returns anyway.
const STATE_ECHO_PATIENCE: std::time::Duration = std::time::Duration::from_secs(10);

/// Power from which someone is shown as an administrator, as in Element.
pub const ADMIN_POWER: i64 = 100;
/// Power from which someone is shown as a moderator.
pub const MODERATOR_POWER: i64 = 50;

/// Who may join a room.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum RoomAccess {
    /// Only people invited.
    InviteOnly,
    /// Anyone may ask; a member with the power to invite lets them in.
    AskToJoin,
    /// Anyone who has the room's link or address.
    AnyoneWithLink,
    /// A rule this app does not offer (members of a space, another client's own): shown, kept
    /// until changed.
    Other,
}

/// Who may read the room's history.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum HistoryReaders {
    /// Members, all of it (from before they joined too).
    Members,
    /// Members, from when they were invited.
    SinceInvited,
    /// Members, from when they joined.
    SinceJoined,
    /// Anyone, members or not (a public room's readers).
    Anyone,
}

/// Someone's standing in a room, by their power level.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Moderator,
    Member,
}

impl Role {
    pub fn of_power(power: i64) -> Self {
        if power >= ADMIN_POWER {
            Self::Admin
        } else if power >= MODERATOR_POWER {
            Self::Moderator
        } else {
            Self::Member
        }
    }

    pub(crate) fn power(self, users_default: i64) -> i64 {
        match self {
            Self::Admin => ADMIN_POWER,
            Self::Moderator => MODERATOR_POWER,
            Self::Member => users_default.min(MODERATOR_POWER - 1),
        }
    }
}

/// What this user may change in the room, by its power levels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RoomAbilities {
    pub change_name: bool,
    pub change_topic: bool,
    pub change_avatar: bool,
    pub change_access: bool,
    pub change_history: bool,
    /// Turn encryption on (false once it is on: it is never turned off).
    pub enable_encryption: bool,
    pub change_roles: bool,
    pub invite: bool,
    pub kick: bool,
    pub ban: bool,
}

/// A room as its info panel shows it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RoomDetails {
    pub room_id: String,
    /// The name shown: the room's own, else one made from its members.
    pub display_name: String,
    /// The name the room was given, if any.
    pub name: Option<String>,
    pub topic: Option<String>,
    /// `mxc://` URI, fetched through the core.
    pub avatar_url: Option<String>,
    /// Its main address (`#name:server`).
    pub canonical_alias: Option<String>,
    pub is_direct: bool,
    pub is_encrypted: bool,
    pub access: RoomAccess,
    /// The room's version lets people ask to join (version 7 and later).
    pub can_ask_to_join: bool,
    pub history: HistoryReaders,
    pub joined_members: u64,
    pub invited_members: u64,
    pub own_role: Role,
    /// This user's power level: someone may act on those below it only.
    pub own_power: i64,
    pub may: RoomAbilities,
}

impl Rooms<'_> {
    /// One room's details and settings.
    pub fn settings(&self, room_id: &str) -> Result<RoomSettings, RoomError> {
        Ok(RoomSettings {
            room: self.account.room(room_id)?,
        })
    }
}

/// One room's details and settings (`account.rooms().settings(room_id)`).
#[derive(Clone, Debug)]
pub struct RoomSettings {
    room: Room,
}

impl RoomSettings {
    /// The room's details as they are now.
    pub async fn details(&self) -> RoomDetails {
        details_of(&self.room).await
    }

    /// The room's details: now, then after each change (of its state, its members' count, or
    /// this user's power).
    pub fn watch(&self) -> Subscription<RoomDetails> {
        let room = self.room.clone();
        Subscription::spawn(|sender| async move {
            // Subscribed before the first reading, so that no change falls between the two.
            let mut info = room.subscribe_info();
            let observer = room
                .client()
                .observe_room_events::<SyncRoomPowerLevelsEvent, Room>(room.room_id());
            let mut levels = Box::pin(observer.subscribe());
            let mut last = details_of(&room).await;
            if !sender.send(last.clone()) {
                return;
            }
            loop {
                tokio::select! {
                    changed = info.next() => if changed.is_none() { return },
                    changed = levels.next() => if changed.is_none() { return },
                }
                let now = details_of(&room).await;
                if now != last {
                    last = now.clone();
                    if !sender.send(now) {
                        return;
                    }
                }
            }
        })
    }

    /// Renames the room; a blank name removes it (members' names are shown instead).
    #[instrument(skip_all, fields(room = %self.room.room_id()))]
    pub async fn set_name(&self, name: &str) -> Result<(), RoomError> {
        let name = name.trim();
        if name.chars().count() > MOST_NAME_CHARS {
            return Err(RoomError::TextTooLong(MOST_NAME_CHARS));
        }
        self.room
            .set_name(name.to_owned())
            .await
            .map(drop)
            .map_err(RoomError::from_sdk)
    }

    /// Sets the topic; a blank one removes it.
    #[instrument(skip_all, fields(room = %self.room.room_id()))]
    pub async fn set_topic(&self, topic: &str) -> Result<(), RoomError> {
        let topic = topic.trim();
        if topic.chars().count() > MOST_TOPIC_CHARS {
            return Err(RoomError::TextTooLong(MOST_TOPIC_CHARS));
        }
        self.room
            .set_room_topic(topic)
            .await
            .map(drop)
            .map_err(RoomError::from_sdk)
    }

    /// Makes `picture` (an image file's bytes) the room's avatar: its centre square, at most
    /// 512 pixels a side, as PNG, with every metadata of the original left behind.
    #[instrument(skip_all, fields(room = %self.room.room_id()))]
    pub async fn set_avatar(&self, picture: Vec<u8>) -> Result<(), RoomError> {
        let png = tokio::task::spawn_blocking(move || square_avatar(&picture))
            .await
            .map_err(|_| RoomError::NotAPicture)?
            .map_err(|_| RoomError::NotAPicture)?;
        self.room
            .upload_avatar(&mime::IMAGE_PNG, png, None)
            .await
            .map(drop)
            .map_err(RoomError::from_sdk)
    }

    pub async fn remove_avatar(&self) -> Result<(), RoomError> {
        self.room
            .remove_avatar()
            .await
            .map(drop)
            .map_err(RoomError::from_sdk)
    }

    /// Who may join. A room that stops being open to anyone also leaves the public directory,
    /// so that it is not advertised to people who can no longer come in. Asking to join needs
    /// a room version that has it ([`RoomDetails::can_ask_to_join`]).
    #[instrument(skip(self), fields(room = %self.room.room_id()))]
    pub async fn set_access(&self, access: RoomAccess) -> Result<(), RoomError> {
        let rule = match access {
            RoomAccess::InviteOnly => JoinRule::Invite,
            RoomAccess::AskToJoin if !can_ask_to_join(&self.room) => {
                return Err(RoomError::Unsupported);
            }
            RoomAccess::AskToJoin => JoinRule::Knock,
            RoomAccess::AnyoneWithLink => JoinRule::Public,
            RoomAccess::Other => return Err(RoomError::Unsupported),
        };
        let settings = self.room.privacy_settings();
        // Who may join changes first: if taking the room out of the directory then fails, it
        // is listed but closed (people see a door they cannot open), never open but unlisted
        // against the user's choice.
        settings
            .update_join_rule(rule)
            .await
            .map_err(RoomError::from_sdk)?;
        if access != RoomAccess::AnyoneWithLink && self.is_listed_in_directory().await? {
            settings
                .update_room_visibility(Visibility::Private)
                .await
                .map_err(RoomError::from_sdk)?;
        }
        // The server took it; the room's state here follows with the next sync. Waiting for it
        // means what comes next (listing the room, reading its details) sees the new rule.
        let room = self.room.clone();
        let mut info = room.subscribe_info();
        let seen = async {
            while access_of(room.join_rule().as_ref()) != access {
                if info.next().await.is_none() {
                    return;
                }
            }
        };
        let _ = tokio::time::timeout(STATE_ECHO_PATIENCE, seen).await;
        Ok(())
    }

    /// Whether the room is listed in the server's public room directory (asked of the server:
    /// the listing is not part of the room's state).
    pub async fn is_listed_in_directory(&self) -> Result<bool, RoomError> {
        let visibility = self
            .room
            .privacy_settings()
            .get_room_visibility()
            .await
            .map_err(RoomError::from_sdk)?;
        Ok(visibility == Visibility::Public)
    }

    /// Lists the room in the server's public directory, or takes it out. Only a room anyone may
    /// join is listed: others would show people a door they cannot open.
    #[instrument(skip(self), fields(room = %self.room.room_id()))]
    pub async fn set_listed_in_directory(&self, listed: bool) -> Result<(), RoomError> {
        if listed && access_of(self.room.join_rule().as_ref()) != RoomAccess::AnyoneWithLink {
            return Err(RoomError::NotOpenToAnyone);
        }
        let visibility = if listed {
            Visibility::Public
        } else {
            Visibility::Private
        };
        self.room
            .privacy_settings()
            .update_room_visibility(visibility)
            .await
            .map_err(RoomError::from_sdk)
    }

    /// Who may read the history; applies to messages sent from now on.
    #[instrument(skip(self), fields(room = %self.room.room_id()))]
    pub async fn set_history(&self, readers: HistoryReaders) -> Result<(), RoomError> {
        let visibility = match readers {
            HistoryReaders::Members => HistoryVisibility::Shared,
            HistoryReaders::SinceInvited => HistoryVisibility::Invited,
            HistoryReaders::SinceJoined => HistoryVisibility::Joined,
            HistoryReaders::Anyone => HistoryVisibility::WorldReadable,
        };
        self.room
            .privacy_settings()
            .update_room_history_visibility(visibility)
            .await
            .map_err(RoomError::from_sdk)
    }

    /// Turns end-to-end encryption on, for good: no client can turn it off again.
    #[instrument(skip(self), fields(room = %self.room.room_id()))]
    pub async fn enable_encryption(&self) -> Result<(), RoomError> {
        if self.room.encryption_state().is_encrypted() {
            return Ok(());
        }
        self.room
            .enable_encryption()
            .await
            .map_err(RoomError::from_sdk)
    }
}

pub(crate) fn access_of(rule: Option<&JoinRule>) -> RoomAccess {
    match rule {
        // No rule at all is a room where only invitations let people in (the spec's default).
        None | Some(JoinRule::Invite | JoinRule::Private) => RoomAccess::InviteOnly,
        Some(JoinRule::Knock) => RoomAccess::AskToJoin,
        Some(JoinRule::Public) => RoomAccess::AnyoneWithLink,
        Some(_) => RoomAccess::Other,
    }
}

/// Whether the room's version lets people ask to join (version 7 and later).
fn can_ask_to_join(room: &Room) -> bool {
    room.clone_info()
        .room_version_rules_or_default()
        .authorization
        .knocking
}

fn history_of(visibility: &HistoryVisibility) -> HistoryReaders {
    match visibility {
        HistoryVisibility::Invited => HistoryReaders::SinceInvited,
        HistoryVisibility::Joined => HistoryReaders::SinceJoined,
        HistoryVisibility::WorldReadable => HistoryReaders::Anyone,
        _ => HistoryReaders::Members,
    }
}

/// Someone's power in a room: a creator of a room of version 12 or later counts as an admin.
pub(crate) fn power_of(levels: &RoomPowerLevels, user_id: &UserId) -> i64 {
    match levels.for_user(user_id) {
        matrix_sdk::ruma::events::room::power_levels::UserPowerLevel::Int(power) => power.into(),
        _ => i64::MAX,
    }
}

fn abilities_of(levels: &RoomPowerLevels, me: &UserId, encrypted: bool) -> RoomAbilities {
    let state = |event: StateEventType| levels.user_can_send_state(me, event);
    RoomAbilities {
        change_name: state(StateEventType::RoomName),
        change_topic: state(StateEventType::RoomTopic),
        change_avatar: state(StateEventType::RoomAvatar),
        change_access: state(StateEventType::RoomJoinRules),
        change_history: state(StateEventType::RoomHistoryVisibility),
        enable_encryption: !encrypted && state(StateEventType::RoomEncryption),
        change_roles: state(StateEventType::RoomPowerLevels),
        invite: levels.user_can_invite(me),
        kick: levels.user_can_kick(me),
        ban: levels.user_can_ban(me),
    }
}

async fn details_of(room: &Room) -> RoomDetails {
    let levels = room.power_levels_or_default().await;
    let me = room.own_user_id();
    let is_encrypted = room.encryption_state().is_encrypted();
    let display_name = match room.cached_display_name() {
        Some(name) => name.to_string(),
        None => room
            .display_name()
            .await
            .map(|name| name.to_string())
            .unwrap_or_else(|_| room.room_id().to_string()),
    };
    RoomDetails {
        room_id: room.room_id().to_string(),
        display_name,
        name: room.name().filter(|name| !name.trim().is_empty()),
        topic: room.topic().filter(|topic| !topic.trim().is_empty()),
        avatar_url: room.avatar_url().map(|url| url.to_string()),
        canonical_alias: room.canonical_alias().map(|alias| alias.to_string()),
        is_direct: room.is_direct().await.unwrap_or(false),
        is_encrypted,
        access: access_of(room.join_rule().as_ref()),
        can_ask_to_join: can_ask_to_join(room),
        history: history_of(&room.history_visibility_or_default()),
        joined_members: room.joined_members_count(),
        invited_members: room.invited_members_count(),
        own_role: Role::of_power(power_of(&levels, me)),
        own_power: power_of(&levels, me),
        may: abilities_of(&levels, me, is_encrypted),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_follow_element_thresholds() {
        assert_eq!(Role::of_power(100), Role::Admin);
        assert_eq!(Role::of_power(i64::MAX), Role::Admin);
        assert_eq!(Role::of_power(99), Role::Moderator);
        assert_eq!(Role::of_power(50), Role::Moderator);
        assert_eq!(Role::of_power(0), Role::Member);
        assert_eq!(Role::of_power(-5), Role::Member);
        // A member's power is the room's default, but never a moderator's.
        assert_eq!(Role::Member.power(0), 0);
        assert_eq!(Role::Member.power(50), 49);
        assert_eq!(Role::Admin.power(0), 100);
    }

    #[test]
    fn join_rules_read_as_what_people_choose() {
        assert_eq!(access_of(None), RoomAccess::InviteOnly);
        assert_eq!(access_of(Some(&JoinRule::Invite)), RoomAccess::InviteOnly);
        assert_eq!(access_of(Some(&JoinRule::Knock)), RoomAccess::AskToJoin);
        assert_eq!(
            access_of(Some(&JoinRule::Public)),
            RoomAccess::AnyoneWithLink
        );
    }
}
