//! Sending files: read, checked against the server's limit, photos cleaned of their metadata and
//! described (dimensions, thumbnail, blurhash), then handed to the SDK's persistent send queue,
//! which encrypts them in encrypted rooms and sends them once, even across a restart.

use std::{io::Cursor, path::PathBuf, sync::Arc};

use image::{DynamicImage, ImageDecoder, ImageFormat, ImageReader, Limits};
use matrix_sdk::{
    EncryptionState,
    attachment::{
        AttachmentConfig, AttachmentInfo, BaseAudioInfo, BaseFileInfo, BaseImageInfo,
        BaseVideoInfo, Thumbnail,
    },
    ruma::{TransactionId, UInt, events::room::message::TextMessageEventContent},
};
use mime::Mime;
use tracing::{debug, instrument};

use crate::{auth::is_network_failure, timeline::UploadProgress};

use super::{
    Media, MediaError, direct,
    metadata::{PictureFormat, strip_metadata},
};

/// A file to send, as the user picked it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutgoingFile {
    pub path: PathBuf,
    /// Sent with the file, as Element shows it: below the picture or the file card.
    pub caption: Option<String>,
    /// Sends a photo as it is, with its location and camera details (off unless chosen).
    pub keep_metadata: bool,
}

/// Bytes to send under a name: what the user pasted (a screenshot, copied files), sent from
/// memory without ever being written to disk.
#[derive(Clone, PartialEq, Eq)]
pub struct PastedFile {
    pub name: String,
    pub bytes: Vec<u8>,
    pub caption: Option<String>,
    pub keep_metadata: bool,
}

impl std::fmt::Debug for PastedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PastedFile")
            .field("bytes", &self.bytes.len())
            .field("keep_metadata", &self.keep_metadata)
            .finish_non_exhaustive()
    }
}

/// Pictures larger than this are not decoded for a thumbnail (a picture of 10 000 × 10 000
/// pixels needs 400 MB to decode); they are sent with their dimensions only.
const MAX_DECODED_PIXELS: u64 = 50_000_000;
/// What a decoder may allocate at most, whatever the file claims.
const MAX_DECODER_ALLOCATION: u64 = 512 * 1024 * 1024;
/// The thumbnail's bounding box, as Element makes them.
const THUMBNAIL_WIDTH: u32 = 800;
const THUMBNAIL_HEIGHT: u32 = 600;
const THUMBNAIL_JPEG_QUALITY: u8 = 80;

/// A file ready for the send queue.
pub(crate) struct Prepared {
    pub filename: String,
    pub mime: Mime,
    pub bytes: Vec<u8>,
    pub info: AttachmentInfo,
    pub thumbnail: Option<Thumbnail>,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Prepared")
            .field("mime", &self.mime)
            .field("bytes", &self.bytes.len())
            .field("thumbnail", &self.thumbnail.is_some())
            .finish_non_exhaustive()
    }
}

