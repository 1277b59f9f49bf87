//! What the user does to messages in an open conversation, and what the others learn of it:
//! edit, delete, react, quotes and sources; typing, read receipts and drafts.

use estafette_core::{
    links::LinkTarget,
    rooms::Member,
    timeline::{Draft, EventSource, OutgoingMessage, Permissions},
};
use tauri::{State, ipc::Channel};

use crate::{
    error::IpcError,
    live::{Steering, SubscriptionId},
    state::AppState,
};

/// `target`, in all of these: the message's event ID, or its transaction ID while unsent.
#[tauri::command]
#[specta::specta]
pub async fn edit_message(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
    target: String,
    message: OutgoingMessage,
) -> Result<(), IpcError> {
    let timeline = state.live.timeline(subscription)?;
    Ok(timeline.edit(&target, message).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn delete_message(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
    target: String,
    reason: Option<String>,
) -> Result<(), IpcError> {
    let timeline = state.live.timeline(subscription)?;
    Ok(timeline.redact(&target, reason.as_deref()).await?)
}

/// Gives or takes back a reaction; `true` when it is now given.
#[tauri::command]
#[specta::specta]
pub async fn toggle_reaction(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
    target: String,
    key: String,
) -> Result<bool, IpcError> {
    let timeline = state.live.timeline(subscription)?;
    Ok(timeline.toggle_reaction(&target, &key).await?)
}

/// What a link in a message points at, when it is a person, a room or a message that the app
/// opens itself; `None` for a link the system browser opens.
#[tauri::command]
#[specta::specta]
pub fn link_target(href: String) -> Option<LinkTarget> {
    estafette_core::links::link_target(&href)
}

/// Fetches the message a reply quotes; the reply's item updates when it arrives.
#[tauri::command]
#[specta::specta]
pub async fn load_quote(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
    reply_event_id: String,
) -> Result<(), IpcError> {
    let timeline = state.live.timeline(subscription)?;
    Ok(timeline.load_quote(&reply_event_id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn event_source(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
    target: String,
) -> Result<EventSource, IpcError> {
    let timeline = state.live.timeline(subscription)?;
    Ok(timeline.source(&target).await?)
}

/// Called as the composer changes; the core throttles what reaches the server.
#[tauri::command]
#[specta::specta]
pub async fn set_typing(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
    typing: bool,
) -> Result<(), IpcError> {
    let timeline = state.live.timeline(subscription)?;
    timeline.set_typing(typing).await;
    Ok(())
}

/// Who else is typing (user IDs): the current list, then each change. Async so that it runs
/// on the runtime, where the subscription's task is spawned.
#[tauri::command]
#[specta::specta]
pub async fn watch_typing(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
    updates: Channel<Vec<String>>,
) -> Result<SubscriptionId, IpcError> {
    let timeline = state.live.timeline(subscription)?;
    Ok(state.live.open(timeline.typing(), updates, Steering::None))
}

/// The people of the conversation: the list now, then again after each change.
#[tauri::command]
#[specta::specta]
pub async fn watch_members(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
    updates: Channel<Vec<Member>>,
) -> Result<SubscriptionId, IpcError> {
    let timeline = state.live.timeline(subscription)?;
    Ok(state
        .live
        .open(timeline.watch_members(), updates, Steering::None))
}

/// What this user may do in the conversation: now, then after each change of rights.
#[tauri::command]
#[specta::specta]
pub async fn watch_permissions(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
    updates: Channel<Permissions>,
) -> Result<SubscriptionId, IpcError> {
    let timeline = state.live.timeline(subscription)?;
    Ok(state
        .live
        .open(timeline.watch_permissions(), updates, Steering::None))
}

/// Moves the read receipt and the read marker down to `event_id`, never back.
#[tauri::command]
#[specta::specta]
pub async fn mark_read_up_to(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
    event_id: String,
) -> Result<(), IpcError> {
    let timeline = state.live.timeline(subscription)?;
    Ok(timeline.mark_read_up_to(&event_id).await?)
}

/// The user sees the latest event: a read receipt, the read marker left where it is.
#[tauri::command]
#[specta::specta]
pub async fn send_read_receipt(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
) -> Result<(), IpcError> {
    let timeline = state.live.timeline(subscription)?;
    Ok(timeline.send_read_receipt().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn mark_as_read(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
) -> Result<(), IpcError> {
    let timeline = state.live.timeline(subscription)?;
    Ok(timeline.mark_as_read().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn load_draft(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
) -> Result<Option<Draft>, IpcError> {
    let timeline = state.live.timeline(subscription)?;
    Ok(timeline.draft().await?)
}

/// Keeps the draft in the account's store; an empty new message removes it.
#[tauri::command]
#[specta::specta]
pub async fn save_draft(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
    draft: Draft,
) -> Result<(), IpcError> {
    let timeline = state.live.timeline(subscription)?;
    Ok(timeline.save_draft(draft).await?)
}
