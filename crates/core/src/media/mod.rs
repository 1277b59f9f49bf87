//! Media: avatars and pictures for display, videos and voice messages to play, decrypted in
//! memory (front ends get bytes, never a URL to a server or a decryption key); files sent
//! (`upload`: photos without their metadata) and saved (`download`: streamed to disk under
//! safe names).

mod direct;
mod download;
pub mod file_name;
pub mod metadata;
mod upload;

pub use download::{DownloadProgress, SaveTo, SavedFile};
pub use upload::{OutgoingFile, PastedFile};

use std::time::Duration;

use matrix_sdk::{
    Client,
    media::{MediaFormat, MediaRequestParameters, MediaRetentionPolicy, MediaThumbnailSettings},
    ruma::{
        EventId, OwnedMxcUri, UInt,
        events::{
            AnySyncMessageLikeEvent, AnySyncTimelineEvent, SyncMessageLikeEvent,
            room::{MediaSource, ThumbnailInfo, message::MessageType},
        },
    },
};

use matrix_sdk_base::media::store::IgnoreMediaRetentionPolicy;
use tracing::{debug, warn};

use crate::{Account, Code, auth::is_network_failure, rooms::RoomError};

use download::Attachment;

impl Account {
    /// Media: avatars, and the images of messages.
    pub fn media(&self) -> Media<'_> {
        Media { account: self }
    }
}

/// The media of one account (`account.media()`).
#[derive(Clone, Copy, Debug)]
pub struct Media<'a> {
    account: &'a Account,
}

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    #[error("not a valid media address")]
    InvalidAddress,
    #[error(transparent)]
    Room(#[from] RoomError),
    #[error("this event is not an image")]
    NotAnImage,
    #[error("this event is not a video or a voice message")]
    NotPlayable,
    #[error("the media could not be fetched: {0}")]
    Fetch(String),
    #[error("this message has no file")]
    NoAttachment,
    #[error("the file is {size} bytes; the server accepts at most {limit}")]
    TooLarge { size: u64, limit: u64 },
    #[error("the file could not be read: {0}")]
    Read(String),
    #[error("the file could not be queued for sending: {0}")]
    Upload(String),
    #[error("the file could not be saved: {0}")]
    Write(String),
    /// Its checksum or size is not what the sender said: altered or cut short on the way.
    #[error("the file is damaged or was altered on its way")]
    Damaged,
    #[error("the server cannot be reached")]
    Offline,
    #[error("this picture or video is too large to show; it can be saved")]
    TooLargeToShow,
}

impl MediaError {
    pub fn code(&self) -> Code {
        match self {
            Self::InvalidAddress => Code::MediaInvalidAddress,
            Self::Room(error) => error.code(),
            Self::NotAnImage => Code::MediaNotAnImage,
            Self::NotPlayable => Code::MediaNotPlayable,
            Self::Fetch(_) => Code::MediaFetchFailed,
            Self::NoAttachment => Code::MediaNoAttachment,
            Self::TooLarge { .. } => Code::MediaTooLarge,
            Self::Read(_) => Code::MediaReadFailed,
            Self::Upload(_) => Code::MediaUploadFailed,
            Self::Write(_) => Code::MediaWriteFailed,
            Self::Damaged => Code::MediaDamaged,
            Self::Offline => Code::MediaOffline,
            Self::TooLargeToShow => Code::MediaTooLargeToShow,
        }
    }

    pub(crate) fn from_sdk(error: &matrix_sdk::Error) -> Self {
        match error {
            _ if is_network_failure(error) => Self::Offline,
            // The decryptor's checksum, or the ciphertext's framing, did not hold.
            matrix_sdk::Error::Io(_) => Self::Damaged,
            _ => Self::Fetch(error.to_string()),
        }
    }
}

/// Only avatars and pictures shown go through the SDK's media cache (files stream to disk,
/// videos are fetched when played): a small cache, pictures over 5 MB fetched each time they
/// are shown, what was not looked at for a month emptied, so years of conversations do not
/// fill the disk.
const MEDIA_CACHE_BYTES: u64 = 200 * 1024 * 1024;
const MEDIA_CACHE_ITEM_BYTES: u64 = 5 * 1024 * 1024;
const MEDIA_CACHE_EXPIRY: Duration = Duration::from_secs(30 * 24 * 60 * 60);