impl Media<'_> {
    /// Sends the file at `file.path` into the room; returns the transaction ID of its local
    /// echo, which the room's timeline shows with the upload's progress and which
    /// [`crate::timeline::RoomTimeline::cancel_send`] cancels.
    pub async fn send_file(&self, room_id: &str, file: OutgoingFile) -> Result<String, MediaError> {
        self.send_file_reporting(room_id, file, |_| {}).await
    }

    /// Sends the file as [`Media::send_file`] does, telling `report` how far the upload of a
    /// large file is: one that is not a picture goes straight to the server while it answers
    /// (see `direct`), and its message is queued once the file is there. Any other file
    /// shows its progress on its local echo.
    #[instrument(skip_all, fields(account = %self.account.id()))]
    pub async fn send_file_reporting(
        &self,
        room_id: &str,
        file: OutgoingFile,
        report: impl Fn(UploadProgress) + Send + Sync + 'static,
    ) -> Result<String, MediaError> {
        let room = self.account.room(room_id)?;
        let size = tokio::fs::metadata(&file.path)
            .await
            .map_err(|error| MediaError::Read(error.to_string()))?
            .len();
        self.check_upload_limit(size).await?;
        let filename = file
            .path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_else(|| "file".to_owned());
        if size >= direct::DIRECT_FROM_BYTES && !starts_like_a_picture(&file.path).await {
            let mime = mime_of(&filename);
            // Encrypted unless the room is known not to be: a file sent encrypted into a plain
            // room is still readable there, the other way round it would leak.
            let encrypt = !matches!(room.encryption_state(), EncryptionState::NotEncrypted);
            let client = self.account.client();
            match direct::upload(
                client,
                file.path.clone(),
                size,
                &mime,
                encrypt,
                Arc::new(report),
            )
            .await
            {
                Ok(uploaded) => {
                    let content = direct::message(filename, uploaded, &mime, size, file.caption);
                    return crate::timeline::queued(&room, room.send_queue().send(content.into()))
                        .await
                        .map_err(MediaError::Upload);
                }
                Err(not_sent) => debug!(%not_sent, "the file goes through the send queue"),
            }
        }
        let bytes = tokio::fs::read(&file.path)
            .await
            .map_err(|error| MediaError::Read(error.to_string()))?;
        self.send_bytes(&room, filename, bytes, file.caption, file.keep_metadata)
            .await
    }

    /// Sends what the user pasted, as [`Media::send_file`] sends a file.
    #[instrument(skip_all, fields(account = %self.account.id()))]
    pub async fn send_pasted(&self, room_id: &str, file: PastedFile) -> Result<String, MediaError> {
        let room = self.account.room(room_id)?;
        self.check_upload_limit(file.bytes.len() as u64).await?;
        // The page names it; a name is all it is.
        let filename = super::file_name::safe_file_name(&file.name);
        self.send_bytes(
            &room,
            filename,
            file.bytes,
            file.caption,
            file.keep_metadata,
        )
        .await
    }

    /// Nothing is read, let alone sent, when the server would refuse it. Offline, with the
    /// limit never fetched, the file is queued anyway: it goes out, or fails visibly, when the
    /// server answers.
    async fn check_upload_limit(&self, size: u64) -> Result<(), MediaError> {
        match self.account.client().load_or_fetch_max_upload_size().await {
            Ok(limit) if size > u64::from(limit) => Err(MediaError::TooLarge {
                size,
                limit: limit.into(),
            }),
            Ok(_) => Ok(()),
            Err(error) if is_network_failure(&error) => Ok(()),
            Err(error) => Err(MediaError::from_sdk(&error)),
        }
    }

    async fn send_bytes(
        &self,
        room: &matrix_sdk::Room,
        filename: String,
        bytes: Vec<u8>,
        caption: Option<String>,
        keep_metadata: bool,
    ) -> Result<String, MediaError> {
        let prepared = tokio::task::spawn_blocking(move || prepare(filename, bytes, keep_metadata))
            .await
            .map_err(|error| MediaError::Read(error.to_string()))?;
        debug!(?prepared, "file prepared");
        let transaction_id = TransactionId::new();
        let mut config = AttachmentConfig::new()
            .txn_id(transaction_id.clone())
            .info(prepared.info);
        config.thumbnail = prepared.thumbnail;
        config.caption = caption
            .filter(|caption| !caption.trim().is_empty())
            .map(TextMessageEventContent::markdown);
        room.send_queue()
            .send_attachment(prepared.filename, prepared.mime, prepared.bytes, config)
            .await
            .map_err(|error| MediaError::Upload(error.to_string()))?;
        Ok(transaction_id.to_string())
    }
}

