//! Names of received files, made safe to save: a name comes from the sender, who may be hostile.

use std::{
    fs::{File, OpenOptions},
    io,
    path::{Path, PathBuf},
};

/// The longest name we save, in bytes: below every common file system's limit (255), with room
/// for a " (99)" suffix.
const MAX_NAME_BYTES: usize = 200;

/// What a file is called when the sender gave no usable name.
const FALLBACK_NAME: &str = "file";

/// A name for saving `name` (as the sender gave it) on any desktop system: only its last path
/// component; no control, bidirectional-override or zero-width characters (which can make
/// `evil\u{202E}fdp.exe` read as `evilexe.pdf`); none of the characters Windows refuses; no
/// leading dots (hidden files, `..`) or trailing dots and spaces; not a name Windows reserves
/// for devices (`CON`, `com1.txt`); at most 200 bytes, keeping the extension.
pub fn safe_file_name(name: &str) -> String {
    let last_component = name.rsplit(['/', '\\']).next().unwrap_or_default();
    let cleaned: String = last_component
        .chars()
        .filter(|c| !is_invisible_or_control(*c))
        .map(|c| if is_refused_by_windows(c) { '_' } else { c })
        .collect();
    let trimmed = cleaned
        .trim_start_matches(|c: char| c == '.' || c.is_whitespace())
        .trim_end_matches(|c: char| c == '.' || c.is_whitespace());
    let mut safe = if trimmed.is_empty() {
        FALLBACK_NAME.to_owned()
    } else {
        trimmed.to_owned()
    };
    if is_reserved_device_name(&safe) {
        safe.insert(0, '_');
    }
    shorten(&safe, MAX_NAME_BYTES)
}

fn is_invisible_or_control(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{200B}'..='\u{200F}' // zero-width characters, left-to-right and right-to-left marks
                | '\u{202A}'..='\u{202E}' // embeddings and overrides
                | '\u{2066}'..='\u{2069}' // isolates
                | '\u{061C}' // Arabic letter mark
                | '\u{FEFF}' // zero-width no-break space
        )
}

fn is_refused_by_windows(c: char) -> bool {
    matches!(c, '<' | '>' | ':' | '"' | '|' | '?' | '*')
}

/// `CON`, `PRN`, `AUX`, `NUL`, `COM1`…`COM9`, `LPT1`…`LPT9`, with any extension and any case.
fn is_reserved_device_name(name: &str) -> bool {
    let stem = name.split('.').next().unwrap_or_default().trim_end();
    let upper = stem.to_ascii_uppercase();
    matches!(upper.as_str(), "CON" | "PRN" | "AUX" | "NUL")
        || (upper.len() == 4
            && (upper.starts_with("COM") || upper.starts_with("LPT"))
            && upper.as_bytes()[3].is_ascii_digit()
            && upper.as_bytes()[3] != b'0')
}

/// Cuts the stem so that the name fits in `max` bytes, on a character boundary, keeping a short
/// extension.
fn shorten(name: &str, max: usize) -> String {
    if name.len() <= max {
        return name.to_owned();
    }
    let (stem, extension) = match name.rfind('.') {
        Some(dot) if dot > 0 && name.len() - dot <= 16 => name.split_at(dot),
        _ => (name, ""),
    };
    let mut cut = max.saturating_sub(extension.len());
    while !stem.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{extension}", &stem[..cut])
}

/// The user's Downloads folder: where received files and exported keys go (their home when the
/// system names none, the temporary folder when there is no home either).
pub fn downloads_folder() -> PathBuf {
    dirs::download_dir()
        .or_else(dirs::home_dir)
        .unwrap_or_else(std::env::temp_dir)
}

/// `name`, or its `number`th copy as browsers name them: `report (2).pdf`.
pub fn numbered_name(name: &str, number: u32) -> String {
    if number <= 1 {
        return name.to_owned();
    }
    let (stem, extension) = match name.rfind('.') {
        Some(dot) if dot > 0 => name.split_at(dot),
        _ => (name, ""),
    };
    format!("{stem} ({number}){extension}")
}

