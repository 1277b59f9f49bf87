//! Room membership: creating DMs and rooms (encrypted by default), inviting, answering
//! invites, joining and leaving.

use matrix_sdk::{
    Room, RoomMemberships,
    room::Receipts,
    ruma::{
        OwnedRoomOrAliasId, OwnedServerName, OwnedUserId, RoomId, UserId,
        api::{
            client::room::{Visibility, create_room::v3::Request as CreateRoomRequest},
            error::ErrorKind,
        },
        events::{
            InitialStateEvent,
            room::{encryption::RoomEncryptionEventContent, member::MembershipState},
        },
    },
};
use serde::{Deserialize, Serialize};
use tracing::{instrument, warn};

use crate::{
    Account, Code,
    auth::is_network_failure,
    links::{LinkTarget, link_target},
};

#[derive(Debug, thiserror::Error)]
pub enum RoomError {
    #[error("not a valid user ID: {0}")]
    InvalidUserId(String),
    #[error("not a valid room ID or address: {0}")]
    InvalidRoomId(String),
    #[error("no room {0} is known to this account")]
    RoomNotFound(String),
    #[error("not allowed: {0}")]
    Forbidden(String),
    #[error("the server cannot be reached")]
    Offline,
    #[error("the server refused: {0}")]
    Server(String),
    #[error("longer than {0} characters")]
    TextTooLong(usize),
    #[error("not a picture this app can read")]
    NotAPicture,
    #[error("only a room anyone may join can be listed in the directory")]
    NotOpenToAnyone,
    #[error("a setting this app does not offer")]
    Unsupported,
}

impl RoomError {
    pub fn code(&self) -> Code {
        match self {
            Self::InvalidUserId(_) => Code::RoomInvalidUserId,
            Self::InvalidRoomId(_) => Code::RoomInvalidRoomId,
            Self::RoomNotFound(_) => Code::RoomNotFound,
            Self::Forbidden(_) => Code::RoomForbidden,
            Self::Offline => Code::RoomOffline,
            Self::Server(_) => Code::RoomServerError,
            Self::TextTooLong(_) => Code::RoomTextTooLong,
            Self::NotAPicture => Code::RoomNotAPicture,
            Self::NotOpenToAnyone => Code::RoomNotOpenToAnyone,
            Self::Unsupported => Code::RoomUnsupportedSetting,
        }
    }

    pub(crate) fn from_sdk(error: matrix_sdk::Error) -> Self {
        if is_network_failure(&error) {
            Self::Offline
        } else if error.client_api_error_kind() == Some(&ErrorKind::Forbidden) {
            Self::Forbidden(error.to_string())
        } else {
            Self::Server(error.to_string())
        }
    }
}

/// How to create a group room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct NewRoom {
    pub name: String,
    pub topic: Option<String>,
    /// End-to-end encryption; on unless the creator turns it off.
    pub encrypted: bool,
    /// User IDs invited at creation.
    pub invite: Vec<String>,
}

impl Default for NewRoom {
    fn default() -> Self {
        Self {
            name: String::new(),
            topic: None,
            encrypted: true,
            invite: Vec::new(),
        }
    }
}

/// After joining, asks the server for the members' devices. Without it, a client that joins
/// may keep a stale list of a member's devices (seen with Synapse's sliding sync): its messages
/// are then not encrypted for all of them and stay unreadable there.
fn refresh_member_devices(room: Room) {
    const MOST_MEMBERS: usize = 100;
    tokio::spawn(async move {
        if !room.encryption_state().is_encrypted() {
            return;
        }
        let members = match room
            .members(RoomMemberships::JOIN | RoomMemberships::INVITE)
            .await
        {
            Ok(members) => members,
            Err(error) => {
                warn!(%error, "could not list the members of a joined room");
                return;
            }
        };
        let encryption = room.client().encryption();
        for member in members.iter().take(MOST_MEMBERS) {
            if let Err(error) = encryption.request_user_identity(member.user_id()).await {
                warn!(%error, "could not refresh a member's devices");
            }
        }
    });
}

