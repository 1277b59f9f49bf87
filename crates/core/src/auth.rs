//! Finding a user's homeserver, learning what it supports, and password sign-in.
//!
//! Sign-in itself (creating the account's store and keychain entries) is orchestrated by
//! [`crate::AccountManager::sign_in`]; this module owns the protocol side and the precise,
//! typed reasons a sign-in can fail.

use crate::Code;
use std::{error::Error as StdError, fmt, time::Duration};

use matrix_sdk::ruma::api::client::uiaa::{
    EmailUserIdentifier, MatrixUserIdentifier, UserIdentifier,
};
use matrix_sdk::{
    Client, ClientBuildError, HttpError, RumaApiError,
    ruma::{
        OwnedUserId, UserId,
        api::{
            FeatureFlag,
            client::session::get_login_types::v3::{IdentityProvider, LoginType},
            error::{ErrorKind, FromHttpResponseError, RetryAfter},
        },
    },
    sanitize_server_name,
};
use serde::Serialize;
use tracing::{debug, instrument};

use crate::{identity_lookup, policy::Policy};

/// Why signing in (or probing a server) failed. Each variant has a stable [`AuthError::code`].
#[derive(Debug, thiserror::Error)]
pub enum AuthError {
    #[error("this is not a Matrix ID, server name or address: {0}")]
    InvalidInput(String),
    #[error("a homeserver is needed when the username has no server part")]
    HomeserverRequired,
    /// Plain `http://` to another machine: the password and the session would travel in clear.
    #[error(
        "the server {0} must be reached over HTTPS; plain http:// would send your password in clear"
    )]
    InsecureServer(String),
    #[error("no server named {0} could be found")]
    UnknownServer(String),
    #[error("the server {0} cannot be reached")]
    ServerUnreachable(String),
    #[error("{0} is not a Matrix server")]
    NotAMatrixServer(String),
    #[error("the server does not offer Simplified Sliding Sync, which Estafette needs")]
    NoSlidingSync,
    #[error("the server does not allow signing in with a password")]
    PasswordLoginUnsupported,
    #[error("wrong username or password")]
    WrongCredentials,
    #[error("too many attempts; retry in {} s", .retry_after.map_or(0, |delay| delay.as_secs()))]
    RateLimited { retry_after: Option<Duration> },
    #[error("this account has been deactivated")]
    AccountDeactivated,
    #[error("the session has expired or was signed out elsewhere")]
    SessionExpired,
    #[error("the server refused the request: {0}")]
    Server(String),
    #[error("the local store could not be opened: {0}")]
    Store(String),
    #[error("no account uses this email address")]
    EmailNotFound,
    #[error("the directory that finds an email address's server cannot be reached")]
    EmailLookupFailed,
    #[error("your administrator does not allow signing in to {0}")]
    ServerNotAllowed(String),
    #[error("the administrator's policy file cannot be used ({0}); signing in is blocked")]
    PolicyUnreadable(String),
    #[error("your administrator allows signing in only through single sign-on")]
    PasswordSignInDisabled,
    #[error("the renewal email could not be sent")]
    RenewalEmailFailed,
    #[error("the server does not offer single sign-on")]
    SsoUnsupported,
    #[error("single sign-on was not completed in time")]
    SsoTimedOut,
    /// The login token the browser brought back was refused (spent, expired, forged).
    #[error("the server refused the single sign-on; sign in again")]
    SsoRefused,
    #[error("the browser could not be opened: {0}")]
    BrowserFailed(String),
    #[error("signing in was cancelled")]
    SignInCancelled,
}

