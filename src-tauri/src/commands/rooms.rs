//! The room list, and creating, joining and leaving rooms.

use estafette_core::{
    AccountId,
    room_list::{RoomListLoading, RoomListQuery, RoomListUpdate},
    rooms::{Member, NewRoom},
};
use tauri::{State, ipc::Channel};

use crate::{
    error::IpcError,
    live::{Steering, SubscriptionId},
    state::AppState,
};

/// Rooms per page of the live list: a few screens' worth, so that the first paint waits for
/// no more summaries than it shows; the UI asks for more as the user scrolls.
const ROOM_LIST_PAGE: usize = 60;

/// The live room list: a `reset` first, then batches of diffs.
#[tauri::command]
#[specta::specta]
pub async fn watch_room_list(
    state: State<'_, AppState>,
    account: AccountId,
    query: RoomListQuery,
    updates: Channel<RoomListUpdate>,
) -> Result<SubscriptionId, IpcError> {
    let account = super::account(&state, &account).await?;
    let (subscription, controller) = account.rooms().list(query, ROOM_LIST_PAGE).await?;
    Ok(state
        .live
        .open(subscription, updates, Steering::RoomList(controller)))
}

/// How far the room list has loaded, now and at each change: the list says "more rooms are
/// loading" until every room the server counts has arrived.
#[tauri::command]
#[specta::specta]
pub async fn watch_room_list_loading(
    state: State<'_, AppState>,
    account: AccountId,
    updates: Channel<RoomListLoading>,
) -> Result<SubscriptionId, IpcError> {
    let account = super::account(&state, &account).await?;
    let subscription = account.rooms().list_loading().await?;
    Ok(state.live.open(subscription, updates, Steering::None))
}

#[tauri::command]
#[specta::specta]
pub fn set_room_list_query(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
    query: RoomListQuery,
) -> Result<(), IpcError> {
    state.live.room_list(subscription)?.set_query(query);
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub fn load_more_rooms(
    state: State<'_, AppState>,
    subscription: SubscriptionId,
) -> Result<(), IpcError> {
    state.live.room_list(subscription)?.load_more();
    Ok(())
}

/// Marks a room read from the room list.
#[tauri::command]
#[specta::specta]
pub async fn mark_room_as_read(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.rooms().mark_as_read(&room_id).await?)
}

/// The people in a room, by name.
#[tauri::command]
#[specta::specta]
pub async fn room_members(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
) -> Result<Vec<Member>, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.rooms().members(&room_id).await?)
}

/// The direct conversation with `user_id` (an existing one if any); returns its room ID.
#[tauri::command]
#[specta::specta]
pub async fn create_direct_message(
    state: State<'_, AppState>,
    account: AccountId,
    user_id: String,
) -> Result<String, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.rooms().create_dm(user_id.trim()).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn create_room(
    state: State<'_, AppState>,
    account: AccountId,
    room: NewRoom,
) -> Result<String, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.rooms().create_room(room).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn accept_invite(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.rooms().accept_invite(&room_id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn decline_invite(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.rooms().decline_invite(&room_id).await?)
}

/// Joins by room ID, alias or link, through the servers `via`; returns the room ID.
#[tauri::command]
#[specta::specta]
pub async fn join_room(
    state: State<'_, AppState>,
    account: AccountId,
    room: String,
    via: Vec<String>,
) -> Result<String, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.rooms().join(&room, &via).await?)
}
