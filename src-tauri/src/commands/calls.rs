//! Calls: the page's gestures forwarded to `account.calls()`, the calls live, and the video of
//! the call going on. The media engine (GStreamer) is the app's, one for all accounts; its
//! video frames reach the page still encoded (VP8), for WebCodecs to decode onto a canvas.

use std::sync::{Arc, Mutex, OnceLock};

use base64::Engine as _;
use estafette_calls::{EngineConfig, GstEngine, Sources, VideoFrame};
use estafette_core::{
    AccountId,
    calls::{
        CallView,
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

/// The app's media engine, and where its video frames go. GStreamer is loaded by the first call
/// placed or answered, not at start: most sessions have no call.
#[derive(Default)]
pub struct CallMedia {
    engine: OnceLock<Result<Arc<GstEngine>, String>>,
    frames: Arc<Mutex<Option<Channel<CallVideoFrame>>>>,
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
    fn engine(&self) -> Result<Arc<GstEngine>, String> {
        self.engine
            .get_or_init(|| {
                let frames = self.frames.clone();
                let sources = if LaunchConfig::call_test_sources() {
                    Sources::TestPatterns
                } else {
                    Sources::Devices {
                        microphone: None,
                        camera: None,
                    }
                };
                GstEngine::new(EngineConfig {
                    sources,
                    play_audio: !LaunchConfig::call_test_sources(),
                    loopback_only: false,
                    decode_video: false,
                    // As Element asks of a camera; a smaller one is scaled up.
                    video_size: (1280, 720),
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
                .map(Arc::new)
                .map_err(|failure| failure.to_string())
            })
            .clone()
    }
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
    account
        .calls()
        .set_relay_only(state.preferences.get().calls_relay_only);
    Ok(state
        .live
        .open(account.calls().list(), updates, Steering::None))
}

/// Where the video frames of the call go from now on (the call screen; one at a time).
#[tauri::command]
#[specta::specta]
pub fn watch_call_video(state: State<'_, AppState>, frames: Channel<CallVideoFrame>) {
    *state.calls.frames.lock().unwrap_or_else(|e| e.into_inner()) = Some(frames);
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
