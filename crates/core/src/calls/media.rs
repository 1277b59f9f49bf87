//! What a call asks of its media engine, and what the engine reports back.
//!
//! The signalling in this module never touches audio or video: it talks to an engine through
//! two channels, so that the core builds without a media stack and the same engine can later
//! carry group calls, whose signalling differs. The desktop app plugs in the GStreamer engine
//! (`estafette-calls`); the core's own tests drive the signalling alone.

use tokio::sync::mpsc;

/// A relay or discovery server the engine may use to reach the other side.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IceServer {
    /// `turn:`, `turns:` or `stun:` URIs, as the homeserver gives them.
    pub urls: Vec<String>,
    pub username: Option<String>,
    pub credential: Option<String>,
}

/// How one call's media starts.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MediaSetup {
    /// Whether this side sends its camera.
    pub video: bool,
    pub ice_servers: Vec<IceServer>,
    /// Only relayed candidates: the other side never learns this machine's addresses.
    pub relay_only: bool,
    /// The other side's offer, when this side answers a call: what it sends follows the
    /// offer's terms (the payload types each browser picks for itself).
    pub answering: Option<String>,
}

/// An ICE candidate as Matrix carries it (`m.call.candidates`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Candidate {
    /// The `candidate:` line; empty means the end of the candidates.
    pub candidate: String,
    pub sdp_mid: Option<String>,
    pub sdp_m_line_index: Option<u32>,
}

/// What the signalling asks of the engine.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaCommand {
    /// Make an offer (the caller): answered by [`MediaEvent::Offer`].
    MakeOffer,
    /// Take the other side's offer and answer it: answered by [`MediaEvent::Answer`]. The first
    /// offer (`m.call.invite`), or a later one during the call (`m.call.negotiate`: hold,
    /// resume, a change of streams).
    AnswerOffer(String),
    /// Take the answer chosen for this side's offer.
    TakeAnswer(String),
    RemoteCandidates(Vec<Candidate>),
    SetMicrophoneMuted(bool),
    SetCameraOn(bool),
}

/// Why the media of a call could not go on.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum MediaFailure {
    #[error("no microphone or camera could be opened: {0}")]
    DeviceMissing(String),
    #[error("the system refused access to the microphone or camera")]
    DeviceDenied,
    #[error("the two sides could not reach each other")]
    IceFailed,
    #[error("the other side's description could not be used: {0}")]
    Negotiation(String),
    #[error("the media engine failed: {0}")]
    Engine(String),
}

/// What the engine reports.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MediaEvent {
    Offer(String),
    Answer(String),
    LocalCandidate(Candidate),
    /// Every local candidate has been reported.
    CandidatesGathered,
    /// Media flows both ways.
    Connected,
    /// The connection dropped; it may come back.
    Disconnected,
    /// The other side put the call on hold (`true`: nothing is sent or played meanwhile), or
    /// took it back.
    HeldByPeer(bool),
    Failed(MediaFailure),
}

/// One call's media, live. Dropping `commands` ends it: the engine closes the devices.
#[derive(Debug)]
pub struct MediaSession {
    pub commands: mpsc::UnboundedSender<MediaCommand>,
    pub events: mpsc::UnboundedReceiver<MediaEvent>,
}

/// Something that can carry a call's audio and video.
pub trait MediaEngine: Send + Sync + std::fmt::Debug + 'static {
    fn start(&self, setup: MediaSetup) -> Result<MediaSession, MediaFailure>;
}
