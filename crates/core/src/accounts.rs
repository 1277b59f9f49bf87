//! The accounts of this machine's user: several can be signed in at once (a ministry account
//! and a second one), each with its own data directory and keychain entries.
//!
//! The index file (`accounts.json`) lists them without any secret, so that every account can
//! be rebuilt at start from the keychain and its stores, without the network. It names each
//! account's Matrix ID and server on purpose: an account whose keychain is locked or whose
//! store is broken must still be shown by name, with "Retry" and "Sign out", rather than
//! dropped. It is readable by the user only (`0600` in a `0700` data directory).

use std::{
    collections::BTreeMap,
    fmt,
    path::{Path, PathBuf},
    sync::Arc,
};

use matrix_sdk::{
    SessionMeta,
    authentication::matrix::MatrixSession,
    ruma::{OwnedDeviceId, OwnedUserId},
    store::RoomLoadSettings,
};
use serde::Serialize;
use tokio::sync::Mutex;
use tracing::{info, instrument, warn};
use zeroize::Zeroizing;

use crate::{
    Account, AccountId, AccountInfo, Code, Error, ErrorCode,
    account::{AccountPaths, Homeserver, build_client},
    auth::{self, AuthError, ServerAddress, ServerInfo, Username},
    policy::Policy,
    private_files,
    secrets::{AccountKeychain, SecretsError, SessionTokens},
};

/// Where accounts live and how they present themselves.
#[derive(Clone, Debug)]
pub struct CoreConfig {
    /// Root of all local data; each account gets `accounts/<id>/` below it.
    pub data_dir: PathBuf,
    /// Keychain service name under which accounts' secrets are stored.
    pub keychain_service: String,
    /// Name of new devices, as shown in other clients' device lists.
    pub device_display_name: String,
}

impl CoreConfig {
    /// The platform's data directory (`~/.local/share/estafette` on Linux), the `estafette`
    /// keychain service, and a device name saying where the session comes from.
    pub fn platform_default() -> Result<Self, Error> {
        let data_dir = dirs::data_dir()
            .ok_or_else(|| Error::Storage("this system has no data directory".to_owned()))?
            .join("estafette");
        Ok(Self {
            data_dir,
            keychain_service: "estafette".to_owned(),
            device_display_name: "Estafette".to_owned(),
        })
    }
}

/// A password sign-in request, as typed in a sign-in form.
pub struct SignIn {
    /// Server name or URL; may be omitted when the username is a full Matrix ID.
    pub homeserver: Option<String>,
    /// `alice` or `@alice:example.org`.
    pub username: String,
    pub password: Zeroizing<String>,
}

impl fmt::Debug for SignIn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignIn")
            .field("homeserver", &self.homeserver)
            .field("username", &self.username)
            .field("password", &"<redacted>")
            .finish()
    }
}

/// Holds every signed-in account of this process.
#[derive(Debug)]
pub struct AccountManager {
    config: CoreConfig,
    accounts: Mutex<BTreeMap<AccountId, Arc<Account>>>,
    /// One restore at a time: two at once (a "Retry" clicked twice) would open one store twice.
    restoring: Mutex<()>,
    /// Why each saved account that is not open failed to restore, the last time it was tried.
    restore_failures: Mutex<BTreeMap<AccountId, (Code, String)>>,
    /// What the administrator fixed for sign-ins on this machine.
    policy: Policy,
}

/// A saved account that could not be opened (a locked keychain, a damaged store), and why:
/// shown with "Retry" and "Sign out", never dropped.
#[derive(Clone, Debug, Serialize)]
#[cfg_attr(feature = "specta", derive(specta::Type))]
pub struct UnrestoredAccount {
    pub info: AccountInfo,
    pub code: Code,
    pub message: String,
}

impl AccountManager {
    pub fn new(config: CoreConfig) -> Self {
        Self {
            config,
            accounts: Mutex::new(BTreeMap::new()),
            restoring: Mutex::new(()),
            restore_failures: Mutex::new(BTreeMap::new()),
            policy: Policy::default(),
        }
    }

