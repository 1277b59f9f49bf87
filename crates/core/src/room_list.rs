//! The live, sorted list of an account's rooms (matrix-sdk-ui's `RoomListService`), with its
//! filters, mapped to [`RoomSummary`] and delivered as diffs.

use matrix_sdk::{Room, RoomState};
use matrix_sdk_ui::{
    room_list_service::{
        RoomList, RoomListItem, RoomListLoadingState,
        filters::{
            BoxedFilterFn, RoomCategory, new_filter_all, new_filter_category,
            new_filter_deduplicate_versions, new_filter_favourite, new_filter_invite,
            new_filter_low_priority, new_filter_non_left, new_filter_normalized_match_room_name,
            new_filter_not, new_filter_space, new_filter_unread,
        },
    },
    timeline::{LatestEventValue, RoomExt, TimelineDetails},
};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

use crate::{Error, ListDiff, Subscription, rooms::Rooms, timeline::map_content};

/// One entry of the room list.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RoomSummary {
    pub id: String,
    pub name: String,
    /// The room's main address (`#name:server`), which links may name it by.
    pub canonical_alias: Option<String>,
    /// `mxc://` URI, fetched through the core.
    pub avatar_url: Option<String>,
    pub is_direct: bool,
    /// The other person of a one-to-one direct conversation (to verify them, say).
    pub direct_user_id: Option<String>,
    pub is_encrypted: bool,
    pub membership: Membership,
    /// Messages not yet read (computed locally from read receipts).
    pub unread_messages: u64,
    /// Of which, ones that notify under the user's push rules.
    pub unread_notifications: u64,
    /// Of which, mentions and keywords (highlights).
    pub unread_mentions: u64,
    pub is_marked_unread: bool,
    /// Tags of the account, shared with Element: shown as sections of the room list.
    pub is_favourite: bool,
    pub is_low_priority: bool,
    pub latest_message: Option<LatestMessage>,
    /// Who invited the user, for invites.
    pub inviter: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum Membership {
    Joined,
    Invited,
    Knocked,
    Left,
    Banned,
}

/// The preview line of a room.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct LatestMessage {
    pub sender_id: String,
    pub sender_name: Option<String>,
    pub is_own: bool,
    pub timestamp_ms: u64,
    /// Front ends put it into words in the user's language; `EventContent::summary` is an
    /// English line for the CLI.
    pub content: crate::timeline::EventContent,
    /// Still being sent (or failed to send) from this device.
    pub is_local: bool,
}

/// Which rooms a list shows.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(rename_all = "snake_case")]
pub enum RoomFilter {
    #[default]
    All,
    /// Direct conversations with one person.
    People,
    /// Group rooms.
    Rooms,
    Invites,
    Unread,
    /// Rooms marked favourite (a tag shared with Element).
    Favourites,
    /// Rooms marked low priority.
    LowPriority,
}

/// A filter plus an optional search on room names.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RoomListQuery {
    pub filter: RoomFilter,
    pub search: Option<String>,
}

impl RoomListQuery {
    fn to_filter(&self) -> BoxedFilterFn {
        let mut filters: Vec<BoxedFilterFn> = vec![
            Box::new(new_filter_non_left()),
            Box::new(new_filter_deduplicate_versions()),
            Box::new(new_filter_not(Box::new(new_filter_space()))),
        ];
        match self.filter {
            RoomFilter::All => {}
            RoomFilter::People => {
                filters.push(Box::new(new_filter_category(RoomCategory::People)));
                filters.push(Box::new(new_filter_not(Box::new(new_filter_invite()))));
            }
            RoomFilter::Rooms => {
                filters.push(Box::new(new_filter_category(RoomCategory::Group)));
                filters.push(Box::new(new_filter_not(Box::new(new_filter_invite()))));
            }
            RoomFilter::Invites => filters.push(Box::new(new_filter_invite())),
            RoomFilter::Unread => filters.push(Box::new(new_filter_unread())),
            RoomFilter::Favourites => filters.push(Box::new(new_filter_favourite())),
            RoomFilter::LowPriority => filters.push(Box::new(new_filter_low_priority())),
        }
        if let Some(search) = self
            .search
            .as_deref()
            .map(str::trim)
            .filter(|text| !text.is_empty())
        {
            filters.push(Box::new(new_filter_normalized_match_room_name(search)));
        }
        Box::new(new_filter_all(filters))
    }
}

