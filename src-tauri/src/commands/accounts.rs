//! Launch settings, sign-in, sign-out and each account's sync state.

use estafette_core::{
    AccountId, AccountInfo, SignIn, SsoSignIn, UnrestoredAccount, Zeroizing,
    auth::{AuthError, ServerInfo},
    sync::SyncState,
};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State, ipc::Channel};
use tauri_plugin_opener::OpenerExt;

use crate::{
    error::IpcError,
    launch::DemoAccounts,
    live::{Steering, SubscriptionId},
    state::AppState,
};

/// What the UI needs before its first screen.
#[derive(Debug, Serialize, specta::Type)]
pub struct LaunchInfo {
    pub default_homeserver: Option<String>,
    /// The administrator fixed the homeserver: the form shows it and cannot change it.
    pub homeserver_fixed: bool,
    /// The deployment finds agents' servers from their email address.
    pub signs_in_by_email: bool,
    /// The administrator allows single sign-on only: no password form.
    pub sso_only: bool,
    pub demo: Option<DemoAccounts>,
    /// The system's preferred languages (BCP 47), most preferred first.
    pub languages: Vec<String>,
}

/// The sign-in form as typed. The password is moved into wiped memory at once.
#[derive(Deserialize, specta::Type)]
pub struct SignInForm {
    pub homeserver: Option<String>,
    pub username: String,
    pub password: String,
}

impl std::fmt::Debug for SignInForm {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SignInForm")
            .field("homeserver", &self.homeserver)
            .field("username", &self.username)
            .finish_non_exhaustive()
    }
}

#[tauri::command]
#[specta::specta]
pub fn launch_info(state: State<'_, AppState>) -> LaunchInfo {
    let policy = state.manager.policy();
    LaunchInfo {
        // What the administrator fixed comes before what the environment suggests.
        default_homeserver: policy
            .default_server()
            .map(str::to_owned)
            .or_else(|| state.launch.default_homeserver.clone()),
        homeserver_fixed: policy.fixes_homeserver(),
        signs_in_by_email: !policy.identity_servers.is_empty(),
        sso_only: policy.sso_only,
        demo: state.launch.demo.clone(),
        languages: sys_locale::get_locales().collect(),
    }
}

/// The accounts saved on this machine once restored from the keychain and stores: those
/// signed in, and those that could not be opened.
#[derive(Debug, Serialize, specta::Type)]
pub struct RestoredAccounts {
    pub signed_in: Vec<AccountInfo>,
    pub not_restored: Vec<UnrestoredAccount>,
}

#[tauri::command]
#[specta::specta]
pub async fn restored_accounts(state: State<'_, AppState>) -> Result<RestoredAccounts, IpcError> {
    state.wait_until_restored().await?;
    Ok(RestoredAccounts {
        signed_in: state
            .manager
            .accounts()
            .await
            .iter()
            .map(|account| account.info().clone())
            .collect(),
        not_restored: state.manager.unrestored().await?,
    })
}

/// Tries again to open a saved account that could not be restored.
#[tauri::command]
#[specta::specta]
pub async fn retry_restore(
    state: State<'_, AppState>,
    account: AccountId,
) -> Result<AccountInfo, IpcError> {
    state.wait_until_restored().await?;
    Ok(state.manager.restore_one(&account).await?.info().clone())
}

#[tauri::command]
#[specta::specta]
pub async fn sign_in(
    state: State<'_, AppState>,
    form: SignInForm,
) -> Result<AccountInfo, IpcError> {
    state.wait_until_restored().await?;
    let request = SignIn {
        homeserver: form.homeserver.filter(|server| !server.trim().is_empty()),
        username: form.username,
        password: Zeroizing::new(form.password),
    };
    let account = state.manager.sign_in(request).await?;
    Ok(account.info().clone())
}

/// What the server of the sign-in form offers (password, single sign-on and its identity
/// providers), so that the form shows what can be used.
#[tauri::command]
#[specta::specta]
pub async fn sign_in_options(
    state: State<'_, AppState>,
    homeserver: Option<String>,
    username: String,
) -> Result<ServerInfo, IpcError> {
    Ok(state
        .manager
        .probe_server(homeserver.as_deref(), &username)
        .await?)
}

/// A single sign-on as chosen in the sign-in form.
#[derive(Debug, Deserialize, specta::Type)]
pub struct SsoForm {
    pub homeserver: Option<String>,
    pub username: Option<String>,
    /// One of the server's identity providers, or none to let the server ask.
    pub provider: Option<String>,
}

/// Signs in through the server's single sign-on in the system browser; ends when the browser
/// came back, when it is given up ([`cancel_sso_sign_in`]), or after ten minutes.
#[tauri::command]
#[specta::specta]
pub async fn sign_in_with_sso(
    app: AppHandle,
    state: State<'_, AppState>,
    form: SsoForm,
) -> Result<AccountInfo, IpcError> {
    // Listening before anything is awaited: a "Cancel" pressed at once is not missed.
    let cancelled = state.sso_cancel.notified();
    tokio::pin!(cancelled);
    cancelled.as_mut().enable();
    state.wait_until_restored().await?;
    let request = SsoSignIn {
        homeserver: form.homeserver.filter(|server| !server.trim().is_empty()),
        username: form.username,
        provider: form.provider,
    };
    let open_browser = |address: &str| {
        app.opener()
            .open_url(address, None::<&str>)
            .map_err(|error| error.to_string())
    };
    tokio::select! {
        result = state.manager.sign_in_with_sso(request, open_browser) => {
            Ok(result?.info().clone())
        }
        () = cancelled => Err(AuthError::SignInCancelled.into()),
    }
}

/// Gives up the single sign-on waiting for the browser; nothing was stored yet.
#[tauri::command]
#[specta::specta]
pub fn cancel_sso_sign_in(state: State<'_, AppState>) {
    state.sso_cancel.notify_waiters();
}

/// Asks the server to email the link that renews an expired account.
#[tauri::command]
#[specta::specta]
pub async fn request_renewal_email(
    state: State<'_, AppState>,
    account: AccountId,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.request_renewal_email().await?)
}

/// Tries to sync the account again now (the person says they renewed it).
#[tauri::command]
#[specta::specta]
pub async fn retry_sync(state: State<'_, AppState>, account: AccountId) -> Result<(), IpcError> {
    super::account(&state, &account).await?.retry_sync();
    Ok(())
}

#[tauri::command]
#[specta::specta]
pub async fn sign_out(state: State<'_, AppState>, account: AccountId) -> Result<(), IpcError> {
    state.wait_until_restored().await?;
    Ok(state.manager.sign_out(&account).await?)
}

/// The account's sync state now, then each change (drives the offline banner).
#[tauri::command]
#[specta::specta]
pub async fn watch_sync_state(
    state: State<'_, AppState>,
    account: AccountId,
    updates: Channel<SyncState>,
) -> Result<SubscriptionId, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(state
        .live
        .open(account.sync_state(), updates, Steering::None))
}