    /// Sign-ins follow the administrator's `policy` (allowed servers, email lookup).
    pub fn with_policy(mut self, policy: Policy) -> Self {
        self.policy = policy;
        self
    }

    pub fn policy(&self) -> &Policy {
        &self.policy
    }

    pub fn config(&self) -> &CoreConfig {
        &self.config
    }

    fn index_path(&self) -> PathBuf {
        self.config.data_dir.join("accounts.json")
    }

    fn keychain(&self, id: &AccountId) -> AccountKeychain {
        AccountKeychain::new(&self.config.keychain_service, &id.0)
    }

    /// Tells a sign-in form what the server of `homeserver` (or of the Matrix ID in
    /// `username`) supports, before asking for a password.
    pub async fn probe_server(
        &self,
        homeserver: Option<&str>,
        username: &str,
    ) -> Result<ServerInfo, Error> {
        let username = Username::parse(username)?;
        let server = auth::server_for(homeserver, &username, &self.policy).await?;
        Ok(auth::probe(&server).await?)
    }

    /// Signs in with a password, creating the account's keychain entries and store, and starts
    /// its sync. Nothing is left behind when it fails.
    #[instrument(skip_all, fields(username = %request.username))]
    pub async fn sign_in(&self, request: SignIn) -> Result<Arc<Account>, Error> {
        if self.policy.sso_only {
            return Err(AuthError::PasswordSignInDisabled.into());
        }
        let username = Username::parse(&request.username)?;
        let server =
            auth::server_for(request.homeserver.as_deref(), &username, &self.policy).await?;
        let id = AccountId::generate();
        let keychain = self.keychain(&id);
        let paths = AccountPaths::new(&self.config.data_dir, &id);
        let result = self
            .sign_in_as(
                &id,
                &server,
                &username,
                &request.password,
                &keychain,
                &paths,
            )
            .await;
        if result.is_err() {
            forget_local_data(&keychain, &paths).await;
        }
        let account = Arc::new(result?);
        self.accounts.lock().await.insert(id, account.clone());
        Ok(account)
    }

    async fn sign_in_as(
        &self,
        id: &AccountId,
        server: &ServerAddress,
        username: &Username,
        password: &str,
        keychain: &AccountKeychain,
        paths: &AccountPaths,
    ) -> Result<Account, Error> {
        // The keychain first: without one there must be no session to lose.
        let store_key = blocking(keychain.clone(), |keychain| keychain.create_store_key()).await?;
        paths.create_private().await?;
        let client = build_client(
            Homeserver::Discover(server.discovery_input()),
            paths,
            &store_key,
        )
        .await
        .map_err(|error| AuthError::from_client_build(&error, server.display()))?;
        paths.restrict_files().await?;
        // A server's `.well-known` may point at plain HTTP: refused before the password goes.
        if auth::sends_in_clear(&client.homeserver()) {
            return Err(AuthError::InsecureServer(server.display().to_owned()).into());
        }
        let server_info = auth::server_info(&client, server).await?;
        if !server_info.supports_password {
            return Err(AuthError::PasswordLoginUnsupported.into());
        }
        let response = client
            .matrix_auth()
            .login_identifier(username.identifier(), password)
            .initial_device_display_name(&self.config.device_display_name)
            .request_refresh_token()
            .send()
            .await
            .map_err(|error| AuthError::from_sdk(&error, server.display()))?;
        let tokens = SessionTokens {
            access_token: response.access_token.clone(),
            refresh_token: response.refresh_token.clone(),
        };
        blocking(keychain.clone(), move |keychain| {
            keychain.save_tokens(&tokens)
        })
        .await?;
        let info = AccountInfo {
            id: id.clone(),
            user_id: response.user_id.to_string(),
            device_id: response.device_id.to_string(),
            homeserver_url: client.homeserver().to_string(),
        };
        self.update_index(|index| index.push(info.clone())).await?;
        info!(account = %id, "signed in");
        Account::start(info, client, keychain.clone()).await
    }

