//! The desktop app's tool chain: the UI's npm packages, type check, unit tests and build, the
//! app binary, and tauri-driver for the end-to-end tests.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::SystemTime,
};

use crate::{Error, steps};

/// The tauri-driver that matches Tauri 2 (the 3.x line is for Tauri 3).
const TAURI_DRIVER_VERSION: &str = "2.1.0";

pub fn ui_dir(root: &Path) -> PathBuf {
    root.join("ui")
}

fn npm(root: &Path, args: &[&str]) -> Command {
    let mut command = Command::new("npm");
    command.args(args).current_dir(ui_dir(root));
    command
}

fn modified(path: &Path) -> Option<SystemTime> {
    path.metadata()
        .and_then(|metadata| metadata.modified())
        .ok()
}

/// `npm ci` when `node_modules` is missing or older than the lock file.
pub fn install_ui_packages(root: &Path) -> Result<(), Error> {
    let lock = ui_dir(root).join("package-lock.json");
    let installed = ui_dir(root).join("node_modules/.package-lock.json");
    match (modified(&lock), modified(&installed)) {
        (Some(locked), Some(installed)) if installed >= locked => {
            println!("ui/node_modules is up to date");
            Ok(())
        }
        _ => steps::status(
            &mut npm(root, &["ci", "--no-audit", "--no-fund"]),
            "npm ci (ui)",
        ),
    }
}

/// svelte-check: TypeScript and Svelte diagnostics, warnings included.
pub fn check_ui(root: &Path) -> Result<(), Error> {
    steps::status(&mut npm(root, &["run", "check"]), "the UI type check")
}

pub fn test_ui(root: &Path) -> Result<(), Error> {
    steps::status(&mut npm(root, &["test"]), "the UI unit tests")
}

/// `ui/dist`, which the app embeds at compile time.
pub fn build_ui(root: &Path) -> Result<(), Error> {
    steps::status(&mut npm(root, &["run", "build"]), "the UI build")
}

/// The app binary (`target/<profile>/estafette`) and the benchmark's empty window.
pub fn build_app(root: &Path, profile: &str, features: &[&str]) -> Result<(), Error> {
    let mut command = Command::new("cargo");
    command.args(["build", "--profile", profile, "-p", "estafette", "--bins"]);
    if !features.is_empty() {
        command.args(["--features", &features.join(",")]);
    }
    steps::status(command.current_dir(root), "building the app")
}

/// The demo of `cargo xtask run` (also started by an end-to-end test).
pub fn build_demo(root: &Path) -> Result<(), Error> {
    steps::status(
        Command::new("cargo")
            .args(["build", "-p", "estafette-demo"])
            .current_dir(root),
        "building the demo",
    )
}

pub fn app_binary(root: &Path, profile: &str) -> PathBuf {
    let dir = if profile == "dev" { "debug" } else { profile };
    root.join("target").join(dir).join("estafette")
}

fn cargo_bin(name: &str) -> PathBuf {
    let cargo_home = std::env::var_os("CARGO_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".cargo")))
        .unwrap_or_default();
    cargo_home.join("bin").join(name)
}

/// Installs tauri-driver with cargo when it is missing.
pub fn ensure_tauri_driver() -> Result<(), Error> {
    if cargo_bin("tauri-driver").exists() {
        println!("tauri-driver present");
        return Ok(());
    }
    steps::status(
        Command::new("cargo").args([
            "install",
            "tauri-driver",
            "--version",
            TAURI_DRIVER_VERSION,
            "--locked",
        ]),
        "installing tauri-driver",
    )
}

/// Rewrites `ui/src/lib/bindings.ts` from the Rust commands and types.
pub fn write_bindings(root: &Path) -> Result<(), Error> {
    steps::status(
        Command::new("cargo")
            .args([
                "test",
                "-p",
                "estafette",
                "--test",
                "bindings",
                "--",
                "committed_typescript_bindings_are_up_to_date",
            ])
            .env("ESTAFETTE_UPDATE_BINDINGS", "1")
            .current_dir(root),
        "generating the TypeScript bindings",
    )
}
