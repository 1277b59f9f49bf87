//! What the engine tests share: two sessions connected by passing each side's reports to the
//! other by hand.

use std::time::Duration;

use estafette_core::calls::media::{MediaCommand, MediaEvent, MediaSession, MediaSetup};

/// A call with or without video, on loopback, without relays.
pub fn setup(video: bool) -> MediaSetup {
    MediaSetup {
        video,
        ice_servers: Vec::new(),
        relay_only: false,
        answering: None,
    }
}

/// Passes everything one side reports to the other, until both are connected; returns the
/// caller's offer.
pub async fn connect(caller: &mut MediaSession, callee: &mut MediaSession) -> String {
    caller
        .commands
        .send(MediaCommand::MakeOffer)
        .expect("caller alive");
    exchange(caller, callee).await
}

/// The rest of a call's set-up once the caller was asked for an offer (or made it, already
/// handed to the callee): each side's reports go to the other until both are connected.
/// Returns the offer, when it passed through here.
pub async fn exchange(caller: &mut MediaSession, callee: &mut MediaSession) -> String {
    let mut connected = (false, false);
    let mut offer = String::new();
    tokio::time::timeout(Duration::from_secs(20), async {
        while !(connected.0 && connected.1) {
            tokio::select! {
                Some(event) = caller.events.recv() => match event {
                    MediaEvent::Offer(sdp) => {
                        offer = sdp.clone();
                        callee.commands.send(MediaCommand::AnswerOffer(sdp)).expect("callee");
                    }
                    MediaEvent::LocalCandidate(c) => callee.commands.send(MediaCommand::RemoteCandidates(vec![c])).expect("callee"),
                    MediaEvent::Connected => connected.0 = true,
                    MediaEvent::Failed(failure) => panic!("caller failed: {failure}"),
                    _ => {}
                },
                Some(event) = callee.events.recv() => match event {
                    MediaEvent::Answer(sdp) => caller.commands.send(MediaCommand::TakeAnswer(sdp)).expect("caller"),
                    MediaEvent::LocalCandidate(c) => caller.commands.send(MediaCommand::RemoteCandidates(vec![c])).expect("caller"),
                    MediaEvent::Connected => connected.1 = true,
                    MediaEvent::Failed(failure) => panic!("callee failed: {failure}"),
                    _ => {}
                },
            }
        }
    })
    .await
    .expect("both sides connected within 20 s");
    offer
}
