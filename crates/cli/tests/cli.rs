//! The command-line client as a real second process, against a real Synapse and the real
//! Secret Service, talking with a core client.
#![recursion_limit = "256"]

mod common;

use common::*;
use estafette_core::{room_list::Membership, timeline::EventContent};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_signs_in_and_sends_a_message_a_core_client_decrypts() {
    let hs = start().await;
    let bob_dir = tempfile::tempdir().expect("temporary directory");
    let (_bob_manager, bob) = core_user(&hs, "bob", bob_dir.path()).await;
    let alice = CliHome::new("send");
    alice.login(&hs, "alice").await;
    let accounts = alice.run_ok(&["accounts"], None).await;
    assert_eq!(accounts.len(), 1);

    let room_id = dm_accepted_through_the_cli(&hs, &bob, &alice).await;

    let sent = alice
        .run_ok(&["send", &room_id, "Hello from the *command line*"], None)
        .await;
    assert!(
        sent.iter().filter_map(|line| line["sent"].as_str()).count() == 1
            && sent[1]["sent"]
                .as_str()
                .is_some_and(|event_id| event_id.starts_with('$'))
    );
    wait_for_message(&bob, &room_id, "Hello from the *command line*").await;
    assert!(
        bob.rooms()
            .summary(&room_id)
            .await
            .expect("known")
            .is_encrypted
    );

    // And the other way round: the CLI reads what the core client sends.
    let bob_timeline = bob.timeline(&room_id).await.expect("open");
    bob_timeline
        .send_markdown("Received, thanks")
        .await
        .expect("queued");
    let lines = alice
        .run_ok(&["tail", &room_id, "--until", "Received, thanks"], None)
        .await;
    assert!(
        lines
            .iter()
            .any(|event| event["content"]["body"] == "Received, thanks"),
        "{lines:?}"
    );

    alice.run_ok(&["logout"], None).await;
    assert!(alice.run_ok(&["accounts"], None).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_process_lists_cached_rooms_offline_then_catches_up() {
    let mut hs = start().await;
    let bob_dir = tempfile::tempdir().expect("temporary directory");
    let (_bob_manager, bob) = core_user(&hs, "bob", bob_dir.path()).await;
    let alice = CliHome::new("restore");
    alice.login(&hs, "alice").await;
    let room_id = dm_accepted_through_the_cli(&hs, &bob, &alice).await;
    eventually("Bob to see Alice joined", || async {
        bob.rooms()
            .summary(&room_id)
            .await
            .filter(|room| room.membership == Membership::Joined)
    })
    .await;
    let bob_timeline = bob.timeline(&room_id).await.expect("open");
    bob_timeline
        .send_markdown("sent while Alice's app is closed")
        .await
        .expect("queued");
    // Bob's message reaches the server before it stops.
    let event = eventually("Bob's message to be sent", || async {
        bob_timeline
            .items()
            .await
            .into_iter()
            .filter_map(|item| item.as_event().cloned())
            .find(|event| {
                event.content.summary() == "sent while Alice's app is closed"
                    && event.event_id.is_some()
            })
    })
    .await;
    assert!(event.event_id.is_some());
    hs.stop().await.expect("server stopped");

    let offline = alice.run_ok(&["rooms"], None).await;
    assert!(
        offline.iter().any(|room| room["id"] == room_id.as_str()),
        "cached room offline: {offline:?}"
    );

    hs.restart().await.expect("server back");
    let lines = alice
        .run_ok(
            &[
                "tail",
                &room_id,
                "--until",
                "sent while Alice's app is closed",
            ],
            None,
        )
        .await;
    assert!(!lines.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_queued_by_a_process_that_exited_is_sent_by_the_next_one_exactly_once() {
    let mut hs = start().await;
    let bob_dir = tempfile::tempdir().expect("temporary directory");
    let (_bob_manager, bob) = core_user(&hs, "bob", bob_dir.path()).await;
    let alice = CliHome::new("queued");
    alice.login(&hs, "alice").await;
    let room_id = dm_accepted_through_the_cli(&hs, &bob, &alice).await;
    alice
        .run_ok(&["send", &room_id, "first, while online"], None)
        .await;

    hs.stop().await.expect("server stopped");
    let mut command = alice.command_with_timeout(3, &["send", &room_id, "typed offline"]);
    let output = tokio::task::spawn_blocking(move || command.output())
        .await
        .expect("joined")
        .expect("ran");
    assert_eq!(
        output.status.code(),
        Some(3),
        "exit code 3: queued, not yet sent"
    );
    assert!(String::from_utf8_lossy(&output.stderr).contains("cli.queued"));

    hs.restart().await.expect("server back");
    // The queue is per room and in order: once this one is sent, so is the queued one.
    alice
        .run_ok(&["send", &room_id, "second, back online"], None)
        .await;
    wait_for_message(&bob, &room_id, "second, back online").await;
    let timeline = bob.timeline(&room_id).await.expect("open");
    while !timeline.paginate_backwards(50).await.expect("paginated") {}
    let messages = || async {
        timeline
            .items()
            .await
            .iter()
            .filter_map(TimelineItem::as_event)
            .filter(|event| matches!(event.content, EventContent::Text { .. }))
            .map(|event| event.content.summary())
            .collect::<Vec<String>>()
    };
    let bodies = eventually("the whole conversation", || async {
        let bodies = messages().await;
        (bodies.len() >= 3).then_some(bodies)
    })
    .await;
    assert_eq!(
        bodies,
        [
            "first, while online",
            "typed offline",
            "second, back online"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_keychain_signing_in_fails_clearly_and_writes_nothing() {
    let hs = start().await;
    let alice = CliHome::new("no-keychain");
    let mut command = alice.command(&[
        "login",
        "--homeserver",
        &hs.base_url(),
        "--user",
        "alice",
        "--password-stdin",
    ]);
    // No session bus: no Secret Service to keep the session in.
    command
        .env_remove("DBUS_SESSION_BUS_ADDRESS")
        .env(
            "DBUS_SESSION_BUS_ADDRESS",
            "unix:path=/nonexistent/estafette-test-bus",
        )
        .stdin(Stdio::piped());
    let output = tokio::task::spawn_blocking(move || {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("starts");
        if let Some(mut stdin) = child.stdin.take() {
            stdin
                .write_all(format!("{PASSWORD}\n").as_bytes())
                .expect("written");
        }
        child.wait_with_output().expect("ends")
    })
    .await
    .expect("joined");
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("secrets.keychain_unavailable"), "{stderr}");
    let written = std::fs::read_dir(alice.data_dir.path())
        .map(|entries| entries.count())
        .unwrap_or(0);
    assert_eq!(
        written, 0,
        "no session, key or store was written in plain files"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_right_after_login_lists_every_room_of_a_large_account() {
    let hs = start().await;
    let owner = hs
        .register_user("owner", PASSWORD, false)
        .await
        .expect("registered");
    let staff = hs
        .register_user("staff", PASSWORD, false)
        .await
        .expect("registered");
    let plan = estafette_testkit::seed::SeedPlan {
        rooms: 150,
        messages_per_room: 1,
        room_name_prefix: "Bureau".into(),
    };
    estafette_testkit::seed::seed_plain_rooms(&hs, &owner, &[staff], &plan)
        .await
        .expect("seeded");

    let cli = CliHome::new("large");
    let login = cli
        .run(
            &[
                "login",
                "--homeserver",
                &hs.base_url(),
                "--user",
                "staff",
                "--password-stdin",
            ],
            Some(&format!("{PASSWORD}\n")),
        )
        .await;
    assert!(
        login.status.success(),
        "login failed: {}",
        String::from_utf8_lossy(&login.stderr)
    );
    let rooms = cli.run(&["rooms"], None).await;
    assert!(
        rooms.status.success(),
        "rooms failed: {}",
        String::from_utf8_lossy(&rooms.stderr)
    );
    let listed = json_lines(&rooms.stdout);
    assert_eq!(listed.len(), 150, "every room is listed");
    let without_preview: Vec<&str> = listed
        .iter()
        .filter(|room| room["latest_message"].is_null())
        .filter_map(|room| room["name"].as_str())
        .collect();
    assert!(
        without_preview.is_empty(),
        "every room shows its latest message; {} do not: {without_preview:?}",
        without_preview.len()
    );
    for (command, output) in [("login", &login), ("rooms", &rooms)] {
        let stderr = String::from_utf8_lossy(&output.stderr);
        let errors: Vec<&str> = stderr
            .lines()
            .filter(|line| line.contains("ERROR"))
            .collect();
        assert!(
            errors.is_empty(),
            "`{command}` logs no error; it logged {}: {:?}",
            errors.len(),
            errors.iter().take(3).collect::<Vec<_>>()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_sends_a_file_and_saves_one_under_a_safe_name() {
    let hs = start().await;
    let bob_dir = tempfile::tempdir().expect("temporary directory");
    let (_bob_manager, bob) = core_user(&hs, "bob", bob_dir.path()).await;
    let alice = CliHome::new("files");
    alice.login(&hs, "alice").await;
    let room_id = dm_accepted_through_the_cli(&hs, &bob, &alice).await;
    let files = tempfile::tempdir().expect("temporary directory");

    // alice sends a PDF with a caption; bob (a core client) saves it with the same bytes.
    let pdf = b"%PDF-1.7\n1 0 obj\n<< /Type /Catalog >>\nendobj\n%%EOF\n";
    let pdf_path = files.path().join("Note de service.pdf");
    std::fs::write(&pdf_path, pdf).expect("written");
    let sent = alice
        .run_ok(
            &[
                "send-file",
                &room_id,
                pdf_path.to_str().expect("UTF-8"),
                "--caption",
                "Pour relecture",
            ],
            None,
        )
        .await;
    let event_id = sent[0]["sent"].as_str().expect("an event ID").to_owned();
    wait_for_message(&bob, &room_id, "[File] Note de service.pdf").await;
    let saved = bob
        .media()
        .download(
            &room_id,
            &event_id,
            estafette_core::media::SaveTo::Folder(files.path().join("bob")),
            |_| {},
        )
        .await;
    assert!(
        saved.is_err(),
        "the folder does not exist: nothing is saved"
    );
    std::fs::create_dir(files.path().join("bob")).expect("folder");
    let saved = bob
        .media()
        .download(
            &room_id,
            &event_id,
            estafette_core::media::SaveTo::Folder(files.path().join("bob")),
            |_| {},
        )
        .await
        .expect("saved");
    assert_eq!(std::fs::read(&saved.path).expect("read"), pdf);

    // bob sends a file whose name reads backwards and one Windows reserves; the CLI saves both
    // under names that are what they seem.
    let out = files.path().join("alice");
    std::fs::create_dir(&out).expect("folder");
    for name in ["facture\u{202E}fdp.exe", "CON.txt"] {
        let path = files.path().join(name);
        std::fs::write(&path, name.as_bytes()).expect("written");
        bob.media()
            .send_file(
                &room_id,
                estafette_core::media::OutgoingFile {
                    path,
                    caption: None,
                    keep_metadata: false,
                },
            )
            .await
            .expect("queued");
        let lines = alice
            .run_ok(
                &["tail", &room_id, "--until", &format!("[File] {name}")],
                None,
            )
            .await;
        let event = lines
            .iter()
            .find(|event| event["content"]["name"] == name)
            .unwrap_or_else(|| panic!("{name:?} in {lines:?}"));
        let event_id = event["event_id"].as_str().expect("an event ID");
        let saved = alice
            .run_ok(
                &[
                    "download",
                    &room_id,
                    event_id,
                    "--out",
                    out.to_str().expect("UTF-8"),
                ],
                None,
            )
            .await;
        let path = std::path::PathBuf::from(saved[0]["saved"].as_str().expect("a path"));
        assert_eq!(path.parent(), Some(out.as_path()));
        assert_eq!(std::fs::read(&path).expect("read"), name.as_bytes());
    }
    let mut names: Vec<_> = std::fs::read_dir(&out)
        .expect("listed")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .into_string()
                .expect("UTF-8")
        })
        .collect();
    names.sort();
    assert_eq!(names, ["_CON.txt", "facturefdp.exe"]);
}

/// `login --sso` prints the address of the server's portal page; the person signs in there in
/// a browser (played by the test, as the portal's form post), and the CLI is signed in: the
/// next command uses the session.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_cli_signs_in_through_the_portal_printing_the_address_to_open() {
    use std::io::{BufRead, BufReader};

    use estafette_testkit::{OidcProvider, PORTAL_ID, PortalBrowser};

    let portal = OidcProvider::start().await.expect("the portal");
    let hs = Homeserver::start_with_sso(&portal)
        .await
        .expect("Synapse with single sign-on");
    let agent = CliHome::new("sso");
    let mut command = agent.command(&[
        "login",
        "--sso",
        "--homeserver",
        &hs.base_url(),
        "--provider",
        PORTAL_ID,
    ]);
    let mut child = command
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("the CLI starts");
    // Read to the end, so that the CLI never writes into a closed pipe.
    let stderr = child.stderr.take().expect("its error output");
    let (address_tx, address_rx) = tokio::sync::oneshot::channel();
    let whole_stderr = tokio::task::spawn_blocking(move || {
        let mut address_tx = Some(address_tx);
        let mut text = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if line.starts_with("http://127.0.0.1:")
                && let Some(sender) = address_tx.take()
            {
                let _ = sender.send(line.clone());
            }
            text.push_str(&line);
            text.push('\n');
        }
        text
    });
    let address = address_rx
        .await
        .expect("the CLI prints the address to open");
    assert!(
        address.contains(&format!("/login/sso/redirect/{PORTAL_ID}")),
        "{address}"
    );

    PortalBrowser::new()
        .sign_in(&address, "jean.dupont")
        .await
        .expect("the portal's form and the way back");
    let output = tokio::task::spawn_blocking(move || child.wait_with_output())
        .await
        .expect("joined")
        .expect("the CLI ends");
    let stderr = whole_stderr.await.expect("joined");
    assert!(output.status.success(), "{:?}: {stderr}", output.status);
    assert!(
        stderr.contains("Open this address in your browser"),
        "{stderr}"
    );
    let lines = json_lines(&output.stdout);
    assert_eq!(lines[0]["user_id"], hs.user_id("jean.dupont"));

    let accounts = agent.run_ok(&["accounts"], None).await;
    assert_eq!(accounts[0]["user_id"], hs.user_id("jean.dupont"));
    agent.run_ok(&["rooms"], None).await;
}
