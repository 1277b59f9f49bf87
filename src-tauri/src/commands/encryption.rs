//! End-to-end encryption: this device's standing, recovery, verification, devices, key files
//! and identity warnings. Passwords and passphrases move into wiped memory at once; the
//! recovery key is handed to the UI only because the user must see it (once).

use estafette_core::{
    AccountId, Zeroizing,
    devices::OwnDevice,
    encryption::{
        FlowState, IdentityWarning, IncomingVerification, KeyImportSummary, SecurityStatus,
        SignOutRisk, VerificationFlow, VerificationId, free_download_path,
        save_recovery_key as save_key_file,
    },
};
use tauri::{AppHandle, State, ipc::Channel};

use crate::{
    error::{IpcError, ShellCode},
    live::{Steering, SubscriptionId},
    state::AppState,
};

fn secret(text: Option<String>) -> Option<Zeroizing<String>> {
    text.filter(|text| !text.is_empty()).map(Zeroizing::new)
}

/// This device's standing now, then each change (drives the set-up and verification screens).
#[tauri::command]
#[specta::specta]
pub async fn watch_security_status(
    state: State<'_, AppState>,
    account: AccountId,
    updates: Channel<SecurityStatus>,
) -> Result<SubscriptionId, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(state
        .live
        .open(account.encryption().watch_status(), updates, Steering::None))
}

/// Sets up cross-signing and recovery; returns the recovery key to show once.
#[tauri::command]
#[specta::specta]
pub async fn set_up_recovery(
    state: State<'_, AppState>,
    account: AccountId,
    password: Option<String>,
) -> Result<String, IpcError> {
    let account = super::account(&state, &account).await?;
    let key = account
        .encryption()
        .set_up_recovery(secret(password))
        .await?;
    Ok(key.expose().to_owned())
}

/// Writes the recovery key to a new file in Downloads; returns its path.
#[tauri::command]
#[specta::specta]
pub async fn save_recovery_key(recovery_key: String) -> Result<String, IpcError> {
    let recovery_key = Zeroizing::new(recovery_key);
    let path = save_key_file(&recovery_key).await?;
    Ok(path.display().to_string())
}

#[tauri::command]
#[specta::specta]
pub async fn recover(
    state: State<'_, AppState>,
    account: AccountId,
    recovery_key: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    let recovery_key = Zeroizing::new(recovery_key);
    Ok(account.encryption().recover(&recovery_key).await?)
}

/// "I lost everything": a new identity; returns the new recovery key.
#[tauri::command]
#[specta::specta]
pub async fn reset_identity(
    state: State<'_, AppState>,
    account: AccountId,
    password: Option<String>,
) -> Result<String, IpcError> {
    let account = super::account(&state, &account).await?;
    let key = account
        .encryption()
        .reset_identity(secret(password))
        .await?;
    Ok(key.expose().to_owned())
}

#[tauri::command]
#[specta::specta]
pub async fn sign_out_risk(
    state: State<'_, AppState>,
    account: AccountId,
) -> Result<SignOutRisk, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.encryption().sign_out_risk().await?)
}

/// Verification requests addressed to this user, as they arrive.
#[tauri::command]
#[specta::specta]
pub async fn watch_incoming_verifications(
    state: State<'_, AppState>,
    account: AccountId,
    updates: Channel<IncomingVerification>,
) -> Result<SubscriptionId, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(state
        .live
        .open(account.verification().incoming(), updates, Steering::None))
}

#[tauri::command]
#[specta::specta]
pub async fn verify_this_device(
    state: State<'_, AppState>,
    account: AccountId,
) -> Result<VerificationFlow, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.verification().verify_this_device().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn verify_own_device(
    state: State<'_, AppState>,
    account: AccountId,
    device_id: String,
) -> Result<VerificationFlow, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.verification().verify_own_device(&device_id).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn verify_user(
    state: State<'_, AppState>,
    account: AccountId,
    user_id: String,
) -> Result<VerificationFlow, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.verification().verify_user(&user_id).await?)
}

/// A flow's state now, then each change.
#[tauri::command]
#[specta::specta]
pub async fn watch_verification(
    state: State<'_, AppState>,
    account: AccountId,
    flow: VerificationId,
    updates: Channel<FlowState>,
) -> Result<SubscriptionId, IpcError> {
    let account = super::account(&state, &account).await?;
    let subscription = account.verification().watch(&flow).await?;
    Ok(state.live.open(subscription, updates, Steering::None))
}

