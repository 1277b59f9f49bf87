//! Arbitrary events from the network never break a timeline (issue 11): a client of its own
//! sends events of every type with generated content, most of it malformed, through a real
//! Synapse; alice's core client maps each into its view-models. A panic in the mapping would
//! end her subscription, so the marker sent last must arrive. State events (names, topics,
//! memberships, rules, avatars, pins, …) go through the room list too, so the second test
//! watches both. The test command sends 150 events and 100 state events;
//! `ESTAFETTE_FUZZ_EVENTS` sends more of each.

#![recursion_limit = "256"]

mod common;

use common::*;
use estafette_core::{
    room_list::RoomListQuery,
    timeline::{EventContent, StateChange, TimelineItemKind},
};
use proptest::{
    prelude::*,
    strategy::ValueTree,
    test_runner::{Config, RngAlgorithm, TestRng, TestRunner},
};
use serde_json::{Map, Value, json};

const EVENT_TYPES: &[&str] = &[
    "m.room.message",
    "m.room.message",
    "m.room.message",
    "m.sticker",
    "m.reaction",
    "m.room.redaction",
    "m.poll.start",
    "org.matrix.msc3381.poll.start",
    "m.room.encrypted",
    "m.call.invite",
    "m.beacon_info",
    "org.matrix.msc4075.rtc.notification",
    "m.key.verification.request",
    "xyz.unknown.event",
];

/// State events a room shows in its timeline, list entry or header. Not power levels: a
/// generated one would soon forbid mallory any further state and end the run early.
const STATE_TYPES: &[&str] = &[
    "m.room.name",
    "m.room.name",
    "m.room.topic",
    "m.room.topic",
    "m.room.avatar",
    "m.room.member",
    "m.room.member",
    "m.room.join_rules",
    "m.room.history_visibility",
    "m.room.guest_access",
    "m.room.canonical_alias",
    "m.room.encryption",
    "m.room.pinned_events",
    "m.room.server_acl",
    "m.room.tombstone",
    "m.room.third_party_invite",
    "m.space.child",
    "m.space.parent",
    "m.room.create",
    "im.vector.modular.widgets",
    "xyz.unknown.state",
];
const STATE_KEYS: &[&str] = &[
    "",
    "",
    "@mallory:localhost",
    "@alice:localhost",
    "!room:localhost",
    "\u{202e}reversed",
    "x",
];

/// The keys events use, so that generated objects look enough like events to reach deep.
const KEYS: &[&str] = &[
    "msgtype",
    "body",
    "format",
    "formatted_body",
    "url",
    "file",
    "info",
    "filename",
    "mimetype",
    "size",
    "w",
    "h",
    "duration",
    "thumbnail_url",
    "thumbnail_info",
    "m.relates_to",
    "rel_type",
    "event_id",
    "key",
    "m.new_content",
    "m.in_reply_to",
    "algorithm",
    "ciphertext",
    "session_id",
    "sender_key",
    "device_id",
    "v",
    "iv",
    "hashes",
    "sha256",
    "k",
    "geo_uri",
    "m.mentions",
    "user_ids",
    "room",
    "membership",
    "displayname",
    "avatar_url",
    "name",
    "topic",
    "m.text",
    "answers",
    "kind",
    "max_selections",
    "reason",
    "redacts",
    "join_rule",
    "history_visibility",
    "guest_access",
    "alias",
    "alt_aliases",
    "pinned",
    "allow",
    "deny",
    "replacement_room",
    "body",
    "via",
    "is_direct",
    "display_name",
];
const MSGTYPES: &[&str] = &[
    "m.text",
    "m.notice",
    "m.emote",
    "m.image",
    "m.file",
    "m.video",
    "m.audio",
    "m.location",
    "m.key.verification.request",
    "m.server_notice",
    "",
    "m.text\u{202e}",
];

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        // Canonical JSON, which Synapse enforces: integers within ±(2^53 - 1), no floats.
        (-(1_i64 << 53) + 1..=(1_i64 << 53) - 1).prop_map(Value::from),
        ".{0,24}".prop_map(Value::from),
        prop::sample::select(MSGTYPES).prop_map(Value::from),
        prop::sample::select(
            &[
                "mxc://",
                "mxc://a/b",
                "mxc://localhost/x",
                "https://e.example/x",
                "org.matrix.custom.html",
                "m.replace",
                "m.annotation",
                "m.thread",
                "$e:localhost",
                "m.megolm.v1.aes-sha2"
            ][..]
        )
        .prop_map(Value::from),
    ]
}

fn content() -> impl Strategy<Value = Value> {
    let value = scalar().prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::vec((prop::sample::select(KEYS), inner), 0..6).prop_map(|pairs| {
                Value::Object(
                    pairs
                        .into_iter()
                        .map(|(key, value)| (key.to_owned(), value))
                        .collect::<Map<_, _>>(),
                )
            }),
        ]
    });
    // Event content is always an object; half of them start as a plausible message.
    (
        prop::collection::vec((prop::sample::select(KEYS), value), 0..8),
        prop::option::of(prop::sample::select(MSGTYPES)),
    )
        .prop_map(|(pairs, msgtype)| {
            let mut object: Map<String, Value> = pairs
                .into_iter()
                .map(|(key, value)| (key.to_owned(), value))
                .collect();
            if let Some(msgtype) = msgtype {
                object.insert("msgtype".into(), msgtype.into());
                object
                    .entry("body")
                    .or_insert_with(|| Value::from("hostile"));
            }
            Value::Object(object)
        })
}

