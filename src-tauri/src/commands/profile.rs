//! This user's profile: the display name and the avatar others see; the password.

use estafette_core::{AccountId, Zeroizing, password::PasswordPolicy, profile::OwnProfile};
use serde::Deserialize;
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

/// The server's rules for a new password (none where it publishes none).
#[tauri::command]
#[specta::specta]
pub async fn password_policy(
    state: State<'_, AppState>,
    account: AccountId,
) -> Result<PasswordPolicy, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.password().policy().await?)
}

/// The password form of the account settings. Both passwords move into wiped memory at once.
#[derive(Deserialize, specta::Type)]
pub struct PasswordChange {
    pub current: String,
    pub new: String,
    pub sign_out_other_devices: bool,
}

impl std::fmt::Debug for PasswordChange {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PasswordChange")
            .field("sign_out_other_devices", &self.sign_out_other_devices)
            .finish_non_exhaustive()
    }
}

#[tauri::command]
#[specta::specta]
pub async fn change_password(
    state: State<'_, AppState>,
    account: AccountId,
    change: PasswordChange,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    let PasswordChange {
        current,
        new,
        sign_out_other_devices,
    } = change;
    Ok(account
        .password()
        .change(
            Zeroizing::new(current),
            Zeroizing::new(new),
            sign_out_other_devices,
        )
        .await?)
}
