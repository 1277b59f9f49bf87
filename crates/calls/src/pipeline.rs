//! The GStreamer pipelines of a call: what is sent, and what is done with what arrives.

use estafette_core::calls::media::{IceServer, MediaFailure, MediaSetup};

use crate::{EngineConfig, PayloadTypes};

/// Where the microphone and camera feed the pipeline, and where the speaker is fed from.
pub(crate) const MICROPHONE_IN: &str = "microphone_in";
pub(crate) const CAMERA_IN: &str = "camera_in";
pub(crate) const SPEAKER_OUT: &str = "speaker_out";

/// The elements every call needs, with the package that brings them on Debian and Ubuntu.
const NEEDED: &[(&str, &str)] = &[
    ("webrtcbin", "gstreamer1.0-plugins-bad"),
    ("webrtcdsp", "gstreamer1.0-plugins-bad"),
    ("nicesrc", "gstreamer1.0-nice"),
    ("opusenc", "gstreamer1.0-plugins-base"),
    ("vp8enc", "gstreamer1.0-plugins-good"),
    ("rtpvp8pay", "gstreamer1.0-plugins-good"),
    ("valve", "gstreamer1.0 (core)"),
];

pub(crate) fn check_elements() -> Result<(), MediaFailure> {
    let missing: Vec<String> = NEEDED
        .iter()
        .filter(|(element, _)| gstreamer::ElementFactory::find(element).is_none())
        .map(|(element, package)| format!("{element} ({package})"))
        .collect();
    if !missing.is_empty() {
        return Err(MediaFailure::Engine(format!(
            "GStreamer elements missing: {}",
            missing.join(", ")
        )));
    }
    Ok(())
}

/// The whole sending side and webrtcbin, for `gst_parse_launch`. Bundling is offered the way
/// browsers understand best (`max-compat`: every section with its own port in a BUNDLE group);
/// `max-bundle` marks later sections `bundle-only` with port 0, which older peers read as
/// refused (shared/notes/calls.md). Named elements:
/// `webrtc`, `microphone` and `camera` (valves: closed while muted), `hold_audio`, `hold_video`
/// and `hold_playback` (valves: closed while the call is on hold), `audiopay`, `videopay`
/// (packets counted), `preview` (this side's encoded frames), `playback` (where the other
/// side's sound goes, through the echo canceller's probe). The devices are not in it: they are
/// linked to [`MICROPHONE_IN`], [`CAMERA_IN`] and [`SPEAKER_OUT`] ([`endpoint`]).
pub(crate) fn description(
    config: &EngineConfig,
    setup: &MediaSetup,
    payload_types: PayloadTypes,
    id: u64,
) -> String {
    let policy = if setup.relay_only { "relay" } else { "all" };
    let PayloadTypes { opus, vp8 } = payload_types;
    let mut launch = format!(
        "webrtcbin name=webrtc bundle-policy=max-compat ice-transport-policy={policy} \
         audioconvert name={MICROPHONE_IN} ! audioresample ! audio/x-raw,rate=48000,channels=1 \
         ! webrtcdsp probe=echo{id} ! audioconvert ! valve name=microphone drop=false \
         ! valve name=hold_audio drop=false \
         ! opusenc ! rtpopuspay name=audiopay pt={opus} \
         ! capsfilter name=audiocaps caps=application/x-rtp,media=audio,encoding-name=OPUS,payload={opus} \
         ! webrtc. \
         funnel name=playback ! valve name=hold_playback drop=false ! queue ! audioconvert ! audioresample \
         ! webrtcechoprobe name=echo{id} ! audioconvert name={SPEAKER_OUT} ",
    );
    if setup.video {
        launch.push_str(&format!(
            "videoconvert name={CAMERA_IN} ! videoscale ! videorate \
             ! video/x-raw,width={width},height={height},framerate=30/1 \
             ! valve name=camera drop=false ! valve name=hold_video drop=false \
             ! vp8enc deadline=1 cpu-used=8 keyframe-max-dist=60 target-bitrate={bitrate} \
               error-resilient=partitions \
             ! tee name=encoded ! queue ! rtpvp8pay name=videopay pt={vp8} picture-id-mode=15-bit \
             ! capsfilter name=videocaps caps=application/x-rtp,media=video,encoding-name=VP8,payload={vp8} \
             ! webrtc. \
             encoded. ! queue leaky=downstream max-size-buffers=5 \
             ! appsink name=preview sync=false emit-signals=false drop=true max-buffers=5 ",
            width = config.video_size.0,
            height = config.video_size.1,
            // About 0.1 bit a pixel at 30 frames a second: 700 kbit/s at 640x360, 2.8 at 720p.
            bitrate = u64::from(config.video_size.0) * u64::from(config.video_size.1) * 3,
        ));
    }
    launch
}

