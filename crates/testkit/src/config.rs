//! A kit server's data directory: what is fixed at creation (port, secrets) in
//! `estafette-testkit.json`, and the Synapse and logging configuration derived from it.
//!
//! The configuration is rewritten from the state at every start, with the directory's current
//! path, so a copied data directory runs from its own files and never from the original's.
//! Both files are JSON, which YAML (Synapse's format) reads as is, so no quoting can go wrong.

use std::{
    net::TcpListener,
    path::{Path, PathBuf},
};

use rand::distr::{Alphanumeric, SampleString};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::{SYNAPSE_VERSION, TestkitError};

pub(crate) const STATE_FILE: &str = "estafette-testkit.json";
pub(crate) const CONFIG_FILE: &str = "homeserver.yaml";
pub(crate) const LOG_CONFIG_FILE: &str = "log.config";
pub(crate) const LOG_FILE: &str = "homeserver.log";
pub(crate) const STDERR_FILE: &str = "stderr.log";
/// The key under which a running server names its launch in `/.well-known/matrix/client`.
pub(crate) const INSTANCE_KEY: &str = "org.estafette.testkit.instance";

/// Everything the kit creates in a data directory, for a clean retry on another port.
const CREATED: &[&str] = &[
    STATE_FILE,
    CONFIG_FILE,
    LOG_CONFIG_FILE,
    LOG_FILE,
    STDERR_FILE,
    "homeserver.db",
    "homeserver.db-journal",
    "homeserver.db-wal",
    "homeserver.db-shm",
    "signing.key",
    "media_store",
];

/// What stays fixed for the life of a data directory: the database has the port baked into
/// its server name.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct KitState {
    pub synapse_version: String,
    pub port: u16,
    pub registration_shared_secret: String,
    pub macaroon_secret_key: String,
    pub form_secret: String,
    /// Access tokens issued with a refresh token expire after this many seconds (Synapse's
    /// default: never), so that token refresh can be tested.
    #[serde(default)]
    pub access_token_lifetime_secs: Option<u64>,
    /// A TURN server whose credentials Synapse hands out (`turn_uris`, `turn_shared_secret`).
    #[serde(default)]
    pub turn: Option<TurnConfig>,
    /// Accounts expire (`account_validity`) and renewal emails go to an SMTP server on this
    /// port of 127.0.0.1.
    #[serde(default)]
    pub account_validity_smtp_port: Option<u16>,
    /// Single sign-on through the OpenID Connect provider of this issuer.
    #[serde(default)]
    pub oidc_issuer: Option<String>,
    /// New passwords must follow [`PASSWORD_POLICY`], published at `/password_policy`.
    #[serde(default)]
    pub password_policy: bool,
}

/// The rules of a server started with a password policy, as a ministry sets them.
pub const PASSWORD_POLICY: &str = r#"{"enabled": true, "minimum_length": 12, "require_digit": true, "require_symbol": true, "require_lowercase": true, "require_uppercase": true}"#;

/// Where the TURN server is, and the secret it shares with Synapse.
#[derive(Clone, Serialize, Deserialize)]
pub(crate) struct TurnConfig {
    pub uri: String,
    pub shared_secret: String,
}

impl KitState {
    pub fn new(port: u16) -> Self {
        Self {
            synapse_version: SYNAPSE_VERSION.to_owned(),
            port,
            registration_shared_secret: random_secret(),
            macaroon_secret_key: random_secret(),
            form_secret: random_secret(),
            access_token_lifetime_secs: None,
            turn: None,
            account_validity_smtp_port: None,
            oidc_issuer: None,
            password_policy: false,
        }
    }

    pub fn exists_in(dir: &Path) -> bool {
        dir.join(STATE_FILE).is_file()
    }

