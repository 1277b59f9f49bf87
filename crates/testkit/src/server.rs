//! One Synapse process: its configuration, start, health check, stop and restart.

use std::{
    fmt,
    net::TcpListener,
    path::{Path, PathBuf},
    process::{Child, ChildStdin, Command, Stdio},
    time::{Duration, Instant},
};

use rand::distr::{Alphanumeric, SampleString};
use tempfile::TempDir;

use crate::{TestkitError, install::ensure_synapse_installed};

/// A running (or stopped, restartable) Synapse on 127.0.0.1.
pub struct Homeserver {
    port: u16,
    dir: PathBuf,
    /// Deleted on drop when the kit created the directory itself.
    _temporary: Option<TempDir>,
    registration_secret: String,
    process: Option<Watched>,
    pub(crate) http: reqwest::Client,
}

impl fmt::Debug for Homeserver {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Homeserver")
            .field("port", &self.port)
            .field("dir", &self.dir)
            .field("running", &self.process.is_some())
            .finish_non_exhaustive()
    }
}

/// The Synapse process and the pipe that keeps it alive: the wrapper shell stops Synapse as
/// soon as that pipe closes, which happens when we drop it *or* when our process dies.
struct Watched {
    wrapper: Child,
    lifeline: Option<ChildStdin>,
}

const CONFIG_FILE: &str = "homeserver.yaml";
const SECRET_FILE: &str = "registration_secret";

impl Homeserver {
    /// A new server in a fresh temporary directory, removed on drop.
    pub async fn start() -> Result<Self, TestkitError> {
        let temporary = tempfile::Builder::new()
            .prefix("estafette-synapse-")
            .tempdir()?;
        let dir = temporary.path().to_owned();
        let mut server = Self::configure(&dir, Some(temporary))?;
        server.launch().await?;
        Ok(server)
    }

    /// A new server in `dir` (created if needed), kept after drop: to seed once and copy.
    pub async fn start_in(dir: &Path) -> Result<Self, TestkitError> {
        std::fs::create_dir_all(dir)?;
        let mut server = Self::configure(dir, None)?;
        server.launch().await?;
        Ok(server)
    }

    /// The server whose configuration and database are in `dir` (made by [`Self::start_in`]),
    /// on the port written there. The directory is kept after drop.
    pub async fn start_existing(dir: &Path) -> Result<Self, TestkitError> {
        let config = std::fs::read_to_string(dir.join(CONFIG_FILE))?;
        let port = config
            .lines()
            .find_map(|line| line.strip_prefix("server_name: \"127.0.0.1:"))
            .and_then(|rest| rest.trim_end_matches('"').parse().ok())
            .ok_or_else(|| TestkitError::Start(format!("no port in {}", dir.display())))?;
        let registration_secret = std::fs::read_to_string(dir.join(SECRET_FILE))?;
        let mut server = Self::new(
            port,
            dir.to_owned(),
            None,
            registration_secret.trim().to_owned(),
        );
        server.launch().await?;
        Ok(server)
    }

    fn new(
        port: u16,
        dir: PathBuf,
        temporary: Option<TempDir>,
        registration_secret: String,
    ) -> Self {
        Self {
            port,
            dir,
            _temporary: temporary,
            registration_secret,
            process: None,
            http: reqwest::Client::new(),
        }
    }

    fn configure(dir: &Path, temporary: Option<TempDir>) -> Result<Self, TestkitError> {
        let port = free_port()?;
        let secret = random_secret();
        std::fs::write(dir.join(CONFIG_FILE), config(dir, port, &secret))?;
        std::fs::write(dir.join("log.config"), log_config(dir))?;
        std::fs::write(dir.join(SECRET_FILE), &secret)?;
        Ok(Self::new(port, dir.to_owned(), temporary, secret))
    }