enum Command {
    SetQuery(RoomListQuery),
    LoadMore,
}

/// Steers a live room list: changing the query sends a `Reset` of the new list through its
/// subscription, then diffs again.
#[derive(Clone, Debug)]
pub struct RoomListController {
    commands: mpsc::UnboundedSender<Command>,
}

impl std::fmt::Debug for Command {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Command")
    }
}

impl RoomListController {
    pub fn set_query(&self, query: RoomListQuery) {
        // The only failure is a dropped subscription, whose list nobody shows any more.
        let _ = self.commands.send(Command::SetQuery(query));
    }

    /// Extends the list by one page (for long lists scrolled to their end).
    pub fn load_more(&self) {
        let _ = self.commands.send(Command::LoadMore);
    }
}

/// How much of the account's room list has arrived from the server.
///
/// Sync settles (`SyncState::UpToDate`) once the first window of rooms is in; a large account's
/// remaining rooms then arrive in further batches. Front ends say "more rooms are loading"
/// until `fully_loaded`, and scripts wait for it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct RoomListLoading {
    /// Every room the server counts has been received (or restored from the cache, offline).
    pub fully_loaded: bool,
    /// How many rooms the server says the account has, once it has said so.
    pub rooms_on_server: Option<u32>,
    /// How many of them this client has so far (joined and invited).
    pub rooms_received: u32,
}

/// What one update of a room list subscription carries.
pub type RoomListUpdate = Vec<ListDiff<RoomSummary>>;

impl Rooms<'_> {
    /// The account's rooms, most recent activity first, `page_size` at a time.
    pub async fn list(
        &self,
        query: RoomListQuery,
        page_size: usize,
    ) -> Result<(Subscription<RoomListUpdate>, RoomListController), Error> {
        let room_list = self.all_rooms().await?;
        let (commands, mut command_receiver) = mpsc::unbounded_channel();
        let updates = Subscription::spawn(|sender| async move {
            let (stream, controller) = room_list.entries_with_dynamic_adapters(page_size);
            futures_util::pin_mut!(stream);
            controller.set_filter(query.to_filter());
            // The list lives as long as its subscription; a dropped controller only means
            // the query no longer changes.
            let mut steerable = true;
            loop {
                tokio::select! {
                    diffs = futures_util::StreamExt::next(&mut stream) => {
                        let Some(diffs) = diffs else { return };
                        let mut batch = Vec::with_capacity(diffs.len());
                        for diff in diffs {
                            batch.push(ListDiff::from_vector_diff(diff, summarise_item).await);
                        }
                        if !sender.send(batch) {
                            return;
                        }
                    }
                    command = command_receiver.recv(), if steerable => match command {
                        Some(Command::SetQuery(query)) => {
                            controller.set_filter(query.to_filter());
                        }
                        Some(Command::LoadMore) => controller.add_one_page(),
                        None => steerable = false,
                    },
                }
            }
        });
        Ok((updates, RoomListController { commands }))
    }

    /// The room list service's list of every room, which the live lists and their loading
    /// state are views of.
    async fn all_rooms(&self) -> Result<RoomList, Error> {
        self.account
            .sync_service()
            .room_list_service()
            .all_rooms()
            .await
            .map_err(|error| Error::Sync(error.to_string()))
    }

    /// How far the room list has loaded: the current state first, then each change.
    ///
    /// The server counts the account's joined and invited rooms; the list is fully loaded
    /// once the client knows that many.
    pub async fn list_loading(&self) -> Result<Subscription<RoomListLoading>, Error> {
        let room_list = self.all_rooms().await?;
        let client = self.account.client().clone();
        Ok(Subscription::spawn(|sender| async move {
            let mut loading_states = room_list.loading_state();
            let (_, mut room_changes) = client.rooms_stream();
            let mut rooms_on_server = match loading_states.get() {
                RoomListLoadingState::Loaded {
                    maximum_number_of_rooms,
                } => maximum_number_of_rooms,
                RoomListLoadingState::NotLoaded => None,
            };
            let mut sent = None;
            loop {
                // What the server counts: joined and invited rooms, not left ones.
                let listed = client
                    .rooms()
                    .iter()
                    .filter(|room| matches!(room.state(), RoomState::Joined | RoomState::Invited))
                    .count();
                let rooms_received = u32::try_from(listed).unwrap_or(u32::MAX);
                let current = RoomListLoading {
                    fully_loaded: rooms_on_server.is_some_and(|count| rooms_received >= count),
                    rooms_on_server,
                    rooms_received,
                };
                if sent != Some(current) {
                    if !sender.send(current) {
                        return;
                    }
                    sent = Some(current);
                }
                tokio::select! {
                    Some(state) = loading_states.next() => {
                        if let RoomListLoadingState::Loaded { maximum_number_of_rooms } = state {
                            rooms_on_server = maximum_number_of_rooms;
                        }
                    }
                    Some(_) = futures_util::StreamExt::next(&mut room_changes) => {}
                    else => return,
                }
            }
        }))
    }

    /// A summary of one room, now.
    pub async fn summary(&self, room_id: &str) -> Option<RoomSummary> {
        let room = self.account.room(room_id).ok()?;
        Some(summarise(&room).await)
    }
}

