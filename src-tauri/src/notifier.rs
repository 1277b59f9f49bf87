//! Desktop notifications through the system's own notification service: on Linux the
//! freedesktop service on the session bus (GNOME Shell, KDE Plasma, dunst…), called with GIO,
//! which the window already uses.
//!
//! Tauri's notification plugin shows a notification but cannot say that it was clicked on
//! desktop systems, and a click must bring the window forward on the room. So the shell talks
//! to the service itself: one notification per room (tagged; a room's new alert replaces its
//! earlier one), its default action is the click, and the click reaches the page through the
//! channel it registered.
//!
//! The page writes the notification's words (it knows the language and the privacy setting);
//! the body is escaped here when the service reads markup, so that a message's `<b>` or
//! `<img src=…>` is shown as written and never loads anything.

use std::{collections::HashMap, sync::Mutex};

use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;

/// A notification the page asks for.
#[derive(Clone, Debug, Deserialize, specta::Type)]
pub struct DesktopNotification {
    pub account_id: String,
    pub room_id: String,
    pub title: String,
    pub body: String,
    /// A mention: the service may show it more insistently.
    pub urgent: bool,
}

/// What a clicked notification was about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, specta::Type)]
pub struct NotificationTarget {
    pub account_id: String,
    pub room_id: String,
}

#[derive(Debug, Default)]
pub struct Notifier {
    inner: Mutex<Shown>,
}

#[derive(Default)]
struct Shown {
    /// The service's ID of the notification shown for each room.
    by_room: HashMap<NotificationTarget, u32>,
    clicks: Option<Channel<NotificationTarget>>,
}

impl std::fmt::Debug for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shown")
            .field("rooms", &self.by_room.len())
            .finish_non_exhaustive()
    }
}

impl Notifier {
    fn shown(&self) -> std::sync::MutexGuard<'_, Shown> {
        self.inner
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Where clicks go; a reloaded page registers again and replaces the old channel.
    pub fn watch_clicks(&self, channel: Channel<NotificationTarget>) {
        self.shown().clicks = Some(channel);
    }

    fn previous_id(&self, target: &NotificationTarget) -> u32 {
        self.shown().by_room.get(target).copied().unwrap_or(0)
    }

    fn remember(&self, target: NotificationTarget, id: u32) {
        self.shown().by_room.insert(target, id);
    }

    fn forget(&self, target: &NotificationTarget) -> Option<u32> {
        self.shown().by_room.remove(target)
    }

    /// The room a notification of the service was about, if it was one of ours.
    fn target_of(&self, id: u32) -> Option<NotificationTarget> {
        self.shown()
            .by_room
            .iter()
            .find(|(_, shown)| **shown == id)
            .map(|(target, _)| target.clone())
    }

    fn forget_id(&self, id: u32) {
        self.shown().by_room.retain(|_, shown| *shown != id);
    }

    fn clicked(&self, target: NotificationTarget) {
        if let Some(channel) = &self.shown().clicks {
            let _ = channel.send(target);
        }
    }
}

/// Text for a service that reads a subset of HTML in bodies.
fn escape_markup(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&#39;"),
            other => escaped.push(other),
        }
    }
    escaped
}

#[cfg(target_os = "linux")]
mod freedesktop {
    use std::time::Duration;

    use gtk::{
        gio,
        glib::{self, ToVariant, Variant},
    };
    use tauri::{AppHandle, Manager};
    use tracing::warn;

    use super::{DesktopNotification, escape_markup};
    use crate::state::AppState;

    const SERVICE: &str = "org.freedesktop.Notifications";
    const PATH: &str = "/org/freedesktop/Notifications";
    const TIMEOUT: Duration = Duration::from_secs(5);

    fn session_bus() -> Result<gio::DBusConnection, glib::Error> {
        gio::bus_get_sync(gio::BusType::Session, gio::Cancellable::NONE)
    }

    fn call(
        bus: &gio::DBusConnection,
        method: &str,
        parameters: Option<&Variant>,
    ) -> Result<Variant, glib::Error> {
        bus.call_sync(
            Some(SERVICE),
            PATH,
            SERVICE,
            method,
            parameters,
            None,
            gio::DBusCallFlags::NONE,
            i32::try_from(TIMEOUT.as_millis()).unwrap_or(i32::MAX),
            gio::Cancellable::NONE,
        )
    }

    fn reads_markup(bus: &gio::DBusConnection) -> bool {
        call(bus, "GetCapabilities", None)
            .ok()
            .and_then(|reply| reply.child_value(0).get::<Vec<String>>())
            .is_some_and(|capabilities| capabilities.iter().any(|c| c == "body-markup"))
    }

