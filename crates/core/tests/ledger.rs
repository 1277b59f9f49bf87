//! Nothing lost, nothing doubled (issue 11): alice's core client sends numbered messages into
//! an encrypted room while Synapse is killed with SIGKILL and restarted at random points; bob,
//! on his own device, must receive every number exactly once and in order. The test command
//! makes 3 crashes; `ESTAFETTE_LEDGER_SERVER_CRASHES` makes more (`cargo xtask proof`: 20).
//! The same for a client process killed mid-send is in the CLI's tests (`ledger.rs`).

#![recursion_limit = "256"]

mod common;

use std::time::{Duration, Instant};

use common::*;
use estafette_core::timeline::{SendState, TimelineItem};
use estafette_testkit::chaos::{self, Chaos};

/// Messages alice types per crash cycle, one every [`TYPING_PAUSE`].
const MESSAGES_PER_CYCLE: usize = 12;
const TYPING_PAUSE: Duration = Duration::from_millis(120);

fn numbered(items: &[TimelineItem]) -> Vec<String> {
    bodies(items)
        .into_iter()
        .filter(|body| body.starts_with("ledger "))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_sent_while_the_server_crashes_arrive_once_each_and_in_order() {
    let mut hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let room_id = encrypted_dm(&alice, &bob).await;
    let (alice_timeline, mut alice_live) = open_timeline(&alice, &room_id).await;
    let (bob_timeline, mut bob_live) = open_timeline(&bob, &room_id).await;
    // Alice encrypts for bob's device only once she knows he joined.
    alice_timeline.send_markdown("hello").await.expect("queued");
    bob_live
        .until("bob to read alice's first message", |items| {
            bodies(items).contains(&"hello".to_owned())
        })
        .await;

    let crashes = chaos::cycles("ESTAFETTE_LEDGER_SERVER_CRASHES", 3);
    let total = crashes * MESSAGES_PER_CYCLE;
    let mut chaos = Chaos::from_env("ledger, server crashes");
    let started = Instant::now();
    let typing = tokio::spawn(async move {
        for number in 1..=total {
            alice_timeline
                .send_markdown(&format!("ledger {number}"))
                .await
                .unwrap_or_else(|error| panic!("message {number} refused: {error}"));
            tokio::time::sleep(TYPING_PAUSE).await;
        }
        alice_timeline
    });
    for _ in 0..crashes {
        tokio::time::sleep(chaos.between(Duration::from_millis(100), Duration::from_millis(1500)))
            .await;
        hs.crash().await.expect("Synapse killed");
        tokio::time::sleep(chaos.between(Duration::ZERO, Duration::from_millis(1000))).await;
        hs.restart().await.expect("Synapse back");
    }
    let alice_timeline = typing.await.expect("alice typed every message");

    let last = format!("ledger {total}");
    bob_live
        .until_or_describe(
            "bob to receive the last message",
            |items| numbered(items).contains(&last),
            |items| format!("bob has {:?}", numbered(items)),
        )
        .await;
    while !bob_timeline
        .paginate_backwards(100)
        .await
        .expect("paginated")
    {}
    bob_live
        .until("bob's timeline to reach the start", shows_room_start)
        .await;
    let expected: Vec<String> = (1..=total).map(|n| format!("ledger {n}")).collect();
    assert_eq!(numbered(&bob_live.items), expected, "what bob received");
    let seconds = started.elapsed().as_secs_f64();
    eprintln!("{total} messages through {crashes} server crashes in {seconds:.1} s");

    // Alice's own view, as her app shows it, agrees once her queue has heard back from the
    // server: every message sent, none failed or doubled.
    while !alice_timeline
        .paginate_backwards(100)
        .await
        .expect("paginated")
    {}
    alice_live
        .until_or_describe(
            "alice to see every message sent, once",
            |items| {
                shows_room_start(items) && numbered(items) == expected && unsent(items).is_empty()
            },
            |items| {
                format!(
                    "alice sees {:?}, unsent {:?}",
                    numbered(items),
                    unsent(items)
                )
            },
        )
        .await;
    eprintln!(
        "proof: {{\"messages\": {total}, \"server_crashes\": {crashes}, \"lost\": 0, \"doubled\": 0, \"seconds_to_deliver\": {seconds:.1}}}"
    );
}

fn unsent(items: &[TimelineItem]) -> Vec<(String, Option<SendState>)> {
    items
        .iter()
        .filter_map(TimelineItem::as_event)
        .filter(|event| !matches!(event.send_state, None | Some(SendState::Sent)))
        .map(|event| (event.content.summary(), event.send_state.clone()))
        .collect()
}