    /// Rebuilds every saved account from its keychain entries and store, without the network;
    /// sync then resumes in the background. An account that cannot be restored is reported
    /// and left in the index, so that a locked keychain does not lose it.
    pub async fn restore_all(
        &self,
    ) -> Result<Vec<(AccountInfo, Result<Arc<Account>, Error>)>, Error> {
        let mut results = Vec::new();
        for info in self.read_index().await? {
            let restored = self.restore_saved(&info).await;
            results.push((info, restored));
        }
        Ok(results)
    }

    /// Tries again to restore one saved account (once its keychain is unlocked, say).
    pub async fn restore_one(&self, id: &AccountId) -> Result<Arc<Account>, Error> {
        let info = self
            .read_index()
            .await?
            .into_iter()
            .find(|info| &info.id == id)
            .ok_or_else(|| Error::AccountNotFound(id.0.clone()))?;
        self.restore_saved(&info).await
    }

    async fn restore_saved(&self, info: &AccountInfo) -> Result<Arc<Account>, Error> {
        let _one_at_a_time = self.restoring.lock().await;
        if let Some(account) = self.accounts.lock().await.get(&info.id) {
            return Ok(account.clone());
        }
        match self.restore(info).await {
            Ok(account) => {
                let account = Arc::new(account);
                self.restore_failures.lock().await.remove(&info.id);
                self.accounts
                    .lock()
                    .await
                    .insert(info.id.clone(), account.clone());
                Ok(account)
            }
            Err(error) => {
                warn!(account = %info.id, %error, "could not restore account");
                self.restore_failures
                    .lock()
                    .await
                    .insert(info.id.clone(), (error.code(), error.to_string()));
                Err(error)
            }
        }
    }

    /// The saved accounts that failed to restore and are still not open, with why.
    pub async fn unrestored(&self) -> Result<Vec<UnrestoredAccount>, Error> {
        let failures = self.restore_failures.lock().await.clone();
        let open = self.accounts.lock().await;
        Ok(self
            .read_index()
            .await?
            .into_iter()
            .filter(|info| !open.contains_key(&info.id))
            .filter_map(|info| {
                let (code, message) = failures.get(&info.id)?.clone();
                Some(UnrestoredAccount {
                    info,
                    code,
                    message,
                })
            })
            .collect())
    }

    #[instrument(skip_all, fields(account = %info.id))]
    async fn restore(&self, info: &AccountInfo) -> Result<Account, Error> {
        let keychain = self.keychain(&info.id);
        let paths = AccountPaths::new(&self.config.data_dir, &info.id);
        let (store_key, tokens) = blocking(keychain.clone(), |keychain| {
            Ok((keychain.store_key()?, keychain.tokens()?))
        })
        .await?;
        paths.create_private().await?;
        let client = build_client(Homeserver::Known(&info.homeserver_url), &paths, &store_key)
            .await
            .map_err(|error| AuthError::from_client_build(&error, &info.homeserver_url))?;
        paths.restrict_files().await?;
        let user_id: OwnedUserId = info
            .user_id
            .parse()
            .map_err(|_| Error::Storage("bad user ID in index".to_owned()))?;
        let device_id: OwnedDeviceId = info.device_id.as_str().into();
        let session = MatrixSession {
            meta: SessionMeta { user_id, device_id },
            tokens: matrix_sdk::SessionTokens {
                access_token: tokens.access_token.clone(),
                refresh_token: tokens.refresh_token.clone(),
            },
        };
        client
            .matrix_auth()
            .restore_session(session, RoomLoadSettings::default())
            .await
            .map_err(|error| Error::Storage(error.to_string()))?;
        Account::start(info.clone(), client, keychain).await
    }

    /// The accounts signed in in this process.
    pub async fn accounts(&self) -> Vec<Arc<Account>> {
        self.accounts.lock().await.values().cloned().collect()
    }

    pub async fn account(&self, id: &AccountId) -> Result<Arc<Account>, Error> {
        self.accounts
            .lock()
            .await
            .get(id)
            .cloned()
            .ok_or_else(|| Error::AccountNotFound(id.0.clone()))
    }

