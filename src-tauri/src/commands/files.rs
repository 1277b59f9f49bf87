//! Files: chosen in the system's dialog or dropped on the window, then sent; received ones
//! saved into the Downloads folder, then opened or shown in their folder.
//!
//! The page never names a path on disk: the shell keeps the files the user chose, and the
//! files it saved, and the page refers to them by number. A page that went wrong cannot send
//! or open any other file.

use std::{
    collections::HashMap,
    path::PathBuf,
    sync::{
        Mutex,
        atomic::{AtomicU32, Ordering},
    },
};

use estafette_core::{
    Account, AccountId, Code,
    media::{
        DownloadProgress, OutgoingFile, PastedFile as PastedBytes, SaveTo,
        file_name::{self, safe_file_name},
    },
    timeline::UploadProgress,
};
use serde::{Deserialize, Serialize};
use tauri::{AppHandle, State, ipc::Channel};
use tauri_plugin_dialog::DialogExt;
use tauri_plugin_opener::OpenerExt;

use crate::{
    error::{IpcError, ShellCode},
    state::AppState,
};

/// A file the user chose to send, as the page knows it.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct ChosenFile {
    pub id: u32,
    pub name: String,
    pub size: u64,
}

/// A file pasted in the page (a screenshot, copied files): its name and bytes.
#[derive(Clone, Deserialize, specta::Type)]
pub struct PastedFile {
    pub name: String,
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for PastedFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PastedFile")
            .field("bytes", &self.bytes.len())
            .finish_non_exhaustive()
    }
}

/// A received file saved to disk, as the page knows it.
#[derive(Clone, Debug, Serialize, specta::Type)]
pub struct SavedFile {
    pub id: u32,
    pub name: String,
    /// The folder it is in, to say where it went.
    pub folder: String,
    pub size: u64,
}

/// The files the user chose and the files the shell saved, by number.
#[derive(Default)]
pub struct FileRegistry {
    next_id: AtomicU32,
    chosen: Mutex<HashMap<u32, PathBuf>>,
    /// The last paste's files, in memory until sent; a new paste replaces them.
    pasted: Mutex<HashMap<u32, PastedFile>>,
    saved: Mutex<HashMap<u32, PathBuf>>,
    drops: Mutex<Option<Channel<Vec<ChosenFile>>>>,
    /// Downloads and uploads under way, by the name the page gave them, to cancel them.
    transfers: Mutex<HashMap<String, tokio::sync::oneshot::Sender<()>>>,
}

impl std::fmt::Debug for FileRegistry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FileRegistry").finish_non_exhaustive()
    }
}

impl FileRegistry {
    fn choose(&self, paths: Vec<PathBuf>) -> Vec<ChosenFile> {
        let mut chosen = self
            .chosen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        paths
            .into_iter()
            .filter_map(|path| {
                let metadata = std::fs::metadata(&path)
                    .ok()
                    .filter(|meta| meta.is_file())?;
                let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
                let name = path.file_name()?.to_string_lossy().into_owned();
                chosen.insert(id, path);
                Some(ChosenFile {
                    id,
                    name,
                    size: metadata.len(),
                })
            })
            .collect()
    }

