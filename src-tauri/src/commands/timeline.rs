//! An open conversation (a room's, or a thread's): its live timeline, older messages, sending.

use estafette_core::{
    AccountId,
    timeline::{OutgoingMessage, TimelineUpdate},
};
use tauri::{State, ipc::Channel};

use crate::{
    error::IpcError,
    live::{Steering, SubscriptionId},
    state::AppState,
};

/// Opens a room's timeline: its cached items first (a `reset`), then diffs.
#[tauri::command]
#[specta::specta]
pub async fn open_timeline(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    updates: Channel<TimelineUpdate>,
) -> Result<SubscriptionId, IpcError> {
    let account = super::account(&state, &account).await?;
    let timeline = account.timeline(&room_id).await?;
    let subscription = timeline.subscribe();
    Ok(state
        .live
        .open(subscription, updates, Steering::Timeline(timeline)))
}

/// Opens the thread that starts at `root_event_id`, as [`open_timeline`] opens a room.
#[tauri::command]
#[specta::specta]
pub async fn open_thread(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    root_event_id: String,
    updates: Channel<TimelineUpdate>,
) -> Result<SubscriptionId, IpcError> {
    let account = super::account(&state, &account).await?;
    let timeline = account.thread(&room_id, &root_event_id).await?;
    let subscription = timeline.subscribe();
    Ok(state
        .live
        .open(subscription, updates, Steering::Timeline(timeline)))
}

/// Opens a room's history around one message (a reply's quote, a link to a message), as
/// [`open_timeline`] opens the live conversation.
#[tauri::command]
#[specta::specta]
pub async fn open_timeline_around(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    event_id: String,
    updates: Channel<TimelineUpdate>,
) -> Result<SubscriptionId, IpcError> {
    let account = super::account(&state, &account).await?;
    let timeline = account.timeline_around(&room_id, &event_id).await?;
    let subscription = timeline.subscribe();
    Ok(state
        .live
        .open(subscription, updates, Steering::Timeline(timeline)))
}

/// Loads up to `count` older events; `true` once the start of the room is reached.
#[tauri::command]
#[specta::specta]
pub async fn paginate_backwards(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
    count: u16,
) -> Result<bool, IpcError> {
    let timeline = state.live.timeline(subscription)?;
    Ok(timeline.paginate_backwards(count).await?)
}

/// Loads up to `count` newer events of a history opened around a message; `true` once the
/// present is reached.
#[tauri::command]
#[specta::specta]
pub async fn paginate_forwards(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
    count: u16,
) -> Result<bool, IpcError> {
    let timeline = state.live.timeline(subscription)?;
    Ok(timeline.paginate_forwards(count).await?)
}

/// Queues a message (Markdown, its mentions, what it answers); returns the transaction ID
/// its local echo carries.
#[tauri::command]
#[specta::specta]
pub async fn send_message(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
    message: OutgoingMessage,
) -> Result<String, IpcError> {
    let timeline = state.live.timeline(subscription)?;
    Ok(timeline.send(message).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn retry_send(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
    transaction_id: String,
) -> Result<(), IpcError> {
    let timeline = state.live.timeline(subscription)?;
    Ok(timeline.retry_send(&transaction_id).await?)
}

/// Cancels a message not yet sent; `false` when it had already gone out.
#[tauri::command]
#[specta::specta]
pub async fn cancel_send(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
    transaction_id: String,
) -> Result<bool, IpcError> {
    let timeline = state.live.timeline(subscription)?;
    Ok(timeline.cancel_send(&transaction_id).await?)
}

/// Stops a live subscription (room list, timeline, sync state) the UI no longer shows.
#[tauri::command]
#[specta::specta]
pub fn unsubscribe(state: State<'_, AppState>, subscription: SubscriptionId) {
    state.live.close(subscription);
}
