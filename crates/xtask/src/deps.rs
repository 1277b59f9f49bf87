//! The Debian/Ubuntu packages the tests need, checked with dpkg and installed with apt-get
//! (as root, or through password-less sudo). Never prompts: without the right to install, it
//! says exactly what to install and fails.

use std::{
    path::Path,
    process::{Command, Output},
    time::Duration,
};

use crate::{
    Error,
    steps::{self, succeeds},
};

/// A real Secret Service inside a private D-Bus session, and the tool that probes it.
pub const TEST_PACKAGES: &[&str] = &["gnome-keyring", "dbus", "libsecret-tools"];

/// Building and driving the desktop app headless; needed once the Tauri shell exists.
pub const DESKTOP_PACKAGES: &[&str] = &[
    "libwebkit2gtk-4.1-dev",
    "pkg-config",
    "xvfb",
    "xauth",
    "webkit2gtk-driver",
    // The webview's players (WebKitGTK plays video and sound through GStreamer).
    "gstreamer1.0-plugins-base",
    "gstreamer1.0-plugins-good",
    // End-to-end tests put a picture on the X clipboard to paste it.
    "xclip",
    // A real notification service on the tests' session bus (`dunstctl` reads back what
    // the app showed).
    "dunst",
    // The tray icon's library, loaded by the app at start (without it the app has no tray).
    "libayatana-appindicator3-1",
];

/// Calls (`crates/calls`): GStreamer's WebRTC stack at run time (webrtcbin, DTLS/SRTP, echo
/// cancellation, ICE through libnice) and the headers the Rust bindings build against. Not
/// the "bad" plugins' development package: on Debian 12 it pulls some 270 packages (OpenCV,
/// Qt, GDAL); the crate does without it. Measured: 106 packages, 17 s without recommends.
pub const CALL_PACKAGES: &[&str] = &[
    "gstreamer1.0-plugins-bad",
    "gstreamer1.0-nice",
    "libgstreamer1.0-dev",
    "libgstreamer-plugins-base1.0-dev",
    // The tests' TURN server (`estafette_testkit::TurnServer`): calls relayed only.
    "coturn",
    // The tests' sound server with virtual microphones and speakers
    // (`estafette_testkit::SoundServer`): choosing devices, and moving a call between them.
    "pulseaudio",
    "pulseaudio-utils",
];

/// Commands that must exist when dpkg cannot tell (not a Debian-like system).
const TEST_COMMANDS: &[&str] = &["dbus-run-session", "gnome-keyring-daemon", "secret-tool"];

/// The packages this checkout needs: the desktop ones only once a `src-tauri` folder exists.
pub fn required(root: &Path) -> Vec<&'static str> {
    let mut packages = TEST_PACKAGES.to_vec();
    if has_tauri_app(root) {
        packages.extend_from_slice(DESKTOP_PACKAGES);
    }
    if root.join("crates/calls").is_dir() {
        packages.extend_from_slice(CALL_PACKAGES);
    }
    packages
}

/// Looks a few levels down (e.g. `src-tauri`, `app/src-tauri`, `crates/app/src-tauri`)
/// without walking build output or dependencies.
fn has_tauri_app(root: &Path) -> bool {
    fn search(dir: &Path, depth: usize) -> bool {
        let Ok(entries) = std::fs::read_dir(dir) else {
            return false;
        };
        entries.flatten().any(|entry| {
            let name = entry.file_name();
            let is_dir = entry.file_type().is_ok_and(|kind| kind.is_dir());
            if !is_dir || matches!(name.to_str(), Some("target" | "node_modules" | ".git")) {
                return false;
            }
            name == "src-tauri" || (depth > 0 && search(&entry.path(), depth - 1))
        })
    }
    search(root, 2)
}

