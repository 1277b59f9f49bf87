//! `cargo xtask bench call`: what a call costs and how quick it is, between two real clients on
//! the test Synapse, with GStreamer's test signal instead of devices and ICE on 127.0.0.1.
//!
//! Each of five video calls at 1280x720: the time from bob's accepting to the first picture
//! decoded on each side (the answer crossing the server, ICE, DTLS, a key frame, decoding); then
//! ten times, alice's picture and sound switch from black and silence to white and a tone, and
//! bob's side times when it decodes the change: the end-to-end latency of video (camera frame to
//! decoded frame) and of sound (capture to decoded buffer). During the first call, the process's
//! CPU time over ten seconds, halved: one side of a 720p call. Prints a table; writes
//! `bench-results/call.json`.
//!
//! Then ten times, a round trip of sound: alice's tone reaches bob, whose side answers with a
//! tone the moment it hears it, until alice's side hears it.
//!
//! What it does not measure: the page's own decoding and drawing (WebCodecs, measured at 5.7 ms
//! a 720p frame in shared/notes/calls.md), which comes after the decoded frame timed here.
#![recursion_limit = "256"]

#[path = "../../core/tests/common/mod.rs"]
mod common;
#[path = "../../core/benches/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::{
    sync::Arc,
    time::{Duration, Instant},
};

use common::{encrypted_dm, new_user, start_server};
use estafette_calls::{EngineConfig, GstEngine, Sources};
use estafette_core::{
    Account,
    calls::{CallEnd, CallState},
};
use serde_json::json;
use support::{BenchResult, fail, run_bench, unix_time, write_results};

const CALLS: usize = 5;
const MARKS_PER_CALL: usize = 10;
const CPU_WINDOW: Duration = Duration::from_secs(10);
const SIZE: (u32, u32) = (1280, 720);
const PATIENCE: Duration = Duration::from_secs(60);

fn main() {
    run_bench(run());
}

fn engine() -> BenchResult<Arc<GstEngine>> {
    GstEngine::new(EngineConfig {
        sources: Sources::TestSignal,
        play_audio: false,
        loopback_only: true,
        decode_video: true,
        video_frames: None,
        video_size: SIZE,
        payload_types: Default::default(),
    })
    .map(Arc::new)
    .map_err(fail)
}

/// Polls `probe` every millisecond until it answers, or fails after [`PATIENCE`].
async fn until<T>(what: &str, mut probe: impl FnMut() -> Option<T>) -> BenchResult<T> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = probe() {
            return Ok(value);
        }
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}"));
        }
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
}

fn state_is(account: &Account, call_id: &str, state: CallState) -> Option<()> {
    account
        .calls()
        .current()
        .iter()
        .any(|call| call.call_id == call_id && call.state == state)
        .then_some(())
}

/// User and system CPU time of this process so far (`/proc/self/stat`, at 100 ticks a second).
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The fields after the command's closing parenthesis: state, ppid, ..., utime (the 12th)
    // and stime (the 13th).
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    let field = |index: usize| -> u64 {
        fields
            .get(index)
            .and_then(|value| value.parse().ok())
            .unwrap_or(0)
    };
    let ticks = field(11) + field(12);
    Duration::from_millis(ticks * 10)
}

