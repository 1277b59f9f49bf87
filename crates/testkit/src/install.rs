//! Installing Synapse into a cached virtualenv, safely when several test processes start at
//! once: one installs under a lock directory, the others wait for its completion marker.

use std::{
    path::{Path, PathBuf},
    process::Command,
    time::{Duration, Instant},
};

use crate::TestkitError;

/// The Synapse release every test, benchmark and demo runs against.
pub const SYNAPSE_VERSION: &str = "1.163.2";

/// Where caches shared across clones live: `$ESTAFETTE_CACHE_DIR`, else `~/.cache/estafette`.
pub fn cache_dir() -> PathBuf {
    match std::env::var_os("ESTAFETTE_CACHE_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => dirs::cache_dir()
            .unwrap_or_else(std::env::temp_dir)
            .join("estafette"),
    }
}

/// Installs Synapse if needed (blocking; 10–25 s the first time) and returns the virtualenv's
/// Python interpreter.
pub fn ensure_synapse_installed() -> Result<PathBuf, TestkitError> {
    let venv = cache_dir().join(format!("synapse-{SYNAPSE_VERSION}"));
    let python = venv.join("bin").join("python");
    let marker = venv.join(".estafette-complete");
    let lock = venv.with_extension("lock");
    let deadline = Instant::now() + Duration::from_secs(600);
    loop {
        if marker.exists() {
            return Ok(python);
        }
        std::fs::create_dir_all(cache_dir())?;
        match std::fs::create_dir(&lock) {
            Ok(()) => {
                std::fs::write(lock.join("pid"), std::process::id().to_string())?;
                let result = install(&venv);
                if result.is_ok() {
                    std::fs::write(&marker, SYNAPSE_VERSION)?;
                }
                let _ = std::fs::remove_dir_all(&lock);
                return result.map(|()| python);
            }
            Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                if lock_is_stale(&lock) {
                    let _ = std::fs::remove_dir_all(&lock);
                    continue;
                }
                if Instant::now() > deadline {
                    return Err(TestkitError::Install(format!(
                        "another process has held {} for 10 minutes",
                        lock.display()
                    )));
                }
                std::thread::sleep(Duration::from_millis(250));
            }
            Err(error) => return Err(error.into()),
        }
    }
}

/// A lock left by a process that no longer runs (killed mid-install).
fn lock_is_stale(lock: &Path) -> bool {
    match std::fs::read_to_string(lock.join("pid")) {
        Ok(pid) => !Path::new("/proc").join(pid.trim()).exists(),
        // Just created, pid not written yet: not stale.
        Err(_) => false,
    }
}

fn install(venv: &Path) -> Result<(), TestkitError> {
    if venv.exists() {
        std::fs::remove_dir_all(venv)?;
    }
    run(Command::new("python3").args(["-m", "venv"]).arg(venv))?;
    let python = venv.join("bin").join("python");
    let package = format!("matrix-synapse=={SYNAPSE_VERSION}");
    // uv is 2–4× faster than pip here. --compile-bytecode matters: these machines set
    // PYTHONDONTWRITEBYTECODE, and without .pyc files every Synapse start costs ~1.7 s more.
    let with_uv = run(Command::new(&python).args(["-m", "pip", "install", "--quiet", "uv"]))
        .and_then(|()| {
            run(Command::new(&python)
                .args([
                    "-m",
                    "uv",
                    "pip",
                    "install",
                    "--quiet",
                    "--compile-bytecode",
                    "--python",
                ])
                .arg(&python)
                .arg(&package))
        });
    if with_uv.is_err() {
        run(Command::new(&python)
            .args(["-m", "pip", "install", "--quiet", "--compile"])
            .arg(&package))?;
    }
    Ok(())
}

fn run(command: &mut Command) -> Result<(), TestkitError> {
    let output = command
        .output()
        .map_err(|error| TestkitError::Install(format!("{command:?}: {error}")))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(TestkitError::Install(format!(
            "{command:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        )))
    }
}
