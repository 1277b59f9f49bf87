//! Users on the test server: creation through Synapse's shared-secret admin registration,
//! and password login for a fresh access token.

use std::fmt;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::json;
use sha1::Sha1;

use crate::{Homeserver, TestkitError, http};

/// A user with an access token. Clients under test usually sign in with the password
/// instead, to get a device of their own.
#[derive(Clone, Deserialize)]
pub struct RegisteredUser {
    pub user_id: String,
    pub access_token: String,
    pub device_id: String,
}

impl fmt::Debug for RegisteredUser {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RegisteredUser")
            .field("user_id", &self.user_id)
            .field("access_token", &"<redacted>")
            .field("device_id", &self.device_id)
            .finish()
    }
}

impl Homeserver {
    /// Creates `localpart` through the shared-secret admin API (15–25 ms each). Fails with
    /// errcode `M_USER_IN_USE` when the user exists ([`TestkitError::errcode`]).
    pub async fn register_user(
        &self,
        localpart: &str,
        password: &str,
        admin: bool,
    ) -> Result<RegisteredUser, TestkitError> {
        #[derive(Deserialize)]
        struct Nonce {
            nonce: String,
        }
        let url = self.endpoint(&["_synapse", "admin", "v1", "register"])?;
        let what = format!("registering {localpart}");
        // A nonce is single-use and expires after 60 s: fetch one per registration.
        let Nonce { nonce } = http::json(self.http().get(url.clone()), &what).await?;
        let mac = registration_mac(
            self.registration_secret(),
            &nonce,
            localpart,
            password,
            admin,
        )?;
        let body = json!({
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": mac,
        });
        http::json(self.http().post(url).json(&body), &what).await
    }

    /// Gives `user_id` the email address `email`, with which it can then sign in (Synapse's
    /// admin API, by `admin`'s token).
    pub async fn add_email(
        &self,
        admin: &RegisteredUser,
        user_id: &str,
        email: &str,
    ) -> Result<(), TestkitError> {
        let url = self.endpoint(&["_synapse", "admin", "v2", "users", user_id])?;
        let body = json!({ "threepids": [{ "medium": "email", "address": email }] });
        let _: serde_json::Value = http::json(
            self.http()
                .put(url)
                .bearer_auth(&admin.access_token)
                .json(&body),
            &format!("giving {user_id} an email address"),
        )
        .await?;
        Ok(())
    }

    /// Sets when `user_id`'s account expires (milliseconds since the epoch; in the past: at
    /// once), on a server started with account validity, by `admin`'s token.
    pub async fn set_account_expiry(
        &self,
        admin: &RegisteredUser,
        user_id: &str,
        expiration_ts: u64,
    ) -> Result<(), TestkitError> {
        let url = self.endpoint(&["_synapse", "admin", "v1", "account_validity", "validity"])?;
        let body = json!({
            "user_id": user_id,
            "expiration_ts": expiration_ts,
            "enable_renewal_emails": true,
        });
        let _: serde_json::Value = http::json(
            self.http()
                .post(url)
                .bearer_auth(&admin.access_token)
                .json(&body),
            &format!("setting when {user_id} expires"),
        )
        .await?;
        Ok(())
    }

    /// Signs `localpart` in with its password: a new device and access token.
    pub async fn login(
        &self,
        localpart: &str,
        password: &str,
    ) -> Result<RegisteredUser, TestkitError> {
        let url = self.endpoint(&["_matrix", "client", "v3", "login"])?;
        let body = json!({
            "type": "m.login.password",
            "identifier": { "type": "m.id.user", "user": localpart },
            "password": password,
        });
        http::json(
            self.http().post(url).json(&body),
            &format!("logging {localpart} in"),
        )
        .await
    }
}

/// Hex HMAC-SHA1 over `nonce \0 user \0 password \0 admin|notadmin`, keyed by the secret.
fn registration_mac(
    secret: &str,
    nonce: &str,
    localpart: &str,
    password: &str,
    admin: bool,
) -> Result<String, TestkitError> {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret.as_bytes()).map_err(|error| {
        TestkitError::Protocol {
            what: "keying the registration MAC".into(),
            detail: error.to_string(),
        }
    })?;
    let role = if admin { "admin" } else { "notadmin" };
    for (index, part) in [nonce, localpart, password, role].into_iter().enumerate() {
        if index > 0 {
            mac.update(b"\0");
        }
        mac.update(part.as_bytes());
    }
    Ok(hex::encode(mac.finalize().into_bytes()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_registration_mac_matches_synapses_definition() {
        // Computed independently: printf 'n0nce\0alice\0pw\0notadmin' | openssl sha1 -hmac s3cret
        let mac = registration_mac("s3cret", "n0nce", "alice", "pw", false).expect("a MAC");
        assert_eq!(mac, "c780f68391a454ff92d5fa1e43a03399a4227fe4");
    }

    #[test]
    fn debug_output_redacts_the_access_token() {
        let user = RegisteredUser {
            user_id: "@alice:127.0.0.1:1".into(),
            access_token: "syt_secret_token".into(),
            device_id: "DEVICE".into(),
        };
        let debug = format!("{user:?}");
        assert!(!debug.contains("syt_secret_token"));
        assert!(debug.contains("@alice:127.0.0.1:1") && debug.contains("<redacted>"));
    }
}
