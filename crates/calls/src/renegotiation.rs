//! A later offer of the other side (`m.call.negotiate`) that only puts the call on hold or
//! takes it back: what Element and Tchap send for "Hold" and "Resume" (every section
//! `a=inactive`, then `a=sendrecv` again).
//!
//! webrtcbin (GStreamer 1.22) takes a later offer that changes nothing, but after a section has
//! been `inactive` it receives nothing more on it, even once `sendrecv` again: a resumed call
//! would stay silent. So such an offer is not given to webrtcbin. It is answered with this
//! side's current description, its directions mirroring the offer's and its version raised,
//! and the engine closes (or opens) what it sends and plays. Transport, keys and codecs stay as
//! they were, which is what such an offer asks.

/// The four directions a media section can have.
const DIRECTIONS: [&str; 4] = ["a=sendrecv", "a=sendonly", "a=recvonly", "a=inactive"];

/// What makes a description the same session: each section's kind and mid, the ICE
/// credentials and the DTLS fingerprints.
fn identity(sdp: &str) -> Vec<String> {
    sdp.lines()
        .map(str::trim_end)
        .filter(|line| {
            line.starts_with("m=")
                || line.starts_with("a=mid:")
                || line.starts_with("a=ice-ufrag:")
                || line.starts_with("a=ice-pwd:")
                || line.starts_with("a=fingerprint:")
        })
        .map(|line| match line.strip_prefix("m=") {
            // The port changes with the candidates gathered since: only the kind counts.
            Some(media) => format!("m={}", media.split(' ').next().unwrap_or_default()),
            None => line.to_owned(),
        })
        .collect()
}

/// Each media section's direction, in order (`a=sendrecv` where none is written).
fn directions(sdp: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    for line in sdp.lines().map(str::trim_end) {
        if line.starts_with("m=") {
            found.push("a=sendrecv");
        } else if let (Some(last), Some(direction)) = (
            found.last_mut(),
            DIRECTIONS.iter().find(|direction| **direction == line),
        ) {
            *last = direction;
        }
    }
    found
}

/// Whether `offer` is the same session as `current` (the other side's description now), only
/// with other directions: a hold or a resume.
pub(crate) fn only_directions_change(current: &str, offer: &str) -> bool {
    let same = identity(current);
    !same.is_empty() && same == identity(offer)
}

/// Whether `offer` puts the call on hold: no section where the other side receives.
pub(crate) fn holds(offer: &str) -> bool {
    let sections = directions(offer);
    !sections.is_empty()
        && sections
            .iter()
            .all(|direction| matches!(*direction, "a=inactive" | "a=sendonly"))
}

/// This side's description `local`, answering `offer`: each section's direction mirrors the
/// offer's, the DTLS role is the one the call settled on (`active` or `passive`, never
/// `actpass` in an answer), and the session version goes up by one.
pub(crate) fn answer_with_directions(local: &str, offer: &str, role: &str) -> String {
    let wanted: Vec<&str> = directions(offer)
        .into_iter()
        .map(|direction| match direction {
            "a=sendonly" => "a=recvonly",
            "a=recvonly" => "a=sendonly",
            other => other,
        })
        .collect();
    let mut section: Option<usize> = None;
    let mut lines: Vec<String> = Vec::new();
    for line in local.lines().map(str::trim_end) {
        if line.starts_with("m=") {
            section = Some(section.map_or(0, |index| index + 1));
            lines.push(line.to_owned());
            if let Some(direction) = section.and_then(|index| wanted.get(index)) {
                lines.push((*direction).to_owned());
            }
        } else if DIRECTIONS.contains(&line) && section.is_some() {
            // Replaced by the one written after the section's `m=` line.
        } else if let Some(origin) = line.strip_prefix("o=") {
            lines.push(format!("o={}", with_next_version(origin)));
        } else if line.starts_with("a=setup:") {
            lines.push(format!("a=setup:{role}"));
        } else {
            lines.push(line.to_owned());
        }
    }
    let mut answer = lines.join("\r\n");
    answer.push_str("\r\n");
    answer
}

/// The DTLS role this side took: the other of the one the other side's answer wrote (an
/// offer says `actpass`, and the answerer picks); `passive` when the other side offered.
pub(crate) fn own_role(remote_answer_setup: Option<&str>) -> &'static str {
    match remote_answer_setup {
        Some("passive") => "active",
        _ => "passive",
    }
}

/// The `a=setup:` value of a description.
pub(crate) fn setup_of(sdp: &str) -> Option<&str> {
    sdp.lines()
        .find_map(|line| line.trim_end().strip_prefix("a=setup:"))
}

