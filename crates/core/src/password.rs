//! This user's password (`account.password()`): the server's rules for a new one (MSC2000's
//! `/password_policy`, which Synapse serves when its `password_config.policy` is on), checked
//! here before anything is sent, and the change itself, authorised by the current password.

use matrix_sdk::ruma::api::client::{
    account::change_password,
    uiaa::{AuthData, UiaaInfo},
};
use serde::{Deserialize, Serialize};
use zeroize::Zeroizing;

use crate::{
    Account, Code,
    auth::{is_connection_failure, is_http_network_failure},
};

#[derive(Debug, thiserror::Error)]
pub enum PasswordError {
    #[error("the current password is wrong")]
    WrongPassword,
    #[error("the new password does not follow the server's rules")]
    TooWeak(Vec<PasswordRule>),
    /// The account signs in through the organisation's portal: its password is kept there.
    #[error("this account has no password on this server")]
    NotAvailable,
    #[error("the server cannot be reached")]
    Offline,
    #[error("the password could not be changed: {0}")]
    Failed(String),
}

impl PasswordError {
    pub fn code(&self) -> Code {
        match self {
            Self::WrongPassword => Code::PasswordWrong,
            Self::TooWeak(_) => Code::PasswordTooWeak,
            Self::NotAvailable => Code::PasswordNotAvailable,
            Self::Offline => Code::PasswordOffline,
            Self::Failed(_) => Code::PasswordFailed,
        }
    }

    fn from_http(error: &matrix_sdk::HttpError) -> Self {
        if is_http_network_failure(error) {
            return Self::Offline;
        }
        if let Some(challenge) = error.as_uiaa_response() {
            return Self::from_challenge(challenge);
        }
        let Some(kind) = error.client_api_error_kind() else {
            return Self::Failed(error.to_string());
        };
        // The server's own rules, when they are stricter than what it publishes (Synapse's
        // codes for each rule).
        match kind.errcode().as_str() {
            "M_WEAK_PASSWORD" | "M_PASSWORD_TOO_SHORT" => Self::TooWeak(Vec::new()),
            "M_PASSWORD_NO_DIGIT" => Self::TooWeak(vec![PasswordRule::Digit]),
            "M_PASSWORD_NO_SYMBOL" => Self::TooWeak(vec![PasswordRule::Symbol]),
            "M_PASSWORD_NO_LOWERCASE" => Self::TooWeak(vec![PasswordRule::Lowercase]),
            "M_PASSWORD_NO_UPPERCASE" => Self::TooWeak(vec![PasswordRule::Uppercase]),
            // A refusal outside the authentication (a server where passwords cannot be
            // changed) is not a wrong password: only a challenge says that.
            _ => Self::Failed(error.to_string()),
        }
    }

    /// A server still asking for authentication rejected the password it got, or does not
    /// take passwords for this account at all.
    fn from_challenge(challenge: &UiaaInfo) -> Self {
        let takes_password = challenge.flows.iter().any(|flow| {
            flow.stages
                .iter()
                .any(|stage| stage.as_str() == "m.login.password")
        });
        if !takes_password {
            Self::NotAvailable
        } else if challenge.auth_error.is_some() {
            Self::WrongPassword
        } else {
            Self::Failed("the server asked for the password again".to_owned())
        }
    }
}

/// More than this is not a password policy.
const POLICY_LIMIT: usize = 16 * 1024;

/// One of the server's rules for passwords.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PasswordRule {
    MinimumLength,
    Digit,
    Symbol,
    Lowercase,
    Uppercase,
}

/// What the server asks of a new password; all off where it publishes no policy.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct PasswordPolicy {
    pub minimum_length: Option<u32>,
    pub require_digit: bool,
    pub require_symbol: bool,
    pub require_lowercase: bool,
    pub require_uppercase: bool,
}

/// The policy as the server writes it (MSC2000).
#[derive(Deserialize)]
struct ServerPasswordPolicy {
    #[serde(rename = "m.minimum_length", default)]
    minimum_length: Option<u32>,
    #[serde(rename = "m.require_digit", default)]
    require_digit: bool,
    #[serde(rename = "m.require_symbol", default)]
    require_symbol: bool,
    #[serde(rename = "m.require_lowercase", default)]
    require_lowercase: bool,
    #[serde(rename = "m.require_uppercase", default)]
    require_uppercase: bool,
}

impl From<ServerPasswordPolicy> for PasswordPolicy {
    fn from(server: ServerPasswordPolicy) -> Self {
        Self {
            minimum_length: server.minimum_length,
            require_digit: server.require_digit,
            require_symbol: server.require_symbol,
            require_lowercase: server.require_lowercase,
            require_uppercase: server.require_uppercase,
        }
    }
}

