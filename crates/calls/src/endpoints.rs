//! This side's microphone, camera and speaker, linked into a call's pipeline apart from the
//! rest of it: so that a device can be changed during the call, and the camera closed while it
//! is turned off.

use gstreamer::{self as gst, prelude::*};

use estafette_core::calls::media::MediaFailure;

use crate::{
    EngineConfig, Sources,
    devices::{self, DeviceChoice, DeviceKind},
    pipeline::{CAMERA_IN, MICROPHONE_IN, SPEAKER_OUT},
};

/// Links the microphone, the camera (a video call) and the speaker into a new pipeline.
pub(crate) fn attach(
    pipeline: &gst::Pipeline,
    config: &EngineConfig,
    choice: &DeviceChoice,
    video: bool,
) -> Result<(), MediaFailure> {
    // The system clock, not an audio device's: the devices may change during the call, and a
    // pipeline whose clock goes with its device would have to stop to choose another.
    pipeline.use_clock(Some(&gst::SystemClock::obtain()));
    replace(
        pipeline,
        DeviceKind::Microphone,
        endpoint(DeviceKind::Microphone, config, choice)?,
    )?;
    if video {
        replace(
            pipeline,
            DeviceKind::Camera,
            endpoint(DeviceKind::Camera, config, choice)?,
        )?;
    }
    replace(
        pipeline,
        DeviceKind::Speaker,
        endpoint(DeviceKind::Speaker, config, choice)?,
    )
}

/// Moves a live call to the devices now chosen, of the kinds that are devices in this engine.
/// A camera turned off stays closed.
pub(crate) fn follow_choice(
    pipeline: &gst::Pipeline,
    config: &EngineConfig,
    before: &DeviceChoice,
    now: &DeviceChoice,
) -> Result<(), MediaFailure> {
    for kind in [
        DeviceKind::Microphone,
        DeviceKind::Camera,
        DeviceKind::Speaker,
    ] {
        let is_device = match kind {
            DeviceKind::Speaker => config.play_audio,
            _ => config.sources == Sources::Devices,
        };
        if !is_device || before.of(kind) == now.of(kind) {
            continue;
        }
        if kind == DeviceKind::Camera && !camera_is_on(pipeline) {
            continue;
        }
        replace(pipeline, kind, endpoint(kind, config, now)?)?;
    }
    Ok(())
}

/// Turns the camera on (its device opened again) or off (black pictures, the device closed).
/// Test sources stay as they are: only the valve closes.
pub(crate) fn set_camera(
    pipeline: &gst::Pipeline,
    config: &EngineConfig,
    choice: &DeviceChoice,
    on: bool,
) -> Result<(), MediaFailure> {
    if let Some(valve) = pipeline.by_name("camera") {
        valve.set_property("drop", !on);
    }
    if config.sources != Sources::Devices || pipeline.by_name(CAMERA_IN).is_none() {
        return Ok(());
    }
    let source = if on {
        endpoint(DeviceKind::Camera, config, choice)?
    } else {
        parsed("videotestsrc is-live=true pattern=black")?
    };
    replace(pipeline, DeviceKind::Camera, source)
}

fn camera_is_on(pipeline: &gst::Pipeline) -> bool {
    pipeline
        .by_name("camera")
        .is_some_and(|valve| !valve.property::<bool>("drop"))
}

