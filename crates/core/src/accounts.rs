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
    Client, SessionMeta,
    authentication::{matrix::MatrixSession, oauth::UserSession},
    ruma::{OwnedDeviceId, OwnedUserId, api::client::session::login},
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
    oauth::{self, NewSession},
    policy::Policy,
    private_files,
    secrets::{AccountKeychain, SecretsError, SessionTokens},
    sso,
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

/// A single sign-on request, from a sign-in form or the CLI.
#[derive(Clone, Debug, Default)]
pub struct SsoSignIn {
    /// Server name or URL; else the one `username` names, else the policy's default.
    pub homeserver: Option<String>,
    /// An email address or Matrix ID, only to find the server.
    pub username: Option<String>,
    /// The identity provider chosen among the server's ([`ServerInfo::sso_providers`]);
    /// `None` lets the server ask.
    pub provider: Option<String>,
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

    /// Tells a sign-in form what the server of `homeserver` (or of the Matrix ID or email
    /// address in `username`, or the policy's default) supports, before asking for a password.
    pub async fn probe_server(
        &self,
        homeserver: Option<&str>,
        username: &str,
    ) -> Result<ServerInfo, Error> {
        let server = self.server_named(homeserver, Some(username)).await?;
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
        let password = request.password;
        self.create_account(&server, async |client: &Client| {
            let server_info = auth::server_info(client, &server).await?;
            if !server_info.supports_password {
                return Err(AuthError::PasswordLoginUnsupported.into());
            }
            client
                .matrix_auth()
                .login_identifier(username.identifier(), &password)
                .initial_device_display_name(&self.config.device_display_name)
                .request_refresh_token()
                .send()
                .await
                .map(new_session)
                .map_err(|error| AuthError::from_sdk(&error, server.display()).into())
        })
        .await
    }

    /// Signs in through the server's single sign-on: `open_browser` is given the address of
    /// the server's sign-in page (the app opens the system browser, the CLI prints it), then
    /// this waits, at most [`sso::SIGN_IN_TIME`], for the browser to come back. Dropping the
    /// future gives the sign-in up and leaves nothing: single sign-on stores nothing before
    /// the browser came back, and what an OAuth 2.0 sign-in created for it is removed.
    /// A server whose accounts live at an OAuth 2.0 authorization server signs in there
    /// ([`oauth`]); otherwise through its single sign-on, with `request.provider`.
    #[instrument(skip_all, fields(provider = ?request.provider))]
    pub async fn sign_in_with_sso(
        &self,
        request: SsoSignIn,
        open_browser: impl FnOnce(&str) -> Result<(), String>,
    ) -> Result<Arc<Account>, Error> {
        let server = self
            .server_named(request.homeserver.as_deref(), request.username.as_deref())
            .await?;
        let client = auth::discover(&server).await?;
        let server_info = auth::server_info(&client, &server).await?;
        if !server_info.supports_sso && !server_info.supports_oauth {
            return Err(AuthError::SsoUnsupported.into());
        }
        if !server_info.supports_sliding_sync {
            return Err(AuthError::NoSlidingSync.into());
        }
        if server_info.supports_oauth {
            // The server's accounts live at an authorization server: the client that waits
            // for the browser is the account's own, since the SDK activates its session.
            return self
                .create_account(&server, async |client: &Client| {
                    oauth::sign_in(client, server.display(), open_browser).await
                })
                .await;
        }
        let redirect = sso::LoopbackRedirect::bind().await?;
        let address = client
            .matrix_auth()
            .get_sso_login_url(redirect.url(), request.provider.as_deref())
            .await
            .map_err(|error| AuthError::from_sdk(&error, server.display()))?;
        open_browser(&address).map_err(AuthError::BrowserFailed)?;
        let token = redirect.login_token(sso::SIGN_IN_TIME).await?;
        info!("the browser came back from single sign-on");
        self.create_account(&server, async |client: &Client| {
            client
                .matrix_auth()
                .login_token(&token)
                .initial_device_display_name(&self.config.device_display_name)
                .request_refresh_token()
                .send()
                .await
                .map(new_session)
                .map_err(
                    |error| match AuthError::from_sdk(&error, server.display()) {
                        AuthError::WrongCredentials => AuthError::SsoRefused.into(),
                        other => other.into(),
                    },
                )
        })
        .await
    }

    /// The server named, else the one the person's email address or Matrix ID names, else
    /// the policy's default; always one the policy allows. `username` may be empty.
    async fn server_named(
        &self,
        homeserver: Option<&str>,
        username: Option<&str>,
    ) -> Result<ServerAddress, Error> {
        let username = username
            .map(str::trim)
            .filter(|text| !text.is_empty())
            .map(Username::parse)
            .transpose()?
            // Only used to find a server: a bare localpart names none.
            .unwrap_or_else(|| Username::Localpart(String::new()));
        Ok(auth::server_for(homeserver, &username, &self.policy).await?)
    }