impl AuthError {
    pub fn code(&self) -> Code {
        match self {
            Self::InvalidInput(_) => Code::AuthInvalidInput,
            Self::HomeserverRequired => Code::AuthHomeserverRequired,
            Self::InsecureServer(_) => Code::AuthInsecureServer,
            Self::UnknownServer(_) => Code::AuthUnknownServer,
            Self::ServerUnreachable(_) => Code::AuthServerUnreachable,
            Self::NotAMatrixServer(_) => Code::AuthNotAMatrixServer,
            Self::NoSlidingSync => Code::AuthNoSlidingSync,
            Self::PasswordLoginUnsupported => Code::AuthPasswordLoginUnsupported,
            Self::WrongCredentials => Code::AuthWrongCredentials,
            Self::RateLimited { .. } => Code::AuthRateLimited,
            Self::AccountDeactivated => Code::AuthAccountDeactivated,
            Self::SessionExpired => Code::AuthSessionExpired,
            Self::Server(_) => Code::AuthServerError,
            Self::Store(_) => Code::AuthStoreFailed,
            Self::EmailNotFound => Code::AuthEmailNotFound,
            Self::EmailLookupFailed => Code::AuthEmailLookupFailed,
            Self::ServerNotAllowed(_) => Code::AuthServerNotAllowed,
            Self::PolicyUnreadable(_) => Code::AuthPolicyUnreadable,
            Self::PasswordSignInDisabled => Code::AuthPasswordSignInDisabled,
            Self::RenewalEmailFailed => Code::AuthRenewalEmailFailed,
            Self::SsoUnsupported => Code::AuthSsoUnsupported,
            Self::SsoTimedOut => Code::AuthSsoTimedOut,
            Self::SsoRefused => Code::AuthSsoRefused,
            Self::BrowserFailed(_) => Code::AuthBrowserFailed,
            Self::SignInCancelled => Code::AuthSignInCancelled,
        }
    }

    /// Classifies a transport or server failure met while talking to `server`.
    pub(crate) fn from_http(error: &HttpError, server: &str) -> Self {
        match error {
            HttpError::Reqwest(inner) => Self::from_transport(inner, server),
            HttpError::Cached(inner) => Self::from_http(inner, server),
            HttpError::Api(response) => match response.as_ref() {
                FromHttpResponseError::Server(RumaApiError::MatrixError(api)) => {
                    Self::from_client_api(api, server)
                }
                FromHttpResponseError::Server(RumaApiError::AuthResponse(_)) => {
                    Self::Server("interactive authentication is required".to_owned())
                }
                FromHttpResponseError::Deserialization(_) => {
                    Self::NotAMatrixServer(server.to_owned())
                }
                other => Self::Server(other.to_string()),
            },
            other => Self::Server(other.to_string()),
        }
    }

    fn from_transport(error: &matrix_sdk::reqwest::Error, server: &str) -> Self {
        // reqwest does not expose resolution failures as a kind; the message of its source
        // chain is the only place that says the name does not exist.
        let mut source: Option<&dyn StdError> = Some(error);
        while let Some(current) = source {
            let text = current.to_string().to_lowercase();
            if text.contains("dns error") || text.contains("failed to lookup address") {
                return Self::UnknownServer(server.to_owned());
            }
            source = current.source();
        }
        if is_connection_failure(error) {
            Self::ServerUnreachable(server.to_owned())
        } else {
            Self::NotAMatrixServer(server.to_owned())
        }
    }

    fn from_client_api(error: &matrix_sdk::ruma::api::error::Error, server: &str) -> Self {
        match error.error_kind() {
            Some(ErrorKind::Forbidden) | Some(ErrorKind::InvalidUsername) => Self::WrongCredentials,
            Some(ErrorKind::UserDeactivated) => Self::AccountDeactivated,
            Some(ErrorKind::LimitExceeded(data)) => Self::RateLimited {
                retry_after: match data.retry_after {
                    Some(RetryAfter::Delay(delay)) => Some(delay),
                    Some(RetryAfter::DateTime(when)) => {
                        when.duration_since(std::time::SystemTime::now()).ok()
                    }
                    None => None,
                },
            },
            Some(ErrorKind::UnknownToken(_)) => Self::SessionExpired,
            None | Some(ErrorKind::Unrecognized) | Some(ErrorKind::NotFound)
                if error.status_code.as_u16() == 404 =>
            {
                // A web server without the Matrix API answers 404 to every endpoint.
                Self::NotAMatrixServer(server.to_owned())
            }
            _ => Self::Server(error.to_string()),
        }
    }