/// Where the sound and pictures of this side come from, and where the other side's sound goes.
/// The test sources are named for [`crate::GstEngine::set_test_signal`].
fn endpoint(
    kind: DeviceKind,
    config: &EngineConfig,
    choice: &DeviceChoice,
) -> Result<gst::Element, MediaFailure> {
    let test_source = match (kind, &config.sources) {
        (_, Sources::Devices) | (DeviceKind::Speaker, _) => None,
        // 10 ms buffers: what the echo canceller works on.
        (DeviceKind::Microphone, Sources::TestPatterns) => {
            Some("audiotestsrc is-live=true wave=sine freq=440 samplesperbuffer=480")
        }
        (DeviceKind::Microphone, Sources::TestSignal) => Some(
            "audiotestsrc name=testaudio is-live=true wave=sine freq=440 volume=0 samplesperbuffer=480",
        ),
        (DeviceKind::Camera, Sources::TestPatterns) => {
            Some("videotestsrc is-live=true pattern=ball")
        }
        (DeviceKind::Camera, Sources::TestSignal) => {
            // One solid colour, switched by its value: changing videotestsrc's pattern while
            // it streams reallocates what it draws with, and crashed one run in a few.
            Some(
                "videotestsrc name=testvideo is-live=true pattern=solid-color foreground-color=0xff000000",
            )
        }
    };
    match (test_source, kind) {
        (Some(launch), _) => parsed(launch),
        (None, DeviceKind::Speaker) if !config.play_audio => {
            parsed("fakesink sync=false async=false")
        }
        (None, _) => devices::open(kind, choice.of(kind)),
    }
}

fn parsed(launch: &str) -> Result<gst::Element, MediaFailure> {
    gst::parse_launch(launch).map_err(|error| MediaFailure::Engine(error.to_string()))
}

/// Puts `element` where the device of its kind is linked, in place of the one there.
fn replace(
    pipeline: &gst::Pipeline,
    kind: DeviceKind,
    element: gst::Element,
) -> Result<(), MediaFailure> {
    let broken = |what: &str| MediaFailure::Engine(format!("{what} ({kind:?})"));
    if kind == DeviceKind::Speaker {
        let out = pipeline
            .by_name(SPEAKER_OUT)
            .and_then(|out| out.static_pad("src"))
            .ok_or_else(|| broken("no speaker output"))?;
        // Played to while the other side's sound flows: swapped between two buffers.
        let pipeline = pipeline.downgrade();
        let element = std::sync::Mutex::new(Some(element));
        out.add_probe(gst::PadProbeType::IDLE, move |pad, _| {
            let element = element.lock().unwrap_or_else(|e| e.into_inner()).take();
            if let (Some(pipeline), Some(element)) = (pipeline.upgrade(), element)
                && swap_sink(&pipeline, pad, element).is_err()
            {
                tracing::warn!("the speaker could not be changed");
            }
            gst::PadProbeReturn::Remove
        });
        return Ok(());
    }
    let input_name = if kind == DeviceKind::Camera {
        CAMERA_IN
    } else {
        MICROPHONE_IN
    };
    let input = pipeline
        .by_name(input_name)
        .ok_or_else(|| broken("no input"))?;
    let sink = input.static_pad("sink").ok_or_else(|| broken("no input"))?;
    // A source stops pushing once stopped: the old one goes first, then the new one is linked.
    if let Some(old) = sink.peer().and_then(|peer| peer.parent_element()) {
        let _ = old.set_state(gst::State::Null);
        let _ = pipeline.remove(&old);
    }
    pipeline
        .add(&element)
        .map_err(|_| broken("could not be added"))?;
    element
        .link(&input)
        .map_err(|_| broken("could not be linked"))?;
    element
        .sync_state_with_parent()
        .map_err(|_| MediaFailure::DeviceMissing(format!("{kind:?} could not be started")))
}

fn swap_sink(
    pipeline: &gst::Pipeline,
    out: &gst::Pad,
    element: gst::Element,
) -> Result<(), gst::glib::BoolError> {
    if let Some(peer) = out.peer() {
        let _ = out.unlink(&peer);
        if let Some(old) = peer.parent_element() {
            let _ = old.set_state(gst::State::Null);
            let _ = pipeline.remove(&old);
        }
    }
    // A sink joining a playing pipeline must not hold it back while it prerolls.
    if element.find_property("async").is_some() {
        element.set_property("async", false);
    }
    pipeline.add(&element)?;
    let input = element
        .static_pad("sink")
        .ok_or_else(|| gst::glib::bool_error!("a sink without input"))?;
    out.link(&input)
        .map_err(|_| gst::glib::bool_error!("not linked"))?;
    element.sync_state_with_parent()
}