    async fn launch(&mut self) -> Result<(), TestkitError> {
        let python = tokio::task::spawn_blocking(ensure_synapse_installed)
            .await
            .map_err(|error| TestkitError::Install(error.to_string()))??;
        let stderr = std::fs::File::create(self.dir.join("stderr.log"))?;
        // The watchdog's `read` returns at end of input, i.e. when our end of the pipe closes,
        // whether we close it or the kernel does because this process died. (A background
        // job's stdin is /dev/null in sh, hence the pipe on descriptor 3.)
        let script = r#"
            exec 3<&0
            "$0" -m synapse.app.homeserver -c "$1" 3<&- &
            synapse=$!
            ( while read -r _ <&3; do :; done; kill -TERM "$synapse" 2>/dev/null ) &
            exec 3<&-
            wait "$synapse"
        "#;
        let mut wrapper = Command::new("sh")
            .arg("-c")
            .arg(script)
            .arg(&python)
            .arg(self.dir.join(CONFIG_FILE))
            .current_dir(&self.dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()?;
        let lifeline = wrapper.stdin.take();
        self.process = Some(Watched { wrapper, lifeline });
        self.wait_healthy().await
    }

    async fn wait_healthy(&mut self) -> Result<(), TestkitError> {
        let deadline = Instant::now() + Duration::from_secs(90);
        let url = format!("{}/health", self.base_url());
        loop {
            if let Ok(response) = self.http.get(&url).send().await
                && response.status().is_success()
            {
                return Ok(());
            }
            let exited = match self.process.as_mut() {
                Some(process) => process.wrapper.try_wait()?.is_some(),
                None => true,
            };
            if exited || Instant::now() > deadline {
                let log = self.log_tail(40);
                self.stop_now();
                let reason = if exited {
                    "Synapse exited"
                } else {
                    "no answer within 90 s"
                };
                return Err(TestkitError::Start(format!(
                    "{reason}; end of its log:\n{log}"
                )));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    fn log_tail(&self, lines: usize) -> String {
        let mut log = std::fs::read_to_string(self.dir.join("homeserver.log")).unwrap_or_default();
        log.push_str(&std::fs::read_to_string(self.dir.join("stderr.log")).unwrap_or_default());
        let all: Vec<&str> = log.lines().collect();
        all[all.len().saturating_sub(lines)..].join("\n")
    }

    /// `http://127.0.0.1:PORT`
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `127.0.0.1:PORT`: the server name in every user and room alias of this server.
    pub fn server_name(&self) -> String {
        format!("127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    pub fn data_dir(&self) -> &Path {
        &self.dir
    }

    pub fn user_id(&self, localpart: &str) -> String {
        format!("@{localpart}:{}", self.server_name())
    }

    pub(crate) fn registration_secret(&self) -> &str {
        &self.registration_secret
    }

    pub fn is_running(&self) -> bool {
        self.process.is_some()
    }

    /// Stops the server (SIGTERM, then SIGKILL after 10 s). Stopping a stopped server is fine.
    pub async fn stop(&mut self) -> Result<(), TestkitError> {
        let Some(mut process) = self.process.take() else {
            return Ok(());
        };
        drop(process.lifeline.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while process.wrapper.try_wait()?.is_none() {
            if Instant::now() > deadline {
                kill_synapse_of(&self.dir);
                process.wrapper.kill()?;
                process.wrapper.wait()?;
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Ok(())
    }

    /// Starts the server again on the same port and data, after [`Self::stop`].
    pub async fn restart(&mut self) -> Result<(), TestkitError> {
        self.stop().await?;
        self.launch().await
    }

    /// The synchronous stop used by `Drop` and failed starts.
    fn stop_now(&mut self) {
        let Some(mut process) = self.process.take() else {
            return;
        };
        drop(process.lifeline.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            match process.wrapper.try_wait() {
                Ok(Some(_)) | Err(_) => return,
                Ok(None) if Instant::now() > deadline => {
                    kill_synapse_of(&self.dir);
                    let _ = process.wrapper.kill();
                    let _ = process.wrapper.wait();
                    return;
                }
                Ok(None) => std::thread::sleep(Duration::from_millis(20)),
            }
        }
    }
}

impl Drop for Homeserver {
    fn drop(&mut self) {
        self.stop_now();
    }
}

/// Last resort for a Synapse that ignored SIGTERM: its pid file names it.
fn kill_synapse_of(dir: &Path) {
    if let Ok(pid) = std::fs::read_to_string(dir.join("homeserver.pid")) {
        let _ = Command::new("kill").args(["-KILL", pid.trim()]).status();
    }
}

fn free_port() -> Result<u16, TestkitError> {
    Ok(TcpListener::bind(("127.0.0.1", 0))?.local_addr()?.port())
}

fn random_secret() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 32)
}

/// Rate limits so high that no test meets them (the defaults refuse the 10th message).
const RATE_LIMITS: &[&str] = &[
    "rc_message",
    "rc_registration",
    "rc_registration_token_validity",
    "rc_joins_per_room",
    "rc_third_party_invite",
    "rc_key_requests",
    "rc_3pid_validation",
    "rc_media_create",
    "rc_delayed_event_mgmt",
    "rc_room_creation",
    "rc_reports",
    "rc_user_directory",
    "rc_profile",
    "rc_admin_redaction",
];

fn config(dir: &Path, port: u16, secret: &str) -> String {
    let unlimited = "{per_second: 10000, burst_count: 100000}";
    let mut yaml = format!(
        r#"# Written by estafette-testkit: a throw-away homeserver for tests, on loopback only.
server_name: "127.0.0.1:{port}"
public_baseurl: "http://127.0.0.1:{port}/"
pid_file: "{dir}/homeserver.pid"
listeners:
  - port: {port}
    bind_addresses: ['127.0.0.1']
    type: http
    tls: false
    x_forwarded: false
    resources:
      - names: [client]
        compress: false
database:
  name: sqlite3
  args:
    database: "{dir}/homeserver.db"
log_config: "{dir}/log.config"
media_store_path: "{dir}/media_store"
signing_key_path: "{dir}/signing.key"
registration_shared_secret: "{secret}"
macaroon_secret_key: "{macaroon}"
form_secret: "{form}"
enable_registration: false
bcrypt_rounds: 4
background_updates:
  sleep_enabled: false
report_stats: false
trusted_key_servers: []
suppress_key_server_warning: true
max_upload_size: 100M
url_preview_enabled: false
presence:
  enabled: true
experimental_features:
  msc3575_enabled: true
rc_login:
  address: {unlimited}
  account: {unlimited}
  failed_attempts: {unlimited}
rc_joins:
  local: {unlimited}
  remote: {unlimited}
rc_invites:
  per_room: {unlimited}
  per_user: {unlimited}
  per_issuer: {unlimited}
rc_presence:
  per_user: {unlimited}
"#,
        dir = dir.display(),
        macaroon = random_secret(),
        form = random_secret(),
    );
    for key in RATE_LIMITS {
        yaml.push_str(&format!("{key}: {unlimited}\n"));
    }
    yaml
}

fn log_config(dir: &Path) -> String {
    // To a file: an unread stderr pipe can stall the server.
    format!(
        r#"version: 1
formatters:
  precise:
    format: '%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(request)s - %(message)s'
handlers:
  file:
    class: logging.FileHandler
    formatter: precise
    filename: "{}/homeserver.log"
    encoding: utf8
loggers:
  synapse.storage.SQL:
    level: WARNING
root:
  level: WARNING
  handlers: [file]
disable_existing_loggers: false
"#,
        dir.display()
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_binds_loopback_only_and_lifts_rate_limits() {
        let yaml = config(Path::new("/tmp/x"), 4242, "s3cret");
        assert!(yaml.contains("bind_addresses: ['127.0.0.1']"));
        assert!(!yaml.contains("0.0.0.0"));
        assert!(yaml.contains("server_name: \"127.0.0.1:4242\""));
        assert!(yaml.contains("rc_message: {per_second: 10000"));
        assert!(yaml.contains("bcrypt_rounds: 4"));
    }

    #[test]
    fn free_ports_are_on_loopback() {
        assert!(free_port().expect("a free port") > 0);
    }
}