    /// Creates the account's keychain entries and store, signs in with `login` on its new
    /// client, records it and starts its sync. Nothing is left behind when it fails, nor when
    /// the future is dropped half-way (a sign-in given up while the browser is open).
    async fn create_account(
        &self,
        server: &ServerAddress,
        login: impl AsyncFnOnce(&Client) -> Result<NewSession, Error>,
    ) -> Result<Arc<Account>, Error> {
        let id = AccountId::generate();
        let keychain = self.keychain(&id);
        let paths = AccountPaths::new(&self.config.data_dir, &id);
        let mut half_done = HalfDoneSignIn {
            id: id.clone(),
            keychain: keychain.clone(),
            paths: paths.clone(),
            index: self.index_path(),
            done: false,
        };
        let result = self
            .create_account_as(&id, server, login, &keychain, &paths)
            .await;
        if result.is_err() {
            half_done.undo().await;
        }
        half_done.done = true;
        let account = Arc::new(result?);
        self.accounts.lock().await.insert(id, account.clone());
        Ok(account)
    }

    async fn create_account_as(
        &self,
        id: &AccountId,
        server: &ServerAddress,
        login: impl AsyncFnOnce(&Client) -> Result<NewSession, Error>,
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
        // A server's `.well-known` may point at plain HTTP: refused before any secret goes.
        if auth::sends_in_clear(&client.homeserver()) {
            return Err(AuthError::InsecureServer(server.display().to_owned()).into());
        }
        let session = login(&client).await?;
        let tokens = SessionTokens {
            access_token: session.access_token.clone(),
            refresh_token: session.refresh_token.clone(),
        };
        blocking(keychain.clone(), move |keychain| {
            keychain.save_tokens(&tokens)
        })
        .await?;
        let info = AccountInfo {
            id: id.clone(),
            user_id: session.user_id,
            device_id: session.device_id,
            homeserver_url: client.homeserver().to_string(),
            oauth_client_id: session.oauth_client_id,
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
        let meta = SessionMeta { user_id, device_id };
        let tokens = matrix_sdk::SessionTokens {
            access_token: tokens.access_token.clone(),
            refresh_token: tokens.refresh_token.clone(),
        };
        let restored = match &info.oauth_client_id {
            Some(client_id) => {
                oauth::restore(&client, client_id, UserSession { meta, tokens }).await
            }
            None => {
                client
                    .matrix_auth()
                    .restore_session(MatrixSession { meta, tokens }, RoomLoadSettings::default())
                    .await
            }
        };
        restored.map_err(|error| Error::Storage(error.to_string()))?;
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
        read_index(&self.index_path()).await
    }

    async fn update_index(&self, change: impl FnOnce(&mut Vec<AccountInfo>)) -> Result<(), Error> {
        update_index(&self.index_path(), change).await
    }

    /// Saved accounts as listed in the index (restored or not).
    pub async fn saved_accounts(&self) -> Result<Vec<AccountInfo>, Error> {
        self.read_index().await
    }
}

async fn read_index(path: &Path) -> Result<Vec<AccountInfo>, Error> {
    match tokio::fs::read(path).await {
        Ok(bytes) => serde_json::from_slice(&bytes).map_err(Error::storage),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Vec::new()),
        Err(error) => Err(Error::storage(error)),
    }
}

/// Read-modify-write of the index, replaced atomically so a crash never truncates it.
async fn update_index(
    path: &Path,
    change: impl FnOnce(&mut Vec<AccountInfo>),
) -> Result<(), Error> {
    // One writer at a time in this process: signing two accounts in or out at once must
    // not lose an entry.
    static INDEX_LOCK: Mutex<()> = Mutex::const_new(());
    let _guard = INDEX_LOCK.lock().await;
    let mut index = read_index(path).await?;
    change(&mut index);
    write_atomically(
        path,
        &serde_json::to_vec_pretty(&index).map_err(Error::storage)?,
    )
    .await
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

/// What a sign-in is: its session, as the server's login answered.
fn new_session(response: login::v3::Response) -> NewSession {
    NewSession {
        user_id: response.user_id.to_string(),
        device_id: response.device_id.to_string(),
        access_token: response.access_token,
        refresh_token: response.refresh_token,
        oauth_client_id: None,
    }
}

/// What a sign-in under way has created: undone if it fails, or if its future is dropped
/// (given up while the browser was open, or while the account starts), in the background.
struct HalfDoneSignIn {
    id: AccountId,
    keychain: AccountKeychain,
    paths: AccountPaths,
    index: PathBuf,
    done: bool,
}

impl HalfDoneSignIn {
    /// Removes the account's keychain entries, data and index entry.
    async fn undo(&mut self) {
        self.done = true;
        undo_sign_in(&self.id, &self.keychain, &self.paths, &self.index).await;
    }
}

impl Drop for HalfDoneSignIn {
    fn drop(&mut self) {
        if self.done {
            return;
        }
        if let Ok(runtime) = tokio::runtime::Handle::try_current() {
            let (id, keychain, paths, index) = (
                self.id.clone(),
                self.keychain.clone(),
                self.paths.clone(),
                self.index.clone(),
            );
            runtime.spawn(async move { undo_sign_in(&id, &keychain, &paths, &index).await });
        }
    }
}

async fn undo_sign_in(
    id: &AccountId,
    keychain: &AccountKeychain,
    paths: &AccountPaths,
    index: &Path,
) {
    forget_local_data(keychain, paths).await;
    if let Err(error) = update_index(index, |index| index.retain(|info| &info.id != id)).await {
        warn!(%error, "could not remove a failed sign-in from the index");
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
