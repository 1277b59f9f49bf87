//! What every core integration test needs: a real Synapse, real users signed in through the
//! core with their own data directory and keychain namespace, and ways to wait for the
//! asynchronous world to reach a state.
#![allow(dead_code)] // each test binary uses its own part of these helpers

use std::{future::Future, sync::Arc, time::Duration};

use estafette_core::{
    Account, AccountManager, CoreConfig, ListDiff, SignIn, Subscription,
    room_list::{RoomListQuery, RoomSummary},
    rooms::NewRoom,
    secrets::use_platform_keychain,
    timeline::{RoomTimeline, TimelineItem},
};
pub use estafette_testkit::Homeserver;
use tempfile::TempDir;
use zeroize::Zeroizing;

pub const PASSWORD: &str = "correct horse battery staple";
pub const PATIENCE: Duration = Duration::from_secs(60);

pub fn init() {
    use tracing_subscriber::{layer::SubscriberExt, util::SubscriberInitExt};
    let _ = tracing_subscriber::registry()
        .with(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .with(tracing_subscriber::fmt::layer().with_test_writer())
        // As in the front ends: known harmless SDK events are dropped before anything sees them.
        .with(estafette_core::logging::SdkNoise)
        .with(ErrorLog)
        .try_init();
    use_platform_keychain().expect(
        "these tests use the real Secret Service: run them with `cargo xtask test`, \
         which starts gnome-keyring inside a D-Bus session",
    );
}

/// Every ERROR event logged so far in this test process (each test runs in its own process
/// under nextest), as `target: fields`. A front end would have printed each of them.
pub fn errors_logged() -> Vec<String> {
    ERRORS.lock().expect("not poisoned").clone()
}

static ERRORS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Records ERROR events for [`errors_logged`].
struct ErrorLog;

impl<S: tracing::Subscriber> tracing_subscriber::Layer<S> for ErrorLog {
    fn on_event(
        &self,
        event: &tracing::Event<'_>,
        _context: tracing_subscriber::layer::Context<'_, S>,
    ) {
        if *event.metadata().level() != tracing::Level::ERROR {
            return;
        }
        let mut fields = Fields(String::new());
        event.record(&mut fields);
        ERRORS.lock().expect("not poisoned").push(format!(
            "{}:{}",
            event.metadata().target(),
            fields.0
        ));
    }
}

struct Fields(String);

impl tracing::field::Visit for Fields {
    fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
        use std::fmt::Write;
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

pub async fn start_server() -> Homeserver {
    init();
    Homeserver::start().await.expect("Synapse starts")
}

/// A person with their own Estafette installation: data directory and keychain namespace.
pub struct Device {
    pub manager: AccountManager,
    pub data_dir: TempDir,
}

impl Device {
    pub fn new() -> Self {
        let data_dir = tempfile::tempdir().expect("temporary directory");
        let config = CoreConfig {
            data_dir: data_dir.path().to_owned(),
            keychain_service: format!("estafette-test-{}", rand_suffix()),
            device_display_name: "Estafette test".to_owned(),
        };
        Self {
            manager: AccountManager::new(config),
            data_dir,
        }
    }

    /// The same installation opened again, as a restarted process would.
    pub fn reopen(&self) -> AccountManager {
        AccountManager::new(self.manager.config().clone())
    }

    pub async fn sign_in(&self, hs: &Homeserver, localpart: &str) -> Arc<Account> {
        self.manager
            .sign_in(SignIn {
                homeserver: Some(hs.base_url()),
                username: localpart.to_owned(),
                password: Zeroizing::new(PASSWORD.to_owned()),
            })
            .await
            .unwrap_or_else(|error| panic!("{localpart} signs in: {error}"))
    }
}

fn rand_suffix() -> String {
    use std::time::{SystemTime, UNIX_EPOCH};
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or(0);
    format!("{}-{nanos}", std::process::id())
}

/// Registers `localpart` on the server and signs it in on a new device.
pub async fn new_user(hs: &Homeserver, localpart: &str) -> (Device, Arc<Account>) {
    hs.register_user(localpart, PASSWORD, false)
        .await
        .expect("user registered");
    let device = Device::new();
    let account = device.sign_in(hs, localpart).await;
    (device, account)
}

/// Polls `probe` until it returns `Some`, or fails the test after [`PATIENCE`].
pub async fn eventually<T, F, Fut>(what: &str, probe: F) -> T
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    estafette_testkit::eventually(what, PATIENCE, probe).await
}

/// A front end's copy of a live list, kept by applying the diffs it receives.
pub struct LiveList<T> {
    pub subscription: Subscription<Vec<ListDiff<T>>>,
    pub items: Vec<T>,
    pub batches: Vec<Vec<ListDiff<T>>>,
}

impl<T: Clone + Send + 'static> LiveList<T> {
    pub fn new(subscription: Subscription<Vec<ListDiff<T>>>) -> Self {
        Self {
            subscription,
            items: Vec::new(),
            batches: Vec::new(),
        }
    }

    /// Waits for one update and applies it (the first one is the whole current list).
    pub async fn next_batch(&mut self) {
        let batch = tokio::time::timeout(PATIENCE, self.subscription.next())
            .await
            .expect("an update in time")
            .expect("the subscription is open");
        self.apply(batch);
    }

    /// Applies the updates already waiting, without waiting for more.
    pub fn apply_pending(&mut self) {
        self.apply_pending_checking_each(|_| {});
    }

    /// Applies every pending batch, calling `check` on the list after each one.
    pub fn apply_pending_checking_each(&mut self, mut check: impl FnMut(&[T])) {
        while let Some(batch) = self.subscription.try_next() {
            self.apply(batch);
            check(&self.items);
        }
    }

    fn apply(&mut self, batch: Vec<ListDiff<T>>) {
        self.batches.push(batch.clone());
        for diff in batch {
            assert!(
                diff.apply_to(&mut self.items),
                "a diff did not fit the list"
            );
        }
    }

    /// Applies updates until `condition` holds on the list.
    pub async fn until(&mut self, what: &str, condition: impl Fn(&[T]) -> bool) {
        self.until_or_describe(what, condition, |_| String::new())
            .await;
    }

    /// [`Self::until`], saying what the list held when time ran out.
    pub async fn until_or_describe(
        &mut self,
        what: &str,
        condition: impl Fn(&[T]) -> bool,
        describe: impl Fn(&[T]) -> String,
    ) {
        let started = std::time::Instant::now();
        let deadline = tokio::time::Instant::now() + PATIENCE;
        while !condition(&self.items) {
            match tokio::time::timeout_at(deadline, self.subscription.next()).await {
                Ok(Some(batch)) => self.apply(batch),
                Ok(None) => panic!("the subscription ended before {what}"),
                Err(_) => panic!("timed out waiting for {what}; {}", describe(&self.items)),
            }
        }
        eprintln!("{what}: {:.1} s", started.elapsed().as_secs_f64());
    }
}