/// Creates a new file for `name` in `folder`, never replacing one: `report.pdf`, then
/// `report (2).pdf`, `report (3).pdf`… Creation and the check are one step (`create_new`), so
/// two downloads at once cannot pick the same name.
pub fn create_unique_file(folder: &Path, name: &str) -> io::Result<(PathBuf, File)> {
    let name = safe_file_name(name);
    for number in 1..=999u32 {
        let path = folder.join(numbered_name(&name, number));
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(error) => return Err(error),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "999 files of this name already exist",
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_last_path_component_is_kept() {
        assert_eq!(safe_file_name("../../x"), "x");
        assert_eq!(safe_file_name("..\\..\\Windows\\system.ini"), "system.ini");
        assert_eq!(safe_file_name("/etc/passwd"), "passwd");
        assert_eq!(safe_file_name(".."), FALLBACK_NAME);
        assert_eq!(safe_file_name("dir/"), FALLBACK_NAME);
    }

    #[test]
    fn hidden_and_trailing_dots_and_spaces_go() {
        assert_eq!(safe_file_name(".bashrc"), "bashrc");
        assert_eq!(safe_file_name("  report.pdf.  "), "report.pdf");
        assert_eq!(safe_file_name(""), FALLBACK_NAME);
    }

    #[test]
    fn control_bidi_and_zero_width_characters_are_removed() {
        // Shown as "invoicefdp.exe" backwards: it would read "invoiceexe.pdf".
        assert_eq!(safe_file_name("invoice\u{202E}fdp.exe"), "invoicefdp.exe");
        assert_eq!(safe_file_name("a\u{0}b\u{1F}c\u{7F}d\u{9B}e"), "abcde");
        assert_eq!(safe_file_name("x\u{200B}\u{2066}y\u{FEFF}.txt"), "xy.txt");
        assert_eq!(safe_file_name("line\nbreak.txt"), "linebreak.txt");
    }

    #[test]
    fn characters_windows_refuses_are_replaced() {
        assert_eq!(
            safe_file_name("a<b>c:d\"e|f?g*h.txt"),
            "a_b_c_d_e_f_g_h.txt"
        );
    }

    #[test]
    fn reserved_device_names_are_prefixed() {
        assert_eq!(safe_file_name("CON.txt"), "_CON.txt");
        assert_eq!(safe_file_name("con"), "_con");
        assert_eq!(safe_file_name("lpt1.tar.gz"), "_lpt1.tar.gz");
        assert_eq!(safe_file_name("COM9"), "_COM9");
        assert_eq!(safe_file_name("COM0"), "COM0");
        assert_eq!(safe_file_name("CONTRACT.pdf"), "CONTRACT.pdf");
        assert_eq!(safe_file_name("nul .txt"), "_nul .txt");
    }

    #[test]
    fn long_names_are_cut_on_a_character_keeping_the_extension() {
        let name = format!("{}.pdf", "é".repeat(300));
        let safe = safe_file_name(&name);
        assert!(safe.len() <= MAX_NAME_BYTES, "{}", safe.len());
        assert!(safe.ends_with("é.pdf"));
    }

    #[test]
    fn names_from_elsewhere_are_kept_as_they_are() {
        assert_eq!(
            safe_file_name("Compte rendu (final).docx"),
            "Compte rendu (final).docx"
        );
        assert_eq!(safe_file_name("photo.JPG"), "photo.JPG");
        assert_eq!(safe_file_name("日本語.txt"), "日本語.txt");
    }

    #[test]
    fn an_existing_file_is_never_replaced() {
        let folder = tempfile::tempdir().expect("folder");
        let (first, _) = create_unique_file(folder.path(), "report.pdf").expect("first");
        let (second, _) = create_unique_file(folder.path(), "report.pdf").expect("second");
        let (third, _) = create_unique_file(folder.path(), "../report.pdf").expect("third");
        let names: Vec<_> = [first, second, third]
            .iter()
            .map(|path| {
                path.file_name()
                    .expect("a name")
                    .to_string_lossy()
                    .into_owned()
            })
            .collect();
        assert_eq!(names, ["report.pdf", "report (2).pdf", "report (3).pdf"]);
        for path in std::fs::read_dir(folder.path()).expect("listed") {
            assert_eq!(path.expect("entry").path().parent(), Some(folder.path()));
        }
    }
}
