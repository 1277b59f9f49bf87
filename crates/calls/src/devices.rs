//! The microphones, cameras and speakers a call can use, as the system's device providers list
//! them (PulseAudio or PipeWire and Video4Linux on Linux, WASAPI and Media Foundation on
//! Windows, Core Audio and AVFoundation on macOS).
//!
//! A device is remembered by an ID built from what its provider says of it, so that the same
//! microphone is chosen again after a restart; a chosen device that is gone (unplugged) gives
//! way to the system's default rather than failing the call.

use gstreamer::{self as gst, prelude::*};

use estafette_core::calls::media::MediaFailure;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum DeviceKind {
    Microphone,
    Camera,
    Speaker,
}

impl DeviceKind {
    const ALL: [DeviceKind; 3] = [Self::Microphone, Self::Camera, Self::Speaker];

    /// The class GStreamer's providers file such devices under.
    fn class(self) -> &'static str {
        match self {
            Self::Microphone => "Audio/Source",
            Self::Camera => "Video/Source",
            Self::Speaker => "Audio/Sink",
        }
    }

    /// What plays or captures through the system's default device.
    fn default_element(self) -> &'static str {
        match self {
            Self::Microphone => "autoaudiosrc",
            Self::Camera => "autovideosrc",
            Self::Speaker => "autoaudiosink",
        }
    }
}

/// A device, as offered to the person choosing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Device {
    pub kind: DeviceKind,
    /// Stable across restarts: what the choice is saved as.
    pub id: String,
    /// The name the system gives it ("Built-in Audio Analog Stereo", "HD Webcam").
    pub name: String,
    /// The system's default of its kind.
    pub default: bool,
}

/// The devices chosen for calls; `None` follows the system's default.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct DeviceChoice {
    pub microphone: Option<String>,
    pub camera: Option<String>,
    pub speaker: Option<String>,
}

impl DeviceChoice {
    pub fn of(&self, kind: DeviceKind) -> Option<&str> {
        match kind {
            DeviceKind::Microphone => self.microphone.as_deref(),
            DeviceKind::Camera => self.camera.as_deref(),
            DeviceKind::Speaker => self.speaker.as_deref(),
        }
    }
}

/// The properties that name one device for good, by provider: PulseAudio's source or sink name,
/// PipeWire's node name, the camera's device path (Linux), the endpoint ID (Windows), the unique
/// ID (macOS).
const IDENTIFYING: &[&str] = &[
    "node.name",
    "device.path",
    "api.v4l2.path",
    "device.id",
    "device.strid",
    "unique-id",
    "avf.unique_id",
];

/// Every microphone, camera and speaker the system offers now. A provider that cannot start
/// (no sound server) lists nothing rather than failing the others.
pub(crate) fn list() -> Vec<Device> {
    present()
        .into_iter()
        .map(|(kind, device)| Device {
            kind,
            id: id_of(&device),
            name: device.display_name().to_string(),
            default: is_default(&device),
        })
        .collect()
}

/// An element capturing from or playing to the device chosen, or to the system's default when
/// none is, or when the one chosen is gone.
pub(crate) fn open(kind: DeviceKind, chosen: Option<&str>) -> Result<gst::Element, MediaFailure> {
    if let Some(chosen) = chosen {
        let found = present()
            .into_iter()
            .find(|(its_kind, device)| *its_kind == kind && id_of(device) == chosen);
        match found.map(|(_, device)| device.create_element(None)) {
            Some(Ok(element)) => return Ok(element),
            Some(Err(error)) => {
                tracing::warn!(%error, ?kind, "the device chosen could not be opened")
            }
            None => tracing::info!(?kind, "the device chosen is gone: the default is used"),
        }
    }
    gst::ElementFactory::make(kind.default_element())
        .build()
        .map_err(|_| MediaFailure::DeviceMissing(format!("no {kind:?} support")))
}

fn present() -> Vec<(DeviceKind, gst::Device)> {
    let monitor = gst::DeviceMonitor::new();
    for kind in DeviceKind::ALL {
        monitor.add_filter(Some(kind.class()), None);
    }
    if monitor.start().is_err() {
        return Vec::new();
    }
    let devices = monitor.devices();
    monitor.stop();
    devices
        .into_iter()
        .filter(|device| !is_monitor(device))
        .filter_map(|device| {
            let kind = DeviceKind::ALL
                .into_iter()
                .find(|kind| device.has_classes(kind.class()))?;
            Some((kind, device))
        })
        .collect()
}

fn id_of(device: &gst::Device) -> String {
    let properties = device.properties();
    let named = properties.as_ref().and_then(|properties| {
        IDENTIFYING
            .iter()
            .find_map(|key| properties.get::<String>(*key).ok())
    });
    // PulseAudio's provider names its sources and sinks in the element it makes.
    let named = named.or_else(|| {
        let element = device.create_element(None).ok()?;
        element
            .find_property("device")
            .and_then(|_| element.property::<Option<String>>("device"))
    });
    let name = named.unwrap_or_else(|| device.display_name().to_string());
    format!("{}:{name}", device.device_class())
}

fn is_default(device: &gst::Device) -> bool {
    device.properties().is_some_and(|properties| {
        properties.get::<bool>("is-default").unwrap_or(false)
            || properties.get::<bool>("device.default").unwrap_or(false)
    })
}

/// What a sound server offers as a source but is the sound going out of a speaker, not a
/// microphone.
fn is_monitor(device: &gst::Device) -> bool {
    device.properties().is_some_and(|properties| {
        properties.get::<String>("device.class").ok().as_deref() == Some("monitor")
    })
}