/// Describes the file for its event; cleans and describes pictures. Runs on a blocking thread:
/// decoding a photo takes a while.
pub(crate) fn prepare(filename: String, bytes: Vec<u8>, keep_metadata: bool) -> Prepared {
    let Some(format) = picture_format(&bytes) else {
        let mime = mime_of(&filename);
        return plain_file(filename, bytes, mime);
    };
    let bytes = if keep_metadata {
        bytes
    } else {
        match strip_metadata(format, &bytes) {
            Ok(stripped) => stripped.bytes,
            // Not the picture it claims to be: nothing can safely be cut out of it. It goes as
            // a file card, not a picture, and as it is.
            Err(damaged) => {
                debug!(%damaged, "sending a damaged picture as a file");
                return plain_file(filename, bytes, mime::APPLICATION_OCTET_STREAM);
            }
        }
    };
    match describe_picture(&bytes) {
        Ok(description) => Prepared {
            info: AttachmentInfo::Image(BaseImageInfo {
                width: Some(UInt::from(description.width)),
                height: Some(UInt::from(description.height)),
                size: size_of(&bytes),
                blurhash: description.blurhash,
                is_animated: None,
            }),
            thumbnail: description.thumbnail,
            mime: picture_mime(format),
            filename,
            bytes,
        },
        Err(error) => {
            debug!(%error, "sending an unreadable picture as a file");
            plain_file(filename, bytes, mime::APPLICATION_OCTET_STREAM)
        }
    }
}

/// The file's first bytes say it is a picture we show (and so clean and describe).
async fn starts_like_a_picture(path: &std::path::Path) -> bool {
    let path = path.to_owned();
    tokio::task::spawn_blocking(move || {
        use std::io::Read;
        let mut head = Vec::with_capacity(32);
        std::fs::File::open(path)
            .and_then(|file| file.take(32).read_to_end(&mut head))
            .is_ok_and(|_| picture_format(&head).is_some())
    })
    .await
    .unwrap_or(false)
}

/// Any file that is not a picture we show (the receiving side picks the message kind from
/// the type: `image/…` would make it a picture, `video/…` a video, `audio/…` a sound). The
/// SDK keeps the size only from the description of the kind it sends.
fn plain_file(filename: String, bytes: Vec<u8>, mime: Mime) -> Prepared {
    let size = size_of(&bytes);
    let info = match mime.type_() {
        mime::VIDEO => AttachmentInfo::Video(BaseVideoInfo {
            size,
            ..BaseVideoInfo::default()
        }),
        mime::AUDIO => AttachmentInfo::Audio(BaseAudioInfo {
            size,
            ..BaseAudioInfo::default()
        }),
        _ => AttachmentInfo::File(BaseFileInfo { size }),
    };
    Prepared {
        info,
        thumbnail: None,
        mime,
        filename,
        bytes,
    }
}

fn size_of(bytes: &[u8]) -> Option<UInt> {
    u64::try_from(bytes.len())
        .ok()
        .and_then(|size| UInt::try_from(size).ok())
}

/// The picture formats whose metadata we remove and that every client shows, recognised by
/// their bytes rather than by the name's extension.
fn picture_format(bytes: &[u8]) -> Option<PictureFormat> {
    match image::guess_format(bytes).ok()? {
        ImageFormat::Jpeg => Some(PictureFormat::Jpeg),
        ImageFormat::Png => Some(PictureFormat::Png),
        ImageFormat::WebP => Some(PictureFormat::WebP),
        ImageFormat::Gif => Some(PictureFormat::Gif),
        _ => None,
    }
}

fn picture_mime(format: PictureFormat) -> Mime {
    match format {
        PictureFormat::Jpeg => mime::IMAGE_JPEG,
        PictureFormat::Png => mime::IMAGE_PNG,
        PictureFormat::Gif => mime::IMAGE_GIF,
        PictureFormat::WebP => "image/webp"
            .parse()
            .unwrap_or(mime::APPLICATION_OCTET_STREAM),
    }
}

/// The type of any other file, from its name's extension (what every desktop does); a type
/// the extension claims for a picture is not believed, since the bytes said otherwise.
fn mime_of(filename: &str) -> Mime {
    let guessed = mime_guess::from_path(filename).first_or_octet_stream();
    if guessed.type_() == mime::IMAGE {
        mime::APPLICATION_OCTET_STREAM
    } else {
        guessed
    }
}

struct PictureDescription {
    /// As shown: after the EXIF orientation is applied.
    width: u32,
    height: u32,
    thumbnail: Option<Thumbnail>,
    blurhash: Option<String>,
}

