//! What the SDK logs that is not news. Front ends (the CLI, the app) add [`SdkNoise`] to their
//! subscriber so that an ERROR line in their output always means that something is wrong.

use tracing::{Event, Level, Subscriber, field::Field};
use tracing_subscriber::{Layer, layer::Context};

/// Drops the SDK's log events that are known to be harmless, each matched on its module,
/// level and exact message, so that any other message of the same module still shows.
#[derive(Clone, Copy, Debug, Default)]
pub struct SdkNoise;

/// (module, level, message) of each known harmless event.
const HARMLESS: &[(&str, Level, &str)] = &[
    // matrix-sdk 0.18 registers the rooms of each sliding-sync response for their latest
    // message *before* it creates them; the first computation then finds no room and logs this
    // for every new room (about a hundred lines when a large account signs in). The room's
    // events, processed a moment later, compute its latest message again (issue 9).
    (
        "matrix_sdk::latest_events::room_latest_events",
        Level::ERROR,
        "Room is unknown",
    ),
];

impl<S: Subscriber> Layer<S> for SdkNoise {
    fn event_enabled(&self, event: &Event<'_>, _context: Context<'_, S>) -> bool {
        let metadata = event.metadata();
        let mut candidates = HARMLESS
            .iter()
            .filter(|(module, level, _)| metadata.target() == *module && metadata.level() == level);
        let Some((_, _, message)) = candidates.next() else {
            return true;
        };
        let mut visitor = MessageIs {
            expected: message,
            matches: false,
        };
        event.record(&mut visitor);
        !visitor.matches
    }
}

struct MessageIs<'a> {
    expected: &'a str,
    matches: bool,
}

impl tracing::field::Visit for MessageIs<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            self.matches = value == self.expected;
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.matches = format!("{value:?}") == self.expected;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::{layer::SubscriberExt, registry};

    use super::*;

    /// Records the message of every event that reaches it.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<String>>>);

    impl<S: Subscriber> Layer<S> for Seen {
        fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
            struct Message(String);
            impl tracing::field::Visit for Message {
                fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
                    if field.name() == "message" {
                        self.0 = format!("{value:?}");
                    }
                }
            }
            let mut message = Message(String::new());
            event.record(&mut message);
            self.0.lock().expect("not poisoned").push(message.0);
        }
    }

    #[test]
    fn only_the_known_harmless_event_of_the_sdk_is_dropped() {
        let seen = Seen::default();
        let subscriber = registry().with(SdkNoise).with(seen.clone());
        tracing::subscriber::with_default(subscriber, || {
            tracing::error!(target: "matrix_sdk::latest_events::room_latest_events", room = "x", "Room is unknown");
            tracing::error!(target: "matrix_sdk::latest_events::room_latest_events", "Failed to fetch the `RoomEventCache`");
            tracing::warn!(target: "matrix_sdk::latest_events::room_latest_events", "Room is unknown");
            tracing::error!(target: "estafette_core::timeline", "Room is unknown");
        });
        assert_eq!(
            *seen.0.lock().expect("not poisoned"),
            [
                "Failed to fetch the `RoomEventCache`",
                "Room is unknown",
                "Room is unknown"
            ]
        );
    }
}
