//! Large files go straight to the server while it answers: read from disk, encrypted and
//! uploaded in one stream, so that a 100 MB file takes a few megabytes of memory and goes at the
//! connection's speed. The SDK's send queue, which keeps the file in its store to send it even
//! after a restart, holds it in memory several times over and writes it to SQLite (measured
//! with `cargo xtask bench media` on SDK 0.18: a twenty-fifth of a plain upload's speed, four
//! times the file's size in memory). The queue stays the path for pictures (with their
//! thumbnails), for small files, and for any file this path could not send (offline, a server
//! that refuses a streamed upload, an expired session): nothing is lost by trying.
//!
//! The message that shows the file is sent through the queue once the file is on the server.

use std::{
    io::{self, Read},
    path::PathBuf,
    sync::Arc,
    time::Duration,
};

use futures_util::{StreamExt, stream};
use matrix_sdk::{
    Client,
    ruma::{
        OwnedMxcUri, UInt,
        events::room::{
            EncryptedFile, MediaSource,
            message::{
                AudioInfo, AudioMessageEventContent, FileInfo, FileMessageEventContent,
                FormattedBody, MessageType, RoomMessageEventContent, VideoInfo,
                VideoMessageEventContent,
            },
        },
    },
};
use matrix_sdk_base::crypto::{AttachmentEncryptor, MediaEncryptionInfo};
use mime::Mime;
use serde::Deserialize;

use crate::timeline::UploadProgress;

/// Files from this size go straight to the server (below, the queue's copies cost little).
pub(crate) const DIRECT_FROM_BYTES: u64 = 8 * 1024 * 1024;
/// What is read, encrypted and handed to the connection at a time.
const CHUNK_BYTES: usize = 1024 * 1024;
/// Chunks read ahead of the connection: memory stays a few chunks, whatever the file's size.
const CHUNKS_AHEAD: usize = 4;

/// Where the file is on the server, as the message names it.
pub(crate) enum Uploaded {
    Plain(OwnedMxcUri),
    Encrypted(Box<EncryptedFile>),
}

/// Why the direct path did not send the file: the queue takes it over.
#[derive(Debug, thiserror::Error)]
#[error("{0}")]
pub(crate) struct NotSent(String);

#[derive(Deserialize)]
struct ContentUri {
    content_uri: OwnedMxcUri,
}

/// Uploads the file at `path` (`size` bytes), encrypted when `encrypt`, telling `report` how
/// many bytes have gone.
pub(crate) async fn upload(
    client: &Client,
    path: PathBuf,
    size: u64,
    mime: &Mime,
    encrypt: bool,
    report: Arc<dyn Fn(UploadProgress) + Send + Sync>,
) -> Result<Uploaded, NotSent> {
    let token = client
        .access_token()
        .ok_or_else(|| NotSent("not signed in".to_owned()))?;
    let url = client
        .homeserver()
        .join("_matrix/media/v3/upload")
        .map_err(|error| NotSent(error.to_string()))?;
    let (chunks, received) = tokio::sync::mpsc::channel::<io::Result<Vec<u8>>>(CHUNKS_AHEAD);
    let reader = tokio::task::spawn_blocking(move || read_into(path, size, encrypt, &chunks));
    let mut sent = 0u64;
    let body = stream::unfold(received, |mut received| async move {
        received.recv().await.map(|chunk| (chunk, received))
    })
    .inspect(move |chunk| {
        if let Ok(chunk) = chunk {
            sent += chunk.len() as u64;
            report(UploadProgress { sent, total: size });
        }
    });
    // An encrypted file says nothing of itself, not even its type; its name is never sent.
    let content_type = if encrypt {
        mime::APPLICATION_OCTET_STREAM.to_string()
    } else {
        mime.to_string()
    };
    let response = client
        .http_client()
        .post(url)
        .bearer_auth(token)
        .header(reqwest::header::CONTENT_TYPE, content_type)
        .header(reqwest::header::CONTENT_LENGTH, size)
        .body(reqwest::Body::wrap_stream(body))
        // The client's own limit (30 s) is for requests, not for a large file on a slow line.
        .timeout(upload_time_limit(size))
        .send()
        .await
        .map_err(|error| NotSent(error.to_string()))?;
    let status = response.status();
    if !status.is_success() {
        // Returning drops the request and its body: the reader stops at its next chunk.
        return Err(NotSent(format!("the server answered {status}")));
    }
    // The server took the whole body before it answered: the reader has finished.
    let read = reader
        .await
        .map_err(|error| NotSent(error.to_string()))?
        .map_err(|error| NotSent(format!("reading the file: {error}")))?;
    let ContentUri { content_uri } = response
        .json()
        .await
        .map_err(|error| NotSent(error.to_string()))?;
    Ok(match read {
        Some(info) => Uploaded::Encrypted(Box::new(EncryptedFile::new(
            content_uri,
            info.encryption_info,
            info.hashes,
        ))),
        None => Uploaded::Plain(content_uri),
    })
}

