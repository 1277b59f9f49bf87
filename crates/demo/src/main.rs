//! The demo of `cargo xtask run`: a long-lived homeserver on 127.0.0.1 with users alice, bob
//! and charlie, plain rooms with history, and encrypted rooms where bob and charlie (real core
//! clients) talk with alice. Kept in a directory between runs. Also installs Synapse ahead of
//! the tests (`--install-only`), which `cargo xtask test` relies on.

// matrix-sdk futures are deeply nested.
#![recursion_limit = "256"]

mod conversation;

use std::{path::PathBuf, process::ExitCode};

use clap::Parser;
use conversation::Companions;
use estafette_testkit::{
    Homeserver, RegisteredUser, SYNAPSE_VERSION, SeedPlan, TestkitError, cache_root,
    ensure_synapse_installed, seed_plain_rooms,
};

const PASSWORD: &str = "estafette-demo";
/// Printed once the server answers and the demo content exists; `cargo xtask run` waits for it.
const READY_LINE: &str = "estafette-demo ready";
const USERS: [&str; 3] = ["alice", "bob", "charlie"];
/// Written once the demo content exists, so later runs do not add it again.
const SEEDED_MARKER: &str = "estafette-demo-seeded";

/// Run a demo Matrix homeserver (Synapse) on 127.0.0.1 for trying Estafette.
#[derive(Debug, Parser)]
#[command(version)]
struct Args {
    /// Where the server keeps its configuration and database between runs
    /// [default: <cache>/estafette/demo-server]. Delete it for a fresh demo.
    #[arg(long, env = "ESTAFETTE_DEMO_DIR")]
    dir: Option<PathBuf>,

    /// Only install Synapse into the shared cache (if missing), then exit.
    #[arg(long)]
    install_only: bool,
}

#[derive(Debug, thiserror::Error)]
enum DemoError {
    #[error(transparent)]
    Kit(#[from] TestkitError),
    #[error("{context}: {source}")]
    Io {
        context: String,
        source: std::io::Error,
    },
    #[error("the installer task failed: {0}")]
    Task(#[from] tokio::task::JoinError),
    #[error(transparent)]
    Core(#[from] estafette_core::Error),
    #[error(transparent)]
    Room(#[from] estafette_core::rooms::RoomError),
    #[error(transparent)]
    Keychain(#[from] estafette_core::secrets::SecretsError),
}

#[tokio::main]
async fn main() -> ExitCode {
    let args = Args::parse();
    match run(args).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("estafette-demo: {error}");
            ExitCode::FAILURE
        }
    }
}

async fn run(args: Args) -> Result<(), DemoError> {
    if args.install_only {
        let venv = tokio::task::spawn_blocking(ensure_synapse_installed).await??;
        println!(
            "Synapse {SYNAPSE_VERSION} is installed in {}",
            venv.display()
        );
        return Ok(());
    }
    let dir = match args.dir {
        Some(dir) => dir,
        None => cache_root()?.join("demo-server"),
    };
    let mut hs = if Homeserver::holds_server(&dir) {
        println!("Starting the demo server kept in {}", dir.display());
        Homeserver::start_existing(&dir).await?
    } else {
        println!("Creating a demo server in {}", dir.display());
        Homeserver::start_in(&dir).await?
    };
    let seeded = dir.join(SEEDED_MARKER);
    if seeded.exists() {
        for user in USERS {
            demo_user(&hs, user).await?;
        }
    } else {
        let mut users = Vec::with_capacity(USERS.len());
        for user in USERS {
            users.push(demo_user_with_token(&hs, user).await?);
        }
        let rooms = seed_demo(&hs, &users).await?;
        std::fs::write(&seeded, rooms.join("\n")).map_err(|source| DemoError::Io {
            context: format!("writing {}", seeded.display()),
            source,
        })?;
        println!("Seeded {} rooms.", rooms.len());
    }
    let companions = match Companions::start(&hs, &dir).await {
        Ok(companions) => Some(companions),
        Err(error) => {
            eprintln!(
                "bob and charlie cannot talk in encrypted rooms ({error}); the plain rooms work."
            );
            None
        }
    };
    print_welcome(&hs);
    println!("{READY_LINE} {}", hs.base_url());
    let alice = hs.user_id("alice");
    tokio::select! {
        result = wait_for_shutdown() => result?,
        () = async {
            match &companions {
                Some(companions) => companions.converse(alice).await,
                None => std::future::pending().await,
            }
        } => {}
    }
    println!("Stopping…");
    if let Some(companions) = companions {
        companions.shut_down().await;
    }
    hs.stop().await?;
    Ok(())
}

/// Registers `localpart` unless it exists already.
async fn demo_user(hs: &Homeserver, localpart: &str) -> Result<(), DemoError> {
    match hs.register_user(localpart, PASSWORD, false).await {
        Ok(_) => Ok(()),
        Err(error) if error.errcode() == Some("M_USER_IN_USE") => Ok(()),
        Err(error) => Err(error.into()),
    }
}

/// Registers `localpart`, or signs it in when it exists, for a token to seed with.
async fn demo_user_with_token(
    hs: &Homeserver,
    localpart: &str,
) -> Result<RegisteredUser, DemoError> {
    match hs.register_user(localpart, PASSWORD, false).await {
        Ok(user) => Ok(user),
        Err(error) if error.errcode() == Some("M_USER_IN_USE") => {
            Ok(hs.login(localpart, PASSWORD).await?)
        }
        Err(error) => Err(error.into()),
    }
}

/// The demo content, created once per demo server; `users` are alice, bob, charlie in order.
/// Add new kinds of demo rooms here.
async fn seed_demo(hs: &Homeserver, users: &[RegisteredUser]) -> Result<Vec<String>, DemoError> {
    let Some((alice, others)) = users.split_first() else {
        return Ok(Vec::new());
    };
    let mut rooms = seed_plain_rooms(
        hs,
        alice,
        others,
        &SeedPlan {
            rooms: 3,
            messages_per_room: 12,
            room_name_prefix: "Salon de démonstration".to_owned(),
        },
    )
    .await?;
    if let Some(bob) = others.first() {
        let plan = SeedPlan {
            rooms: 1,
            messages_per_room: 6,
            room_name_prefix: "Alice et Bob (non chiffré)".to_owned(),
        };
        rooms.extend(seed_plain_rooms(hs, bob, std::slice::from_ref(alice), &plan).await?);
    }
    Ok(rooms)
}

fn print_welcome(hs: &Homeserver) {
    let url = hs.base_url();
    println!();
    println!("Demo homeserver running at {url}");
    println!("Users (password \"{PASSWORD}\"):");
    for user in USERS {
        println!("    {}", hs.user_id(user));
    }
    println!(
        "Data directory: {} (delete it for a fresh demo)",
        hs.data_dir().display()
    );
    println!(
        "Sign in as alice in the app, or with the CLI:\n    cargo run -p estafette-cli -- login \
         --homeserver {url} --user alice --password {PASSWORD}"
    );
    println!("Press Ctrl-C to stop.");
}

async fn wait_for_shutdown() -> Result<(), DemoError> {
    use tokio::signal::unix::{SignalKind, signal};
    let io = |source| DemoError::Io {
        context: "listening for SIGTERM".into(),
        source,
    };
    let mut terminate = signal(SignalKind::terminate()).map_err(io)?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result.map_err(|source| DemoError::Io {
            context: "listening for Ctrl-C".into(),
            source,
        }),
        _ = terminate.recv() => Ok(()),
    }
}
