//! Keeping an account in sync with its homeserver: matrix-sdk-ui's `SyncService` (Simplified
//! Sliding Sync) in offline mode, summarised as one observable [`SyncState`].
//!
//! This module also owns what must happen when connectivity changes: re-arming the send
//! queue once the server answers again, and restarting sync after a failure.

use std::{sync::Arc, time::Duration};

use eyeball::SharedObservable;
use matrix_sdk::Client;
use matrix_sdk_ui::{
    room_list_service::State as RoomListState,
    sync_service::{State as ServiceState, SyncService},
};
use serde::Serialize;
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

/// Runs for the lifetime of an account: publishes its [`SyncState`] and reacts to changes.
pub(crate) async fn supervise(
    client: Client,
    service: Arc<SyncService>,
    state: SharedObservable<SyncState>,
) {
    let mut service_states = service.state();
    let mut room_list_states = service.room_list_service().state();
    let mut service_state = service_states.get();
    let mut room_list_state = room_list_states.get();
    let mut retry_delay = Duration::from_secs(1);
    loop {
        let next = summarise(&service_state, &room_list_state);
        let previous = state.get();
        if previous != SyncState::SessionExpired && previous != next {
            info!(?next, "sync state");
            if matches!(next, SyncState::Syncing | SyncState::UpToDate)
                && !matches!(previous, SyncState::Syncing | SyncState::UpToDate)
            {
                // A failed send disables its room's queue; the server answers again, so
                // whatever was typed meanwhile goes out now.
                client.send_queue().set_enabled(true).await;
                retry_delay = Duration::from_secs(1);
            }
            state.set(next.clone());
        }
        if let SyncState::Error { .. } = next {
            tokio::time::sleep(retry_delay).await;
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
