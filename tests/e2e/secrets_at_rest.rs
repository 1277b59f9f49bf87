//! No secret at rest or in logs (issue 11): alice uses the real app for a whole session with
//! its log at `debug` — signs in, sets up recovery, reads and writes in an encrypted
//! conversation, exports her room keys, signs out another of her devices — then the test
//! looks for every secret of that session, in clear, in her data directory, in everything the
//! app wrote to its log and in the environment of each of its processes: the password, every
//! access and refresh token Synapse issued to her, the recovery key, what the keychain holds
//! (the store key and the saved tokens) and both message bodies. Zero hits.

#![recursion_limit = "256"]

use std::path::{Path, PathBuf};

use estafette_e2e::{AppWindow, Installation, Key, PASSWORD, Party, TauriDriver, VirtualDisplay};
use estafette_testkit::Homeserver;
use serde_json::json;

const FROM_BOB: &str = "Corps-secret-de-bob-7Q2vX";
const FROM_ALICE: &str = "Reponse-secrete-d-alice-K9wZ";
const EXPORT_PASSPHRASE: &str = "phrase-d-export-3mLp";

/// Every regular file under `dir`, however deep.
fn files_under(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut folders = vec![dir.to_owned()];
    while let Some(folder) = folders.pop() {
        for entry in std::fs::read_dir(&folder)
            .expect("readable folder")
            .flatten()
        {
            let path = entry.path();
            match entry.file_type() {
                Ok(kind) if kind.is_dir() => folders.push(path),
                Ok(kind) if kind.is_file() => files.push(path),
                _ => {}
            }
        }
    }
    files
}

/// Which of `secrets` (name, value) occur in `bytes`; binary parts cannot hide a match, as
/// the secrets are text.
fn hits<'a>(bytes: &[u8], secrets: &'a [(String, String)]) -> Vec<&'a str> {
    let text = String::from_utf8_lossy(bytes);
    secrets
        .iter()
        .filter(|(_, value)| text.contains(value.as_str()))
        .map(|(name, _)| name.as_str())
        .collect()
}

/// The environment of every process started for this installation: the app and the
/// WebKit processes it spawned, found by the data directory in their environment.
fn environments_of(installation: &Installation) -> Vec<(u32, Vec<u8>)> {
    let marker = format!(
        "ESTAFETTE_DATA_DIR={}",
        installation.data_dir.path().display()
    );
    let mut found = Vec::new();
    for entry in std::fs::read_dir("/proc").expect("/proc").flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        let Ok(environment) = std::fs::read(entry.path().join("environ")) else {
            continue;
        };
        if String::from_utf8_lossy(&environment).contains(&marker) {
            found.push((pid, environment));
        }
    }
    found
}

/// Alice's tokens as Synapse knows them: every access and refresh token it issued to her.
fn tokens_issued_to(hs: &Homeserver, user_id: &str) -> Vec<String> {
    let database = hs.data_dir().join("homeserver.db");
    let query = format!(
        "SELECT token FROM access_tokens WHERE user_id = '{user_id}'; \
         SELECT token FROM refresh_tokens WHERE user_id = '{user_id}';"
    );
    let output = std::process::Command::new("sqlite3")
        .arg(&database)
        .arg(query)
        .output()
        .expect("sqlite3 runs");
    assert!(output.status.success(), "{output:?}");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .filter(|token| !token.is_empty())
        .collect()
}

/// What the keychain holds for this installation (its store key and saved tokens), read
/// through the Secret Service as any program of the session could.
fn keychain_secrets(installation: &Installation) -> Vec<String> {
    let output = std::process::Command::new("secret-tool")
        .args(["search", "--all", "service", &installation.keychain_service])
        .output()
        .expect("secret-tool runs");
    let listing = String::from_utf8_lossy(&output.stdout).into_owned()
        + &*String::from_utf8_lossy(&output.stderr);
    let mut secrets = Vec::new();
    for line in listing.lines() {
        let Some(secret) = line.strip_prefix("secret = ") else {
            continue;
        };
        secrets.push(secret.to_owned());
        // Saved tokens are a JSON object: each string in it is a secret of its own.
        if let Ok(serde_json::Value::Object(fields)) = serde_json::from_str(secret) {
            for value in fields.values() {
                if let Some(text) = value.as_str().filter(|text| text.len() >= 16) {
                    secrets.push(text.to_owned());
                }
            }
        }
    }
    secrets
}

