//! Two engines on one machine, their descriptions and candidates passed by hand: media flows
//! both ways, and a muted microphone sends nothing.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

mod support;

use estafette_calls::{EngineConfig, GstEngine, VideoFrame};
use estafette_core::calls::media::{MediaCommand, MediaEngine};
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