    pub(crate) fn from_sdk(error: &matrix_sdk::Error, server: &str) -> Self {
        match error {
            matrix_sdk::Error::Http(http) => Self::from_http(http, server),
            other => Self::Server(other.to_string()),
        }
    }

    pub(crate) fn from_client_build(error: &ClientBuildError, server: &str) -> Self {
        match error {
            ClientBuildError::InvalidServerName | ClientBuildError::Url(_) => {
                Self::InvalidInput(server.to_owned())
            }
            ClientBuildError::AutoDiscovery(response) => match response {
                FromHttpResponseError::Server(RumaApiError::MatrixError(api)) => {
                    Self::from_client_api(api, server)
                }
                _ => Self::NotAMatrixServer(server.to_owned()),
            },
            ClientBuildError::Http(http) => Self::from_http(http, server),
            ClientBuildError::SlidingSyncVersion(_) => Self::NoSlidingSync,
            ClientBuildError::SqliteStore(store) => Self::Store(store.to_string()),
            other => Self::Server(other.to_string()),
        }
    }
}

/// Whether a request failed for want of a connection (server down, network lost), rather than
/// being answered with an error: the one meaning of "offline" for every domain's errors.
pub(crate) fn is_network_failure(error: &matrix_sdk::Error) -> bool {
    matches!(error, matrix_sdk::Error::Http(http) if is_http_network_failure(http))
}

/// [`is_network_failure`] for the SDK's calls that fail with an [`HttpError`].
pub(crate) fn is_http_network_failure(error: &HttpError) -> bool {
    match error {
        HttpError::Reqwest(inner) => is_connection_failure(inner),
        HttpError::Cached(inner) => is_http_network_failure(inner),
        _ => false,
    }
}

/// No answer at all: refused, timed out, or the request could not be sent.
pub(crate) fn is_connection_failure(error: &matrix_sdk::reqwest::Error) -> bool {
    error.is_connect() || error.is_timeout() || error.is_request()
}

/// Where to find the homeserver, as typed by a person: a Matrix ID's server part, a server
/// name (`example.org`, `127.0.0.1:8008`) or an address (`https://matrix.example.org`).
#[derive(Clone, PartialEq, Eq)]
pub struct ServerAddress {
    /// What matrix-sdk's discovery gets: a server name, or a URL with its scheme.
    discovery_input: String,
    /// What people are shown in errors.
    display: String,
}

impl fmt::Debug for ServerAddress {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.display)
    }
}

impl ServerAddress {
    pub fn parse(input: &str) -> Result<Self, AuthError> {
        let trimmed = input.trim().trim_end_matches('/');
        if trimmed.is_empty() {
            return Err(AuthError::InvalidInput(input.to_owned()));
        }
        if trimmed.starts_with("http://") || trimmed.starts_with("https://") {
            let url =
                url::Url::parse(trimmed).map_err(|_| AuthError::InvalidInput(input.to_owned()))?;
            let display = url.host_str().unwrap_or(trimmed).to_owned();
            if sends_in_clear(&url) {
                return Err(AuthError::InsecureServer(display));
            }
            return Ok(Self {
                discovery_input: trimmed.to_owned(),
                display,
            });
        }
        let name =
            sanitize_server_name(trimmed).map_err(|_| AuthError::InvalidInput(input.to_owned()))?;
        // Plain HTTP only for this machine's own servers (tests, the demo); everything else
        // must speak HTTPS.
        let discovery_input = if is_loopback_host(name.host()) {
            format!("http://{name}")
        } else {
            name.to_string()
        };
        Ok(Self {
            discovery_input,
            display: name.to_string(),
        })
    }

    /// The server part of a full Matrix ID.
    pub fn from_user_id(user_id: &UserId) -> Result<Self, AuthError> {
        Self::parse(user_id.server_name().as_str())
    }

    pub(crate) fn discovery_input(&self) -> &str {
        &self.discovery_input
    }

    pub fn display(&self) -> &str {
        &self.display
    }

