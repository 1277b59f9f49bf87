//! Two engines on one machine, their descriptions and candidates passed by hand: media flows
//! both ways, and a muted microphone sends nothing.

use std::{
    sync::{Arc, Mutex},
    time::Duration,
};

mod support;

use estafette_calls::{EngineConfig, GstEngine, PayloadTypes, VideoFrame};
use estafette_core::calls::media::{
    MediaCommand, MediaEngine, MediaEvent, MediaSession, MediaSetup,
};
use support::{connect, exchange, setup};

/// A video call from alice, whose engine hands each picture to `on_frame` as the page gets
/// them, to bob; connected.
async fn video_call_watched_by_alice(
    on_frame: impl Fn(VideoFrame) + Send + Sync + 'static,
) -> (GstEngine, GstEngine, MediaSession, MediaSession) {
    let alice = GstEngine::new(EngineConfig {
        video_frames: Some(Arc::new(on_frame)),
        ..EngineConfig::for_tests()
    })
    .expect("GStreamer is installed");
    let bob = GstEngine::new(EngineConfig::for_tests()).expect("GStreamer is installed");
    let mut caller = alice.start(setup(true)).expect("alice's media");
    let mut callee = bob.start(setup(true)).expect("bob's media");
    connect(&mut caller, &mut callee).await;
    (alice, bob, caller, callee)
}

#[tokio::test(flavor = "multi_thread")]
async fn two_engines_exchange_sound_and_pictures_and_a_muted_microphone_sends_nothing() {
    // Alice's frames go to a page as they would in the app: counted here, keyframes apart.
    let frames = Arc::new(Mutex::new((0u64, 0u64, 0u64)));
    let seen = frames.clone();
    let (alice, bob, caller, _callee) = video_call_watched_by_alice(move |frame| {
        let mut seen = seen.lock().expect("not poisoned");
        match (frame.local, frame.keyframe) {
            (true, _) => seen.2 += 1,
            (false, true) => seen.1 += 1,
            (false, false) => seen.0 += 1,
        }
    })
    .await;
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

/// The payload types a section of `sdp` lists on its `m=` line, by media kind.
fn payload_types(sdp: &str, kind: &str) -> Vec<String> {
    sdp.lines()
        .find_map(|line| line.trim_end().strip_prefix(&format!("m={kind} ")))
        .map(|rest| rest.split(' ').skip(2).map(ToOwned::to_owned).collect())
        .unwrap_or_default()
}

/// The payload type `sdp` maps to `codec` (`opus`, `VP8`), case aside.
fn payload_of(sdp: &str, codec: &str) -> Option<String> {
    sdp.lines().find_map(|line| {
        let (pt, name) = line.trim_end().strip_prefix("a=rtpmap:")?.split_once(' ')?;
        name.to_lowercase()
            .starts_with(&format!("{}/", codec.to_lowercase()))
            .then(|| pt.to_owned())
    })
}

/// Element runs in a browser (Element Web, Desktop's Electron) or on WebRTC's native library
/// (its mobile apps): their offers name Opus and VP8 by payload types of their own (Chrome 111
/// and 96, Firefox 109 and 120), among many codecs and extensions. The answer takes Opus and VP8
/// by the offer's numbers, refuses no section, and picks a DTLS role.
#[tokio::test(flavor = "multi_thread")]
async fn offers_as_browsers_make_them_are_answered_in_their_own_terms() {
    for (browser, offer) in [
        ("chrome", include_str!("fixtures/chrome-offer.sdp")),
        ("firefox", include_str!("fixtures/firefox-offer.sdp")),
    ] {
        let offer = offer.replace('\n', "\r\n");
        let engine = GstEngine::new(EngineConfig::for_tests()).expect("GStreamer is installed");
        let mut session = engine
            .start(MediaSetup {
                answering: Some(offer.clone()),
                ..setup(true)
            })
            .expect("media");
        session
            .commands
            .send(MediaCommand::AnswerOffer(offer.clone()))
            .expect("alive");
        let answer = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match session.events.recv().await {
                    Some(MediaEvent::Answer(sdp)) => return sdp,
                    Some(MediaEvent::Failed(failure)) => panic!("{browser}: {failure}"),
                    Some(_) => {}
                    None => panic!("{browser}: session gone"),
                }
            }
        })
        .await
        .unwrap_or_else(|_| panic!("{browser}: no answer"));
        for (kind, codec) in [("audio", "opus"), ("video", "VP8")] {
            let offered = payload_of(&offer, codec).expect("offered");
            let answered = payload_types(&answer, kind);
            assert!(
                answered.contains(&offered),
                "{browser}: {codec} answered as {:?} (offered as {offered}); {kind} section {answered:?}\n{answer}",
                payload_of(&answer, codec)
            );
            assert_eq!(
                payload_of(&answer, codec).as_deref(),
                Some(offered.as_str()),
                "{browser}\n{answer}"
            );
            let offered_all = payload_types(&offer, kind);
            assert!(
                answered.iter().all(|pt| offered_all.contains(pt)),
                "{browser}: {kind} answers types not offered: {answered:?}\n{answer}"
            );
        }
        assert!(
            !answer.contains("m=audio 0 ") && !answer.contains("m=video 0 "),
            "{browser}: a section refused\n{answer}"
        );
        assert!(
            answer.contains("a=setup:active") || answer.contains("a=setup:passive"),
            "{browser}\n{answer}"
        );
    }
}