fn describe_picture(bytes: &[u8]) -> Result<PictureDescription, image::ImageError> {
    let mut reader = ImageReader::new(Cursor::new(bytes)).with_guessed_format()?;
    let mut limits = Limits::default();
    limits.max_alloc = Some(MAX_DECODER_ALLOCATION);
    reader.limits(limits);
    let mut decoder = reader.into_decoder()?;
    let orientation = decoder.orientation()?;
    let (stored_width, stored_height) = decoder.dimensions();
    let (width, height) = if matches!(
        orientation,
        image::metadata::Orientation::Rotate90
            | image::metadata::Orientation::Rotate270
            | image::metadata::Orientation::Rotate90FlipH
            | image::metadata::Orientation::Rotate270FlipH
    ) {
        (stored_height, stored_width)
    } else {
        (stored_width, stored_height)
    };
    if u64::from(width) * u64::from(height) > MAX_DECODED_PIXELS {
        return Ok(PictureDescription {
            width,
            height,
            thumbnail: None,
            blurhash: None,
        });
    }
    let mut picture = DynamicImage::from_decoder(decoder)?;
    picture.apply_orientation(orientation);
    let thumbnail = (width > THUMBNAIL_WIDTH || height > THUMBNAIL_HEIGHT)
        .then(|| thumbnail_of(&picture))
        .transpose()?;
    Ok(PictureDescription {
        width,
        height,
        thumbnail,
        blurhash: blurhash_of(&picture),
    })
}

/// A JPEG within 800 × 600 (PNG when the picture has transparency).
fn thumbnail_of(picture: &DynamicImage) -> Result<Thumbnail, image::ImageError> {
    let small = picture.thumbnail(THUMBNAIL_WIDTH, THUMBNAIL_HEIGHT);
    let mut data = Vec::new();
    let content_type = if small.color().has_alpha() {
        small.write_to(&mut Cursor::new(&mut data), ImageFormat::Png)?;
        mime::IMAGE_PNG
    } else {
        let encoder =
            image::codecs::jpeg::JpegEncoder::new_with_quality(&mut data, THUMBNAIL_JPEG_QUALITY);
        small.to_rgb8().write_with_encoder(encoder)?;
        mime::IMAGE_JPEG
    };
    Ok(Thumbnail {
        size: size_of(&data).unwrap_or_default(),
        width: UInt::from(small.width()),
        height: UInt::from(small.height()),
        content_type,
        data,
    })
}