/// A minute, and as long again as the file takes at 128 KiB/s.
fn upload_time_limit(size: u64) -> Duration {
    Duration::from_secs(60 + size / (128 * 1024))
}

/// Reads `size` bytes of the file into `chunks`, through the encryptor when `encrypt`; returns
/// how it was encrypted. Stops when the connection stops taking chunks.
fn read_into(
    path: PathBuf,
    size: u64,
    encrypt: bool,
    chunks: &tokio::sync::mpsc::Sender<io::Result<Vec<u8>>>,
) -> io::Result<Option<MediaEncryptionInfo>> {
    // No more than the length announced, should the file grow meanwhile.
    let mut file = std::fs::File::open(path)?.take(size);
    if encrypt {
        let mut encryptor = AttachmentEncryptor::new(&mut file);
        pump(&mut encryptor, chunks)?;
        Ok(Some(encryptor.finish()))
    } else {
        pump(&mut file, chunks)?;
        Ok(None)
    }
}

fn pump(
    reader: &mut impl Read,
    chunks: &tokio::sync::mpsc::Sender<io::Result<Vec<u8>>>,
) -> io::Result<()> {
    loop {
        let mut chunk = vec![0; CHUNK_BYTES];
        let mut filled = 0;
        while filled < CHUNK_BYTES {
            match reader.read(&mut chunk[filled..]) {
                Ok(0) => break,
                Ok(read) => filled += read,
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => {
                    // The request fails with it, rather than ending as if the file were whole.
                    let _ = chunks.blocking_send(Err(io::Error::new(error.kind(), "read failed")));
                    return Err(error);
                }
            }
        }
        if filled == 0 {
            return Ok(());
        }
        chunk.truncate(filled);
        if chunks.blocking_send(Ok(chunk)).is_err() {
            return Err(io::Error::other("the upload stopped"));
        }
    }
}

/// The message that shows the uploaded file: a video, a sound or a file card by its type, with
/// its size, and the caption as its text (the file's name then goes apart, as the spec says).
pub(crate) fn message(
    filename: String,
    uploaded: Uploaded,
    mime: &Mime,
    size: u64,
    caption: Option<String>,
) -> RoomMessageEventContent {
    let source = match uploaded {
        Uploaded::Plain(uri) => MediaSource::Plain(uri),
        Uploaded::Encrypted(file) => MediaSource::Encrypted(file),
    };
    let size = UInt::try_from(size).ok();
    let mimetype = Some(mime.essence_str().to_owned());
    let caption = caption.filter(|caption| !caption.trim().is_empty());
    let formatted = caption.as_deref().and_then(FormattedBody::markdown);
    let (body, filename) = match caption {
        Some(caption) => (caption, Some(filename)),
        None => (filename, None),
    };
    let msgtype = match mime.type_() {
        mime::VIDEO => {
            let mut info = VideoInfo::new();
            info.mimetype = mimetype;
            info.size = size;
            let mut content = VideoMessageEventContent::new(body, source).info(Box::new(info));
            content.filename = filename;
            content.formatted = formatted;
            MessageType::Video(content)
        }
        mime::AUDIO => {
            let mut info = AudioInfo::new();
            info.mimetype = mimetype;
            info.size = size;
            let mut content = AudioMessageEventContent::new(body, source).info(Box::new(info));
            content.filename = filename;
            content.formatted = formatted;
            MessageType::Audio(content)
        }
        _ => {
            let mut info = FileInfo::new();
            info.mimetype = mimetype;
            info.size = size;
            let mut content = FileMessageEventContent::new(body, source).info(Box::new(info));
            content.filename = filename;
            content.formatted = formatted;
            MessageType::File(content)
        }
    };
    RoomMessageEventContent::new(msgtype)
}
