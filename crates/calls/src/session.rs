//! One call's pipeline, driven by the commands of the signalling, reporting what happens.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use estafette_core::calls::media::{
    Candidate, MediaCommand, MediaEvent, MediaFailure, MediaSession, MediaSetup,
};
use futures_util::StreamExt;
use gstreamer::{self as gst, glib, prelude::*};
use gstreamer_app::{AppSink, AppSinkCallbacks};
use tokio::sync::mpsc;
use tracing::{debug, warn};

use crate::{
    Counters, EngineConfig, VideoFrame, VideoFrameSink,
    description::{self, Kind},
    devices::DeviceChoice,
    endpoints, pipeline, renegotiation,
};

/// What the signal handlers share: where events go, and the media sections of each side.
struct Shared {
    events: mpsc::UnboundedSender<MediaEvent>,
    local_mids: Mutex<Vec<Option<String>>>,
    remote_mids: Mutex<Vec<Option<String>>>,
    /// Candidates that came before the other side's description: webrtcbin needs it first.
    pending: Mutex<Option<Vec<Candidate>>>,
    counters: Arc<Counters>,
    config: EngineConfig,
    devices: Arc<Mutex<DeviceChoice>>,
    /// The descriptions in force: this side's, the other side's, and the DTLS role the other
    /// side's answer took (for a later answer of this side's own).
    descriptions: Mutex<Descriptions>,
}

#[derive(Default)]
struct Descriptions {
    local: Option<String>,
    remote: Option<String>,
    remote_answer_setup: Option<String>,
    held_by_peer: bool,
}

impl Shared {
    fn report(&self, event: MediaEvent) {
        // The signalling may have ended the call already: nothing waits for this then.
        let _ = self.events.send(event);
    }
}

pub(crate) fn start(
    config: &EngineConfig,
    setup: MediaSetup,
    counters: Arc<Counters>,
    devices: Arc<Mutex<DeviceChoice>>,
) -> Result<(MediaSession, gst::Pipeline), MediaFailure> {
    static NEXT_ID: AtomicU64 = AtomicU64::new(1);
    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    // Opus and VP8 go out under the numbers the other side's offer gave them, when answering:
    // browsers differ (Chrome 111 and 96, Firefox 109 and 120), packets under another number
    // are dropped, and webrtcbin keeps the numbers of the pipeline it was built with.
    let mut payload_types = config.payload_types;
    if let Some(offer) = &setup.answering {
        if let Some(opus) = renegotiation::payload_type(offer, "opus") {
            payload_types.opus = opus;
        }
        if let Some(vp8) = renegotiation::payload_type(offer, "vp8") {
            payload_types.vp8 = vp8;
        }
    }
    let launch = pipeline::description(config, &setup, payload_types, id);
    let pipeline = gst::parse_launch(&launch)
        .map_err(|error| MediaFailure::Engine(error.to_string()))?
        .downcast::<gst::Pipeline>()
        .map_err(|_| MediaFailure::Engine("not a pipeline".into()))?;
    let choice = devices.lock().unwrap_or_else(|e| e.into_inner()).clone();
    endpoints::attach(&pipeline, config, &choice, setup.video)?;
    let webrtc = by_name(&pipeline, "webrtc")?;
    if let Some(stun) = pipeline::stun_uri(&setup.ice_servers) {
        webrtc.set_property_from_str("stun-server", &stun);
    }
    for uri in pipeline::turn_uris(&setup.ice_servers) {
        if !webrtc.emit_by_name::<bool>("add-turn-server", &[&uri]) {
            warn!("a relay server of the homeserver was refused");
        }
    }
    if config.loopback_only {
        let agent = webrtc.property::<glib::Object>("ice-agent");
        agent.emit_by_name::<bool>("add-local-ip-address", &[&"127.0.0.1"]);
    }

    let (events, events_receiver) = mpsc::unbounded_channel();
    let shared = Arc::new(Shared {
        events,
        local_mids: Mutex::default(),
        remote_mids: Mutex::default(),
        pending: Mutex::new(Some(Vec::new())),
        counters,
        config: config.clone(),
        devices,
        descriptions: Mutex::default(),
    });
    count_buffers(&pipeline, "audiopay", "src", &shared, |c| {
        &c.audio_packets_sent
    });
    count_buffers(&pipeline, "videopay", "src", &shared, |c| {
        &c.video_packets_sent
    });
    if let Some(preview) = pipeline.by_name("preview") {
        hand_out_frames(preview, true, config.video_frames.clone(), None);
    }
    watch_ice(&webrtc, &shared);
    receive_streams(&pipeline, &webrtc, config, &shared);

    pipeline.set_state(gst::State::Playing).map_err(|_| {
        MediaFailure::DeviceMissing("the microphone or camera could not be started".into())
    })?;
    let (commands, command_receiver) = mpsc::unbounded_channel();
    tokio::spawn(run(pipeline.clone(), webrtc, shared, command_receiver));
    Ok((
        MediaSession {
            commands,
            events: events_receiver,
        },
        pipeline,
    ))
}

