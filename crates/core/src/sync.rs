//! Keeping an account in sync with its homeserver: matrix-sdk-ui's `SyncService` (Simplified
//! Sliding Sync) in offline mode, summarised as one observable [`SyncState`].
//!
//! This module also owns what must happen when connectivity changes: re-arming the send
//! queue once the server answers again (and retrying a room's queue after a failed send, as
//! sync may never notice a short outage), and restarting sync after a failure.

use std::{
    collections::HashMap,
    sync::Arc,
    time::{Duration, Instant},
};

use eyeball::SharedObservable;
use matrix_sdk::{Client, ruma::OwnedRoomId};
use matrix_sdk_ui::{
    room_list_service::State as RoomListState,
    sync_service::{State as ServiceState, SyncService},
};
use serde::Serialize;
use tokio::sync::{Notify, broadcast};

use crate::account_validity;
use tracing::{info, warn};

/// How up to date an account is with its server.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum SyncState {
    /// Starting.
    Connecting,
    /// Stopped on purpose (the application is quitting or the account signing out).
    Stopped,
    /// Connected and catching up.
    Syncing,
    /// Connected and caught up; new events arrive as they happen.
    UpToDate,
    /// The server cannot be reached; the account works from its cache and reconnects by itself.
    Offline,
    /// Sync failed for another reason; it is retried with a growing delay.
    Error { message: String },
    /// The server no longer accepts this session (signed out elsewhere): sign in again.
    SessionExpired,
    /// The account's validity ran out: the server refuses everything until it is renewed
    /// from the link of a renewal email. Sync keeps trying, and resumes by itself after.
    AccountExpired,
}

fn summarise(service: &ServiceState, room_list: &RoomListState) -> SyncState {
    match service {
        ServiceState::Idle => SyncState::Connecting,
        ServiceState::Terminated => SyncState::Stopped,
        ServiceState::Offline => SyncState::Offline,
        ServiceState::Error(error) => SyncState::Error {
            message: error.to_string(),
        },
        ServiceState::Running => match room_list {
            RoomListState::Running => SyncState::UpToDate,
            _ => SyncState::Syncing,
        },
    }
}

/// How often an expired account is asked about again, and how soon after a failure expiry
/// is checked again.
const EXPIRY_CHECK_INTERVAL: Duration = Duration::from_secs(10);

/// Runs for the lifetime of an account: publishes its [`SyncState`] and reacts to changes.
/// `retry` wakes it at once (the account was just renewed).
pub(crate) async fn supervise(
    client: Client,
    service: Arc<SyncService>,
    state: SharedObservable<SyncState>,
    retry: Arc<Notify>,
) {
    let mut service_states = service.state();
    let mut room_list_states = service.room_list_service().state();
    let mut service_state = service_states.get();
    let mut room_list_state = room_list_states.get();
    let mut retry_delay = Duration::from_secs(1);
    let mut expired = false;
    let mut expiry_checked: Option<Instant> = None;
    loop {
        let mut next = summarise(&service_state, &room_list_state);
        if expired {
            next = SyncState::AccountExpired;
        }
        publish(&client, &state, next.clone(), &mut retry_delay).await;
        // Told after the failure is shown: the question may take a while to answer.
        let failing = matches!(next, SyncState::Offline | SyncState::Error { .. });
        if failing
            && expiry_checked.is_none_or(|checked| checked.elapsed() >= EXPIRY_CHECK_INTERVAL)
        {
            expiry_checked = Some(Instant::now());
            expired = account_validity::has_expired(&client).await;
            if expired {
                next = SyncState::AccountExpired;
                publish(&client, &state, next.clone(), &mut retry_delay).await;
            }
        }
        if expired {
            // Nothing works until the account is renewed: ask again now and then, or at once
            // when told it was.
            tokio::select! {
                _ = retry.notified() => {}
                _ = tokio::time::sleep(EXPIRY_CHECK_INTERVAL) => {}
            }
            expiry_checked = Some(Instant::now());
            if !account_validity::has_expired(&client).await {
                info!("the account was renewed");
                expired = false;
                service.start().await;
            }
            service_state = service_states.get();
            room_list_state = room_list_states.get();
            continue;
        }
        if let SyncState::Error { .. } = next {
            tokio::select! {
                _ = retry.notified() => {}
                _ = tokio::time::sleep(retry_delay) => {}
            }
            retry_delay = (retry_delay * 2).min(Duration::from_secs(30));
            warn!("restarting sync after an error");
            service.start().await;
        }
        tokio::select! {
            Some(update) = service_states.next() => service_state = update,
            Some(update) = room_list_states.next() => room_list_state = update,
            else => break,
        }
    }
}

