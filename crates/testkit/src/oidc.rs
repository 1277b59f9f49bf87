//! Single sign-on as the state's portal runs it, on 127.0.0.1: an OpenID Connect provider
//! (`oidc-provider-mock` from PyPI, in a virtualenv of its own installed by the first test
//! that needs it) that Synapse signs people in through, and [`PortalBrowser`], which does in
//! a test what a person's browser does: follows the server's redirects, posts the provider's
//! sign-in form, and brings the login token back to the app's loopback address.
//! (shared/notes/state-servers.md: a login is a plain form post of `sub`, no browser needed.)

use std::{
    collections::HashMap,
    process::{Child, ChildStdin, Command, Stdio},
    time::Duration,
};

use reqwest::{StatusCode, header};
use url::Url;

use crate::{TestkitError, install::ensure_oidc_mock_installed, process::stopped_with_owner};

/// The provider's name as Synapse shows it, and its ID in Synapse's SSO URLs (Synapse puts
/// `oidc-` before the `idp_id` it is configured with).
pub const PORTAL_NAME: &str = "Portail de l'État";
pub const PORTAL_ID: &str = "oidc-portal";

/// A running OpenID Connect provider; stopped when dropped.
#[derive(Debug)]
pub struct OidcProvider {
    port: u16,
    issuer: String,
    process: Child,
    lifeline: Option<ChildStdin>,
}

impl OidcProvider {
    /// Installs the provider if needed, starts it on a free port and waits until it publishes
    /// its configuration (under a second once installed).
    pub async fn start() -> Result<Self, TestkitError> {
        let venv = tokio::task::spawn_blocking(ensure_oidc_mock_installed)
            .await
            .map_err(|error| TestkitError::Task(error.to_string()))??;
        let port = crate::config::free_port()?;
        let mut process = Command::new(venv.join("bin").join("python"))
            .arg("-c")
            .arg(stopped_with_owner(
                "oidc_provider_mock",
                r#"["oidc-provider-mock"] + sys.argv[1:]"#,
            ))
            .args(["--host", "127.0.0.1", "--port", &port.to_string()])
            // Synapse asks for a nonce, as a real provider requires.
            .args(["--require-nonce", "true"])
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(TestkitError::io("starting oidc-provider-mock"))?;
        let lifeline = process.stdin.take();
        let mut provider = Self {
            port,
            issuer: String::new(),
            process,
            lifeline,
        };
        provider.issuer = provider.wait_for_configuration().await?;
        Ok(provider)
    }

    async fn wait_for_configuration(&mut self) -> Result<String, TestkitError> {
        let client = crate::http::client()?;
        let address = format!(
            "http://127.0.0.1:{}/.well-known/openid-configuration",
            self.port
        );
        for _ in 0..300 {
            if let Ok(Some(status)) = self.process.try_wait() {
                return Err(TestkitError::Protocol {
                    what: "starting oidc-provider-mock".to_owned(),
                    detail: format!("it exited: {status}"),
                });
            }
            if let Ok(response) = client.get(&address).send().await
                && response.status().is_success()
                && let Ok(configuration) = response.json::<serde_json::Value>().await
                && let Some(issuer) = configuration["issuer"].as_str()
            {
                return Ok(issuer.to_owned());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(TestkitError::Protocol {
            what: "starting oidc-provider-mock".to_owned(),
            detail: "no configuration after 15 s".to_owned(),
        })
    }

    /// The issuer as the provider names itself, which Synapse must be configured with.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        drop(self.lifeline.take());
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

/// What a person's browser does between the app opening the server's sign-in page and the
/// app's loopback address receiving the login token, with cookies kept per origin.
pub struct PortalBrowser {
    client: reqwest::Client,
    cookies: HashMap<String, Vec<String>>,
    /// Every address visited, in order.
    pub visited: Vec<Url>,
}

impl std::fmt::Debug for PortalBrowser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Cookies are sessions: kept out of logs.
        f.debug_struct("PortalBrowser")
            .field("visited", &self.visited)
            .finish_non_exhaustive()
    }
}

impl Default for PortalBrowser {
    fn default() -> Self {
        Self::new()
    }
}

impl PortalBrowser {
    pub fn new() -> Self {
        Self {
            client: reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap_or_default(),
            cookies: HashMap::new(),
            visited: Vec::new(),
        }
    }

