//! The other person in a conversation: a real Estafette core client with its own data
//! directory and keychain namespace, signed in to the same Synapse.

use std::sync::Arc;

use estafette_core::{
    Account, AccountManager, CoreConfig, SignIn, Zeroizing,
    timeline::{EventContent, RoomTimeline, TimelineItemKind},
};
use estafette_testkit::Homeserver;

use crate::PATIENCE;

pub const PASSWORD: &str = "correct horse battery staple";

#[derive(Debug)]
pub struct Party {
    pub account: Arc<Account>,
    _manager: AccountManager,
    _data_dir: tempfile::TempDir,
}

impl Party {
    /// Registers `localpart` and signs it in through the core.
    pub async fn new(server: &Homeserver, localpart: &str) -> Self {
        server
            .register_user(localpart, PASSWORD, false)
            .await
            .expect("user registered");
        Self::sign_in(server, localpart).await
    }

    /// Signs an existing user in on a new device of their own (data directory, keychain).
    pub async fn sign_in(server: &Homeserver, localpart: &str) -> Self {
        estafette_core::secrets::use_platform_keychain()
            .expect("the real Secret Service: run under `cargo xtask test`");
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let manager = AccountManager::new(CoreConfig {
            data_dir: data_dir.path().to_owned(),
            keychain_service: format!(
                "estafette-e2e-party-{localpart}-{}-{}",
                std::process::id(),
                data_dir.path().display()
            ),
            device_display_name: format!("{localpart}'s test client"),
        });
        let account = manager
            .sign_in(SignIn {
                homeserver: Some(server.base_url()),
                username: localpart.to_owned(),
                password: Zeroizing::new(PASSWORD.to_owned()),
            })
            .await
            .unwrap_or_else(|error| panic!("{localpart} signs in: {error}"));
        Self {
            account,
            _manager: manager,
            _data_dir: data_dir,
        }
    }

    pub async fn timeline(&self, room_id: &str) -> RoomTimeline {
        eventually("the room to be known", || async {
            self.account.timeline(room_id).await.ok()
        })
        .await
    }

    /// Waits until `user_id` has joined `room_id`, as this client sees it.
    pub async fn wait_for_member(&self, room_id: &str, user_id: &str) {
        let timeline = self.timeline(room_id).await;
        eventually("the other person to join", || async {
            let joined = timeline.items().await.iter().any(|item| {
                matches!(&item.kind, TimelineItemKind::Event(event)
                    if matches!(&event.content, EventContent::StateChange(
                        estafette_core::timeline::StateChange::Membership { user, .. }
                    ) if user.user_id == user_id))
            });
            joined.then_some(())
        })
        .await;
    }

    /// Waits until this client knows a device of `user_id`: only then are messages it sends
    /// encrypted for that person (device lists arrive on their own sync loop).
    pub async fn wait_for_device_of(&self, user_id: &str) {
        eventually("a device of the other person", || async {
            let devices = self.account.devices().of_user(user_id).await.ok()?;
            (!devices.is_empty()).then_some(())
        })
        .await;
    }

    /// Waits for a decrypted text message with this body.
    pub async fn wait_for_text(&self, room_id: &str, body: &str) {
        let timeline = self.timeline(room_id).await;
        eventually(&format!("the message {body:?}"), || async {
            let found = timeline.items().await.iter().any(|item| {
                matches!(&item.kind, TimelineItemKind::Event(event)
                    if matches!(&event.content, EventContent::Text { body: text, .. } if text == body))
            });
            found.then_some(())
        })
        .await;
    }
}

/// Polls `probe` until it returns `Some`, or fails after [`PATIENCE`].
pub async fn eventually<T, F, Fut>(what: &str, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    estafette_testkit::eventually(what, PATIENCE, probe).await
}
