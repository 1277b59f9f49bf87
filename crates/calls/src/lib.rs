//! Estafette's call media engine: GStreamer's `webrtcbin`, the same on Linux, Windows and macOS.
//!
//! The core's call signalling drives it through [`estafette_core::calls::media`]: it makes and
//! answers offers, trades ICE candidates, and reports when media flows. Audio stays native end to
//! end (capture, echo cancellation, Opus, network, playback). Video is VP8; its frames, the
//! other side's and this side's preview, are handed out still encoded, for the page to decode
//! (the Linux webview has no WebRTC, but it has WebCodecs: shared/notes/calls.md).
//!
//! This crate is the only one that needs GStreamer: the core and the CLI build without it.

mod description;
mod devices;
mod endpoints;
mod pipeline;
mod renegotiation;
mod session;

pub use devices::{Device, DeviceChoice, DeviceKind};

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Instant,
};

use gstreamer::{glib, prelude::*};

use estafette_core::calls::media::{MediaEngine, MediaFailure, MediaSession, MediaSetup};

/// Where a call's sound and pictures come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Sources {
    /// The microphone and camera chosen ([`GstEngine::use_devices`]), or the system's default.
    Devices,
    /// A tone and a moving pattern: tests, benchmarks, and a machine without devices.
    TestPatterns,
    /// Silence and a black picture, turned into a tone and a white picture by
    /// [`GstEngine::set_test_signal`]: the other side times when it sees and hears the change
    /// (`cargo xtask bench call`).
    TestSignal,
}

/// One encoded VP8 frame, for the page to decode.
#[derive(Clone, Debug)]
pub struct VideoFrame {
    /// This side's camera (the preview) rather than the other side's.
    pub local: bool,
    pub keyframe: bool,
    /// Presentation time, in microseconds from the start of the call.
    pub timestamp_us: u64,
    pub data: Vec<u8>,
}

/// Receives each video frame, on a media thread: it must not block.
pub type VideoFrameSink = Arc<dyn Fn(VideoFrame) + Send + Sync>;

/// How the engine runs.
#[derive(Clone)]
pub struct EngineConfig {
    pub sources: Sources,
    /// Play the other side's sound on the speaker chosen; tests and benchmarks discard it.
    pub play_audio: bool,
    /// Offer only 127.0.0.1 as this side's address: tests and benchmarks on one machine.
    pub loopback_only: bool,
    /// Decode the other side's video natively too (tests and benchmarks count frames).
    pub decode_video: bool,
    pub video_frames: Option<VideoFrameSink>,
    /// The camera's picture as sent: width and height.
    pub video_size: (u32, u32),
    /// The payload types this side offers Opus and VP8 under (as browsers do by default:
    /// 111 and 96). When answering, it sends under the offer's.
    pub payload_types: PayloadTypes,
}

/// RTP payload types, which each side's offer picks for itself.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PayloadTypes {
    pub opus: u8,
    pub vp8: u8,
}

impl Default for PayloadTypes {
    fn default() -> Self {
        Self { opus: 111, vp8: 96 }
    }
}

impl std::fmt::Debug for EngineConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EngineConfig")
            .field("sources", &self.sources)
            .field("play_audio", &self.play_audio)
            .field("loopback_only", &self.loopback_only)
            .field("decode_video", &self.decode_video)
            .field("video_frames", &self.video_frames.is_some())
            .field("video_size", &self.video_size)
            .field("payload_types", &self.payload_types)
            .finish()
    }
}

impl EngineConfig {
    /// Test sources, sound discarded, video decoded and counted, loopback only.
    pub fn for_tests() -> Self {
        Self {
            sources: Sources::TestPatterns,
            play_audio: false,
            loopback_only: true,
            decode_video: true,
            video_frames: None,
            video_size: (640, 360),
            payload_types: PayloadTypes::default(),
        }
    }
}

/// What went through the engine's calls, counted as it happened.
#[derive(Debug, Default)]
pub struct Counters {
    pub audio_packets_sent: AtomicU64,
    pub video_packets_sent: AtomicU64,
    /// Audio buffers decoded from the other side.
    pub audio_buffers_received: AtomicU64,
    /// Video frames received from the other side, still encoded.
    pub video_frames_received: AtomicU64,
    /// Video frames decoded natively (only with `decode_video`).
    pub video_frames_decoded: AtomicU64,
    /// This side's candidates handed to the signalling, by kind: `host` ones carry this
    /// machine's addresses, `relay` ones only the TURN server's.
    pub host_candidates_offered: AtomicU64,
    pub relay_candidates_offered: AtomicU64,
    /// When a decoded picture last turned from dark to bright (the other side's test signal).
    pub video_signal_seen: Mutex<Option<Instant>>,
    /// When decoded sound last turned from silence to a tone.
    pub audio_signal_seen: Mutex<Option<Instant>>,
    video_bright: AtomicBool,
    audio_loud: AtomicBool,
}

/// A snapshot of [`Counters`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Counts {
    pub audio_packets_sent: u64,
    pub video_packets_sent: u64,
    pub audio_buffers_received: u64,
    pub video_frames_received: u64,
    pub video_frames_decoded: u64,
}