/// Makes `next` the account's sync state, unless the session has ended for good.
async fn publish(
    client: &Client,
    state: &SharedObservable<SyncState>,
    next: SyncState,
    retry_delay: &mut Duration,
) {
    let previous = state.get();
    if previous == SyncState::SessionExpired || previous == next {
        return;
    }
    info!(?next, "sync state");
    if matches!(next, SyncState::Syncing | SyncState::UpToDate)
        && !matches!(previous, SyncState::Syncing | SyncState::UpToDate)
    {
        // A failed send disables its room's queue; the server answers again, so whatever
        // was typed meanwhile goes out now.
        client.send_queue().set_enabled(true).await;
        *retry_delay = Duration::from_secs(1);
    }
    state.set(next);
}

/// First wait before a room's queue, stopped by a failed send, tries again; doubled each time
/// it fails again, up to the longest. Quiet for a while, a room starts over from the first.
const SEND_RETRY_FIRST: Duration = Duration::from_secs(1);
const SEND_RETRY_LONGEST: Duration = Duration::from_secs(30);
const SEND_RETRY_FORGOTTEN_AFTER: Duration = Duration::from_secs(120);

/// Runs for the lifetime of an account: re-arms a room's send queue after the SDK stopped it
/// on a failed send (the server gone, a timeout). The sync state alone is not enough: a
/// server back before sync noticed it was gone never changes the state, and the message would
/// wait for the next outage.
pub(crate) async fn retry_failed_sends(client: Client) {
    let mut errors = client.send_queue().subscribe_errors();
    let mut waits: HashMap<OwnedRoomId, (Duration, Instant)> = HashMap::new();
    loop {
        let error = match errors.recv().await {
            Ok(error) => error,
            Err(broadcast::error::RecvError::Lagged(_)) => continue,
            Err(broadcast::error::RecvError::Closed) => break,
        };
        if !error.is_recoverable {
            continue;
        }
        let now = Instant::now();
        let wait = match waits.get(&error.room_id) {
            Some((wait, last)) if now.duration_since(*last) < SEND_RETRY_FORGOTTEN_AFTER => {
                (*wait * 2).min(SEND_RETRY_LONGEST)
            }
            _ => SEND_RETRY_FIRST,
        };
        waits.insert(error.room_id.clone(), (wait, now));
        let Some(room) = client.get_room(&error.room_id) else {
            continue;
        };
        tokio::spawn(async move {
            tokio::time::sleep(wait).await;
            room.send_queue().set_enabled(true);
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn running_is_up_to_date_only_once_the_room_list_runs() {
        assert_eq!(
            summarise(&ServiceState::Running, &RoomListState::Init),
            SyncState::Syncing
        );
        assert_eq!(
            summarise(&ServiceState::Running, &RoomListState::Running),
            SyncState::UpToDate
        );
        assert_eq!(
            summarise(&ServiceState::Offline, &RoomListState::Running),
            SyncState::Offline
        );
        assert_eq!(
            summarise(&ServiceState::Idle, &RoomListState::Init),
            SyncState::Connecting
        );
    }
}