fn percentile(values: &mut [f64], at: f64) -> f64 {
    values.sort_by(f64::total_cmp);
    if values.is_empty() {
        return 0.0;
    }
    let index = ((values.len() - 1) as f64 * at).round() as usize;
    values[index]
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

async fn run() -> BenchResult<()> {
    let hs = start_server().await;
    let (_alice_device, alice) = new_user(&hs, "alice").await;
    let (_bob_device, bob) = new_user(&hs, "bob").await;
    let room = encrypted_dm(&alice, &bob).await;
    let alice_media = engine()?;
    let bob_media = engine()?;
    alice.calls().use_engine(alice_media.clone());
    bob.calls().use_engine(bob_media.clone());

    let mut to_first_frame_alice = Vec::new();
    let mut to_first_frame_bob = Vec::new();
    let mut video_latency = Vec::new();
    let mut audio_latency = Vec::new();
    let mut audio_round_trip = Vec::new();
    let mut cpu_per_side = 0.0;
    for run in 0..CALLS {
        let alice_before = alice_media.counters().snapshot().video_frames_decoded;
        let bob_before = bob_media.counters().snapshot().video_frames_decoded;
        let call_id = alice.calls().place(&room, true).await.map_err(fail)?;
        until("bob's phone to ring", || {
            state_is(&bob, &call_id, CallState::Ringing)
        })
        .await?;
        let accepted = Instant::now();
        bob.calls().accept(&call_id, true).await.map_err(fail)?;
        let (alice_first, bob_first) = tokio::join!(
            until("alice's first picture", || {
                (alice_media.counters().snapshot().video_frames_decoded > alice_before)
                    .then(Instant::now)
            }),
            until("bob's first picture", || {
                (bob_media.counters().snapshot().video_frames_decoded > bob_before)
                    .then(Instant::now)
            })
        );
        to_first_frame_alice.push(ms(alice_first? - accepted));
        to_first_frame_bob.push(ms(bob_first? - accepted));

        if run == 0 {
            let (cpu_before, wall_before) = (cpu_time(), Instant::now());
            tokio::time::sleep(CPU_WINDOW).await;
            let cpu = cpu_time() - cpu_before;
            cpu_per_side = cpu.as_secs_f64() / wall_before.elapsed().as_secs_f64() / 2.0 * 100.0;
        }

        for _ in 0..MARKS_PER_CALL {
            alice_media.set_test_signal(false);
            // Long enough for bob to see black and hear silence again.
            tokio::time::sleep(Duration::from_millis(700)).await;
            let marked = alice_media.set_test_signal(true);
            let counters = bob_media.counters().clone();
            let seen = until("bob to see alice's picture turn white", || {
                counters
                    .video_signal_seen
                    .lock()
                    .ok()
                    .and_then(|seen| *seen)
                    .filter(|seen| *seen > marked)
            })
            .await?;
            let heard = until("bob to hear alice's tone", || {
                counters
                    .audio_signal_seen
                    .lock()
                    .ok()
                    .and_then(|heard| *heard)
                    .filter(|heard| *heard > marked)
            })
            .await?;
            video_latency.push(ms(seen - marked));
            audio_latency.push(ms(heard - marked));
        }
        // A round trip of sound: alice's tone reaches bob, whose side answers with its own
        // tone the moment it hears it, and alice's side hears that.
        for _ in 0..MARKS_PER_CALL {
            alice_media.set_test_signal(false);
            bob_media.set_test_signal(false);
            tokio::time::sleep(Duration::from_millis(700)).await;
            let spoken = alice_media.set_test_signal(true);
            let bob_counters = bob_media.counters().clone();
            until("bob to hear alice's tone", || {
                bob_counters
                    .audio_signal_seen
                    .lock()
                    .ok()
                    .and_then(|heard| *heard)
                    .filter(|heard| *heard > spoken)
            })
            .await?;
            let answered = bob_media.set_test_signal(true);
            let alice_counters = alice_media.counters().clone();
            let heard_back = until("alice to hear bob's answer", || {
                alice_counters
                    .audio_signal_seen
                    .lock()
                    .ok()
                    .and_then(|heard| *heard)
                    .filter(|heard| *heard > answered)
            })
            .await?;
            audio_round_trip.push(ms(heard_back - spoken));
        }
        alice_media.set_test_signal(false);
        bob_media.set_test_signal(false);
        alice.calls().hang_up(&call_id).await.map_err(fail)?;
        until("bob's side to end", || {
            state_is(&bob, &call_id, CallState::Ended(CallEnd::HungUp))
        })
        .await?;
        alice.calls().dismiss(&call_id);
        bob.calls().dismiss(&call_id);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }

    let figures = json!({
        "measured_at_unix": unix_time(),
        "resolution": format!("{}x{}", SIZE.0, SIZE.1),
        "calls": CALLS,
        "accept_to_first_decoded_frame_ms": {
            "caller_p50": percentile(&mut to_first_frame_alice.clone(), 0.5),
            "callee_p50": percentile(&mut to_first_frame_bob.clone(), 0.5),
            "caller_all": to_first_frame_alice,
            "callee_all": to_first_frame_bob,
        },
        "video_latency_ms": {
            "p50": percentile(&mut video_latency.clone(), 0.5),
            "p90": percentile(&mut video_latency.clone(), 0.9),
            "samples": video_latency.len(),
        },
        "audio_latency_one_way_ms": {
            "p50": percentile(&mut audio_latency.clone(), 0.5),
            "p90": percentile(&mut audio_latency.clone(), 0.9),
            "samples": audio_latency.len(),
        },
        "audio_round_trip_ms": {
            "p50": percentile(&mut audio_round_trip.clone(), 0.5),
            "p90": percentile(&mut audio_round_trip.clone(), 0.9),
            "samples": audio_round_trip.len(),
        },
        "cpu_per_side_percent_of_one_core": cpu_per_side,
    });
    println!("call benchmark ({}x{}, {CALLS} calls)", SIZE.0, SIZE.1);
    println!(
        "  accept to first decoded frame: caller p50 {:.0} ms, callee p50 {:.0} ms",
        figures["accept_to_first_decoded_frame_ms"]["caller_p50"]
            .as_f64()
            .unwrap_or(0.0),
        figures["accept_to_first_decoded_frame_ms"]["callee_p50"]
            .as_f64()
            .unwrap_or(0.0)
    );
    println!(
        "  video latency (camera to decoded): p50 {:.0} ms, p90 {:.0} ms",
        figures["video_latency_ms"]["p50"].as_f64().unwrap_or(0.0),
        figures["video_latency_ms"]["p90"].as_f64().unwrap_or(0.0)
    );
    println!(
        "  sound latency (capture to decoded, one way): p50 {:.0} ms, p90 {:.0} ms",
        figures["audio_latency_one_way_ms"]["p50"]
            .as_f64()
            .unwrap_or(0.0),
        figures["audio_latency_one_way_ms"]["p90"]
            .as_f64()
            .unwrap_or(0.0)
    );
    println!(
        "  sound round trip (alice's tone, bob's answer heard by alice): p50 {:.0} ms, p90 {:.0} ms",
        figures["audio_round_trip_ms"]["p50"]
            .as_f64()
            .unwrap_or(0.0),
        figures["audio_round_trip_ms"]["p90"]
            .as_f64()
            .unwrap_or(0.0)
    );
    println!("  CPU of one side: {cpu_per_side:.0} % of one core");
    write_results("call", &figures)
}
