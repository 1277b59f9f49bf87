//! The commands the web UI calls, by domain. Each converts its arguments, calls the core and
//! maps errors; nothing here knows Matrix.

pub mod accounts;
pub mod calls;
pub mod encryption;
pub mod files;
pub mod gestures;
pub mod notifications;
pub mod people;
pub mod profile;
pub mod room_admin;
pub mod rooms;
pub mod system;
pub mod timeline;

use std::sync::Arc;

use estafette_core::{Account, AccountId};

use crate::{error::IpcError, state::AppState};

pub(crate) async fn account(state: &AppState, id: &AccountId) -> Result<Arc<Account>, IpcError> {
    state.wait_until_restored().await?;
    Ok(state.manager.account(id).await?)
}
