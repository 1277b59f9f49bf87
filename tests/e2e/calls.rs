//! A call from the app (issue 15): alice starts a video call from her conversation with bob, a
//! core client with GStreamer's test sources that answers as soon as it rings; the call screen
//! shows bob's video decoded in the page, and hanging up brings the conversation back, where
//! the call is told in words ("Video call · Ended, lasted 12 s"). During the call, alice picks
//! her microphone among those of a real sound server (PulseAudio with virtual devices).
//!
//! A call alice does not answer stops ringing when bob's invite expires, and her conversation
//! marks it missed, with a button to call bob back.

use std::sync::Arc;

use estafette_calls::{EngineConfig, GstEngine};
use estafette_core::calls::{CallEnd, CallState};
use estafette_e2e::{Key, TauriDriver, eventually};
use estafette_testkit::SoundServer;

use super::World;

/// alice signs in, accepts bob's conversation, and bob's client knows her device: calls can go
/// either way.
async fn signed_in_with_bob(world: &World, app: &estafette_e2e::AppWindow) {
    world.sign_in(app).await;
    app.click(&app.find("button", "bob").await).await;
    app.click(&app.find("button", "Accept").await).await;
    app.find("textbox", "Message to bob").await;
    let alice = world.server.user_id("alice");
    world.bob.wait_for_member(&world.dm_id, &alice).await;
    world.bob.wait_for_device_of(&alice).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_video_call_to_bob_shows_his_pictures_and_hanging_up_ends_it_on_both_sides() {
    let world = World::new("en").await;
    let sound = SoundServer::start(
        &["estafette_mic_one", "estafette_mic_two"],
        &["estafette_speaker"],
    )
    .expect("pulseaudio starts");
    let mut environment = world.alice.environment(&world.display);
    environment.push(("PULSE_SERVER".into(), sound.address()));
    let driver = TauriDriver::start(&environment);
    let app = driver
        .launch("a_video_call_to_bob_shows_his_pictures_and_hanging_up_ends_it_on_both_sides")
        .await;
    // bob answers every call with his camera. Ringing is all his client needs to see.
    let bob_media = Arc::new(GstEngine::new(EngineConfig::for_tests()).expect("GStreamer"));
    world.bob.account.calls().use_engine(bob_media.clone());
    let bob = world.bob.account.clone();
    let answering = tokio::spawn(async move {
        let mut calls = bob.calls().list();
        let mut answered = Vec::new();
        while let Some(current) = calls.next().await {
            for call in current {
                if call.state == CallState::Ringing && !answered.contains(&call.call_id) {
                    answered.push(call.call_id.clone());
                    bob.calls()
                        .accept(&call.call_id, true)
                        .await
                        .expect("bob answers");
                }
            }
        }
    });

    signed_in_with_bob(&world, &app).await;

    app.click_named("button", "Start a video call with bob")
        .await;
    app.find("dialog", "Call with bob").await;
    app.find_containing("status", "Duration").await;
    // bob's pictures, decoded by WebCodecs in the page and drawn: frames keep coming.
    // (Names in the interface's words are wrapped in bidi isolates.)
    let drawn = r#"return Number([...document.querySelectorAll("[role=img]")]
        .find((element) => element.getAttribute("aria-label").replace(/[\u2066-\u2069]/g, "") === "bob's video")
        ?.querySelector("canvas")?.dataset.frames ?? 0);"#;
    let first = eventually("bob's video to be drawn in the page", || async {
        let frames = app.execute(drawn, serde_json::json!([])).await.as_u64()?;
        (frames >= 10).then_some(frames)
    })
    .await;
    eventually("bob's video to keep coming", || async {
        let frames = app.execute(drawn, serde_json::json!([])).await.as_u64()?;
        (frames >= first + 30).then_some(())
    })
    .await;
    // Alice's test sources reached bob's client too.
    eventually("bob to receive alice's sound and pictures", || async {
        let counts = bob_media.counters().snapshot();
        (counts.video_frames_decoded > 30 && counts.audio_buffers_received > 50).then_some(())
    })
    .await;
    // The focus went into the call screen, on "Hang up".
    let focused = "return document.activeElement?.textContent.trim();";
    assert_eq!(
        app.execute(focused, serde_json::json!([])).await.as_str(),
        Some("Hang up")
    );

    // The devices: the choice opens with the focus in it, lists this computer's microphones,
    // saves the one picked, and Escape closes it (not the call screen), the focus back on its
    // button.
    app.click_named("button", "Choose the microphone, camera and speaker")
        .await;
    let focused_id = "return document.activeElement?.id;";
    eventually("the focus to move to the microphone's choice", || async {
        let id = app.execute(focused_id, serde_json::json!([])).await;
        (id.as_str() == Some("call-microphone")).then_some(())
    })
    .await;
    app.find("option", "estafette_speaker").await;
    app.click(&app.find("option", "estafette_mic_two").await)
        .await;
    let preferences = world.alice.data_dir.path().join("preferences.json");
    eventually("the microphone chosen to be saved", || async {
        let saved = std::fs::read_to_string(&preferences).ok()?;
        saved
            .contains(r#""call_microphone": "Audio/Source:estafette_mic_two""#)
            .then_some(())
    })
    .await;
    app.press(&Key::Escape.code().to_string()).await;
    eventually("Escape to close the choice, not the call", || async {
        let text = app.execute(focused, serde_json::json!([])).await;
        (text.as_str() == Some("Choose the microphone, camera and speaker")).then_some(())
    })
    .await;
    app.find("dialog", "Call with bob").await;
    assert_eq!(app.count("combobox", "Microphone").await, 0);

    app.click_named("button", "Hang up").await;
    app.find_containing("alert", "You ended the call.").await;
    let bob_ended = tokio::time::timeout(estafette_e2e::PATIENCE, async {
        loop {
            let calls = world.bob.account.calls().current();
            if calls
                .iter()
                .any(|call| call.state == CallState::Ended(CallEnd::HungUp))
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    })
    .await;
    assert!(
        bob_ended.is_ok(),
        "bob's side did not end as hung up: {:#?}",
        world.bob.account.calls().current()
    );
    app.click_named("button", "Close").await;
    app.wait_until_gone("dialog", "Call with bob").await;
    app.find("textbox", "Message to bob").await;
    // The conversation keeps the call, in words: what it was, and how long it lasted.
    app.wait_for_text("Video call").await;
    app.wait_for_text("Ended, lasted").await;
    answering.abort();
    app.close().await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_alice_does_not_answer_shows_as_missed_and_she_can_call_back() {
    let (world, _driver, app) = World::open(
        "en",
        "a_call_alice_does_not_answer_shows_as_missed_and_she_can_call_back",
    )
    .await;
    let bob_media = Arc::new(GstEngine::new(EngineConfig::for_tests()).expect("GStreamer"));
    world.bob.account.calls().use_engine(bob_media);
    world
        .bob
        .account
        .calls()
        .set_ring_duration(std::time::Duration::from_secs(8));

    signed_in_with_bob(&world, &app).await;

    let call_id = world
        .bob
        .account
        .calls()
        .place(&world.dm_id, false)
        .await
        .expect("bob calls");
    app.find_containing("alertdialog", "is calling you").await;
    // Nobody answers: the ringing stops by itself, and the conversation says what happened.
    app.wait_until_gone("alertdialog", "bob is calling you")
        .await;
    app.wait_for_text("Missed voice call").await;
    // No call screen for a call that only rang here.
    assert_eq!(app.count("dialog", "Call with bob").await, 0);
    eventually("bob's side to end as unanswered", || async {
        world
            .bob
            .account
            .calls()
            .current()
            .iter()
            .any(|call| {
                call.call_id == call_id && call.state == CallState::Ended(CallEnd::NoAnswer)
            })
            .then_some(())
    })
    .await;

    app.click_named("button", "Call bob back").await;
    app.find("dialog", "Call with bob").await;
    eventually("bob's phone to ring", || async {
        world
            .bob
            .account
            .calls()
            .current()
            .iter()
            .any(|call| call.state == CallState::Ringing)
            .then_some(())
    })
    .await;
    app.click_named("button", "Hang up").await;
    app.find_containing("alert", "You ended the call.").await;
    app.close().await;
}
