//! What became of each call of a conversation, for its timeline: answered and for how long,
//! declined, or missed.
//!
//! The timeline shows a call by its invite only (the SDK keeps no row for answers and
//! hangups), so the outcome is read from the room's event cache, which holds every event sync
//! and back-pagination brought, those included, and survives restarts. A call of last week
//! missed while the app was closed reads as missed as well as one missed a minute ago.

use std::time::Duration;

use matrix_sdk::{
    Room,
    deserialized_responses::TimelineEvent,
    event_cache::RoomEventCacheUpdate,
    ruma::{MilliSecondsSinceUnixEpoch, UserId},
};
use serde::{Deserialize, Serialize};
use tokio::sync::broadcast::error::RecvError;

use crate::subscription::Subscription;

/// One call of the conversation, for the row of its invite.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct CallRecord {
    pub call_id: String,
    /// The invite's event: the timeline row this record completes.
    pub event_id: String,
    pub video: bool,
    /// Placed by this user (on any of their devices).
    pub outgoing: bool,
    pub outcome: CallOutcome,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(tag = "outcome", rename_all = "snake_case")]
pub enum CallOutcome {
    /// Not answered yet, and its invite still valid.
    Ringing,
    /// Answered, not ended yet.
    Ongoing,
    /// Answered, then ended after this long.
    Ended { duration_ms: u64 },
    /// Refused by the person called.
    Declined,
    /// The person called was in another call.
    Busy,
    /// Never answered: missed (called) or unanswered (calling).
    Unanswered,
}

/// The lifetime an invite without one is given: what Element sends.
const DEFAULT_LIFETIME_MS: u64 = 90_000;

/// What one call event says, as far as its outcome goes.
#[derive(Debug)]
enum Step {
    Invite {
        event_id: String,
        sender_is_me: bool,
        video: bool,
        lifetime_ms: u64,
    },
    Answer,
    Reject,
    Hangup {
        busy: bool,
    },
}

/// The calls whose invite is among `events` (oldest first), with their outcome at `now_ms`.
pub(crate) fn records_of(events: &[TimelineEvent], me: &UserId, now_ms: u64) -> Vec<CallRecord> {
    struct Progress {
        record: CallRecord,
        invited_ms: u64,
        lifetime_ms: u64,
        answered_ms: Option<u64>,
        ended_ms: Option<u64>,
        declined: bool,
        busy: bool,
    }
    let mut calls: Vec<Progress> = Vec::new();
    for event in events {
        let Some((call_id, step)) = step_of(event, me) else {
            continue;
        };
        let at = event
            .timestamp()
            .map(|ts| u64::from(ts.get()))
            .unwrap_or(now_ms);
        if let Step::Invite {
            event_id,
            sender_is_me,
            video,
            lifetime_ms,
        } = step
        {
            if !calls.iter().any(|call| call.record.call_id == call_id) {
                calls.push(Progress {
                    record: CallRecord {
                        call_id,
                        event_id,
                        video,
                        outgoing: sender_is_me,
                        outcome: CallOutcome::Ringing,
                    },
                    invited_ms: at,
                    lifetime_ms,
                    answered_ms: None,
                    ended_ms: None,
                    declined: false,
                    busy: false,
                });
            }
            continue;
        }
        let Some(call) = calls.iter_mut().find(|call| call.record.call_id == call_id) else {
            continue;
        };
        match step {
            Step::Invite { .. } => {}
            Step::Answer => {
                call.answered_ms.get_or_insert(at);
            }
            Step::Reject => call.declined |= call.answered_ms.is_none(),
            Step::Hangup { busy } => {
                if call.ended_ms.is_none() {
                    call.ended_ms = Some(at);
                    call.busy = busy && call.answered_ms.is_none();
                }
            }
        }
    }
    calls
        .into_iter()
        .map(|call| {
            let expired = now_ms >= call.invited_ms.saturating_add(call.lifetime_ms);
            let outcome = match (call.answered_ms, call.ended_ms) {
                (Some(answered), Some(ended)) => CallOutcome::Ended {
                    duration_ms: ended.saturating_sub(answered),
                },
                (Some(_), None) => CallOutcome::Ongoing,
                (None, _) if call.declined => CallOutcome::Declined,
                (None, _) if call.busy => CallOutcome::Busy,
                (None, Some(_)) => CallOutcome::Unanswered,
                (None, None) if expired => CallOutcome::Unanswered,
                (None, None) => CallOutcome::Ringing,
            };
            CallRecord {
                outcome,
                ..call.record
            }
        })
        .collect()
}

