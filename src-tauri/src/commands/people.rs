//! People and the rooms they are in: the directories (people, public rooms), inviting into a
//! room, leaving and forgetting it, favourites, ignoring someone.

use estafette_core::{
    AccountId,
    people::Directory,
    rooms::{InviteRefused, PublicRoom},
};
use tauri::State;

use crate::{error::IpcError, state::AppState};

/// The people whose name or Matrix ID holds `term`.
#[tauri::command]
#[specta::specta]
pub async fn search_people(
    state: State<'_, AppState>,
    account: AccountId,
    term: String,
) -> Result<Directory, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.people().search(&term).await?)
}

/// The server's public rooms whose name, topic or address holds `search`.
#[tauri::command]
#[specta::specta]
pub async fn public_rooms(
    state: State<'_, AppState>,
    account: AccountId,
    search: String,
) -> Result<Vec<PublicRoom>, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.rooms().public_rooms(&search).await?)
}

/// Invites people into a room; returns those the server refused, with why.
#[tauri::command]
#[specta::specta]
pub async fn invite_people(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    user_ids: Vec<String>,
) -> Result<Vec<InviteRefused>, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.rooms().invite_many(&room_id, &user_ids).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn leave_room(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.rooms().leave(&room_id).await?)
}

/// Leaves the room if need be, and forgets it: gone from every list of the account.
#[tauri::command]
#[specta::specta]
pub async fn forget_room(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.rooms().forget(&room_id).await?)
}

/// Marks a room unread, as a reminder (shared with Element and every device).
#[tauri::command]
#[specta::specta]
pub async fn mark_room_as_unread(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.rooms().mark_as_unread(&room_id).await?)
}

/// Hides `user_id`'s messages and refuses their invitations, on every device of the account.
#[tauri::command]
#[specta::specta]
pub async fn ignore_user(
    state: State<'_, AppState>,
    account: AccountId,
    user_id: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.people().ignore(&user_id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn unignore_user(
    state: State<'_, AppState>,
    account: AccountId,
    user_id: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.people().unignore(&user_id).await?)
}

/// Whom the account ignores.
#[tauri::command]
#[specta::specta]
pub async fn ignored_users(
    state: State<'_, AppState>,
    account: AccountId,
) -> Result<Vec<String>, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.people().ignored().await)
}

#[tauri::command]
#[specta::specta]
pub async fn set_room_favourite(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    favourite: bool,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.rooms().set_favourite(&room_id, favourite).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn set_room_low_priority(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    low_priority: bool,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .rooms()
        .set_low_priority(&room_id, low_priority)
        .await?)
}