/// The blurry placeholder clients show while the picture loads (4 × 3 components, as Element).
fn blurhash_of(picture: &DynamicImage) -> Option<String> {
    let tiny = picture.thumbnail(32, 32).to_rgba8();
    blurhash::encode(4, 3, tiny.width(), tiny.height(), tiny.as_raw()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::metadata::samples::{self, holds_a_secret, png_chunk};

    fn image_info(prepared: &Prepared) -> &BaseImageInfo {
        match &prepared.info {
            AttachmentInfo::Image(info) => info,
            other => panic!("not a picture: {other:?}"),
        }
    }

    #[test]
    fn a_photo_goes_without_its_metadata_with_its_shown_size_and_a_blurhash() {
        let prepared = prepare("IMG_0001.jpg".into(), samples::phone_jpeg(6), false);
        assert_eq!(prepared.mime, mime::IMAGE_JPEG);
        assert_eq!(holds_a_secret(&prepared.bytes), None);
        let info = image_info(&prepared);
        // 40 × 20 stored, turned a quarter: shown 20 × 40.
        assert_eq!(
            (info.width, info.height),
            (Some(20u32.into()), Some(40u32.into()))
        );
        assert_eq!(info.size, size_of(&prepared.bytes));
        assert!(info.blurhash.as_deref().is_some_and(|hash| hash.len() >= 6));
        assert!(
            prepared.thumbnail.is_none(),
            "small enough to be its own thumbnail"
        );
    }

    #[test]
    fn metadata_stays_when_the_sender_chooses_so() {
        let original = samples::phone_jpeg(1);
        let prepared = prepare("IMG_0001.jpg".into(), original.clone(), true);
        assert_eq!(prepared.bytes, original);
    }

    #[test]
    fn a_large_picture_gets_a_thumbnail_within_800_by_600() {
        let prepared = prepare(
            "scan.png".into(),
            samples::encoded(ImageFormat::Png, 2000, 1000),
            false,
        );
        let thumbnail = prepared.thumbnail.expect("a thumbnail");
        assert_eq!(
            (thumbnail.width, thumbnail.height),
            (800u32.into(), 400u32.into())
        );
        assert_eq!(thumbnail.content_type, mime::IMAGE_JPEG);
        assert!(image::load_from_memory(&thumbnail.data).is_ok());
    }

    #[test]
    fn an_image_bomb_is_described_without_being_decoded() {
        // 60 000 × 60 000 pixels (3.6 billion) claimed by a file of a few dozen bytes.
        let mut header = 60_000u32.to_be_bytes().to_vec();
        header.extend_from_slice(&60_000u32.to_be_bytes());
        header.extend_from_slice(&[8, 2, 0, 0, 0]);
        let mut bomb = b"\x89PNG\r\n\x1a\n".to_vec();
        bomb.extend(png_chunk(b"IHDR", &header));
        bomb.extend(png_chunk(
            b"IDAT",
            &[0x78, 0x9C, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01],
        ));
        bomb.extend(png_chunk(b"IEND", &[]));
        let started = std::time::Instant::now();
        let prepared = prepare("bomb.png".into(), bomb, false);
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
        let info = image_info(&prepared);
        assert_eq!(info.width, Some(60_000u32.into()));
        assert!(prepared.thumbnail.is_none() && info.blurhash.is_none());
    }

    #[test]
    fn a_damaged_picture_goes_as_a_plain_file_as_it_is() {
        let mut damaged = samples::phone_jpeg(1);
        damaged.truncate(damaged.len() / 2);
        let prepared = prepare("photo.jpg".into(), damaged.clone(), false);
        assert_eq!(prepared.mime, mime::APPLICATION_OCTET_STREAM);
        assert!(matches!(prepared.info, AttachmentInfo::File(_)));
        assert_eq!(prepared.bytes, damaged);
    }

    #[test]
    fn other_files_keep_their_bytes_and_get_their_type_from_the_name() {
        let pdf = b"%PDF-1.7\n%\xE2\xE3\xCF\xD3\n1 0 obj\n<<>>\nendobj\n".to_vec();
        let prepared = prepare("Compte rendu.pdf".into(), pdf.clone(), false);
        assert_eq!(prepared.mime.essence_str(), "application/pdf");
        assert_eq!(prepared.bytes, pdf);
        let empty = prepare("empty.txt".into(), Vec::new(), false);
        assert_eq!(empty.mime.essence_str(), "text/plain");
        assert!(
            matches!(empty.info, AttachmentInfo::File(BaseFileInfo { size: Some(size) }) if size == 0u32.into())
        );
        // Videos and sounds keep their size (the SDK drops it from a plain file's description).
        let clip = prepare("visite.webm".into(), vec![0x1A, 0x45, 0xDF, 0xA3], false);
        assert_eq!(clip.mime.essence_str(), "video/webm");
        assert!(
            matches!(clip.info, AttachmentInfo::Video(BaseVideoInfo { size: Some(size), .. }) if size == 4u32.into())
        );
        let note = prepare("note.ogg".into(), vec![b'O', b'g', b'g', b'S'], false);
        assert_eq!(note.mime.essence_str(), "audio/ogg");
        assert!(
            matches!(note.info, AttachmentInfo::Audio(BaseAudioInfo { size: Some(size), .. }) if size == 4u32.into())
        );
        // A name that claims a picture does not make one.
        let fake = prepare("holiday.jpg".into(), b"not a picture".to_vec(), false);
        assert_eq!(fake.mime, mime::APPLICATION_OCTET_STREAM);
    }
}