    /// Host and port as a policy compares them: `matrix.example.org`, `127.0.0.1:8008`,
    /// whether the server was named or given as an address.
    pub(crate) fn host_and_port(&self) -> String {
        let input = &self.discovery_input;
        let without_scheme = input
            .strip_prefix("https://")
            .or_else(|| input.strip_prefix("http://"))
            .unwrap_or(input);
        without_scheme
            .split('/')
            .next()
            .unwrap_or(without_scheme)
            .to_ascii_lowercase()
    }
}

/// Plain HTTP to anything but this machine (tests and the demo run their server here).
pub(crate) fn sends_in_clear(url: &url::Url) -> bool {
    url.scheme() != "https" && !url.host_str().is_some_and(is_loopback_host)
}

fn is_loopback_host(host: &str) -> bool {
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host == "localhost"
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|address| address.is_loopback())
}

/// What a person typed in the username field: `alice`, `@alice:example.org`, or an email
/// address (`alice@interieur.gouv.fr`), which the state's servers sign in with.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Username {
    Localpart(String),
    Full(OwnedUserId),
    Email(String),
}

impl Username {
    pub fn parse(input: &str) -> Result<Self, AuthError> {
        let trimmed = input.trim();
        if trimmed.starts_with('@') {
            UserId::parse(trimmed)
                .map(Self::Full)
                .map_err(|_| AuthError::InvalidInput(input.to_owned()))
        } else if trimmed.is_empty() || trimmed.contains(':') {
            Err(AuthError::InvalidInput(input.to_owned()))
        } else if let Some((local, domain)) = trimmed.split_once('@') {
            // A Matrix localpart never holds an `@`: this can only be an email address.
            let valid = !local.is_empty()
                && domain.contains('.')
                && !domain.contains('@')
                && !trimmed.chars().any(char::is_whitespace);
            if valid {
                Ok(Self::Email(trimmed.to_owned()))
            } else {
                Err(AuthError::InvalidInput(input.to_owned()))
            }
        } else {
            Ok(Self::Localpart(trimmed.to_owned()))
        }
    }

    pub(crate) fn login_id(&self) -> &str {
        match self {
            Self::Localpart(localpart) => localpart,
            Self::Full(user_id) => user_id.as_str(),
            Self::Email(address) => address,
        }
    }

    /// How the login request names the user: by Matrix ID or localpart, or by email as a
    /// third-party identifier.
    pub(crate) fn identifier(&self) -> UserIdentifier {
        match self {
            Self::Email(address) => {
                UserIdentifier::Email(EmailUserIdentifier::new(address.clone()))
            }
            other => UserIdentifier::Matrix(MatrixUserIdentifier::new(other.login_id().to_owned())),
        }
    }
}

/// The homeserver to use for a sign-in, and whether the administrator's policy allows it:
/// - an email address goes to the server the policy's identity servers name for it, unless
///   the person named another server than the policy's default;
/// - otherwise the server named, else the Matrix ID's, else the policy's default.
pub async fn server_for(
    homeserver: Option<&str>,
    username: &Username,
    policy: &Policy,
) -> Result<ServerAddress, AuthError> {
    if let Some(reason) = &policy.unreadable {
        return Err(AuthError::PolicyUnreadable(reason.clone()));
    }
    let named = homeserver.map(str::trim).filter(|text| !text.is_empty());
    let server = match (named, username) {
        (named, Username::Email(address))
            if !policy.identity_servers.is_empty()
                && (named.is_none() || named == policy.default_server()) =>
        {
            identity_lookup::homeserver_of(&policy.identity_servers, address).await?
        }
        (Some(server), _) => ServerAddress::parse(server)?,
        (None, Username::Full(user_id)) => ServerAddress::from_user_id(user_id)?,
        (None, _) => match policy.default_server() {
            Some(server) => ServerAddress::parse(server)?,
            None => return Err(AuthError::HomeserverRequired),
        },
    };
    policy.check_server(&server)?;
    Ok(server)
}