/// A room named by ID, alias or link, and the servers to reach it through: those the link
/// names, then `via`. Server names are only hints: one that is not valid is left out.
pub(crate) fn room_and_servers(
    address: &str,
    via: &[String],
) -> Result<(OwnedRoomOrAliasId, Vec<OwnedServerName>), RoomError> {
    let address = address.trim();
    let (room, mut servers) = match link_target(address) {
        Some(LinkTarget::Room { room, via, .. }) => (room, via),
        _ => (address.to_owned(), Vec::new()),
    };
    servers.extend(via.iter().cloned());
    let servers = servers
        .iter()
        .filter_map(|server| OwnedServerName::try_from(server.as_str()).ok())
        .collect();
    let target = OwnedRoomOrAliasId::try_from(room.as_str())
        .map_err(|_| RoomError::InvalidRoomId(address.to_owned()))?;
    Ok((target, servers))
}

/// A room's members in `memberships`: the full list from the server (asked once, then kept),
/// or the store's while the server cannot be reached.
pub(crate) async fn load_members(
    room: &Room,
    memberships: RoomMemberships,
) -> Result<Vec<matrix_sdk::room::RoomMember>, RoomError> {
    match room.members(memberships).await {
        Ok(members) => Ok(members),
        Err(error) if is_network_failure(&error) => room
            .members_no_sync(memberships)
            .await
            .map_err(RoomError::from_sdk),
        Err(error) => Err(RoomError::from_sdk(error)),
    }
}

pub(crate) fn parse_user_id(user_id: &str) -> Result<OwnedUserId, RoomError> {
    UserId::parse(user_id.trim()).map_err(|_| RoomError::InvalidUserId(user_id.to_owned()))
}

/// The one reading of a room ID handed to the core (by a person, a script or a front end):
/// surrounding spaces are ignored; anything else that is not `!id:server` is refused the same
/// way everywhere.
pub(crate) fn parse_room_id(room_id: &str) -> Result<&RoomId, RoomError> {
    <&RoomId>::try_from(room_id.trim()).map_err(|_| RoomError::InvalidRoomId(room_id.to_owned()))
}

impl Account {
    /// One of this account's rooms, by ID.
    pub(crate) fn room(&self, room_id: &str) -> Result<Room, RoomError> {
        self.client()
            .get_room(parse_room_id(room_id)?)
            .ok_or_else(|| RoomError::RoomNotFound(room_id.to_owned()))
    }

    /// This account's rooms: creating, joining and leaving them, its invitations, its live
    /// room list.
    pub fn rooms(&self) -> Rooms<'_> {
        Rooms { account: self }
    }
}

/// The rooms of one account (`account.rooms()`).
#[derive(Clone, Copy, Debug)]
pub struct Rooms<'a> {
    pub(crate) account: &'a Account,
}

