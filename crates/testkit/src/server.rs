//! [`Homeserver`]: one Synapse on 127.0.0.1 with its data directory, from start to drop.
//! Users and seeding live in their own modules; this one owns the life cycle.

use std::{
    fmt,
    net::TcpListener,
    path::{Path, PathBuf},
    time::{Duration, Instant},
};

use reqwest::Url;
use tempfile::TempDir;

use crate::{
    MailSink, OidcProvider, TestkitError, TurnServer,
    config::{self, KitState, TurnConfig},
    http,
    install::{ensure_synapse_installed, tail},
    process::SynapseProcess,
};

const START_TIMEOUT: Duration = Duration::from_secs(90);
const STOP_GRACE: Duration = Duration::from_secs(10);
/// Drop blocks a thread, possibly a runtime's: keep it short. Synapse exits in ~50 ms.
const DROP_GRACE: Duration = Duration::from_secs(5);
/// Fresh servers move to another port when theirs was taken between choosing and binding.
const PORT_ATTEMPTS: usize = 3;
const TAIL_LINES: usize = 40;

/// A Synapse on `127.0.0.1:<port>`, running or stopped (and then restartable).
///
/// Stopped on drop, even during a panic. The data directory is deleted on drop when the kit
/// chose it ([`Homeserver::start`]) and kept when the caller did.
pub struct Homeserver {
    // First field, hence torn down before the data directory it writes to.
    process: Option<SynapseProcess>,
    state: KitState,
    dir: DataDir,
    venv: PathBuf,
    http: reqwest::Client,
}

enum DataDir {
    Temporary(TempDir),
    Kept(PathBuf),
}

impl DataDir {
    fn path(&self) -> &Path {
        match self {
            Self::Temporary(dir) => dir.path(),
            Self::Kept(path) => path,
        }
    }
}

impl fmt::Debug for Homeserver {
    // Leaves out the registration secret and the other keys in `state`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Homeserver")
            .field("base_url", &self.base_url())
            .field("data_dir", &self.data_dir())
            .field("kept", &matches!(self.dir, DataDir::Kept(_)))
            .field("running", &self.is_running())
            .finish_non_exhaustive()
    }
}

impl Homeserver {
    /// Installs Synapse if missing, writes its configuration into a fresh temporary directory,
    /// starts it on 127.0.0.1 on a free port and waits until it answers.
    pub async fn start() -> Result<Homeserver, TestkitError> {
        Self::start_fresh(|_| {}).await
    }

    /// Like [`Homeserver::start`], in `dir` (created if needed, kept after drop): to seed a
    /// server once and copy its directory. `dir` must not hold a server already.
    pub async fn start_in(dir: &Path) -> Result<Homeserver, TestkitError> {
        if KitState::exists_in(dir) {
            return Err(TestkitError::AlreadyInitialised(dir.to_owned()));
        }
        std::fs::create_dir_all(dir)
            .map_err(TestkitError::io(format!("creating {}", dir.display())))?;
        let dir = absolute(dir)?;
        let venv = installed_venv().await?;
        Self::create(DataDir::Kept(dir), venv).await
    }

    /// Copies the stopped server kept in `seed` to `dir`, then starts the copy: benchmarks
    /// change a server's data as they run, and the seed must stay as it was.
    pub async fn start_copy_of(seed: &Path, dir: &Path) -> Result<Homeserver, TestkitError> {
        let status = std::process::Command::new("cp")
            .arg("-a")
            .arg(seed)
            .arg(dir)
            .status()
            .map_err(|source| TestkitError::Io {
                context: format!("copying {}", seed.display()),
                source,
            })?;
        if !status.success() {
            return Err(TestkitError::Io {
                context: format!("copying {} to {}", seed.display(), dir.display()),
                source: std::io::Error::other(status.to_string()),
            });
        }
        Self::start_existing(dir).await
    }

    /// Starts the server whose state is in `dir` (made by [`Homeserver::start_in`], possibly a
    /// copy), on the port fixed there. The directory is kept after drop. Two copies of one
    /// seeded directory share a port, so only one of them can run at a time.
    pub async fn start_existing(dir: &Path) -> Result<Homeserver, TestkitError> {
        let state = KitState::load(dir)?;
        let dir = absolute(dir)?;
        let venv = installed_venv().await?;
        let http = http::client()?;
        ensure_port_free(state.port)?;
        let process = launch(&venv, &dir, &state, &http).await?;
        Ok(Self {
            process: Some(process),
            state,
            dir: DataDir::Kept(dir),
            venv,
            http,
        })
    }