async fn summarise_item(item: RoomListItem) -> RoomSummary {
    summarise(&item.into_inner()).await
}

pub(crate) async fn summarise(room: &Room) -> RoomSummary {
    let membership = match room.state() {
        RoomState::Joined => Membership::Joined,
        RoomState::Invited => Membership::Invited,
        RoomState::Knocked => Membership::Knocked,
        RoomState::Left => Membership::Left,
        RoomState::Banned => Membership::Banned,
    };
    let inviter = if membership == Membership::Invited {
        room.invite_details().await.ok().map(|invite| {
            invite
                .inviter
                .and_then(|member| member.display_name().map(ToOwned::to_owned))
                .unwrap_or_else(|| invite.inviter_id.to_string())
        })
    } else {
        None
    };
    let name = match room.display_name().await {
        Ok(name) => name.to_string(),
        Err(_) => room.room_id().to_string(),
    };
    RoomSummary {
        id: room.room_id().to_string(),
        name,
        canonical_alias: room.canonical_alias().map(|alias| alias.to_string()),
        avatar_url: room.avatar_url().map(|url| url.to_string()),
        is_direct: room.is_direct().await.unwrap_or(false),
        direct_user_id: one_direct_target(room),
        is_encrypted: room.encryption_state().is_encrypted(),
        membership,
        unread_messages: room.num_unread_messages(),
        unread_notifications: room.num_unread_notifications(),
        unread_mentions: room.num_unread_mentions(),
        is_marked_unread: room.is_marked_unread(),
        is_favourite: room.is_favourite(),
        is_low_priority: room.is_low_priority(),
        latest_message: latest_message(room).await,
        inviter,
    }
}

fn one_direct_target(room: &Room) -> Option<String> {
    let targets = room.direct_targets();
    let mut users = targets.iter().filter_map(|target| target.as_user_id());
    match (users.next(), users.next()) {
        (Some(user), None) => Some(user.to_string()),
        _ => None,
    }
}

async fn latest_message(room: &Room) -> Option<LatestMessage> {
    let (sender_id, profile, is_own, timestamp, content, is_local) =
        match RoomExt::latest_event(room).await {
            LatestEventValue::Remote {
                timestamp,
                sender,
                is_own,
                profile,
                content,
            } => (sender, profile, is_own, timestamp, content, false),
            LatestEventValue::Local {
                timestamp,
                sender,
                profile,
                content,
                ..
            } => (sender, profile, true, timestamp, content, true),
            LatestEventValue::None | LatestEventValue::RemoteInvite { .. } => return None,
        };
    let content = map_content(&content);
    Some(LatestMessage {
        sender_id: sender_id.to_string(),
        sender_name: match profile {
            TimelineDetails::Ready(profile) => profile.display_name,
            _ => None,
        },
        is_own,
        timestamp_ms: timestamp.0.into(),
        content,
        is_local,
    })
}