pub fn bodies(items: &[TimelineItem]) -> Vec<String> {
    items
        .iter()
        .filter_map(TimelineItem::as_event)
        .map(|event| event.content.summary())
        .collect()
}

/// The timeline shows the start of the room: nothing older is left to load.
pub fn shows_room_start(items: &[TimelineItem]) -> bool {
    matches!(
        items.first().map(|item| &item.kind),
        Some(estafette_core::timeline::TimelineItemKind::TimelineStart)
    )
}

pub async fn open_timeline(
    account: &Account,
    room_id: &str,
) -> (RoomTimeline, LiveList<TimelineItem>) {
    let timeline = eventually("the room to be known", || async {
        account.timeline(room_id).await.ok()
    })
    .await;
    let live = LiveList::new(timeline.subscribe());
    (timeline, live)
}

/// `inviter` opens an encrypted DM with `invitee`, who accepts it. Returns the room ID.
pub async fn encrypted_dm(inviter: &Account, invitee: &Account) -> String {
    let room_id = inviter
        .rooms()
        .create_dm(invitee.user_id())
        .await
        .expect("DM created");
    accept_invite_once_it_arrives(invitee, &room_id).await;
    room_id
}

/// `invitee` waits for the invitation to `room_id`, then accepts it.
pub async fn accept_invite_once_it_arrives(invitee: &Account, room_id: &str) {
    eventually("the invite to arrive", || async {
        invitee
            .rooms()
            .summary(room_id)
            .await
            .filter(|room| room.membership == estafette_core::room_list::Membership::Invited)
    })
    .await;
    invitee
        .rooms()
        .accept_invite(room_id)
        .await
        .expect("invite accepted");
}

pub fn room_names(rooms: &[RoomSummary]) -> Vec<String> {
    rooms.iter().map(|room| room.name.clone()).collect()
}

/// `inviter` creates a group room named `name` (encrypted, the default) inviting `invitee`.
pub async fn room_with_invite(inviter: &Account, name: &str, invitee: &Account) -> String {
    inviter
        .rooms()
        .create_room(NewRoom {
            name: name.to_owned(),
            invite: vec![invitee.user_id().to_owned()],
            ..NewRoom::default()
        })
        .await
        .expect("room created")
}

/// A front end's copy of `account`'s room list under `query`.
pub async fn room_list(account: &Account, query: RoomListQuery) -> LiveList<RoomSummary> {
    LiveList::new(account.rooms().list(query, 100).await.expect("room list").0)
}
