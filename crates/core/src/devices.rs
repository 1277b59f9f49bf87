//! Devices: a user's devices as this account's encryption knows them (what end-to-end
//! encrypted messages are encrypted for), and this user's own devices as the settings list
//! them: renamed, signed out.

use matrix_sdk::ruma::{DeviceId, OwnedDeviceId, UserId};
use serde::Serialize;
use zeroize::Zeroizing;

use crate::{
    Account,
    encryption::{EncryptionError, parse_user},
    rooms::RoomError,
};

impl Account {
    /// Devices: anyone's as encryption knows them, and this user's own.
    pub fn devices(&self) -> Devices<'_> {
        Devices { account: self }
    }
}

/// The devices one account deals with (`account.devices()`).
#[derive(Clone, Copy, Debug)]
pub struct Devices<'a> {
    account: &'a Account,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DeviceSummary {
    pub device_id: String,
    pub display_name: Option<String>,
    pub is_verified: bool,
}

impl Devices<'_> {
    /// `user_id`'s devices, asked of the server now. A device unknown to this account does not
    /// receive the keys of messages sent to it; asking refreshes what the account knows when
    /// the server's device-list notice has not arrived yet.
    pub async fn of_user(&self, user_id: &str) -> Result<Vec<DeviceSummary>, RoomError> {
        let user_id = UserId::parse(user_id.trim())
            .map_err(|_| RoomError::InvalidUserId(user_id.to_owned()))?;
        let encryption = self.account.client().encryption();
        encryption
            .request_user_identity(&user_id)
            .await
            .map_err(RoomError::from_sdk)?;
        let devices = encryption
            .get_user_devices(&user_id)
            .await
            .map_err(|error| RoomError::Server(error.to_string()))?;
        Ok(devices
            .devices()
            .map(|device| DeviceSummary {
                device_id: device.device_id().to_string(),
                display_name: device.display_name().map(str::to_owned),
                is_verified: device.is_verified(),
            })
            .collect())
    }
}

/// One of this user's own devices, as the devices settings list them.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct OwnDevice {
    pub device_id: String,
    pub display_name: Option<String>,
    /// Milliseconds since the Unix epoch, as the server last saw the device.
    pub last_seen_ms: Option<u64>,
    pub last_seen_ip: Option<String>,
    /// Signed by the user's identity (verified with another device or the recovery key).
    pub is_verified: bool,
    /// The device published encryption keys: it can read encrypted messages, and be verified.
    /// (Sessions opened by scripts or by registration often have none.)
    pub has_encryption: bool,
    /// The device this process runs as.
    pub is_current: bool,
}

impl Devices<'_> {
    /// This user's devices, most recently seen first (this device at the top).
    pub async fn own(&self) -> Result<Vec<OwnDevice>, EncryptionError> {
        let client = self.account.client();
        let response = client
            .devices()
            .await
            .map_err(|error| EncryptionError::from_http(&error))?;
        let own_user = parse_user(self.account.user_id())?;
        let encryption = client.encryption();
        // The server's list is the truth; keys of devices it lists may be new to this client.
        if let Err(error) = encryption.request_user_identity(&own_user).await {
            tracing::warn!(%error, "could not refresh the account's device keys");
        }
        let known = encryption
            .get_user_devices(&own_user)
            .await
            .map_err(|error| EncryptionError::from_sdk(&error))?;
        let current = client.device_id().map(|id| id.to_string());
        let mut devices: Vec<OwnDevice> = response
            .devices
            .into_iter()
            .map(|device| {
                let device_id = device.device_id.to_string();
                OwnDevice {
                    is_verified: known
                        .get(&device.device_id)
                        .is_some_and(|keys| keys.is_cross_signed_by_owner()),
                    has_encryption: known.get(&device.device_id).is_some(),
                    is_current: current.as_deref() == Some(device_id.as_str()),
                    display_name: device.display_name,
                    last_seen_ms: device.last_seen_ts.map(|ts| u64::from(ts.0)),
                    last_seen_ip: device.last_seen_ip,
                    device_id,
                }
            })
            .collect();
        devices.sort_by(|a, b| {
            b.is_current
                .cmp(&a.is_current)
                .then(b.last_seen_ms.cmp(&a.last_seen_ms))
        });
        Ok(devices)
    }

    pub async fn rename(&self, device_id: &str, name: &str) -> Result<(), EncryptionError> {
        let device_id: &DeviceId = device_id.into();
        self.account
            .client()
            .rename_device(device_id, name.trim())
            .await
            .map_err(|error| EncryptionError::from_http(&error))?;
        Ok(())
    }

    /// Signs other devices out: the server deletes them and their access. The server asks for
    /// the password ([`EncryptionError::PasswordRequired`] without one).
    #[tracing::instrument(skip(self, password), fields(account = %self.account.id()))]
    pub async fn sign_out(
        &self,
        device_ids: &[String],
        password: Option<Zeroizing<String>>,
    ) -> Result<(), EncryptionError> {
        let device_ids: Vec<OwnedDeviceId> = device_ids
            .iter()
            .map(|id| OwnedDeviceId::from(id.as_str()))
            .collect();
        let client = self.account.client();
        let challenge = match client.delete_devices(&device_ids, None).await {
            Ok(_) => return Ok(()),
            Err(error) => match error.as_uiaa_response() {
                Some(challenge) => challenge.clone(),
                None => return Err(EncryptionError::from_http(&error)),
            },
        };
        let password = password.ok_or(EncryptionError::PasswordRequired)?;
        client
            .delete_devices(
                &device_ids,
                Some(self.account.password_auth(&password, &challenge)),
            )
            .await
            .map_err(|error| EncryptionError::from_http(&error))?;
        tracing::info!(count = device_ids.len(), "devices signed out");
        Ok(())
    }
}