    fn chosen(&self, id: u32) -> Result<PathBuf, IpcError> {
        self.chosen
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&id)
            .cloned()
            .ok_or_else(|| IpcError::new(ShellCode::FileUnknown, "this file was not chosen"))
    }

    /// The bytes of a chosen file that is meant to be small (an avatar); a larger one is
    /// refused before it is read.
    pub async fn read_chosen(&self, id: u32) -> Result<Vec<u8>, IpcError> {
        /// Pictures from cameras are under 30 MB; anything larger is not an avatar.
        const LARGEST_PICTURE: u64 = 40 * 1024 * 1024;
        let path = self.chosen(id)?;
        let unreadable =
            |error: std::io::Error| IpcError::new(ShellCode::FileOpenFailed, error.to_string());
        let size = tokio::fs::metadata(&path).await.map_err(unreadable)?.len();
        if size > LARGEST_PICTURE {
            return Err(IpcError::new(
                estafette_core::Code::ProfileNotAPicture,
                "this file is too large to be an avatar",
            ));
        }
        tokio::fs::read(&path).await.map_err(unreadable)
    }

    fn saved(&self, id: u32) -> Result<PathBuf, IpcError> {
        self.saved
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .get(&id)
            .cloned()
            .ok_or_else(|| IpcError::new(ShellCode::FileUnknown, "this file was not saved here"))
    }

    fn lock_transfers(
        &self,
    ) -> std::sync::MutexGuard<'_, HashMap<String, tokio::sync::oneshot::Sender<()>>> {
        self.transfers
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// A file the core saved, numbered for the page.
    fn remember_saved(&self, saved: &estafette_core::media::SavedFile) -> SavedFile {
        let path = PathBuf::from(&saved.path);
        let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
        let name = path
            .file_name()
            .map(|name| name.to_string_lossy().into_owned())
            .unwrap_or_default();
        let folder = path
            .parent()
            .map(|folder| folder.to_string_lossy().into_owned())
            .unwrap_or_default();
        self.saved
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .insert(id, path);
        SavedFile {
            id,
            name,
            folder,
            size: saved.size,
        }
    }

    fn paste(&self, files: Vec<PastedFile>) -> Vec<ChosenFile> {
        let mut pasted = self
            .pasted
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        pasted.clear();
        files
            .into_iter()
            .map(|file| {
                let id = self.next_id.fetch_add(1, Ordering::Relaxed) + 1;
                let chosen = ChosenFile {
                    id,
                    name: safe_file_name(&file.name),
                    size: file.bytes.len() as u64,
                };
                pasted.insert(id, file);
                chosen
            })
            .collect()
    }

    fn take_pasted(&self, id: u32) -> Option<PastedFile> {
        self.pasted
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
            .remove(&id)
    }

    /// Files dropped on the window: offered to the page that listens.
    pub fn dropped(&self, paths: Vec<PathBuf>) {
        let files = self.choose(paths);
        if files.is_empty() {
            return;
        }
        let drops = self
            .drops
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if let Some(channel) = drops.as_ref() {
            let _ = channel.send(files);
        }
    }
}

/// Opens the system's file dialog; returns what the user chose (nothing if they cancelled).
#[tauri::command]
#[specta::specta]
pub async fn choose_files(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<Vec<ChosenFile>, IpcError> {
    let paths = match test_dialog_answer("ESTAFETTE_TEST_CHOSEN_FILES") {
        Some(paths) => paths,
        None => {
            let (sender, receiver) = tokio::sync::oneshot::channel();
            app.dialog().file().pick_files(move |picked| {
                let _ = sender.send(picked);
            });
            receiver
                .await
                .ok()
                .flatten()
                .unwrap_or_default()
                .into_iter()
                .filter_map(|path| path.into_path().ok())
                .collect()
        }
    };
    Ok(state.files.choose(paths))
}

/// End-to-end tests cannot click through the system's dialogs: debug builds take their answer
/// from `variable` (paths, one per line) when it is set: `ESTAFETTE_TEST_CHOSEN_FILES` for
/// the file chooser, `ESTAFETTE_TEST_SAVE_AS` for "Save as…".
fn test_dialog_answer(variable: &str) -> Option<Vec<PathBuf>> {
    if !cfg!(debug_assertions) {
        return None;
    }
    let answer = std::env::var(variable).ok()?;
    Some(
        answer
            .lines()
            .filter(|line| !line.is_empty())
            .map(PathBuf::from)
            .collect(),
    )
}

/// Files dropped on the window, each time some are.
#[tauri::command]
#[specta::specta]
pub fn watch_dropped_files(state: State<'_, AppState>, updates: Channel<Vec<ChosenFile>>) {
    *state
        .files
        .drops
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner()) = Some(updates);
}