pub(crate) async fn bound_media_cache(client: &Client) {
    let policy = MediaRetentionPolicy::new()
        .with_max_cache_size(Some(MEDIA_CACHE_BYTES))
        .with_max_file_size(Some(MEDIA_CACHE_ITEM_BYTES))
        .with_last_access_expiry(Some(MEDIA_CACHE_EXPIRY));
    // The policy is stored: written again only when these limits change.
    let current = client.media().media_retention_policy().await;
    if current.is_ok_and(|current| current == policy) {
        return;
    }
    if let Err(error) = client.media().set_media_retention_policy(policy).await {
        // The SDK's own default (400 MB) still bounds it.
        warn!(%error, "media cache limits not set");
    }
}

/// Decrypted media bytes and the type the sender declared (checked again before display).
#[derive(Clone, PartialEq, Eq)]
pub struct MediaContent {
    pub bytes: Vec<u8>,
    pub mime_type: Option<String>,
}

impl std::fmt::Debug for MediaContent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MediaContent")
            .field("bytes", &self.bytes.len())
            .field("mime_type", &self.mime_type)
            .finish()
    }
}

/// Pictures larger than this are shown as a file card, not decoded by the webview: a sender
/// could otherwise make every reader's app fetch and decode a huge or hostile picture.
const MAX_SHOWN_BYTES: u64 = 20 * 1024 * 1024;
const MAX_SHOWN_PIXELS: u64 = 50_000_000;

/// Videos and voice messages are held in memory while they play (the player seeks in them);
/// larger ones are shown as a file card, to be saved and played by the system.
const MAX_PLAYED_BYTES: u64 = 100 * 1024 * 1024;

/// Avatars are square; the size is clamped so a page cannot make us fetch huge thumbnails.
const MAX_AVATAR_SIZE: u32 = 256;

