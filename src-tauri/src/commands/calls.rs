//! Calls: the page's gestures forwarded to `account.calls()`, the calls live, and the video of
//! the call going on. The media engine (GStreamer) is the app's, one for all accounts; its
//! video frames reach the page still encoded (VP8), for WebCodecs to decode onto a canvas.

use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;
use estafette_calls::{
    Device, DeviceChoice, DeviceKind, EngineConfig, GstEngine, Sources, VideoFrame,
};
use estafette_core::{
    AccountId,
    calls::{
        CallRecord, CallView,
        media::{MediaEngine, MediaFailure, MediaSession, MediaSetup},
    },
};
use serde::Serialize;
use tauri::{State, ipc::Channel};
use tracing::warn;

use crate::{
    error::IpcError,
    launch::LaunchConfig,
    live::{Steering, SubscriptionId},
    preferences::Preferences,
    state::AppState,
};

/// One encoded video frame for the page.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct CallVideoFrame {
    /// This side's camera (the preview), rather than the other person's.
    pub local: bool,
    pub keyframe: bool,
    /// Microseconds from the start of the stream.
    pub timestamp_us: f64,
    /// The VP8 frame, base64.
    pub data: String,
}

/// A microphone, camera or speaker to choose from.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct CallDevice {
    pub kind: CallDeviceKind,
    /// What the choice is saved as (`Preferences::call_microphone`…).
    pub id: String,
    pub name: String,
    /// The system's default of its kind.
    pub default: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, specta::Type)]
#[serde(rename_all = "snake_case")]
pub enum CallDeviceKind {
    Microphone,
    Camera,
    Speaker,
}

impl From<Device> for CallDevice {
    fn from(device: Device) -> Self {
        Self {
            kind: match device.kind {
                DeviceKind::Microphone => CallDeviceKind::Microphone,
                DeviceKind::Camera => CallDeviceKind::Camera,
                DeviceKind::Speaker => CallDeviceKind::Speaker,
            },
            id: device.id,
            name: device.name,
            default: device.default,
        }
    }
}

/// The devices the preferences choose.
pub fn device_choice(preferences: &Preferences) -> DeviceChoice {
    DeviceChoice {
        microphone: preferences.call_microphone.clone(),
        camera: preferences.call_camera.clone(),
        speaker: preferences.call_speaker.clone(),
    }
}

/// The app's media engine, and where its video frames go. GStreamer is loaded by the first call
/// placed or answered (or the first look at the devices), not at start: most sessions have no
/// call.
#[derive(Default)]
pub struct CallMedia {
    engine: OnceLock<Result<Arc<GstEngine>, String>>,
    frames: Arc<Mutex<Option<Channel<CallVideoFrame>>>>,
    /// The devices chosen, for the engine once it is loaded.
    devices: Mutex<DeviceChoice>,
}

impl std::fmt::Debug for CallMedia {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallMedia")
            .field("engine", &self.engine.get().map(Result::is_ok))
            .finish_non_exhaustive()
    }
}

impl MediaEngine for CallMedia {
    fn start(&self, setup: MediaSetup) -> Result<MediaSession, MediaFailure> {
        self.engine()
            .map_err(|reason| {
                warn!(%reason, "calls cannot carry sound or pictures on this machine");
                MediaFailure::Engine(reason)
            })?
            .start(setup)
    }
}

impl CallMedia {
    /// The devices calls use from now on, the call going on included (if GStreamer is loaded:
    /// otherwise the first call starts with them).
    pub async fn use_devices(&self, choice: DeviceChoice) -> Result<(), MediaFailure> {
        *self.devices.lock().unwrap_or_else(|e| e.into_inner()) = choice.clone();
        let Some(Ok(engine)) = self.engine.get().cloned() else {
            return Ok(());
        };
        // Listing and opening devices talks to the sound server: not on the async workers.
        tokio::task::spawn_blocking(move || engine.use_devices(choice))
            .await
            .map_err(|error| MediaFailure::Engine(error.to_string()))?
    }

    fn engine(&self) -> Result<Arc<GstEngine>, String> {
        self.engine
            .get_or_init(|| {
                let frames = self.frames.clone();
                let sources = if LaunchConfig::call_test_sources() {
                    Sources::TestPatterns
                } else {
                    Sources::Devices
                };
                let engine = GstEngine::new(EngineConfig {
                    sources,
                    play_audio: !LaunchConfig::call_test_sources(),
                    loopback_only: false,
                    decode_video: false,
                    // As Element asks of a camera; a smaller one is scaled up.
                    video_size: (1280, 720),
                    payload_types: Default::default(),
                    video_frames: Some(Arc::new(move |frame: VideoFrame| {
                        let channel = frames.lock().unwrap_or_else(|e| e.into_inner()).clone();
                        if let Some(channel) = channel {
                            let _ = channel.send(CallVideoFrame {
                                local: frame.local,
                                keyframe: frame.keyframe,
                                timestamp_us: frame.timestamp_us as f64,
                                data: base64::engine::general_purpose::STANDARD.encode(&frame.data),
                            });
                        }
                    })),
                })
                .map_err(|failure| failure.to_string())?;
                let choice = self
                    .devices
                    .lock()
                    .unwrap_or_else(|e| e.into_inner())
                    .clone();
                // Nothing is playing yet: this only records the choice.
                let _ = engine.use_devices(choice);
                Ok(Arc::new(engine))
            })
            .clone()
    }
}

