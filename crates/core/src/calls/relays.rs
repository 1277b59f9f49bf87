//! The homeserver's TURN servers (`/voip/turnServer`): relays for calls that cannot reach each
//! other directly, and the only path when the user keeps their addresses private.

use std::time::Duration;

use matrix_sdk::{Client, ruma::api::client::voip::get_turn_server_info};
use tokio::time::Instant;
use tracing::debug;

use super::media::IceServer;

/// Credentials this close to their end are fetched again: a call set up with them must still
/// be able to allocate its relay.
const REFRESH_BEFORE_EXPIRY: Duration = Duration::from_secs(5 * 60);

/// The relays last given by the server, until they expire.
#[derive(Debug, Default)]
pub(super) struct Relays {
    cached: Option<(Vec<IceServer>, Instant)>,
}

impl Relays {
    /// The relays for a call starting now: the cached ones while they are fresh, else fetched
    /// again. A server without TURN (or unreachable) gives none: the call then tries directly.
    pub(super) async fn for_new_call(&mut self, client: &Client) -> Vec<IceServer> {
        if let Some((servers, expiry)) = &self.cached
            && Instant::now() + REFRESH_BEFORE_EXPIRY < *expiry
        {
            return servers.clone();
        }
        match client.send(get_turn_server_info::v3::Request::new()).await {
            Ok(response) => {
                let servers = if response.uris.is_empty() {
                    Vec::new()
                } else {
                    vec![IceServer {
                        urls: response.uris,
                        username: Some(response.username),
                        credential: Some(response.password),
                    }]
                };
                self.cached = Some((servers.clone(), Instant::now() + response.ttl));
                servers
            }
            Err(error) => {
                debug!(%error, "no relay from the homeserver");
                self.cached
                    .as_ref()
                    .filter(|(_, expiry)| Instant::now() < *expiry)
                    .map(|(servers, _)| servers.clone())
                    .unwrap_or_default()
            }
        }
    }
}
