//! Two engines on one machine, their descriptions and candidates passed by hand: media flows
//! both ways, and a muted microphone sends nothing.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

mod support;

use estafette_calls::{EngineConfig, GstEngine, VideoFrame};
use estafette_core::calls::media::{MediaCommand, MediaEngine, MediaEvent, MediaSession};
use support::{connect, setup};

#[tokio::test(flavor = "multi_thread")]
async fn two_engines_exchange_sound_and_pictures_and_a_muted_microphone_sends_nothing() {
    // Alice's frames go to a page as they would in the app: counted here, keyframes apart.
    let frames = Arc::new(Mutex::new((0u64, 0u64, 0u64)));
    let seen = frames.clone();
    let alice = GstEngine::new(EngineConfig {
        video_frames: Some(Arc::new(move |frame: VideoFrame| {
            let mut seen = seen.lock().expect("not poisoned");
            match (frame.local, frame.keyframe) {
                (true, _) => seen.2 += 1,
                (false, true) => seen.1 += 1,
                (false, false) => seen.0 += 1,
            }
        })),
        ..EngineConfig::for_tests()
    })
    .expect("GStreamer is installed");
    let bob = GstEngine::new(EngineConfig::for_tests()).expect("GStreamer is installed");
    let mut caller = alice.start(setup(true)).expect("alice's media");
    let mut callee = bob.start(setup(true)).expect("bob's media");
    connect(&mut caller, &mut callee).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    let (a, b) = (alice.counters().snapshot(), bob.counters().snapshot());
    println!("alice {a:?}\nbob {b:?}");
    assert!(
        a.video_frames_decoded > 30 && b.video_frames_decoded > 30,
        "{a:?} {b:?}"
    );
    assert!(
        a.audio_buffers_received > 50 && b.audio_buffers_received > 50,
        "{a:?} {b:?}"
    );

    caller
        .commands
        .send(MediaCommand::SetMicrophoneMuted(true))
        .expect("caller");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let muted_at = alice.counters().snapshot().audio_packets_sent;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(
        alice.counters().snapshot().audio_packets_sent,
        muted_at,
        "no sound sent while muted"
    );
    assert!(alice.counters().snapshot().video_packets_sent > a.video_packets_sent);
}

/// Waits for the answer `session` makes, and the hold it reports, if any.
async fn answer_of(session: &mut MediaSession, hold_expected: bool) -> String {
    tokio::time::timeout(Duration::from_secs(10), async {
        let mut answer = None;
        let mut held = None;
        while answer.is_none() || held.is_none() {
            match session.events.recv().await {
                Some(MediaEvent::Answer(sdp)) => answer = Some(sdp),
                Some(MediaEvent::HeldByPeer(on)) => held = Some(on),
                Some(MediaEvent::Failed(failure)) => panic!("failed: {failure}"),
                Some(_) => {}
                None => panic!("session gone"),
            }
        }
        assert_eq!(held, Some(hold_expected));
        answer.unwrap_or_default()
    })
    .await
    .expect("answered within 10 s")
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_put_on_hold_as_element_does_sends_nothing_until_resumed() {
    let alice = GstEngine::new(EngineConfig::for_tests()).expect("GStreamer is installed");
    let bob = GstEngine::new(EngineConfig::for_tests()).expect("GStreamer is installed");
    let mut caller = alice.start(setup(true)).expect("alice's media");
    let mut callee = bob.start(setup(true)).expect("bob's media");
    let offer = connect(&mut caller, &mut callee).await;
    tokio::time::sleep(Duration::from_secs(1)).await;

    // Alice's client holds as Element does: the same session offered again, every section
    // inactive (`m.call.negotiate`).
    let hold = offer
        .replace("a=sendrecv", "a=inactive")
        .replace("a=sendonly", "a=inactive");
    callee
        .commands
        .send(MediaCommand::AnswerOffer(hold))
        .expect("alive");
    let answer = answer_of(&mut callee, true).await;
    assert!(
        answer.contains("a=inactive") && !answer.contains("a=sendrecv"),
        "{answer}"
    );
    assert!(!answer.contains("actpass"), "{answer}");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let held = bob.counters().snapshot();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let still = bob.counters().snapshot();
    assert_eq!(
        (still.audio_packets_sent, still.video_packets_sent),
        (held.audio_packets_sent, held.video_packets_sent),
        "bob sends nothing while held"
    );

    // Resumed: sendrecv again, and bob's sound and pictures reach alice again.
    let before = alice.counters().snapshot();
    callee
        .commands
        .send(MediaCommand::AnswerOffer(offer))
        .expect("alive");
    let answer = answer_of(&mut callee, false).await;
    assert!(answer.contains("a=sendrecv"), "{answer}");
    tokio::time::sleep(Duration::from_secs(2)).await;
    let after = alice.counters().snapshot();
    assert!(
        after.audio_buffers_received > before.audio_buffers_received + 50,
        "{before:?} {after:?}"
    );
    assert!(
        after.video_frames_decoded > before.video_frames_decoded + 20,
        "{before:?} {after:?}"
    );
}
