//! webrtcbin's session descriptions (`GstWebRTCSessionDescription`), to and from SDP text.
//!
//! The Rust bindings of that type (`gstreamer-webrtc`) build only with the development package
//! of GStreamer's "bad" plugins, which on Debian pulls in some 270 packages (OpenCV, Qt, GDAL)
//! for one header. The type itself is small and stable since GStreamer 1.12: a type tag and an
//! SDP message. It is a GLib boxed type, registered by the webrtc library that webrtcbin loads,
//! so GLib can copy one for us from a struct of the same layout: its copy function allocates the
//! real thing and deep-copies the message, and nothing here frees what GStreamer owns.
#![allow(unsafe_code)]

use gstreamer::glib::{self, translate::*};
use gstreamer_sdp as gst_sdp;

/// `GstWebRTCSDPType`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(i32)]
pub(crate) enum Kind {
    Offer = 1,
    Answer = 3,
}

/// The layout of `GstWebRTCSessionDescription` (gst/webrtc/rtcsessiondescription.h).
#[repr(C)]
struct RawSessionDescription {
    kind: i32,
    sdp: *mut gst_sdp::ffi::GstSDPMessage,
}

const TYPE_NAME: &str = "GstWebRTCSessionDescription";

fn session_description_type() -> Option<glib::Type> {
    glib::Type::from_name(TYPE_NAME)
}

/// The SDP text of a session description that webrtcbin handed out.
pub(crate) fn text_of(value: &glib::Value) -> Option<String> {
    if Some(value.type_()) != session_description_type() {
        return None;
    }
    // SAFETY: the value holds a boxed GstWebRTCSessionDescription (its type was checked), whose
    // layout is `RawSessionDescription`; the text returned by GStreamer is ours to free.
    unsafe {
        let raw = glib::gobject_ffi::g_value_get_boxed(value.to_glib_none().0)
            as *const RawSessionDescription;
        if raw.is_null() || (*raw).sdp.is_null() {
            return None;
        }
        let text = gst_sdp::ffi::gst_sdp_message_as_text((*raw).sdp);
        if text.is_null() {
            return None;
        }
        Some(glib::GString::from_glib_full(text).to_string())
    }
}

/// A session description of `kind` for webrtcbin, from SDP text received from the other side.
pub(crate) fn value_of(kind: Kind, sdp: &str) -> Result<glib::Value, String> {
    let type_ = session_description_type().ok_or_else(|| "webrtcbin is not loaded".to_owned())?;
    let message = gst_sdp::SDPMessage::parse_buffer(sdp.as_bytes())
        .map_err(|_| "not a session description".to_owned())?;
    // SAFETY: `raw` has the layout of the boxed type; `g_boxed_copy` calls GStreamer's own copy
    // function, which allocates a new description and copies the message (still ours, dropped
    // below). The value then takes the copy over.
    unsafe {
        let raw = RawSessionDescription {
            kind: kind as i32,
            sdp: ToGlibPtr::<*const gst_sdp::ffi::GstSDPMessage>::to_glib_none(&message).0
                as *mut gst_sdp::ffi::GstSDPMessage,
        };
        let copy = glib::gobject_ffi::g_boxed_copy(
            type_.into_glib(),
            &raw as *const RawSessionDescription as glib::ffi::gconstpointer,
        );
        let mut value = glib::Value::from_type(type_);
        glib::gobject_ffi::g_value_take_boxed(value.to_glib_none_mut().0, copy);
        Ok(value)
    }
}

/// The `a=mid` of each media section, in order: Matrix candidates name their section by mid,
/// webrtcbin by index.
pub(crate) fn mids(sdp: &str) -> Vec<Option<String>> {
    let mut mids = Vec::new();
    for line in sdp.lines() {
        let line = line.trim_end();
        if line.starts_with("m=") {
            mids.push(None);
        } else if let Some(mid) = line.strip_prefix("a=mid:")
            && let Some(last) = mids.last_mut()
        {
            *last = Some(mid.to_owned());
        }
    }
    mids
}

#[cfg(test)]
mod tests {
    use super::*;

    const OFFER: &str = "v=0\r\no=- 1 0 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\n\
        m=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=mid:audio0\r\n\
        m=video 9 UDP/TLS/RTP/SAVPF 96\r\na=mid:video1\r\n";

    #[test]
    fn media_sections_are_named_by_their_mid() {
        assert_eq!(
            mids(OFFER),
            vec![Some("audio0".to_owned()), Some("video1".to_owned())]
        );
    }
}
