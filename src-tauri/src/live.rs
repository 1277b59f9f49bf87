//! Live data on Tauri channels: each subscription forwards a core `Subscription` to one
//! channel until the UI unsubscribes, the page reloads, or the window closes.

use std::{
    collections::HashMap,
    sync::{
        Mutex, MutexGuard,
        atomic::{AtomicU32, Ordering},
    },
};

use estafette_core::{Subscription, room_list::RoomListController, timeline::RoomTimeline};
use serde::Serialize;
use tauri::{async_runtime::JoinHandle, ipc::Channel};

use crate::error::IpcError;

/// Identifies one live subscription between the UI and the shell.
pub type SubscriptionId = u32;

/// What a subscription lets the UI steer besides receiving updates.
#[derive(Debug, Clone)]
pub enum Steering {
    None,
    RoomList(RoomListController),
    Timeline(RoomTimeline),
}

#[derive(Debug)]
struct Live {
    forwarder: JoinHandle<()>,
    steering: Steering,
}

#[derive(Debug, Default)]
pub struct LiveSubscriptions {
    next_id: AtomicU32,
    entries: Mutex<HashMap<SubscriptionId, Live>>,
}

impl LiveSubscriptions {
    /// Forwards every update of `subscription` to `channel`; returns the ID to steer or
    /// close it with.
    pub fn open<T>(
        &self,
        mut subscription: Subscription<T>,
        channel: Channel<T>,
        steering: Steering,
    ) -> SubscriptionId
    where
        T: Serialize + Clone + Send + 'static,
    {
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let forwarder = tauri::async_runtime::spawn(async move {
            while let Some(update) = subscription.next().await {
                if channel.send(update).is_err() {
                    break;
                }
            }
        });
        self.entries().insert(
            id,
            Live {
                forwarder,
                steering,
            },
        );
        id
    }

    pub fn steering(&self, id: SubscriptionId) -> Result<Steering, IpcError> {
        self.entries()
            .get(&id)
            .map(|live| live.steering.clone())
            .ok_or_else(IpcError::subscription_closed)
    }

    pub fn room_list(&self, id: SubscriptionId) -> Result<RoomListController, IpcError> {
        match self.steering(id)? {
            Steering::RoomList(controller) => Ok(controller),
            _ => Err(IpcError::subscription_closed()),
        }
    }

    pub fn timeline(&self, id: SubscriptionId) -> Result<RoomTimeline, IpcError> {
        match self.steering(id)? {
            Steering::Timeline(timeline) => Ok(timeline),
            _ => Err(IpcError::subscription_closed()),
        }
    }

    /// Stops forwarding; dropping the core subscription stops its producer too.
    pub fn close(&self, id: SubscriptionId) {
        if let Some(live) = self.entries().remove(&id) {
            live.forwarder.abort();
        }
    }

    pub fn close_all(&self) {
        for (_, live) in self.entries().drain() {
            live.forwarder.abort();
        }
    }

    fn entries(&self) -> MutexGuard<'_, HashMap<SubscriptionId, Live>> {
        // A panic while holding this lock cannot leave the map half-updated: recover it.
        self.entries
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}