    pub fn load(dir: &Path) -> Result<Self, TestkitError> {
        let path = dir.join(STATE_FILE);
        if !path.is_file() {
            return Err(TestkitError::NotAKitServer(dir.to_owned()));
        }
        let text = std::fs::read_to_string(&path)
            .map_err(TestkitError::io(format!("reading {}", path.display())))?;
        serde_json::from_str(&text).map_err(|error| TestkitError::Protocol {
            what: format!("reading {}", path.display()),
            detail: error.to_string(),
        })
    }

    pub fn save(&self, dir: &Path) -> Result<(), TestkitError> {
        write_json(&dir.join(STATE_FILE), &json!(self))
    }

    /// Writes `homeserver.yaml` and `log.config` for this state in `dir`. `instance` names this
    /// launch: the server serves it back in `/.well-known/matrix/client` under
    /// [`INSTANCE_KEY`], so that the kit knows it reached its own process and not another
    /// server that took the port meanwhile.
    pub fn write_config(&self, dir: &Path, instance: &str) -> Result<(), TestkitError> {
        let mut config = synapse_config(self, dir);
        config["extra_well_known_client_content"] = json!({ INSTANCE_KEY: instance });
        write_json(&dir.join(CONFIG_FILE), &config)?;
        write_json(&dir.join(LOG_CONFIG_FILE), &log_config(dir))
    }
}

/// Removes what [`CREATED`] lists, leaving anything else in `dir` alone.
pub(crate) fn clear(dir: &Path) -> Result<(), TestkitError> {
    for name in CREATED {
        let path = dir.join(name);
        let result = if path.is_dir() {
            std::fs::remove_dir_all(&path)
        } else if path.exists() {
            std::fs::remove_file(&path)
        } else {
            Ok(())
        };
        result.map_err(TestkitError::io(format!("removing {}", path.display())))?;
    }
    Ok(())
}

fn write_json(path: &Path, value: &Value) -> Result<(), TestkitError> {
    let text = serde_json::to_string_pretty(value).map_err(|error| TestkitError::Protocol {
        what: format!("encoding {}", path.display()),
        detail: error.to_string(),
    })?;
    std::fs::write(path, text).map_err(TestkitError::io(format!("writing {}", path.display())))
}

pub(crate) fn random_secret() -> String {
    Alphanumeric.sample_string(&mut rand::rng(), 32)
}

/// A port nobody listens on now. Another process may take it before Synapse binds it; the
/// server start retries on another port when that happens.
pub(crate) fn free_port() -> Result<u16, TestkitError> {
    let listener = TcpListener::bind(("127.0.0.1", 0))
        .map_err(TestkitError::io("binding a free port on 127.0.0.1"))?;
    let address = listener
        .local_addr()
        .map_err(TestkitError::io("reading the free port"))?;
    Ok(address.port())
}

/// Rate-limit settings nobody meets in a test (the defaults refuse the 10th message).
fn unlimited() -> Value {
    json!({ "per_second": 10000, "burst_count": 100000 })
}

fn path_string(path: PathBuf) -> String {
    path.to_string_lossy().into_owned()
}

fn synapse_config(state: &KitState, dir: &Path) -> Value {
    let mut config = synapse_base_config(state, dir);
    if let (Some(lifetime), Some(map)) = (state.access_token_lifetime_secs, config.as_object_mut())
    {
        map.insert(
            "refreshable_access_token_lifetime".to_owned(),
            json!(format!("{lifetime}s")),
        );
    }
    if let (Some(turn), Some(map)) = (&state.turn, config.as_object_mut()) {
        map.insert("turn_uris".to_owned(), json!([turn.uri]));
        map.insert("turn_shared_secret".to_owned(), json!(turn.shared_secret));
        map.insert("turn_user_lifetime".to_owned(), json!("1h"));
    }
    if state.password_policy {
        let policy: Value = serde_json::from_str(PASSWORD_POLICY).unwrap_or_default();
        config["password_config"] = json!({ "enabled": true, "policy": policy });
    }
    if let (Some(issuer), Some(map)) = (&state.oidc_issuer, config.as_object_mut())
        && let Some(sso) = crate::oidc::synapse_sso_config(issuer).as_object()
    {
        map.extend(sso.clone());
    }
    if let (Some(smtp_port), Some(map)) = (state.account_validity_smtp_port, config.as_object_mut())
    {
        map.insert(
            "account_validity".to_owned(),
            json!({ "enabled": true, "period": "6w", "renew_at": "1w" }),
        );
        map.insert(
            "email".to_owned(),
            json!({
                "smtp_host": "127.0.0.1",
                "smtp_port": smtp_port,
                "notif_from": "Estafette test <noreply@estafette.test>",
                "require_transport_security": false,
                "enable_tls": false,
            }),
        );
    }
    config
}

