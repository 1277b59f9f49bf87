//! Running a room: its details and settings, its people (roles, removals, bans, people asking
//! to join), asking to join one, and what leaving would cost.

use estafette_core::{
    AccountId, ListDiff,
    room_settings::{HistoryReaders, Role, RoomAccess, RoomDetails},
    roster::{LeaveWarning, RoomPerson, Trust},
};
use tauri::{State, ipc::Channel};

use crate::{
    error::IpcError,
    live::{Steering, SubscriptionId},
    state::AppState,
};

/// A room's details now, then at each change.
#[tauri::command]
#[specta::specta]
pub async fn watch_room_details(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    updates: Channel<RoomDetails>,
) -> Result<SubscriptionId, IpcError> {
    let account = super::account(&state, &account).await?;
    let details = account.rooms().settings(&room_id)?.watch();
    Ok(state.live.open(details, updates, Steering::None))
}

/// A room's people: the whole list first, then its changes.
#[tauri::command]
#[specta::specta]
pub async fn watch_room_people(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    updates: Channel<Vec<ListDiff<RoomPerson>>>,
) -> Result<SubscriptionId, IpcError> {
    let account = super::account(&state, &account).await?;
    let people = account.rooms().roster(&room_id)?.watch();
    Ok(state.live.open(people, updates, Steering::None))
}

#[tauri::command]
#[specta::specta]
pub async fn set_room_name(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    name: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.rooms().settings(&room_id)?.set_name(&name).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn set_room_topic(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    topic: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .rooms()
        .settings(&room_id)?
        .set_topic(&topic)
        .await?)
}

/// Makes the picture the user chose (`file`, from the file chooser) the room's avatar.
#[tauri::command]
#[specta::specta]
pub async fn set_room_avatar(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    file: u32,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    let settings = account.rooms().settings(&room_id)?;
    let bytes = state.files.read_chosen(file).await?;
    Ok(settings.set_avatar(bytes).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn remove_room_avatar(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.rooms().settings(&room_id)?.remove_avatar().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn set_room_access(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    access: RoomAccess,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .rooms()
        .settings(&room_id)?
        .set_access(access)
        .await?)
}

/// Whether the room is listed in the server's public directory (asked of the server).
#[tauri::command]
#[specta::specta]
pub async fn room_listed_in_directory(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
) -> Result<bool, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .rooms()
        .settings(&room_id)?
        .is_listed_in_directory()
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn set_room_listed_in_directory(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    listed: bool,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .rooms()
        .settings(&room_id)?
        .set_listed_in_directory(listed)
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn set_room_history(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    readers: HistoryReaders,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .rooms()
        .settings(&room_id)?
        .set_history(readers)
        .await?)
}

/// Turns encryption on, for good.
#[tauri::command]
#[specta::specta]
pub async fn enable_room_encryption(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .rooms()
        .settings(&room_id)?
        .enable_encryption()
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn set_member_role(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    user_id: String,
    role: Role,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .rooms()
        .roster(&room_id)?
        .set_role(&user_id, role)
        .await?)
}

/// Removes someone from the room, with a reason they see.
#[tauri::command]
#[specta::specta]
pub async fn remove_member(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    user_id: String,
    reason: Option<String>,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .rooms()
        .roster(&room_id)?
        .remove(&user_id, reason.as_deref())
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn ban_member(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    user_id: String,
    reason: Option<String>,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .rooms()
        .roster(&room_id)?
        .ban(&user_id, reason.as_deref())
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn unban_member(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    user_id: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.rooms().roster(&room_id)?.unban(&user_id).await?)
}

/// Lets in someone who asked to join.
#[tauri::command]
#[specta::specta]
pub async fn accept_knock(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    user_id: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .rooms()
        .roster(&room_id)?
        .accept_knock(&user_id)
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn refuse_knock(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    user_id: String,
    reason: Option<String>,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .rooms()
        .roster(&room_id)?
        .refuse_knock(&user_id, reason.as_deref())
        .await?)
}

/// Asks to join a room (by address or link), with a word for those who decide. Returns the
/// room ID.
#[tauri::command]
#[specta::specta]
pub async fn knock_room(
    state: State<'_, AppState>,
    account: AccountId,
    address: String,
    reason: Option<String>,
    via: Vec<String>,
) -> Result<String, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .rooms()
        .knock(&address, reason.as_deref(), &via)
        .await?)
}

/// What leaving the room would cost, to warn first.
#[tauri::command]
#[specta::specta]
pub async fn leave_warning(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
) -> Result<LeaveWarning, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.rooms().leave_warning(&room_id).await?)
}

/// Whether the user verified someone, for their profile card.
#[tauri::command]
#[specta::specta]
pub async fn trust_in_user(
    state: State<'_, AppState>,
    account: AccountId,
    user_id: String,
) -> Result<Trust, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.encryption().trust_in(&user_id).await?)
}
