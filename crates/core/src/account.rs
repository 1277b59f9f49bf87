//! One signed-in account: its matrix-sdk client, its sync, and the background work that keeps
//! its secrets current. Everything an account can do (rooms, timelines) hangs off [`Account`].

use std::{
    fmt,
    path::{Path, PathBuf},
    sync::Arc,
    time::Duration,
};

use eyeball::SharedObservable;
use matrix_sdk::{
    Client, SessionChange, SqliteStoreConfig, ThreadingSupport,
    encryption::{BackupDownloadStrategy, EncryptionSettings},
    sliding_sync::VersionBuilder,
};
use matrix_sdk_ui::sync_service::SyncService;
use serde::{Deserialize, Serialize};
use tokio::{sync::broadcast::error::RecvError, task::JoinHandle};
use tracing::{info, warn};

use crate::{
    Error, Subscription,
    calls::CallsState,
    notifications::{Alerts, NotificationsState},
    secrets::{AccountKeychain, SessionTokens, StoreKey},
    sync::{self, SyncState},
};

/// The local, random identifier of an account: names its data directory and keychain entries.
/// Random rather than derived from the Matrix ID, so that folder and keychain entry names do not
/// say whose they are. The accounts index does name the user (see `accounts.rs`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
#[serde(transparent)]
pub struct AccountId(pub String);

impl AccountId {
    pub(crate) fn generate() -> Self {
        Self(hex::encode(rand::random::<[u8; 8]>()))
    }
}

impl fmt::Display for AccountId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What is known of an account without its secrets: kept in the accounts index file.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct AccountInfo {
    pub id: AccountId,
    pub user_id: String,
    pub device_id: String,
    pub homeserver_url: String,
    /// Set when the account signed in through an OAuth 2.0 authorization server (next-generation
    /// auth): the client ID it gave Estafette, needed to refresh and restore the session.
    #[serde(default)]
    pub oauth_client_id: Option<String>,
}

/// The files of one account: `<data dir>/accounts/<id>/{store,cache}`.
#[derive(Clone, Debug)]
pub(crate) struct AccountPaths {
    root: PathBuf,
}

impl AccountPaths {
    pub(crate) fn new(data_dir: &Path, id: &AccountId) -> Self {
        Self {
            root: data_dir.join("accounts").join(&id.0),
        }
    }

    pub(crate) fn root(&self) -> &Path {
        &self.root
    }

    /// State and crypto stores: what cannot be rebuilt from the server.
    fn store(&self) -> PathBuf {
        self.root.join("store")
    }

    /// Event and media caches: safe to delete, refilled from the server.
    fn cache(&self) -> PathBuf {
        self.root.join("cache")
    }

    /// Creates the data directory's folders down to this account's stores, each private to
    /// the user (an older install's looser folders are tightened), before the SDK opens them.
    pub(crate) async fn create_private(&self) -> Result<(), Error> {
        let mut folders: Vec<PathBuf> = self
            .root
            .ancestors()
            .take(3)
            .map(Path::to_path_buf)
            .collect();
        folders.reverse();
        folders.extend([self.store(), self.cache()]);
        tokio::task::spawn_blocking(move || {
            folders
                .iter()
                .try_for_each(|folder| crate::private_files::create_dir_all(folder))
        })
        .await
        .map_err(Error::storage)?
        .map_err(Error::storage)
    }

    /// Makes the files the SDK created in the stores private too; SQLite gives their journals
    /// the same mode later.
    pub(crate) async fn restrict_files(&self) -> Result<(), Error> {
        let root = self.root.clone();
        tokio::task::spawn_blocking(move || crate::private_files::restrict_tree(&root))
            .await
            .map_err(Error::storage)?
            .map_err(Error::storage)
    }
}

