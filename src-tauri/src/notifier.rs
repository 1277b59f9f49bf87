//! Desktop notifications through the system's own notification service: on Linux the
//! freedesktop service on the session bus (GNOME Shell, KDE Plasma, dunst…), called with GIO,
//! which the window already uses.
//!
//! Tauri's notification plugin shows a notification but cannot say that it was clicked on
//! desktop systems, and a click must bring the window forward on the room. So the shell talks
//! to the service itself: one notification per room (a room's new alert replaces its earlier
//! one) and one for a flood's summary, its default action is the click, and the click reaches
//! the page through the channel it registered.
//!
//! The page writes the notification's words (it knows the language and the privacy setting);
//! the shell bounds them, and escapes the body when the service reads markup, so that a
//! message's `<b>` or `<img src=…>` is shown as written and never loads anything.

use std::{
    collections::{HashMap, VecDeque},
    sync::Mutex,
};

use serde::{Deserialize, Serialize};
use tauri::ipc::Channel;

/// A notification the page asks for.
#[derive(Clone, Debug, Deserialize, specta::Type)]
pub struct DesktopNotification {
    pub account_id: String,
    pub room_id: String,
    pub title: String,
    pub body: String,
    /// A flood's summary: it has a place of its own, so that it neither replaces a room's
    /// notification nor is replaced by one. A click on it opens `room_id`, the newest.
    pub gathered: bool,
}

/// What a clicked notification was about.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, specta::Type)]
pub struct NotificationTarget {
    pub account_id: String,
    pub room_id: String,
}

/// The longest texts passed on: a notification shows a few lines, and a page gone wrong must
/// not flood the service.
const TITLE_MAX_CHARS: usize = 200;
const BODY_MAX_CHARS: usize = 2_000;
const LABEL_MAX_CHARS: usize = 50;
/// Closed notifications whose click is still answered (the service may say "closed" before
/// it says "clicked").
const RECENTLY_CLOSED: usize = 64;

/// Where a notification is shown: a room's place, or the flood summary's.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum Place {
    Room(NotificationTarget),
    Summary,
}

#[derive(Debug, Default)]
pub struct Notifier {
    inner: Mutex<Shown>,
}

#[derive(Default)]
struct Shown {
    /// The service's ID of the notification shown in each place.
    places: HashMap<Place, u32>,
    /// Where a click on each notification of ours goes, open or recently closed.
    targets: HashMap<u32, NotificationTarget>,
    closed: VecDeque<u32>,
    clicks: Option<Channel<NotificationTarget>>,
    /// Whether the running service reads markup in bodies, once asked.
    reads_markup: Option<bool>,
}

impl std::fmt::Debug for Shown {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Shown")
            .field("places", &self.places.len())
            .finish_non_exhaustive()
    }
}

impl Shown {
    fn shown(&mut self, place: Place, target: NotificationTarget, id: u32) {
        self.places.insert(place, id);
        self.targets.insert(id, target);
        // A service may give a closed notification's ID again: it is ours once more.
        self.closed.retain(|closed| *closed != id);
    }

    fn closed(&mut self, id: u32) {
        if !self.targets.contains_key(&id) {
            return;
        }
        self.places.retain(|_, shown| *shown != id);
        self.closed.push_back(id);
        while self.closed.len() > RECENTLY_CLOSED {
            if let Some(oldest) = self.closed.pop_front() {
                self.targets.remove(&oldest);
            }
        }
    }

    /// A restarted service numbers its notifications anew: nothing of the old one's holds.
    fn forget_all(&mut self) {
        self.places.clear();
        self.targets.clear();
        self.closed.clear();
        self.reads_markup = None;
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

    fn clicked(&self, id: u32) -> bool {
        let shown = self.shown();
        let Some(target) = shown.targets.get(&id).cloned() else {
            return false;
        };
        if let Some(channel) = &shown.clicks {
            let _ = channel.send(target);
        }
        true
    }
}

/// Text for a service that reads a subset of HTML in bodies. Only what markup needs: GNOME
/// Shell shows any entity but the five XML ones as written (`&#39;` would show in "l'équipe").
fn escape_markup(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            other => escaped.push(other),
        }
    }
    escaped
}

