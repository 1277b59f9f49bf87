//! How this launch is configured: by the environment today (developers, tests, the demo),
//! by administrator policy files later.

use std::path::PathBuf;

use serde::Serialize;

/// Settings read once at start.
#[derive(Clone, Debug, Default)]
pub struct LaunchConfig {
    /// Replaces the platform data directory (tests, several profiles side by side).
    pub data_dir: Option<PathBuf>,
    /// Replaces the `estafette` keychain service name.
    pub keychain_service: Option<String>,
    /// Prefills the "Homeserver" field.
    pub default_homeserver: Option<String>,
    /// Set by `cargo xtask run` when it started a demo server.
    pub demo: Option<DemoAccounts>,
}

/// Demo credentials, shown on the sign-in screen only in demo mode (`cargo xtask run`, a debug
/// build: a release build never reads them).
#[derive(Clone, Serialize, specta::Type)]
pub struct DemoAccounts {
    pub homeserver: String,
    pub usernames: Vec<String>,
    pub password: String,
}

impl std::fmt::Debug for DemoAccounts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DemoAccounts")
            .field("homeserver", &self.homeserver)
            .field("usernames", &self.usernames)
            .field("password", &"<redacted>")
            .finish()
    }
}

impl LaunchConfig {
    /// `cargo xtask bench app` sets this: paint marks are printed on stdout.
    /// How long a recovery key copied by the app stays on the clipboard: a minute, shortened
    /// by the tests (`ESTAFETTE_SECRET_CLIPBOARD_SECONDS`).
    pub fn secret_clipboard_lifetime() -> std::time::Duration {
        let seconds = std::env::var("ESTAFETTE_SECRET_CLIPBOARD_SECONDS")
            .ok()
            .and_then(|seconds| seconds.parse().ok())
            .unwrap_or(60);
        std::time::Duration::from_secs(seconds)
    }

    /// Calls send a tone and a moving pattern instead of the microphone and camera
    /// (`ESTAFETTE_CALL_SOURCES=test`): end-to-end tests and machines without devices. A
    /// release build ignores it; the benchmarks' optimised build enables it by a feature.
    pub fn call_test_sources() -> bool {
        cfg!(any(debug_assertions, feature = "call-test-sources"))
            && std::env::var("ESTAFETTE_CALL_SOURCES").is_ok_and(|value| value == "test")
    }

    pub fn reports_paints() -> bool {
        std::env::var_os("ESTAFETTE_REPORT_PAINTS").is_some()
    }

    /// Where paint marks are also appended, when `ESTAFETTE_REPORT_PAINTS` names a file.
    pub fn paint_report_file() -> Option<PathBuf> {
        std::env::var_os("ESTAFETTE_REPORT_PAINTS")
            .map(PathBuf::from)
            .filter(|path| path.is_absolute())
    }

    pub fn from_env() -> Self {
        let var = |name: &str| std::env::var(name).ok().filter(|value| !value.is_empty());
        // The demo is a developer's tool: a release build ignores it.
        let demo_server = var("ESTAFETTE_DEMO_HOMESERVER").filter(|_| cfg!(debug_assertions));
        let demo = demo_server.map(|homeserver| DemoAccounts {
            homeserver,
            usernames: var("ESTAFETTE_DEMO_USERS")
                .map(|users| users.split(',').map(str::to_owned).collect())
                .unwrap_or_default(),
            password: var("ESTAFETTE_DEMO_PASSWORD").unwrap_or_default(),
        });
        Self {
            data_dir: var("ESTAFETTE_DATA_DIR").map(PathBuf::from),
            keychain_service: var("ESTAFETTE_KEYCHAIN_SERVICE"),
            default_homeserver: var("ESTAFETTE_HOMESERVER")
                .or_else(|| demo.as_ref().map(|demo| demo.homeserver.clone())),
            demo,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::DemoAccounts;

    #[test]
    fn the_demo_password_never_shows_in_logs() {
        let demo = DemoAccounts {
            homeserver: "http://127.0.0.1:8008".into(),
            usernames: vec!["alice".into()],
            password: "demo-secret-password".into(),
        };
        let logged = format!("{demo:?} {demo:#?}");
        assert!(!logged.contains("demo-secret-password"), "{logged}");
        assert!(logged.contains("alice") && logged.contains("<redacted>"));
    }
}
