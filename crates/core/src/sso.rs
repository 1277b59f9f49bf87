//! Single sign-on through the homeserver (`m.login.sso`), as the state's portal works: the
//! system browser opens the server's sign-in page, the identity provider signs the person in,
//! and the server sends the browser back to a one-time address on this machine carrying a
//! login token, which [`crate::AccountManager::sign_in_with_sso`] exchanges for a session.
//!
//! The address is `http://127.0.0.1:PORT/sso/<128 random bits>`: loopback only, on a port
//! chosen by the system, answering nothing but that path, and closed once the token came.
//! Other programs of this machine can reach the port, so every request is read within a size
//! and time limit and anything else than the expected path is turned away.

use std::{sync::Arc, time::Duration};

use rand::Rng;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinSet,
    time::timeout,
};
use tracing::{debug, warn};
use zeroize::Zeroizing;

use crate::auth::AuthError;

/// How long a person has to sign in at their identity provider.
pub const SIGN_IN_TIME: Duration = Duration::from_secs(10 * 60);

/// A browser sends a request line and headers well within this; more is not a browser.
const REQUEST_LIMIT: usize = 16 * 1024;

/// A connection that sends nothing for this long is not the browser coming back.
const READ_TIME: Duration = Duration::from_secs(5);

/// Connections answered side by side at most; more are closed at once.
const CONNECTIONS_AT_ONCE: usize = 32;

/// A one-time address on this machine that the homeserver sends the browser back to.
pub struct LoopbackRedirect {
    listener: TcpListener,
    path: Arc<str>,
    url: String,
}

impl std::fmt::Debug for LoopbackRedirect {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The path is what makes the address unguessable: kept out of logs.
        f.debug_struct("LoopbackRedirect")
            .field(
                "port",
                &self.listener.local_addr().map(|address| address.port()),
            )
            .finish_non_exhaustive()
    }
}

impl LoopbackRedirect {
    pub async fn bind() -> Result<Self, AuthError> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(|error| AuthError::Server(format!("no local port for sign-in: {error}")))?;
        let port = listener
            .local_addr()
            .map_err(|error| AuthError::Server(error.to_string()))?
            .port();
        let secret: [u8; 16] = rand::rng().random();
        let path: Arc<str> = format!("/sso/{}", hex(&secret)).into();
        let url = format!("http://127.0.0.1:{port}{path}");
        Ok(Self {
            listener,
            path,
            url,
        })
    }

    /// Where the homeserver must send the browser back.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// Waits for the browser to come back from single sign-on with its login token, at most
    /// `limit`.
    pub async fn login_token(self, limit: Duration) -> Result<Zeroizing<String>, AuthError> {
        let query = self
            .wait_for(limit, |query| parameter(query, "loginToken").is_some())
            .await?;
        parameter(&query, "loginToken").ok_or(AuthError::SsoRefused)
    }

    /// Waits for the browser to come back from an OAuth 2.0 authorization server, at most
    /// `limit`: the query that carries its answer (a code or an error, with the state).
    pub async fn authorization_response(
        self,
        limit: Duration,
    ) -> Result<Zeroizing<String>, AuthError> {
        self.wait_for(limit, |query| {
            parameter(query, "state").is_some()
                && (parameter(query, "code").is_some() || parameter(query, "error").is_some())
        })
        .await
    }

    async fn wait_for(
        self,
        limit: Duration,
        expected: fn(&str) -> bool,
    ) -> Result<Zeroizing<String>, AuthError> {
        timeout(limit, self.serve_until(expected))
            .await
            .map_err(|_| AuthError::SsoTimedOut)?
    }

    /// Answers connections side by side, so that one that sends nothing (another program, a
    /// browser's pre-connection) never holds the browser's return back; ends with the first
    /// request that brings what sign-in needs.
    async fn serve_until(
        &self,
        expected: fn(&str) -> bool,
    ) -> Result<Zeroizing<String>, AuthError> {
        let mut answering = JoinSet::new();
        loop {
            tokio::select! {
                accepted = self.listener.accept() => {
                    let (stream, _) = accepted.map_err(|error| {
                        AuthError::Server(format!("local sign-in address: {error}"))
                    })?;
                    // A flood of connections is turned away rather than served.
                    if answering.len() < CONNECTIONS_AT_ONCE {
                        answering.spawn(answer(stream, self.path.clone(), expected));
                    }
                }
                Some(answered) = answering.join_next(), if !answering.is_empty() => {
                    if let Ok(Some(query)) = answered {
                        return Ok(query);
                    }
                }
            }
        }
    }
}

