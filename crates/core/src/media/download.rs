//! Saving received files: streamed from the server to disk and decrypted on the way, so a
//! 2 GB file never sits in memory. The checks the SDK makes on the whole file hold here too:
//! an encrypted file's SHA-256 (checked when the stream ends), and the size the sender
//! declared. The bytes go to a hidden file beside the target, renamed onto it only once every
//! check passed: a damaged, tampered or interrupted download leaves nothing behind, and "Save
//! as…" over an existing file keeps that file until the new one is whole.

use std::{
    borrow::Cow,
    io::{self, Read, Write},
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use matrix_sdk::{
    Client,
    bytes::Bytes,
    reqwest::{self, StatusCode},
    ruma::{
        MxcUri, UInt,
        api::{
            Metadata, OutgoingRequest,
            auth_scheme::SendAccessToken,
            client::{authenticated_media, media},
        },
        events::room::{MediaSource, message::MessageType},
    },
};
use matrix_sdk_base::crypto::{AttachmentDecryptor, MediaEncryptionInfo};
use serde::Serialize;
use tempfile::NamedTempFile;
use tokio::sync::mpsc;
use tracing::instrument;

use super::{Media, MediaError, file_name::create_unique_file};
use crate::auth::{is_connection_failure, is_http_network_failure};

/// Where a downloaded file goes.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SaveTo {
    /// Into this folder, under the sender's name made safe, never replacing a file.
    Folder(PathBuf),
    /// Exactly here: a path the user chose ("Save as…"), replaced if it exists.
    File(PathBuf),
}

/// A file saved to disk.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SavedFile {
    pub path: String,
    pub size: u64,
}

/// How far a download is: bytes received, of `total` when the server or the sender said.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DownloadProgress {
    pub received: u64,
    pub total: Option<u64>,
}

/// What a message's attachment is.
pub(crate) struct Attachment {
    pub source: MediaSource,
    pub name: String,
    pub declared_size: Option<UInt>,
}

/// A server that sends nothing for this long has dropped the download. There is no limit on
/// the whole: a large file on a slow line takes the time it takes.
const STALLED_AFTER: Duration = Duration::from_secs(60);
const WHOLE_DOWNLOAD_LIMIT: Duration = Duration::from_secs(24 * 60 * 60);

/// Chunks received but not yet written: enough to keep the disk busy, few enough that a slow
/// disk slows the download instead of filling memory.
const CHUNKS_IN_FLIGHT: usize = 16;
const WRITE_BUFFER: usize = 256 * 1024;
const PROGRESS_EVERY: Duration = Duration::from_millis(100);