async fn set_up_recovery(app: &AppWindow) -> String {
    app.find("dialog", "Protect your encrypted messages").await;
    app.click(&app.find("button", "Create my recovery key").await)
        .await;
    app.find("button", "I have kept it").await;
    let key = app
        .execute(
            "return document.querySelector('output.key').innerText;",
            json!([]),
        )
        .await
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert!(
        key.split_whitespace().count() >= 12,
        "a recovery key: {key}"
    );
    app.click(&app.find("button", "I have kept it").await).await;
    let field = app.find_containing("textbox", "of the recovery key").await;
    let group = app
        .execute(
            "return document.querySelector('label[for=recovery-check]').innerText.match(/\\d+/)[0];",
            json!([]),
        )
        .await;
    let group: usize = group
        .as_str()
        .and_then(|group| group.parse().ok())
        .expect("the group asked for");
    let groups: Vec<&str> = key.split_whitespace().collect();
    app.type_into(&field, groups[group - 1]).await;
    app.click(&app.find("button", "Check").await).await;
    app.wait_for_text("Recovery is set up.").await;
    app.click(&app.find("button", "Close").await).await;
    app.wait_until_gone("dialog", "Protect your encrypted messages")
        .await;
    key
}

#[tokio::test(flavor = "multi_thread")]
async fn a_whole_session_leaves_no_secret_in_clear_on_disk_in_logs_or_environment() {
    let test_name = "a_whole_session_leaves_no_secret_in_clear_on_disk_in_logs_or_environment";
    let hs = Homeserver::start().await.expect("Synapse starts");
    hs.register_user("alice", PASSWORD, false)
        .await
        .expect("alice registered");
    let alice_id = hs.user_id("alice");
    let bob = Party::new(&hs, "bob").await;
    let dm_id = bob
        .account
        .rooms()
        .create_dm(&alice_id)
        .await
        .expect("bob opens a DM");

    let display = VirtualDisplay::start();
    let alice = Installation::new("en");
    let outside = tempfile::tempdir().expect("temporary directory");
    let log = outside.path().join("app.log");
    // Left missing: the key export must make it.
    let downloads = outside.path().join("Downloads");
    let user_folders = estafette_e2e::downloads_folder_at(outside.path(), &downloads);
    let mut environment: Vec<(String, String)> = alice
        .environment(&display)
        .into_iter()
        .filter(|(key, _)| key != "ESTAFETTE_LOG")
        .collect();
    environment.push(("ESTAFETTE_LOG".into(), "debug".into()));
    environment.push(user_folders);
    let driver = TauriDriver::start_logging_to(&environment, &log);
    let app = driver.launch(test_name).await;

    // Sign in, and set up recovery when it is offered.
    app.submit_sign_in(&hs.base_url(), "alice", PASSWORD).await;
    app.find("navigation", "Conversations").await;
    let recovery_key = set_up_recovery(&app).await;
    // Another device of hers, signed in once the app owns her identity (before, the app
    // would first ask her to confirm it is her).
    let laptop = Party::sign_in(&hs, "alice").await;

    // An encrypted conversation, both ways.
    app.click(&app.find("button", "bob").await).await;
    app.click(&app.find("button", "Accept").await).await;
    let composer = app.find("textbox", "Message to bob").await;
    bob.wait_for_member(&dm_id, &alice_id).await;
    bob.wait_for_device_of(&alice_id).await;
    bob.timeline(&dm_id)
        .await
        .send_markdown(FROM_BOB)
        .await
        .expect("bob sends");
    app.wait_for_text(FROM_BOB).await;
    app.type_into(&composer, FROM_ALICE).await;
    app.type_into(&composer, &Key::Enter.code().to_string())
        .await;
    bob.wait_for_text(&dm_id, FROM_ALICE).await;

    // Export the room keys, then sign out the laptop.
    app.click(&app.find_containing("button", "Accounts").await)
        .await;
    app.click(&app.find("button", "Settings").await).await;
    app.find("dialog", "Settings").await;
    app.click(&app.find("tab", "Security & devices").await)
        .await;
    app.type_into(&app.find("textbox", "Passphrase").await, EXPORT_PASSPHRASE)
        .await;
    app.type_into(
        &app.find("textbox", "Confirm the passphrase").await,
        EXPORT_PASSPHRASE,
    )
    .await;
    app.click(&app.find("button", "Export room keys").await)
        .await;
    app.wait_for_text("Keys saved to").await;
    let laptop_name = "alice's test client";
    app.click(&app.find("button", &format!("Sign out {laptop_name}")).await)
        .await;
    app.type_into(&app.find("textbox", "Password").await, PASSWORD)
        .await;
    app.click(&app.find("button", "Confirm sign-out").await)
        .await;
    app.wait_until_gone("button", &format!("Sign out {laptop_name}"))
        .await;
    estafette_e2e::eventually("the laptop to lose its session", || async {
        (laptop.account.current_sync_state() == estafette_core::sync::SyncState::SessionExpired)
            .then_some(())
    })
    .await;

    // Every secret of the session, named for the report.
    let mut secrets = vec![
        ("password".to_owned(), PASSWORD.to_owned()),
        ("recovery key".to_owned(), recovery_key.clone()),
        (
            "recovery key, without spaces".to_owned(),
            recovery_key.split_whitespace().collect(),
        ),
        ("export passphrase".to_owned(), EXPORT_PASSPHRASE.to_owned()),
        ("message from bob".to_owned(), FROM_BOB.to_owned()),
        ("message from alice".to_owned(), FROM_ALICE.to_owned()),
    ];
    let tokens = tokens_issued_to(&hs, &alice_id);
    assert!(!tokens.is_empty(), "Synapse issued alice tokens");
    secrets.extend(
        tokens
            .into_iter()
            .map(|token| ("a token".to_owned(), token)),
    );
    let kept = keychain_secrets(&alice);
    assert!(
        kept.len() >= 2,
        "the keychain holds the store key and the tokens"
    );
    secrets.extend(
        kept.into_iter()
            .map(|secret| ("a keychain secret".to_owned(), secret)),
    );

    // Controls, so that the scan cannot pass by looking for the wrong strings: the page shows
    // both messages, and Synapse's own database holds alice's tokens in clear.
    let page = app
        .execute("return document.body.innerText;", json!([]))
        .await;
    let shown = hits(page.as_str().unwrap_or_default().as_bytes(), &secrets);
    assert!(shown.contains(&"message from bob") && shown.contains(&"message from alice"));
    let server_database =
        std::fs::read(hs.data_dir().join("homeserver.db")).expect("Synapse's database");
    assert!(hits(&server_database, &secrets).contains(&"a token"));

    let environments = environments_of(&alice);
    assert!(!environments.is_empty(), "the app's processes are found");
    let mut found: Vec<String> = Vec::new();
    for (pid, environment) in &environments {
        for name in hits(environment, &secrets) {
            found.push(format!("{name} in the environment of process {pid}"));
        }
    }
    app.close().await;
    drop(driver);

    let files = files_under(alice.data_dir.path());
    let mut scanned_bytes = 0;
    for file in &files {
        let bytes = std::fs::read(file).expect("readable");
        scanned_bytes += bytes.len();
        for name in hits(&bytes, &secrets) {
            found.push(format!("{name} in {}", file.display()));
        }
    }
    let log_bytes = std::fs::read(&log).expect("the app's log");
    for name in hits(&log_bytes, &secrets) {
        found.push(format!("{name} in the log"));
    }
    let log_text = String::from_utf8_lossy(&log_bytes);
    assert!(
        log_text.contains("DEBUG"),
        "the log is at debug level ({} bytes)",
        log_bytes.len()
    );
    assert!(
        files_under(&downloads).len() == 1,
        "the key export is in Downloads"
    );
    eprintln!(
        "{} secrets looked for in {} files ({scanned_bytes} bytes), a {}-byte debug log and {} process environments",
        secrets.len(),
        files.len(),
        log_bytes.len(),
        environments.len()
    );
    assert!(found.is_empty(), "secrets in clear: {found:#?}");
    eprintln!(
        "proof: {{\"secrets\": {}, \"files\": {}, \"bytes\": {scanned_bytes}, \"debug_log_bytes\": {}, \"process_environments\": {}, \"hits\": 0}}",
        secrets.len(),
        files.len(),
        log_bytes.len(),
        environments.len()
    );
}