#[tauri::command]
#[specta::specta]
pub async fn accept_verification(
    state: State<'_, AppState>,
    account: AccountId,
    flow: VerificationId,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.verification().accept(&flow).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn confirm_verification(
    state: State<'_, AppState>,
    account: AccountId,
    flow: VerificationId,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.verification().confirm(&flow).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn reject_verification(
    state: State<'_, AppState>,
    account: AccountId,
    flow: VerificationId,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.verification().reject(&flow).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn cancel_verification(
    state: State<'_, AppState>,
    account: AccountId,
    flow: VerificationId,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.verification().cancel(&flow).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn own_devices(
    state: State<'_, AppState>,
    account: AccountId,
) -> Result<Vec<OwnDevice>, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.devices().own().await?)
}

#[tauri::command]
#[specta::specta]
pub async fn rename_device(
    state: State<'_, AppState>,
    account: AccountId,
    device_id: String,
    name: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.devices().rename(&device_id, &name).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn sign_out_devices(
    state: State<'_, AppState>,
    account: AccountId,
    device_ids: Vec<String>,
    password: Option<String>,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .devices()
        .sign_out(&device_ids, secret(password))
        .await?)
}

/// Copies the recovery key to the system's clipboard, and empties the clipboard a minute later
/// if it still holds the key: a key left there would be pasted, or kept by clipboard history.
#[tauri::command]
#[specta::specta]
pub async fn copy_recovery_key(app: AppHandle, recovery_key: String) -> Result<(), IpcError> {
    copy_then_clear(app, Zeroizing::new(recovery_key))
}

#[cfg(target_os = "linux")]
fn copy_then_clear(app: AppHandle, secret: Zeroizing<String>) -> Result<(), IpcError> {
    let unavailable =
        |error: tauri::Error| IpcError::new(ShellCode::ClipboardUnavailable, error.to_string());
    let copied = secret.clone();
    app.run_on_main_thread(move || crate::clipboard::put_secret(&copied))
        .map_err(unavailable)?;
    tauri::async_runtime::spawn(async move {
        tokio::time::sleep(crate::launch::LaunchConfig::secret_clipboard_lifetime()).await;
        let cleared = app.run_on_main_thread(move || crate::clipboard::clear_secret(&secret));
        if let Err(error) = cleared {
            tracing::warn!(%error, "the recovery key could not be cleared from the clipboard");
        }
    });
    Ok(())
}

#[cfg(not(target_os = "linux"))]
fn copy_then_clear(_app: AppHandle, _secret: Zeroizing<String>) -> Result<(), IpcError> {
    Err(IpcError::new(
        ShellCode::ClipboardUnavailable,
        "the clipboard is not supported on this system",
    ))
}

/// Exports every room key to a new file in Downloads, sealed with `passphrase`; returns its
/// path.
#[tauri::command]
#[specta::specta]
pub async fn export_room_keys(
    state: State<'_, AppState>,
    account: AccountId,
    passphrase: String,
) -> Result<String, IpcError> {
    let account = super::account(&state, &account).await?;
    let passphrase = Zeroizing::new(passphrase);
    let path = free_download_path("estafette-keys.txt");
    account
        .encryption()
        .export_room_keys(&path, &passphrase)
        .await?;
    Ok(path.display().to_string())
}

/// Imports a key export the user picked (its text: the file stays sealed by its passphrase).
#[tauri::command]
#[specta::specta]
pub async fn import_room_keys(
    state: State<'_, AppState>,
    account: AccountId,
    contents: String,
    passphrase: String,
) -> Result<KeyImportSummary, IpcError> {
    let account = super::account(&state, &account).await?;
    let passphrase = Zeroizing::new(passphrase);
    Ok(account
        .encryption()
        .import_room_keys_text(&contents, &passphrase)
        .await?)
}

/// Members of a room whose identity changed unacknowledged: the whole list at each change.
#[tauri::command]
#[specta::specta]
pub async fn watch_identity_warnings(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    updates: Channel<Vec<IdentityWarning>>,
) -> Result<SubscriptionId, IpcError> {
    let account = super::account(&state, &account).await?;
    let subscription = account
        .encryption()
        .watch_identity_warnings(&room_id)
        .await?;
    Ok(state.live.open(subscription, updates, Steering::None))
}

#[tauri::command]
#[specta::specta]
pub async fn acknowledge_identity_change(
    state: State<'_, AppState>,
    account: AccountId,
    user_id: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .encryption()
        .acknowledge_identity_change(&user_id)
        .await?)
}