impl Media<'_> {
    /// Saves the file of the message `event_id` (a file, picture, video or voice message),
    /// telling `progress` how far it is as the bytes arrive.
    #[instrument(skip_all, fields(account = %self.account.id()))]
    pub async fn download(
        &self,
        room_id: &str,
        event_id: &str,
        to: SaveTo,
        progress: impl Fn(DownloadProgress) + Send,
    ) -> Result<SavedFile, MediaError> {
        let attachment = self.attachment(room_id, event_id).await?;
        let name = attachment.name.clone();
        let Destination { target, part } =
            tokio::task::spawn_blocking(move || Destination::prepare(&to, &name))
                .await
                .map_err(|error| MediaError::Write(error.to_string()))??;
        // Whatever stops the download here, an error or the caller giving up (dropping this
        // future), the part file and the reserved name go with `target` and the writer.
        let (part, size) = self.receive(&attachment, part, None, progress).await?;
        tokio::task::spawn_blocking(move || target.fill(part, size))
            .await
            .map_err(|error| MediaError::Write(error.to_string()))?
    }

    /// Streams the attachment's bytes into `output`, decrypted and checked, and hands `output`
    /// back with the size written. More than `limit` bytes is [`MediaError::TooLargeToShow`].
    pub(crate) async fn receive<W: Write + Send + 'static>(
        &self,
        attachment: &Attachment,
        output: W,
        limit: Option<u64>,
        progress: impl Fn(DownloadProgress) + Send,
    ) -> Result<(W, u64), MediaError> {
        let (uri, encryption) = match &attachment.source {
            MediaSource::Plain(uri) => (uri.clone(), None),
            MediaSource::Encrypted(file) => (
                file.url.clone(),
                Some(MediaEncryptionInfo::from((**file).clone())),
            ),
        };
        let declared_size = attachment.declared_size.map(u64::from);
        if let (Some(declared), Some(limit)) = (declared_size, limit)
            && declared > limit
        {
            return Err(MediaError::TooLargeToShow);
        }
        let mut response = open_download(self.account.client(), &uri).await?;
        let sent_size = response.content_length();
        if let (Some(declared), Some(sent)) = (declared_size, sent_size)
            && declared != sent
        {
            return Err(MediaError::Damaged);
        }
        let total = declared_size.or(sent_size);

        let (chunks, received_chunks) = mpsc::channel(CHUNKS_IN_FLIGHT);
        let writer = tokio::task::spawn_blocking(move || {
            write_out(
                ChunkReader::new(received_chunks),
                encryption,
                output,
                declared_size,
            )
        });
        let mut received = 0u64;
        let mut last_report = Instant::now();
        progress(DownloadProgress { received, total });
        let streamed = async {
            loop {
                let chunk = tokio::time::timeout(STALLED_AFTER, response.chunk())
                    .await
                    .map_err(|_| MediaError::Offline)?
                    .map_err(|error| from_reqwest(&error))?;
                let Some(chunk) = chunk else {
                    let _ = chunks.send(Piece::End).await;
                    return Ok(());
                };
                received += chunk.len() as u64;
                // A server sending more than the sender declared is not sending their file.
                if declared_size.is_some_and(|declared| received > declared) {
                    return Err(MediaError::Damaged);
                }
                if limit.is_some_and(|limit| received > limit) {
                    return Err(MediaError::TooLargeToShow);
                }
                if chunks.send(Piece::Data(chunk)).await.is_err() {
                    // The writer stopped; its own error says why.
                    return Ok(());
                }
                if last_report.elapsed() >= PROGRESS_EVERY {
                    last_report = Instant::now();
                    progress(DownloadProgress { received, total });
                }
            }
        }
        .await;
        // Without `Piece::End`, the writer takes the stream as cut and stops.
        drop(chunks);
        let written = writer
            .await
            .map_err(|error| MediaError::Write(error.to_string()))?;
        streamed?;
        let (output, size) = written.map_err(MediaError::from)?;
        progress(DownloadProgress {
            received: size,
            total: Some(size),
        });
        Ok((output, size))
    }

    async fn attachment(&self, room_id: &str, event_id: &str) -> Result<Attachment, MediaError> {
        self.message(room_id, event_id)
            .await?
            .and_then(Attachment::of)
            .ok_or(MediaError::NoAttachment)
    }
}

impl Attachment {
    /// The file of a file, picture, video or voice message.
    pub(crate) fn of(message: MessageType) -> Option<Self> {
        let (source, name, declared_size) = match message {
            MessageType::File(file) => (
                file.source.clone(),
                file.filename().to_owned(),
                file.info.and_then(|info| info.size),
            ),
            MessageType::Image(image) => (
                image.source.clone(),
                image.filename().to_owned(),
                image.info.and_then(|info| info.size),
            ),
            MessageType::Video(video) => (
                video.source.clone(),
                video.filename().to_owned(),
                video.info.and_then(|info| info.size),
            ),
            MessageType::Audio(audio) => (
                audio.source.clone(),
                audio.filename().to_owned(),
                audio.info.and_then(|info| info.size),
            ),
            _ => return None,
        };
        Some(Self {
            source,
            name,
            declared_size,
        })
    }
}