impl PasswordPolicy {
    /// The rules `password` breaks, in the policy's order; empty when it follows them all.
    pub fn unmet(&self, password: &str) -> Vec<PasswordRule> {
        let length = u32::try_from(password.chars().count()).unwrap_or(u32::MAX);
        let checks = [
            (
                PasswordRule::MinimumLength,
                self.minimum_length.is_some_and(|minimum| length < minimum),
            ),
            // As Synapse counts them (its password policy handler): ASCII classes, so that
            // "é" is a symbol and neither a lowercase nor an uppercase letter.
            (
                PasswordRule::Digit,
                self.require_digit && !password.chars().any(|c| c.is_ascii_digit()),
            ),
            (
                PasswordRule::Symbol,
                self.require_symbol && !password.chars().any(|c| !c.is_ascii_alphanumeric()),
            ),
            (
                PasswordRule::Lowercase,
                self.require_lowercase && !password.chars().any(|c| c.is_ascii_lowercase()),
            ),
            (
                PasswordRule::Uppercase,
                self.require_uppercase && !password.chars().any(|c| c.is_ascii_uppercase()),
            ),
        ];
        checks
            .into_iter()
            .filter_map(|(rule, broken)| broken.then_some(rule))
            .collect()
    }
}

impl Account {
    pub fn password(&self) -> Password<'_> {
        Password { account: self }
    }
}

/// This user's password (`account.password()`).
#[derive(Clone, Copy, Debug)]
pub struct Password<'a> {
    account: &'a Account,
}

impl Password<'_> {
    /// The server's rules for a new password; none where it publishes none (a 404 from a
    /// server without the endpoint, or a policy switched off).
    pub async fn policy(&self) -> Result<PasswordPolicy, PasswordError> {
        let client = self.account.client();
        let address = client
            .homeserver()
            .join("_matrix/client/v3/password_policy")
            .map_err(|error| PasswordError::Failed(error.to_string()))?;
        let response = client
            .http_client()
            .get(address)
            .send()
            .await
            .map_err(|error| {
                if is_connection_failure(&error) {
                    PasswordError::Offline
                } else {
                    PasswordError::Failed(error.to_string())
                }
            })?;
        if !response.status().is_success() {
            return Ok(PasswordPolicy::default());
        }
        // A policy too large to be one is not read further than its limit.
        let mut bytes = Vec::new();
        let mut response = response;
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|error| PasswordError::Failed(error.to_string()))?
        {
            bytes.extend_from_slice(&chunk);
            if bytes.len() > POLICY_LIMIT {
                return Ok(PasswordPolicy::default());
            }
        }
        Ok(serde_json::from_slice::<ServerPasswordPolicy>(&bytes)
            .map(PasswordPolicy::from)
            .unwrap_or_default())
    }

    /// Changes the password, authorised by the current one, after checking the new one
    /// against the server's rules. `sign_out_other_devices` also ends every other session
    /// of the account (after a leak, say).
    #[tracing::instrument(skip_all, fields(account = %self.account.id()))]
    pub async fn change(
        &self,
        current: Zeroizing<String>,
        new: Zeroizing<String>,
        sign_out_other_devices: bool,
    ) -> Result<(), PasswordError> {
        let unmet = self.policy().await?.unmet(&new);
        if !unmet.is_empty() {
            return Err(PasswordError::TooWeak(unmet));
        }
        let client = self.account.client();
        let request = |auth: Option<AuthData>| {
            let mut request = change_password::v3::Request::new(new.as_str().to_owned());
            request.auth = auth;
            request.logout_devices = sign_out_other_devices;
            request
        };
        // The server first says how it wants the change authorised.
        let challenge = match client.send(request(None)).await {
            Ok(_) => return Ok(()),
            Err(error) => match error.as_uiaa_response() {
                Some(challenge) => challenge.clone(),
                None => return Err(PasswordError::from_http(&error)),
            },
        };
        if matches!(
            PasswordError::from_challenge(&challenge),
            PasswordError::NotAvailable
        ) {
            return Err(PasswordError::NotAvailable);
        }
        let auth = self.account.password_auth(&current, &challenge);
        client
            .send(request(Some(auth)))
            .await
            .map_err(|error| PasswordError::from_http(&error))?;
        tracing::info!(sign_out_other_devices, "password changed");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_broken_rule_is_named_and_none_without_a_policy() {
        let policy = PasswordPolicy {
            minimum_length: Some(12),
            require_digit: true,
            require_symbol: true,
            require_lowercase: true,
            require_uppercase: true,
        };
        assert_eq!(
            policy.unmet("short"),
            vec![
                PasswordRule::MinimumLength,
                PasswordRule::Digit,
                PasswordRule::Symbol,
                PasswordRule::Uppercase
            ]
        );
        assert!(policy.unmet("Ete-2026-sur-et-long").is_empty());
        // Counted in characters, not bytes; accented letters count as symbols, as Synapse
        // counts them, and not as letters.
        assert_eq!(
            policy.unmet("Éééééééé1a"),
            vec![PasswordRule::MinimumLength, PasswordRule::Uppercase]
        );
        assert!(PasswordPolicy::default().unmet("").is_empty());
    }

    #[test]
    fn the_servers_policy_is_read_as_synapse_writes_it() {
        let policy: PasswordPolicy = serde_json::from_str::<ServerPasswordPolicy>(
            r#"{"m.minimum_length": 10, "m.require_digit": true, "m.require_symbol": false}"#,
        )
        .expect("a policy")
        .into();
        assert_eq!(policy.minimum_length, Some(10));
        assert!(policy.require_digit && !policy.require_uppercase);
    }
}
