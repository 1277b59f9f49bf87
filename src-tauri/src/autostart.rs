//! Starting with the user's session (the `start_with_session` preference): on Linux, an entry
//! in the XDG autostart folder that every desktop reads, launching the app with `--minimised`
//! so that it waits in the tray (or the taskbar) rather than opening over the desktop.

use std::path::PathBuf;

/// The argument that starts the window out of sight.
pub const MINIMISED_ARG: &str = "--minimised";

/// Whether this launch came from the session's autostart.
pub fn launched_minimised() -> bool {
    std::env::args().any(|arg| arg == MINIMISED_ARG)
}

fn entry_path() -> Option<PathBuf> {
    dirs_config().map(|config| config.join("autostart").join("estafette.desktop"))
}

/// `$XDG_CONFIG_HOME`, else `~/.config`, as the XDG autostart specification reads it.
fn dirs_config() -> Option<PathBuf> {
    std::env::var_os("XDG_CONFIG_HOME")
        .map(PathBuf::from)
        .filter(|path| path.is_absolute())
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".config")))
}

/// The autostart entry for `executable`, or `None` for a path no desktop file can hold (a
/// line break or another control character). The Desktop Entry specification unescapes the
/// value first (`\\` is one backslash), then reads the quoted argument, in which `"`, `` ` ``,
/// `$` and `\` take a backslash; `%` is doubled, not to be read as a field code.
fn entry(executable: &str) -> Option<String> {
    let mut quoted = String::with_capacity(executable.len() + 2);
    quoted.push('"');
    for character in executable.chars() {
        match character {
            _ if character.is_control() => return None,
            '"' | '`' | '$' | '\\' => {
                quoted.push_str("\\\\");
                quoted.push(character);
            }
            '%' => quoted.push_str("%%"),
            _ => quoted.push(character),
        }
    }
    quoted.push('"');
    Some(format!(
        "[Desktop Entry]\nType=Application\nName=Estafette\nExec={quoted} {MINIMISED_ARG}\n\
         X-GNOME-Autostart-enabled=true\nNoDisplay=false\n"
    ))
}

/// The program to start: an AppImage's own file rather than its temporary mount.
fn executable() -> std::io::Result<PathBuf> {
    match std::env::var_os("APPIMAGE").map(PathBuf::from) {
        Some(image) if image.is_absolute() => Ok(image),
        _ => std::env::current_exe(),
    }
}

/// Adds or removes the autostart entry.
pub fn apply(start_with_session: bool) -> std::io::Result<()> {
    if !cfg!(target_os = "linux") {
        return Err(std::io::Error::other(
            "starting with the session is only written for Linux so far",
        ));
    }
    let path = entry_path().ok_or_else(|| std::io::Error::other("no configuration folder"))?;
    if start_with_session {
        let executable = executable()?;
        let entry = entry(&executable.to_string_lossy()).ok_or_else(|| {
            std::io::Error::other("the program's path cannot be written in a desktop file")
        })?;
        if let Some(folder) = path.parent() {
            std::fs::create_dir_all(folder)?;
        }
        std::fs::write(&path, entry)
    } else {
        match std::fs::remove_file(&path) {
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
            result => result,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::entry;

    #[test]
    fn the_entry_launches_this_executable_minimised_whatever_its_path() {
        let text = entry("/opt/Mes applis/100%/esta\"fette$1\\x").expect("an entry");
        assert!(
            text.contains(
                "Exec=\"/opt/Mes applis/100%%/esta\\\\\"fette\\\\$1\\\\\\x\" --minimised\n"
            ),
            "{text}"
        );
        assert!(text.starts_with("[Desktop Entry]\nType=Application\n"));
        assert_eq!(entry("/tmp/a\nExec=/bin/evil"), None);
        assert_eq!(entry("/tmp/a\rb"), None);
    }
}
