//! The desktop around the window: links to the system browser, paint marks for benchmarks.

use serde::Deserialize;
use tauri::AppHandle;
use tauri_plugin_opener::OpenerExt;
use url::Url;

use crate::{
    error::{IpcError, ShellCode},
    launch::LaunchConfig,
};

/// Opens a link from a message in the system browser (or mail client); never in the webview.
#[tauri::command]
#[specta::specta]
pub fn open_link(app: AppHandle, url: String) -> Result<(), IpcError> {
    let parsed = openable_link(&url)?;
    app.opener()
        .open_url(parsed.as_str(), None::<&str>)
        .map_err(|error| IpcError::new(ShellCode::LinkOpenFailed, error.to_string()))
}

/// Only web and mail links leave the app: never `file:`, `javascript:` or custom schemes that
/// would start other programs.
fn openable_link(url: &str) -> Result<Url, IpcError> {
    let parsed = Url::parse(url.trim())
        .map_err(|_| IpcError::new(ShellCode::LinkInvalid, "this link is not a valid address"))?;
    if !matches!(parsed.scheme(), "http" | "https" | "mailto") {
        return Err(IpcError::new(
            ShellCode::LinkUnsupportedScheme,
            format!("links of the kind {}: are not opened", parsed.scheme()),
        ));
    }
    Ok(parsed)
}

/// A screen painted for the first time, as the UI reports it.
#[derive(Clone, Copy, Debug, Deserialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum PaintMark {
    SignIn,
    RoomList,
    Timeline,
}

/// Printed only under `cargo xtask bench app`, which times the lines as they arrive. Needs no
/// account state, so the benchmark's empty window reports through the same path.
#[tauri::command]
#[specta::specta]
pub fn report_painted(mark: PaintMark, elapsed_ms: Option<f64>) {
    if LaunchConfig::reports_paints() {
        let mark = match mark {
            PaintMark::SignIn => "sign_in",
            PaintMark::RoomList => "room_list",
            PaintMark::Timeline => "timeline",
        };
        let line = match elapsed_ms {
            Some(elapsed) => format!("estafette-painted {mark} {elapsed:.1}"),
            None => format!("estafette-painted {mark}"),
        };
        println!("{line}");
        // Under WebDriver the app's stdout is not ours to read: a file can be.
        if let Some(path) = LaunchConfig::paint_report_file() {
            use std::io::Write;
            if let Ok(mut file) = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
            {
                let _ = writeln!(file, "{line}");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::openable_link;

    #[test]
    fn only_web_and_mail_links_are_opened() {
        assert!(openable_link("https://matrix.to/#/@bob:example.org").is_ok());
        assert!(openable_link(" http://example.org/a?b=c ").is_ok());
        assert!(openable_link("mailto:bob@example.org").is_ok());
        for refused in [
            "javascript:alert(1)",
            "file:///etc/passwd",
            "smb://server/share",
            "vscode://open",
            "data:text/html,x",
            "not a url",
        ] {
            assert!(openable_link(refused).is_err(), "{refused}");
        }
    }
}