/// What a homeserver offers, so that a sign-in form asks only for what is needed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct ServerInfo {
    /// The client-server API base URL found by discovery.
    pub homeserver_url: String,
    pub supports_password: bool,
    /// Legacy SSO (`m.login.sso`), e.g. a state identity provider.
    pub supports_sso: bool,
    /// The identity providers the server names for single sign-on, in its order; empty when
    /// it offers single sign-on without naming them (its own page then asks).
    pub sso_providers: Vec<SsoProvider>,
    /// Next-generation auth (OAuth 2.0 / OIDC, MSC3861).
    pub supports_oauth: bool,
    /// Simplified Sliding Sync (MSC4186), which Estafette's sync needs.
    pub supports_sliding_sync: bool,
}

/// An identity provider offered for single sign-on ("ProConnect", "AgentConnect").
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct SsoProvider {
    pub id: String,
    pub name: String,
}

/// The identity providers a server names, as buttons show them: ten at most, each once,
/// never nameless, names cut at 60 characters.
fn shown_providers(providers: &[IdentityProvider]) -> Vec<SsoProvider> {
    let mut shown: Vec<SsoProvider> = Vec::new();
    for provider in providers {
        if shown.len() == 10 {
            break;
        }
        if shown.iter().any(|seen| seen.id == provider.id) {
            continue;
        }
        let name: String = provider.name.trim().chars().take(60).collect();
        shown.push(SsoProvider {
            id: provider.id.clone(),
            name: if name.is_empty() {
                provider.id.clone()
            } else {
                name
            },
        });
    }
    shown
}

/// Discovers the homeserver behind `server` and asks what it supports.
#[instrument(skip_all, fields(server = server.display()))]
pub async fn probe(server: &ServerAddress) -> Result<ServerInfo, AuthError> {
    server_info(&discover(server).await?, server).await
}

/// A client without store or session for the homeserver behind `server`, to ask it things
/// before signing in. Refused when discovery leads to plain HTTP to another machine.
pub(crate) async fn discover(server: &ServerAddress) -> Result<Client, AuthError> {
    let client = Client::builder()
        .server_name_or_homeserver_url(server.discovery_input())
        .build()
        .await
        .map_err(|error| AuthError::from_client_build(&error, server.display()))?;
    if sends_in_clear(&client.homeserver()) {
        return Err(AuthError::InsecureServer(server.display().to_owned()));
    }
    Ok(client)
}

