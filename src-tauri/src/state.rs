//! What the commands share: the core's accounts, the live subscriptions, the launch settings.

use std::sync::Arc;

use estafette_core::{AccountManager, CoreConfig, policy::Policy, secrets};
use tokio::sync::watch;
use tracing::warn;

use crate::{
    commands::calls::CallMedia, commands::files::FileRegistry, error::IpcError,
    launch::LaunchConfig, live::LiveSubscriptions, notifier::Notifier,
    preferences::PreferencesFile,
};

#[derive(Debug)]
pub struct AppState {
    pub manager: Arc<AccountManager>,
    pub live: LiveSubscriptions,
    pub launch: LaunchConfig,
    pub files: FileRegistry,
    pub notifier: Notifier,
    pub preferences: PreferencesFile,
    pub calls: Arc<CallMedia>,
    /// Wakes a single sign-on waiting for the browser, to give it up.
    pub sso_cancel: tokio::sync::Notify,
    /// `None` until saved accounts are restored; then the failure, if any.
    restored: watch::Sender<Option<Result<(), IpcError>>>,
}

impl AppState {
    pub fn new(launch: LaunchConfig) -> Result<Self, estafette_core::Error> {
        secrets::use_platform_keychain()?;
        let mut config = CoreConfig::platform_default()?;
        if let Some(data_dir) = &launch.data_dir {
            config.data_dir = data_dir.clone();
        }
        if let Some(service) = &launch.keychain_service {
            config.keychain_service = service.clone();
        }
        config.device_display_name = device_display_name();
        let preferences = PreferencesFile::open(&config.data_dir);
        Ok(Self {
            // The administrator's policy is read once, at start: changing it means restarting.
            manager: Arc::new(AccountManager::new(config).with_policy(Policy::load())),
            live: LiveSubscriptions::default(),
            launch,
            files: FileRegistry::default(),
            notifier: Notifier::default(),
            preferences,
            calls: Arc::default(),
            sso_cancel: tokio::sync::Notify::new(),
            restored: watch::Sender::new(None),
        })
    }

    /// Restores saved accounts in the background: the window shows at once, and the first
    /// command that needs accounts waits for this.
    pub fn restore_accounts(&self) {
        let manager = self.manager.clone();
        let restored = self.restored.clone();
        tauri::async_runtime::spawn(async move {
            let result = match manager.restore_all().await {
                Ok(results) => {
                    for (info, result) in results {
                        if let Err(error) = result {
                            warn!(account = %info.id, %error, "saved account not restored");
                        }
                    }
                    Ok(())
                }
                Err(error) => Err(IpcError::from(error)),
            };
            restored.send_replace(Some(result));
        });
    }

    pub async fn wait_until_restored(&self) -> Result<(), IpcError> {
        let mut receiver = self.restored.subscribe();
        match receiver.wait_for(Option::is_some).await {
            Ok(value) => value.clone().unwrap_or(Ok(())),
            Err(_) => Ok(()),
        }
    }
}

/// "Estafette on <host>", so the device list in other clients says which machine this is.
fn device_display_name() -> String {
    let host = std::fs::read_to_string("/etc/hostname")
        .ok()
        .or_else(|| std::env::var("COMPUTERNAME").ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| !name.is_empty());
    match host {
        Some(host) => format!("Estafette ({host})"),
        None => "Estafette".to_owned(),
    }
}