impl Media<'_> {
    /// A square thumbnail of an (unencrypted) avatar `mxc://` URI.
    pub async fn avatar_thumbnail(&self, mxc: &str, size: u32) -> Result<MediaContent, MediaError> {
        if !mxc.starts_with("mxc://") {
            return Err(MediaError::InvalidAddress);
        }
        let uri = OwnedMxcUri::from(mxc);
        if uri.validate().is_err() {
            return Err(MediaError::InvalidAddress);
        }
        let side = UInt::from(size.clamp(16, MAX_AVATAR_SIZE));
        let request = MediaRequestParameters {
            source: MediaSource::Plain(uri),
            format: MediaFormat::Thumbnail(MediaThumbnailSettings::new(side, side)),
        };
        self.fetch(&request, None).await
    }

    /// The image of an `m.image` event (its thumbnail when `thumbnail` and one exists),
    /// decrypted in memory when the room is encrypted. An original over 20 MB or 50
    /// megapixels is not fetched for display ([`MediaError::TooLargeToShow`]): it can be saved.
    /// A video's thumbnail is served too, when its sender made one (a reply's quote shows it).
    pub async fn event_image(
        &self,
        room_id: &str,
        event_id: &str,
        thumbnail: bool,
    ) -> Result<MediaContent, MediaError> {
        let message = self.message(room_id, event_id).await?;
        if let Some(MessageType::Video(video)) = &message
            && thumbnail
        {
            let info = video.info.as_deref();
            let source = info
                .and_then(|info| info.thumbnail_source.clone())
                .ok_or(MediaError::NotAnImage)?;
            let thumbnail_info = info.and_then(|info| info.thumbnail_info.as_deref());
            return self
                .fetch_thumbnail(source, video.filename(), thumbnail_info)
                .await;
        }
        let Some(MessageType::Image(image)) = message else {
            return Err(MediaError::NotAnImage);
        };
        let info = image.info.as_deref();
        let thumbnail_source = info.and_then(|info| info.thumbnail_source.clone());
        if let Some(source) = thumbnail_source.filter(|_| thumbnail) {
            let thumbnail_info = info.and_then(|info| info.thumbnail_info.as_deref());
            return self
                .fetch_thumbnail(source, image.filename(), thumbnail_info)
                .await;
        }
        let pixels = info.and_then(|info| Some(u64::from(info.width?) * u64::from(info.height?)));
        if pixels.is_some_and(|pixels| pixels > MAX_SHOWN_PIXELS) {
            return Err(MediaError::TooLargeToShow);
        }
        let mime_type = info.and_then(|info| info.mimetype.clone());
        let shown = Attachment::of(MessageType::Image(image)).ok_or(MediaError::NotAnImage)?;
        self.fetch_shown(shown, mime_type).await
    }

    /// A thumbnail the sender of an image or video made, as described in its message.
    async fn fetch_thumbnail(
        &self,
        source: MediaSource,
        name: &str,
        info: Option<&ThumbnailInfo>,
    ) -> Result<MediaContent, MediaError> {
        let shown = Attachment {
            source,
            name: name.to_owned(),
            declared_size: info.and_then(|thumb| thumb.size),
        };
        let mime_type = info.and_then(|thumb| thumb.mimetype.clone());
        self.fetch_shown(shown, mime_type).await
    }

    /// The video or voice message of the message `event_id`, decrypted in memory to be played.
    /// One over 100 MB is [`MediaError::TooLargeToShow`]: it can be saved.
    pub async fn event_playable(
        &self,
        room_id: &str,
        event_id: &str,
    ) -> Result<MediaContent, MediaError> {
        let message = self.message(room_id, event_id).await?;
        let mime_type = match &message {
            Some(MessageType::Video(video)) => {
                video.info.as_ref().and_then(|info| info.mimetype.clone())
            }
            Some(MessageType::Audio(audio)) => {
                audio.info.as_ref().and_then(|info| info.mimetype.clone())
            }
            _ => return Err(MediaError::NotPlayable),
        };
        let attachment = message
            .and_then(Attachment::of)
            .ok_or(MediaError::NotPlayable)?;
        let expected = attachment
            .declared_size
            .map_or(0, u64::from)
            .min(MAX_PLAYED_BYTES);
        let buffer = Vec::with_capacity(usize::try_from(expected).unwrap_or(0));
        let (bytes, _) = self
            .receive(&attachment, buffer, Some(MAX_PLAYED_BYTES), |_| {})
            .await?;
        Ok(MediaContent { bytes, mime_type })
    }

    /// What the message `event_id` holds; `None` for any other kind of event.
    async fn message(
        &self,
        room_id: &str,
        event_id: &str,
    ) -> Result<Option<MessageType>, MediaError> {
        let room = self.account.room(room_id)?;
        let event_id = EventId::parse(event_id).map_err(|_| MediaError::InvalidAddress)?;
        let event = room
            .load_or_fetch_event(&event_id, None)
            .await
            .map_err(|error| MediaError::from_sdk(&error))?;
        Ok(match event.raw().deserialize() {
            Ok(AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::RoomMessage(
                SyncMessageLikeEvent::Original(message),
            ))) => Some(message.content.msgtype),
            _ => None,
        })
    }

    /// A picture to show, thumbnail or original: from the SDK's media cache when it holds it,
    /// else streamed with the display limit (a sender who declared less than they sent is
    /// stopped at 20 MB, not fetched whole), then kept there for the next time it is shown.
    async fn fetch_shown(
        &self,
        shown: Attachment,
        mime_type: Option<String>,
    ) -> Result<MediaContent, MediaError> {
        // What the sender declared decides first, even for bytes already at hand.
        if shown
            .declared_size
            .is_some_and(|declared| u64::from(declared) > MAX_SHOWN_BYTES)
        {
            return Err(MediaError::TooLargeToShow);
        }
        let request = MediaRequestParameters {
            source: shown.source.clone(),
            format: MediaFormat::File,
        };
        let cache = self.account.client().media_store();
        if let Ok(store) = cache.lock().await
            && let Ok(Some(bytes)) = store.get_media_content(&request).await
        {
            return Ok(MediaContent { bytes, mime_type });
        }
        let (bytes, _) = self
            .receive(&shown, Vec::new(), Some(MAX_SHOWN_BYTES), |_| {})
            .await?;
        // Past the cache's item limit the copy would only be refused.
        if bytes.len() as u64 <= MEDIA_CACHE_ITEM_BYTES
            && let Ok(store) = cache.lock().await
            && let Err(error) = store
                .add_media_content(&request, bytes.clone(), IgnoreMediaRetentionPolicy::No)
                .await
        {
            debug!(%error, "a picture shown was not kept in the media cache");
        }
        Ok(MediaContent { bytes, mime_type })
    }

    async fn fetch(
        &self,
        request: &MediaRequestParameters,
        mime_type: Option<String>,
    ) -> Result<MediaContent, MediaError> {
        let bytes = self
            .account
            .client()
            .media()
            .get_media_content(request, true)
            .await
            .map_err(|error| MediaError::from_sdk(&error))?;
        // Avatars are small; a server sending a huge one is not sending an avatar.
        if bytes.len() as u64 > MAX_SHOWN_BYTES {
            return Err(MediaError::TooLargeToShow);
        }
        Ok(MediaContent { bytes, mime_type })
    }
}
