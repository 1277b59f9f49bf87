//! Who is in an open conversation and what this user may do there, kept up to date while it is
//! open: someone who joins can be mentioned at once, and a right given or taken away shows at
//! once (the `@room` suggestion, the delete item of the message menu).

use std::time::Duration;

use futures_util::{FutureExt, StreamExt};
use matrix_sdk::{
    Room,
    ruma::{
        UserId,
        events::{
            MessageLikeEventType, room::member::SyncRoomMemberEvent,
            room::power_levels::SyncRoomPowerLevelsEvent,
        },
    },
};
use serde::Serialize;
use tracing::warn;

use super::RoomTimeline;
use crate::{
    Subscription,
    rooms::{Member, members_of},
};

/// Changes that come together (a burst of joins, a sync catching up) are read once.
const SETTLE: Duration = Duration::from_millis(200);

/// What this user may do in the room, by its power levels.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Permissions {
    pub delete_own: bool,
    pub delete_others: bool,
    /// `@room`: notify everyone.
    pub mention_room: bool,
    pub send_messages: bool,
}

impl RoomTimeline {
    /// What this user may do here, by the room's power levels as they are now.
    pub async fn permissions(&self) -> Permissions {
        permissions_in(&self.slot.room, &self.own_user_id).await
    }

    /// What this user may do here: now, then after each change of the room's power levels.
    pub fn watch_permissions(&self) -> Subscription<Permissions> {
        let room = self.slot.room.clone();
        let me = self.own_user_id.clone();
        Subscription::spawn(|sender| async move {
            // Observed before the first reading, so that no change falls between the two.
            let observer = room
                .client()
                .observe_room_events::<SyncRoomPowerLevelsEvent, Room>(room.room_id());
            let mut changes = Box::pin(observer.subscribe());
            let mut last = permissions_in(&room, &me).await;
            if !sender.send(last) {
                return;
            }
            while settled(&mut changes).await {
                let now = permissions_in(&room, &me).await;
                if now != last {
                    last = now;
                    if !sender.send(now) {
                        return;
                    }
                }
            }
        })
    }

    /// The people joined or invited, by name: now, then after each change of membership, name
    /// or avatar.
    pub fn watch_members(&self) -> Subscription<Vec<Member>> {
        let room = self.slot.room.clone();
        Subscription::spawn(|sender| async move {
            let observer = room
                .client()
                .observe_room_events::<SyncRoomMemberEvent, Room>(room.room_id());
            let mut changes = Box::pin(observer.subscribe());
            let mut last = read_members(&room).await;
            if !sender.send(last.clone()) {
                return;
            }
            while settled(&mut changes).await {
                let now = read_members(&room).await;
                if now != last {
                    last = now.clone();
                    if !sender.send(now) {
                        return;
                    }
                }
            }
        })
    }
}

async fn permissions_in(room: &Room, me: &UserId) -> Permissions {
    let levels = room.power_levels_or_default().await;
    Permissions {
        delete_own: levels.user_can_redact_own_event(me),
        delete_others: levels.user_can_redact_event_of_other(me),
        mention_room: levels.user_can_trigger_room_notification(me),
        send_messages: levels.user_can_send_message(me, MessageLikeEventType::RoomMessage),
    }
}

/// The members, or none when even the store cannot say (the list is read again at the next
/// change).
async fn read_members(room: &Room) -> Vec<Member> {
    members_of(room).await.unwrap_or_else(|error| {
        warn!(%error, "the room's members could not be read");
        Vec::new()
    })
}

/// Waits for a change, then lets those that come with it arrive; `false` once the observer is
/// gone (the client shut down).
async fn settled<T>(changes: &mut (impl futures_util::Stream<Item = T> + Unpin)) -> bool {
    if changes.next().await.is_none() {
        return false;
    }
    tokio::time::sleep(SETTLE).await;
    // Those that arrived meanwhile are read with it.
    while let Some(Some(_)) = changes.next().now_or_never() {}
    true
}