/// Reads one request and answers it; its query when it is the browser coming back to `path`
/// with what sign-in needs.
async fn answer(
    mut stream: TcpStream,
    path: Arc<str>,
    expected: fn(&str) -> bool,
) -> Option<Zeroizing<String>> {
    let request = match timeout(READ_TIME, read_head(&mut stream)).await {
        Ok(Some(request)) => request,
        Ok(None) | Err(_) => {
            respond(&mut stream, "400 Bad Request", PAGE_NOT_FOUND).await;
            return None;
        }
    };
    let Some(target) = request_target(&request) else {
        respond(&mut stream, "400 Bad Request", PAGE_NOT_FOUND).await;
        return None;
    };
    let (requested, query) = target.split_once('?').unwrap_or((target, ""));
    if requested != &*path {
        debug!("a request to the sign-in port that is not the browser coming back");
        respond(&mut stream, "404 Not Found", PAGE_NOT_FOUND).await;
        return None;
    }
    if expected(query) {
        respond(&mut stream, "200 OK", PAGE_BACK).await;
        Some(Zeroizing::new(query.to_owned()))
    } else {
        warn!("the browser came back without what sign-in needs");
        respond(&mut stream, "400 Bad Request", PAGE_NO_TOKEN).await;
        None
    }
}

/// A query parameter's decoded value, when present and not empty.
fn parameter(query: &str, name: &str) -> Option<Zeroizing<String>> {
    url::form_urlencoded::parse(query.as_bytes())
        .find(|(key, _)| key == name)
        .map(|(_, value)| Zeroizing::new(value.into_owned()))
        .filter(|value| !value.is_empty())
}

/// The request line and headers, up to the blank line, within [`REQUEST_LIMIT`].
async fn read_head(stream: &mut TcpStream) -> Option<Vec<u8>> {
    let mut head = Vec::with_capacity(1024);
    let mut buffer = [0u8; 2048];
    loop {
        let read = stream.read(&mut buffer).await.ok()?;
        if read == 0 {
            return None;
        }
        head.extend_from_slice(&buffer[..read]);
        if head.windows(4).any(|window| window == b"\r\n\r\n") {
            return Some(head);
        }
        if head.len() > REQUEST_LIMIT {
            return None;
        }
    }
}

/// `/sso/…?loginToken=…` from `GET /sso/…?loginToken=… HTTP/1.1`.
fn request_target(head: &[u8]) -> Option<&str> {
    let line_end = head.windows(2).position(|window| window == b"\r\n")?;
    let line = std::str::from_utf8(&head[..line_end]).ok()?;
    let mut parts = line.split(' ');
    let (method, target, version) = (parts.next()?, parts.next()?, parts.next()?);
    (method == "GET" && version.starts_with("HTTP/1.") && parts.next().is_none()).then_some(target)
}