/// At most `max` characters, cut on a character, "…" marking the cut.
pub(crate) fn bounded(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text.to_owned(),
    }
}

#[cfg(target_os = "linux")]
mod freedesktop {
    use std::time::Duration;

    use gtk::{
        gio,
        glib::{self, ToVariant, Variant, VariantTy},
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

    /// Calls the service; the reply must be of `reply_type` (GIO checks it), so that whatever
    /// owns the name cannot make the app read a reply it does not expect.
    fn call(
        bus: &gio::DBusConnection,
        method: &str,
        parameters: Option<&Variant>,
        reply_type: &str,
    ) -> Result<Variant, glib::Error> {
        bus.call_sync(
            Some(SERVICE),
            PATH,
            SERVICE,
            method,
            parameters,
            VariantTy::new(reply_type).ok(),
            gio::DBusCallFlags::NONE,
            i32::try_from(TIMEOUT.as_millis()).unwrap_or(i32::MAX),
            gio::Cancellable::NONE,
        )
    }

    fn reads_markup(bus: &gio::DBusConnection) -> bool {
        call(bus, "GetCapabilities", None, "(as)")
            .ok()
            .and_then(|reply| reply.get::<(Vec<String>,)>())
            .is_some_and(|(capabilities,)| capabilities.iter().any(|c| c == "body-markup"))
    }

    /// Whether the service reads markup in bodies: asked once, until another service takes
    /// the name.
    fn service_reads_markup(bus: &gio::DBusConnection, notifier: &super::Notifier) -> bool {
        if let Some(known) = notifier.shown().reads_markup {
            return known;
        }
        let reads = reads_markup(bus);
        notifier.shown().reads_markup = Some(reads);
        reads
    }

    /// Shows `notification` in place of `replaces` (0: none); returns the service's ID.
    pub(super) fn show(
        notifier: &super::Notifier,
        notification: &DesktopNotification,
        replaces: u32,
        open_label: &str,
    ) -> Result<u32, glib::Error> {
        let bus = session_bus()?;
        let body = if service_reads_markup(&bus, notifier) {
            escape_markup(&notification.body)
        } else {
            notification.body.clone()
        };
        let mut hints = std::collections::HashMap::<String, Variant>::new();
        hints.insert("desktop-entry".into(), "estafette".to_variant());
        hints.insert("category".into(), "im.received".to_variant());
        // Normal urgency, mentions too (the page plays them a stronger sound): critical ones
        // pass "do not disturb" and never expire.
        hints.insert("urgency".into(), 1u8.to_variant());
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
        let reply = call(&bus, "Notify", Some(&parameters), "(u)")?;
        Ok(reply.get::<(u32,)>().map_or(0, |(id,)| id))
    }

    pub(super) fn close(id: u32) {
        let result = session_bus()
            .and_then(|bus| call(&bus, "CloseNotification", Some(&(id,).to_variant()), "()"));
        if let Err(error) = result {
            warn!(%error, "a notification could not be closed");
        }
    }

    /// Listens for clicks on our notifications, and for the service's restarts. Must run on
    /// the main thread: GIO calls the handlers on the main loop of the thread that subscribed.
    pub fn listen(app: &AppHandle) {
        let bus = match session_bus() {
            Ok(bus) => bus,
            Err(error) => {
                warn!(%error, "no session bus: notifications will not be clickable");
                return;
            }
        };
        let on_action = app.clone();
        // Subscriptions last as long as the connection, GIO's shared one: the process's life.
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
                if action == "default" && on_action.state::<AppState>().notifier.clicked(id) {
                    crate::window::bring_forward(&on_action);
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
                    // A later alert of that room is a new notification.
                    on_close.state::<AppState>().notifier.shown().closed(id);
                }
            },
        );
        let on_owner = app.clone();
        let on_gone = app.clone();
        // The watch lasts the process's life, as the subscriptions.
        let _watch = gio::bus_watch_name_on_connection(
            &bus,
            SERVICE,
            gio::BusNameWatcherFlags::NONE,
            move |_, _, _| on_owner.state::<AppState>().notifier.shown().forget_all(),
            move |_, _| on_gone.state::<AppState>().notifier.shown().forget_all(),
        );
    }
}