/// Starts the download of `uri`, through the authenticated media API when the server has it.
/// The SDK's own media calls hold the whole answer in memory; this one hands the body over as
/// it arrives.
async fn open_download(client: &Client, uri: &MxcUri) -> Result<reqwest::Response, MediaError> {
    let versions = client
        .supported_versions()
        .await
        .map_err(|error| from_http(&error))?;
    let mut refreshed = false;
    loop {
        let token = client
            .access_token()
            .ok_or_else(|| MediaError::Fetch("signed out".to_owned()))?;
        let token = SendAccessToken::Always(&token);
        let http_request = if authenticated_media::get_content::v1::Request::PATH_BUILDER
            .is_supported(&versions)
        {
            authenticated_media::get_content::v1::Request::from_uri(uri)
                .map_err(|_| MediaError::InvalidAddress)?
                .try_into_http_request::<Vec<u8>>(
                    client.homeserver().as_str(),
                    token,
                    Cow::Borrowed(&versions),
                )
        } else {
            #[allow(deprecated)]
            let request = media::get_content::v3::Request::from_url(uri)
                .map_err(|_| MediaError::InvalidAddress)?;
            request.try_into_http_request::<Vec<u8>>(
                client.homeserver().as_str(),
                token,
                Cow::Borrowed(&versions),
            )
        }
        .map_err(|error| MediaError::Fetch(error.to_string()))?;
        let mut request = reqwest::Request::try_from(http_request)
            .map_err(|error| MediaError::Fetch(error.to_string()))?;
        *request.timeout_mut() = Some(WHOLE_DOWNLOAD_LIMIT);
        let response = client
            .http_client()
            .execute(request)
            .await
            .map_err(|error| from_reqwest(&error))?;
        match response.status() {
            status if status.is_success() => return Ok(response),
            // An expired token (OpenID Connect sessions renew theirs every few minutes).
            StatusCode::UNAUTHORIZED
                if !refreshed
                    && client
                        .session_tokens()
                        .is_some_and(|tokens| tokens.refresh_token.is_some()) =>
            {
                refreshed = true;
                client
                    .refresh_access_token()
                    .await
                    .map_err(|error| MediaError::Fetch(error.to_string()))?;
            }
            StatusCode::NOT_FOUND => {
                return Err(MediaError::Fetch(
                    "the server no longer has this file".to_owned(),
                ));
            }
            status => return Err(MediaError::Fetch(format!("the server answered {status}"))),
        }
    }
}

fn from_reqwest(error: &reqwest::Error) -> MediaError {
    // A body cut short is the connection lost halfway.
    if is_connection_failure(error) || error.is_body() {
        MediaError::Offline
    } else {
        MediaError::Fetch(error.to_string())
    }
}

fn from_http(error: &matrix_sdk::HttpError) -> MediaError {
    if is_http_network_failure(error) {
        MediaError::Offline
    } else {
        MediaError::Fetch(error.to_string())
    }
}

enum Piece {
    Data(Bytes),
    /// The server sent the whole body. A channel closed without it means the stream was cut.
    End,
}

/// The received chunks as a [`Read`], for the SDK's decryptor; runs on a blocking thread.
struct ChunkReader {
    chunks: mpsc::Receiver<Piece>,
    current: Bytes,
    ended: bool,
}

impl ChunkReader {
    fn new(chunks: mpsc::Receiver<Piece>) -> Self {
        Self {
            chunks,
            current: Bytes::new(),
            ended: false,
        }
    }
}

impl Read for ChunkReader {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        while self.current.is_empty() {
            if self.ended {
                return Ok(0);
            }
            match self.chunks.blocking_recv() {
                Some(Piece::Data(chunk)) => self.current = chunk,
                Some(Piece::End) => self.ended = true,
                None => return Err(io::Error::new(io::ErrorKind::ConnectionAborted, "cut")),
            }
        }
        let length = buffer.len().min(self.current.len());
        buffer[..length].copy_from_slice(&self.current.split_to(length));
        Ok(length)
    }
}

