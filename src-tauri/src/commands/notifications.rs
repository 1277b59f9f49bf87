//! Notifications: the account's alerts to the page, the page's notifications to the system,
//! the levels of rooms and defaults, keywords, and this machine's preferences.

use estafette_core::unread::UnreadTotals;
use estafette_core::{
    AccountId,
    notifications::{DefaultLevels, Notice, NotificationLevel, RoomKind, RoomNotifications},
};
use tauri::{AppHandle, State, ipc::Channel};
use tracing::warn;

use crate::{
    autostart,
    error::{IpcError, ShellCode},
    live::{Steering, SubscriptionId},
    notifier::{DesktopNotification, NotificationTarget},
    preferences::Preferences,
    state::AppState,
    tray::{self, TrayContent},
};

/// The account's alerts from now on (see `Notice`); the page decides which to show.
#[tauri::command]
#[specta::specta]
pub async fn watch_notices(
    state: State<'_, AppState>,
    account: AccountId,
    updates: Channel<Notice>,
) -> Result<SubscriptionId, IpcError> {
    let account = super::account(&state, &account).await?;
    let notices = account.notifications().watch();
    Ok(state.live.open(notices, updates, Steering::None))
}

/// Shows a notification through the system's service, replacing the room's earlier one: only
/// about a room of a signed-in account.
#[tauri::command]
#[specta::specta]
pub async fn show_notification(
    state: State<'_, AppState>,
    notification: DesktopNotification,
    open_label: String,
) -> Result<(), IpcError> {
    let account_id = estafette_core::AccountId(notification.account_id.clone());
    let account = super::account(&state, &account_id).await?;
    if !account.rooms().is_known(&notification.room_id) {
        return Err(IpcError::new(
            estafette_core::Code::RoomNotFound,
            "no such room in this account",
        ));
    }
    let app_state = state.inner();
    // The service answers over D-Bus: not on the runtime's threads.
    tokio::task::block_in_place(|| app_state.notifier.show(&notification, &open_label))
        .map_err(|message| IpcError::new(ShellCode::NotificationFailed, message))
}

/// Closes a room's notification, once the room is read or open.
#[tauri::command]
#[specta::specta]
pub async fn close_notification(
    state: State<'_, AppState>,
    account: String,
    room_id: String,
) -> Result<(), IpcError> {
    let target = NotificationTarget {
        account_id: account,
        room_id,
    };
    let app_state = state.inner();
    tokio::task::block_in_place(|| app_state.notifier.close(&target));
    Ok(())
}

/// Where clicked notifications go: the window is brought forward by the shell, the page
/// opens the room.
#[tauri::command]
#[specta::specta]
pub fn watch_notification_clicks(state: State<'_, AppState>, updates: Channel<NotificationTarget>) {
    state.notifier.watch_clicks(updates);
}

#[tauri::command]
#[specta::specta]
pub async fn room_notification_level(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
) -> Result<RoomNotifications, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.notifications().room_level(&room_id).await?)
}

/// `None` makes the room follow the default again.
#[tauri::command]
#[specta::specta]
pub async fn set_room_notification_level(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    level: Option<NotificationLevel>,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .notifications()
        .set_room_level(&room_id, level)
        .await?)
}

#[tauri::command]
#[specta::specta]
pub async fn notification_defaults(
    state: State<'_, AppState>,
    account: AccountId,
) -> Result<DefaultLevels, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.notifications().defaults().await)
}

#[tauri::command]
#[specta::specta]
pub async fn set_notification_default(
    state: State<'_, AppState>,
    account: AccountId,
    kind: RoomKind,
    level: NotificationLevel,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.notifications().set_default(kind, level).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn notification_keywords(
    state: State<'_, AppState>,
    account: AccountId,
) -> Result<Vec<String>, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.notifications().keywords().await)
}

#[tauri::command]
#[specta::specta]
pub async fn add_notification_keyword(
    state: State<'_, AppState>,
    account: AccountId,
    keyword: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.notifications().add_keyword(&keyword).await?)
}

#[tauri::command]
#[specta::specta]
pub async fn remove_notification_keyword(
    state: State<'_, AppState>,
    account: AccountId,
    keyword: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account.notifications().remove_keyword(&keyword).await?)
}

/// This machine's preferences.
#[tauri::command]
#[specta::specta]
pub fn preferences(state: State<'_, AppState>) -> Preferences {
    state.preferences.get()
}

#[tauri::command]
#[specta::specta]
pub async fn set_preferences(
    state: State<'_, AppState>,
    preferences: Preferences,
) -> Result<(), IpcError> {
    let not_saved =
        |error: std::io::Error| IpcError::new(ShellCode::PreferencesNotSaved, error.to_string());
    let starting_changes =
        preferences.start_with_session != state.preferences.get().start_with_session;
    if starting_changes {
        autostart::apply(preferences.start_with_session).map_err(not_saved)?;
    }
    let start_with_session = preferences.start_with_session;
    let relay_only = preferences.calls_relay_only;
    let devices = super::calls::device_choice(&preferences);
    let saved = state.preferences.set(preferences).map_err(|error| {
        // The file and the session's entry say the same, or neither changed.
        if starting_changes && let Err(undo) = autostart::apply(!start_with_session) {
            warn!(%undo, "the session's start entry could not be put back");
        }
        not_saved(error)
    });
    if saved.is_ok() {
        for account in state.manager.accounts().await {
            account.calls().set_relay_only(relay_only);
        }
        // The choice is saved even when a device cannot be opened now: the call keeps the one
        // it had, and the next call tries the chosen one again.
        if let Err(failure) = state.calls.use_devices(devices).await {
            warn!(%failure, "a call could not move to the devices chosen");
        }
    }
    saved
}

/// The account's unread totals now, then each time they change (for the tray and the title).
#[tauri::command]
#[specta::specta]
pub async fn watch_unread_totals(
    state: State<'_, AppState>,
    account: AccountId,
    updates: Channel<UnreadTotals>,
) -> Result<SubscriptionId, IpcError> {
    let account = super::account(&state, &account).await?;
    let totals = account.rooms().unread_totals();
    Ok(state.live.open(totals, updates, Steering::None))
}

/// Draws the tray and the window's badge with the page's words.
#[tauri::command]
#[specta::specta]
pub fn update_tray(app: AppHandle, content: TrayContent) {
    if let Err(error) = tray::update(&app, &content) {
        warn!(%error, "the tray could not be updated");
    }
}