fn by_name(pipeline: &gst::Pipeline, name: &str) -> Result<gst::Element, MediaFailure> {
    pipeline
        .by_name(name)
        .ok_or_else(|| MediaFailure::Engine(format!("no {name} in the pipeline")))
}

/// Obeys the signalling until it lets go of the call, then stops the pipeline, which closes
/// the microphone and camera.
async fn run(
    pipeline: gst::Pipeline,
    webrtc: gst::Element,
    shared: Arc<Shared>,
    mut commands: mpsc::UnboundedReceiver<MediaCommand>,
) {
    let mut bus = pipeline.bus().map(|bus| bus.stream());
    loop {
        tokio::select! {
            command = commands.recv() => match command {
                Some(command) => obey(&pipeline, &webrtc, &shared, command),
                None => break,
            },
            Some(message) = async { match &mut bus { Some(bus) => bus.next().await, None => None } } => {
                if let gst::MessageView::Error(error) = message.view() {
                    shared.report(MediaEvent::Failed(failure_of(error)));
                }
            }
        }
    }
    let _ = pipeline.set_state(gst::State::Null);
    debug!("call media stopped");
}

fn failure_of(error: &gst::message::Error) -> MediaFailure {
    let cause = error.error();
    if cause.matches(gst::ResourceError::NotAuthorized) {
        MediaFailure::DeviceDenied
    } else if cause.matches(gst::ResourceError::NotFound)
        || cause.matches(gst::ResourceError::OpenRead)
        || cause.matches(gst::ResourceError::OpenReadWrite)
        || cause.matches(gst::ResourceError::Busy)
    {
        MediaFailure::DeviceMissing(cause.to_string())
    } else {
        MediaFailure::Engine(cause.to_string())
    }
}

fn obey(
    pipeline: &gst::Pipeline,
    webrtc: &gst::Element,
    shared: &Arc<Shared>,
    command: MediaCommand,
) {
    match command {
        MediaCommand::MakeOffer => describe(webrtc, shared, Kind::Offer, || {
            MediaFailure::Engine("no offer made".into())
        }),
        MediaCommand::AnswerOffer(sdp) => {
            if !answer_hold_or_resume(pipeline, shared, &sdp) {
                take_remote(webrtc, shared, Kind::Offer, &sdp);
            }
        }
        MediaCommand::TakeAnswer(sdp) => take_remote(webrtc, shared, Kind::Answer, &sdp),
        MediaCommand::RemoteCandidates(candidates) => {
            let mut pending = shared.pending.lock().unwrap_or_else(|e| e.into_inner());
            match pending.as_mut() {
                Some(waiting) => waiting.extend(candidates),
                None => {
                    drop(pending);
                    add_candidates(webrtc, shared, candidates);
                }
            }
        }
        MediaCommand::SetMicrophoneMuted(muted) => {
            if let Some(valve) = pipeline.by_name("microphone") {
                valve.set_property("drop", muted);
            }
        }
        MediaCommand::SetCameraOn(on) => {
            let choice = shared
                .devices
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .clone();
            // A camera that cannot be opened again leaves the call going, without pictures.
            if let Err(failure) = endpoints::set_camera(pipeline, &shared.config, &choice, on) {
                warn!(%failure, "the camera could not be turned on");
            }
        }
    }
}