/// A peer whose offer names Opus and VP8 by other numbers (Firefox: 109 and 120) expects to
/// receive them under those numbers: the answering side sends as offered.
#[tokio::test(flavor = "multi_thread")]
async fn what_is_sent_follows_the_payload_types_the_offer_chose() {
    let firefox_like = GstEngine::new(EngineConfig {
        payload_types: PayloadTypes {
            opus: 109,
            vp8: 120,
        },
        ..EngineConfig::for_tests()
    })
    .expect("GStreamer is installed");
    let bob = GstEngine::new(EngineConfig::for_tests()).expect("GStreamer is installed");
    let mut caller = firefox_like.start(setup(true)).expect("the caller's media");
    caller
        .commands
        .send(MediaCommand::MakeOffer)
        .expect("alive");
    // The caller's candidates found meanwhile wait for bob's side to exist.
    let mut early = Vec::new();
    let offer = loop {
        match caller.events.recv().await {
            Some(MediaEvent::Offer(sdp)) => break sdp,
            Some(MediaEvent::LocalCandidate(candidate)) => early.push(candidate),
            Some(MediaEvent::Failed(failure)) => panic!("{failure}"),
            Some(_) => {}
            None => panic!("caller gone"),
        }
    };
    assert!(offer.contains("a=rtpmap:120 VP8/90000"), "{offer}");
    // bob answers as the signalling does: his media starts knowing the offer.
    let mut callee = bob
        .start(MediaSetup {
            answering: Some(offer.clone()),
            ..setup(true)
        })
        .expect("bob's media");
    callee
        .commands
        .send(MediaCommand::AnswerOffer(offer))
        .expect("alive");
    callee
        .commands
        .send(MediaCommand::RemoteCandidates(early))
        .expect("alive");
    exchange(&mut caller, &mut callee).await;
    counters_rise(&firefox_like, |counts| {
        counts.video_frames_decoded > 20 && counts.audio_buffers_received > 50
    })
    .await;
    counters_rise(&bob, |counts| {
        counts.video_frames_decoded > 20 && counts.audio_buffers_received > 50
    })
    .await;
}

async fn counters_rise(engine: &GstEngine, enough: impl Fn(estafette_calls::Counts) -> bool) {
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while !enough(engine.counters().snapshot()) {
        assert!(
            std::time::Instant::now() < deadline,
            "too little decoded: {:?}",
            engine.counters().snapshot()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The page asks for a whole picture when it starts showing a call's video: the other side's
/// encoder answers with a key frame at once instead of at its next one, 60 frames apart.
#[tokio::test(flavor = "multi_thread")]
async fn a_key_frame_asked_for_comes_long_before_the_next_one_due() {
    let received = Arc::new(Mutex::new(Vec::<bool>::new()));
    let seen = received.clone();
    let (alice, _bob, _caller, _callee) = video_call_watched_by_alice(move |frame| {
        if !frame.local {
            seen.lock().expect("not poisoned").push(frame.keyframe);
        }
    })
    .await;

    // Ten pictures past a key frame: the next one due is 50 pictures away.
    let frames_since_key = |frames: &[bool]| {
        let last_key = frames.iter().rposition(|keyframe| *keyframe)?;
        Some(frames.len() - 1 - last_key)
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(20);
    let asked_at = loop {
        {
            let frames = received.lock().expect("not poisoned");
            if frames_since_key(&frames).is_some_and(|since| (10..20).contains(&since)) {
                break frames.len();
            }
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no key frame from bob"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    };
    alice.request_key_frame();
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while received.lock().expect("not poisoned").len() < asked_at + 30 {
        assert!(
            std::time::Instant::now() < deadline,
            "bob's pictures stopped"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let frames = received.lock().expect("not poisoned");
    assert!(
        frames[asked_at..asked_at + 30].contains(&true),
        "no key frame within 30 pictures of asking"
    );
}
