//! The environment tests and benchmarks run in: a private D-Bus session with gnome-keyring
//! unlocked as the Secret Service, under a throw-away HOME so no keyring outlives the run.
//!
//! Only what must survive is pointed back at the real machine: the Rust toolchain and cargo
//! cache (CARGO_HOME, RUSTUP_HOME) and the Synapse virtualenv (ESTAFETTE_CACHE_DIR).

use std::{
    os::unix::fs::PermissionsExt,
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, SystemTime, UNIX_EPOCH},
};

use crate::{Error, steps};

/// Unlocks (creating on first use) the login keyring of the fresh HOME, then runs the command.
/// DISPLAY is unset for the bus: with a display, a locked keyring waits forever on a prompt.
const SESSION_SCRIPT: &str = r#"eval "$(printf estafette | gnome-keyring-daemon --unlock --components=secrets)"
export SSH_AUTH_SOCK GNOME_KEYRING_CONTROL
exec "$@""#;

/// Variables that would send the keyring, caches or config outside the throw-away HOME, or
/// point at the caller's own session.
const REMOVED_VARIABLES: &[&str] = &[
    "DISPLAY",
    "WAYLAND_DISPLAY",
    "DBUS_SESSION_BUS_ADDRESS",
    "GNOME_KEYRING_CONTROL",
    "SSH_AUTH_SOCK",
    "XDG_DATA_HOME",
    "XDG_CONFIG_HOME",
    "XDG_CACHE_HOME",
    "XDG_STATE_HOME",
];

const HOME_PREFIX: &str = "estafette-xtask-home-";

/// Throw-away homes of xtask runs that were killed before they could clean up.
fn remove_abandoned_homes() {
    let Ok(entries) = std::fs::read_dir(std::env::temp_dir()) else {
        return;
    };
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(rest) = name
            .to_str()
            .and_then(|name| name.strip_prefix(HOME_PREFIX))
        else {
            continue;
        };
        let pid = rest.split('-').next().unwrap_or_default();
        if !pid.is_empty() && !Path::new("/proc").join(pid).exists() {
            // Best effort: another run may be removing it at the same moment.
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}

/// A throw-away HOME (removed on drop) and the commands that run inside the keyring session.
#[derive(Debug)]
pub struct KeyringSession {
    home: PathBuf,
    cargo_home: PathBuf,
    rustup_home: PathBuf,
    cache_dir: PathBuf,
}

impl KeyringSession {
    pub fn create() -> Result<Self, Error> {
        remove_abandoned_homes();
        let real_home = real_home()?;
        let nanos = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |elapsed| elapsed.subsec_nanos());
        let home = std::env::temp_dir().join(format!(
            "estafette-xtask-home-{}-{nanos}",
            std::process::id()
        ));
        let runtime = home.join("run");
        std::fs::create_dir_all(&runtime).map_err(|source| Error::Io {
            context: format!("creating {}", runtime.display()),
            source,
        })?;
        for dir in [&home, &runtime] {
            // gnome-keyring refuses a runtime directory that others can read.
            std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(
                |source| Error::Io {
                    context: format!("securing {}", dir.display()),
                    source,
                },
            )?;
        }
        Ok(Self {
            home,
            cargo_home: var_path("CARGO_HOME").unwrap_or_else(|| real_home.join(".cargo")),
            rustup_home: var_path("RUSTUP_HOME").unwrap_or_else(|| real_home.join(".rustup")),
            cache_dir: estafette_cache_dir(&real_home),
        })
    }

    /// `program args…` inside the D-Bus + keyring session, from the workspace root.
    pub fn command(&self, root: &Path, program: &str, args: &[String]) -> Command {
        let mut command = Command::new("dbus-run-session");
        command
            .args(["--", "sh", "-c", SESSION_SCRIPT, "sh", program])
            .args(args);
        command.current_dir(root);
        for variable in REMOVED_VARIABLES {
            command.env_remove(variable);
        }
        command
            .env("HOME", &self.home)
            .env("XDG_RUNTIME_DIR", self.home.join("run"))
            .env("CARGO_HOME", &self.cargo_home)
            .env("RUSTUP_HOME", &self.rustup_home)
            .env("ESTAFETTE_CACHE_DIR", &self.cache_dir);
        command
    }

    /// Stores, reads back and deletes a secret through the Secret Service, so a broken
    /// keyring is reported as such instead of as a hundred failing tests.
    pub fn probe(&self, root: &Path) -> Result<(), Error> {
        let script = "printf %s estafette-probe \
            | secret-tool store --label='estafette xtask probe' estafette-xtask probe \
            && secret-tool lookup estafette-xtask probe \
            && secret-tool clear estafette-xtask probe";
        let mut command = self.command(root, "sh", &["-c".to_owned(), script.to_owned()]);
        let output = steps::output_within(&mut command, Duration::from_secs(30))?;
        if output.status.success() && output.stdout == b"estafette-probe" {
            println!("a secret was stored, read back and deleted through the Secret Service");
            return Ok(());
        }
        Err(Error::Missing(format!(
            "the Secret Service is not reachable inside `dbus-run-session` with gnome-keyring \
             ({}).\n  stdout: {}\n  stderr: {}\nCheck that gnome-keyring, dbus and \
             libsecret-tools are installed and that `gnome-keyring-daemon --unlock \
             --components=secrets` works here.",
            output.status,
            String::from_utf8_lossy(&output.stdout).trim(),
            String::from_utf8_lossy(&output.stderr).trim(),
        )))
    }

    pub fn cache_dir(&self) -> &Path {
        &self.cache_dir
    }
}