/// The payload type `sdp` gives `codec` (`opus`, `vp8`: any case), the first one listed.
pub(crate) fn payload_type(sdp: &str, codec: &str) -> Option<u8> {
    sdp.lines().find_map(|line| {
        let (pt, name) = line.trim_end().strip_prefix("a=rtpmap:")?.split_once(' ')?;
        let (name, _) = name.split_once('/')?;
        if name.eq_ignore_ascii_case(codec) {
            pt.parse::<u8>()
                .ok()
                .filter(|pt| (96..=127).contains(pt) || *pt < 35)
        } else {
            None
        }
    })
}

/// `o=` fields: username, session ID, version, network type, address type, address.
fn with_next_version(origin: &str) -> String {
    let mut fields: Vec<String> = origin.split(' ').map(ToOwned::to_owned).collect();
    if let Some(version) = fields.get_mut(2) {
        let next = version
            .parse::<u64>()
            .map_or(1, |number| number.saturating_add(1));
        *version = next.to_string();
    }
    fields.join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What a browser offers for a video call, as Element sends it (trimmed).
    const OFFER: &str = "v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n\
        a=group:BUNDLE 0 1\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n\
        a=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\na=mid:0\r\na=sendrecv\r\na=rtpmap:111 opus/48000/2\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdefghijkl\r\n\
        a=fingerprint:sha-256 AA:BB\r\na=setup:actpass\r\na=mid:1\r\na=sendrecv\r\na=rtpmap:96 VP8/90000\r\n";

    /// What webrtcbin answered it.
    const ANSWER: &str = "v=0\r\no=- 7001 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0 1\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:wxyz\r\na=ice-pwd:zyxwvutsrqponmlkjihgfe\r\n\
        a=fingerprint:sha-256 CC:DD\r\na=setup:active\r\na=mid:0\r\na=sendrecv\r\na=rtpmap:111 OPUS/48000/2\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 96\r\nc=IN IP4 0.0.0.0\r\na=ice-ufrag:wxyz\r\na=ice-pwd:zyxwvutsrqponmlkjihgfe\r\n\
        a=fingerprint:sha-256 CC:DD\r\na=setup:active\r\na=mid:1\r\na=sendrecv\r\na=rtpmap:96 VP8/90000\r\n";

    fn hold_offer() -> String {
        OFFER
            .replace("a=sendrecv", "a=inactive")
            .replace(" 2 IN IP4", " 3 IN IP4")
            .replace("m=audio 9", "m=audio 51234")
            + "a=candidate:1 1 UDP 2122252543 192.0.2.1 51234 typ host\r\n"
    }

    #[test]
    fn a_hold_and_a_resume_are_told_from_a_new_session() {
        let hold = hold_offer();
        assert!(only_directions_change(OFFER, &hold));
        assert!(holds(&hold));
        let resume = hold.replace("a=inactive", "a=sendrecv");
        assert!(only_directions_change(&hold, &resume));
        assert!(!holds(&resume));
        // A camera added, or new ICE credentials, is a new negotiation for webrtcbin.
        let upgraded = format!("{OFFER}m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:2\r\n");
        assert!(!only_directions_change(OFFER, &upgraded));
        assert!(!only_directions_change(
            OFFER,
            &OFFER.replace("abcd", "efgh")
        ));
        assert!(!only_directions_change("", ""));
    }

    #[test]
    fn a_hold_is_answered_with_the_same_session_its_directions_mirrored() {
        let answer = answer_with_directions(ANSWER, &hold_offer(), "active");
        assert_eq!(answer.matches("a=inactive").count(), 2);
        assert!(!answer.contains("a=sendrecv"));
        assert!(answer.contains("o=- 7001 1 IN IP4 0.0.0.0\r\n"));
        assert_eq!(identity(&answer), identity(ANSWER));
        let sendonly = OFFER.replace("a=sendrecv", "a=sendonly");
        let answered = answer_with_directions(&answer, &sendonly, "active");
        assert_eq!(answered.matches("a=recvonly").count(), 2);
        assert!(answered.contains("o=- 7001 2 IN IP4"));
    }

    #[test]
    fn the_caller_answers_with_the_role_the_call_settled_on() {
        // This side offered (actpass) and the other side answered active: this side is passive.
        assert_eq!(own_role(setup_of(ANSWER)), "passive");
        let answer = answer_with_directions(OFFER, &hold_offer(), own_role(setup_of(ANSWER)));
        assert!(answer.contains("a=setup:passive"));
        assert!(!answer.contains("actpass"));
        assert_eq!(own_role(Some("passive")), "active");
    }
}
