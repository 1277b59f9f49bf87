//! What waits to be read across all of an account's rooms (`account.rooms().unread_totals()`):
//! the figure of the tray, the taskbar badge and the window title, for every account and not
//! only the one on screen.
//!
//! The counts are the room list's own (the SDK's, from push rules, computed on this device so
//! that encrypted rooms count too), summed again when a room's information changes: a message,
//! a read receipt from any device, an unread marker. Bursts are gathered so that a hundred
//! messages a second cost a handful of sums.

use std::time::Duration;

use matrix_sdk::{Client, RoomState};
use serde::Serialize;
use tokio::sync::broadcast::error::RecvError;

use crate::{Subscription, rooms::Rooms};

/// Changes within this time make one new total.
const GATHER: Duration = Duration::from_millis(250);

/// An account's unread figures.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UnreadTotals {
    /// Messages that notify (as each room's level says), in joined rooms.
    pub notifications: u64,
    /// Of which, mentions and keywords.
    pub mentions: u64,
    /// Invitations waiting for an answer.
    pub invites: u64,
}

impl UnreadTotals {
    /// What the badge shows: notifying messages and invitations.
    pub fn badge(&self) -> u64 {
        self.notifications + self.invites
    }
}

fn totals(client: &Client) -> UnreadTotals {
    let mut totals = UnreadTotals::default();
    for room in client.rooms() {
        match room.state() {
            RoomState::Joined => {
                totals.notifications += room.num_unread_notifications();
                totals.mentions += room.num_unread_mentions();
            }
            RoomState::Invited => totals.invites += 1,
            _ => {}
        }
    }
    totals
}

impl Rooms<'_> {
    /// The account's unread totals now, then each time they change.
    pub fn unread_totals(&self) -> Subscription<UnreadTotals> {
        let client = self.account.client().clone();
        let mut changes = client.room_info_notable_update_receiver();
        Subscription::spawn(|sender| async move {
            let mut last = totals(&client);
            if !sender.send(last) {
                return;
            }
            loop {
                match changes.recv().await {
                    Ok(_) | Err(RecvError::Lagged(_)) => {}
                    Err(RecvError::Closed) => return,
                }
                tokio::time::sleep(GATHER).await;
                // What came meanwhile is in the new sum.
                while let Ok(_) | Err(tokio::sync::broadcast::error::TryRecvError::Lagged(_)) =
                    changes.try_recv()
                {}
                let now = totals(&client);
                if now != last {
                    last = now;
                    if !sender.send(now) {
                        return;
                    }
                }
            }
        })
    }
}