fn synapse_base_config(state: &KitState, dir: &Path) -> Value {
    let port = state.port;
    let mut config = json!({
        // The port in the server name makes /.well-known discovery point at this very server.
        "server_name": format!("127.0.0.1:{port}"),
        // Synapse serves /.well-known/matrix/client only when this is set.
        "public_baseurl": format!("http://127.0.0.1:{port}/"),
        "listeners": [{
            "port": port,
            "bind_addresses": ["127.0.0.1"],
            "type": "http",
            "tls": false,
            "x_forwarded": false,
            "resources": [{ "names": ["client"], "compress": false }],
        }],
        "database": {
            "name": "sqlite3",
            "args": { "database": path_string(dir.join("homeserver.db")) },
        },
        // To a file: an unread stderr pipe can stall the server.
        "log_config": path_string(dir.join(LOG_CONFIG_FILE)),
        "media_store_path": path_string(dir.join("media_store")),
        "signing_key_path": path_string(dir.join("signing.key")),
        "registration_shared_secret": state.registration_shared_secret,
        "macaroon_secret_key": state.macaroon_secret_key,
        "form_secret": state.form_secret,
        "enable_registration": false,
        // The default 12 rounds cost ~0.25 s per registration or login; 4 cost ~15 ms.
        "bcrypt_rounds": 4,
        // A fresh database then finishes its sliding-sync jobs in ~1 s instead of ~60 s.
        "background_updates": { "sleep_enabled": false },
        "report_stats": false,
        "trusted_key_servers": [],
        "suppress_key_server_warning": true,
        // Above it Synapse resets the connection instead of answering 413.
        "max_upload_size": "100M",
        "url_preview_enabled": false,
        "presence": { "enabled": true },
        // As a state deployment: colleagues are found by name across the whole server, not
        // only among people who already share a room.
        "user_directory": { "enabled": true, "search_all_users": true, "prefer_local_users": true },
        // Anyone may list a room in the public directory (Synapse leaves it to admins since
        // 1.118): the tests publish rooms as ordinary users.
        "room_list_publication_rules": [{ "action": "allow" }],
        "experimental_features": { "msc3575_enabled": true },
        "rc_login": {
            "address": unlimited(),
            "account": unlimited(),
            "failed_attempts": unlimited(),
        },
        "rc_joins": { "local": unlimited(), "remote": unlimited() },
        "rc_invites": {
            "per_room": unlimited(),
            "per_user": unlimited(),
            "per_issuer": unlimited(),
        },
        "rc_presence": { "per_user": unlimited() },
    });
    for key in [
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
    ] {
        config[key] = unlimited();
    }
    config
}

