#![recursion_limit = "256"]
//! Encryption people can trust: recovery, verification, devices, key files and identity
//! changes, each against a real Synapse with two or more real clients.

mod common;

use std::sync::Arc;

use common::*;
use estafette_core::{
    Account,
    encryption::{
        DeviceTrust, EncryptionError, FlowState, IdentityWarningKind, RecoveryStatus, SasEmoji,
        VerificationId,
    },
    sync::SyncState,
    timeline::{EventContent, RoomTimeline, TimelineItem},
};
use zeroize::Zeroizing;

fn password() -> Option<Zeroizing<String>> {
    Some(Zeroizing::new(PASSWORD.to_owned()))
}

fn decrypted_with_prefix(items: &[TimelineItem], prefix: &str) -> usize {
    bodies(items)
        .iter()
        .filter(|body| body.starts_with(prefix))
        .count()
}

fn distinct_with_prefix(items: &[TimelineItem], prefix: &str) -> usize {
    let mut found: Vec<String> = bodies(items)
        .into_iter()
        .filter(|body| body.starts_with(prefix))
        .collect();
    found.sort();
    found.dedup();
    found.len()
}

fn counts(items: &[TimelineItem]) -> String {
    let numbered: Vec<String> = bodies(items)
        .into_iter()
        .filter(|body| body.starts_with("From "))
        .collect();
    let mut unique = numbered.clone();
    unique.sort();
    unique.dedup();
    format!(
        "{} numbered ({} distinct), {} unable to decrypt; first: {:?}",
        numbered.len(),
        unique.len(),
        unable_to_decrypt(items),
        numbered.first()
    )
}

fn unable_to_decrypt(items: &[TimelineItem]) -> usize {
    items
        .iter()
        .filter_map(TimelineItem::as_event)
        .filter(|event| matches!(event.content, EventContent::UnableToDecrypt { .. }))
        .count()
}