impl Rooms<'_> {
    /// The direct conversation with `user_id`: the existing one if there is one (as Element
    /// does), else a new encrypted one with them invited. Returns the room ID.
    #[instrument(skip(self), fields(account = %self.account.id()))]
    pub async fn create_dm(&self, user_id: &str) -> Result<String, RoomError> {
        let user_id = parse_user_id(user_id)?;
        if let Some(room) = self.account.client().get_dm_room(&user_id) {
            return Ok(room.room_id().to_string());
        }
        let room = self
            .account
            .client()
            .create_dm(&user_id)
            .await
            .map_err(RoomError::from_sdk)?;
        Ok(room.room_id().to_string())
    }

    /// Creates a private group room. Returns the room ID.
    #[instrument(skip_all, fields(account = %self.account.id()))]
    pub async fn create_room(&self, options: NewRoom) -> Result<String, RoomError> {
        let invite = options
            .invite
            .iter()
            .map(|user_id| parse_user_id(user_id))
            .collect::<Result<Vec<_>, _>>()?;
        let mut request = CreateRoomRequest::new();
        request.name = Some(options.name).filter(|name| !name.trim().is_empty());
        request.topic = options.topic.filter(|topic| !topic.trim().is_empty());
        request.visibility = Visibility::Private;
        request.invite = invite;
        if options.encrypted {
            request.initial_state = vec![
                InitialStateEvent::with_empty_state_key(
                    RoomEncryptionEventContent::with_recommended_defaults(),
                )
                .to_raw_any(),
            ];
        }
        let room = self
            .account
            .client()
            .create_room(request)
            .await
            .map_err(RoomError::from_sdk)?;
        Ok(room.room_id().to_string())
    }

    /// Whether this account knows `room_id` (joined, invited or left): a check without the
    /// work of a summary.
    pub fn is_known(&self, room_id: &str) -> bool {
        self.account.room(room_id).is_ok()
    }

    pub async fn invite(&self, room_id: &str, user_id: &str) -> Result<(), RoomError> {
        let user_id = parse_user_id(user_id)?;
        self.account
            .room(room_id)?
            .invite_user_by_id(&user_id)
            .await
            .map_err(RoomError::from_sdk)
    }

    pub async fn accept_invite(&self, room_id: &str) -> Result<(), RoomError> {
        let room = self.account.room(room_id)?;
        room.join().await.map_err(RoomError::from_sdk)?;
        refresh_member_devices(room);
        Ok(())
    }

    pub async fn decline_invite(&self, room_id: &str) -> Result<(), RoomError> {
        self.account
            .room(room_id)?
            .leave()
            .await
            .map_err(RoomError::from_sdk)
    }

    /// Joins by room ID, alias (`#general:example.org`) or a link to the room (`matrix.to` or
    /// `matrix:`), through the servers `via` and those the link names: a room ID alone does
    /// not say which server can let this one in. Returns the room ID.
    pub async fn join(&self, address: &str, via: &[String]) -> Result<String, RoomError> {
        let (target, servers) = room_and_servers(address, via)?;
        let room = self
            .account
            .client()
            .join_room_by_id_or_alias(&target, &servers)
            .await
            .map_err(RoomError::from_sdk)?;
        let room_id = room.room_id().to_string();
        refresh_member_devices(room);
        Ok(room_id)
    }

    pub async fn leave(&self, room_id: &str) -> Result<(), RoomError> {
        self.account
            .room(room_id)?
            .leave()
            .await
            .map_err(RoomError::from_sdk)
    }

    /// Marks a room unread, as a reminder to come back to it (shared with Element and every
    /// device); reading it, or "Mark as read", takes the mark away.
    pub async fn mark_as_unread(&self, room_id: &str) -> Result<(), RoomError> {
        self.account
            .room(room_id)?
            .set_unread_flag(true)
            .await
            .map_err(RoomError::from_sdk)
    }

    /// Invites several people into a room at once. Each is tried; those the server refused
    /// are returned with the reason, the others are invited.
    #[instrument(skip(self, user_ids), fields(account = %self.account.id()))]
    pub async fn invite_many(
        &self,
        room_id: &str,
        user_ids: &[String],
    ) -> Result<Vec<InviteRefused>, RoomError> {
        let room = self.account.room(room_id)?;
        let mut refused = Vec::new();
        for user_id in user_ids {
            let result = match parse_user_id(user_id) {
                Ok(user_id) => room
                    .invite_user_by_id(&user_id)
                    .await
                    .map_err(RoomError::from_sdk),
                Err(error) => Err(error),
            };
            match result {
                Ok(()) => {}
                // Offline: nobody else will go either; say so once.
                Err(RoomError::Offline) => return Err(RoomError::Offline),
                Err(error) => refused.push(InviteRefused {
                    user_id: user_id.clone(),
                    code: error.code(),
                }),
            }
        }
        Ok(refused)
    }

    /// Forgets a room left (or banned from): it leaves this account's lists for good.
    pub async fn forget(&self, room_id: &str) -> Result<(), RoomError> {
        let room = self.account.room(room_id)?;
        if matches!(
            room.state(),
            matrix_sdk::RoomState::Joined | matrix_sdk::RoomState::Invited
        ) {
            room.leave().await.map_err(RoomError::from_sdk)?;
        }
        room.forget().await.map_err(RoomError::from_sdk)
    }

    /// Marks a room a favourite (or not): a tag of the account, shared with Element and every
    /// device. A favourite is no longer low priority.
    pub async fn set_favourite(&self, room_id: &str, favourite: bool) -> Result<(), RoomError> {
        self.account
            .room(room_id)?
            .set_is_favourite(favourite, None)
            .await
            .map_err(RoomError::from_sdk)
    }

    /// Marks a room low priority (or not); a low priority room is no longer a favourite.
    pub async fn set_low_priority(&self, room_id: &str, low: bool) -> Result<(), RoomError> {
        self.account
            .room(room_id)?
            .set_is_low_priority(low, None)
            .await
            .map_err(RoomError::from_sdk)
    }

    /// The server's public rooms whose name, topic or address holds `search` (all of them for
    /// an empty search), most members first, as the server orders them.
    pub async fn public_rooms(&self, search: &str) -> Result<Vec<PublicRoom>, RoomError> {
        use matrix_sdk::ruma::{
            api::client::directory::get_public_rooms_filtered::v3::Request, directory::Filter,
        };
        const MOST_ROOMS: u32 = 50;
        let search = search.trim();
        let mut filter = Filter::new();
        if !search.is_empty() {
            filter.generic_search_term = Some(search.chars().take(255).collect());
        }
        let mut request = Request::new();
        request.filter = filter;
        request.limit = Some(MOST_ROOMS.into());
        let response = self
            .account
            .client()
            .public_rooms_filtered(request)
            .await
            .map_err(|error| RoomError::from_sdk(error.into()))?;
        Ok(response
            .chunk
            .into_iter()
            .map(|room| PublicRoom {
                joined: self
                    .account
                    .client()
                    .get_room(&room.room_id)
                    .is_some_and(|known| known.state() == matrix_sdk::RoomState::Joined),
                room_id: room.room_id.to_string(),
                name: room.name,
                topic: room.topic,
                alias: room.canonical_alias.map(|alias| alias.to_string()),
                avatar_url: room.avatar_url.map(|url| url.to_string()),
                members: u64::from(room.num_joined_members),
            })
            .collect())
    }

    /// Marks a room read from the room list: read receipt and read marker on its latest
    /// message, and the "unread" mark the user may have set removed.
    #[instrument(skip(self), fields(account = %self.account.id()))]
    pub async fn mark_as_read(&self, room_id: &str) -> Result<(), RoomError> {
        let room = self.account.room(room_id)?;
        if let matrix_sdk_base::latest_event::LatestEventValue::Remote(latest) =
            matrix_sdk_base::Room::latest_event(&room)
            && let Some(event_id) = latest.event_id()
        {
            let receipts = Receipts::new()
                .fully_read_marker(event_id.clone())
                .public_read_receipt(event_id);
            room.send_multiple_receipts(receipts)
                .await
                .map_err(RoomError::from_sdk)?;
        }
        if room.is_marked_unread() {
            room.set_unread_flag(false)
                .await
                .map_err(RoomError::from_sdk)?;
        }
        Ok(())
    }

    /// The people in a room (joined or invited), by name: for mentions, and to name who
    /// reacted, read or is typing. Asks the server once for the full list, then reads the
    /// store; offline, the store's list.
    #[instrument(skip(self), fields(account = %self.account.id()))]
    pub async fn members(&self, room_id: &str) -> Result<Vec<Member>, RoomError> {
        members_of(&self.account.room(room_id)?).await
    }
}

