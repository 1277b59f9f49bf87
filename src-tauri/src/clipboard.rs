//! The system's clipboard, read by the shell when the page's paste event holds nothing:
//! WebKitGTK hands the page neither pictures nor copied files. The page never names a path;
//! files come from the clipboard the user filled, as dropped files come from the drop.

use std::path::PathBuf;

/// What a paste brings that the page could not see.
#[derive(Debug)]
pub enum Pasted {
    /// Files copied in a file manager.
    Files(Vec<PathBuf>),
    /// A picture (a screenshot, a picture copied from another application), as its bytes.
    Picture {
        name: String,
        bytes: Vec<u8>,
    },
    /// Text after all: the page could not tell, as WebKitGTK showed it nothing.
    Text(String),
    Nothing,
}

/// The picture types asked for first, as their bytes are: nothing is decoded or re-encoded.
#[cfg(target_os = "linux")]
const PICTURE_TYPES: &[(&str, &str)] = &[
    ("image/png", "png"),
    ("image/jpeg", "jpg"),
    ("image/webp", "webp"),
    ("image/gif", "gif"),
];

/// Reads the clipboard; on the GTK main thread.
#[cfg(target_os = "linux")]
pub fn read() -> Pasted {
    use gtk::{Clipboard, gdk};

    let clipboard = Clipboard::get(&gdk::SELECTION_CLIPBOARD);
    // Only what the owner offers: some answer any type with whatever they hold.
    let offered: Vec<String> = clipboard
        .wait_for_targets()
        .unwrap_or_default()
        .iter()
        .map(|target| target.name().to_string())
        .collect();
    let offers = |mime_type: &str| offered.iter().any(|target| target == mime_type);
    if offers("text/uri-list") {
        let files: Vec<PathBuf> = clipboard
            .wait_for_uris()
            .iter()
            .filter_map(|uri| url::Url::parse(uri).ok()?.to_file_path().ok())
            .collect();
        if !files.is_empty() {
            return Pasted::Files(files);
        }
    }
    for (mime_type, extension) in PICTURE_TYPES {
        if !offers(mime_type) {
            continue;
        }
        let bytes = clipboard
            .wait_for_contents(&gdk::Atom::intern(mime_type))
            .map(|contents| contents.data())
            .unwrap_or_default();
        // What it says it is, by its first bytes.
        if crate::media::image_type(&bytes).is_some() {
            return Pasted::Picture {
                name: format!("image.{extension}"),
                bytes,
            };
        }
    }
    match clipboard.wait_for_text() {
        Some(text) if !text.is_empty() => Pasted::Text(text.into()),
        _ => Pasted::Nothing,
    }
}

/// Elsewhere the webview gives the page what was pasted.
#[cfg(not(target_os = "linux"))]
pub fn read() -> Pasted {
    Pasted::Nothing
}

/// Puts a secret (the recovery key) on the clipboard; on the GTK main thread.
#[cfg(target_os = "linux")]
pub fn put_secret(text: &str) {
    use gtk::{Clipboard, gdk};
    Clipboard::get(&gdk::SELECTION_CLIPBOARD).set_text(text);
}

/// Empties the clipboard if it still holds `text`: what the user copied since is theirs.
#[cfg(target_os = "linux")]
pub fn clear_secret(text: &str) {
    use gtk::{Clipboard, gdk};
    let clipboard = Clipboard::get(&gdk::SELECTION_CLIPBOARD);
    if clipboard
        .wait_for_text()
        .is_some_and(|held| held.as_str() == text)
    {
        clipboard.set_text("");
        clipboard.clear();
    }
}
