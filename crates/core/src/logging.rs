//! Logging for the front ends (the CLI, the app): to stderr, without what the SDK logs that
//! is not news, so that an ERROR line in their output always means that something is wrong.

use tracing::{Event, Level, Subscriber, field::Field};
use tracing_subscriber::{
    EnvFilter, Layer, layer::Context, layer::SubscriberExt, util::SubscriberInitExt,
};

/// Logs to stderr what the directives in the environment variable `variable` allow (or
/// `default` when it is unset or invalid), minus [`SdkNoise`].
pub fn log_to_stderr(variable: &str, default: &str) {
    tracing_subscriber::registry()
        .with(EnvFilter::try_from_env(variable).unwrap_or_else(|_| EnvFilter::new(default)))
        .with(tracing_subscriber::fmt::layer().with_writer(std::io::stderr))
        .with(SdkNoise)
        .init();
}

/// Drops the SDK's log events that are known to be harmless, each matched on its module,
/// level and exact message, so that any other message of the same module still shows.
#[derive(Clone, Copy, Debug, Default)]
pub struct SdkNoise;

/// One kind of harmless event: its module, its level and its message.
struct Harmless {
    module: &'static str,
    level: Level,
    message: Message,
}

enum Message {
    Exact(&'static str),
    /// For messages that end with the details of one occurrence.
    StartingWith(&'static str),
}

impl Message {
    fn matches(&self, message: &str) -> bool {
        match self {
            Message::Exact(expected) => message == *expected,
            Message::StartingWith(start) => message.starts_with(start),
        }
    }
}

const HARMLESS: &[Harmless] = &[
    // matrix-sdk 0.18 registers the rooms of each sliding-sync response for their latest
    // message *before* it creates them; the first computation then finds no room and logs this
    // for every new room (about a hundred lines when a large account signs in). The room's
    // events, processed a moment later, compute its latest message again (issue 9).
    Harmless {
        module: "matrix_sdk::latest_events::room_latest_events",
        level: Level::ERROR,
        message: Message::Exact("Room is unknown"),
    },
    // The SDK logs every request that fails as an ERROR, answers its callers expect included:
    // 404 for account data not set yet (each sign-in checks for secret storage), or for an
    // optional endpoint the server does not have. The error goes back to its caller, which
    // handles it or reports it (to the user, in our typed errors).
    Harmless {
        module: "matrix_sdk::http_client",
        level: Level::ERROR,
        message: Message::StartingWith("Error while sending request: "),
    },
    // Another client may send events that do not follow the spec (the hostile-events test does
    // nothing else). Looking for a room's latest message, the SDK skips each of them, logging
    // an ERROR every time it looks again: one malformed event gives dozens of lines. The
    // timeline shows such an event as one it cannot display.
    Harmless {
        module: "matrix_sdk::latest_events::latest_event::builder",
        level: Level::ERROR,
        message: Message::Exact(
            "Failed to deserialize the event when looking for a suitable latest event",
        ),
    },
];

impl<S: Subscriber> Layer<S> for SdkNoise {
    fn event_enabled(&self, event: &Event<'_>, _context: Context<'_, S>) -> bool {
        let metadata = event.metadata();
        let mut candidates = HARMLESS
            .iter()
            .filter(|harmless| {
                metadata.target() == harmless.module && *metadata.level() == harmless.level
            })
            .peekable();
        // Only the few candidate events pay for reading their message.
        if candidates.peek().is_none() {
            return true;
        }
        let mut message = EventMessage::default();
        event.record(&mut message);
        !candidates.any(|harmless| harmless.message.matches(&message.0))
    }
}

/// The `message` field of an event.
#[derive(Default)]
struct EventMessage(String);

impl tracing::field::Visit for EventMessage {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            value.clone_into(&mut self.0);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn std::fmt::Debug) {
        if field.name() == "message" {
            self.0 = format!("{value:?}");
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use tracing_subscriber::registry;

    use super::*;

    /// Records the message of every event that reaches it.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<Vec<String>>>);

    impl<S: Subscriber> Layer<S> for Seen {
        fn on_event(&self, event: &Event<'_>, _context: Context<'_, S>) {
            let mut message = EventMessage::default();
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
            tracing::error!(target: "matrix_sdk::http_client", "Error while sending request: 404");
            tracing::error!(target: "matrix_sdk::http_client", "Something else");
            tracing::error!(target: "matrix_sdk::latest_events::latest_event::builder", error = "missing field `body`", "Failed to deserialize the event when looking for a suitable latest event");
        });
        assert_eq!(
            *seen.0.lock().expect("not poisoned"),
            [
                "Failed to fetch the `RoomEventCache`",
                "Room is unknown",
                "Room is unknown",
                "Something else"
            ]
        );
    }
}