/// The microphones, cameras and speakers this machine offers now (GStreamer is loaded for it).
#[tauri::command]
#[specta::specta]
pub async fn call_devices(state: State<'_, AppState>) -> Result<Vec<CallDevice>, IpcError> {
    let engine = state.calls.engine().map_err(|reason| {
        IpcError::from(estafette_core::Error::from(
            estafette_core::calls::CallError::NoMedia(reason),
        ))
    })?;
    let devices = tokio::task::spawn_blocking(move || engine.devices())
        .await
        .unwrap_or_default();
    Ok(devices.into_iter().map(CallDevice::from).collect())
}

/// The account's calls now, then each change. Calls are possible from then on (when this
/// machine has the media components; without them, placing or answering says so).
#[tauri::command]
#[specta::specta]
pub async fn watch_calls(
    state: State<'_, AppState>,
    account: AccountId,
    updates: Channel<Vec<CallView>>,
) -> Result<SubscriptionId, IpcError> {
    let account = super::account(&state, &account).await?;
    account.calls().use_engine(state.calls.clone());
    *state
        .calls
        .devices
        .lock()
        .unwrap_or_else(|e| e.into_inner()) = device_choice(&state.preferences.get());
    account
        .calls()
        .set_relay_only(state.preferences.get().calls_relay_only);
    Ok(state
        .live
        .open(account.calls().list(), updates, Steering::None))
}

/// The calls of a conversation and what became of each, for its timeline; then each change.
#[tauri::command]
#[specta::specta]
pub async fn watch_call_history(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    updates: Channel<Vec<CallRecord>>,
) -> Result<SubscriptionId, IpcError> {
    let account = super::account(&state, &account).await?;
    let history = account
        .calls()
        .history(&room_id)
        .map_err(estafette_core::Error::from)?;
    Ok(state.live.open(history, updates, Steering::None))
}

/// Where the video frames of the call go from now on (the call screen; one at a time).
#[tauri::command]
#[specta::specta]
pub fn watch_call_video(state: State<'_, AppState>, frames: Channel<CallVideoFrame>) {
    *state.calls.frames.lock().unwrap_or_else(|e| e.into_inner()) = Some(frames);
    // The frames that went by before the page listened are lost to it, and its decoder
    // starts only at a whole picture: ask for one rather than wait for the next.
    if let Some(Ok(engine)) = state.calls.engine.get() {
        engine.request_key_frame();
    }
}

/// Calls the other person of a direct conversation; returns the call's ID.
#[tauri::command]
#[specta::specta]
pub async fn place_call(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    video: bool,
) -> Result<String, IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .calls()
        .place(&room_id, video)
        .await
        .map_err(estafette_core::Error::from)?)
}

#[tauri::command]
#[specta::specta]
pub async fn accept_call(
    state: State<'_, AppState>,
    account: AccountId,
    call_id: String,
    video: bool,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .calls()
        .accept(&call_id, video)
        .await
        .map_err(estafette_core::Error::from)?)
}

#[tauri::command]
#[specta::specta]
pub async fn decline_call(
    state: State<'_, AppState>,
    account: AccountId,
    call_id: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .calls()
        .decline(&call_id)
        .await
        .map_err(estafette_core::Error::from)?)
}

#[tauri::command]
#[specta::specta]
pub async fn hang_up_call(
    state: State<'_, AppState>,
    account: AccountId,
    call_id: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .calls()
        .hang_up(&call_id)
        .await
        .map_err(estafette_core::Error::from)?)
}

#[tauri::command]
#[specta::specta]
pub async fn set_call_microphone_muted(
    state: State<'_, AppState>,
    account: AccountId,
    call_id: String,
    muted: bool,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .calls()
        .set_microphone_muted(&call_id, muted)
        .await
        .map_err(estafette_core::Error::from)?)
}

#[tauri::command]
#[specta::specta]
pub async fn set_call_camera_on(
    state: State<'_, AppState>,
    account: AccountId,
    call_id: String,
    on: bool,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    Ok(account
        .calls()
        .set_camera_on(&call_id, on)
        .await
        .map_err(estafette_core::Error::from)?)
}

/// Forgets an ended call once its screen is closed.
#[tauri::command]
#[specta::specta]
pub async fn dismiss_call(
    state: State<'_, AppState>,
    account: AccountId,
    call_id: String,
) -> Result<(), IpcError> {
    let account = super::account(&state, &account).await?;
    account.calls().dismiss(&call_id);
    Ok(())
}