/// The people joined or invited, by name; from the server once, then from the store (and from
/// the store alone while the server cannot be reached).
pub(crate) async fn members_of(room: &Room) -> Result<Vec<Member>, RoomError> {
    let members = load_members(room, RoomMemberships::JOIN | RoomMemberships::INVITE).await?;
    let mut members: Vec<Member> = members
        .iter()
        .map(|member| Member {
            user_id: member.user_id().to_string(),
            display_name: member.display_name().map(ToOwned::to_owned),
            avatar_url: member.avatar_url().map(ToString::to_string),
            joined: *member.membership() == MembershipState::Join,
        })
        .collect();
    members.sort_by_cached_key(|member| {
        member
            .display_name
            .as_deref()
            .unwrap_or(&member.user_id)
            .to_lowercase()
    });
    Ok(members)
}

/// Someone the server would not invite, and why (the error's code).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct InviteRefused {
    pub user_id: String,
    pub code: Code,
}

/// A room of the server's public directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PublicRoom {
    pub room_id: String,
    pub name: Option<String>,
    pub topic: Option<String>,
    /// Its address (`#general:example.org`), when it has one.
    pub alias: Option<String>,
    pub avatar_url: Option<String>,
    pub members: u64,
    /// This account is in it already.
    pub joined: bool,
}

/// Someone in a room.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Member {
    pub user_id: String,
    pub display_name: Option<String>,
    /// `mxc://` URI, fetched through the core.
    pub avatar_url: Option<String>,
    /// `false` while only invited.
    pub joined: bool,
}
