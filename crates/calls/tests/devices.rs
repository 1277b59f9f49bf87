//! Choosing the microphone and speaker, with a real sound server (PulseAudio with virtual
//! devices): GStreamer lists them as it lists a laptop's, a call opens the ones chosen, moves to
//! others during the call, falls back to the default when one is gone, and closes them all when
//! it ends. PulseAudio itself says which device each stream uses.
//!
//! One test in this file: it points the whole process at its sound server.

mod support;

use std::time::{Duration, Instant};

use estafette_calls::{Device, DeviceChoice, DeviceKind, EngineConfig, GstEngine, Sources};
use estafette_core::calls::media::MediaEngine;
use estafette_testkit::SoundServer;
use support::{connect, setup};

const PATIENCE: Duration = Duration::from_secs(15);

#[test]
fn calls_use_the_devices_chosen_move_to_others_and_close_them_at_the_end() {
    let sound = SoundServer::start(
        &["estafette_mic_one", "estafette_mic_two"],
        &["estafette_speaker_one", "estafette_speaker_two"],
    )
    .expect("pulseaudio starts");
    // The environment is read by GStreamer's PulseAudio elements. This is the only test of
    // this binary and no other thread runs yet (the runtime is built below).
    #[allow(unsafe_code)]
    // SAFETY: no other thread exists that could read the environment at the same time.
    unsafe {
        std::env::set_var("PULSE_SERVER", sound.address());
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("a runtime")
        .block_on(choose_and_switch(&sound));
}

async fn choose_and_switch(sound: &SoundServer) {
    let alice = GstEngine::new(EngineConfig {
        sources: Sources::Devices,
        play_audio: true,
        ..EngineConfig::for_tests()
    })
    .expect("GStreamer is installed");
    let bob = GstEngine::new(EngineConfig::for_tests()).expect("GStreamer is installed");

    let devices = alice.devices();
    println!("{devices:#?}");
    let id = |kind: DeviceKind, name: &str| -> String {
        devices
            .iter()
            .find(|device| device.kind == kind && device.name == name)
            .unwrap_or_else(|| panic!("{name} listed among {devices:#?}"))
            .id
            .clone()
    };
    let microphones: Vec<&Device> = devices
        .iter()
        .filter(|device| device.kind == DeviceKind::Microphone)
        .collect();
    assert_eq!(
        microphones.len(),
        2,
        "the speakers' monitors are not offered as microphones: {microphones:#?}"
    );

    alice
        .use_devices(DeviceChoice {
            microphone: Some(id(DeviceKind::Microphone, "estafette_mic_two")),
            speaker: Some(id(DeviceKind::Speaker, "estafette_speaker_one")),
            camera: None,
        })
        .expect("nothing to move yet");
    assert!(
        sound
            .streams_on("source-outputs")
            .expect("pactl")
            .is_empty(),
        "no device is open before a call"
    );

    let mut caller = alice.start(setup(false)).expect("alice's media");
    let mut callee = bob.start(setup(false)).expect("bob's media");
    connect(&mut caller, &mut callee).await;
    streams_become(sound, "source-outputs", &["estafette_mic_two"]).await;
    streams_become(sound, "sink-inputs", &["estafette_speaker_one"]).await;
    sound_flows_both_ways(&alice, &bob).await;

    alice
        .use_devices(DeviceChoice {
            microphone: Some(id(DeviceKind::Microphone, "estafette_mic_one")),
            speaker: Some(id(DeviceKind::Speaker, "estafette_speaker_two")),
            camera: None,
        })
        .expect("the call moves to the other devices");
    streams_become(sound, "source-outputs", &["estafette_mic_one"]).await;
    streams_become(sound, "sink-inputs", &["estafette_speaker_two"]).await;
    sound_flows_both_ways(&alice, &bob).await;

    // A microphone unplugged since it was chosen: the system's default takes its place.
    alice
        .use_devices(DeviceChoice {
            microphone: Some("Audio/Source:unplugged".into()),
            speaker: Some(id(DeviceKind::Speaker, "estafette_speaker_two")),
            camera: None,
        })
        .expect("the default microphone opens");
    sound_flows_both_ways(&alice, &bob).await;
    assert_eq!(
        sound.streams_on("source-outputs").expect("pactl").len(),
        1,
        "one microphone open, the default"
    );

    drop(caller);
    drop(callee);
    streams_become(sound, "source-outputs", &[]).await;
    streams_become(sound, "sink-inputs", &[]).await;
}

/// Waits until PulseAudio's streams of `kind` are on the devices named, one each.
async fn streams_become(sound: &SoundServer, kind: &str, devices: &[&str]) {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let now = sound.streams_on(kind).expect("pactl answers");
        if now == devices {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "{kind} on {now:?}, expected {devices:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Alice's microphone reaches bob, and bob's sound reaches alice, over the next second.
async fn sound_flows_both_ways(alice: &GstEngine, bob: &GstEngine) {
    let (a, b) = (alice.counters().snapshot(), bob.counters().snapshot());
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (a2, b2) = (alice.counters().snapshot(), bob.counters().snapshot());
    assert!(
        b2.audio_buffers_received > b.audio_buffers_received + 20,
        "bob hears alice: {b:?} then {b2:?}"
    );
    assert!(
        a2.audio_buffers_received > a.audio_buffers_received + 20,
        "alice hears bob: {a:?} then {a2:?}"
    );
}
