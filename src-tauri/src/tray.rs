//! The tray icon: what waits to be read (a badge on the icon, the count in its tooltip and
//! menu, each account's line), "Show" and "Quit". With it, closing the window can leave the
//! app running (the `close_to_tray` preference), as Element does on Windows and Linux.
//!
//! The page writes the words (it knows the language and the accounts' names) and sends them
//! with the totals; the shell only draws them. On Linux the tray goes through
//! libayatana-appindicator, loaded when the tray is made: a system without it gets no tray,
//! and closing the window then quits as before.

use serde::Deserialize;
use tauri::{
    AppHandle, Manager,
    image::Image,
    menu::{Menu, MenuItem, PredefinedMenuItem},
    tray::{MouseButton, MouseButtonState, TrayIcon, TrayIconBuilder, TrayIconEvent},
};
use tracing::warn;

use crate::{notifier::bounded, preferences::LanguageChoice, state::AppState, window};

const TRAY_ID: &str = "estafette";
const SHOW_ID: &str = "show";
const QUIT_ID: &str = "quit";
const MAX_ACCOUNT_LINES: usize = 20;
const LINE_MAX_CHARS: usize = 200;

/// What the tray says, in the page's language.
#[derive(Clone, Debug, Deserialize, specta::Type)]
pub struct TrayContent {
    /// Notifying messages and invitations waiting, over all accounts.
    pub total: u32,
    /// The tooltip: the app's name and the total, in words.
    pub tooltip: String,
    /// One line per account ("@alice:example.org: 3 unread").
    pub accounts: Vec<String>,
    pub show_label: String,
    pub quit_label: String,
}

/// Makes the tray icon; `false` when this system cannot show one.
pub fn create(app: &AppHandle) -> bool {
    // libappindicator is loaded on first use and panics when the system lacks it.
    let made = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| build(app)));
    match made {
        Ok(Ok(_)) => true,
        Ok(Err(error)) => {
            warn!(%error, "no tray icon");
            false
        }
        Err(_) => {
            warn!("no tray icon: this system has no status icon library (libayatana-appindicator)");
            false
        }
    }
}

/// The menu's words until the page sends its own: in French where the app speaks French.
fn first_labels(app: &AppHandle) -> (&'static str, &'static str) {
    let french = match app.state::<AppState>().preferences.get().language {
        LanguageChoice::Fr => true,
        LanguageChoice::En => false,
        LanguageChoice::System => sys_locale::get_locales()
            .next()
            .is_some_and(|tag| tag.to_lowercase().starts_with("fr")),
    };
    if french {
        ("Afficher Estafette", "Quitter Estafette")
    } else {
        ("Show Estafette", "Quit Estafette")
    }
}

fn build(app: &AppHandle) -> tauri::Result<TrayIcon> {
    let (show_label, quit_label) = first_labels(app);
    let menu = menu(app, &[], show_label, quit_label)?;
    let mut builder = TrayIconBuilder::with_id(TRAY_ID)
        .tooltip("Estafette")
        .menu(&menu)
        .show_menu_on_left_click(false)
        .on_menu_event(|app, event| match event.id.as_ref() {
            SHOW_ID => window::bring_forward(app),
            QUIT_ID => app.exit(0),
            _ => {}
        })
        .on_tray_icon_event(|tray, event| {
            if let TrayIconEvent::Click {
                button: MouseButton::Left,
                button_state: MouseButtonState::Up,
                ..
            } = event
            {
                window::bring_forward(tray.app_handle());
            }
        });
    if let Some(icon) = app.default_window_icon() {
        builder = builder.icon(icon.clone());
    }
    builder.build(app)
}

fn menu(
    app: &AppHandle,
    accounts: &[String],
    show_label: &str,
    quit_label: &str,
) -> tauri::Result<Menu<tauri::Wry>> {
    let menu = Menu::new(app)?;
    menu.append(&MenuItem::with_id(
        app,
        SHOW_ID,
        show_label,
        true,
        None::<&str>,
    )?)?;
    if !accounts.is_empty() {
        menu.append(&PredefinedMenuItem::separator(app)?)?;
        for (index, line) in accounts.iter().enumerate() {
            let id = format!("account-{index}");
            menu.append(&MenuItem::with_id(app, id, line, false, None::<&str>)?)?;
        }
    }
    menu.append(&PredefinedMenuItem::separator(app)?)?;
    menu.append(&MenuItem::with_id(
        app,
        QUIT_ID,
        quit_label,
        true,
        None::<&str>,
    )?)?;
    Ok(menu)
}