/// Answers a later offer that only holds or resumes the call, without webrtcbin (see
/// [`renegotiation`]); `false` for any other offer.
fn answer_hold_or_resume(pipeline: &gst::Pipeline, shared: &Shared, offer: &str) -> bool {
    let mut descriptions = shared
        .descriptions
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let (Some(local), Some(remote)) = (&descriptions.local, &descriptions.remote) else {
        return false;
    };
    if !renegotiation::only_directions_change(remote, offer) {
        return false;
    }
    let role = match renegotiation::setup_of(local) {
        Some(role @ ("active" | "passive")) => role,
        _ => renegotiation::own_role(descriptions.remote_answer_setup.as_deref()),
    }
    .to_owned();
    let answer = renegotiation::answer_with_directions(local, offer, &role);
    let held = renegotiation::holds(offer);
    descriptions.local = Some(answer.clone());
    descriptions.remote = Some(offer.to_owned());
    let changed = descriptions.held_by_peer != held;
    descriptions.held_by_peer = held;
    drop(descriptions);
    // Nothing is sent or played while held.
    for name in ["hold_audio", "hold_video", "hold_playback"] {
        if let Some(valve) = pipeline.by_name(name) {
            valve.set_property("drop", held);
        }
    }
    shared.report(MediaEvent::Answer(answer));
    if changed {
        shared.report(MediaEvent::HeldByPeer(held));
    }
    true
}

/// This side's offer or answer (`create-offer`, `create-answer`): made, set as this side's
/// description, and handed to the signalling as `event`; `failure` when none could be made.
fn describe(
    webrtc: &gst::Element,
    shared: &Arc<Shared>,
    kind: Kind,
    failure: fn() -> MediaFailure,
) {
    let (signal, field, event): (&str, &'static str, fn(String) -> MediaEvent) = match kind {
        Kind::Offer => ("create-offer", "offer", MediaEvent::Offer),
        Kind::Answer => ("create-answer", "answer", MediaEvent::Answer),
    };
    let element = webrtc.downgrade();
    let shared_for_reply = shared.clone();
    let promise = gst::Promise::with_change_func(move |reply| {
        let (Some(webrtc), Some(description)) = (element.upgrade(), described(reply, field)) else {
            shared_for_reply.report(MediaEvent::Failed(failure()));
            return;
        };
        set_local(&webrtc, &shared_for_reply, description, event);
    });
    webrtc.emit_by_name::<()>(signal, &[&None::<gst::Structure>, &promise]);
}

/// The other side's description; for an offer, the answer follows.
fn take_remote(webrtc: &gst::Element, shared: &Arc<Shared>, kind: Kind, sdp: &str) {
    let value = match description::value_of(kind, sdp) {
        Ok(value) => value,
        Err(reason) => {
            shared.report(MediaEvent::Failed(MediaFailure::Negotiation(reason)));
            return;
        }
    };
    *shared.remote_mids.lock().unwrap_or_else(|e| e.into_inner()) = description::mids(sdp);
    {
        let mut descriptions = shared
            .descriptions
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        descriptions.remote = Some(sdp.to_owned());
        if kind == Kind::Answer {
            descriptions.remote_answer_setup = renegotiation::setup_of(sdp).map(ToOwned::to_owned);
        }
    }
    let element = webrtc.downgrade();
    let shared_for_reply = shared.clone();
    let promise = gst::Promise::with_change_func(move |reply| {
        let Some(webrtc) = element.upgrade() else {
            return;
        };
        if let Ok(Some(reply)) = reply
            && reply.has_field("error")
        {
            shared_for_reply.report(MediaEvent::Failed(MediaFailure::Negotiation(
                "the other side's description was refused".into(),
            )));
            return;
        }
        let waiting = shared_for_reply
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
            .unwrap_or_default();
        add_candidates(&webrtc, &shared_for_reply, waiting);
        if kind == Kind::Offer {
            describe(&webrtc, &shared_for_reply, Kind::Answer, || {
                MediaFailure::Negotiation(
                    "no answer could be made to the other side's offer".into(),
                )
            });
        }
    });
    webrtc.emit_by_name::<()>("set-remote-description", &[&value, &promise]);
}

