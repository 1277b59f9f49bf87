//! `estafette-cli`: Estafette's core on the command line, for scripts, administrators and
//! tests. Same accounts, same keychain entries and same stores as the desktop app.
//!
//! Exit codes: 0 success, 1 error (message on stderr, JSON with `--json`), 2 bad usage,
//! 3 message queued but not yet sent (it goes out at the next start), 4 timed out.

#![recursion_limit = "256"]

mod commands;
mod output;

use std::{path::PathBuf, process::ExitCode, time::Duration};

use clap::{Parser, Subcommand};
use estafette_core::{AccountManager, CoreConfig, media::OutgoingFile, room_list::RoomFilter};

use crate::output::{Failure, Output};

#[derive(Debug, Parser)]
#[command(
    name = "estafette-cli",
    version,
    about = "Estafette, the Matrix messenger, on the command line"
)]
struct Cli {
    /// Directory of Estafette's local data (default: the platform data directory).
    #[arg(long, global = true, env = "ESTAFETTE_DATA_DIR")]
    data_dir: Option<PathBuf>,
    /// Keychain service name under which secrets are stored.
    #[arg(
        long,
        global = true,
        env = "ESTAFETTE_KEYCHAIN_SERVICE",
        default_value = "estafette"
    )]
    keychain_service: String,
    /// Which signed-in account to use (Matrix ID), when there are several.
    #[arg(long, global = true)]
    account: Option<String>,
    /// One JSON object per line instead of text.
    #[arg(long, global = true)]
    json: bool,
    /// How long to wait for the server (sync, sending, `tail --until`), in seconds.
    #[arg(long, global = true, default_value_t = 30)]
    timeout: u64,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Sign in with a password, or through the server's single sign-on (--sso), and
    /// remember the account.
    Login {
        /// Server name or URL; optional when --user is a full Matrix ID, an email address
        /// the administrator's directory knows, or when the policy names a default.
        #[arg(long)]
        homeserver: Option<String>,
        /// `alice`, `@alice:example.org` or a work email address.
        #[arg(long, required_unless_present = "sso")]
        user: Option<String>,
        /// Sign in through the server's single sign-on: prints the address to open in a
        /// browser, then waits (up to ten minutes) for the browser to come back.
        #[arg(long, conflicts_with_all = ["password", "password_stdin"])]
        sso: bool,
        /// The identity provider to sign in with, by its ID (the server's choice page
        /// otherwise).
        #[arg(long, requires = "sso")]
        provider: Option<String>,
        /// The password (visible in the process list: prefer --password-stdin).
        #[arg(long, conflicts_with = "password_stdin")]
        password: Option<String>,
        /// Read the password from the first line of standard input.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the signed-in accounts.
    Accounts,
    /// List rooms, most recent first.
    Rooms {
        #[arg(long, value_enum, default_value = "all")]
        filter: FilterArg,
        /// Only rooms whose name contains this text.
        #[arg(long)]
        search: Option<String>,
        /// Print what is cached at once, without waiting for the server.
        #[arg(long)]
        no_wait: bool,
    },
    /// Join a room by ID or alias, or accept an invite.
    Join { room: String },
    /// Send one or more messages (Markdown), in order, and wait until the server has them.
    Send {
        room: String,
        #[arg(required = true)]
        texts: Vec<String>,
    },
    /// Send a file and wait until the server has it. Photos go without their location and
    /// camera details.
    SendFile {
        room: String,
        path: PathBuf,
        /// Text shown with the file.
        #[arg(long)]
        caption: Option<String>,
        /// Send a photo as it is, location and camera details included.
        #[arg(long)]
        keep_metadata: bool,
    },
    /// Save a message's file, under its name made safe; an existing file is never replaced.
    Download {
        room: String,
        event: String,
        /// The folder to save into (default: the current one).
        #[arg(long, default_value = ".")]
        out: PathBuf,
    },
    /// Print a room's latest messages.
    Tail {
        room: String,
        /// How many messages.
        #[arg(long, default_value_t = 20)]
        limit: usize,
        /// Keep printing new messages.
        #[arg(long)]
        follow: bool,
        /// Wait until a message with exactly this text arrives, then exit.
        #[arg(long)]
        until: Option<String>,
    },
    /// Sign out at the server and erase the account's local data and keychain entries.
    Logout,
}

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum FilterArg {
    All,
    People,
    Rooms,
    Invites,
    Unread,
}

impl From<FilterArg> for RoomFilter {
    fn from(filter: FilterArg) -> Self {
        match filter {
            FilterArg::All => Self::All,
            FilterArg::People => Self::People,
            FilterArg::Rooms => Self::Rooms,
            FilterArg::Invites => Self::Invites,
            FilterArg::Unread => Self::Unread,
        }
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    // Errors only: the CLI reports what failed itself, in words.
    estafette_core::logging::log_to_stderr("RUST_LOG", "error");
    let output = Output::new(cli.json);
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(runtime) => runtime,
        Err(error) => return output.fail(&Failure::other("runtime", error)),
    };
    match runtime.block_on(run(cli, &output)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(failure) => output.fail(&failure),
    }
}

async fn run(cli: Cli, output: &Output) -> Result<(), Failure> {
    estafette_core::secrets::use_platform_keychain()?;
    let mut config = CoreConfig::platform_default()?;
    if let Some(data_dir) = cli.data_dir {
        config.data_dir = data_dir;
    }
    config.keychain_service = cli.keychain_service;
    config.device_display_name = "Estafette CLI".to_owned();
    // The same administrator policy as the app: allowed servers, the email directory.
    let manager = AccountManager::new(config).with_policy(estafette_core::policy::Policy::load());
    let context = commands::Context {
        manager: &manager,
        output,
        account: cli.account,
        timeout: Duration::from_secs(cli.timeout),
    };
    let result = match cli.command {
        Command::Login {
            homeserver,
            user,
            sso: true,
            provider,
            ..
        } => commands::login_with_sso(&context, homeserver, user, provider).await,
        Command::Login {
            homeserver,
            user,
            password,
            password_stdin,
            ..
        } => {
            commands::login(
                &context,
                homeserver,
                user.unwrap_or_default(),
                password,
                password_stdin,
            )
            .await
        }
        Command::Accounts => commands::accounts(&context).await,
        Command::Rooms {
            filter,
            search,
            no_wait,
        } => commands::rooms(&context, filter.into(), search, no_wait).await,
        Command::Join { room } => commands::join(&context, &room).await,
        Command::Send { room, texts } => commands::send(&context, &room, &texts).await,
        Command::SendFile {
            room,
            path,
            caption,
            keep_metadata,
        } => {
            let file = OutgoingFile {
                path,
                caption,
                keep_metadata,
            };
            commands::send_file(&context, &room, file).await
        }
        Command::Download { room, event, out } => {
            commands::download(&context, &room, &event, out).await
        }
        Command::Tail {
            room,
            limit,
            follow,
            until,
        } => commands::tail(&context, &room, limit, follow, until).await,
        Command::Logout => commands::logout(&context).await,
    };
    manager.shut_down().await;
    result
}