/// Keeps files pasted in the page, to be sent like chosen ones once the user confirms.
#[tauri::command]
#[specta::specta]
pub fn paste_files(state: State<'_, AppState>, files: Vec<PastedFile>) -> Vec<ChosenFile> {
    state.files.paste(files)
}

/// What the system's clipboard held: files to preview, or text for the composer.
#[derive(Clone, Debug, Default, Serialize, specta::Type)]
pub struct ClipboardContent {
    pub files: Vec<ChosenFile>,
    pub text: Option<String>,
}

/// Pictures, files or text on the system's clipboard, for a paste the page saw nothing in
/// (WebKitGTK shows it neither pictures nor copied files): a picture is kept like a pasted one,
/// copied files like chosen ones. Elsewhere the webview hands them to the page, and this finds
/// nothing.
#[tauri::command]
#[specta::specta]
pub async fn paste_from_clipboard(
    app: AppHandle,
    state: State<'_, AppState>,
) -> Result<ClipboardContent, IpcError> {
    let (sender, receiver) = tokio::sync::oneshot::channel();
    // GTK's clipboard lives on the main thread.
    app.run_on_main_thread(move || {
        let _ = sender.send(crate::clipboard::read());
    })
    .map_err(|error| IpcError::new(Code::MediaReadFailed, error.to_string()))?;
    let pasted = receiver.await.unwrap_or(crate::clipboard::Pasted::Nothing);
    Ok(match pasted {
        crate::clipboard::Pasted::Files(paths) => ClipboardContent {
            files: state.files.choose(paths),
            text: None,
        },
        crate::clipboard::Pasted::Picture { name, bytes } => ClipboardContent {
            files: state.files.paste(vec![PastedFile { name, bytes }]),
            text: None,
        },
        crate::clipboard::Pasted::Text(text) => ClipboardContent {
            files: Vec::new(),
            text: Some(text),
        },
        crate::clipboard::Pasted::Nothing => ClipboardContent::default(),
    })
}

/// Sends a chosen (or pasted) file; returns the transaction ID of its local echo (to cancel
/// it). A large file goes to the server first, telling `progress` how far it is; `upload`
/// names it for [`cancel_transfer`], and `None` is returned when it is cancelled.
#[tauri::command]
#[specta::specta]
#[allow(clippy::too_many_arguments)]
pub async fn send_chosen_file(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    file: u32,
    caption: Option<String>,
    keep_metadata: bool,
    upload: String,
    progress: Channel<UploadProgress>,
) -> Result<Option<String>, IpcError> {
    let account = super::account(&state, &account).await?;
    if let Some(pasted) = state.files.take_pasted(file) {
        let pasted = PastedBytes {
            name: pasted.name,
            bytes: pasted.bytes,
            caption,
            keep_metadata,
        };
        return Ok(Some(account.media().send_pasted(&room_id, pasted).await?));
    }
    let path = state.files.chosen(file)?;
    let (cancel, cancelled) = tokio::sync::oneshot::channel();
    state.files.lock_transfers().insert(upload.clone(), cancel);
    let media = account.media();
    let report = move |update: UploadProgress| {
        let _ = progress.send(update);
    };
    // Dropping the upload stops it: nothing of it is sent.
    let outcome = tokio::select! {
        sent = media.send_file_reporting(
            &room_id,
            OutgoingFile {
                path,
                caption,
                keep_metadata,
            },
            report,
        ) => Some(sent),
        Ok(()) = cancelled => None,
    };
    state.files.lock_transfers().remove(&upload);
    match outcome {
        Some(sent) => Ok(Some(sent?)),
        None => Ok(None),
    }
}

/// Saves a message's file into the Downloads folder, under a safe name replacing nothing,
/// telling `progress` how far it is. `download` names it for [`cancel_transfer`]; `None` when
/// cancelled.
#[tauri::command]
#[specta::specta]
pub async fn download_file(
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    event_id: String,
    download: String,
    progress: Channel<DownloadProgress>,
) -> Result<Option<SavedFile>, IpcError> {
    let folder = downloads_folder()?;
    let account = super::account(&state, &account).await?;
    let to = SaveTo::Folder(folder);
    save(
        &state, &account, &room_id, &event_id, to, download, progress,
    )
    .await
}