async fn respond(stream: &mut TcpStream, status: &str, page: &str) {
    let response = format!(
        "HTTP/1.1 {status}\r\n\
         Content-Type: text/html; charset=utf-8\r\n\
         Content-Length: {}\r\n\
         Content-Security-Policy: default-src 'none'; style-src 'unsafe-inline'\r\n\
         Referrer-Policy: no-referrer\r\n\
         Cache-Control: no-store\r\n\
         Connection: close\r\n\r\n{page}",
        page.len()
    );
    // The browser may have gone; the sign-in goes on without its page.
    let _ = stream.write_all(response.as_bytes()).await;
    let _ = stream.shutdown().await;
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The browser's page once it came back: the app checks the token with the server and says
/// how it went, so the page claims nothing. In both languages, since the browser's may not
/// be the app's.
const PAGE_BACK: &str = "<!doctype html><html lang=\"fr\"><meta charset=\"utf-8\">\
<title>Estafette</title><body style=\"font-family:sans-serif;max-width:32em;margin:4em auto\">\
<h1>Retournez dans Estafette</h1><p>Vous pouvez fermer cet onglet : Estafette termine la connexion.</p>\
<h1 lang=\"en\">Go back to Estafette</h1><p lang=\"en\">You can close this tab: Estafette finishes signing you in.</p>\
</body></html>";

const PAGE_NO_TOKEN: &str = "<!doctype html><html lang=\"fr\"><meta charset=\"utf-8\">\
<title>Estafette</title><body style=\"font-family:sans-serif;max-width:32em;margin:4em auto\">\
<h1>La connexion n'a pas abouti</h1><p>Revenez à Estafette et recommencez.</p>\
<h1 lang=\"en\">Sign-in did not complete</h1><p lang=\"en\">Go back to Estafette and try again.</p>\
</body></html>";

const PAGE_NOT_FOUND: &str = "<!doctype html><title>Estafette</title>";

#[cfg(test)]
mod tests {
    use super::*;

    async fn get(url: &str) -> (u16, String) {
        let response = reqwest::get(url).await.expect("answered");
        (
            response.status().as_u16(),
            response.text().await.expect("a page"),
        )
    }

    #[tokio::test]
    async fn the_token_is_taken_only_from_the_secret_path() {
        let redirect = LoopbackRedirect::bind().await.expect("bound");
        let url = redirect.url().to_owned();
        assert!(url.starts_with("http://127.0.0.1:"), "{url}");
        let port_url = url.rsplit_once("/sso/").expect("the path").0.to_owned();
        let waiting = tokio::spawn(redirect.login_token(Duration::from_secs(20)));

        // Another program guessing: a wrong path, the right path without a token, junk.
        assert_eq!(
            get(&format!("{port_url}/sso/guess?loginToken=x")).await.0,
            404
        );
        assert_eq!(get(&format!("{port_url}/?loginToken=x")).await.0, 404);
        assert_eq!(get(&url).await.0, 400);
        let host = url
            .trim_start_matches("http://")
            .split('/')
            .next()
            .expect("host")
            .to_owned();
        let mut junk = TcpStream::connect(&host).await.expect("connected");
        junk.write_all(&[0xff; 40_000]).await.ok();
        drop(junk);
        assert!(!waiting.is_finished());

        // Connections that send nothing do not hold the browser back.
        let mut idle = Vec::new();
        for _ in 0..5 {
            idle.push(TcpStream::connect(&host).await.expect("connected"));
        }
        let (status, page) = get(&format!("{url}?loginToken=syt_token%2Bplus")).await;
        assert_eq!(status, 200);
        assert!(page.contains("Go back to Estafette"));
        let token = tokio::time::timeout(Duration::from_secs(2), waiting)
            .await
            .expect("not held back by idle connections")
            .expect("joined")
            .expect("a token");
        assert_eq!(token.as_str(), "syt_token+plus");
        drop(idle);
    }

    #[tokio::test]
    async fn a_browser_that_never_comes_back_times_out_and_two_addresses_differ() {
        let first = LoopbackRedirect::bind().await.expect("bound");
        let second = LoopbackRedirect::bind().await.expect("bound");
        assert_ne!(first.url(), second.url());
        let error = first
            .login_token(Duration::from_millis(200))
            .await
            .expect_err("nobody came");
        assert!(matches!(error, AuthError::SsoTimedOut));
    }

    #[test]
    fn only_a_plain_get_request_line_is_read() {
        assert_eq!(
            request_target(b"GET /sso/a?loginToken=b HTTP/1.1\r\nHost: x\r\n\r\n"),
            Some("/sso/a?loginToken=b")
        );
        for bad in [
            &b"POST /sso/a HTTP/1.1\r\n\r\n"[..],
            b"GET /sso/a\r\n\r\n",
            b"GET /sso/a HTTP/1.1 extra\r\n\r\n",
            b"GET /sso/\xff HTTP/1.1\r\n\r\n",
            b"no line end",
        ] {
            assert_eq!(request_target(bad), None);
        }
    }
}