/// Where the bytes go while they arrive, and the path they get once whole.
struct Destination {
    target: Target,
    /// A hidden file beside the target, deleted when dropped unless moved into place.
    part: NamedTempFile,
}

/// The path a download gets once whole. A name reserved in the Downloads folder is given
/// back if the download never fills it.
struct Target {
    path: PathBuf,
    reserved: bool,
}

impl Destination {
    fn prepare(to: &SaveTo, name: &str) -> Result<Self, MediaError> {
        let failed = |error: io::Error| MediaError::Write(error.to_string());
        let target = match to {
            SaveTo::Folder(folder) => Target {
                path: create_unique_file(folder, name).map_err(failed)?.0,
                reserved: true,
            },
            SaveTo::File(path) => Target {
                path: path.clone(),
                reserved: false,
            },
        };
        let folder = target.path.parent().unwrap_or(Path::new("."));
        let part = tempfile::Builder::new()
            .prefix(".estafette-")
            .suffix(".part")
            .tempfile_in(folder)
            .map_err(failed)?;
        Ok(Self { target, part })
    }
}

impl Target {
    /// Moves the whole, checked file into place (a rename, so a file at the path is never
    /// half written).
    fn fill(mut self, part: NamedTempFile, size: u64) -> Result<SavedFile, MediaError> {
        let failed = |error: io::Error| MediaError::Write(error.to_string());
        part.as_file().sync_all().map_err(failed)?;
        part.persist(&self.path)
            .map_err(|error| failed(error.error))?;
        self.reserved = false;
        Ok(SavedFile {
            path: self.path.to_string_lossy().into_owned(),
            size,
        })
    }
}

impl Drop for Target {
    fn drop(&mut self) {
        if self.reserved {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

/// Decrypts (when `encryption`) and writes what `source` yields into `output`, checking the
/// size the sender declared. On a blocking thread.
fn write_out<W: Write>(
    mut source: ChunkReader,
    encryption: Option<MediaEncryptionInfo>,
    mut output: W,
    declared_size: Option<u64>,
) -> Result<(W, u64), Failure> {
    let size = match encryption {
        Some(info) => match AttachmentDecryptor::new(&mut source, info) {
            Ok(mut decrypted) => copy(&mut decrypted, &mut output)?,
            // Keys or hash missing or malformed: the message does not describe its file.
            Err(_) => return Err(Failure::Damaged),
        },
        None => copy(&mut source, &mut output)?,
    };
    match declared_size {
        Some(declared) if declared != size => Err(Failure::Damaged),
        _ => Ok((output, size)),
    }
}

enum Failure {
    /// The server's stream was cut: the download's own error says more.
    Cut,
    /// The checksum or the size did not hold.
    Damaged,
    Disk(io::Error),
}

impl From<Failure> for MediaError {
    fn from(failure: Failure) -> Self {
        match failure {
            Failure::Cut => MediaError::Offline,
            Failure::Damaged => MediaError::Damaged,
            Failure::Disk(error) => MediaError::Write(error.to_string()),
        }
    }
}

fn copy(source: &mut impl Read, output: &mut impl Write) -> Result<u64, Failure> {
    let mut output = io::BufWriter::with_capacity(WRITE_BUFFER, output);
    let mut buffer = vec![0; WRITE_BUFFER];
    let mut size = 0u64;
    loop {
        let length = match source.read(&mut buffer) {
            Ok(0) => break,
            Ok(length) => length,
            Err(error) if error.kind() == io::ErrorKind::Interrupted => continue,
            Err(error) if error.kind() == io::ErrorKind::ConnectionAborted => {
                return Err(Failure::Cut);
            }
            // The decryptor's checksum did not hold.
            Err(_) => return Err(Failure::Damaged),
        };
        output.write_all(&buffer[..length]).map_err(Failure::Disk)?;
        size += length as u64;
    }
    output.flush().map_err(Failure::Disk)?;
    Ok(size)
}