pub(crate) async fn server_info(
    client: &Client,
    server: &ServerAddress,
) -> Result<ServerInfo, AuthError> {
    let login_types = client
        .matrix_auth()
        .get_login_types()
        .await
        .map_err(|error| AuthError::from_http(&error, server.display()))?;
    let (mut supports_password, mut supports_sso) = (false, false);
    let mut sso_providers = Vec::new();
    for flow in &login_types.flows {
        match flow {
            LoginType::Password(_) => supports_password = true,
            LoginType::Sso(sso) => {
                supports_sso = true;
                sso_providers = shown_providers(&sso.identity_providers);
            }
            _ => {}
        }
    }
    let supports_sliding_sync = client
        .supported_versions()
        .await
        .map(|versions| versions.features.contains(&FeatureFlag::Msc4186))
        .unwrap_or(false);
    let supports_oauth = client.oauth().server_metadata().await.is_ok();
    debug!(
        supports_password,
        supports_sso, supports_oauth, supports_sliding_sync, "probed"
    );
    Ok(ServerInfo {
        homeserver_url: client.homeserver().to_string(),
        supports_password,
        supports_sso,
        sso_providers,
        supports_oauth,
        supports_sliding_sync,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_servers_are_reached_over_plain_http_and_others_over_https() {
        let local = ServerAddress::parse("127.0.0.1:8448").expect("valid");
        assert_eq!(local.discovery_input(), "http://127.0.0.1:8448");
        let remote = ServerAddress::parse(" tchap.gouv.fr/ ").expect("valid");
        assert_eq!(remote.discovery_input(), "tchap.gouv.fr");
        let url = ServerAddress::parse("https://matrix.example.org/").expect("valid");
        assert_eq!(url.discovery_input(), "https://matrix.example.org");
        assert!(matches!(
            ServerAddress::parse("not a server"),
            Err(AuthError::InvalidInput(_))
        ));
    }

    #[test]
    fn plain_http_is_refused_except_to_this_machine() {
        for local in [
            "http://127.0.0.1:8008",
            "http://localhost:8008",
            "http://[::1]:8008",
        ] {
            assert!(ServerAddress::parse(local).is_ok(), "{local}");
        }
        let refused = ServerAddress::parse("http://matrix.example.org").expect_err("in clear");
        assert!(
            matches!(&refused, AuthError::InsecureServer(host) if host == "matrix.example.org")
        );
        assert_eq!(refused.code(), Code::AuthInsecureServer);
        // Not fooled by a loopback-looking name or a user part.
        for disguised in [
            "http://127.0.0.1.example.org",
            "http://localhost.example.org",
            "http://127.0.0.1@example.org",
        ] {
            assert!(
                matches!(
                    ServerAddress::parse(disguised),
                    Err(AuthError::InsecureServer(_))
                ),
                "{disguised}"
            );
        }
        // What discovery finds is held to the same rule.
        let discovered = |url: &str| sends_in_clear(&url::Url::parse(url).expect("a URL"));
        assert!(discovered("http://matrix.example.org/"));
        assert!(!discovered("https://matrix.example.org/"));
        assert!(!discovered("http://127.0.0.1:8008/"));
    }

    #[test]
    fn a_servers_providers_are_shown_once_each_with_a_name_and_at_most_ten() {
        let provider = |id: &str, name: &str| IdentityProvider::new(id.to_owned(), name.to_owned());
        let mut listed = vec![
            provider("oidc-portal", "  Portail de l'État  "),
            provider("oidc-portal", "the same again"),
            provider("oidc-blank", "   "),
        ];
        listed.extend((0..2000).map(|n| provider(&format!("oidc-{n}"), &"x".repeat(500))));
        let shown = shown_providers(&listed);
        assert_eq!(shown.len(), 10);
        assert_eq!(shown[0].name, "Portail de l'État");
        assert_eq!(shown[1].name, "oidc-blank");
        assert!(
            shown
                .iter()
                .all(|provider| provider.name.chars().count() <= 60)
        );
    }

    #[test]
    fn usernames_are_localparts_or_full_ids() {
        assert_eq!(
            Username::parse(" alice ").expect("ok"),
            Username::Localpart("alice".into())
        );
        let full = Username::parse("@alice:example.org").expect("ok");
        assert_eq!(full.login_id(), "@alice:example.org");
        assert!(Username::parse("@alice").is_err());
        assert!(Username::parse("").is_err());
    }

    #[test]
    fn an_address_with_an_at_sign_is_an_email() {
        assert_eq!(
            Username::parse(" jean.dupont@interieur.gouv.fr ").expect("ok"),
            Username::Email("jean.dupont@interieur.gouv.fr".into())
        );
        for bad in [
            "jean@",
            "@",
            "jean@localhost",
            "jean@a@b.fr",
            "jean dupont@b.fr",
        ] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
    }

    #[tokio::test]
    async fn the_server_comes_from_the_id_or_the_policy_when_none_is_given() {
        let none = Policy::default();
        let full = Username::parse("@alice:127.0.0.1:9000").expect("ok");
        let server = server_for(None, &full, &none)
            .await
            .expect("server from id");
        assert_eq!(server.discovery_input(), "http://127.0.0.1:9000");
        let bare = Username::parse("alice").expect("ok");
        assert!(matches!(
            server_for(Some("  "), &bare, &none).await,
            Err(AuthError::HomeserverRequired)
        ));
        let email = Username::parse("alice@interieur.gouv.fr").expect("ok");
        assert!(matches!(
            server_for(None, &email, &none).await,
            Err(AuthError::HomeserverRequired)
        ));
        let ministry = Policy {
            default_homeserver: Some("127.0.0.1:9001".into()),
            ..Policy::default()
        };
        let server = server_for(None, &bare, &ministry)
            .await
            .expect("the default");
        assert_eq!(server.display(), "127.0.0.1:9001");
    }
}
