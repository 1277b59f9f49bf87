//! The app's windows, made here rather than by the configuration so that each page is kept to
//! the app: it is never navigated to another address (a link, a script, the context menu's
//! "Open Link"), never opens a second window, and never downloads. Links leave only through
//! the `open_link` command, to the system browser.

use tauri::{
    AppHandle, Manager, Runtime, WebviewWindowBuilder,
    webview::{DownloadEvent, NewWindowResponse},
};
use tracing::warn;
use url::Url;

/// Opens every window of the configuration (its `create` is false, so Tauri opens none).
pub fn open_all<R: Runtime>(app: &AppHandle<R>) -> tauri::Result<()> {
    for config in &app.config().app.windows {
        WebviewWindowBuilder::from_config(app, config)?
            .on_navigation(|url| {
                let allowed = is_app_page(url);
                if !allowed {
                    // The scheme only: the address came from a message or a page gone wrong.
                    warn!(
                        scheme = url.scheme(),
                        "the page's navigation away from the app was refused"
                    );
                }
                allowed
            })
            .on_new_window(|url, _features| {
                warn!(scheme = url.scheme(), "the page's new window was refused");
                NewWindowResponse::Deny
            })
            .on_download(|_webview, event| match event {
                DownloadEvent::Requested { url, .. } => {
                    warn!(scheme = url.scheme(), "the page's download was refused");
                    false
                }
                _ => false,
            })
            .build()?;
    }
    Ok(())
}

/// Shows the main window again, in front: a second launch, the tray, a clicked notification.
pub fn bring_forward<R: Runtime>(app: &AppHandle<R>) {
    if let Some(window) = app.get_webview_window("main") {
        let _ = window.unminimize();
        let _ = window.show();
        let _ = window.set_focus();
    }
}

/// The app's own pages, as each platform serves them: `tauri://localhost` (Linux, macOS) or
/// `http(s)://tauri.localhost` (Windows). Anything else, `about:blank` included, is refused.
pub fn is_app_page(url: &Url) -> bool {
    let host = url.host_str();
    match url.scheme() {
        "tauri" => host == Some("localhost") && url.port().is_none(),
        "http" | "https" => host == Some("tauri.localhost") && url.port().is_none(),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::is_app_page;

    #[test]
    fn only_the_apps_own_pages_may_be_shown() {
        for allowed in [
            "tauri://localhost",
            "tauri://localhost/index.html",
            "tauri://localhost/#/room",
            "http://tauri.localhost/",
            "https://tauri.localhost/index.html",
        ] {
            assert!(is_app_page(&allowed.parse().expect("a URL")), "{allowed}");
        }
        for refused in [
            "https://example.org/",
            "http://localhost:8008/",
            "tauri://localhost.example.org/",
            "tauri://localhost:8080/",
            "http://tauri.localhost.example.org/",
            "https://tauri.localhost@example.org/",
            "about:blank",
            "file:///etc/passwd",
            "data:text/html,<script>alert(1)</script>",
            "javascript:alert(1)",
            "estafette-media://localhost/x",
            "blob:tauri://localhost/0b9f",
        ] {
            assert!(!is_app_page(&refused.parse().expect("a URL")), "{refused}");
        }
    }
}