/// What to do with an incoming stream, by its media kind. Named elements: `decoded`
/// (audio buffers or video frames decoded, counted), `remote` (the other side's encoded frames).
pub(crate) fn receiving(media: &str, config: &EngineConfig) -> Option<String> {
    match media {
        "audio" => Some(
            "queue ! rtpopusdepay ! opusdec name=decoded ! audioconvert ! audioresample ! queue"
                .into(),
        ),
        "video" => {
            let mut launch = String::from(
                "queue ! rtpvp8depay ! tee name=frames \
                 frames. ! queue leaky=downstream max-size-buffers=5 \
                 ! appsink name=remote sync=false emit-signals=false drop=true max-buffers=5 ",
            );
            if config.decode_video {
                launch.push_str(
                    "frames. ! queue ! vp8dec name=decoded ! fakesink sync=false async=false",
                );
            }
            Some(launch)
        }
        _ => None,
    }
}

/// webrtcbin's TURN URI for each relay the homeserver offers: `turn(s)://user:pass@host:port`,
/// the credentials percent-encoded (Synapse's usernames hold a `:`).
pub(crate) fn turn_uris(servers: &[IceServer]) -> Vec<String> {
    let mut uris = Vec::new();
    for server in servers {
        let (Some(username), Some(credential)) = (&server.username, &server.credential) else {
            continue;
        };
        for url in &server.urls {
            let (scheme, rest) = if let Some(rest) = url.strip_prefix("turns:") {
                ("turns", rest)
            } else if let Some(rest) = url.strip_prefix("turn:") {
                ("turn", rest)
            } else {
                continue;
            };
            // `?transport=udp` stays as webrtcbin reads it.
            uris.push(format!(
                "{scheme}://{}:{}@{}",
                percent_encoded(username),
                percent_encoded(credential),
                rest.trim_start_matches("//"),
            ));
        }
    }
    uris
}

/// The first STUN server offered, as webrtcbin's `stun-server` (`stun://host:port`).
pub(crate) fn stun_uri(servers: &[IceServer]) -> Option<String> {
    servers
        .iter()
        .flat_map(|server| &server.urls)
        .find_map(|url| url.strip_prefix("stun:"))
        .map(|rest| format!("stun://{}", rest.trim_start_matches("//")))
}

fn percent_encoded(text: &str) -> String {
    let mut encoded = String::with_capacity(text.len());
    for byte in text.bytes() {
        if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
            encoded.push(byte as char);
        } else {
            encoded.push_str(&format!("%{byte:02X}"));
        }
    }
    encoded
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn turn_credentials_are_percent_encoded_in_the_uri() {
        let servers = [IceServer {
            urls: vec![
                "turn:turn.example.gouv.fr:3478?transport=udp".into(),
                "turns:turn.example.gouv.fr:5349".into(),
                "stun:stun.example.gouv.fr:3478".into(),
            ],
            username: Some("1700000000:@alice:example.gouv.fr".into()),
            credential: Some("a/b+c=".into()),
        }];
        assert_eq!(
            turn_uris(&servers),
            vec![
                "turn://1700000000%3A%40alice%3Aexample.gouv.fr:a%2Fb%2Bc%3D@turn.example.gouv.fr:3478?transport=udp",
                "turns://1700000000%3A%40alice%3Aexample.gouv.fr:a%2Fb%2Bc%3D@turn.example.gouv.fr:5349",
            ]
        );
        assert_eq!(
            stun_uri(&servers).as_deref(),
            Some("stun://stun.example.gouv.fr:3478")
        );
    }
}
