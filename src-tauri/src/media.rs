//! The `estafette-media` URI scheme: avatars, images, videos and voice messages fetched and
//! decrypted by the core, served to the webview from memory. The page never loads a remote
//! URL and never sees a key.
//!
//! Paths (each segment URI-encoded): `/<account>/thumbnail/<mxc>?size=N` (avatars),
//! `/<account>/image/<room ID>/<event ID>?thumbnail=1` (pictures) and
//! `/<account>/play/<room ID>/<event ID>` (videos and voice messages). WebKitGTK's player
//! cannot read a custom scheme (WebKit bug 146351: GStreamer has no handler for it), so the
//! page fetches a video whole and plays it from a `blob:` URL, as Element Web does with the
//! files it decrypts; every platform takes that one path.

use estafette_core::{AccountId, Code};
use percent_encoding::percent_decode_str;
use tauri::{
    AppHandle, Manager,
    http::{Request, Response, StatusCode, header},
};

use crate::{
    error::{IpcError, IpcErrorCode},
    state::AppState,
};

pub const SCHEME: &str = "estafette-media";

const DEFAULT_AVATAR_SIZE: u32 = 96;

/// Where the app's page comes from: `tauri://localhost` on Linux and macOS,
/// `http://tauri.localhost` on Windows.
const APP_ORIGINS: &[&str] = &["tauri://localhost", "http://tauri.localhost"];

pub async fn respond(app: &AppHandle, request: Request<Vec<u8>>) -> Response<Vec<u8>> {
    let state = app.state::<AppState>();
    let served = match route(request.uri()) {
        Ok(route) => serve(&state, route, &request).await,
        Err(error) => Err(error),
    };
    served.unwrap_or_else(|error| {
        tracing::debug!(code = %error.code, "media request failed");
        status(
            if error.code == IpcErrorCode::Core(Code::MediaInvalidAddress) {
                StatusCode::BAD_REQUEST
            } else {
                StatusCode::NOT_FOUND
            },
        )
    })
}

/// What a media address asks for.
#[derive(Debug, PartialEq, Eq)]
enum Route {
    Avatar {
        account: String,
        mxc: String,
        size: u32,
    },
    Image {
        account: String,
        room_id: String,
        event_id: String,
        thumbnail: bool,
    },
    Play {
        account: String,
        room_id: String,
        event_id: String,
    },
}

fn route(uri: &tauri::http::Uri) -> Result<Route, IpcError> {
    let invalid = || IpcError::new(Code::MediaInvalidAddress, "not a valid media address");
    let segments: Vec<String> = uri
        .path()
        .trim_start_matches('/')
        .split('/')
        .map(|segment| percent_decode_str(segment).decode_utf8_lossy().into_owned())
        .collect();
    let query = uri.query().unwrap_or_default();
    let parameter = |name: &str| {
        query.split('&').find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name).then_some(value)
        })
    };
    let [account, kind, rest @ ..] = segments.as_slice() else {
        return Err(invalid());
    };
    let account = account.clone();
    match (kind.as_str(), rest) {
        ("thumbnail", [mxc]) => Ok(Route::Avatar {
            account,
            mxc: mxc.clone(),
            size: parameter("size")
                .and_then(|size| size.parse().ok())
                .unwrap_or(DEFAULT_AVATAR_SIZE),
        }),
        ("image", [room_id, event_id]) => Ok(Route::Image {
            account,
            room_id: room_id.clone(),
            event_id: event_id.clone(),
            thumbnail: parameter("thumbnail") == Some("1"),
        }),
        ("play", [room_id, event_id]) => Ok(Route::Play {
            account,
            room_id: room_id.clone(),
            event_id: event_id.clone(),
        }),
        _ => Err(invalid()),
    }
}

async fn serve(
    state: &AppState,
    route: Route,
    request: &Request<Vec<u8>>,
) -> Result<Response<Vec<u8>>, IpcError> {
    let account = |id: String| async move { crate::commands::account(state, &AccountId(id)).await };
    let content = match route {
        Route::Avatar {
            account: id,
            mxc,
            size,
        } => {
            account(id)
                .await?
                .media()
                .avatar_thumbnail(&mxc, size)
                .await?
        }
        Route::Image {
            account: id,
            room_id,
            event_id,
            thumbnail,
        } => {
            account(id)
                .await?
                .media()
                .event_image(&room_id, &event_id, thumbnail)
                .await?
        }
        Route::Play {
            account: id,
            room_id,
            event_id,
        } => {
            let content = account(id)
                .await?
                .media()
                .event_playable(&room_id, &event_id)
                .await?;
            let Some(mime_type) = playable_type(&content.bytes) else {
                return Ok(status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
            };
            let mut response =
                served(StatusCode::OK, mime_type).header(header::CACHE_CONTROL, "no-store");
            // Fetched by the page (another origin than the scheme's), so it must be allowed
            // to read the answer: the app's own page, and nothing else.
            if let Some(origin) = request.headers().get(header::ORIGIN).filter(|origin| {
                APP_ORIGINS
                    .iter()
                    .any(|app| origin.as_bytes() == app.as_bytes())
            }) {
                response = response.header(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            }
            return Ok(response
                .body(content.bytes)
                .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR)));
        }
    };
    Ok(match image_type(&content.bytes) {
        Some(mime_type) => served(StatusCode::OK, mime_type)
            .header(header::CACHE_CONTROL, "private, max-age=3600")
            .body(content.bytes)
            .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR)),
        None => status(StatusCode::UNSUPPORTED_MEDIA_TYPE),
    })
}