#[cfg(target_os = "linux")]
pub use freedesktop::listen;

impl Notifier {
    /// Shows the notification in its place (replacing the room's, or the summary's, earlier
    /// one). Blocking: call it off the main thread.
    pub fn show(&self, notification: &DesktopNotification, open_label: &str) -> Result<(), String> {
        let target = NotificationTarget {
            account_id: notification.account_id.clone(),
            room_id: notification.room_id.clone(),
        };
        let place = if notification.gathered {
            Place::Summary
        } else {
            Place::Room(target.clone())
        };
        let notification = DesktopNotification {
            title: bounded(&notification.title, TITLE_MAX_CHARS),
            body: bounded(&notification.body, BODY_MAX_CHARS),
            ..notification.clone()
        };
        let open_label = bounded(open_label, LABEL_MAX_CHARS);
        #[cfg(target_os = "linux")]
        {
            let replaces = self.shown().places.get(&place).copied().unwrap_or(0);
            let id = freedesktop::show(self, &notification, replaces, &open_label)
                .map_err(|error| error.to_string())?;
            self.shown().shown(place, target, id);
            Ok(())
        }
        #[cfg(not(target_os = "linux"))]
        {
            let _ = (place, target, notification, open_label);
            Err("desktop notifications are only written for Linux so far".to_owned())
        }
    }

    /// Closes a room's notification (the room was opened, or the window came back to it).
    pub fn close(&self, target: &NotificationTarget) {
        let id = self.shown().places.remove(&Place::Room(target.clone()));
        if let Some(id) = id {
            #[cfg(target_os = "linux")]
            freedesktop::close(id);
            #[cfg(not(target_os = "linux"))]
            let _ = id;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target(room: &str) -> NotificationTarget {
        NotificationTarget {
            account_id: "a".into(),
            room_id: room.into(),
        }
    }

    #[test]
    fn markup_in_a_message_is_shown_as_written() {
        assert_eq!(
            escape_markup(r#"<img src="file:///etc/passwd"> & <b>"moi"</b>"#),
            r#"&lt;img src="file:///etc/passwd"&gt; &amp; &lt;b&gt;"moi"&lt;/b&gt;"#
        );
        assert_eq!(
            escape_markup("J'ai vu l'équipe à 10 h"),
            "J'ai vu l'équipe à 10 h"
        );
    }

    #[test]
    fn long_texts_are_cut_on_a_character() {
        assert_eq!(bounded("été", 2), "ét…");
        assert_eq!(bounded("été", 3), "été");
        assert_eq!(
            bounded(&"é".repeat(5_000), BODY_MAX_CHARS).chars().count(),
            2_001
        );
    }

    #[test]
    fn a_click_after_the_close_still_opens_and_a_reused_id_is_ours_again() {
        let mut shown = Shown::default();
        shown.shown(Place::Room(target("!r")), target("!r"), 7);
        shown.closed(7);
        assert!(
            shown.places.is_empty(),
            "the room's next alert is a new notification"
        );
        assert_eq!(
            shown.targets.get(&7),
            Some(&target("!r")),
            "a late click still opens"
        );
        // The service hands out 7 again, for another room: a click on it goes there.
        shown.shown(Place::Room(target("!s")), target("!s"), 7);
        assert_eq!(shown.targets.get(&7), Some(&target("!s")));
        for id in 100..100 + RECENTLY_CLOSED as u32 + 1 {
            shown.shown(Place::Summary, target("!t"), id);
            shown.closed(id);
        }
        assert_eq!(
            shown.targets.get(&7),
            Some(&target("!s")),
            "an open one is kept"
        );
        assert!(
            !shown.targets.contains_key(&100),
            "the oldest closed ones are forgotten"
        );
        shown.forget_all();
        assert!(shown.targets.is_empty() && shown.places.is_empty());
    }

    #[test]
    fn the_summary_has_its_own_place() {
        let mut shown = Shown::default();
        shown.shown(Place::Room(target("!r")), target("!r"), 1);
        shown.shown(Place::Summary, target("!r"), 2);
        assert_eq!(shown.places.get(&Place::Room(target("!r"))), Some(&1));
        assert_eq!(shown.places.get(&Place::Summary), Some(&2));
    }
}