/// Saves a message's file where the user says, in the system's "Save as…" dialog (which
/// proposes the sender's name, made safe). `None` when they cancel, in the dialog or after.
#[tauri::command]
#[specta::specta]
#[allow(clippy::too_many_arguments)]
pub async fn save_file_as(
    app: AppHandle,
    state: State<'_, AppState>,
    account: AccountId,
    room_id: String,
    event_id: String,
    name: String,
    download: String,
    progress: Channel<DownloadProgress>,
) -> Result<Option<SavedFile>, IpcError> {
    let account = super::account(&state, &account).await?;
    let target = match test_dialog_answer("ESTAFETTE_TEST_SAVE_AS") {
        Some(paths) => paths.into_iter().next(),
        None => {
            let (sender, receiver) = tokio::sync::oneshot::channel();
            let mut dialog = app.dialog().file().set_file_name(safe_file_name(&name));
            if let Ok(folder) = downloads_folder() {
                dialog = dialog.set_directory(folder);
            }
            dialog.save_file(move |picked| {
                let _ = sender.send(picked);
            });
            receiver
                .await
                .ok()
                .flatten()
                .and_then(|path| path.into_path().ok())
        }
    };
    let Some(target) = target else {
        return Ok(None);
    };
    let to = SaveTo::File(target);
    save(
        &state, &account, &room_id, &event_id, to, download, progress,
    )
    .await
}

/// Stops a download under way (what it had written goes) or the upload of a large file.
#[tauri::command]
#[specta::specta]
pub fn cancel_transfer(state: State<'_, AppState>, transfer: String) {
    if let Some(cancel) = state.files.lock_transfers().remove(&transfer) {
        let _ = cancel.send(());
    }
}

async fn save(
    state: &AppState,
    account: &Account,
    room_id: &str,
    event_id: &str,
    to: SaveTo,
    download: String,
    progress: Channel<DownloadProgress>,
) -> Result<Option<SavedFile>, IpcError> {
    let (cancel, cancelled) = tokio::sync::oneshot::channel();
    state
        .files
        .lock_transfers()
        .insert(download.clone(), cancel);
    let report = |update: DownloadProgress| {
        let _ = progress.send(update);
    };
    // Dropping the download stops it, and the core removes what it wrote.
    let media = account.media();
    let outcome = tokio::select! {
        saved = media.download(room_id, event_id, to, report) => Some(saved),
        Ok(()) = cancelled => None,
    };
    state.files.lock_transfers().remove(&download);
    match outcome {
        Some(saved) => Ok(Some(state.files.remember_saved(&saved?))),
        None => Ok(None),
    }
}

fn downloads_folder() -> Result<PathBuf, IpcError> {
    let folder = file_name::downloads_folder();
    std::fs::create_dir_all(&folder)
        .map_err(|error| IpcError::new(Code::MediaWriteFailed, error.to_string()))?;
    Ok(folder)
}

/// Opens a saved file with the system's application for its type.
#[tauri::command]
#[specta::specta]
pub fn open_saved_file(
    app: AppHandle,
    state: State<'_, AppState>,
    file: u32,
) -> Result<(), IpcError> {
    let path = state.files.saved(file)?;
    app.opener()
        .open_path(path.to_string_lossy(), None::<&str>)
        .map_err(|error| IpcError::new(ShellCode::FileOpenFailed, error.to_string()))
}

/// Shows a saved file in the system's file manager.
#[tauri::command]
#[specta::specta]
pub fn show_saved_file(
    app: AppHandle,
    state: State<'_, AppState>,
    file: u32,
) -> Result<(), IpcError> {
    let path = state.files.saved(file)?;
    app.opener()
        .reveal_item_in_dir(path)
        .map_err(|error| IpcError::new(ShellCode::FileOpenFailed, error.to_string()))
}