    /// Whether `dir` holds a server made by this kit (one [`Homeserver::start_existing`] runs).
    pub fn holds_server(dir: &Path) -> bool {
        KitState::exists_in(dir)
    }

    /// Like [`Homeserver::start`], with access tokens that expire after `lifetime` when the
    /// client asked for a refresh token: to test token refresh.
    pub async fn start_with_expiring_tokens(
        lifetime: Duration,
    ) -> Result<Homeserver, TestkitError> {
        let lifetime = lifetime.as_secs().max(1);
        Self::start_fresh(|state| {
            state.access_token_lifetime_secs = Some(lifetime);
        })
        .await
    }

    /// Like [`Homeserver::start`], handing out credentials of `turn` at `/voip/turnServer`.
    pub async fn start_with_turn(turn: &TurnServer) -> Result<Homeserver, TestkitError> {
        let turn = TurnConfig {
            uri: turn.uri(),
            shared_secret: turn.secret().to_owned(),
        };
        Self::start_fresh(|state| {
            state.turn = Some(turn.clone());
        })
        .await
    }

    /// Like [`Homeserver::start`], with accounts that expire (Synapse's `account_validity`,
    /// six weeks) and renewal emails sent to `mail`.
    pub async fn start_with_account_validity(mail: &MailSink) -> Result<Homeserver, TestkitError> {
        let smtp_port = mail.port();
        Self::start_fresh(|state| {
            state.account_validity_smtp_port = Some(smtp_port);
        })
        .await
    }

    /// Like [`Homeserver::start`], signing people in through `provider` (single sign-on) as
    /// well as with passwords.
    pub async fn start_with_sso(provider: &OidcProvider) -> Result<Homeserver, TestkitError> {
        let issuer = provider.issuer().to_owned();
        Self::start_fresh(|state| {
            state.oidc_issuer = Some(issuer.clone());
        })
        .await
    }

    /// Like [`Homeserver::start`], with rules for new passwords ([`crate::PASSWORD_POLICY`]).
    pub async fn start_with_password_policy() -> Result<Homeserver, TestkitError> {
        Self::start_fresh(|state| state.password_policy = true).await
    }

    /// A server in a fresh temporary directory, its state adjusted by `configure`.
    async fn start_fresh(configure: impl Fn(&mut KitState)) -> Result<Homeserver, TestkitError> {
        let venv = installed_venv().await?;
        let dir = tempfile::Builder::new()
            .prefix("estafette-synapse-")
            .tempdir_in(temporary_parent())
            .map_err(TestkitError::io("creating a temporary data directory"))?;
        Self::create_with(DataDir::Temporary(dir), venv, configure).await
    }

    async fn create(dir: DataDir, venv: PathBuf) -> Result<Homeserver, TestkitError> {
        Self::create_with(dir, venv, |_| {}).await
    }