/// Installs whatever of `packages` is missing.
pub fn ensure(packages: &[&str]) -> Result<(), Error> {
    if !succeeds(Command::new("dpkg-query").arg("--version")) {
        return ensure_commands_without_dpkg(packages);
    }
    let missing: Vec<&str> = packages
        .iter()
        .copied()
        .filter(|name| !installed(name))
        .collect();
    if missing.is_empty() {
        println!("all present: {}", packages.join(" "));
        return Ok(());
    }
    println!("missing: {}", missing.join(" "));
    let prefix = privilege_prefix().ok_or_else(|| {
        Error::Missing(format!(
            "these packages are missing and xtask may not install them (not root, no \
             password-less sudo). Install them, then run again:\n    \
             sudo apt-get update && sudo apt-get install -y {}",
            missing.join(" ")
        ))
    })?;
    apt(&prefix, &["update", "-q"])?;
    let mut install = vec!["install", "-y", "-q", "--no-install-recommends"];
    install.extend_from_slice(&missing);
    apt(&prefix, &install)?;
    let still_missing: Vec<&str> = missing
        .iter()
        .copied()
        .filter(|name| !installed(name))
        .collect();
    if still_missing.is_empty() {
        Ok(())
    } else {
        Err(Error::Missing(format!(
            "apt-get reported success but these are still not installed: {}",
            still_missing.join(" ")
        )))
    }
}

fn installed(package: &str) -> bool {
    // `dpkg -s` also succeeds for removed packages whose config files remain.
    Command::new("dpkg-query")
        .args(["--show", "--showformat=${Status}"])
        .arg(package)
        .output()
        .is_ok_and(|output| output.status.success() && output.stdout == b"install ok installed")
}

/// How to become root for apt-get: nothing when already root, `sudo -n` when it needs no
/// password, `None` when neither works.
fn privilege_prefix() -> Option<Vec<&'static str>> {
    let uid = steps::output_within(Command::new("id").arg("-u"), Duration::from_secs(10))
        .ok()
        .filter(|output: &Output| output.status.success())
        .map(|output| String::from_utf8_lossy(&output.stdout).trim().to_owned());
    if uid.as_deref() == Some("0") {
        Some(Vec::new())
    } else if succeeds(Command::new("sudo").args(["-n", "true"])) {
        Some(vec!["sudo", "-n"])
    } else {
        None
    }
}

fn apt(prefix: &[&str], args: &[&str]) -> Result<(), Error> {
    // `env` carries the variable through sudo, which drops the caller's environment.
    let mut words: Vec<&str> = prefix.to_vec();
    words.extend_from_slice(&["env", "DEBIAN_FRONTEND=noninteractive", "apt-get"]);
    words.extend_from_slice(args);
    let Some((program, rest)) = words.split_first() else {
        return Err(Error::Missing("empty apt-get command".into()));
    };
    println!("$ {}", words.join(" "));
    steps::status(
        Command::new(program).args(rest),
        &format!("apt-get {}", args.join(" ")),
    )
}

fn ensure_commands_without_dpkg(packages: &[&str]) -> Result<(), Error> {
    let absent: Vec<&str> = TEST_COMMANDS
        .iter()
        .copied()
        .filter(|command| !succeeds(Command::new("sh").args(["-c", "command -v \"$0\"", command])))
        .collect();
    if absent.is_empty() {
        println!("no dpkg here; the commands the tests need are present");
        Ok(())
    } else {
        Err(Error::Missing(format!(
            "no dpkg here, and these commands are missing: {}. Install your system's \
             equivalents of: {}",
            absent.join(", "),
            packages.join(" ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn desktop_packages_are_needed_only_with_a_tauri_app() {
        let root = std::env::temp_dir().join(format!("xtask-deps-{}", std::process::id()));
        let app = root.join("crates").join("app");
        std::fs::create_dir_all(&app).expect("test tree");
        assert_eq!(required(&root), TEST_PACKAGES);
        std::fs::create_dir_all(app.join("src-tauri")).expect("src-tauri");
        assert!(required(&root).contains(&"webkit2gtk-driver"));
        std::fs::remove_dir_all(&root).expect("cleanup");
    }

    #[test]
    fn an_unknown_package_is_not_installed() {
        assert!(!installed("estafette-no-such-package"));
    }
}
