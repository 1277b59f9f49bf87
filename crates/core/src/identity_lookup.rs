//! Finding an agent's homeserver from their email address, as the state's deployments do:
//! `GET /_matrix/identity/api/v1/info?medium=email&address=…` on the deployment's identity
//! servers (from the administrator's policy), which answer `{"hs": "<server name>"}`.
//!
//! The servers are tried in order: one that cannot be reached or answers badly passes the
//! question to the next; one that answers without a server means the address is unknown.
//! Email addresses are personal data: the lookup goes over HTTPS (plain HTTP only to this
//! machine, for tests) and the address is never logged.

use std::time::Duration;

use serde::Deserialize;
use tracing::{debug, warn};

use crate::auth::{AuthError, ServerAddress};

const LOOKUP_TIMEOUT: Duration = Duration::from_secs(10);

#[derive(Deserialize)]
struct Info {
    #[serde(default)]
    hs: Option<String>,
}

/// The homeserver of `email`, asked of `identity_servers` in order.
pub async fn homeserver_of(
    identity_servers: &[String],
    email: &str,
) -> Result<ServerAddress, AuthError> {
    if identity_servers.is_empty() {
        return Err(AuthError::HomeserverRequired);
    }
    let http = matrix_sdk::reqwest::Client::builder()
        .timeout(LOOKUP_TIMEOUT)
        .build()
        .map_err(|error| AuthError::Server(error.to_string()))?;
    for server in identity_servers {
        let Some(url) = info_url(server, email) else {
            warn!(
                server,
                "an identity server of the policy is not a usable address"
            );
            continue;
        };
        match ask(&http, url).await {
            Ok(Some(homeserver)) => {
                debug!(server, "email address found");
                return ServerAddress::parse(&homeserver)
                    .map_err(|_| AuthError::Server(format!("{server} named no usable server")));
            }
            Ok(None) => return Err(AuthError::EmailNotFound),
            Err(reason) => warn!(server, %reason, "identity server did not answer"),
        }
    }
    Err(AuthError::EmailLookupFailed)
}

/// `Ok(None)`: the server answered and knows no homeserver for the address. Any other
/// answer (an error, a server without the endpoint) passes the question to the next server.
async fn ask(http: &matrix_sdk::reqwest::Client, url: url::Url) -> Result<Option<String>, String> {
    let response = http
        .get(url)
        .send()
        .await
        .map_err(|error| error.to_string())?;
    let status = response.status();
    if !status.is_success() {
        return Err(format!("status {status}"));
    }
    let info: Info = response.json().await.map_err(|error| error.to_string())?;
    Ok(info.hs.filter(|server| !server.trim().is_empty()))
}

/// The lookup's address on `server` (a URL or a bare host, then HTTPS); `None` when it would
/// send the address in clear to another machine.
fn info_url(server: &str, email: &str) -> Option<url::Url> {
    let server = server.trim().trim_end_matches('/');
    let base = if server.starts_with("https://") || server.starts_with("http://") {
        server.to_owned()
    } else {
        format!("https://{server}")
    };
    let mut url = url::Url::parse(&base).ok()?;
    if crate::auth::sends_in_clear(&url) {
        return None;
    }
    url.path_segments_mut()
        .ok()?
        .extend(["_matrix", "identity", "api", "v1", "info"]);
    url.query_pairs_mut()
        .append_pair("medium", "email")
        .append_pair("address", email);
    Some(url)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lookup_goes_over_https_with_the_address_escaped() {
        let url = info_url(
            "matrix.agent.tchap.gouv.fr",
            "jean.dupont+rh@interieur.gouv.fr",
        )
        .expect("an address");
        assert_eq!(
            url.as_str(),
            "https://matrix.agent.tchap.gouv.fr/_matrix/identity/api/v1/info?medium=email&address=jean.dupont%2Brh%40interieur.gouv.fr"
        );
        assert!(info_url("http://127.0.0.1:8090/", "a@b.fr").is_some());
        assert_eq!(info_url("http://identity.example.org", "a@b.fr"), None);
    }
}