    /// Creates a server whose state `configure` adjusts beyond the defaults.
    async fn create_with(
        dir: DataDir,
        venv: PathBuf,
        configure: impl Fn(&mut KitState),
    ) -> Result<Homeserver, TestkitError> {
        let http = http::client()?;
        let mut attempt = 1;
        loop {
            let mut state = KitState::new(config::free_port()?);
            configure(&mut state);
            state.save(dir.path())?;
            match launch(&venv, dir.path(), &state, &http).await {
                Ok(process) => {
                    return Ok(Self {
                        process: Some(process),
                        state,
                        dir,
                        venv,
                        http,
                    });
                }
                Err(error) if attempt < PORT_ATTEMPTS && lost_port_race(&error) => {
                    tracing::info!(port = state.port, "port taken meanwhile; trying another");
                    config::clear(dir.path())?;
                    attempt += 1;
                }
                Err(error) => return Err(error),
            }
        }
    }

    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.state.port)
    }

    /// `127.0.0.1:PORT`: the server name in every user ID and alias of this server.
    pub fn server_name(&self) -> String {
        format!("127.0.0.1:{}", self.state.port)
    }

    pub fn port(&self) -> u16 {
        self.state.port
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Synapse's log, for a failing test to point at.
    pub fn log_file(&self) -> PathBuf {
        self.data_dir().join(config::LOG_FILE)
    }

    /// `@localpart:127.0.0.1:PORT`
    pub fn user_id(&self, localpart: &str) -> String {
        format!("@{localpart}:{}", self.server_name())
    }

    pub fn is_running(&self) -> bool {
        self.process
            .as_ref()
            .is_some_and(SynapseProcess::is_running)
    }

    /// SIGTERM, then waits (SIGKILL after 10 s). Stopping a stopped server does nothing.
    pub async fn stop(&mut self) -> Result<(), TestkitError> {
        match self.process.take() {
            Some(process) => process.stop(STOP_GRACE).await,
            None => Ok(()),
        }
    }

    /// Kills the server with SIGKILL, giving it no chance to finish a request or a write: for
    /// fault runs. [`Self::restart`] brings it back on its data directory.
    pub async fn crash(&mut self) -> Result<(), TestkitError> {
        match self.process.take() {
            Some(process) => tokio::task::spawn_blocking(move || process.crash())
                .await
                .map_err(|error| TestkitError::Task(error.to_string()))?,
            None => Ok(()),
        }
    }

    /// Starts the server again on the same port and data directory (stopping it first if it
    /// runs): for offline → online tests.
    pub async fn restart(&mut self) -> Result<(), TestkitError> {
        self.stop().await?;
        ensure_port_free(self.state.port)?;
        let process = launch(&self.venv, self.dir.path(), &self.state, &self.http).await?;
        self.process = Some(process);
        Ok(())
    }

    pub(crate) fn http(&self) -> &reqwest::Client {
        &self.http
    }

    pub(crate) fn registration_secret(&self) -> &str {
        &self.state.registration_shared_secret
    }

    /// A URL on this server from unescaped path segments.
    pub(crate) fn endpoint(&self, segments: &[&str]) -> Result<Url, TestkitError> {
        http::url(&self.base_url(), segments)
    }
}

impl Drop for Homeserver {
    fn drop(&mut self) {
        if let Some(process) = self.process.take() {
            process.stop_blocking(DROP_GRACE);
        }
    }
}

async fn installed_venv() -> Result<PathBuf, TestkitError> {
    tokio::task::spawn_blocking(ensure_synapse_installed)
        .await
        .map_err(|error| TestkitError::Task(error.to_string()))?
}

/// Where temporary data directories go: `$ESTAFETTE_SYNAPSE_TMPDIR`, else RAM (`/dev/shm`)
/// when it has room, else the system's temporary directory. SQLite syncs every commit to disk,
/// and on these machines that is about 30 % of each request's time.
fn temporary_parent() -> PathBuf {
    if let Some(dir) = std::env::var_os("ESTAFETTE_SYNAPSE_TMPDIR").filter(|dir| !dir.is_empty()) {
        return PathBuf::from(dir);
    }
    let shm = Path::new("/dev/shm");
    // Containers often mount a 64 MB /dev/shm: not enough for a few servers with media.
    if shm.is_dir() && available_bytes(shm).is_some_and(|bytes| bytes >= 1 << 30) {
        shm.to_owned()
    } else {
        std::env::temp_dir()
    }
}

/// Free space on the file system holding `path`, from POSIX `df` (no unsafe `statvfs`).
fn available_bytes(path: &Path) -> Option<u64> {
    let output = std::process::Command::new("df")
        .arg("-Pk")
        .arg(path)
        .output()
        .ok()?;
    if !output.status.success() {
        return None;
    }
    let text = String::from_utf8_lossy(&output.stdout);
    let kilobytes: u64 = text
        .lines()
        .nth(1)?
        .split_whitespace()
        .nth(3)?
        .parse()
        .ok()?;
    Some(kilobytes * 1024)
}

fn absolute(dir: &Path) -> Result<PathBuf, TestkitError> {
    dir.canonicalize()
        .map_err(TestkitError::io(format!("resolving {}", dir.display())))
}

/// Refuses to start on a port someone else serves: `/health` would then answer for them.
fn ensure_port_free(port: u16) -> Result<(), TestkitError> {
    TcpListener::bind(("127.0.0.1", port))
        .map(drop)
        .map_err(|source| TestkitError::Io {
            context: format!("port {port} of this server is taken by another process"),
            source,
        })
}

fn lost_port_race(error: &TestkitError) -> bool {
    matches!(error, TestkitError::ExitedEarly { tail, .. } if tail.contains("Address already in use"))
}

