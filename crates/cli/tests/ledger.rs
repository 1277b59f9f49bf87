//! Nothing lost, nothing doubled when the app dies (issue 11): alice's client process is
//! killed with SIGKILL while it sends numbered messages into an encrypted room, and started
//! again; bob, on a core client, must receive every number exactly once and in order. The
//! CLI is the process here: the same core, store and send queue as the desktop app, started
//! and killed in milliseconds. The test command makes 2 kills; `ESTAFETTE_LEDGER_CLIENT_KILLS`
//! makes more (`cargo xtask proof`: 10). Server crashes are in the core's `ledger.rs`.

#![recursion_limit = "256"]

mod common;

use std::io::{BufRead, BufReader};

use common::*;
use estafette_testkit::chaos::{self, Chaos};

/// Messages each run of the process is given to send.
const MESSAGES_PER_RUN: usize = 10;

fn numbered(items: &[TimelineItem]) -> Vec<String> {
    items
        .iter()
        .filter_map(TimelineItem::as_event)
        .map(|event| event.content.summary())
        .filter(|body| body.starts_with("ledger "))
        .collect()
}

/// Starts `estafette-cli send` with `texts`, waits until it says all are in its queue, then
/// kills it after `delay`: in the middle of sending. Returns how many it had reported sent.
fn send_then_kill(alice: &CliHome, room_id: &str, texts: &[String], delay: Duration) -> usize {
    let mut args = vec!["send", room_id];
    args.extend(texts.iter().map(String::as_str));
    let mut child = alice
        .command(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("the CLI starts");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout piped")).lines();
    loop {
        let line = lines
            .next()
            .expect("the CLI reports its queue before it ends")
            .expect("readable output");
        if serde_json::from_str::<Value>(&line).is_ok_and(|record| record["queued"].is_number()) {
            break;
        }
    }
    std::thread::sleep(delay);
    child.kill().expect("killed");
    child.wait().expect("reaped");
    lines
        .map_while(Result::ok)
        .filter(|line| line.contains("\"sent\""))
        .count()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn messages_from_a_process_killed_mid_send_arrive_once_each_and_in_order() {
    let hs = start().await;
    let bob_dir = tempfile::tempdir().expect("temporary directory");
    let (_bob_manager, bob) = core_user(&hs, "bob", bob_dir.path()).await;
    let alice = Arc::new(CliHome::new("ledger"));
    alice.login(&hs, "alice").await;
    let room_id = dm_accepted_through_the_cli(&hs, &bob, &alice).await;
    wait_for_message_after(&alice, &bob, &room_id).await;

    let kills = chaos::cycles("ESTAFETTE_LEDGER_CLIENT_KILLS", 2);
    let mut chaos = Chaos::from_env("ledger, client kills");
    let mut number = 0;
    let mut batch = || {
        (0..MESSAGES_PER_RUN)
            .map(|_| {
                number += 1;
                format!("ledger {number}")
            })
            .collect::<Vec<_>>()
    };
    for kill in 1..=kills {
        let texts = batch();
        let delay = chaos.between(Duration::ZERO, Duration::from_millis(1500));
        let (alice, room_id) = (alice.clone(), room_id.clone());
        let sent =
            tokio::task::spawn_blocking(move || send_then_kill(&alice, &room_id, &texts, delay))
                .await
                .expect("joined");
        eprintln!(
            "kill {kill}: after {delay:?}, {sent} of its own messages reported sent \
             (what earlier runs left queued goes first)"
        );
    }
    // A last run, left to finish: it sends what the killed ones left queued, then its own.
    let texts = batch();
    let mut args = vec!["send", room_id.as_str()];
    args.extend(texts.iter().map(String::as_str));
    alice.run_ok(&args, None).await;
    let total = (kills + 1) * MESSAGES_PER_RUN;

    let timeline = bob.timeline(&room_id).await.expect("open");
    let expected: Vec<String> = (1..=total).map(|n| format!("ledger {n}")).collect();
    let received = eventually("bob to receive every message", || async {
        while !timeline.paginate_backwards(100).await.expect("paginated") {}
        let received = numbered(&timeline.items().await);
        received
            .contains(&format!("ledger {total}"))
            .then_some(received)
    })
    .await;
    assert_eq!(received, expected, "what bob received");
    eprintln!(
        "proof: {{\"messages\": {total}, \"client_kills\": {kills}, \"lost\": 0, \"doubled\": 0}}"
    );
}

/// Alice encrypts for bob's device only once she knows he joined: one message through first.
async fn wait_for_message_after(alice: &CliHome, bob: &Account, room_id: &str) {
    alice.run_ok(&["send", room_id, "hello"], None).await;
    wait_for_message(bob, room_id, "hello").await;
}
