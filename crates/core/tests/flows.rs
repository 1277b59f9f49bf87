#![recursion_limit = "256"]
//! The core's user stories, each against its own real Synapse and the real Secret Service.

mod common;

use std::time::Duration;

use common::*;
use estafette_core::{
    Error, ErrorCode, ListDiff, SignIn,
    auth::AuthError,
    room_list::{RoomFilter, RoomListQuery},
    rooms::NewRoom,
    secrets::AccountKeychain,
    sync::SyncState,
    timeline::{SendState, TimelineItem},
};
use estafette_testkit::seed::{SeedPlan, seed_plain_rooms};
use zeroize::Zeroizing;

fn count(items: &[TimelineItem], body: &str) -> usize {
    bodies(items)
        .iter()
        .filter(|text| text.as_str() == body)
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_is_found_from_her_matrix_id_through_well_known() {
    let hs = start_server().await;
    hs.register_user("alice", PASSWORD, false)
        .await
        .expect("registered");
    let device = Device::new();

    let info = device
        .manager
        .probe_server(None, &hs.user_id("alice"))
        .await
        .expect("probed");
    assert_eq!(info.homeserver_url.trim_end_matches('/'), hs.base_url());
    assert!(info.supports_password);
    assert!(info.supports_sliding_sync);

    let account = device
        .manager
        .sign_in(SignIn {
            homeserver: None,
            username: hs.user_id("alice"),
            password: Zeroizing::new(PASSWORD.to_owned()),
        })
        .await
        .expect("signed in with only a Matrix ID");
    assert_eq!(account.user_id(), hs.user_id("alice"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wrong_credentials_and_unreachable_servers_get_their_own_errors() {
    let hs = start_server().await;
    hs.register_user("alice", PASSWORD, false)
        .await
        .expect("registered");
    let device = Device::new();
    let attempt = |homeserver: String, password: &str| SignIn {
        homeserver: Some(homeserver),
        username: "alice".to_owned(),
        password: Zeroizing::new(password.to_owned()),
    };

    let error = device
        .manager
        .sign_in(attempt(hs.base_url(), "wrong"))
        .await
        .expect_err("refused");
    assert!(
        matches!(error, Error::Auth(AuthError::WrongCredentials)),
        "{error:?}"
    );
    assert_eq!(error.code(), "auth.wrong_credentials");

    // Port 9 (discard) has nothing listening on loopback.
    let error = device
        .manager
        .sign_in(attempt("http://127.0.0.1:9".to_owned(), PASSWORD))
        .await
        .expect_err("unreachable");
    assert_eq!(error.code(), "auth.server_unreachable", "{error:?}");

    // `.invalid` never resolves (RFC 6761).
    let error = device
        .manager
        .probe_server(None, "@alice:no-such-host.invalid")
        .await
        .expect_err("unknown");
    assert_eq!(error.code(), "auth.unknown_server", "{error:?}");

    // A web server that is not a Matrix server answers 404 to everything.
    let web_server = std::net::TcpListener::bind(("127.0.0.1", 0)).expect("bound");
    let web_address = format!("http://{}", web_server.local_addr().expect("address"));
    std::thread::spawn(move || {
        for stream in web_server.incoming().take(8) {
            let Ok(mut stream) = stream else { continue };
            let mut request = [0u8; 4096];
            let _ = std::io::Read::read(&mut stream, &mut request);
            let _ = std::io::Write::write_all(
                &mut stream,
                b"HTTP/1.1 404 Not Found\r\ncontent-type: text/html\r\ncontent-length: 9\r\nconnection: close\r\n\r\nnot found",
            );
        }
    });
    let error = device
        .manager
        .sign_in(attempt(web_address, PASSWORD))
        .await
        .expect_err("not Matrix");
    assert_eq!(error.code(), "auth.not_a_matrix_server", "{error:?}");

    // A failed sign-in leaves nothing behind.
    assert!(
        device
            .manager
            .saved_accounts()
            .await
            .expect("index")
            .is_empty()
    );
    let accounts_dir = device.data_dir.path().join("accounts");
    let leftovers = std::fs::read_dir(&accounts_dir)
        .map(|entries| entries.count())
        .unwrap_or(0);
    assert_eq!(
        leftovers, 0,
        "no account directory is left after failed sign-ins"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_and_bob_read_each_others_encrypted_messages() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let room_id = encrypted_dm(&alice, &bob).await;
    assert!(
        alice
            .rooms()
            .summary(&room_id)
            .await
            .expect("known")
            .is_encrypted
    );

    let mut people = room_list(
        &bob,
        RoomListQuery {
            filter: RoomFilter::People,
            search: None,
        },
    )
    .await;
    people
        .until("the DM among people", |rooms| {
            rooms.iter().any(|room| room.id == room_id)
        })
        .await;
    assert!(people.items.iter().all(|room| room.is_direct));

    let (alice_timeline, mut alice_view) = open_timeline(&alice, &room_id).await;
    let (bob_timeline, mut bob_view) = open_timeline(&bob, &room_id).await;

    alice_timeline
        .send_markdown("Bonjour **Bob**")
        .await
        .expect("queued");
    bob_view
        .until("Bob to read Alice's message", |items| {
            count(items, "Bonjour **Bob**") == 1
        })
        .await;
    let received = bob_view
        .items
        .iter()
        .filter_map(TimelineItem::as_event)
        .find(|event| event.content.summary() == "Bonjour **Bob**")
        .expect("present");
    assert_eq!(received.sender.user_id, alice.user_id());
    let estafette_core::timeline::EventContent::Text { html, .. } = &received.content else {
        panic!("a text message, decrypted: {:?}", received.content);
    };
    assert_eq!(html.as_deref(), Some("Bonjour <strong>Bob</strong>"));

    bob_timeline
        .send_markdown("Salut Alice")
        .await
        .expect("queued");
    alice_view
        .until("Alice to read Bob's reply", |items| {
            count(items, "Salut Alice") == 1
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restarted_client_shows_its_rooms_offline_then_catches_up() {
    let mut hs = start_server().await;
    let (alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let room_id = encrypted_dm(&bob, &alice).await;
    let (alice_timeline, mut alice_view) = open_timeline(&alice, &room_id).await;
    let (bob_timeline, mut bob_view) = open_timeline(&bob, &room_id).await;
    alice_timeline
        .send_markdown("before the restart")
        .await
        .expect("queued");
    bob_view
        .until("Bob to get the first message", |items| {
            count(items, "before the restart") == 1
        })
        .await;
    alice_view
        .until("Alice's message to be sent", |items| {
            items
                .iter()
                .filter_map(TimelineItem::as_event)
                .any(|event| {
                    event.content.summary() == "before the restart"
                        && event
                            .send_state
                            .as_ref()
                            .is_none_or(|state| *state == SendState::Sent)
                })
        })
        .await;

    // Alice's app quits; Bob writes meanwhile; then the server goes down.
    alice_device.manager.shut_down().await;
    drop((alice_view, alice_timeline, alice));
    bob_timeline
        .send_markdown("while you were away")
        .await
        .expect("queued");
    bob_view
        .until("Bob's message to be sent", |items| {
            items
                .iter()
                .filter_map(TimelineItem::as_event)
                .any(|event| {
                    event.content.summary() == "while you were away"
                        && event.send_state == Some(SendState::Sent)
                })
        })
        .await;
    hs.stop().await.expect("server stopped");

    let manager = alice_device.reopen();
    let restored = manager.restore_all().await.expect("index read");
    assert_eq!(restored.len(), 1);
    let alice = restored
        .into_iter()
        .next()
        .and_then(|(_, account)| account.ok())
        .expect("restored");

    let mut rooms = room_list(&alice, RoomListQuery::default()).await;
    rooms
        .until("the cached room to be listed offline", |rooms| {
            rooms.iter().any(|room| room.id == room_id)
        })
        .await;
    let (_timeline, mut view) = open_timeline(&alice, &room_id).await;
    view.until("the cached message offline", |items| {
        count(items, "before the restart") == 1
    })
    .await;
    let mut states = alice.sync_state();
    let deadline = tokio::time::Instant::now() + PATIENCE;
    loop {
        let state = tokio::time::timeout_at(deadline, states.next())
            .await
            .expect("offline in time");
        if state == Some(SyncState::Offline) {
            break;
        }
    }

    hs.restart().await.expect("server back");
    view.until("the message sent meanwhile", |items| {
        count(items, "while you were away") == 1
    })
    .await;

    // After a sign-in, messages both ways, a restart and a catch-up, everything the core and
    // the SDK wrote is the user's alone.
    #[cfg(unix)]
    assert_private(alice_device.data_dir.path());
}

/// Every folder under `root` (itself included) is `0700` and every file `0600`.
#[cfg(unix)]
fn assert_private(root: &std::path::Path) {
    use std::os::unix::fs::PermissionsExt;
    let mut pending = vec![root.to_path_buf()];
    let mut files = 0;
    while let Some(path) = pending.pop() {
        let metadata = std::fs::symlink_metadata(&path).expect("metadata");
        let mode = metadata.permissions().mode() & 0o777;
        if metadata.is_dir() {
            assert_eq!(mode, 0o700, "{} is a private folder", path.display());
            pending.extend(
                std::fs::read_dir(&path)
                    .expect("listed")
                    .map(|entry| entry.expect("entry").path()),
            );
        } else {
            files += 1;
            assert_eq!(mode, 0o600, "{} is a private file", path.display());
        }
    }
    assert!(
        files >= 4,
        "the index and the stores were looked at ({files} files)"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_message_typed_while_the_server_is_down_arrives_exactly_once() {
    let mut hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let room_id = encrypted_dm(&alice, &bob).await;
    let (alice_timeline, mut alice_view) = open_timeline(&alice, &room_id).await;
    let (_bob_timeline, mut bob_view) = open_timeline(&bob, &room_id).await;
    // Keys are exchanged once while the server is up, so the offline message only waits on
    // the network.
    alice_timeline.send_markdown("hello").await.expect("queued");
    bob_view
        .until("the first message", |items| count(items, "hello") == 1)
        .await;

    hs.stop().await.expect("server stopped");
    alice_timeline
        .send_markdown("typed offline")
        .await
        .expect("queued while offline");
    alice_view
        .until("a local echo", |items| {
            items
                .iter()
                .filter_map(TimelineItem::as_event)
                .any(|event| {
                    event.content.summary() == "typed offline"
                        && matches!(
                            event.send_state,
                            Some(SendState::Sending { .. })
                                | Some(SendState::Failed {
                                    recoverable: true,
                                    ..
                                })
                        )
                })
        })
        .await;

    hs.restart().await.expect("server back");
    alice_view
        .until("the message to be sent", |items| {
            items
                .iter()
                .filter_map(TimelineItem::as_event)
                .any(|event| {
                    event.content.summary() == "typed offline"
                        && event.send_state == Some(SendState::Sent)
                })
        })
        .await;
    bob_view
        .until("Bob to receive it", |items| {
            count(items, "typed offline") >= 1
        })
        .await;
    // Give a duplicate every chance to show up before checking there is none.
    tokio::time::sleep(Duration::from_secs(3)).await;
    while let Some(batch) = bob_view.subscription.try_next() {
        for diff in batch {
            assert!(diff.apply_to(&mut bob_view.items));
        }
    }
    assert_eq!(count(&bob_view.items, "typed offline"), 1);
    assert_eq!(count(&alice_view.items, "typed offline"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn signing_out_leaves_no_data_directory_and_no_keychain_entry() {
    let hs = start_server().await;
    let (device, alice) = new_user(&hs, "alice").await;
    let id = alice.id().clone();
    let account_dir = device.data_dir.path().join("accounts").join(&id.0);
    let keychain = AccountKeychain::new(&device.manager.config().keychain_service, &id.0);
    assert!(account_dir.is_dir());
    assert!(keychain.has_any_entry().expect("keychain readable"));
    drop(alice);

    device.manager.sign_out(&id).await.expect("signed out");

    assert!(
        !account_dir.exists(),
        "the account's data directory is gone"
    );
    assert!(
        !keychain.has_any_entry().expect("keychain readable"),
        "no keychain entry is left"
    );
    assert!(
        device
            .manager
            .saved_accounts()
            .await
            .expect("index")
            .is_empty()
    );
    assert!(
        device
            .reopen()
            .restore_all()
            .await
            .expect("index")
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_message_moves_its_room_to_the_top_through_a_diff() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let mut room_ids = Vec::new();
    for name in ["Budget", "Crisis cell", "Drafting"] {
        let room_id = room_with_invite(&bob, name, &alice).await;
        eventually("the invite", || async {
            alice.rooms().summary(&room_id).await
        })
        .await;
        alice.rooms().accept_invite(&room_id).await.expect("joined");
        let (timeline, mut view) = open_timeline(&alice, &room_id).await;
        timeline
            .send_markdown(&format!("first words in {name}"))
            .await
            .expect("queued");
        view.until("the message to be sent", |items| {
            items
                .iter()
                .filter_map(TimelineItem::as_event)
                .any(|event| event.send_state == Some(SendState::Sent))
        })
        .await;
        room_ids.push(room_id);
    }

    let mut rooms = room_list(&alice, RoomListQuery::default()).await;
    let newest_first: Vec<String> = room_ids.iter().rev().cloned().collect();
    rooms
        .until("the three rooms, newest first", |rooms| {
            rooms.iter().map(|room| room.id.clone()).collect::<Vec<_>>() == newest_first
        })
        .await;
    let batches_before = rooms.batches.len();

    let (bob_timeline, _) = open_timeline(&bob, &room_ids[0]).await;
    bob_timeline
        .send_markdown("Budget news")
        .await
        .expect("queued");
    rooms
        .until("Budget to be on top", |rooms| {
            rooms.first().is_some_and(|room| room.id == room_ids[0])
        })
        .await;

    let changes = &rooms.batches[batches_before..];
    assert!(
        changes
            .iter()
            .flatten()
            .all(|diff| !matches!(diff, ListDiff::Reset { .. } | ListDiff::Clear)),
        "the move came as diffs, not as a new list"
    );
    let top = &rooms.items[0];
    assert_eq!(top.name, "Budget");
    let latest = top.latest_message.as_ref().expect("a preview");
    assert_eq!(latest.content.summary(), "Budget news");
    assert_eq!(latest.sender_id, bob.user_id());
    assert!(top.unread_messages >= 1);

    // Filters: the people filter shows no group room, a name search finds one room.
    let mut groups = room_list(
        &alice,
        RoomListQuery {
            filter: RoomFilter::Rooms,
            search: None,
        },
    )
    .await;
    groups
        .until("the three group rooms", |rooms| rooms.len() == 3)
        .await;
    let mut people = room_list(
        &alice,
        RoomListQuery {
            filter: RoomFilter::People,
            search: None,
        },
    )
    .await;
    people.next_batch().await;
    assert!(
        people.items.is_empty(),
        "no direct conversation: {:?}",
        room_names(&people.items)
    );
    let mut search = room_list(
        &alice,
        RoomListQuery {
            filter: RoomFilter::All,
            search: Some("crisis".into()),
        },
    )
    .await;
    search
        .until("the search result", |rooms| {
            room_names(rooms) == ["Crisis cell"]
        })
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_hundred_messages_back_paginate_in_order_without_gap_or_duplicate() {
    let hs = start_server().await;
    let bob = hs
        .register_user("bob", PASSWORD, false)
        .await
        .expect("registered");
    let alice_elsewhere = hs
        .register_user("alice", PASSWORD, false)
        .await
        .expect("registered");
    // Written straight through the API (fast); Alice then reads it on a new device.
    let plan = SeedPlan {
        rooms: 1,
        messages_per_room: 300,
        room_name_prefix: "History".into(),
    };
    let room_id = seed_plain_rooms(&hs, &bob, &[alice_elsewhere], &plan)
        .await
        .expect("seeded")
        .remove(0);
    let expected: Vec<String> = (1..=300)
        .map(|number| format!("History 1, message {number}"))
        .collect();

    let device = Device::new();
    let alice = device.sign_in(&hs, "alice").await;
    let (alice_timeline, mut alice_view) = open_timeline(&alice, &room_id).await;
    let mut reached_start = false;
    for _ in 0..100 {
        if alice_timeline
            .paginate_backwards(50)
            .await
            .expect("paginated")
        {
            reached_start = true;
            break;
        }
    }
    assert!(reached_start, "the start of the room is reached");
    alice_view
        .until("the whole history", |items| {
            shows_room_start(items)
                && bodies(items)
                    .iter()
                    .filter(|body| body.starts_with("History 1, message"))
                    .count()
                    >= 300
        })
        .await;
    let received: Vec<String> = bodies(&alice_view.items)
        .into_iter()
        .filter(|body| body.starts_with("History 1, message"))
        .collect();
    assert_eq!(received, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_accounts_in_one_process_each_see_only_their_own_rooms() {
    let hs = start_server().await;
    for user in ["alice", "carol"] {
        hs.register_user(user, PASSWORD, false)
            .await
            .expect("registered");
    }
    let device = Device::new();
    let alice = device.sign_in(&hs, "alice").await;
    let carol = device.sign_in(&hs, "carol").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let for_alice = room_with_invite(&bob, "Alice's file", &alice).await;
    let for_carol = room_with_invite(&bob, "Carol's file", &carol).await;

    let mut alice_rooms = room_list(&alice, RoomListQuery::default()).await;
    let mut carol_rooms = room_list(&carol, RoomListQuery::default()).await;
    alice_rooms
        .until("Alice's invite", |rooms| {
            rooms.iter().any(|room| room.id == for_alice)
        })
        .await;
    carol_rooms
        .until("Carol's invite", |rooms| {
            rooms.iter().any(|room| room.id == for_carol)
        })
        .await;
    let invite = alice_rooms
        .items
        .iter()
        .find(|room| room.id == for_alice)
        .expect("listed");
    assert_eq!(
        invite.membership,
        estafette_core::room_list::Membership::Invited
    );
    assert!(invite.inviter.is_some());
    assert!(alice_rooms.items.iter().all(|room| room.id != for_carol));
    assert!(carol_rooms.items.iter().all(|room| room.id != for_alice));
    assert!(alice.rooms().summary(&for_carol).await.is_none());
    assert_eq!(device.manager.accounts().await.len(), 2);
    assert_eq!(
        device.manager.saved_accounts().await.expect("index").len(),
        2
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn invites_can_be_declined_and_rooms_left() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let declined = room_with_invite(&bob, "Spam", &alice).await;
    let kept = room_with_invite(&bob, "Work", &alice).await;
    let mut invites = room_list(
        &alice,
        RoomListQuery {
            filter: RoomFilter::Invites,
            search: None,
        },
    )
    .await;
    invites
        .until("both invites", |rooms| rooms.len() == 2)
        .await;
    alice
        .rooms()
        .decline_invite(&declined)
        .await
        .expect("declined");
    alice.rooms().accept_invite(&kept).await.expect("accepted");
    invites
        .until("no invite left", |rooms| rooms.is_empty())
        .await;

    let mut all = room_list(&alice, RoomListQuery::default()).await;
    all.until("only the kept room", |rooms| room_names(rooms) == ["Work"])
        .await;
    alice.rooms().leave(&kept).await.expect("left");
    all.until("no room", |rooms| rooms.is_empty()).await;

    let error = alice
        .rooms()
        .join(&format!("#no-such-room:{}", hs.server_name()), &[])
        .await
        .expect_err("no such alias");
    assert!(error.code().as_str().starts_with("room."), "{error:?}");

    // A room ID that is not one is refused the same way by every domain.
    for bad in ["not a room", "#alias:server", "", "room:server"] {
        let codes = [
            alice.rooms().leave(bad).await.expect_err("leave").code(),
            alice
                .rooms()
                .accept_invite(bad)
                .await
                .expect_err("accept")
                .code(),
            alice
                .rooms()
                .invite(bad, &hs.user_id("bob"))
                .await
                .expect_err("invite")
                .code(),
            alice.timeline(bad).await.expect_err("timeline").code(),
            alice
                .media()
                .event_image(bad, "$event", true)
                .await
                .expect_err("image")
                .code(),
        ];
        assert!(
            codes.iter().all(|code| *code == "room.invalid_room_id"),
            "{bad:?}: {codes:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn refreshed_tokens_are_saved_so_that_a_restart_stays_signed_in() {
    init();
    let hs = Homeserver::start_with_expiring_tokens(Duration::from_secs(3))
        .await
        .expect("Synapse starts");
    hs.register_user("alice", PASSWORD, false)
        .await
        .expect("registered");
    let device = Device::new();
    let alice = device.sign_in(&hs, "alice").await;
    let keychain = AccountKeychain::new(&device.manager.config().keychain_service, &alice.id().0);
    let first = keychain.tokens().expect("saved at sign-in");
    assert!(
        first.refresh_token.is_some(),
        "a refresh token was asked for and saved"
    );

    // Refresh tokens are single-use: unless the new pair is saved, the next start fails.
    eventually("the refreshed tokens to be saved", || async {
        let now = keychain.tokens().ok()?;
        (now.access_token != first.access_token && now.refresh_token != first.refresh_token)
            .then_some(())
    })
    .await;
    device.manager.shut_down().await;
    drop(alice);
    tokio::time::sleep(Duration::from_secs(4)).await;

    let manager = device.reopen();
    let alice = manager
        .restore_all()
        .await
        .expect("index")
        .into_iter()
        .next()
        .and_then(|(_, account)| account.ok())
        .expect("restored");
    let room = alice
        .rooms()
        .create_room(NewRoom {
            name: "After the refresh".into(),
            ..NewRoom::default()
        })
        .await
        .expect("an authenticated request succeeds after the restart");
    assert!(room.starts_with('!'));
    assert_ne!(alice.current_sync_state(), SyncState::SessionExpired);
}

/// Each expected message the view shows more than once, with the item and event IDs of its
/// copies: tells a duplicated event (one event ID) from a message sent twice (two).
fn shown_twice(items: &[TimelineItem], expected: &[String]) -> Vec<String> {
    expected
        .iter()
        .filter_map(|body| {
            let copies: Vec<String> = items
                .iter()
                .filter_map(|item| {
                    let event = item.as_event()?;
                    (event.content.summary() == *body)
                        .then(|| format!("{} {:?}", item.id, event.event_id))
                })
                .collect();
            (copies.len() > 1).then(|| format!("{body}: {}", copies.join(", ")))
        })
        .collect()
}

/// What a front end does with an open room: apply updates and, whenever the start of the room
/// is not shown, load older messages, until every expected message and the start are there.
async fn read_whole_room(
    timeline: &estafette_core::timeline::RoomTimeline,
    view: &mut LiveList<TimelineItem>,
    expected: &[String],
) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        // Not even for a moment: the SDK's timeline may hold an event twice, the view never.
        view.apply_pending_checking_each(|items| {
            let copies = shown_twice(items, expected);
            assert!(copies.is_empty(), "shown more than once: {copies:?}");
        });
        let received: Vec<String> = bodies(&view.items)
            .into_iter()
            .filter(|body| expected.contains(body))
            .collect();
        if shows_room_start(&view.items) && received == expected {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "{} of {} messages (start shown: {})",
            received.len(),
            expected.len(),
            shows_room_start(&view.items),
        );
        if !shows_room_start(&view.items) {
            timeline.paginate_backwards(50).await.expect("paginated");
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_into_a_new_encrypted_dm_is_read_whole_whether_the_room_is_open_or_not() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    // Ten rounds with the room already open while bob writes, ten with it opened afterwards:
    // the flaw of issue 9 showed in about two runs of three.
    for round in 0..20 {
        let open_first = round % 2 == 0;
        // A new correspondent each round: a second DM with the same person reuses the first.
        let (_bob_device, bob) = new_user(&hs, &format!("bob{round}")).await;
        let room_id = encrypted_dm(&bob, &alice).await;
        let expected: Vec<String> = (1..=50)
            .map(|n| format!("round {round}, burst {n}"))
            .collect();
        let mut alice_side = None;
        if open_first {
            alice_side = Some(open_timeline(&alice, &room_id).await);
        }
        let (bob_timeline, _bob_view) = open_timeline(&bob, &room_id).await;
        for body in &expected {
            bob_timeline.send_markdown(body).await.expect("queued");
        }
        let (alice_timeline, mut alice_view) = match alice_side {
            Some(side) => side,
            None => open_timeline(&alice, &room_id).await,
        };
        read_whole_room(&alice_timeline, &mut alice_view, &expected).await;
        eprintln!("round {round} (open first: {open_first}): all 50 and the start");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_room_of_a_large_account_is_listed_right_after_sign_in() {
    let hs = start_server().await;
    let owner = hs
        .register_user("owner", PASSWORD, false)
        .await
        .expect("registered");
    let member = hs
        .register_user("alice", PASSWORD, false)
        .await
        .expect("registered");
    let plan = SeedPlan {
        rooms: 150,
        messages_per_room: 1,
        room_name_prefix: "Service".into(),
    };
    seed_plain_rooms(&hs, &owner, &[member], &plan)
        .await
        .expect("seeded");

    let device = Device::new();
    let alice = device.sign_in(&hs, "alice").await;
    let mut loading = alice.rooms().list_loading().await.expect("loading state");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        let state = tokio::time::timeout_at(deadline, loading.next())
            .await
            .expect("the room list to load in time")
            .expect("the subscription is open");
        if state.fully_loaded {
            assert_eq!(state.rooms_on_server, Some(150));
            assert_eq!(state.rooms_received, 150);
            break;
        }
        if let Some(on_server) = state.rooms_on_server {
            assert!(
                state.rooms_received < on_server,
                "{state:?} is not fully loaded"
            );
        }
    }
    let mut rooms = LiveList::new(
        alice
            .rooms()
            .list(RoomListQuery::default(), 1_000)
            .await
            .expect("room list")
            .0,
    );
    rooms.next_batch().await;
    assert_eq!(
        rooms.items.len(),
        150,
        "every room is in the first list update"
    );
    assert_eq!(
        errors_logged(),
        Vec::<String>::new(),
        "signing in to a large account logs no ERROR"
    );
}
