//! The `estafette-media` URI scheme: avatars and images fetched and decrypted by the core,
//! served to the webview from memory. The page never loads a remote URL and never sees a key.
//!
//! Paths: `/<account>/thumbnail/<mxc, URI-encoded>?size=N` (avatars, inline images) and
//! `/<account>/image/<room ID>/<event ID>?thumbnail=1` (each segment URI-encoded).

use estafette_core::{AccountId, Code, media::MediaContent};
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

pub async fn respond(app: &AppHandle, request: Request<Vec<u8>>) -> Response<Vec<u8>> {
    let state = app.state::<AppState>();
    match fetch(&state, request.uri()).await {
        Ok(content) => match image_type(&content.bytes) {
            Some(mime_type) => Response::builder()
                .status(StatusCode::OK)
                .header(header::CONTENT_TYPE, mime_type)
                .header(header::CACHE_CONTROL, "private, max-age=3600")
                .header("X-Content-Type-Options", "nosniff")
                .header(header::CONTENT_SECURITY_POLICY, "default-src 'none'")
                .body(content.bytes)
                .unwrap_or_else(|_| status(StatusCode::INTERNAL_SERVER_ERROR)),
            None => status(StatusCode::UNSUPPORTED_MEDIA_TYPE),
        },
        Err(error) => {
            tracing::debug!(code = %error.code, "media request failed");
            status(
                if error.code == IpcErrorCode::Core(Code::MediaInvalidAddress) {
                    StatusCode::BAD_REQUEST
                } else {
                    StatusCode::NOT_FOUND
                },
            )
        }
    }
}

async fn fetch(state: &AppState, uri: &tauri::http::Uri) -> Result<MediaContent, IpcError> {
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
    let account = crate::commands::account(state, &AccountId(account.clone())).await?;
    match (kind.as_str(), rest) {
        ("thumbnail", [mxc]) => {
            let size = parameter("size")
                .and_then(|size| size.parse().ok())
                .unwrap_or(DEFAULT_AVATAR_SIZE);
            Ok(account.media().avatar_thumbnail(mxc, size).await?)
        }
        ("image", [room_id, event_id]) => {
            let thumbnail = parameter("thumbnail") == Some("1");
            Ok(account
                .media()
                .event_image(room_id, event_id, thumbnail)
                .await?)
        }
        _ => Err(invalid()),
    }
}

/// Only raster images are served, recognised by their first bytes whatever the sender
/// declared: no SVG or HTML can reach the webview this way.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
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

fn status(code: StatusCode) -> Response<Vec<u8>> {
    let mut response = Response::new(Vec::new());
    *response.status_mut() = code;
    response
}

#[cfg(test)]
mod tests {
    use super::image_type;

    #[test]
    fn serves_raster_images_only() {
        assert_eq!(image_type(b"\x89PNG\r\n\x1a\n"), Some("image/png"));
        assert_eq!(image_type(b"\xFF\xD8\xFF\xE0"), Some("image/jpeg"));
        assert_eq!(image_type(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(image_type(b"<svg onload=alert(1)>"), None);
        assert_eq!(image_type(b"<html><script>"), None);
        assert_eq!(image_type(b""), None);
    }
}
