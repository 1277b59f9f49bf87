//! The kit itself against a real Synapse: it starts, serves discovery and sliding sync, takes
//! users and seeded rooms, restarts on its port, and is gone after drop.

use std::net::TcpStream;

use estafette_testkit::{Homeserver, RegisteredUser, SeedPlan, seed_plain_rooms};
use serde_json::Value;

async fn get_json(hs: &Homeserver, path: &str, user: Option<&RegisteredUser>) -> Value {
    let mut request = reqwest::Client::builder()
        .no_proxy()
        .build()
        .expect("an HTTP client")
        .get(format!("{}{path}", hs.base_url()));
    if let Some(user) = user {
        request = request.bearer_auth(&user.access_token);
    }
    let response = request.send().await.expect("the server answers");
    assert!(
        response.status().is_success(),
        "GET {path}: {}",
        response.status()
    );
    response.json().await.expect("a JSON body")
}

fn bodies(messages: &Value) -> Vec<String> {
    let chunk = messages["chunk"].as_array().expect("a chunk of events");
    chunk
        .iter()
        .filter(|event| event["type"] == "m.room.message")
        .filter_map(|event| event["content"]["body"].as_str().map(str::to_owned))
        .collect()
}

#[tokio::test]
async fn a_real_synapse_serves_users_and_seeded_rooms_restarts_and_is_gone_after_drop() {
    let mut hs = Homeserver::start().await.expect("Synapse starts");
    let port = hs.port();
    assert!(hs.is_running());
    assert_eq!(hs.base_url(), format!("http://127.0.0.1:{port}"));
    assert!(
        !format!("{hs:?}").contains("registration"),
        "Debug hides the secrets"
    );

    let versions = get_json(&hs, "/_matrix/client/versions", None).await;
    assert_eq!(
        versions["unstable_features"]["org.matrix.simplified_msc3575"],
        true
    );
    let well_known = get_json(&hs, "/.well-known/matrix/client", None).await;
    let advertised = well_known["m.homeserver"]["base_url"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(advertised.trim_end_matches('/'), hs.base_url());

    let alice = hs
        .register_user("alice", "alice-password", false)
        .await
        .expect("alice");
    let bob = hs
        .register_user("bob", "bob-password", true)
        .await
        .expect("bob");
    assert_eq!(alice.user_id, hs.user_id("alice"));
    assert!(!format!("{alice:?}").contains(&alice.access_token));
    let again = hs
        .register_user("alice", "other", false)
        .await
        .expect_err("alice exists");
    assert_eq!(again.errcode(), Some("M_USER_IN_USE"));
    let signed_in = hs.login("bob", "bob-password").await.expect("bob signs in");
    assert_ne!(signed_in.device_id, bob.device_id);

    let plan = SeedPlan {
        rooms: 2,
        messages_per_room: 3,
        room_name_prefix: "Seeded".into(),
    };
    let rooms = seed_plain_rooms(&hs, &alice, std::slice::from_ref(&bob), &plan)
        .await
        .expect("rooms seeded");
    assert_eq!(rooms.len(), 2);
    for (index, room_id) in rooms.iter().enumerate() {
        let path = format!("/_matrix/client/v3/rooms/{room_id}/messages?dir=b&limit=50");
        let messages = get_json(&hs, &path, Some(&bob)).await;
        let name = format!("Seeded {}", index + 1);
        let expected: Vec<String> = (1..=3)
            .rev()
            .map(|number| format!("{name}, message {number}"))
            .collect();
        assert_eq!(bodies(&messages), expected, "newest first in {room_id}");
        let senders: Vec<&str> = messages["chunk"]
            .as_array()
            .expect("events")
            .iter()
            .filter(|event| event["type"] == "m.room.message")
            .filter_map(|event| event["sender"].as_str())
            .collect();
        assert_eq!(senders, [&alice.user_id, &bob.user_id, &alice.user_id]);
    }

    hs.stop().await.expect("stopped");
    assert!(!hs.is_running());
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens once stopped"
    );
    hs.stop().await.expect("stopping twice is fine");

    hs.restart().await.expect("restarted");
    assert_eq!(hs.port(), port);
    let messages = get_json(
        &hs,
        &format!(
            "/_matrix/client/v3/rooms/{}/messages?dir=b&limit=1",
            rooms[0]
        ),
        Some(&alice),
    )
    .await;
    assert_eq!(
        bodies(&messages),
        ["Seeded 1, message 3"],
        "the data survived the restart"
    );

    let dir = hs.data_dir().to_owned();
    drop(hs);
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens after drop"
    );
    assert!(!dir.exists(), "the temporary data directory is removed");
}

#[tokio::test]
async fn a_kept_directory_starts_again_and_a_copy_runs_from_its_own_files() {
    let parent = tempfile::tempdir().expect("temporary directory");
    let original = parent.path().join("seeded");
    let mut hs = Homeserver::start_in(&original)
        .await
        .expect("Synapse starts in the directory");
    let port = hs.port();
    let carol = hs.register_user("carol", "pw", false).await.expect("carol");
    let room = hs.create_room(&carol, "Kept", &[]).await.expect("a room");
    hs.stop().await.expect("stopped");
    drop(hs);
    assert!(Homeserver::holds_server(&original), "the directory is kept");
    assert!(
        matches!(
            Homeserver::start_in(&original).await,
            Err(estafette_testkit::TestkitError::AlreadyInitialised(_))
        ),
        "start_in refuses to overwrite a server"
    );

    let copy = parent.path().join("copy");
    copy_dir(&original, &copy);
    let log_size = |dir: &std::path::Path| {
        std::fs::metadata(dir.join("homeserver.log"))
            .map(|meta| meta.len())
            .unwrap_or(0)
    };
    let original_log = log_size(&original);
    let hs = Homeserver::start_existing(&copy)
        .await
        .expect("the copy starts");
    assert_eq!(hs.port(), port);
    let carol = hs
        .login("carol", "pw")
        .await
        .expect("carol exists in the copy");
    hs.send_text(&carol, &room, "hello from the copy")
        .await
        .expect("sent");
    drop(hs);
    assert_eq!(
        log_size(&original),
        original_log,
        "the copy leaves the original alone"
    );
    assert!(
        log_size(&copy) > original_log,
        "the copy logs to its own file"
    );
    assert!(
        TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens after drop"
    );
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).expect("target directory");
    for entry in std::fs::read_dir(from).expect("source directory") {
        let entry = entry.expect("an entry");
        let target = to.join(entry.file_name());
        if entry.file_type().expect("a file type").is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).expect("copied");
        }
    }
}