/// The description in a promise's reply, if it made one.
fn described(
    reply: Result<Option<&gst::StructureRef>, gst::PromiseError>,
    field: &str,
) -> Option<glib::Value> {
    let reply = reply.ok()??;
    reply.value(field).ok().map(|value| (**value).clone())
}

fn set_local(
    webrtc: &gst::Element,
    shared: &Arc<Shared>,
    description: glib::Value,
    event: fn(String) -> MediaEvent,
) {
    let Some(sdp) = description::text_of(&description) else {
        shared.report(MediaEvent::Failed(MediaFailure::Engine(
            "unreadable description".into(),
        )));
        return;
    };
    *shared.local_mids.lock().unwrap_or_else(|e| e.into_inner()) = description::mids(&sdp);
    shared
        .descriptions
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .local = Some(sdp.clone());
    webrtc.emit_by_name::<()>(
        "set-local-description",
        &[&description, &None::<gst::Promise>],
    );
    shared.report(event(sdp));
}

fn add_candidates(webrtc: &gst::Element, shared: &Shared, candidates: Vec<Candidate>) {
    let mids = shared
        .remote_mids
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    for candidate in candidates {
        // An empty candidate ends the list: webrtcbin learns that from the connection itself.
        if candidate.candidate.is_empty() {
            continue;
        }
        let index = candidate.sdp_m_line_index.or_else(|| {
            let mid = candidate.sdp_mid.as_deref()?;
            mids.iter()
                .position(|known| known.as_deref() == Some(mid))
                .and_then(|index| u32::try_from(index).ok())
        });
        let Some(index) = index else {
            debug!("a candidate for an unknown media section was left out");
            continue;
        };
        webrtc.emit_by_name::<()>("add-ice-candidate", &[&index, &candidate.candidate]);
    }
}