/// Writes the configuration, starts Synapse and waits until it answers as this launch. On
/// failure the process is killed (by dropping it) and the error carries the end of its output.
///
/// `/health` is not enough: when another server took the port between choosing and binding,
/// it answers `/health` while this process is still failing to bind, and the caller would
/// then register users with this server's secret on the other one ("HMAC incorrect").
async fn launch(
    venv: &Path,
    dir: &Path,
    state: &KitState,
    http: &reqwest::Client,
) -> Result<SynapseProcess, TestkitError> {
    let instance = config::random_secret();
    state.write_config(dir, &instance)?;
    let process = SynapseProcess::spawn(venv, dir)?;
    let well_known = http::url(
        &format!("http://127.0.0.1:{}", state.port),
        &[".well-known", "matrix", "client"],
    )?;
    let started = Instant::now();
    loop {
        if let Some(status) = process.exited()? {
            return Err(TestkitError::ExitedEarly {
                status: status.to_string(),
                tail: output_tail(dir),
            });
        }
        if answers_as(http, &well_known, &instance).await {
            tracing::debug!(port = state.port, elapsed = ?started.elapsed(), "Synapse is up");
            return Ok(process);
        }
        if started.elapsed() > START_TIMEOUT {
            return Err(TestkitError::StartTimeout {
                seconds: START_TIMEOUT.as_secs(),
                tail: output_tail(dir),
            });
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Whether the server at `url` serves the launch name `instance` (see [`launch`]).
async fn answers_as(http: &reqwest::Client, url: &Url, instance: &str) -> bool {
    let request = http.get(url.clone()).timeout(Duration::from_secs(2)).send();
    let Ok(response) = request.await else {
        return false;
    };
    if !response.status().is_success() {
        return false;
    }
    response
        .json::<serde_json::Value>()
        .await
        .is_ok_and(|body| body[config::INSTANCE_KEY] == instance)
}

/// The end of Synapse's log and of its stderr (where configuration errors and tracebacks go).
fn output_tail(dir: &Path) -> String {
    [config::LOG_FILE, config::STDERR_FILE]
        .iter()
        .filter_map(|name| {
            let text = std::fs::read_to_string(dir.join(name)).ok()?;
            let text = tail(&text, TAIL_LINES);
            (!text.trim().is_empty()).then(|| format!("--- {name} ---\n{text}"))
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn free_space_is_read_from_df() {
        let bytes = available_bytes(&std::env::temp_dir()).expect("df answers");
        assert!(bytes > 0);
        assert!(temporary_parent().is_dir());
    }

    #[test]
    fn a_port_in_use_is_refused_before_starting() {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("a listener");
        let port = listener.local_addr().expect("its address").port();
        assert!(ensure_port_free(port).is_err());
        drop(listener);
        assert!(ensure_port_free(port).is_ok());
    }

    #[test]
    fn only_a_bind_failure_counts_as_a_lost_port_race() {
        let exited = |tail: &str| TestkitError::ExitedEarly {
            status: "exit status: 1".into(),
            tail: tail.into(),
        };
        assert!(lost_port_race(&exited(
            "CannotListenError: [Errno 98] Address already in use"
        )));
        assert!(!lost_port_race(&exited("yaml.scanner.ScannerError")));
        assert!(!lost_port_race(&TestkitError::NotRunning));
    }

    /// The race seen in CI: another server binds the chosen port first. Its `/health` answered
    /// for this launch, whose users were then registered on the wrong server.
    #[tokio::test]
    async fn a_launch_whose_port_another_server_took_fails_as_a_lost_race() {
        let holder = Homeserver::start()
            .await
            .expect("a server holding the port");
        let venv = installed_venv().await.expect("Synapse installed");
        let dir = tempfile::tempdir().expect("temporary directory");
        let state = KitState::new(holder.port());
        state.save(dir.path()).expect("saved");
        let http = http::client().expect("an HTTP client");
        match launch(&venv, dir.path(), &state, &http).await {
            Ok(_) => panic!("the holder of the port was taken for the new launch"),
            Err(error) => assert!(lost_port_race(&error), "{error}"),
        }
        assert!(holder.is_running());
    }

    #[test]
    fn the_output_tail_names_its_files_and_skips_empty_ones() {
        let dir = tempfile::tempdir().expect("temporary directory");
        std::fs::write(dir.path().join(config::LOG_FILE), "one\ntwo\n").expect("log");
        std::fs::write(dir.path().join(config::STDERR_FILE), "").expect("stderr");
        assert_eq!(output_tail(dir.path()), "--- homeserver.log ---\none\ntwo");
    }
}
