//! Accounts that expire, as the state's servers run them (Synapse's `account_validity`): once
//! an account's validity has run out, the server refuses every request with
//! `ORG_MATRIX_EXPIRED_ACCOUNT` until the agent renews it from a link sent by email. Sync then
//! reports [`crate::sync::SyncState::AccountExpired`] rather than a connection problem, the
//! agent asks for the email here, and sync resumes once the account is renewed.

use std::time::Duration;

use matrix_sdk::{Client, config::RequestConfig, ruma::api::client::account::whoami};

use crate::auth::AuthError;

const EXPIRED_ACCOUNT: &str = "ORG_MATRIX_EXPIRED_ACCOUNT";

/// Whether the server refuses this account because it expired, asked with the cheapest
/// authenticated request there is. In offline mode the SDK's sync reports every failure as
/// "offline" and tries again, so an expiry never shows as a sync error of its own.
///
/// One try, briefly: it runs in the sync supervisor, which must not wait on a server that is
/// gone (the SDK's default retries such a request for as long as it stays gone).
pub(crate) async fn has_expired(client: &Client) -> bool {
    let once = RequestConfig::new()
        .disable_retry()
        .timeout(Duration::from_secs(10));
    match client
        .send(whoami::v3::Request::new())
        .with_request_config(once)
        .await
    {
        Ok(_) => false,
        Err(error) => error
            .client_api_error_kind()
            .is_some_and(|kind| kind.errcode().as_str() == EXPIRED_ACCOUNT),
    }
}

/// Asks the server to send the renewal link to the account's email addresses
/// (`POST /_matrix/client/unstable/account_validity/send_mail`, which the SDK does not know).
pub(crate) async fn request_renewal_email(client: &Client) -> Result<(), AuthError> {
    let token = client.access_token().ok_or(AuthError::SessionExpired)?;
    let mut url = client.homeserver();
    url.path_segments_mut()
        .map_err(|()| AuthError::RenewalEmailFailed)?
        .pop_if_empty()
        .extend([
            "_matrix",
            "client",
            "unstable",
            "account_validity",
            "send_mail",
        ]);
    let response = client
        .http_client()
        .post(url)
        .bearer_auth(token)
        .json(&serde_json::json!({}))
        .send()
        .await
        .map_err(|_| AuthError::RenewalEmailFailed)?;
    if response.status().is_success() {
        Ok(())
    } else {
        tracing::warn!(status = %response.status(), "the server did not send the renewal email");
        Err(AuthError::RenewalEmailFailed)
    }
}