impl Drop for KeyringSession {
    fn drop(&mut self) {
        // Best effort: a leftover directory in the temp dir is harmless.
        let _ = std::fs::remove_dir_all(&self.home);
    }
}

fn var_path(name: &str) -> Option<PathBuf> {
    std::env::var_os(name)
        .filter(|value| !value.is_empty())
        .map(PathBuf::from)
}

fn real_home() -> Result<PathBuf, Error> {
    var_path("HOME").ok_or_else(|| {
        Error::Missing("HOME is not set: xtask needs it to find cargo, rustup and caches".into())
    })
}

/// Where the Synapse virtualenv is cached; the test kit uses the same rule for its default.
pub fn estafette_cache_dir(real_home: &Path) -> PathBuf {
    var_path("ESTAFETTE_CACHE_DIR").unwrap_or_else(|| {
        var_path("XDG_CACHE_HOME")
            .unwrap_or_else(|| real_home.join(".cache"))
            .join("estafette")
    })
}

/// The cache directory as seen from outside the session (for steps that run before it).
pub fn cache_dir_outside() -> Result<PathBuf, Error> {
    Ok(estafette_cache_dir(&real_home()?))
}

#[cfg(test)]
mod tests {
    use std::ffi::OsString;

    use super::*;

    fn os(path: &Path) -> OsString {
        path.as_os_str().to_owned()
    }

    fn env_of(command: &Command, name: &str) -> Option<Option<OsString>> {
        command
            .get_envs()
            .find(|(key, _)| *key == name)
            .map(|(_, value)| value.map(|value| value.to_owned()))
    }

    #[test]
    fn the_session_gets_a_private_home_but_the_real_toolchain() {
        let session = KeyringSession::create().expect("session");
        let command = session.command(Path::new("/"), "cargo", &["test".to_owned()]);
        assert_eq!(env_of(&command, "HOME"), Some(Some(os(&session.home))));
        assert_eq!(
            env_of(&command, "DISPLAY"),
            Some(None),
            "DISPLAY is removed"
        );
        assert_eq!(
            env_of(&command, "CARGO_HOME"),
            Some(Some(os(&session.cargo_home)))
        );
        assert_ne!(session.cargo_home, session.home.join(".cargo"));
        assert!(session.home.join("run").is_dir());
        let home = session.home.clone();
        drop(session);
        assert!(!home.exists(), "the throw-away HOME is removed");
    }
}
