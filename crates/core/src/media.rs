//! Media for display: avatars and images, fetched through the SDK's media cache and decrypted
//! in memory. Front ends get bytes, never a URL to a server or a decryption key.

use matrix_sdk::{
    media::{MediaFormat, MediaRequestParameters, MediaThumbnailSettings},
    ruma::{
        EventId, OwnedMxcUri, UInt,
        events::{
            AnySyncMessageLikeEvent, AnySyncTimelineEvent, SyncMessageLikeEvent,
            room::{MediaSource, message::MessageType},
        },
    },
};

use crate::{Account, Code, rooms::RoomError};

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
    #[error("the media could not be fetched: {0}")]
    Fetch(String),
}

impl MediaError {
    pub fn code(&self) -> Code {
        match self {
            Self::InvalidAddress => Code::MediaInvalidAddress,
            Self::Room(error) => error.code(),
            Self::NotAnImage => Code::MediaNotAnImage,
            Self::Fetch(_) => Code::MediaFetchFailed,
        }
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
    /// decrypted in memory when the room is encrypted.
    pub async fn event_image(
        &self,
        room_id: &str,
        event_id: &str,
        thumbnail: bool,
    ) -> Result<MediaContent, MediaError> {
        let room = self.account.room(room_id)?;
        let event_id = EventId::parse(event_id).map_err(|_| MediaError::InvalidAddress)?;
        let event = room
            .load_or_fetch_event(&event_id, None)
            .await
            .map_err(|error| MediaError::Fetch(error.to_string()))?;
        let Ok(AnySyncTimelineEvent::MessageLike(AnySyncMessageLikeEvent::RoomMessage(
            SyncMessageLikeEvent::Original(message),
        ))) = event.raw().deserialize()
        else {
            return Err(MediaError::NotAnImage);
        };
        let MessageType::Image(image) = message.content.msgtype else {
            return Err(MediaError::NotAnImage);
        };
        let info = image.info.as_deref();
        let thumbnail_source = info.and_then(|info| info.thumbnail_source.clone());
        let (source, mime_type) = match thumbnail_source {
            Some(source) if thumbnail => (
                source,
                info.and_then(|info| info.thumbnail_info.as_ref())
                    .and_then(|thumb| thumb.mimetype.clone()),
            ),
            _ => (
                image.source.clone(),
                info.and_then(|info| info.mimetype.clone()),
            ),
        };
        let request = MediaRequestParameters {
            source,
            format: MediaFormat::File,
        };
        self.fetch(&request, mime_type).await
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
            .map_err(|error| MediaError::Fetch(error.to_string()))?;
        Ok(MediaContent { bytes, mime_type })
    }
}
