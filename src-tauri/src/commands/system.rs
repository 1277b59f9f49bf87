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
    Ok(if parsed.scheme() == "mailto" {
        mail_without_extras(parsed)
    } else {
        parsed
    })
}

/// What a mail link may fill in. Some mail clients honour `attach=` (a file of this machine
/// joined to the mail) or `bcc=`; a link in a message must not.
const MAIL_FIELDS: &[&str] = &["subject", "body", "cc"];

fn mail_without_extras(mut link: Url) -> Url {
    let kept: Vec<(String, String)> = link
        .query_pairs()
        .filter(|(field, _)| MAIL_FIELDS.contains(&field.to_ascii_lowercase().as_str()))
        .map(|(field, value)| (field.into_owned(), value.into_owned()))
        .collect();
    if kept.is_empty() {
        link.set_query(None);
    } else {
        link.query_pairs_mut().clear().extend_pairs(kept);
    }
    link
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

    #[test]
    fn mail_links_fill_in_only_the_subject_the_body_and_copies() {
        let link = openable_link(
            "mailto:bob@example.org?subject=R%C3%A9union&attach=/home/alice/.ssh/id_rsa&BCC=eve@example.org&body=Bonjour&cc=carol@example.org",
        )
        .expect("a mail link");
        let fields: Vec<(String, String)> = link
            .query_pairs()
            .map(|(field, value)| (field.into_owned(), value.into_owned()))
            .collect();
        assert_eq!(
            fields,
            [
                ("subject".to_owned(), "Réunion".to_owned()),
                ("body".to_owned(), "Bonjour".to_owned()),
                ("cc".to_owned(), "carol@example.org".to_owned()),
            ]
        );
        assert_eq!(link.path(), "bob@example.org");
        let bare = openable_link("mailto:bob@example.org?Attach=/etc/passwd").expect("a mail link");
        assert_eq!(bare.as_str(), "mailto:bob@example.org");
    }
}
