//! `cargo xtask run`: brings up something to try Estafette against. Today that is the demo
//! homeserver and instructions for the CLI; the desktop app's launch belongs here too.

use std::{path::Path, process::Command};

use crate::{Error, steps};

const DEMO_PASSWORD: &str = "estafette-demo";

pub fn run(root: &Path, passthrough: &[String]) -> Result<(), Error> {
    if let Some(homeserver) = configured_homeserver() {
        println!("ESTAFETTE_HOMESERVER is set: using {homeserver}; no demo server started.");
        print_cli_usage(&homeserver, "<your user>", "<your password>");
        return Ok(());
    }
    println!("Starting the demo homeserver (Ctrl-C stops it).");
    println!("Once it prints its address, from another terminal:");
    print_cli_usage("<the URL printed below>", "alice", DEMO_PASSWORD);
    start_demo_server(root, passthrough)
}

fn configured_homeserver() -> Option<String> {
    std::env::var("ESTAFETTE_HOMESERVER")
        .ok()
        .filter(|value| !value.trim().is_empty())
}

fn print_cli_usage(homeserver: &str, user: &str, password: &str) {
    println!(
        "    cargo run -p estafette-cli -- login --homeserver {homeserver} --user {user} \
         --password {password}"
    );
    println!("    cargo run -p estafette-cli -- rooms");
    println!("    cargo run -p estafette-cli -- --help");
}

/// Runs in the foreground until the server stops; its own output says where it listens.
fn start_demo_server(root: &Path, passthrough: &[String]) -> Result<(), Error> {
    let mut command = demo_server_command(root, passthrough);
    steps::status(&mut command, "the demo server")
}

/// `cargo run` of the testkit's demo server binary, which also installs Synapse.
pub fn demo_server_command(root: &Path, args: &[String]) -> Command {
    let mut command = Command::new("cargo");
    command
        .args([
            "run",
            "-q",
            "-p",
            "estafette-testkit",
            "--bin",
            "estafette-demo-server",
            "--",
        ])
        .args(args)
        .current_dir(root);
    command
}
