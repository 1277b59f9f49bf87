//! Saving received files: fetched whole and decrypted in memory, checked (the SDK checks an
//! encrypted file's SHA-256, we check the size the sender declared), then written under a safe
//! name that replaces nothing. A damaged or tampered file is refused and nothing is written.

use std::{
    io::Write,
    path::{Path, PathBuf},
};

use matrix_sdk::{
    media::{MediaFormat, MediaRequestParameters},
    ruma::{
        UInt,
        events::room::{MediaSource, message::MessageType},
    },
};
use serde::Serialize;
use tracing::instrument;

use super::{Media, MediaError, file_name::create_unique_file};

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

/// What a message's attachment is.
pub(crate) struct Attachment {
    pub source: MediaSource,
    pub name: String,
    pub declared_size: Option<UInt>,
}

impl Media<'_> {
    /// Saves the file of the message `event_id` (a file, picture, video or voice message).
    #[instrument(skip_all, fields(account = %self.account.id()))]
    pub async fn download(
        &self,
        room_id: &str,
        event_id: &str,
        to: SaveTo,
    ) -> Result<SavedFile, MediaError> {
        let attachment = self.attachment(room_id, event_id).await?;
        let bytes = self.fetch_whole(&attachment).await?;
        let path = tokio::task::spawn_blocking(move || write(&to, &attachment.name, &bytes))
            .await
            .map_err(|error| MediaError::Write(error.to_string()))??;
        Ok(path)
    }

    pub(crate) async fn attachment(
        &self,
        room_id: &str,
        event_id: &str,
    ) -> Result<Attachment, MediaError> {
        let message = self
            .message(room_id, event_id)
            .await?
            .ok_or(MediaError::NoAttachment)?;
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
            _ => return Err(MediaError::NoAttachment),
        };
        Ok(Attachment {
            source,
            name,
            declared_size,
        })
    }

    /// The attachment's bytes, decrypted and checked.
    pub(crate) async fn fetch_whole(&self, attachment: &Attachment) -> Result<Vec<u8>, MediaError> {
        let request = MediaRequestParameters {
            source: attachment.source.clone(),
            format: MediaFormat::File,
        };
        let bytes = self
            .account
            .client()
            .media()
            .get_media_content(&request, true)
            .await
            .map_err(|error| MediaError::from_sdk(&error))?;
        if let Some(declared) = attachment.declared_size
            && u64::from(declared) != bytes.len() as u64
        {
            return Err(MediaError::Damaged);
        }
        Ok(bytes)
    }
}

fn write(to: &SaveTo, name: &str, bytes: &[u8]) -> Result<SavedFile, MediaError> {
    let failed = |error: std::io::Error| MediaError::Write(error.to_string());
    let (path, mut file) = match to {
        SaveTo::Folder(folder) => create_unique_file(folder, name).map_err(failed)?,
        SaveTo::File(path) => (path.clone(), std::fs::File::create(path).map_err(failed)?),
    };
    let written = file.write_all(bytes).and_then(|()| file.sync_all());
    if let Err(error) = written {
        // A half-written file would look like the real one.
        drop(file);
        let _ = std::fs::remove_file(&path);
        return Err(failed(error));
    }
    Ok(SavedFile {
        path: display(&path),
        size: bytes.len() as u64,
    })
}

fn display(path: &Path) -> String {
    path.to_string_lossy().into_owned()
}
