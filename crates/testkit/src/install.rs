//! Installing the pinned Synapse into a virtualenv cached outside the repository, keyed by
//! version. Safe when several test processes start at once: the installer holds an OS file
//! lock (released by the kernel even if it is killed), and a marker written last tells the
//! others the installation is complete.

use std::{
    fs::{File, TryLockError},
    io::Write,
    path::{Path, PathBuf},
    process::{Command, Stdio},
};

use crate::TestkitError;

/// The Synapse release every test, benchmark and demo runs against.
pub const SYNAPSE_VERSION: &str = "1.163.2";

const MARKER: &str = ".estafette-complete";

/// Where the kit caches what outlives a clone: `$ESTAFETTE_CACHE_DIR`, else
/// `<user cache dir>/estafette` (`~/.cache/estafette` on Linux).
pub fn cache_root() -> Result<PathBuf, TestkitError> {
    match std::env::var_os("ESTAFETTE_CACHE_DIR").filter(|dir| !dir.is_empty()) {
        Some(dir) => Ok(PathBuf::from(dir)),
        None => Ok(dirs::cache_dir()
            .ok_or(TestkitError::NoCacheDir)?
            .join("estafette")),
    }
}

/// Synapse with what single sign-on through OpenID Connect needs (`authlib`).
const SYNAPSE_PACKAGE: &str = "matrix-synapse[oidc]";

/// The OpenID Connect provider standing in for the state's portal; installed only by the
/// tests that sign in through it.
pub(crate) const OIDC_MOCK_VERSION: &str = "0.3.4";

/// A Python tool the kit runs, in a virtualenv of its own keyed by name and version.
struct PythonTool {
    /// The virtualenv's directory name, its lock's and its log's.
    key: String,
    /// What pip installs, pinned.
    requirement: String,
    /// A one-line Python check that the install is whole.
    check: String,
}

impl PythonTool {
    fn synapse() -> Self {
        Self {
            key: format!("synapse-{SYNAPSE_VERSION}-oidc"),
            requirement: format!("{SYNAPSE_PACKAGE}=={SYNAPSE_VERSION}"),
            check: format!(
                "import synapse, authlib; assert synapse.__version__ == {SYNAPSE_VERSION:?}"
            ),
        }
    }

    fn oidc_mock() -> Self {
        Self {
            key: format!("oidc-provider-mock-{OIDC_MOCK_VERSION}"),
            requirement: format!("oidc-provider-mock=={OIDC_MOCK_VERSION}"),
            check: "import oidc_provider_mock".to_owned(),
        }
    }

    fn venv(&self) -> Result<PathBuf, TestkitError> {
        Ok(cache_root()?.join(&self.key))
    }
}

/// The virtualenv of [`SYNAPSE_VERSION`], installed or not.
pub fn synapse_venv_dir() -> Result<PathBuf, TestkitError> {
    PythonTool::synapse().venv()
}

/// Installs Synapse unless already there, and returns the virtualenv's directory. Blocking:
/// about 10–25 s the first time on a machine, a file check afterwards.
pub fn ensure_synapse_installed() -> Result<PathBuf, TestkitError> {
    ensure_installed(&PythonTool::synapse())
}

/// Installs `oidc-provider-mock` unless already there (about 2 s the first time).
pub(crate) fn ensure_oidc_mock_installed() -> Result<PathBuf, TestkitError> {
    ensure_installed(&PythonTool::oidc_mock())
}

fn ensure_installed(tool: &PythonTool) -> Result<PathBuf, TestkitError> {
    let venv = tool.venv()?;
    if venv.join(MARKER).is_file() {
        return Ok(venv);
    }
    let root = cache_root()?;
    std::fs::create_dir_all(&root)
        .map_err(TestkitError::io(format!("creating {}", root.display())))?;
    let lock_path = root.join(format!("{}.install-lock", tool.key));
    let lock = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock_path)
        .map_err(TestkitError::io(format!("opening {}", lock_path.display())))?;
    match lock.try_lock() {
        Ok(()) => {}
        Err(TryLockError::WouldBlock) => {
            eprintln!(
                "estafette-testkit: waiting for another process installing {}…",
                tool.key
            );
            lock.lock()
                .map_err(TestkitError::io(format!("locking {}", lock_path.display())))?;
        }
        Err(TryLockError::Error(source)) => {
            return Err(TestkitError::Io {
                context: format!("locking {}", lock_path.display()),
                source,
            });
        }
    }
    // Whoever held the lock before us may have finished the job.
    if venv.join(MARKER).is_file() {
        return Ok(venv);
    }
    eprintln!(
        "estafette-testkit: installing {} into {} (once per machine)…",
        tool.requirement,
        venv.display()
    );
    let log = root.join(format!("{}-install.log", tool.key));
    install(tool, &venv, &log)?;
    std::fs::write(venv.join(MARKER), &tool.requirement).map_err(TestkitError::io(format!(
        "marking {} complete",
        venv.display()
    )))?;
    // The lock is released when `lock` is dropped (or this process dies).
    Ok(venv)
}

