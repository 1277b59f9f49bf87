//! Creating users through Synapse's shared-secret admin registration API.

use std::fmt;

use hmac::{Hmac, Mac};
use serde::Deserialize;
use serde_json::json;
use sha1::Sha1;

use crate::{Homeserver, TestkitError};

/// A user created on the test server. Its token is the admin API's; clients under test sign
/// in with the password instead, to get a device of their own.
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

#[derive(Deserialize)]
struct Nonce {
    nonce: String,
}

impl Homeserver {
    /// Creates `localpart` with `password` (15–25 ms with the kit's bcrypt settings).
    pub async fn register_user(
        &self,
        localpart: &str,
        password: &str,
        admin: bool,
    ) -> Result<RegisteredUser, TestkitError> {
        let url = format!("{}/_synapse/admin/v1/register", self.base_url());
        let Nonce { nonce } = self
            .http
            .get(&url)
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let role = if admin { "admin" } else { "notadmin" };
        let mut mac = Hmac::<Sha1>::new_from_slice(self.registration_secret().as_bytes()).map_err(
            |error| TestkitError::Refused {
                what: "the secret".into(),
                body: error.to_string(),
            },
        )?;
        for (index, part) in [nonce.as_str(), localpart, password, role]
            .iter()
            .enumerate()
        {
            if index > 0 {
                mac.update(b"\0");
            }
            mac.update(part.as_bytes());
        }
        let body = json!({
            "nonce": nonce,
            "username": localpart,
            "password": password,
            "admin": admin,
            "mac": hex::encode(mac.finalize().into_bytes()),
        });
        let response = self.http.post(&url).json(&body).send().await?;
        if !response.status().is_success() {
            return Err(TestkitError::Refused {
                what: format!("registering {localpart}"),
                body: response.text().await.unwrap_or_default(),
            });
        }
        Ok(response.json().await?)
    }
}