#[tokio::test(flavor = "multi_thread")]
async fn arbitrary_events_from_another_client_never_break_the_timeline() {
    init();
    let hs = start_server().await;
    let (_device, alice) = new_user(&hs, "alice").await;
    let mallory = hs
        .register_user("mallory", PASSWORD, false)
        .await
        .expect("mallory registered");
    let room_id = hs
        .create_room(&mallory, "Hostile", &[alice.user_id()])
        .await
        .expect("room created");
    accept_invite_once_it_arrives(&alice, &room_id).await;
    let (_timeline, mut live) = open_timeline(&alice, &room_id).await;
    live.next_batch().await;

    let count: usize = std::env::var("ESTAFETTE_FUZZ_EVENTS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(150);
    // The same events on every machine; a failure names the one that broke.
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[7; 32]),
    );
    let strategy = (prop::sample::select(EVENT_TYPES), content());
    let mut accepted = 0;
    for _ in 0..count {
        let (event_type, content) = strategy
            .new_tree(&mut runner)
            .expect("a generated event")
            .current();
        // Synapse refuses some (too large, a redaction without target): those never reach
        // alice, which is also fine.
        if hs
            .send_event(&mallory, &room_id, event_type, content)
            .await
            .is_ok()
        {
            accepted += 1;
        }
        live.apply_pending();
    }
    hs.send_event(
        &mallory,
        &room_id,
        "m.room.message",
        json!({ "msgtype": "m.text", "body": "end of hostile events" }),
    )
    .await
    .expect("marker sent");
    live.until("the marker after the hostile events", |items| {
        bodies(items)
            .iter()
            .any(|body| body == "end of hostile events")
    })
    .await;
    eprintln!("{accepted} of {count} hostile events accepted by Synapse");
    eprintln!("proof: {{\"events_generated\": {count}, \"accepted_by_synapse\": {accepted}}}");
    assert!(accepted > count / 2, "most events reached the room");

    // alice's client still works: she writes, and the room list still lists the room.
    alice
        .timeline(&room_id)
        .await
        .expect("timeline")
        .send_markdown("still here")
        .await
        .expect("alice sends");
    live.until("alice's message", |items| {
        bodies(items).iter().any(|body| body == "still here")
    })
    .await;
    assert!(errors_logged().is_empty(), "{:?}", errors_logged());
}

/// A state key: mostly the ones clients use, sometimes any text.
fn state_key() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(STATE_KEYS).prop_map(str::to_owned),
        1 => ".{0,16}",
    ]
}

#[tokio::test(flavor = "multi_thread")]
async fn arbitrary_state_events_never_break_the_timeline_or_the_room_list() {
    init();
    let hs = start_server().await;
    let (_device, alice) = new_user(&hs, "alice").await;
    let mallory = hs
        .register_user("mallory", PASSWORD, false)
        .await
        .expect("mallory registered");
    let room_id = hs
        .create_room(&mallory, "Hostile state", &[alice.user_id()])
        .await
        .expect("room created");
    accept_invite_once_it_arrives(&alice, &room_id).await;
    let mut rooms = room_list(&alice, RoomListQuery::default()).await;
    let (_timeline, mut live) = open_timeline(&alice, &room_id).await;
    live.next_batch().await;

    let count: usize = std::env::var("ESTAFETTE_FUZZ_EVENTS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(100);
    let mut runner = TestRunner::new_with_rng(
        Config::default(),
        TestRng::from_seed(RngAlgorithm::ChaCha, &[11; 32]),
    );
    let strategy = (prop::sample::select(STATE_TYPES), state_key(), content());
    let mut accepted = 0;
    for _ in 0..count {
        let (event_type, key, content) = strategy
            .new_tree(&mut runner)
            .expect("a generated state event")
            .current();
        // A join rule could lock alice out, a tombstone could end the room for clients that
        // follow it, an encryption event makes the marker unreadable to mallory's raw client:
        // all of them welcome, as long as nothing breaks.
        if hs
            .send_state(&mallory, &room_id, event_type, &key, content)
            .await
            .is_ok()
        {
            accepted += 1;
        }
        live.apply_pending();
        rooms.apply_pending();
    }
    // The last word is a plain name: alice's list and timeline must both show it.
    hs.send_state(
        &mallory,
        &room_id,
        "m.room.name",
        "",
        json!({ "name": "After the hostile state" }),
    )
    .await
    .expect("name set");
    eprintln!("{accepted} of {count} hostile state events accepted by Synapse");
    eprintln!(
        "proof: {{\"state_events_generated\": {count}, \"state_accepted_by_synapse\": {accepted}}}"
    );
    assert!(accepted > count / 3, "many state events reached the room");
    rooms
        .until("the room list to show the last name", |items| {
            room_names(items)
                .iter()
                .any(|name| name == "After the hostile state")
        })
        .await;
    live.until("the last name change in the timeline", |items| {
        items.iter().any(|item| {
            matches!(&item.kind, TimelineItemKind::Event(event)
                if matches!(&event.content, EventContent::StateChange(StateChange::RoomNameChanged { name })
                    if name.as_deref() == Some("After the hostile state")))
        })
    })
    .await;
    assert!(errors_logged().is_empty(), "{:?}", errors_logged());
}
