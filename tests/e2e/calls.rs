//! A call from the app (issue 15): alice starts a video call from her conversation with bob, a
//! core client with GStreamer's test sources that answers as soon as it rings; the call screen
//! shows bob's video decoded in the page, and hanging up brings the conversation back, where
//! the call is told in words.

use std::sync::Arc;

use estafette_calls::{EngineConfig, GstEngine};
use estafette_core::calls::{CallEnd, CallState};
use estafette_e2e::eventually;

use super::World;

#[tokio::test(flavor = "multi_thread")]
async fn a_video_call_to_bob_shows_his_pictures_and_hanging_up_ends_it_on_both_sides() {
    let (world, _driver, app) = World::open(
        "en",
        "a_video_call_to_bob_shows_his_pictures_and_hanging_up_ends_it_on_both_sides",
    )
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

    world.sign_in(&app).await;
    app.click(&app.find("button", "bob").await).await;
    app.click(&app.find("button", "Accept").await).await;
    app.find("textbox", "Message to bob").await;
    let alice = world.server.user_id("alice");
    world.bob.wait_for_member(&world.dm_id, &alice).await;
    world.bob.wait_for_device_of(&alice).await;

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
    // The conversation keeps the call, in words.
    app.wait_for_text("Started a video call").await;
    answering.abort();
    app.close().await;
}