fn served(code: StatusCode, mime_type: &str) -> tauri::http::response::Builder {
    Response::builder()
        .status(code)
        .header(header::CONTENT_TYPE, mime_type)
        .header("X-Content-Type-Options", "nosniff")
        .header(header::CONTENT_SECURITY_POLICY, "default-src 'none'")
}

/// Only raster images are served, recognised by their first bytes whatever the sender
/// declared: no SVG or HTML can reach the webview this way.
pub(crate) fn image_type(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0x89, b'P', b'N', b'G', ..] => Some("image/png"),
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [b'G', b'I', b'F', b'8', ..] => Some("image/gif"),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'E',
            b'B',
            b'P',
            ..,
        ] => Some("image/webp"),
        _ => None,
    }
}

/// Videos and sounds, recognised by their first bytes the same way: the containers the
/// system's player reads, nothing a webview would run.
fn playable_type(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0x1A, 0x45, 0xDF, 0xA3, ..] => Some("video/webm"),
        [_, _, _, _, b'f', b't', b'y', b'p', b'q', b't', ..] => Some("video/quicktime"),
        [_, _, _, _, b'f', b't', b'y', b'p', b'M', b'4', b'A', ..] => Some("audio/mp4"),
        [_, _, _, _, b'f', b't', b'y', b'p', ..] => Some("video/mp4"),
        [b'O', b'g', b'g', b'S', ..] => Some("audio/ogg"),
        [
            b'R',
            b'I',
            b'F',
            b'F',
            _,
            _,
            _,
            _,
            b'W',
            b'A',
            b'V',
            b'E',
            ..,
        ] => Some("audio/wav"),
        [b'f', b'L', b'a', b'C', ..] => Some("audio/flac"),
        [b'I', b'D', b'3', ..] => Some("audio/mpeg"),
        [0xFF, second, ..] if second & 0xE0 == 0xE0 => Some("audio/mpeg"),
        _ => None,
    }
}

fn status(code: StatusCode) -> Response<Vec<u8>> {
    let mut response = Response::new(Vec::new());
    *response.status_mut() = code;
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serves_raster_images_only() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n"), Some("image/png"));
        assert_eq!(image_type(b"\xFF\xD8\xFF\xE0"), Some("image/jpeg"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_type(b"<svg onload=alert(1)>"), None);
        assert_eq!(image_type(b"<html><script>"), None);
        assert_eq!(image_type(b""), None);
    }

    #[test]
    fn plays_known_containers_only() {
        assert_eq!(playable_type(b"\x1A\x45\xDF\xA3\x01"), Some("video/webm"));
        assert_eq!(playable_type(b"\0\0\0\x20ftypisom"), Some("video/mp4"));
        assert_eq!(playable_type(b"\0\0\0\x20ftypM4A "), Some("audio/mp4"));
        assert_eq!(playable_type(b"OggS\0\x02"), Some("audio/ogg"));
        assert_eq!(playable_type(b"RIFF\0\0\0\0WAVEfmt "), Some("audio/wav"));
        assert_eq!(playable_type(b"<html><script>"), None);
        assert_eq!(playable_type(b"<svg onload=alert(1)>"), None);
        assert_eq!(playable_type(b""), None);
    }

    #[test]
    fn media_addresses_are_parsed_strictly() {
        let parse = |address: &str| route(&address.parse().expect("a URI"));
        assert_eq!(
            parse("estafette-media://localhost/a1/play/%21room%3Ahs/%24event").expect("a route"),
            Route::Play {
                account: "a1".into(),
                room_id: "!room:hs".into(),
                event_id: "$event".into(),
            }
        );
        assert!(parse("estafette-media://localhost/a1/play/%21room%3Ahs").is_err());
        assert!(parse("estafette-media://localhost/a1/file/x/y").is_err());
    }
}
