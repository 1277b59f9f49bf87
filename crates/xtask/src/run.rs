//! `cargo xtask run`: builds the UI and the app and launches it. With no homeserver
//! configured it first starts the demo (a seeded Synapse plus two companions who talk in
//! encrypted rooms), shows its credentials on the sign-in screen, and stops it when the app
//! exits.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

use crate::{
    Error, deps, desktop, env,
    steps::{self, Steps},
};

const DEMO_PASSWORD: &str = "estafette-demo";
const DEMO_USERS: &str = "alice,bob,charlie";
const READY_LINE: &str = "estafette-demo ready ";

pub fn run(root: &Path, passthrough: &[String]) -> Result<(), Error> {
    let mut steps = Steps::new();
    let result = pipeline(&mut steps, root, passthrough);
    steps.finish("xtask run", result)
}

fn pipeline(steps: &mut Steps, root: &Path, passthrough: &[String]) -> Result<(), Error> {
    let packages = deps::required(root);
    steps.run("system packages", || deps::ensure(&packages))?;
    steps.run("ui packages", || desktop::install_ui_packages(root))?;
    steps.run("ui build", || desktop::build_ui(root))?;
    steps.run("app build", || desktop::build_app(root, "dev", &[]))?;
    let app = desktop::app_binary(root, "dev");

    if let Some(homeserver) = configured_homeserver() {
        println!("ESTAFETTE_HOMESERVER is set: {homeserver}; no demo server.");
        return steps.run("estafette", || {
            steps::status(Command::new(&app).current_dir(root), "the app")
        });
    }

    steps.run("demo build", || desktop::build_demo(root))?;
    let (mut demo, url) = steps.run("demo server", || start_demo(root, passthrough))?;
    let demo_dir = demo_dir()?;
    let result = steps.run("estafette (demo mode)", || {
        let mut command = Command::new(&app);
        command
            .current_dir(root)
            // The demo's accounts live apart from real ones: own data and keychain namespace.
            .env("ESTAFETTE_DATA_DIR", demo_dir.join("app-data"))
            .env("ESTAFETTE_KEYCHAIN_SERVICE", "estafette-demo")
            .env("ESTAFETTE_DEMO_HOMESERVER", &url)
            .env("ESTAFETTE_DEMO_USERS", DEMO_USERS)
            .env("ESTAFETTE_DEMO_PASSWORD", DEMO_PASSWORD);
        steps::status(&mut command, "the app")
    });
    stop(&mut demo);
    result
}

fn configured_homeserver() -> Option<String> {
    std::env::var("ESTAFETTE_HOMESERVER")
        .ok()
        .filter(|value| !value.trim().is_empty())
}

fn demo_dir() -> Result<PathBuf, Error> {
    let home = std::env::var_os("HOME")
        .map(PathBuf::from)
        .ok_or_else(|| Error::Missing("HOME is not set".into()))?;
    Ok(env::estafette_cache_dir(&home).join("demo-server"))
}

/// Starts the demo binary and waits for its ready line, echoing what it prints.
fn start_demo(root: &Path, passthrough: &[String]) -> Result<(Child, String), Error> {
    let binary = root.join("target/debug/estafette-demo");
    let mut child = Command::new(&binary)
        .args(passthrough)
        .current_dir(root)
        .stdout(Stdio::piped())
        .spawn()
        .map_err(|source| Error::Spawn {
            program: binary.display().to_string(),
            source,
        })?;
    let Some(stdout) = child.stdout.take() else {
        stop(&mut child);
        return Err(Error::Missing("the demo's output could not be read".into()));
    };
    let mut lines = BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let Ok(line) = line else { break };
        if let Some(url) = line.strip_prefix(READY_LINE) {
            let url = url.trim().to_owned();
            // Keep echoing the demo's output while the app runs.
            std::thread::spawn(move || {
                for line in lines.map_while(Result::ok) {
                    println!("[demo] {line}");
                }
            });
            return Ok((child, url));
        }
        println!("[demo] {line}");
    }
    stop(&mut child);
    Err(Error::Failed {
        what: "the demo server (it stopped before it was ready)".into(),
        code: None,
    })
}

/// SIGTERM, so the demo stops Synapse and its companions cleanly.
fn stop(child: &mut Child) {
    let _ = Command::new("kill").arg(child.id().to_string()).status();
    let _ = child.wait();
}

/// `cargo run` of the demo binary, which also installs Synapse (`--install-only`).
pub fn demo_server_command(root: &Path, args: &[String]) -> Command {
    let mut command = Command::new("cargo");
    command
        .args(["run", "-q", "-p", "estafette-demo", "--"])
        .args(args)
        .current_dir(root);
    command
}
