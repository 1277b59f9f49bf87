//! Drives the real Estafette binary in its real webview: Xvfb for a display, tauri-driver and
//! WebKitWebDriver for WebDriver, a real Synapse from the test kit, and a second party that is
//! a real core client. Elements are found the way a person (or a screen reader) finds them: by
//! role and accessible name.

// matrix-sdk futures are deeply nested.
#![recursion_limit = "256"]

mod accessibility;
mod demo;
mod display;
mod notification_service;
mod party;
pub mod processes;
mod webdriver;

use std::{
    path::{Path, PathBuf},
    time::Duration,
};

use estafette_core::{AccountManager, CoreConfig, SignIn, Zeroizing, room_list::RoomListQuery};
use estafette_testkit::Homeserver;

pub use demo::Demo;
pub use display::VirtualDisplay;
pub use notification_service::{NotificationService, ShownNotification};
pub use party::{PASSWORD, Party, eventually};
pub use webdriver::{AppWindow, Element, Key, TauriDriver};

/// How long the UI may take to show something before a test fails.
pub const PATIENCE: Duration = Duration::from_secs(45);

/// The debug build of the app, built by `cargo xtask test` before the tests run.
pub fn app_binary() -> PathBuf {
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../target"));
    let binary = target.join("debug").join(if cfg!(windows) {
        "estafette.exe"
    } else {
        "estafette"
    });
    assert!(
        binary.exists(),
        "{} is missing: run the end-to-end tests with `cargo xtask test`, which builds the UI and the app first",
        binary.display()
    );
    binary
}

/// Makes `downloads` the Downloads folder, where the system's user folders say it is: a
/// `user-dirs.dirs` in a configuration folder made under `root`. Returns the environment
/// entry that points the app at that configuration. The folder itself is not created.
pub fn downloads_folder_at(root: &Path, downloads: &Path) -> (String, String) {
    let config = root.join("config");
    std::fs::create_dir_all(&config).expect("folder");
    std::fs::write(
        config.join("user-dirs.dirs"),
        format!("XDG_DOWNLOAD_DIR=\"{}\"\n", downloads.display()),
    )
    .expect("written");
    ("XDG_CONFIG_HOME".into(), config.display().to_string())
}

/// Where screenshots of failed tests go (`target/e2e-screenshots`).
pub fn screenshot_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/e2e-screenshots")
}

/// Settings of one installation of the app: its own data directory and keychain namespace,
/// kept across restarts of the app within a test.
#[derive(Debug)]
pub struct Installation {
    pub data_dir: tempfile::TempDir,
    pub keychain_service: String,
    pub language: &'static str,
}

impl Installation {
    pub fn new(language: &'static str) -> Self {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        // The tests end the app by closing its window (WebDriver's end of session): with the
        // default of keeping the app in the tray, it would outlive its test and take the next
        // launch's place (one instance at a time). A person would set this in Settings.
        std::fs::write(
            data_dir.path().join("preferences.json"),
            br#"{ "close_to_tray": false }"#,
        )
        .expect("preferences written");
        Self {
            data_dir,
            keychain_service: format!("estafette-e2e-{}", std::process::id()),
            language,
        }
    }

    /// Signs `username` in with the core into this installation's data directory and keychain
    /// namespace, as the app's sign-in would, and waits until `rooms` rooms are known: the
    /// benchmarks start the app already signed in to a large account.
    pub async fn sign_in_with_core(
        &self,
        server: &Homeserver,
        username: &str,
        password: &str,
        rooms: usize,
    ) -> Result<(), String> {
        let manager = AccountManager::new(self.core_config());
        let account = manager
            .sign_in(SignIn {
                homeserver: Some(server.base_url()),
                username: username.to_owned(),
                password: Zeroizing::new(password.to_owned()),
            })
            .await
            .map_err(|error| error.to_string())?;
        let (mut updates, _controller) = account
            .rooms()
            .list(RoomListQuery::default(), rooms + 100)
            .await
            .map_err(|error| error.to_string())?;
        let mut list = Vec::new();
        while list.len() < rooms {
            let Ok(Some(batch)) =
                tokio::time::timeout(Duration::from_secs(60), updates.next()).await
            else {
                return Err(format!("only {} rooms after sign-in", list.len()));
            };
            for diff in batch {
                diff.apply_to(&mut list);
            }
        }
        drop(updates);
        manager.shut_down().await;
        Ok(())
    }

    /// The core's settings for this installation's data and keychain namespace.
    pub fn core_config(&self) -> CoreConfig {
        CoreConfig {
            data_dir: self.data_dir.path().to_owned(),
            keychain_service: self.keychain_service.clone(),
            device_display_name: "Estafette bench".to_owned(),
        }
    }

    /// The environment the app runs with.
    pub fn environment(&self, display: &VirtualDisplay) -> Vec<(String, String)> {
        let locale = match self.language {
            "fr" => "fr_FR.UTF-8",
            _ => "en_US.UTF-8",
        };
        vec![
            ("DISPLAY".into(), display.name().to_owned()),
            (
                "ESTAFETTE_DATA_DIR".into(),
                self.data_dir.path().display().to_string(),
            ),
            (
                "ESTAFETTE_KEYCHAIN_SERVICE".into(),
                self.keychain_service.clone(),
            ),
            ("LANG".into(), locale.into()),
            ("LANGUAGE".into(), self.language.into()),
            ("LC_ALL".into(), locale.into()),
            // Software rendering: Xvfb has no GPU, and compositing off keeps WebKit quiet.
            ("WEBKIT_DISABLE_COMPOSITING_MODE".into(), "1".into()),
            ("ESTAFETTE_LOG".into(), "warn,estafette_app=info".into()),
            // A copied recovery key is cleared after 2 s rather than a minute.
            ("ESTAFETTE_SECRET_CLIPBOARD_SECONDS".into(), "2".into()),
            // Xvfb has no microphone or camera: calls send a tone and a moving pattern.
            ("ESTAFETTE_CALL_SOURCES".into(), "test".into()),
        ]
    }
}