impl Counters {
    /// Notes whether a decoded picture is bright, and when it became so.
    pub(crate) fn saw_picture(&self, bright: bool) {
        if bright && !self.video_bright.swap(true, Ordering::Relaxed) {
            *self
                .video_signal_seen
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        } else if !bright {
            self.video_bright.store(false, Ordering::Relaxed);
        }
    }

    /// Notes whether decoded sound is a tone, and when it became so.
    pub(crate) fn heard(&self, loud: bool) {
        if loud && !self.audio_loud.swap(true, Ordering::Relaxed) {
            *self
                .audio_signal_seen
                .lock()
                .unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
        } else if !loud {
            self.audio_loud.store(false, Ordering::Relaxed);
        }
    }

    pub fn snapshot(&self) -> Counts {
        Counts {
            audio_packets_sent: self.audio_packets_sent.load(Ordering::Relaxed),
            video_packets_sent: self.video_packets_sent.load(Ordering::Relaxed),
            audio_buffers_received: self.audio_buffers_received.load(Ordering::Relaxed),
            video_frames_received: self.video_frames_received.load(Ordering::Relaxed),
            video_frames_decoded: self.video_frames_decoded.load(Ordering::Relaxed),
        }
    }
}

/// The GStreamer engine. One per account is enough; each call gets its own pipeline.
#[derive(Debug)]
pub struct GstEngine {
    config: EngineConfig,
    counters: Arc<Counters>,
    /// The pipelines of its calls, for the test signal and a change of device.
    pipelines: Arc<Mutex<Vec<glib::WeakRef<gstreamer::Pipeline>>>>,
    devices: Arc<Mutex<DeviceChoice>>,
}

impl GstEngine {
    /// Loads GStreamer and checks that the elements a call needs are installed.
    pub fn new(config: EngineConfig) -> Result<Self, MediaFailure> {
        gstreamer::init().map_err(|error| MediaFailure::Engine(error.to_string()))?;
        pipeline::check_elements()?;
        Ok(Self {
            config,
            counters: Arc::default(),
            pipelines: Arc::default(),
            devices: Arc::default(),
        })
    }

    /// The microphones, cameras and speakers this machine offers now.
    pub fn devices(&self) -> Vec<Device> {
        devices::list()
    }

    /// The devices calls use from now on; the calls going on move to them. A device that
    /// cannot be opened leaves the call on the one it had, and says why.
    pub fn use_devices(&self, choice: DeviceChoice) -> Result<(), MediaFailure> {
        let before = std::mem::replace(
            &mut *self.devices.lock().unwrap_or_else(|e| e.into_inner()),
            choice.clone(),
        );
        let mut outcome = Ok(());
        for pipeline in self.live_pipelines() {
            if let Err(failure) =
                endpoints::follow_choice(&pipeline, &self.config, &before, &choice)
            {
                outcome = Err(failure);
            }
        }
        outcome
    }

    fn live_pipelines(&self) -> Vec<gstreamer::Pipeline> {
        let mut pipelines = self.pipelines.lock().unwrap_or_else(|e| e.into_inner());
        pipelines.retain(|known| known.upgrade().is_some());
        pipelines
            .iter()
            .filter_map(glib::WeakRef::upgrade)
            .collect()
    }

    /// With [`Sources::TestSignal`]: turns every call's picture white and its sound into a
    /// tone (`true`), or back to black and silence. Returns when it was done.
    pub fn set_test_signal(&self, on: bool) -> Instant {
        for pipeline in self.live_pipelines() {
            if let Some(video) = pipeline.by_name("testvideo") {
                video.set_property(
                    "foreground-color",
                    if on { 0xffff_ffff_u32 } else { 0xff00_0000_u32 },
                );
            }
            if let Some(audio) = pipeline.by_name("testaudio") {
                audio.set_property("volume", if on { 0.8f64 } else { 0.0f64 });
            }
        }
        Instant::now()
    }

    /// Asks the other side of every call for a whole picture now (a key frame, by an RTCP
    /// picture loss indication): a decoder can start only at one, and senders make one every
    /// two seconds or so. The page asks when it starts showing a call's video, which would
    /// otherwise stay blank until the next.
    pub fn request_key_frame(&self) {
        for pipeline in self.live_pipelines() {
            if let Some(pad) = pipeline
                .by_name("remote")
                .and_then(|sink| sink.static_pad("sink"))
            {
                pad.push_event(session::key_frame_request());
            }
        }
    }

    /// What all this engine's calls have carried so far.
    pub fn counters(&self) -> &Arc<Counters> {
        &self.counters
    }
}

impl MediaEngine for GstEngine {
    fn start(&self, setup: MediaSetup) -> Result<MediaSession, MediaFailure> {
        let (session, pipeline) = session::start(
            &self.config,
            setup,
            self.counters.clone(),
            self.devices.clone(),
        )?;
        let mut pipelines = self.pipelines.lock().unwrap_or_else(|e| e.into_inner());
        pipelines.retain(|known| known.upgrade().is_some());
        pipelines.push(pipeline.downgrade());
        Ok(session)
    }
}