/// How to reach the homeserver when building a client.
pub(crate) enum Homeserver<'a> {
    /// Discover it (sign-in), and check that it offers Simplified Sliding Sync.
    Discover(&'a str),
    /// The URL saved at sign-in (restore): no request is made, so a restore works offline.
    Known(&'a str),
}

/// The one place a client is built, for sign-in and for restore alike.
pub(crate) async fn build_client(
    homeserver: Homeserver<'_>,
    paths: &AccountPaths,
    store_key: &StoreKey,
) -> Result<Client, matrix_sdk::ClientBuildError> {
    let builder = match homeserver {
        Homeserver::Discover(input) => Client::builder()
            .server_name_or_homeserver_url(input)
            .sliding_sync_version_builder(VersionBuilder::DiscoverNative),
        Homeserver::Known(url) => Client::builder()
            .homeserver_url(url)
            .sliding_sync_version_builder(VersionBuilder::Native),
    };
    builder
        // The key form: the passphrase form runs a slow KDF at every start.
        .sqlite_store_with_config_and_cache_path(
            SqliteStoreConfig::new(paths.store()).key(Some(store_key.bytes())),
            Some(paths.cache()),
        )
        .handle_refresh_tokens()
        // Threads as Element shows them: a summary under the first message (replies counted
        // by the event cache), the replies in the thread's own timeline. Subscriptions to
        // threads (MSC4306) need server support that Synapse does not have yet.
        .with_threading_support(ThreadingSupport::Enabled {
            with_subscriptions: false,
        })
        .with_encryption_settings(EncryptionSettings {
            // Other clients (Element, Tchap) only trust devices signed by the user's identity.
            auto_enable_cross_signing: true,
            backup_download_strategy: BackupDownloadStrategy::AfterDecryptionFailure,
            // Recovery and backup are set up with the user, who must keep the recovery key.
            auto_enable_backups: false,
        })
        .build()
        .await
}

/// A signed-in account. Cheap to share: front ends hold it as `Arc<Account>`.
pub struct Account {
    info: AccountInfo,
    client: Client,
    sync_service: Arc<SyncService>,
    /// Wakes the sync supervisor at once ([`Account::retry_sync`]).
    sync_retry: Arc<tokio::sync::Notify>,
    sync_state: SharedObservable<SyncState>,
    notifications: NotificationsState,
    calls: CallsState,
    tasks: Vec<JoinHandle<()>>,
}

impl fmt::Debug for Account {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Account")
            .field("info", &self.info)
            .finish_non_exhaustive()
    }
}

impl Account {
    /// Sets up sync for a client that is signed in (fresh or restored) and starts it.
    pub(crate) async fn start(
        info: AccountInfo,
        client: Client,
        keychain: AccountKeychain,
    ) -> Result<Self, Error> {
        let sync_service = Arc::new(
            SyncService::builder(client.clone())
                .with_offline_mode()
                .build()
                .await
                .map_err(|error| Error::Sync(error.to_string()))?,
        );
        crate::media::bound_media_cache(&client).await;
        let sync_state = SharedObservable::new(SyncState::Connecting);
        let sync_retry = Arc::new(tokio::sync::Notify::new());
        let alerts = Alerts::new();
        // Before sync starts, so that the handler sees every response.
        let alert_tasks = alerts.start(&client, &sync_state).await;
        let mut tasks = vec![
            tokio::spawn(sync::supervise(
                client.clone(),
                sync_service.clone(),
                sync_state.clone(),
                sync_retry.clone(),
            )),
            tokio::spawn(sync::retry_failed_sends(client.clone())),
            tokio::spawn(save_refreshed_tokens(
                client.clone(),
                keychain.clone(),
                sync_state.clone(),
            )),
        ];
        tasks.extend(alert_tasks);
        // Before sync starts too: a call's events must not be missed.
        let (calls, calls_task) = CallsState::start(&client, &sync_service);
        tasks.push(calls_task);
        // Messages left in the queue by a crash or by a previous offline session go out as
        // soon as the server answers.
        client.send_queue().set_enabled(true).await;
        // Uploads report their progress to the timeline's local echoes.
        client.send_queue().enable_upload_progress(true);
        sync_service.start().await;
        info!(account = %info.id, "account started");
        Ok(Self {
            info,
            client,
            sync_service,
            sync_retry,
            sync_state,
            notifications: NotificationsState::new(alerts),
            calls,
            tasks,
        })
    }

    pub fn info(&self) -> &AccountInfo {
        &self.info
    }

    pub fn id(&self) -> &AccountId {
        &self.info.id
    }

    pub fn user_id(&self) -> &str {
        &self.info.user_id
    }

    pub(crate) fn client(&self) -> &Client {
        &self.client
    }

    pub(crate) fn notifications_state(&self) -> &NotificationsState {
        &self.notifications
    }