fn step_of(event: &TimelineEvent, me: &UserId) -> Option<(String, Step)> {
    let raw = event.raw();
    let kind = raw.get_field::<String>("type").ok().flatten()?;
    if !kind.starts_with("m.call.") {
        return None;
    }
    let content = raw
        .get_field::<serde_json::Value>("content")
        .ok()
        .flatten()?;
    let call_id = content["call_id"].as_str()?.to_owned();
    let step = match kind.as_str() {
        "m.call.invite" => Step::Invite {
            event_id: event.event_id()?.to_string(),
            sender_is_me: event.sender().as_deref() == Some(me),
            video: content["offer"]["sdp"]
                .as_str()
                .is_some_and(super::signalling::offers_video),
            lifetime_ms: content["lifetime"].as_u64().unwrap_or(DEFAULT_LIFETIME_MS),
        },
        "m.call.answer" => Step::Answer,
        "m.call.reject" => Step::Reject,
        "m.call.hangup" => Step::Hangup {
            busy: content["reason"].as_str() == Some("user_busy"),
        },
        _ => return None,
    };
    Some((call_id, step))
}

fn now_ms() -> u64 {
    u64::from(MilliSecondsSinceUnixEpoch::now().get())
}

/// The calls of `room` now, then each time one changes: an answer, a hangup, an invite whose
/// lifetime ends, or older calls brought by back-pagination.
pub(crate) fn watch(
    room: Room,
    me: matrix_sdk::ruma::OwnedUserId,
) -> Subscription<Vec<CallRecord>> {
    Subscription::spawn(|sender| async move {
        let Ok((cache, _handles)) = room.event_cache().await else {
            return;
        };
        let Ok((events, mut updates)) = cache.subscribe().await else {
            return;
        };
        let mut shown = records_of(&events, &me, now_ms());
        if !sender.send(shown.clone()) {
            return;
        }
        loop {
            // A call still ringing turns to missed when its invite expires, with no event.
            let ringing = shown
                .iter()
                .any(|record| record.outcome == CallOutcome::Ringing);
            let check_at = tokio::time::Instant::now()
                + if ringing {
                    Duration::from_secs(5)
                } else {
                    Duration::from_secs(3600)
                };
            loop {
                tokio::select! {
                    update = updates.recv() => match update {
                        // Only new or changed events can change a call: read receipts, typing
                        // and members, which come far more often, are not worth reading the
                        // room for.
                        Ok(RoomEventCacheUpdate::UpdateTimelineEvents(_))
                        | Err(RecvError::Lagged(_)) => break,
                        Ok(_) => {}
                        Err(RecvError::Closed) => return,
                    },
                    () = tokio::time::sleep_until(check_at) => break,
                }
            }
            let Ok(events) = cache.events().await else {
                return;
            };
            let now = records_of(&events, &me, now_ms());
            if now != shown {
                if !sender.send(now.clone()) {
                    return;
                }
                shown = now;
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use matrix_sdk::ruma::{owned_user_id, serde::Raw};
    use serde_json::json;

    use super::*;

    fn event(kind: &str, sender: &str, ts: u64, content: serde_json::Value) -> TimelineEvent {
        let raw = Raw::new(&json!({
            "type": kind,
            "event_id": format!("${kind}{ts}"),
            "sender": sender,
            "origin_server_ts": ts,
            "content": content,
        }))
        .expect("serialised")
        .cast_unchecked();
        TimelineEvent::from_plaintext(raw)
    }

    fn invite(sender: &str, call: &str, ts: u64, video: bool) -> TimelineEvent {
        let sdp = if video {
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\n"
        } else {
            "v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\n"
        };
        event(
            "m.call.invite",
            sender,
            ts,
            json!({ "call_id": call, "version": "1", "party_id": "p", "lifetime": 60_000,
                    "offer": { "type": "offer", "sdp": sdp } }),
        )
    }

    fn step(
        kind: &str,
        sender: &str,
        call: &str,
        ts: u64,
        extra: serde_json::Value,
    ) -> TimelineEvent {
        let mut content = json!({ "call_id": call, "version": "1", "party_id": "q" });
        if let (Some(content), Some(extra)) = (content.as_object_mut(), extra.as_object()) {
            content.extend(extra.clone());
        }
        event(kind, sender, ts, content)
    }

    #[test]
    fn each_call_reads_as_answered_declined_busy_missed_or_ringing() {
        let me = owned_user_id!("@alice:example.org");
        let bob = "@bob:example.org";
        let events = vec![
            // Answered, then hung up 65 s later.
            invite(bob, "answered", 1_000, true),
            step(
                "m.call.answer",
                "@alice:example.org",
                "answered",
                5_000,
                json!({}),
            ),
            step(
                "m.call.hangup",
                bob,
                "answered",
                70_000,
                json!({ "reason": "user_hangup" }),
            ),
            // Declined by bob.
            invite("@alice:example.org", "declined", 100_000, false),
            step("m.call.reject", bob, "declined", 102_000, json!({})),
            // bob was in another call.
            invite("@alice:example.org", "busy", 200_000, false),
            step(
                "m.call.hangup",
                bob,
                "busy",
                200_500,
                json!({ "reason": "user_busy" }),
            ),
            // bob gave up: missed.
            invite(bob, "missed", 300_000, false),
            step(
                "m.call.hangup",
                bob,
                "missed",
                330_000,
                json!({ "reason": "invite_timeout" }),
            ),
            // Nobody ever ended it, but its invite expired: missed too.
            invite(bob, "expired", 400_000, false),
            // Still ringing.
            invite(bob, "ringing", 1_000_000, false),
            // An answer to a call whose invite is not loaded changes nothing.
            step("m.call.answer", bob, "unknown", 1_000_100, json!({})),
        ];
        let records = records_of(&events, &me, 1_010_000);
        let outcomes: Vec<(&str, bool, bool, CallOutcome)> = records
            .iter()
            .map(|r| (r.call_id.as_str(), r.outgoing, r.video, r.outcome))
            .collect();
        assert_eq!(
            outcomes,
            vec![
                (
                    "answered",
                    false,
                    true,
                    CallOutcome::Ended {
                        duration_ms: 65_000
                    }
                ),
                ("declined", true, false, CallOutcome::Declined),
                ("busy", true, false, CallOutcome::Busy),
                ("missed", false, false, CallOutcome::Unanswered),
                ("expired", false, false, CallOutcome::Unanswered),
                ("ringing", false, false, CallOutcome::Ringing),
            ]
        );
        assert_eq!(records[0].event_id, "$m.call.invite1000");
        // Its lifetime over, the last one is missed as well.
        assert_eq!(
            records_of(&events, &me, 1_070_000)
                .last()
                .map(|r| r.outcome),
            Some(CallOutcome::Unanswered)
        );
    }

    #[test]
    fn hostile_call_events_are_left_out_without_failing() {
        let me = owned_user_id!("@alice:example.org");
        let events = vec![
            event(
                "m.call.invite",
                "@bob:example.org",
                1,
                json!({ "call_id": 42 }),
            ),
            event(
                "m.call.invite",
                "@bob:example.org",
                2,
                json!("not an object"),
            ),
            event("m.call.hangup", "@bob:example.org", 3, json!({})),
            event(
                "m.call.invite",
                "@bob:example.org",
                4,
                json!({ "call_id": "c", "lifetime": -5, "offer": 7 }),
            ),
        ];
        let records = records_of(&events, &me, 10);
        assert_eq!(records.len(), 1);
        assert_eq!(records[0].outcome, CallOutcome::Ringing);
        assert!(!records[0].video);
    }
}