    /// Shows `notification`, replacing the room's earlier one; returns the service's ID.
    pub(super) fn show(
        notification: &DesktopNotification,
        replaces: u32,
        open_label: &str,
    ) -> Result<u32, glib::Error> {
        let bus = session_bus()?;
        let body = if reads_markup(&bus) {
            escape_markup(&notification.body)
        } else {
            notification.body.clone()
        };
        let mut hints = std::collections::HashMap::<String, Variant>::new();
        hints.insert("desktop-entry".into(), "estafette".to_variant());
        hints.insert("category".into(), "im.received".to_variant());
        // 1 normal, 2 critical: a mention stays until seen on services that honour it.
        hints.insert(
            "urgency".into(),
            (if notification.urgent { 2u8 } else { 1u8 }).to_variant(),
        );
        let actions = vec!["default".to_owned(), open_label.to_owned()];
        let parameters = (
            "Estafette",
            replaces,
            "",
            notification.title.as_str(),
            body.as_str(),
            actions,
            hints,
            -1i32,
        )
            .to_variant();
        let reply = call(&bus, "Notify", Some(&parameters))?;
        Ok(reply.child_value(0).get::<u32>().unwrap_or(0))
    }

    pub(super) fn close(id: u32) {
        let result = session_bus()
            .and_then(|bus| call(&bus, "CloseNotification", Some(&(id,).to_variant())));
        if let Err(error) = result {
            warn!(%error, "a notification could not be closed");
        }
    }

    /// Listens for clicks on our notifications. Must run on the main thread: GIO calls the
    /// handlers on the main loop of the thread that subscribed.
    pub fn listen(app: &AppHandle) {
        let bus = match session_bus() {
            Ok(bus) => bus,
            Err(error) => {
                warn!(%error, "no session bus: notifications will not be clickable");
                return;
            }
        };
        let on_action = app.clone();
        // The subscriptions live as long as the connection, that is the process.
        #[allow(deprecated)]
        let _ = bus.signal_subscribe(
            Some(SERVICE),
            Some(SERVICE),
            Some("ActionInvoked"),
            Some(PATH),
            None,
            gio::DBusSignalFlags::NONE,
            move |_, _, _, _, _, parameters| {
                let Some((id, action)) = parameters.get::<(u32, String)>() else {
                    return;
                };
                if action != "default" {
                    return;
                }
                let notifier = &on_action.state::<AppState>().notifier;
                if let Some(target) = notifier.target_of(id) {
                    bring_window_forward(&on_action);
                    notifier.forget_id(id);
                    notifier.clicked(target);
                }
            },
        );
        let on_close = app.clone();
        #[allow(deprecated)]
        let _ = bus.signal_subscribe(
            Some(SERVICE),
            Some(SERVICE),
            Some("NotificationClosed"),
            Some(PATH),
            None,
            gio::DBusSignalFlags::NONE,
            move |_, _, _, _, _, parameters| {
                if let Some((id, _reason)) = parameters.get::<(u32, u32)>() {
                    // Closed or clicked: a later alert of that room is a new notification.
                    let notifier = &on_close.state::<AppState>().notifier;
                    if notifier.target_of(id).is_some() {
                        // A click's ActionInvoked comes first; keep the mapping until then.
                        let app = on_close.clone();
                        glib::timeout_add_local_once(Duration::from_millis(500), move || {
                            app.state::<AppState>().notifier.forget_id(id);
                        });
                    }
                }
            },
        );
        // The subscriptions end with the connection: keep it for the process's life.
        std::mem::forget(bus);
    }

    fn bring_window_forward(app: &AppHandle) {
        if let Some(window) = app.get_webview_window("main") {
            let _ = window.unminimize();
            let _ = window.show();
            let _ = window.set_focus();
        }
    }
}

#[cfg(target_os = "linux")]
pub use freedesktop::listen;

impl Notifier {
    /// Shows the notification (replacing the room's earlier one). Blocking: call it off the
    /// main thread.
    pub fn show(&self, notification: &DesktopNotification, open_label: &str) -> Result<(), String> {
        let target = NotificationTarget {
            account_id: notification.account_id.clone(),
            room_id: notification.room_id.clone(),
        };
        #[cfg(target_os = "linux")]
        {
            let id = freedesktop::show(notification, self.previous_id(&target), open_label)
                .map_err(|error| error.to_string())?;
            self.remember(target, id);
            Ok(())
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (target, open_label);
            Err("desktop notifications are only written for Linux so far".to_owned())
        }
    }

    /// Closes a room's notification (the room was opened or read).
    pub fn close(&self, target: &NotificationTarget) {
        if let Some(id) = self.forget(target) {
            #[cfg(target_os = "linux")]
            freedesktop::close(id);
            #[cfg(not(target_os = "linux"))]
            let _ = id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::escape_markup;

    #[test]
    fn markup_in_a_message_is_shown_as_written() {
        assert_eq!(
            escape_markup(r#"<img src="file:///etc/passwd"> & <b>"moi"</b>"#),
            "&lt;img src=&quot;file:///etc/passwd&quot;&gt; &amp; &lt;b&gt;&quot;moi&quot;&lt;/b&gt;"
        );
        assert_eq!(escape_markup("Bonjour à tous"), "Bonjour à tous");
    }
}
