//! What the CLI's tests share: installations of the CLI run as real processes, core clients
//! to talk with, and waits.
#![allow(dead_code)] // each test binary uses its own part of these helpers

pub use std::{
    io::Write,
    path::Path,
    process::{Command, Output, Stdio},
    sync::Arc,
    time::Duration,
};

pub use estafette_core::{
    Account, AccountManager, CoreConfig, SignIn, secrets::use_platform_keychain,
    timeline::TimelineItem,
};
pub use estafette_testkit::Homeserver;
pub use serde_json::Value;
pub use tempfile::TempDir;
pub use zeroize::Zeroizing;

pub const PASSWORD: &str = "correct horse battery staple";

/// An installation of the CLI: its data directory and keychain namespace.
pub struct CliHome {
    pub data_dir: TempDir,
    pub keychain_service: String,
}

impl CliHome {
    pub fn new(name: &str) -> Self {
        Self {
            data_dir: tempfile::tempdir().expect("temporary directory"),
            keychain_service: format!("estafette-cli-test-{name}-{}", std::process::id()),
        }
    }

    pub fn command(&self, args: &[&str]) -> Command {
        self.command_with_timeout(60, args)
    }

    pub fn command_with_timeout(&self, seconds: u32, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_estafette-cli"));
        command
            .arg("--data-dir")
            .arg(self.data_dir.path())
            .args(["--keychain-service", &self.keychain_service, "--json"])
            .args(["--timeout", &seconds.to_string()])
            .args(args);
        command
    }

    /// Runs the CLI to completion off the async runtime.
    pub async fn run(&self, args: &[&str], stdin: Option<&str>) -> Output {
        let mut command = self.command(args);
        let stdin = stdin.map(ToOwned::to_owned);
        tokio::task::spawn_blocking(move || {
            command
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped());
            let mut child = command.spawn().expect("the CLI starts");
            if let (Some(text), Some(mut pipe)) = (stdin, child.stdin.take()) {
                pipe.write_all(text.as_bytes()).expect("stdin written");
            }
            child.wait_with_output().expect("the CLI ends")
        })
        .await
        .expect("joined")
    }

    pub async fn run_ok(&self, args: &[&str], stdin: Option<&str>) -> Vec<Value> {
        let output = self.run(args, stdin).await;
        assert!(
            output.status.success(),
            "estafette-cli {args:?} failed: {}\nits output:\n{}",
            String::from_utf8_lossy(&output.stderr),
            String::from_utf8_lossy(&output.stdout)
        );
        json_lines(&output.stdout)
    }

    pub async fn login(&self, hs: &Homeserver, user: &str) {
        let lines = self
            .run_ok(
                &[
                    "login",
                    "--homeserver",
                    &hs.base_url(),
                    "--user",
                    user,
                    "--password-stdin",
                ],
                Some(&format!("{PASSWORD}\n")),
            )
            .await;
        assert_eq!(lines[0]["user_id"], hs.user_id(user));
    }
}

pub fn json_lines(bytes: &[u8]) -> Vec<Value> {
    String::from_utf8_lossy(bytes)
        .lines()
        .map(|line| serde_json::from_str(line).expect("each line is JSON"))
        .collect()
}

pub async fn core_user(
    hs: &Homeserver,
    user: &str,
    data_dir: &Path,
) -> (AccountManager, Arc<Account>) {
    let manager = AccountManager::new(CoreConfig {
        data_dir: data_dir.to_owned(),
        keychain_service: format!("estafette-cli-test-core-{user}-{}", std::process::id()),
        device_display_name: "core test".to_owned(),
    });
    let account = manager
        .sign_in(SignIn {
            homeserver: Some(hs.base_url()),
            username: user.to_owned(),
            password: Zeroizing::new(PASSWORD.to_owned()),
        })
        .await
        .expect("core client signs in");
    (manager, account)
}

pub async fn start() -> Homeserver {
    use_platform_keychain().expect("run with `cargo xtask test` for a Secret Service");
    let hs = Homeserver::start().await.expect("Synapse starts");
    for user in ["alice", "bob"] {
        hs.register_user(user, PASSWORD, false)
            .await
            .expect("registered");
    }
    hs
}

pub async fn eventually<T, Fut: Future<Output = Option<T>>>(
    what: &str,
    mut probe: impl FnMut() -> Fut,
) -> T {
    for _ in 0..600 {
        if let Some(value) = probe().await {
            return value;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("timed out waiting for {what}");
}

/// Bob (core) opens a DM with Alice; Alice (CLI) sees the invite and accepts it.
pub async fn dm_accepted_through_the_cli(
    hs: &Homeserver,
    bob: &Account,
    alice: &CliHome,
) -> String {
    let room_id = bob
        .rooms()
        .create_dm(&hs.user_id("alice"))
        .await
        .expect("DM created");
    eventually("Alice's invite", || async {
        let listed = alice.run_ok(&["rooms", "--filter", "invites"], None).await;
        listed
            .iter()
            .any(|room| room["id"] == room_id.as_str())
            .then_some(())
    })
    .await;
    alice.run_ok(&["join", &room_id], None).await;
    room_id
}

pub async fn wait_for_message(account: &Account, room_id: &str, body: &str) {
    let timeline = eventually("the room", || async {
        account.timeline(room_id).await.ok()
    })
    .await;
    let mut updates = timeline.subscribe();
    let mut items: Vec<TimelineItem> = Vec::new();
    while !items
        .iter()
        .filter_map(TimelineItem::as_event)
        .any(|event| event.content.summary() == body)
    {
        let batch = tokio::time::timeout(Duration::from_secs(60), updates.next())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {body:?}"))
            .expect("subscription open");
        for diff in batch {
            diff.apply_to(&mut items);
        }
    }
}
