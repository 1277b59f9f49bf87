//! The settings of this machine rather than of the account: kept in `preferences.json` in the
//! app's data directory (the account's own settings, such as notification levels, live on the
//! server). A missing or damaged file gives the defaults; unknown fields are ignored, so an
//! older app reads a newer file.

use std::{
    path::{Path, PathBuf},
    sync::Mutex,
};

use serde::{Deserialize, Serialize};
use tracing::warn;

/// The colours of the app.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum Theme {
    /// Light or dark as the system is.
    #[default]
    System,
    Light,
    Dark,
}

/// The size of text, relative to the system's.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum TextSize {
    Small,
    #[default]
    Normal,
    Large,
    Larger,
}

/// The language of the app: the system's, or one chosen.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum LanguageChoice {
    #[default]
    System,
    En,
    Fr,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, specta::Type)]
#[serde(default)]
pub struct Preferences {
    /// Desktop notifications on this machine.
    pub notifications: bool,
    /// A sound with each notification (a stronger one for mentions).
    pub notification_sound: bool,
    /// The sender and the text in notifications; off, they say only "New message", for
    /// screens others can see.
    pub notification_content: bool,
    pub theme: Theme,
    pub text_size: TextSize,
    /// Messages closer together.
    pub compact: bool,
    pub language: LanguageChoice,
    /// Closing the window leaves the app running, reachable from the tray or by launching it
    /// again (on by default on Windows and Linux, as Element does; off on macOS, whose apps
    /// stay in the dock).
    pub close_to_tray: bool,
    /// The app starts with the user's session, its window minimised.
    pub start_with_session: bool,
    /// Calls offer only the server's relay, never this machine's addresses.
    pub calls_relay_only: bool,
    /// The devices calls use, by the IDs `call_devices` gives; none follows the system's
    /// default, as does one that is gone.
    pub call_microphone: Option<String>,
    pub call_camera: Option<String>,
    pub call_speaker: Option<String>,
}

impl Default for Preferences {
    fn default() -> Self {
        Self {
            notifications: true,
            notification_sound: true,
            notification_content: true,
            theme: Theme::System,
            text_size: TextSize::Normal,
            compact: false,
            language: LanguageChoice::System,
            close_to_tray: !cfg!(target_os = "macos"),
            start_with_session: false,
            calls_relay_only: false,
            call_microphone: None,
            call_camera: None,
            call_speaker: None,
        }
    }
}

#[derive(Debug)]
pub struct PreferencesFile {
    path: PathBuf,
    current: Mutex<Preferences>,
}

impl PreferencesFile {
    pub fn open(data_dir: &Path) -> Self {
        let path = data_dir.join("preferences.json");
        let current = std::fs::read(&path)
            .ok()
            .and_then(|bytes| serde_json::from_slice(&bytes).ok())
            .unwrap_or_default();
        Self {
            path,
            current: Mutex::new(current),
        }
    }

    pub fn get(&self) -> Preferences {
        self.lock().clone()
    }

    /// Saves through a new file renamed over the old one, so that a crash leaves one or the
    /// other, never half of one.
    pub fn set(&self, preferences: Preferences) -> std::io::Result<()> {
        let mut current = self.lock();
        if let Some(folder) = self.path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        let partial = self.path.with_extension("json.partial");
        let bytes = serde_json::to_vec_pretty(&preferences).map_err(std::io::Error::other)?;
        std::fs::write(&partial, bytes)?;
        std::fs::rename(&partial, &self.path).inspect_err(|error| {
            warn!(%error, "preferences not saved");
        })?;
        *current = preferences;
        Ok(())
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Preferences> {
        self.current
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn preferences_survive_a_restart_and_a_damaged_file_gives_the_defaults() {
        let folder = tempfile::tempdir().expect("a folder");
        let file = PreferencesFile::open(folder.path());
        assert_eq!(file.get(), Preferences::default());
        let quiet = Preferences {
            notification_sound: false,
            ..Preferences::default()
        };
        file.set(quiet.clone()).expect("saved");
        assert_eq!(PreferencesFile::open(folder.path()).get(), quiet);
        std::fs::write(folder.path().join("preferences.json"), b"{ not json").expect("written");
        assert_eq!(
            PreferencesFile::open(folder.path()).get(),
            Preferences::default()
        );
        std::fs::write(
            folder.path().join("preferences.json"),
            br#"{"notifications": false, "from_a_newer_app": 1}"#,
        )
        .expect("written");
        assert!(!PreferencesFile::open(folder.path()).get().notifications);
    }
}
