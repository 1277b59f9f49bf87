//! Calls between two real clients on a real Synapse, with real media: GStreamer's test sources
//! instead of devices, ICE restricted to 127.0.0.1 (issue 15).

#![recursion_limit = "256"]

#[path = "../../core/tests/common/mod.rs"]
mod common;

use std::{sync::Arc, time::Duration};

use common::*;
use estafette_calls::{Counts, EngineConfig, GstEngine};
use estafette_core::{
    Account,
    calls::{CallDirection, CallEnd, CallError, CallOutcome, CallRecord, CallState, CallView},
};
use estafette_testkit::{Homeserver, TurnServer};

/// Gives `account` a media engine with test sources; returns it to read its counters.
fn with_engine(account: &Account) -> Arc<GstEngine> {
    let engine =
        Arc::new(GstEngine::new(EngineConfig::for_tests()).expect("GStreamer is installed"));
    account.calls().use_engine(engine.clone());
    engine
}

/// Waits until `account` lists a call that `matches`; says what it lists if it never does.
async fn call_where(
    account: &Account,
    what: &str,
    matches: impl Fn(&CallView) -> bool,
) -> CallView {
    let found = tokio::time::timeout(PATIENCE, async {
        loop {
            if let Some(call) = account
                .calls()
                .current()
                .into_iter()
                .find(|call| matches(call))
            {
                return call;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    })
    .await;
    found.unwrap_or_else(|_| {
        panic!(
            "timed out waiting for {what}; calls: {:#?}",
            account.calls().current()
        )
    })
}

async fn state_of(account: &Account, call_id: &str, state: CallState) -> CallView {
    call_where(
        account,
        &format!("{} to see the call {state:?}", account.user_id()),
        |call| call.call_id == call_id && call.state == state,
    )
    .await
}

/// Waits until the conversation's history, as `account` reads it for the timeline, holds the
/// call in a state that `matches`.
async fn record_where(
    account: &Account,
    room: &str,
    call_id: &str,
    matches: impl Fn(&CallRecord) -> bool,
) -> CallRecord {
    let mut history = account.calls().history(room).expect("a known room");
    let mut last = Vec::new();
    let found = tokio::time::timeout(PATIENCE, async {
        while let Some(records) = history.next().await {
            if let Some(record) = records
                .iter()
                .find(|record| record.call_id == call_id && matches(record))
            {
                return Some(record.clone());
            }
            last = records;
        }
        None
    })
    .await;
    match found {
        Ok(Some(record)) => record,
        _ => panic!(
            "{}'s history never showed the call as expected; last: {last:#?}",
            account.user_id()
        ),
    }
}

/// Alice and bob, each on a device of their own, in an encrypted conversation of two.
struct Pair {
    hs: Homeserver,
    _devices: (Device, Device),
    alice: Arc<Account>,
    bob: Arc<Account>,
    room: String,
}

/// Kept whole by each test (fields borrowed from it): the server and the devices live as long
/// as the test.
async fn pair() -> Pair {
    let hs = start_server().await;
    let (alice_device, alice) = new_user(&hs, "alice").await;
    let (bob_device, bob) = new_user(&hs, "bob").await;
    let room = encrypted_dm(&alice, &bob).await;
    Pair {
        hs,
        _devices: (alice_device, bob_device),
        alice,
        bob,
        room,
    }
}

/// Waits until `grown` says the counters moved on enough from `before`.
async fn counters_grow(engine: &GstEngine, what: &str, grown: impl Fn(Counts) -> bool) -> Counts {
    eventually(what, || async {
        let now = engine.counters().snapshot();
        grown(now).then_some(now)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn alice_calls_bob_who_answers_media_flows_both_ways_mute_and_hang_up() {
    let pair = pair().await;
    let Pair {
        hs,
        alice,
        bob,
        room,
        ..
    } = &pair;
    let alice_media = with_engine(alice);
    let bob_media = with_engine(bob);

    let call_id = alice.calls().place(room, true).await.expect("call placed");
    let placed = alice.calls().current();
    assert_eq!(placed[0].state, CallState::Calling);
    assert_eq!(placed[0].direction, CallDirection::Outgoing);
    let ringing = state_of(bob, &call_id, CallState::Ringing).await;
    assert_eq!(ringing.peer, alice.user_id());
    assert!(ringing.video, "the call was placed with video");
    assert_eq!(
        bob_media.counters().snapshot(),
        Counts::default(),
        "nothing opened while ringing"
    );

    bob.calls()
        .accept(&call_id, true)
        .await
        .expect("bob answers");
    let connected = state_of(alice, &call_id, CallState::Connected).await;
    assert!(connected.connected_at_ms.is_some());
    state_of(bob, &call_id, CallState::Connected).await;

    // Sound and pictures, both ways, decoded.
    for (who, engine) in [("alice", &alice_media), ("bob", &bob_media)] {
        counters_grow(
            engine,
            &format!("{who} to receive sound and pictures"),
            |now| now.video_frames_decoded > 30 && now.audio_buffers_received > 50,
        )
        .await;
    }

    // Muted, alice's microphone sends nothing; her camera still does.
    alice
        .calls()
        .set_microphone_muted(&call_id, true)
        .await
        .expect("muted");
    assert!(alice.calls().current()[0].microphone_muted);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let muted = alice_media.counters().snapshot();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let later = alice_media.counters().snapshot();
    assert_eq!(
        later.audio_packets_sent, muted.audio_packets_sent,
        "no sound while muted"
    );
    assert!(
        later.video_packets_sent > muted.video_packets_sent,
        "pictures still go"
    );
    alice
        .calls()
        .set_microphone_muted(&call_id, false)
        .await
        .expect("unmuted");
    counters_grow(&alice_media, "alice's sound to go again", |now| {
        now.audio_packets_sent > later.audio_packets_sent + 10
    })
    .await;

    alice.calls().hang_up(&call_id).await.expect("hung up");
    state_of(alice, &call_id, CallState::Ended(CallEnd::HungUpHere)).await;
    state_of(bob, &call_id, CallState::Ended(CallEnd::HungUp)).await;
    // The media stopped: nothing more is sent.
    let ended = alice_media.counters().snapshot();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        alice_media.counters().snapshot().video_packets_sent,
        ended.video_packets_sent
    );

    // The signalling went encrypted: the server holds no call event in clear.
    let types = event_types_on_server(hs, "bob", room).await;
    assert!(
        types.iter().any(|kind| kind == "m.room.encrypted"),
        "{types:?}"
    );
    assert!(
        !types.iter().any(|kind| kind.starts_with("m.call.")),
        "{types:?}"
    );

    // Both timelines tell the call as answered, and for how long it lasted.
    for account in [alice, bob] {
        let record = record_where(account, room, &call_id, |record| {
            matches!(record.outcome, CallOutcome::Ended { duration_ms } if duration_ms > 1_000)
        })
        .await;
        assert!(record.video);
        assert_eq!(record.outgoing, account.user_id() == alice.user_id());
    }

    alice.calls().dismiss(&call_id);
    eventually("the ended call to be dismissed", || async {
        alice.calls().current().is_empty().then_some(())
    })
    .await;
}

/// The types of the room's latest events as the server stores them, read as `user` on a fresh
/// login (no client decrypting anything).
async fn event_types_on_server(hs: &Homeserver, user: &str, room: &str) -> Vec<String> {
    Wire::as_user(hs, user)
        .await
        .messages(room)
        .await
        .iter()
        .filter_map(|event| event["type"].as_str().map(ToOwned::to_owned))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_declined_call_ends_on_both_sides_and_nothing_was_opened_for_it() {
    let pair = pair().await;
    let Pair {
        alice, bob, room, ..
    } = &pair;
    with_engine(alice);
    let bob_media = with_engine(bob);

    let call_id = alice.calls().place(room, false).await.expect("call placed");
    state_of(bob, &call_id, CallState::Ringing).await;
    bob.calls().decline(&call_id).await.expect("declined");
    state_of(bob, &call_id, CallState::Ended(CallEnd::DeclinedHere)).await;
    state_of(alice, &call_id, CallState::Ended(CallEnd::Declined)).await;
    assert_eq!(bob_media.counters().snapshot(), Counts::default());
    let refused = record_where(alice, room, &call_id, |record| {
        record.outcome == CallOutcome::Declined
    })
    .await;
    assert!(refused.outgoing && !refused.video);
    record_where(bob, room, &call_id, |record| {
        record.outcome == CallOutcome::Declined && !record.outgoing
    })
    .await;
    // A second gesture on an ended call is refused, not taken.
    assert_eq!(
        bob.calls().accept(&call_id, false).await,
        Err(CallError::NotFound)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn calls_are_placed_only_in_a_conversation_between_two_people() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let (_carol_device, carol) = new_user(&hs, "carol").await;
    with_engine(&alice);
    let group = room_with_invite(&alice, "Équipe", &bob).await;
    accept_invite_once_it_arrives(&bob, &group).await;
    alice
        .rooms()
        .invite(&group, carol.user_id())
        .await
        .expect("carol invited");
    eventually("alice to see three people", || async {
        let members = alice.rooms().members(&group).await.ok()?;
        (members.len() == 3).then_some(())
    })
    .await;
    assert_eq!(
        alice.calls().place(&group, false).await,
        Err(CallError::NotADirectConversation)
    );
    assert_eq!(
        alice.calls().place("!nowhere:localhost", false).await,
        Err(CallError::RoomNotFound("!nowhere:localhost".into()))
    );
    assert!(alice.calls().current().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn when_both_call_at_once_one_call_is_kept_and_connects() {
    let pair = pair().await;
    let Pair {
        alice, bob, room, ..
    } = &pair;
    let alice_media = with_engine(alice);
    let bob_media = with_engine(bob);

    let (alice_calls, bob_calls) = (alice.calls(), bob.calls());
    let (from_alice, from_bob) =
        tokio::join!(alice_calls.place(room, false), bob_calls.place(room, false));
    let (from_alice, from_bob) = (
        from_alice.expect("alice calls"),
        from_bob.expect("bob calls"),
    );
    let kept = std::cmp::min(from_alice.clone(), from_bob.clone());
    state_of(alice, &kept, CallState::Connected).await;
    state_of(bob, &kept, CallState::Connected).await;
    for (who, engine) in [("alice", &alice_media), ("bob", &bob_media)] {
        counters_grow(engine, &format!("{who} to receive sound"), |now| {
            now.audio_buffers_received > 50
        })
        .await;
    }
    for account in [&alice, &bob] {
        let live: Vec<String> = account
            .calls()
            .current()
            .into_iter()
            .filter(|call| !call.is_ended())
            .map(|call| call.call_id)
            .collect();
        assert_eq!(
            live,
            vec![kept.clone()],
            "one call left for {}",
            account.user_id()
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_answered_on_another_device_stops_ringing_here() {
    let pair = pair().await;
    let Pair {
        hs,
        alice,
        bob,
        room,
        ..
    } = &pair;
    let bob_laptop_device = Device::new();
    let bob_laptop = bob_laptop_device.sign_in(hs, "bob").await;
    with_engine(alice);
    with_engine(bob);
    let laptop_media = with_engine(&bob_laptop);
    // Both of bob's devices must be able to read alice's encrypted invite.
    eventually("alice to know bob's second device", || async {
        let devices = alice.devices().of_user(bob.user_id()).await.ok()?;
        (devices.len() >= 2).then_some(())
    })
    .await;

    let call_id = alice.calls().place(room, false).await.expect("call placed");
    state_of(bob, &call_id, CallState::Ringing).await;
    state_of(&bob_laptop, &call_id, CallState::Ringing).await;
    bob_laptop
        .calls()
        .accept(&call_id, false)
        .await
        .expect("answered on the laptop");
    state_of(bob, &call_id, CallState::Ended(CallEnd::AnsweredElsewhere)).await;
    state_of(alice, &call_id, CallState::Connected).await;
    counters_grow(&laptop_media, "the laptop to receive sound", |now| {
        now.audio_buffers_received > 50
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_nobody_answers_ends_as_no_answer_and_is_missed_on_the_other_side() {
    let pair = pair().await;
    let Pair {
        alice, bob, room, ..
    } = &pair;
    let alice_media = with_engine(alice);
    alice.calls().set_ring_duration(Duration::from_secs(6));

    let call_id = alice.calls().place(room, true).await.expect("call placed");
    state_of(bob, &call_id, CallState::Ringing).await;
    state_of(alice, &call_id, CallState::Ended(CallEnd::NoAnswer)).await;
    state_of(bob, &call_id, CallState::Ended(CallEnd::Missed)).await;
    // bob's timeline marks it missed (a video call, not his); alice's as unanswered.
    let missed = record_where(bob, room, &call_id, |record| {
        record.outcome == CallOutcome::Unanswered
    })
    .await;
    assert!(missed.video && !missed.outgoing);
    record_where(alice, room, &call_id, |record| {
        record.outcome == CallOutcome::Unanswered && record.outgoing
    })
    .await;
    // Alice's camera and microphone closed with the call.
    let ended = alice_media.counters().snapshot();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(alice_media.counters().snapshot(), ended);
    assert_eq!(
        bob.calls().accept(&call_id, false).await,
        Err(CallError::NotFound)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn relayed_only_a_call_goes_through_the_homeservers_turn_server_and_offers_no_address() {
    init();
    let turn = TurnServer::start().await.expect("coturn starts");
    let hs = Homeserver::start_with_turn(&turn)
        .await
        .expect("Synapse starts");
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let room = encrypted_dm(&alice, &bob).await;
    let alice_media = with_engine(&alice);
    let bob_media = with_engine(&bob);
    alice.calls().set_relay_only(true);
    bob.calls().set_relay_only(true);

    let call_id = alice
        .calls()
        .place(&room, false)
        .await
        .expect("call placed");
    state_of(&bob, &call_id, CallState::Ringing).await;
    bob.calls()
        .accept(&call_id, false)
        .await
        .expect("bob answers");
    state_of(&alice, &call_id, CallState::Connected).await;
    for (who, engine) in [("alice", &alice_media), ("bob", &bob_media)] {
        counters_grow(
            engine,
            &format!("{who} to hear the other through the relay"),
            |now| now.audio_buffers_received > 50,
        )
        .await;
        let counters = engine.counters();
        assert_eq!(
            counters
                .host_candidates_offered
                .load(std::sync::atomic::Ordering::Relaxed),
            0,
            "{who} offered none of the machine's addresses"
        );
        assert!(
            counters
                .relay_candidates_offered
                .load(std::sync::atomic::Ordering::Relaxed)
                > 0
        );
    }
    alice.calls().hang_up(&call_id).await.expect("hung up");
    state_of(&bob, &call_id, CallState::Ended(CallEnd::HungUp)).await;
}

/// The client-server API as one of `user`'s sessions, for what another Matrix client sends.
struct Wire {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Wire {
    async fn as_user(hs: &Homeserver, user: &str) -> Self {
        let session = hs.login(user, PASSWORD).await.expect("logged in");
        Self {
            base: format!("{}/_matrix/client/v3", hs.base_url()),
            token: session.access_token,
            http: reqwest::Client::new(),
        }
    }

    async fn post(&self, path: &str, body: serde_json::Value) -> serde_json::Value {
        self.http
            .post(format!("{}{path}", self.base))
            .bearer_auth(&self.token)
            .json(&body)
            .send()
            .await
            .expect("sent")
            .json()
            .await
            .expect("json")
    }

    async fn send(&self, room: &str, kind: &str, content: serde_json::Value) {
        let transaction = format!("t{}", rand_suffix());
        let response = self
            .http
            .put(format!(
                "{}/rooms/{}/send/{kind}/{transaction}",
                self.base,
                escaped(room)
            ))
            .bearer_auth(&self.token)
            .json(&content)
            .send()
            .await
            .expect("sent");
        assert!(
            response.status().is_success(),
            "{kind}: {}",
            response.status()
        );
    }

    /// The room's latest events, newest first.
    async fn messages(&self, room: &str) -> Vec<serde_json::Value> {
        let body: serde_json::Value = self
            .http
            .get(format!(
                "{}/rooms/{}/messages?dir=b&limit=100",
                self.base,
                escaped(room)
            ))
            .bearer_auth(&self.token)
            .send()
            .await
            .expect("messages")
            .json()
            .await
            .expect("json");
        body["chunk"].as_array().cloned().unwrap_or_default()
    }

    /// The room's latest events of `kind`, newest first.
    async fn latest(&self, room: &str, kind: &str) -> Vec<serde_json::Value> {
        self.messages(room)
            .await
            .into_iter()
            .filter(|event| event["type"] == kind)
            .collect()
    }
}

fn escaped(room: &str) -> String {
    room.replace('!', "%21").replace(':', "%3A")
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_nanos())
        .unwrap_or_default()
}

/// Element puts a call on hold by offering the same session again with every section
/// `inactive` (`m.call.negotiate`), and takes it back with `sendrecv`. Here alice's side of
/// that is what Element would put on the wire (sent through the API as alice, in a room
/// without encryption so that the test can read her offer); bob is Estafette.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_put_on_hold_by_elements_negotiation_is_answered_and_resumed() {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let alice_wire = Wire::as_user(&hs, "alice").await;
    let created = alice_wire
        .post(
            "/createRoom",
            serde_json::json!({ "preset": "trusted_private_chat", "is_direct": true, "invite": [bob.user_id()] }),
        )
        .await;
    let room = created["room_id"].as_str().expect("a room").to_owned();
    accept_invite_once_it_arrives(&bob, &room).await;
    eventually("alice to see bob in the room", || async {
        let members = alice.rooms().members(&room).await.ok()?;
        (members.len() == 2).then_some(())
    })
    .await;
    let alice_media = with_engine(&alice);
    let bob_media = with_engine(&bob);

    let call_id = alice
        .calls()
        .place(&room, false)
        .await
        .expect("call placed");
    state_of(&bob, &call_id, CallState::Ringing).await;
    bob.calls().accept(&call_id, false).await.expect("answered");
    state_of(&bob, &call_id, CallState::Connected).await;
    state_of(&alice, &call_id, CallState::Connected).await;

    let invite = alice_wire
        .latest(&room, "m.call.invite")
        .await
        .into_iter()
        .find(|event| event["content"]["call_id"] == call_id.as_str())
        .expect("alice's invite on the server");
    let party = invite["content"]["party_id"].clone();
    let offer = invite["content"]["offer"]["sdp"]
        .as_str()
        .expect("an offer")
        .to_owned();
    let negotiate = |sdp: String| {
        serde_json::json!({
            "call_id": call_id, "party_id": party, "version": "1", "lifetime": 10_000,
            "description": { "type": "offer", "sdp": sdp },
        })
    };

    alice_wire
        .send(
            &room,
            "m.call.negotiate",
            negotiate(offer.replace("a=sendrecv", "a=inactive")),
        )
        .await;
    call_where(&bob, "bob to see the call held", |call| {
        call.call_id == call_id && call.held_by_peer
    })
    .await;
    let answer = eventually("bob's answer to the hold", || async {
        alice_wire
            .latest(&room, "m.call.negotiate")
            .await
            .into_iter()
            .find(|event| event["sender"] == bob.user_id())
    })
    .await;
    let sdp = answer["content"]["description"]["sdp"]
        .as_str()
        .unwrap_or_default();
    assert_eq!(answer["content"]["description"]["type"], "answer");
    assert!(
        sdp.contains("a=inactive") && !sdp.contains("a=sendrecv"),
        "{sdp}"
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let held = bob_media.counters().snapshot();
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        bob_media.counters().snapshot().audio_packets_sent,
        held.audio_packets_sent,
        "bob sends nothing while held"
    );

    alice_wire
        .send(&room, "m.call.negotiate", negotiate(offer))
        .await;
    call_where(&bob, "bob to see the call taken back", |call| {
        call.call_id == call_id && !call.held_by_peer
    })
    .await;
    let resumed = alice_media.counters().snapshot();
    counters_grow(&alice_media, "bob's sound to reach alice again", |now| {
        now.audio_buffers_received > resumed.audio_buffers_received + 50
    })
    .await;
    assert_eq!(
        bob.calls()
            .current()
            .iter()
            .find(|call| call.call_id == call_id)
            .map(|call| call.state),
        Some(CallState::Connected)
    );
}