    pub(crate) fn calls_state(&self) -> &CallsState {
        &self.calls
    }

    pub(crate) fn sync_service(&self) -> &Arc<SyncService> {
        &self.sync_service
    }

    /// The current sync state, then each change.
    /// Asks the server to email the link that renews this account, once it has expired.
    pub async fn request_renewal_email(&self) -> Result<(), Error> {
        Ok(crate::account_validity::request_renewal_email(&self.client).await?)
    }

    /// Tries to sync again now rather than at the next retry (the account was just renewed).
    pub fn retry_sync(&self) {
        self.sync_retry.notify_one();
    }

    pub fn sync_state(&self) -> Subscription<SyncState> {
        let mut states = self.sync_state.subscribe();
        Subscription::spawn(|sender| async move {
            if !sender.send(states.get()) {
                return;
            }
            while let Some(state) = states.next().await {
                if !sender.send(state) {
                    return;
                }
            }
        })
    }

    pub fn current_sync_state(&self) -> SyncState {
        self.sync_state.get()
    }

    /// Stops syncing and background work; the account's data stays (used on shutdown and
    /// before sign-out).
    pub async fn shut_down(&self) {
        // Stopping waits for in-flight sync requests to wind down, which can take a
        // long-poll's length right after sign-in; an exiting process must not wait for it.
        // Stores are transactional, so an interrupted sync loses nothing.
        if tokio::time::timeout(Duration::from_secs(3), self.sync_service.stop())
            .await
            .is_err()
        {
            warn!(account = %self.info.id, "sync did not stop within 3 s; leaving it");
        }
        for task in &self.tasks {
            task.abort();
        }
    }

    /// Waits, after [`Self::shut_down`], until what sync delivered has been processed. The SDK
    /// saves the sync position with each response, then stores the rooms' events and computes
    /// their latest message in background tasks. A process that exits before those finish
    /// loses the previews of the rooms of its last responses for good: the next process
    /// resumes after them (issue 9). Those tasks report each room they finish; they are done
    /// once they have been quiet for a moment.
    pub(crate) async fn finish_background_processing(&self) {
        const QUIET: Duration = Duration::from_millis(500);
        const LONGEST: Duration = Duration::from_secs(10);
        let mut room_changes = self.client.room_info_notable_update_receiver();
        let mut stored_events = self
            .client
            .event_cache()
            .subscribe_to_room_generic_updates();
        let deadline = tokio::time::Instant::now() + LONGEST;
        loop {
            let next = async {
                // A closed channel means its client is gone: nothing is left to wait for.
                tokio::select! {
                    update = room_changes.recv() => !matches!(update, Err(RecvError::Closed)),
                    update = stored_events.recv() => !matches!(update, Err(RecvError::Closed)),
                }
            };
            match tokio::time::timeout(QUIET, next).await {
                Ok(false) | Err(_) => return,
                Ok(true) if tokio::time::Instant::now() < deadline => {}
                Ok(true) => {
                    warn!(account = %self.info.id, "background processing still busy after 10 s");
                    return;
                }
            }
        }
    }
}

impl Drop for Account {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// Keeps the keychain's tokens equal to the client's after each refresh, so that a restart
/// never restores a spent refresh token; and notices a session revoked by the server.
async fn save_refreshed_tokens(
    client: Client,
    keychain: AccountKeychain,
    sync_state: SharedObservable<SyncState>,
) {
    let mut changes = client.subscribe_to_session_changes();
    loop {
        match changes.recv().await {
            Ok(SessionChange::TokensRefreshed) => {
                let Some(tokens) = client.session_tokens() else {
                    continue;
                };
                let tokens = SessionTokens {
                    access_token: tokens.access_token.clone(),
                    refresh_token: tokens.refresh_token.clone(),
                };
                let keychain = keychain.clone();
                match tokio::task::spawn_blocking(move || keychain.save_tokens(&tokens)).await {
                    Ok(Ok(())) => info!("refreshed tokens saved"),
                    Ok(Err(error)) => warn!(%error, "could not save refreshed tokens"),
                    Err(error) => warn!(%error, "could not save refreshed tokens"),
                }
            }
            Ok(SessionChange::UnknownToken(_)) => {
                warn!("the server no longer accepts this session");
                sync_state.set(SyncState::SessionExpired);
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {}
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}