/// Room IDs of the sessions in a key export, as `tests/support/read_key_export.py` (the spec's
/// format, with Python's standard library and `cryptography`) reads it.
fn read_key_export_independently(file: &std::path::Path, passphrase: &str) -> Vec<String> {
    let python = estafette_testkit::synapse_venv_dir()
        .expect("the Synapse virtualenv")
        .join("bin/python");
    let script =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/read_key_export.py");
    let output = std::process::Command::new(python)
        .arg(script)
        .arg(file)
        .arg(passphrase)
        .output()
        .expect("python runs");
    assert!(
        output.status.success(),
        "the independent reader refused the export: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(str::to_owned)
        .collect()
}

async fn send_numbered(timeline: &RoomTimeline, prefix: &str, count: usize) {
    for number in 1..=count {
        timeline
            .send_markdown(&format!("{prefix} {number}"))
            .await
            .expect("queued");
    }
}

async fn paginate_to_start(timeline: &RoomTimeline) {
    for _ in 0..100 {
        if timeline.paginate_backwards(50).await.expect("paginated") {
            return;
        }
    }
    panic!("the start of the room was not reached");
}

async fn security(
    account: &Account,
    what: &str,
    wanted: impl Fn(DeviceTrust, RecoveryStatus) -> bool,
) {
    eventually(what, || async {
        let status = account.encryption().status().await;
        wanted(status.device, status.recovery).then_some(())
    })
    .await;
}

/// Waits until every room key of `account` is in the key backup.
async fn backup_complete(account: &Account) {
    eventually("the key backup to be complete", || async {
        account
            .encryption()
            .sign_out_risk()
            .await
            .ok()
            .filter(|risk| risk.backup_complete)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_device_restores_the_whole_encrypted_history_with_the_recovery_key() {
    let hs = start_server().await;
    let (_first_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    security(
        &alice,
        "alice's first device to own her identity",
        |device, _| device == DeviceTrust::Verified,
    )
    .await;
    let recovery_key = alice
        .encryption()
        .set_up_recovery(None)
        .await
        .expect("recovery set up");
    assert_eq!(
        recovery_key.expose().split(' ').count(),
        12,
        "Element's recovery key: twelve groups of four characters"
    );
    security(&alice, "recovery to be enabled", |_, recovery| {
        recovery == RecoveryStatus::Enabled
    })
    .await;

    let room_id = encrypted_dm(&alice, &bob).await;
    bob.devices()
        .of_user(alice.user_id())
        .await
        .expect("alice's devices");
    let (alice_timeline, mut alice_view) = open_timeline(&alice, &room_id).await;
    let (bob_timeline, _bob_view) = open_timeline(&bob, &room_id).await;
    // 200 messages: past the 100-message session rotation, from both sides.
    send_numbered(&alice_timeline, "From alice", 100).await;
    send_numbered(&bob_timeline, "From bob", 100).await;
    alice_view
        .until("alice to receive bob's last message", |items| {
            decrypted_with_prefix(items, "From bob 100") == 1
        })
        .await;
    // A burst arrives as a gap in the live timeline: the rest is back-paginated.
    paginate_to_start(&alice_timeline).await;
    alice_view
        .until_or_describe(
            "alice to read all 200 messages",
            // Distinct: the sender's own timeline may briefly hold a local echo twice.
            |items| distinct_with_prefix(items, "From ") == 200,
            counts,
        )
        .await;
    backup_complete(&alice).await;

    let second_device = Device::new();
    let alice_again = second_device.sign_in(&hs, "alice").await;
    security(
        &alice_again,
        "the new device to know it is unverified",
        |device, _| device == DeviceTrust::Unverified,
    )
    .await;
    let (timeline, mut view) = open_timeline(&alice_again, &room_id).await;
    paginate_to_start(&timeline).await;
    view.until("the history, unreadable without the key", |items| {
        unable_to_decrypt(items) == 200
    })
    .await;
    assert_eq!(decrypted_with_prefix(&view.items, "From "), 0);

    let wrong = alice_again
        .encryption()
        .recover("EsTc 1234 5678 9abc defg hijk lmno pqrs tuvw xyzA BCDE FGHJ")
        .await;
    assert!(
        matches!(wrong, Err(EncryptionError::WrongRecoveryKey)),
        "a wrong key is refused as such: {wrong:?}"
    );
    alice_again
        .encryption()
        .recover(recovery_key.expose())
        .await
        .expect("the recovery key is accepted");
    view.until("every message to decrypt in place", |items| {
        decrypted_with_prefix(items, "From ") == 200 && unable_to_decrypt(items) == 0
    })
    .await;
    let mut expected: Vec<String> = Vec::new();
    for body in bodies(&alice_view.items) {
        if body.starts_with("From ") && !expected.contains(&body) {
            expected.push(body);
        }
    }
    let received: Vec<String> = bodies(&view.items)
        .into_iter()
        .filter(|body| body.starts_with("From "))
        .collect();
    // The same messages, each once (the sender's own timeline orders its local echoes by
    // sending time, so only the set is compared; server order is the pagination test's).
    assert_eq!(received.len(), 200, "no duplicate");
    let mut received_sorted = received.clone();
    received_sorted.sort();
    expected.sort();
    assert_eq!(received_sorted, expected, "none missing");
    security(
        &alice_again,
        "the new device to be verified and complete",
        |device, recovery| device == DeviceTrust::Verified && recovery == RecoveryStatus::Enabled,
    )
    .await;
}

/// Both sides of a flow, watched as two front ends would.
async fn until_state(
    subscription: &mut estafette_core::Subscription<FlowState>,
    what: &str,
    wanted: impl Fn(&FlowState) -> bool,
) -> FlowState {
    let started = std::time::Instant::now();
    loop {
        let state = tokio::time::timeout(PATIENCE, subscription.next())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .unwrap_or_else(|| panic!("the flow ended before {what}"));
        if wanted(&state) {
            eprintln!("{what}: {:.1} s", started.elapsed().as_secs_f64());
            return state;
        }
        assert!(
            !matches!(state, FlowState::Cancelled { .. }),
            "cancelled while waiting for {what}"
        );
    }
}

fn emojis_of(state: FlowState) -> Vec<SasEmoji> {
    match state {
        FlowState::CompareEmoji { emojis } => emojis,
        other => panic!("not comparing emoji: {other:?}"),
    }
}

/// `asker` has requested `flow`; `answerer` receives the prompt, accepts, and both confirm
/// the same seven emoji.
async fn verify_by_emoji(asker: &Account, answerer: &Account, flow: &VerificationId) {
    let mut prompts = answerer.verification().incoming();
    let mut asker_side = asker.verification().watch(flow).await.expect("watched");
    let prompt = tokio::time::timeout(PATIENCE, async {
        loop {
            let prompt = prompts.next().await.expect("prompts open");
            if prompt.id.flow_id == flow.flow_id {
                return prompt;
            }
        }
    })
    .await
    .expect("the request reaches the other side");
    assert_eq!(prompt.id.user_id, asker.user_id());
    answerer
        .verification()
        .accept(&prompt.id)
        .await
        .expect("accepted");
    let mut answerer_side = answerer
        .verification()
        .watch(&prompt.id)
        .await
        .expect("watched");
    let is_comparing = |state: &FlowState| matches!(state, FlowState::CompareEmoji { .. });
    let asker_emojis =
        emojis_of(until_state(&mut asker_side, "the asker's emoji", is_comparing).await);
    let answerer_emojis =
        emojis_of(until_state(&mut answerer_side, "the answerer's emoji", is_comparing).await);
    assert_eq!(asker_emojis.len(), 7);
    assert_eq!(
        asker_emojis, answerer_emojis,
        "both screens show the same emoji"
    );

    asker
        .verification()
        .confirm(flow)
        .await
        .expect("asker confirms");
    answerer
        .verification()
        .confirm(&prompt.id)
        .await
        .expect("answerer confirms");
    let is_done = |state: &FlowState| matches!(state, FlowState::Done);
    until_state(&mut asker_side, "the asker to be done", is_done).await;
    until_state(&mut answerer_side, "the answerer to be done", is_done).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_device_is_verified_by_emoji_from_the_first_one() {
    let hs = start_server().await;
    let (_first_device, alice) = new_user(&hs, "alice").await;
    security(
        &alice,
        "the first device to own the identity",
        |device, _| device == DeviceTrust::Verified,
    )
    .await;
    let _recovery_key = alice
        .encryption()
        .set_up_recovery(None)
        .await
        .expect("recovery set up");

    let second_device = Device::new();
    let alice_again = second_device.sign_in(&hs, "alice").await;
    security(
        &alice_again,
        "the new device to be unverified",
        |device, _| device == DeviceTrust::Unverified,
    )
    .await;
    let flow = alice_again
        .verification()
        .verify_this_device()
        .await
        .expect("verification requested")
        .id;
    assert_eq!(flow.user_id, alice.user_id());
    verify_by_emoji(&alice_again, &alice, &flow).await;

    security(
        &alice_again,
        "the new device to be verified",
        |device, _| device == DeviceTrust::Verified,
    )
    .await;
    // The first device learns of the new one's signature from the server.
    eventually(
        "the first device to list the new one as verified",
        || async {
            alice.devices().own().await.ok().filter(|devices| {
                devices.iter().any(|device| {
                    device.device_id == alice_again.info().device_id && device.is_verified
                })
            })
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_people_verify_each_other_by_emoji_in_their_conversation() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    for account in [&alice, &bob] {
        security(account, "an identity of one's own", |device, _| {
            device == DeviceTrust::Verified
        })
        .await;
    }
    encrypted_dm(&alice, &bob).await;
    assert!(
        !alice
            .encryption()
            .is_user_verified(bob.user_id())
            .await
            .expect("known")
    );

    let flow = alice
        .verification()
        .verify_user(bob.user_id())
        .await
        .expect("verification requested")
        .id;
    assert_eq!(flow.user_id, bob.user_id());
    verify_by_emoji(&alice, &bob, &flow).await;

    eventually("alice to trust bob", || async {
        alice
            .encryption()
            .is_user_verified(bob.user_id())
            .await
            .ok()
            .filter(|verified| *verified)
    })
    .await;
    eventually("bob to trust alice too", || async {
        bob.encryption()
            .is_user_verified(alice.user_id())
            .await
            .ok()
            .filter(|verified| *verified)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_key_export_imported_on_a_fresh_device_decrypts_history() {
    let hs = start_server().await;
    let (_first_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let room_id = encrypted_dm(&alice, &bob).await;
    bob.devices()
        .of_user(alice.user_id())
        .await
        .expect("alice's devices");
    let (_alice_timeline, mut alice_view) = open_timeline(&alice, &room_id).await;
    let (bob_timeline, _bob_view) = open_timeline(&bob, &room_id).await;
    send_numbered(&bob_timeline, "Secret", 5).await;
    alice_view
        .until("alice to read bob's messages", |items| {
            decrypted_with_prefix(items, "Secret ") == 5
        })
        .await;

    let folder = tempfile::tempdir().expect("folder");
    let file = folder.path().join("element-keys.txt");
    let passphrase = Zeroizing::new("une phrase de passe assez longue".to_owned());
    alice
        .encryption()
        .export_room_keys(&file, &passphrase)
        .await
        .expect("exported");
    let contents = std::fs::read_to_string(&file).expect("readable");
    assert!(contents.starts_with("-----BEGIN MEGOLM SESSION DATA-----"));
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file)
            .expect("metadata")
            .permissions()
            .mode();
        assert_eq!(
            mode & 0o777,
            0o600,
            "the export is readable by its owner only"
        );
        // A link planted at the path is not followed, an existing file not written over.
        let victim = folder.path().join("victim");
        std::fs::write(&victim, "mine").expect("victim");
        let trap = folder.path().join("trap.txt");
        std::os::unix::fs::symlink(&victim, &trap).expect("link");
        for refused in [&trap, &file] {
            assert!(
                alice
                    .encryption()
                    .export_room_keys(refused, &passphrase)
                    .await
                    .is_err()
            );
        }
        assert_eq!(std::fs::read_to_string(&victim).expect("victim"), "mine");
        assert_eq!(std::fs::read_to_string(&file).expect("export"), contents);
    }
    // Read back by an implementation of the spec's format written without matrix-sdk.
    let rooms_in_file = read_key_export_independently(&file, &passphrase);
    assert!(
        !rooms_in_file.is_empty() && rooms_in_file.iter().all(|room| room == &room_id),
        "the export holds this room's sessions: {rooms_in_file:?}"
    );

    let second_device = Device::new();
    let alice_again = second_device.sign_in(&hs, "alice").await;
    let (timeline, mut view) = open_timeline(&alice_again, &room_id).await;
    paginate_to_start(&timeline).await;
    view.until("bob's messages, unreadable", |items| {
        unable_to_decrypt(items) == 5
    })
    .await;

    let wrong = alice_again
        .encryption()
        .import_room_keys_text(&contents, &Zeroizing::new("pas la bonne".to_owned()))
        .await;
    assert!(
        matches!(wrong, Err(EncryptionError::WrongPassphraseOrFile)),
        "a wrong passphrase is refused as such: {wrong:?}"
    );
    let summary = alice_again
        .encryption()
        .import_room_keys_text(&contents, &passphrase)
        .await
        .expect("imported");
    assert!(summary.imported >= 1 && summary.imported == summary.total);
    view.until("bob's messages to decrypt in place", |items| {
        decrypted_with_prefix(items, "Secret ") == 5 && unable_to_decrypt(items) == 0
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_device_is_renamed_then_signed_out_with_the_password() {
    let hs = start_server().await;
    let (_first_device, alice) = new_user(&hs, "alice").await;
    let second_device = Device::new();
    let alice_again: Arc<Account> = second_device.sign_in(&hs, "alice").await;
    let other_id = alice_again.info().device_id.clone();

    // Registering signed in a device too: the test kit's.
    let devices = alice.devices().own().await.expect("devices");
    let count = devices.len();
    assert!(count >= 2);
    assert!(devices[0].is_current, "this device first");
    assert_eq!(devices[0].device_id, alice.info().device_id);
    let other = |devices: &[estafette_core::devices::OwnDevice]| {
        devices
            .iter()
            .find(|device| device.device_id == other_id)
            .cloned()
            .expect("the other device is listed")
    };
    assert!(other(&devices).last_seen_ms.is_some());
    // A core client publishes its keys just after signing in.
    eventually("the other device's encryption keys", || async {
        let devices = alice.devices().own().await.ok()?;
        other(&devices).has_encryption.then_some(())
    })
    .await;

    alice
        .devices()
        .rename(&other_id, "Portable du bureau")
        .await
        .expect("renamed");
    let devices = alice.devices().own().await.expect("devices");
    assert_eq!(
        other(&devices).display_name.as_deref(),
        Some("Portable du bureau")
    );

    let others = [other_id.clone()];
    let without = alice.devices().sign_out(&others, None).await;
    assert!(
        matches!(without, Err(EncryptionError::PasswordRequired)),
        "{without:?}"
    );
    let wrong = alice
        .devices()
        .sign_out(&others, Some(Zeroizing::new("wrong".to_owned())))
        .await;
    assert!(
        matches!(wrong, Err(EncryptionError::WrongPassword)),
        "{wrong:?}"
    );
    alice
        .devices()
        .sign_out(&others, password())
        .await
        .expect("signed out");

    let devices = alice.devices().own().await.expect("devices");
    assert_eq!(devices.len(), count - 1);
    assert!(devices.iter().all(|device| device.device_id != other_id));
    eventually("the signed-out device to stop syncing", || async {
        (alice_again.current_sync_state() == SyncState::SessionExpired).then_some(())
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_identity_reset_keeps_the_account_usable_and_warns_the_other_party() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    security(&alice, "alice's identity", |device, _| {
        device == DeviceTrust::Verified
    })
    .await;
    let old_key = alice
        .encryption()
        .set_up_recovery(None)
        .await
        .expect("recovery set up");
    let room_id = encrypted_dm(&alice, &bob).await;
    bob.devices()
        .of_user(alice.user_id())
        .await
        .expect("alice's devices");
    let (alice_timeline, _alice_view) = open_timeline(&alice, &room_id).await;
    let (_bob_timeline, mut bob_view) = open_timeline(&bob, &room_id).await;
    alice_timeline.send_markdown("Avant").await.expect("queued");
    bob_view
        .until("bob to read alice", |items| {
            decrypted_with_prefix(items, "Avant") == 1
        })
        .await;
    let mut warnings = bob
        .encryption()
        .watch_identity_warnings(&room_id)
        .await
        .expect("watched");

    let without = alice.encryption().reset_identity(None).await;
    assert!(
        matches!(without, Err(EncryptionError::PasswordRequired)),
        "{without:?}"
    );
    let new_key = alice
        .encryption()
        .reset_identity(password())
        .await
        .expect("reset");
    assert_ne!(new_key.expose(), old_key.expose());
    security(
        &alice,
        "alice's device under the new identity",
        |device, recovery| device == DeviceTrust::Verified && recovery == RecoveryStatus::Enabled,
    )
    .await;

    bob.devices()
        .of_user(alice.user_id())
        .await
        .expect("alice's new identity");
    let seen = tokio::time::timeout(PATIENCE, async {
        loop {
            let list = warnings.next().await.expect("open");
            if let Some(warning) = list.into_iter().find(|w| w.user_id == alice.user_id()) {
                return warning;
            }
        }
    })
    .await
    .expect("bob is warned of alice's new identity");
    assert_eq!(seen.kind, IdentityWarningKind::IdentityReset);

    alice_timeline.send_markdown("Après").await.expect("queued");
    bob_view
        .until("bob to read alice after her reset", |items| {
            decrypted_with_prefix(items, "Après") == 1
        })
        .await;
    bob.encryption()
        .acknowledge_identity_change(alice.user_id())
        .await
        .expect("acknowledged");
    tokio::time::timeout(PATIENCE, async {
        while !warnings.next().await.expect("open").is_empty() {}
    })
    .await
    .expect("the warning goes away once acknowledged");
}