fn install(tool: &PythonTool, venv: &Path, log_path: &Path) -> Result<(), TestkitError> {
    if venv.exists() {
        // Left by an installer that was killed half-way: never trust a partial venv.
        std::fs::remove_dir_all(venv).map_err(TestkitError::io(format!(
            "removing partial {}",
            venv.display()
        )))?;
    }
    let mut log = Log::create(log_path)?;
    let base_python = std::env::var_os("ESTAFETTE_PYTHON").unwrap_or_else(|| "python3".into());
    log.run(
        "python3 -m venv",
        Command::new(base_python).args(["-m", "venv"]).arg(venv),
    )?;
    let python = venv.join("bin").join("python");
    // uv is 2–4× faster than pip. --compile-bytecode matters: these machines set
    // PYTHONDONTWRITEBYTECODE, and without .pyc files every Synapse start costs ~1.7 s more.
    let with_uv = log
        .run(
            "pip install uv",
            Command::new(&python).args(["-m", "pip", "install", "--quiet", "uv"]),
        )
        .and_then(|()| {
            log.run(
                &format!("uv pip install {}", tool.requirement),
                Command::new(&python)
                    .args([
                        "-m",
                        "uv",
                        "pip",
                        "install",
                        "--compile-bytecode",
                        "--python",
                    ])
                    .arg(&python)
                    .arg(&tool.requirement),
            )
        });
    if with_uv.is_err() {
        log.note("uv failed; falling back to pip");
        log.run(
            &format!("pip install {}", tool.requirement),
            Command::new(&python)
                .args(["-m", "pip", "install", "--compile"])
                .arg(&tool.requirement),
        )?;
    }
    log.run(
        "check the install",
        Command::new(&python).args(["-c", &tool.check]),
    )
}

/// The installer's combined output, kept next to the venv for post-mortems.
struct Log {
    path: PathBuf,
    file: File,
}

impl Log {
    fn create(path: &Path) -> Result<Self, TestkitError> {
        let file =
            File::create(path).map_err(TestkitError::io(format!("creating {}", path.display())))?;
        Ok(Self {
            path: path.to_owned(),
            file,
        })
    }

    fn note(&mut self, line: &str) {
        // The log is a diagnostic aid; failing to write it must not fail the install.
        let _ = writeln!(self.file, "## {line}");
    }

    fn run(&mut self, step: &str, command: &mut Command) -> Result<(), TestkitError> {
        self.note(&format!("{step}: {command:?}"));
        let failure = |detail: String| TestkitError::Install {
            step: step.to_owned(),
            log: self.path.clone(),
            tail: detail,
        };
        let stdout = self
            .file
            .try_clone()
            .map_err(|error| failure(error.to_string()))?;
        let stderr = self
            .file
            .try_clone()
            .map_err(|error| failure(error.to_string()))?;
        let status = command
            .stdin(Stdio::null())
            .stdout(stdout)
            .stderr(stderr)
            .status()
            .map_err(|error| failure(format!("could not start: {error}")))?;
        if status.success() {
            Ok(())
        } else {
            let text = std::fs::read_to_string(&self.path).unwrap_or_default();
            Err(failure(format!("{status}\n{}", tail(&text, 30))))
        }
    }
}

/// The last `lines` lines of `text`.
pub(crate) fn tail(text: &str, lines: usize) -> String {
    let all: Vec<&str> = text.lines().collect();
    all[all.len().saturating_sub(lines)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tail_keeps_the_last_lines() {
        assert_eq!(tail("a\nb\nc\n", 2), "b\nc");
        assert_eq!(tail("a", 5), "a");
        assert_eq!(tail("", 5), "");
    }

    #[test]
    fn the_venv_is_keyed_by_version_under_the_cache_root() {
        let venv = synapse_venv_dir().expect("a cache directory");
        assert!(venv.starts_with(cache_root().expect("a cache directory")));
        assert!(venv.ends_with(format!("synapse-{SYNAPSE_VERSION}-oidc")));
    }

    #[test]
    fn a_failing_step_reports_its_name_and_output() {
        let dir = tempfile::tempdir().expect("temporary directory");
        let mut log = Log::create(&dir.path().join("install.log")).expect("log");
        let error = log
            .run(
                "the step",
                Command::new("sh").args(["-c", "echo broken-wheel >&2; exit 3"]),
            )
            .expect_err("the command fails");
        let message = error.to_string();
        assert!(message.contains("`the step`"), "{message}");
        assert!(message.contains("broken-wheel"), "{message}");
    }
}
