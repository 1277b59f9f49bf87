//! The administrator's policy: what a deployment fixes for every installation on its
//! workstations, in a JSON file the user cannot change (see the README's example).
//!
//! - `default_homeserver`: the server used when the sign-in names none;
//! - `identity_servers`: where an email address typed at sign-in is looked up to find the
//!   agent's homeserver, tried in order ([`crate::identity_lookup`]);
//! - `allowed_homeservers`: the only servers anyone may sign in to (empty: any);
//! - `sso_only`: no password sign-in; only the state's portal (single sign-on).
//!
//! A file that exists but cannot be read or understood refuses every sign-in rather than
//! being ignored: an administrator's restriction must not vanish because of a typo. For the
//! same reason unknown keys are errors.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::auth::{AuthError, ServerAddress};

/// Where the policy file is read from, unless `ESTAFETTE_POLICY` names another.
pub fn system_location() -> PathBuf {
    if cfg!(windows) {
        std::env::var_os("ProgramData")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from(r"C:\ProgramData"))
            .join("Estafette")
            .join("policy.json")
    } else if cfg!(target_os = "macos") {
        PathBuf::from("/Library/Application Support/Estafette/policy.json")
    } else {
        PathBuf::from("/etc/estafette/policy.json")
    }
}

/// What the administrator fixed; the default fixes nothing.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct Policy {
    #[serde(default)]
    pub default_homeserver: Option<String>,
    #[serde(default)]
    pub identity_servers: Vec<String>,
    #[serde(default)]
    pub allowed_homeservers: Vec<String>,
    #[serde(default)]
    pub sso_only: bool,
    /// Why the file could not be used, when it could not: every sign-in is then refused.
    #[serde(skip_deserializing)]
    pub unreadable: Option<String>,
}

impl Policy {
    /// The policy of this machine: the file `ESTAFETTE_POLICY` names, else the system's.
    /// No file means no policy.
    pub fn load() -> Self {
        let path = std::env::var_os("ESTAFETTE_POLICY")
            .map(PathBuf::from)
            .unwrap_or_else(system_location);
        Self::load_from(&path)
    }

    pub fn load_from(path: &Path) -> Self {
        match std::fs::read_to_string(path) {
            Ok(text) => Self::parse(&text).unwrap_or_else(|reason| Self::unreadable(path, reason)),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Self::default(),
            Err(error) => Self::unreadable(path, error.to_string()),
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        let policy: Self = serde_json::from_str(text).map_err(|error| error.to_string())?;
        for server in policy
            .allowed_homeservers
            .iter()
            .chain(&policy.default_homeserver)
        {
            ServerAddress::parse(server).map_err(|error| error.to_string())?;
        }
        Ok(policy)
    }

    fn unreadable(path: &Path, reason: String) -> Self {
        tracing::error!(path = %path.display(), %reason, "the administrator's policy cannot be used");
        Self {
            unreadable: Some(format!("{}: {reason}", path.display())),
            ..Self::default()
        }
    }

    /// Refuses a server the policy does not allow, and everything when the policy is broken.
    pub fn check_server(&self, server: &ServerAddress) -> Result<(), AuthError> {
        if let Some(reason) = &self.unreadable {
            return Err(AuthError::PolicyUnreadable(reason.clone()));
        }
        if self.allowed_homeservers.is_empty() {
            return Ok(());
        }
        let wanted = server.host_and_port();
        let allowed = self.allowed_homeservers.iter().any(|entry| {
            ServerAddress::parse(entry).is_ok_and(|allowed| allowed.host_and_port() == wanted)
        });
        if allowed {
            Ok(())
        } else {
            Err(AuthError::ServerNotAllowed(server.host_and_port()))
        }
    }

    /// Whether the homeserver is fixed: the sign-in form then shows it without letting it
    /// be changed.
    pub fn fixes_homeserver(&self) -> bool {
        self.allowed_homeservers.len() == 1
    }

    /// The server a sign-in goes to when the person names none.
    pub fn default_server(&self) -> Option<&str> {
        self.default_homeserver.as_deref().or_else(|| {
            self.fixes_homeserver()
                .then(|| self.allowed_homeservers[0].as_str())
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Code;

    fn written(text: &str) -> (tempfile::TempDir, PathBuf) {
        let dir = tempfile::tempdir().expect("a folder");
        let path = dir.path().join("policy.json");
        std::fs::write(&path, text).expect("written");
        (dir, path)
    }

    #[test]
    fn no_file_fixes_nothing() {
        let policy = Policy::load_from(Path::new("/nonexistent/estafette/policy.json"));
        assert_eq!(policy, Policy::default());
        let anywhere = ServerAddress::parse("matrix.example.org").expect("valid");
        assert!(policy.check_server(&anywhere).is_ok());
    }

    #[test]
    fn only_the_allowed_servers_are_allowed_whatever_their_spelling() {
        let (_dir, path) = written(
            r#"{ "allowed_homeservers": ["agent.tchap.gouv.fr", "https://Matrix.Interieur.gouv.fr/"],
                 "identity_servers": ["https://matrix.agent.tchap.gouv.fr"] }"#,
        );
        let policy = Policy::load_from(&path);
        assert_eq!(policy.unreadable, None);
        for allowed in [
            "agent.tchap.gouv.fr",
            "AGENT.tchap.gouv.fr",
            "matrix.interieur.gouv.fr",
        ] {
            let server = ServerAddress::parse(allowed).expect("valid");
            assert!(policy.check_server(&server).is_ok(), "{allowed}");
        }
        for other in [
            "matrix.org",
            "agent.tchap.gouv.fr:8448",
            "https://tchap.gouv.fr.example.org",
        ] {
            let other = ServerAddress::parse(other).expect("valid");
            assert!(policy.check_server(&other).is_err());
        }
        let other = ServerAddress::parse("matrix.org").expect("valid");
        let refused = policy.check_server(&other).expect_err("not allowed");
        assert_eq!(refused.code(), Code::AuthServerNotAllowed);
        assert!(!policy.fixes_homeserver());
        assert_eq!(policy.default_server(), None);
    }

    #[test]
    fn one_allowed_server_is_the_default_and_cannot_be_changed() {
        let (_dir, path) = written(r#"{ "allowed_homeservers": ["agent.tchap.gouv.fr"] }"#);
        let policy = Policy::load_from(&path);
        assert!(policy.fixes_homeserver());
        assert_eq!(policy.default_server(), Some("agent.tchap.gouv.fr"));
    }

    #[test]
    fn a_broken_or_mistyped_file_refuses_every_sign_in() {
        for text in [
            "{ not json",
            r#"{ "allowed_homeserver": ["typo.example.org"] }"#,
            r#"{ "allowed_homeservers": ["not a server"] }"#,
            r#"{ "sso_only": "yes" }"#,
        ] {
            let (_dir, path) = written(text);
            let policy = Policy::load_from(&path);
            assert!(policy.unreadable.is_some(), "{text}");
            let server = ServerAddress::parse("agent.tchap.gouv.fr").expect("valid");
            let refused = policy.check_server(&server).expect_err("refused");
            assert_eq!(refused.code(), Code::AuthPolicyUnreadable, "{text}");
        }
    }
}
