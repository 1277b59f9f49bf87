//! The kit itself: a real Synapse starts, serves discovery and sliding sync, takes users and
//! seeded rooms, restarts on its port, and is gone after drop.

use estafette_testkit::{
    Homeserver,
    seed::{SeedPlan, seed_plain_rooms},
};
use serde_json::Value;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_real_synapse_serves_discovery_users_and_seeded_rooms_then_goes_away() {
    let mut hs = Homeserver::start().await.expect("Synapse starts");
    let http = reqwest::Client::new();

    let versions: Value = http
        .get(format!("{}/_matrix/client/versions", hs.base_url()))
        .send()
        .await
        .expect("versions")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        versions["unstable_features"]["org.matrix.simplified_msc3575"],
        true
    );

    let well_known: Value = http
        .get(format!("{}/.well-known/matrix/client", hs.base_url()))
        .send()
        .await
        .expect("well-known")
        .json()
        .await
        .expect("JSON");
    assert_eq!(
        well_known["m.homeserver"]["base_url"]
            .as_str()
            .map(|url| url.trim_end_matches('/')),
        Some(hs.base_url().as_str())
    );

    let alice = hs
        .register_user("alice", "pw-alice", false)
        .await
        .expect("alice");
    let bob = hs.register_user("bob", "pw-bob", true).await.expect("bob");
    assert_eq!(alice.user_id, hs.user_id("alice"));
    assert!(!format!("{alice:?}").contains(&alice.access_token));

    let plan = SeedPlan {
        rooms: 2,
        messages_per_room: 3,
        room_name_prefix: "Seeded".into(),
    };
    let rooms = seed_plain_rooms(&hs, &alice, std::slice::from_ref(&bob), &plan)
        .await
        .expect("seeded");
    assert_eq!(rooms.len(), 2);
    let messages: Value = http
        .get(format!(
            "{}/_matrix/client/v3/rooms/{}/messages?dir=b&limit=50",
            hs.base_url(),
            rooms[1]
        ))
        .bearer_auth(&bob.access_token)
        .send()
        .await
        .expect("messages")
        .json()
        .await
        .expect("JSON");
    let bodies: Vec<&str> = messages["chunk"]
        .as_array()
        .expect("chunk")
        .iter()
        .filter_map(|event| event["content"]["body"].as_str())
        .collect();
    assert_eq!(
        bodies,
        [
            "Seeded 2, message 3",
            "Seeded 2, message 2",
            "Seeded 2, message 1"
        ]
    );

    let port = hs.port();
    hs.stop().await.expect("stopped");
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens once stopped"
    );
    hs.restart().await.expect("restarted");
    assert_eq!(hs.port(), port);
    hs.register_user("carol", "pw", false)
        .await
        .expect("the data survived the restart");

    let dir = hs.data_dir().to_owned();
    drop(hs);
    assert!(
        std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
        "nothing listens after drop"
    );
    assert!(!dir.exists(), "the temporary data directory is removed");
}