    /// Opens `address` (the server's single sign-on page), signs in at the provider as
    /// `subject`, and follows the redirects back to the app; returns the last page's text.
    pub async fn sign_in(&mut self, address: &str, subject: &str) -> Result<String, TestkitError> {
        let mut next = Url::parse(address).map_err(|error| protocol("the SSO address", error))?;
        let mut form_posted = false;
        let mut confirmed = false;
        for _ in 0..12 {
            let is_form = !form_posted && next.path().ends_with("/oauth2/authorize");
            let response = if is_form {
                form_posted = true;
                let body = url::form_urlencoded::Serializer::new(String::new())
                    .append_pair("sub", subject)
                    .finish();
                let request = self
                    .client
                    .post(next.clone())
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .body(body);
                self.send(request, &next).await?
            } else {
                self.send(self.client.get(next.clone()), &next).await?
            };
            let status = response.status();
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(header::LOCATION)
                    .and_then(|value| value.to_str().ok())
                    .ok_or_else(|| protocol("a redirect", "without a location"))?
                    .to_owned();
                next = next
                    .join(&location)
                    .map_err(|error| protocol("a redirect's location", error))?;
                continue;
            }
            let text = response.text().await.unwrap_or_default();
            if status != StatusCode::OK {
                return Err(protocol(
                    &format!("the page {}", next.path()),
                    format!("{status}: {}", crate::install::tail(&text, 5)),
                ));
            }
            // Synapse's "Continue to your account" page: the person checks where the browser
            // goes and follows its link.
            if !confirmed && let Some(onwards) = continue_link(&text) {
                confirmed = true;
                next = next
                    .join(&onwards)
                    .map_err(|error| protocol("the Continue link", error))?;
                continue;
            }
            return Ok(text);
        }
        Err(protocol("single sign-on", "more than 12 redirects"))
    }

    async fn send(
        &mut self,
        request: reqwest::RequestBuilder,
        address: &Url,
    ) -> Result<reqwest::Response, TestkitError> {
        let origin = address.origin().ascii_serialization();
        let request = match self.cookies.get(&origin) {
            Some(cookies) if !cookies.is_empty() => {
                request.header(header::COOKIE, cookies.join("; "))
            }
            _ => request,
        };
        let response = request
            .send()
            .await
            .map_err(|error| protocol(&format!("loading {}", address.path()), error))?;
        self.visited.push(address.clone());
        for cookie in response.headers().get_all(header::SET_COOKIE) {
            let Some(pair) = cookie.to_str().ok().and_then(|text| text.split(';').next()) else {
                continue;
            };
            let name = pair.split('=').next().unwrap_or_default().to_owned();
            let jar = self.cookies.entry(origin.clone()).or_default();
            jar.retain(|kept| kept.split('=').next() != Some(name.as_str()));
            jar.push(pair.trim().to_owned());
        }
        Ok(response)
    }
}

/// The address of the "Continue" link of Synapse's page asking to confirm where the browser
/// goes (`sso_redirect_confirm.html`), unescaped.
fn continue_link(page: &str) -> Option<String> {
    let before = page.find("class=\"primary-button\">Continue")?;
    let start = page[..before].rfind("href=\"")? + "href=\"".len();
    let end = start + page[start..].find('"')?;
    Some(
        page[start..end]
            .replace("&amp;", "&")
            .replace("&#34;", "\"")
            .replace("&#39;", "'"),
    )
}

fn protocol(what: &str, detail: impl std::fmt::Display) -> TestkitError {
    TestkitError::Protocol {
        what: what.to_owned(),
        detail: detail.to_string(),
    }
}

/// Synapse's `oidc_providers` entry for `provider`: people are named after their subject at
/// the provider. No `sso.client_whitelist`: Synapse asks "Continue to your account" before
/// sending the browser to the app, as a deployment must (a prefix such as
/// `http://127.0.0.1:` would also let `http://127.0.0.1:1@elsewhere.example/` through).
pub(crate) fn synapse_sso_config(issuer: &str) -> serde_json::Value {
    serde_json::json!({
        "oidc_providers": [{
            "idp_id": PORTAL_ID.trim_start_matches("oidc-"),
            "idp_name": PORTAL_NAME,
            "issuer": issuer,
            "client_id": "estafette-test",
            "client_secret": "estafette-test-secret",
            "client_auth_method": "client_secret_post",
            "scopes": ["openid", "profile", "email"],
            // The provider speaks plain HTTP on loopback, which discovery checks refuse.
            "skip_verification": true,
            "user_mapping_provider": {
                "config": {
                    "localpart_template": "{{ user.sub }}",
                    "display_name_template": "{{ user.sub }}",
                },
            },
        }],
    })
}
