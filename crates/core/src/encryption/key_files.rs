//! Files the user keeps: room-key exports in the passphrase-protected `MEGOLM SESSION DATA`
//! format Element reads and writes, and the recovery key saved as text.

use std::path::{Path, PathBuf};

use matrix_sdk::encryption::RoomKeyImportError;
use serde::Serialize;
use tracing::{info, instrument};
use zeroize::Zeroizing;

use super::{Encryption, EncryptionError};
use crate::media::file_name::{downloads_folder, numbered_name};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct KeyImportSummary {
    /// Keys this device did not have (or had in a worse form).
    pub imported: u64,
    pub total: u64,
}

/// A path in the user's Downloads folder (their home when there is none) that names no
/// existing file: `name`, else `name (2)`, `name (3)`, ... as browsers do.
pub fn free_download_path(file_name: &str) -> PathBuf {
    let folder = downloads_folder();
    (1..)
        .map(|number| folder.join(numbered_name(file_name, number)))
        .find(|candidate| !candidate.exists())
        .unwrap_or_else(|| folder.join(file_name))
}

/// Writes the recovery key to a new file readable by its owner only; returns its path.
pub async fn save_recovery_key(recovery_key: &str) -> Result<PathBuf, EncryptionError> {
    let path = free_download_path("estafette-recovery-key.txt");
    write_private(&path, format!("{}\n", recovery_key.trim()).as_bytes()).await?;
    Ok(path)
}

/// A new file readable by its owner only (never an existing file, never through a link), in
/// a folder made if missing.
async fn write_private(path: &Path, contents: &[u8]) -> Result<(), EncryptionError> {
    let path = path.to_owned();
    let contents = Zeroizing::new(contents.to_vec());
    tokio::task::spawn_blocking(move || {
        // A new account may have no Downloads folder yet: make it, as a browser would.
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        crate::private_files::write_new(&path, &contents)
    })
    .await
    .map_err(|error| EncryptionError::File(error.to_string()))?
    .map_err(|error| EncryptionError::File(error.to_string()))
}

impl Encryption<'_> {
    /// Exports every room key this device holds to `path`, encrypted with `passphrase`.
    #[instrument(skip_all, fields(account = %self.account.id()))]
    pub async fn export_room_keys(
        &self,
        path: &Path,
        passphrase: &Zeroizing<String>,
    ) -> Result<(), EncryptionError> {
        if passphrase.trim().is_empty() {
            return Err(EncryptionError::WrongPassphraseOrFile);
        }
        // The SDK writes with `File::create`, which follows a link planted at the path and
        // writes over what is there. So it writes into a fresh folder of ours (`0700`), and
        // the export is copied to a new private file at `path`.
        let folder = tempfile::Builder::new()
            .prefix(".estafette-export-")
            .tempdir()
            .map_err(|error| EncryptionError::File(error.to_string()))?;
        let sealed = folder.path().join("keys.txt");
        self.account
            .client()
            .encryption()
            .export_room_keys(sealed.clone(), passphrase, |_| true)
            .await
            .map_err(|error| EncryptionError::File(error.to_string()))?;
        let contents = tokio::fs::read(&sealed)
            .await
            .map_err(|error| EncryptionError::File(error.to_string()))?;
        write_private(path, &contents).await?;
        info!("room keys exported");
        Ok(())
    }

    /// Imports a key export (from Element or Estafette); messages waiting for these keys
    /// decrypt in place.
    #[instrument(skip_all, fields(account = %self.account.id()))]
    pub async fn import_room_keys(
        &self,
        path: &Path,
        passphrase: &Zeroizing<String>,
    ) -> Result<KeyImportSummary, EncryptionError> {
        let result = self
            .account
            .client()
            .encryption()
            .import_room_keys(path.to_owned(), passphrase)
            .await
            .map_err(|error| match error {
                RoomKeyImportError::Export(_) | RoomKeyImportError::SerdeJson(_) => {
                    EncryptionError::WrongPassphraseOrFile
                }
                RoomKeyImportError::Io(error) => EncryptionError::File(error.to_string()),
                other => EncryptionError::Failed(other.to_string()),
            })?;
        info!(
            imported = result.imported_count,
            total = result.total_count,
            "room keys imported"
        );
        Ok(KeyImportSummary {
            imported: result.imported_count as u64,
            total: result.total_count as u64,
        })
    }

    /// The same, from the file's contents (a front end's file picker hands over the text).
    pub async fn import_room_keys_text(
        &self,
        contents: &str,
        passphrase: &Zeroizing<String>,
    ) -> Result<KeyImportSummary, EncryptionError> {
        // The SDK reads exports from a file; this one is passphrase-encrypted like the original.
        let path = std::env::temp_dir().join(format!(
            "estafette-key-import-{}.txt",
            hex::encode(rand::random::<[u8; 8]>())
        ));
        write_private(&path, contents.as_bytes()).await?;
        let result = self.import_room_keys(&path, passphrase).await;
        if let Err(error) = tokio::fs::remove_file(&path).await {
            tracing::warn!(%error, "could not remove the temporary key file");
        }
        result
    }
}