fn log_config(dir: &Path) -> Value {
    json!({
        "version": 1,
        "formatters": {
            "precise": {
                "format": "%(asctime)s - %(name)s - %(lineno)d - %(levelname)s - %(message)s",
            },
        },
        "handlers": {
            "file": {
                // Bounded, so the long-lived demo server does not fill the disk.
                "class": "logging.handlers.RotatingFileHandler",
                "formatter": "precise",
                "filename": path_string(dir.join(LOG_FILE)),
                "maxBytes": 20_000_000,
                "backupCount": 1,
                "encoding": "utf8",
            },
        },
        "loggers": { "synapse.storage.SQL": { "level": "WARNING" } },
        "root": { "level": "INFO", "handlers": ["file"] },
        "disable_existing_loggers": false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_config_binds_loopback_only_with_tuned_settings() {
        let state = KitState::new(4242);
        let config = synapse_config(&state, Path::new("/data/hs"));
        assert_eq!(config["server_name"], "127.0.0.1:4242");
        assert_eq!(config["public_baseurl"], "http://127.0.0.1:4242/");
        assert_eq!(
            config["listeners"][0]["bind_addresses"],
            json!(["127.0.0.1"])
        );
        assert_eq!(
            config["listeners"][0]["resources"][0]["names"],
            json!(["client"])
        );
        assert_eq!(config["database"]["name"], "sqlite3");
        assert_eq!(
            config["database"]["args"]["database"],
            "/data/hs/homeserver.db"
        );
        assert_eq!(config["bcrypt_rounds"], 4);
        assert_eq!(config["background_updates"]["sleep_enabled"], false);
        assert_eq!(config["presence"]["enabled"], true);
        assert_eq!(
            config["registration_shared_secret"],
            state.registration_shared_secret.as_str()
        );
        assert!(!config.to_string().contains("0.0.0.0"));
    }

    #[test]
    fn every_rate_limit_is_lifted() {
        let config = synapse_config(&KitState::new(1), Path::new("/x"));
        let Some(map) = config.as_object() else {
            panic!("the config is an object")
        };
        let limits: Vec<&Value> = map
            .iter()
            .filter(|(key, _)| key.starts_with("rc_"))
            .flat_map(|(_, value)| match value.get("per_second") {
                Some(_) => vec![value],
                None => value
                    .as_object()
                    .map(|inner| inner.values().collect())
                    .unwrap_or_default(),
            })
            .collect();
        assert_eq!(limits.len(), 14 + 3 + 2 + 3 + 1);
        assert!(limits.iter().all(|limit| limit["per_second"] == 10000));
    }

    #[test]
    fn state_round_trips_and_config_follows_the_directory() {
        let dir = tempfile::tempdir().expect("temporary directory");
        assert!(!KitState::exists_in(dir.path()));
        assert!(matches!(
            KitState::load(dir.path()),
            Err(TestkitError::NotAKitServer(_))
        ));
        let state = KitState::new(4321);
        state.save(dir.path()).expect("saved");
        state.write_config(dir.path(), "launch-1").expect("written");
        let loaded = KitState::load(dir.path()).expect("loaded");
        assert_eq!(loaded.port, 4321);
        assert_eq!(
            loaded.registration_shared_secret,
            state.registration_shared_secret
        );
        let text = std::fs::read_to_string(dir.path().join(CONFIG_FILE)).expect("config");
        let config: Value = serde_json::from_str(&text).expect("JSON, hence YAML");
        let database = config["database"]["args"]["database"]
            .as_str()
            .unwrap_or_default();
        assert!(Path::new(database).starts_with(dir.path()));
        assert_eq!(
            config["extra_well_known_client_content"][INSTANCE_KEY],
            "launch-1"
        );
    }

    #[test]
    fn clear_removes_only_what_the_kit_created() {
        let dir = tempfile::tempdir().expect("temporary directory");
        KitState::new(1).save(dir.path()).expect("saved");
        std::fs::create_dir(dir.path().join("media_store")).expect("media");
        std::fs::write(dir.path().join("notes.txt"), "mine").expect("user file");
        clear(dir.path()).expect("cleared");
        assert!(!KitState::exists_in(dir.path()));
        assert!(!dir.path().join("media_store").exists());
        assert!(dir.path().join("notes.txt").exists());
    }

    #[test]
    fn free_ports_are_usable_on_loopback() {
        let port = free_port().expect("a free port");
        assert!(TcpListener::bind(("127.0.0.1", port)).is_ok());
    }
}