/// Whether the tray icon is on screen, so that a hidden window can be found again. On Linux,
/// libayatana's icon shows only where a status notifier host runs (KDE, most desktops; GNOME
/// only with its extension).
pub fn is_on_screen(app: &AppHandle) -> bool {
    app.tray_by_id(TRAY_ID).is_some() && has_status_notifier_host()
}

#[cfg(target_os = "linux")]
fn has_status_notifier_host() -> bool {
    use gtk::{gio, glib::ToVariant};
    let Ok(bus) = gio::bus_get_sync(gio::BusType::Session, gio::Cancellable::NONE) else {
        return false;
    };
    bus.call_sync(
        Some("org.freedesktop.DBus"),
        "/org/freedesktop/DBus",
        "org.freedesktop.DBus",
        "NameHasOwner",
        Some(&("org.kde.StatusNotifierWatcher",).to_variant()),
        gtk::glib::VariantTy::new("(b)").ok(),
        gio::DBusCallFlags::NONE,
        2_000,
        gio::Cancellable::NONE,
    )
    .ok()
    .and_then(|reply| reply.get::<(bool,)>())
    .is_some_and(|(owned,)| owned)
}

#[cfg(not(target_os = "linux"))]
fn has_status_notifier_host() -> bool {
    true
}

/// Draws `content`: the menu, the tooltip, the icon with or without its badge, and the
/// window's badge where the system has one (the taskbar or dock).
pub fn update(app: &AppHandle, content: &TrayContent) -> tauri::Result<()> {
    if let Some(window) = app.get_webview_window("main") {
        // Not every desktop has badges (Windows has none in Tauri; GNOME ignores them).
        let count = (content.total > 0).then_some(i64::from(content.total));
        let _ = window.set_badge_count(count);
    }
    let Some(tray) = app.tray_by_id(TRAY_ID) else {
        return Ok(());
    };
    // The page's words, bounded: a page gone wrong must not make a menu of thousands of lines.
    let accounts: Vec<String> = content
        .accounts
        .iter()
        .take(MAX_ACCOUNT_LINES)
        .map(|line| bounded(line, LINE_MAX_CHARS))
        .collect();
    tray.set_menu(Some(menu(
        app,
        &accounts,
        &bounded(&content.show_label, LINE_MAX_CHARS),
        &bounded(&content.quit_label, LINE_MAX_CHARS),
    )?))?;
    tray.set_tooltip(Some(&bounded(&content.tooltip, LINE_MAX_CHARS)))?;
    if let Some(icon) = app.default_window_icon() {
        let icon = if content.total > 0 {
            with_badge(icon)
        } else {
            icon.clone().to_owned()
        };
        tray.set_icon(Some(icon))?;
    }
    Ok(())
}

/// The icon with a red dot in its top right corner: "something to read".
fn with_badge(icon: &Image<'_>) -> Image<'static> {
    let (width, height) = (icon.width(), icon.height());
    let mut rgba = icon.rgba().to_vec();
    let radius = f64::from(width.min(height)) * 0.22;
    let (centre_x, centre_y) = (f64::from(width) - radius - 1.0, radius + 1.0);
    for y in 0..height {
        for x in 0..width {
            let (dx, dy) = (f64::from(x) + 0.5 - centre_x, f64::from(y) + 0.5 - centre_y);
            if dx * dx + dy * dy <= radius * radius {
                let at = ((y * width + x) * 4) as usize;
                if let Some(pixel) = rgba.get_mut(at..at + 4) {
                    pixel.copy_from_slice(&[0xd9, 0x2d, 0x20, 0xff]);
                }
            }
        }
    }
    Image::new_owned(rgba, width, height)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_badge_is_a_red_dot_in_the_top_right_corner_only() {
        let icon = Image::new_owned(vec![0; 32 * 32 * 4], 32, 32);
        let badged = with_badge(&icon);
        let pixel = |x: u32, y: u32| {
            let at = ((y * 32 + x) * 4) as usize;
            badged.rgba()[at..at + 4].to_vec()
        };
        assert_eq!(pixel(25, 7), vec![0xd9, 0x2d, 0x20, 0xff]);
        assert_eq!(pixel(2, 30), vec![0, 0, 0, 0]);
        assert_eq!(pixel(2, 2), vec![0, 0, 0, 0]);
    }
}
