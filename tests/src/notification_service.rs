//! A real desktop notification service for a test: dunst on the test run's session bus (the
//! one the app talks to), drawing on the test's display. `dunstctl` reads back what the app
//! showed and clicks it, as a person would, through the service's own D-Bus signals.
//!
//! End-to-end tests run one at a time (`.config/nextest.toml`), so the service's bus name is
//! free for the test that starts one; dropping it stops the service.

use std::{
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use serde_json::Value;

use crate::{PATIENCE, VirtualDisplay};

/// A notification as the service received it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ShownNotification {
    pub summary: String,
    pub body: String,
}

#[derive(Debug)]
pub struct NotificationService {
    process: Child,
}

impl NotificationService {
    pub fn start(display: &VirtualDisplay) -> Self {
        let process = Command::new("dunst")
            .env("DISPLAY", display.name())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("dunst is missing: `cargo xtask test` installs it (Debian package dunst)");
        let service = Self { process };
        let deadline = Instant::now() + Duration::from_secs(20);
        while dunstctl(&["count", "displayed"]).is_none_or(|out| out.trim().parse::<u32>().is_err())
        {
            assert!(
                Instant::now() < deadline,
                "dunst did not take the session bus's notification service"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        service
    }

    /// How many notifications are on screen.
    pub fn displayed(&self) -> u32 {
        dunstctl(&["count", "displayed"])
            .and_then(|out| out.trim().parse().ok())
            .unwrap_or(0)
    }

    /// Waits until `count` notifications are on screen.
    pub async fn wait_displayed(&self, count: u32) {
        let deadline = Instant::now() + PATIENCE;
        while self.displayed() < count {
            assert!(
                Instant::now() < deadline,
                "{count} notifications were not shown"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Clicks the newest notification on screen (its default action).
    pub fn click_newest(&self) {
        dunstctl(&["action", "0"]).expect("dunstctl action");
    }

    /// Every notification shown so far, oldest first: those on screen are closed first, since
    /// the history lists closed ones only. Direction isolates are taken out of the texts.
    pub fn all_shown(&self) -> Vec<ShownNotification> {
        dunstctl(&["close-all"]).expect("dunstctl close-all");
        // Closing is asynchronous in dunst: give its loop a moment.
        std::thread::sleep(Duration::from_millis(300));
        let history: Value =
            serde_json::from_str(&dunstctl(&["history"]).expect("dunstctl history"))
                .expect("JSON history");
        let mut shown: Vec<(i64, ShownNotification)> = history["data"][0]
            .as_array()
            .into_iter()
            .flatten()
            .map(|entry| {
                let text = |field: &str| {
                    entry[field]["data"]
                        .as_str()
                        .unwrap_or_default()
                        .replace(['\u{2068}', '\u{2069}'], "")
                };
                (
                    entry["id"]["data"].as_i64().unwrap_or_default(),
                    ShownNotification {
                        summary: text("summary"),
                        body: text("body"),
                    },
                )
            })
            .collect();
        shown.sort_by_key(|(id, _)| *id);
        shown
            .into_iter()
            .map(|(_, notification)| notification)
            .collect()
    }
}

fn dunstctl(args: &[&str]) -> Option<String> {
    let output = Command::new("dunstctl").args(args).output().ok()?;
    output
        .status
        .success()
        .then(|| String::from_utf8_lossy(&output.stdout).into_owned())
}

impl Drop for NotificationService {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
