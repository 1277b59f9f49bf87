//! This user's profile: the display name and the avatar others see.

use estafette_core::{AccountId, profile::OwnProfile};
use tauri::State;

use crate::{error::IpcError, state::AppState};

#[tauri::command]
#[specta::specta]
pub async fn own_profile(
    state: State<'_, AppState>,
    account: AccountId,
) -> Result<OwnProfile, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.profile().get().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn set_display_name(
    state: State<'_, AppState>,
    account: AccountId,
    name: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.profile().set_display_name(&name).await?)
}

/// Makes a picture chosen in the system's dialog (`choose_files`, by number) the avatar, cropped
/// to its centre square. Returns the new avatar's `mxc://` URI.
#[tauri::command]
#[specta::specta]
pub async fn set_avatar(
    state: State<'_, AppState>,
    account: AccountId,
    file: u32,
) -> Result<String, IpcError> {
    let account = super::account(&state, &account).await?;
    let bytes = state.files.read_chosen(file).await?;
    Ok(account.profile().set_avatar(bytes).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn remove_avatar(state: State<'_, AppState>, account: AccountId) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.profile().remove_avatar().await?)
}