    /// Signs out at the server, then wipes the account's data directory and keychain entries.
    /// The local wipe happens even when the server cannot be reached: the user asked for this
    /// machine to forget the account.
    #[instrument(skip(self))]
    pub async fn sign_out(&self, id: &AccountId) -> Result<(), Error> {
        let account = self.accounts.lock().await.remove(id);
        let server_result =
            match &account {
                Some(account) => {
                    account.shut_down().await;
                    account.client().logout().await.map_err(|error| {
                        AuthError::from_sdk(&error, &account.info().homeserver_url)
                    })
                }
                None => Ok(()),
            };
        if let Err(error) = &server_result {
            warn!(%error, "server sign-out failed; forgetting the account locally anyway");
        }
        drop(account);
        self.update_index(|index| index.retain(|info| &info.id != id))
            .await?;
        let keychain = self.keychain(id);
        let paths = AccountPaths::new(&self.config.data_dir, id);
        blocking(keychain, |keychain| keychain.delete_all()).await?;
        remove_dir(paths.root()).await?;
        info!("signed out");
        Ok(())
    }

    /// Stops every account's sync and lets the SDK finish processing what it brought (on
    /// application exit); their data stays.
    pub async fn shut_down(&self) {
        let accounts = self.accounts.lock().await;
        for account in accounts.values() {
            account.shut_down().await;
        }
        // The process is about to end: let the SDK finish what sync brought, every account at
        // once. A sign-out skips this, as it deletes that data anyway.
        futures_util::future::join_all(
            accounts
                .values()
                .map(|account| account.finish_background_processing()),
        )
        .await;
    }

    async fn read_index(&self) -> Result<Vec<AccountInfo>, Error> {
        match tokio::fs::read(self.index_path()).await {
            Ok(bytes) => serde_json::from_slice(&bytes).map_err(Error::storage),
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
            Err(error) => Err(Error::storage(error)),
        }
    }

    /// Read-modify-write of the index, replaced atomically so a crash never truncates it.
    async fn update_index(&self, change: impl FnOnce(&mut Vec<AccountInfo>)) -> Result<(), Error> {
        // One writer at a time in this process: signing two accounts in or out at once must
        // not lose an entry.
        static INDEX_LOCK: Mutex<()> = Mutex::const_new(());
        let _guard = INDEX_LOCK.lock().await;
        let mut index = self.read_index().await?;
        change(&mut index);
        let path = self.index_path();
        write_atomically(
            &path,
            &serde_json::to_vec_pretty(&index).map_err(Error::storage)?,
        )
        .await
    }

    /// Saved accounts as listed in the index (restored or not).
    pub async fn saved_accounts(&self) -> Result<Vec<AccountInfo>, Error> {
        self.read_index().await
    }
}

/// Replaces the file at once (a crash never truncates it), private to the user like the data
/// directory that holds it.
async fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let path = path.to_owned();
    let bytes = bytes.to_vec();
    tokio::task::spawn_blocking(move || {
        let directory = path
            .parent()
            .ok_or_else(|| std::io::Error::other("no parent directory"))?;
        private_files::create_dir_all(directory)?;
        private_files::replace(&path, &bytes)
    })
    .await
    .map_err(Error::storage)?
    .map_err(Error::storage)
}

async fn remove_dir(path: &Path) -> Result<(), Error> {
    match tokio::fs::remove_dir_all(path).await {
        Ok(()) => Ok(()),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(Error::storage(error)),
    }
}

/// Undoes a half-done sign-in.
async fn forget_local_data(keychain: &AccountKeychain, paths: &AccountPaths) {
    if let Err(error) = blocking(keychain.clone(), |keychain| keychain.delete_all()).await {
        warn!(%error, "could not remove the keychain entries of a failed sign-in");
    }
    if let Err(error) = remove_dir(paths.root()).await {
        warn!(%error, "could not remove the data of a failed sign-in");
    }
}

/// Runs a keychain call off the async workers: keychains block (D-Bus, system dialogs).
async fn blocking<T: Send + 'static>(
    keychain: AccountKeychain,
    call: impl FnOnce(&AccountKeychain) -> Result<T, SecretsError> + Send + 'static,
) -> Result<T, Error> {
    tokio::task::spawn_blocking(move || call(&keychain))
        .await
        .map_err(|error| SecretsError::Failed(error.to_string()))?
        .map_err(Error::from)
}
