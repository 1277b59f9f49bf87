//! The devices of a user as this account's encryption knows them: what end-to-end encrypted
//! messages are encrypted for.

use matrix_sdk::ruma::UserId;
use serde::Serialize;

use crate::{Account, rooms::RoomError};

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct DeviceSummary {
    pub device_id: String,
    pub display_name: Option<String>,
    pub is_verified: bool,
}

impl Account {
    /// `user_id`'s devices, asked of the server now. A device unknown to this account does not
    /// receive the keys of messages sent to it; asking refreshes what the account knows when
    /// the server's device-list notice has not arrived yet.
    pub async fn devices_of(&self, user_id: &str) -> Result<Vec<DeviceSummary>, RoomError> {
        let user_id = UserId::parse(user_id.trim())
            .map_err(|_| RoomError::InvalidUserId(user_id.to_owned()))?;
        let encryption = self.client().encryption();
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