/// Local candidates, the end of their gathering, and the state of the connection.
fn watch_ice(webrtc: &gst::Element, shared: &Arc<Shared>) {
    let for_candidates = shared.clone();
    webrtc.connect("on-ice-candidate", false, move |values| {
        let index = values.get(1).and_then(|value| value.get::<u32>().ok())?;
        let line = values.get(2).and_then(|value| value.get::<String>().ok())?;
        let mid = for_candidates
            .local_mids
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(index as usize)
            .cloned()
            .flatten();
        let kind = match line
            .split(" typ ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
        {
            Some("host") => Some(&for_candidates.counters.host_candidates_offered),
            Some("relay") => Some(&for_candidates.counters.relay_candidates_offered),
            _ => None,
        };
        if let Some(counter) = kind {
            counter.fetch_add(1, Ordering::Relaxed);
        }
        for_candidates.report(MediaEvent::LocalCandidate(Candidate {
            candidate: line,
            sdp_mid: mid,
            sdp_m_line_index: Some(index),
        }));
        None
    });
    let for_gathering = shared.clone();
    webrtc.connect_notify(Some("ice-gathering-state"), move |webrtc, _| {
        if nick(webrtc, "ice-gathering-state").as_deref() == Some("complete") {
            for_gathering.report(MediaEvent::CandidatesGathered);
        }
    });
    let for_connection = shared.clone();
    webrtc.connect_notify(Some("ice-connection-state"), move |webrtc, _| {
        let event = match nick(webrtc, "ice-connection-state").as_deref() {
            Some("connected" | "completed") => MediaEvent::Connected,
            Some("disconnected") => MediaEvent::Disconnected,
            Some("failed") => MediaEvent::Failed(MediaFailure::IceFailed),
            _ => return,
        };
        for_connection.report(event);
    });
}

fn nick(element: &gst::Element, property: &str) -> Option<String> {
    let value = element.property_value(property);
    glib::EnumValue::from_value(&value).map(|(_, value)| value.nick().to_owned())
}

/// Each stream the other side sends: its sound to the speakers (through the echo canceller's
/// probe), its pictures to the page.
fn receive_streams(
    pipeline: &gst::Pipeline,
    webrtc: &gst::Element,
    config: &EngineConfig,
    shared: &Arc<Shared>,
) {
    let pipeline = pipeline.downgrade();
    let config = config.clone();
    let shared = shared.clone();
    webrtc.connect_pad_added(move |_, pad| {
        if pad.direction() != gst::PadDirection::Src {
            return;
        }
        let Some(pipeline) = pipeline.upgrade() else {
            return;
        };
        let caps = pad.current_caps().unwrap_or_else(|| pad.query_caps(None));
        let Some(media) = caps
            .structure(0)
            .and_then(|structure| structure.get::<String>("media").ok())
        else {
            return;
        };
        let Some(launch) = pipeline::receiving(&media, &config) else {
            return;
        };
        let bin = match gst::parse_bin_from_description(&launch, true) {
            Ok(bin) => bin,
            Err(error) => {
                shared.report(MediaEvent::Failed(MediaFailure::Engine(error.to_string())));
                return;
            }
        };
        let counter: fn(&Counters) -> &AtomicU64 = if media == "audio" {
            |c| &c.audio_buffers_received
        } else {
            |c| &c.video_frames_decoded
        };
        if let Some(decoded) = bin.by_name("decoded")
            && let Some(out) = decoded.static_pad("src")
        {
            let shared = shared.clone();
            let audio = media == "audio";
            out.add_probe(gst::PadProbeType::BUFFER, move |_, info| {
                counter(&shared.counters).fetch_add(1, Ordering::Relaxed);
                if let Some(gst::PadProbeData::Buffer(buffer)) = &info.data
                    && let Ok(map) = buffer.map_readable()
                {
                    if audio {
                        shared.counters.heard(is_loud(&map));
                    } else {
                        shared.counters.saw_picture(is_bright(&map));
                    }
                }
                gst::PadProbeReturn::Ok
            });
        }
        if let Some(remote) = bin.by_name("remote") {
            hand_out_frames(
                remote,
                false,
                config.video_frames.clone(),
                Some(shared.clone()),
            );
        }
        if pipeline.add(&bin).is_err() {
            return;
        }
        let linked = bin
            .static_pad("sink")
            .is_some_and(|sink| pad.link(&sink).is_ok());
        if media == "audio"
            && let (Some(out), Some(playback)) =
                (bin.static_pad("src"), pipeline.by_name("playback"))
            && let Some(input) = playback.request_pad_simple("sink_%u")
            && out.link(&input).is_err()
        {
            warn!("the other side's sound could not be played");
        }
        if !linked {
            warn!(media, "an incoming stream could not be received");
        }
        let _ = bin.sync_state_with_parent();
    });
}

/// Until the first key frame of the other side arrives, whether to ask for one again: at
/// most every [`KEY_FRAME_ASK_INTERVAL`], since a request or its answer can be lost.
#[derive(Debug, Default)]
pub(crate) struct KeyFrameWait {
    seen: bool,
    asked_at: Option<Instant>,
}

const KEY_FRAME_ASK_INTERVAL: Duration = Duration::from_millis(300);

impl KeyFrameWait {
    pub(crate) fn should_ask(&mut self, keyframe: bool, now: Instant) -> bool {
        self.seen |= keyframe;
        let due = self
            .asked_at
            .is_none_or(|asked| now.duration_since(asked) >= KEY_FRAME_ASK_INTERVAL);
        if self.seen || !due {
            return false;
        }
        self.asked_at = Some(now);
        true
    }
}

/// GStreamer's upstream "force key unit" event (gst-plugins-base's video library builds the
/// same): the RTP session turns it into a picture loss indication to the sender, whose
/// encoder then makes a key frame.
pub(crate) fn key_frame_request() -> gst::Event {
    let request = gst::Structure::builder("GstForceKeyUnit")
        .field("all-headers", true)
        .field("count", 0u32)
        .build();
    gst::event::CustomUpstream::new(request)
}

/// Hands the encoded frames of an appsink to the page (and counts the other side's).
fn hand_out_frames(
    element: gst::Element,
    local: bool,
    sink: Option<VideoFrameSink>,
    counted: Option<Arc<Shared>>,
) {
    let Ok(appsink) = element.downcast::<AppSink>() else {
        return;
    };
    let mut awaiting_key_frame = KeyFrameWait::default();
    appsink.set_callbacks(
        AppSinkCallbacks::builder()
            .new_sample(move |appsink| {
                let sample = appsink.pull_sample().map_err(|_| gst::FlowError::Eos)?;
                if let Some(shared) = &counted {
                    shared
                        .counters
                        .video_frames_received
                        .fetch_add(1, Ordering::Relaxed);
                }
                let Some(buffer) = sample.buffer() else {
                    return Ok(gst::FlowSuccess::Ok);
                };
                let keyframe = !buffer.flags().contains(gst::BufferFlags::DELTA_UNIT);
                // The other side's first key frame went by before the connection was up:
                // ask for one rather than wait for the next.
                if !local
                    && awaiting_key_frame.should_ask(keyframe, Instant::now())
                    && let Some(pad) = appsink.static_pad("sink")
                {
                    pad.push_event(key_frame_request());
                }
                let Some(sink) = &sink else {
                    return Ok(gst::FlowSuccess::Ok);
                };
                let map = buffer.map_readable().map_err(|_| gst::FlowError::Error)?;
                sink(VideoFrame {
                    local,
                    keyframe,
                    timestamp_us: buffer.pts().map(|time| time.useconds()).unwrap_or(0),
                    data: map.to_vec(),
                });
                Ok(gst::FlowSuccess::Ok)
            })
            .build(),
    );
}

fn count_buffers(
    pipeline: &gst::Pipeline,
    element: &str,
    pad: &str,
    shared: &Arc<Shared>,
    counter: fn(&Counters) -> &AtomicU64,
) {
    let Some(pad) = pipeline
        .by_name(element)
        .and_then(|element| element.static_pad(pad))
    else {
        return;
    };
    let shared = shared.clone();
    // Payloaders push packets one by one or in lists (rtpvp8pay: a frame's packets at once).
    pad.add_probe(
        gst::PadProbeType::BUFFER | gst::PadProbeType::BUFFER_LIST,
        move |_, info| {
            let packets = match &info.data {
                Some(gst::PadProbeData::BufferList(list)) => list.len() as u64,
                _ => 1,
            };
            counter(&shared.counters).fetch_add(packets, Ordering::Relaxed);
            gst::PadProbeReturn::Ok
        },
    );
}

/// Whether 16-bit samples hold a tone rather than silence.
fn is_loud(samples: &[u8]) -> bool {
    samples
        .chunks_exact(2)
        .any(|sample| i16::from_le_bytes([sample[0], sample[1]]).unsigned_abs() > 4_000)
}

/// Whether a decoded I420 picture is mostly bright: its luma, the first two thirds of the
/// frame, sampled.
fn is_bright(frame: &[u8]) -> bool {
    let luma = &frame[..frame.len() * 2 / 3];
    let samples: Vec<u8> = luma.iter().step_by(997).copied().collect();
    !samples.is_empty()
        && samples.iter().map(|&value| u64::from(value)).sum::<u64>() / samples.len() as u64 > 160
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_frame_is_asked_for_until_one_comes_and_not_more_often_than_the_interval() {
        let start = Instant::now();
        let mut wait = KeyFrameWait::default();
        assert!(wait.should_ask(false, start));
        assert!(!wait.should_ask(false, start + Duration::from_millis(100)));
        assert!(wait.should_ask(false, start + KEY_FRAME_ASK_INTERVAL));
        assert!(!wait.should_ask(true, start + Duration::from_secs(5)));
        assert!(!wait.should_ask(false, start + Duration::from_secs(10)));
    }

    #[test]
    fn the_request_is_the_upstream_event_the_rtp_session_turns_into_a_picture_loss_indication() {
        gst::init().expect("GStreamer");
        let event = key_frame_request();
        assert_eq!(event.type_(), gst::EventType::CustomUpstream);
        let structure = event.structure().expect("a structure");
        assert_eq!(structure.name(), "GstForceKeyUnit");
        assert_eq!(structure.get::<bool>("all-headers"), Ok(true));
    }
}
