//! `cargo xtask bench core`: how fast the core gets a 500-room account on screen.
//!
//! Against a real Synapse seeded once with 500 encrypted rooms of 20 messages (plus one room of
//! 200 for the timeline figure), cached as a copy of the server's data: seeding is bound by
//! the server (minutes), measuring by the client (seconds). Measures sign-in to the complete
//! room list, restore to the room list with the server stopped, opening a room to its first
//! 50 items, and peak RSS. Prints a table; writes `bench-results/core.json`.
#![recursion_limit = "256"]

mod support;

use std::{
    path::PathBuf,
    sync::Arc,
    time::{Duration, Instant},
};

use estafette_core::{
    Account, AccountManager, CoreConfig, SignIn,
    room_list::{RoomListQuery, RoomSummary},
    rooms::NewRoom,
    secrets::use_platform_keychain,
    sync::SyncState,
    timeline::{SendState, TimelineItem},
};
use estafette_testkit::{Homeserver, RegisteredUser, cache_root};
use futures_util::{StreamExt, stream};
use serde_json::json;
use support::{BenchResult, fail, memory_kib, run_bench, unix_time, write_results};
use tempfile::TempDir;
use zeroize::Zeroizing;

const ROOMS: usize = 500;
const MESSAGES_PER_ROOM: usize = 20;
const BIG_ROOM_MESSAGES: usize = 200;
const PASSWORD: &str = "bench-password";
const RUNS: usize = 3;
const SEED_VERSION: u32 = 1;

fn main() {
    run_bench(run());
}

async fn run() -> BenchResult<()> {
    use_platform_keychain().map_err(fail)?;
    let seeded = seeded_server_dir().await?;
    let work = tempfile::tempdir().map_err(fail)?;
    let server_dir = work.path().join("server");
    let mut hs = Homeserver::start_copy_of(&seeded, &server_dir)
        .await
        .map_err(fail)?;
    let big_room = std::fs::read_to_string(seeded.join("big-room")).map_err(fail)?;

    let mut sign_in = Vec::new();
    let mut last_device = None;
    for _ in 0..RUNS {
        let device = Device::new()?;
        let started = Instant::now();
        let account = device.sign_in(&hs).await?;
        let mut rooms = RoomWatch::new(&account).await?;
        rooms.until_complete(&account).await?;
        sign_in.push(started.elapsed());
        device.manager.shut_down().await;
        drop((rooms, account));
        last_device = Some(device);
    }
    let device = last_device.ok_or("no run")?;

    hs.stop().await.map_err(fail)?;
    let mut restore = Vec::new();
    for _ in 0..RUNS {
        let manager = AccountManager::new(device.config.clone());
        let started = Instant::now();
        let account = restored(&manager).await?;
        let mut rooms = RoomWatch::new(&account).await?;
        rooms.until_count(ROOMS).await?;
        restore.push(started.elapsed());
        manager.shut_down().await;
    }

    hs.restart().await.map_err(fail)?;
    let manager = AccountManager::new(device.config.clone());
    let account = restored(&manager).await?;
    let mut open_room = Vec::new();
    for _ in 0..RUNS {
        let started = Instant::now();
        let count = first_items(&account, &big_room, 50).await?;
        open_room.push(started.elapsed());
        if count < 50 {
            return Err(format!("only {count} items in the big room"));
        }
    }
    let rss = memory_kib("VmRSS:");
    let peak = memory_kib("VmHWM:");
    manager.shut_down().await;

    report(
        &[
            ("sign-in → complete room list (500 rooms)", &sign_in),
            ("restore → room list, server stopped", &restore),
            (
                "open a room → first 50 items (1st: from server)",
                &open_room,
            ),
        ],
        rss,
        peak,
    )
}

/// One installation: data directory and keychain namespace.
struct Device {
    manager: AccountManager,
    config: CoreConfig,
    _data: TempDir,
}

impl Device {
    fn new() -> BenchResult<Self> {
        let data = tempfile::tempdir().map_err(fail)?;
        let config = CoreConfig {
            data_dir: data.path().to_owned(),
            keychain_service: format!("estafette-bench-{}-{}", std::process::id(), rand_suffix()),
            device_display_name: "Estafette bench".to_owned(),
        };
        Ok(Self {
            manager: AccountManager::new(config.clone()),
            config,
            _data: data,
        })
    }

    async fn sign_in(&self, hs: &Homeserver) -> BenchResult<Arc<Account>> {
        self.manager
            .sign_in(SignIn {
                homeserver: Some(hs.base_url()),
                username: "alice".to_owned(),
                password: Zeroizing::new(PASSWORD.to_owned()),
            })
            .await
            .map_err(fail)
    }
}

fn rand_suffix() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_nanos())
        .unwrap_or(0)
}

async fn restored(manager: &AccountManager) -> BenchResult<Arc<Account>> {
    let mut restored = manager.restore_all().await.map_err(fail)?;
    match restored.pop() {
        Some((_, account)) => account.map_err(fail),
        None => Err("nothing to restore".to_owned()),
    }
}

/// A front end's copy of the room list.
struct RoomWatch {
    updates: estafette_core::Subscription<estafette_core::room_list::RoomListUpdate>,
    rooms: Vec<RoomSummary>,
}

impl RoomWatch {
    async fn new(account: &Account) -> BenchResult<Self> {
        let (updates, _controller) = account
            .rooms()
            .list(RoomListQuery::default(), ROOMS + 10)
            .await
            .map_err(fail)?;
        Ok(Self {
            updates,
            rooms: Vec::new(),
        })
    }

    async fn next(&mut self) -> BenchResult<()> {
        let batch = tokio::time::timeout(Duration::from_secs(300), self.updates.next())
            .await
            .map_err(|_| "timed out waiting for the room list".to_owned())?
            .ok_or("the room list ended")?;
        for diff in batch {
            diff.apply_to(&mut self.rooms);
        }
        Ok(())
    }

    async fn until_count(&mut self, count: usize) -> BenchResult<()> {
        while self.rooms.len() < count {
            self.next().await?;
        }
        Ok(())
    }

    /// All rooms listed and sync caught up. (Not "every preview shown": a new device cannot
    /// decrypt history sent before it existed, and undecryptable events make no preview.)
    async fn until_complete(&mut self, account: &Account) -> BenchResult<()> {
        let mut states = account.sync_state();
        loop {
            let complete = self.rooms.len() >= ROOMS;
            if complete && account.current_sync_state() == SyncState::UpToDate {
                return Ok(());
            }
            tokio::select! {
                result = self.next() => result?,
                _ = states.next() => {}
            }
        }
    }
}

async fn first_items(account: &Account, room_id: &str, wanted: usize) -> BenchResult<usize> {
    let timeline = account.timeline(room_id).await.map_err(fail)?;
    let mut updates = timeline.subscribe();
    let mut items: Vec<TimelineItem> = Vec::new();
    let events = |items: &[TimelineItem]| {
        items
            .iter()
            .filter(|item| item.as_event().is_some())
            .count()
    };
    loop {
        let batch = tokio::time::timeout(Duration::from_secs(60), updates.next())
            .await
            .map_err(|_| "timed out opening the room".to_owned())?
            .ok_or("the timeline ended")?;
        for diff in batch {
            diff.apply_to(&mut items);
        }
        if events(&items) >= wanted {
            return Ok(events(&items));
        }
        if timeline
            .paginate_backwards(wanted as u16)
            .await
            .map_err(fail)?
            && events(&items) > 0
        {
            // The start was reached: what the room has is what there is.
            while let Some(batch) = updates.try_next() {
                for diff in batch {
                    diff.apply_to(&mut items);
                }
            }
            return Ok(events(&items));
        }
    }
}

fn report(rows: &[(&str, &Vec<Duration>)], rss_kib: u64, peak_kib: u64) -> BenchResult<()> {
    let millis = |duration: &Duration| duration.as_secs_f64() * 1000.0;
    println!(
        "\nEstafette core — {ROOMS} encrypted rooms × {MESSAGES_PER_ROOM} messages, Synapse on loopback"
    );
    println!(
        "{:<52} {:>10} {:>10} {:>10}",
        "measure", "median ms", "min ms", "max ms"
    );
    let mut results = Vec::new();
    for (name, durations) in rows {
        let mut sorted: Vec<f64> = durations.iter().map(millis).collect();
        sorted.sort_by(f64::total_cmp);
        let median = sorted.get(sorted.len() / 2).copied().unwrap_or(0.0);
        let min = sorted.first().copied().unwrap_or(0.0);
        let max = sorted.last().copied().unwrap_or(0.0);
        println!("{name:<52} {median:>10.0} {min:>10.0} {max:>10.0}");
        results.push(json!({ "measure": name, "runs_ms": sorted, "median_ms": median }));
    }
    println!(
        "{:<52} {:>10.0}",
        "RSS after the measurements (MiB)",
        rss_kib as f64 / 1024.0
    );
    println!(
        "{:<52} {:>10.0}",
        "peak RSS of the process (MiB)",
        peak_kib as f64 / 1024.0
    );
    let document = json!({
        "benchmark": "core",
        "rooms": ROOMS,
        "messages_per_room": MESSAGES_PER_ROOM,
        "runs": RUNS,
        "results": results,
        "rss_mib": rss_kib as f64 / 1024.0,
        "peak_rss_mib": peak_kib as f64 / 1024.0,
        "unix_time": unix_time(),
    });
    write_results("core", &document)
}

/// The seeded server's data directory, seeding it first if this machine has none yet.
async fn seeded_server_dir() -> BenchResult<PathBuf> {
    let dir = cache_root().map_err(fail)?.join(format!(
        "bench-seed-v{SEED_VERSION}-{ROOMS}x{MESSAGES_PER_ROOM}"
    ));
    if dir.join("complete").exists() {
        return Ok(dir.join("server"));
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(fail)?;
    }
    eprintln!(
        "seeding {ROOMS} encrypted rooms once into {} (several minutes)…",
        dir.display()
    );
    let started = Instant::now();
    let mut hs = Homeserver::start_in(&dir.join("server"))
        .await
        .map_err(fail)?;
    let big_room = seed(&hs).await?;
    hs.stop().await.map_err(fail)?;
    std::fs::write(dir.join("server").join("big-room"), &big_room).map_err(fail)?;
    std::fs::write(dir.join("complete"), format!("{:?}", started.elapsed())).map_err(fail)?;
    eprintln!("seeded in {:.0} s", started.elapsed().as_secs_f64());
    Ok(dir.join("server"))
}

/// Bob writes encrypted history with a real client; Alice is a member of every room.
async fn seed(hs: &Homeserver) -> BenchResult<String> {
    let alice: RegisteredUser = hs
        .register_user("alice", PASSWORD, false)
        .await
        .map_err(fail)?;
    hs.register_user("bob", PASSWORD, false)
        .await
        .map_err(fail)?;
    let bob_device = Device::new()?;
    let bob = bob_device
        .manager
        .sign_in(SignIn {
            homeserver: Some(hs.base_url()),
            username: "bob".to_owned(),
            password: Zeroizing::new(PASSWORD.to_owned()),
        })
        .await
        .map_err(fail)?;
    let rooms: Vec<(usize, String)> = stream::iter(1..=ROOMS)
        .map(|number| {
            let bob = bob.clone();
            let alice_id = alice.user_id.clone();
            async move {
                let options = NewRoom {
                    name: format!("Dossier {number:03}"),
                    invite: vec![alice_id],
                    ..NewRoom::default()
                };
                bob.rooms()
                    .create_room(options)
                    .await
                    .map(|room_id| (number, room_id))
                    .map_err(fail)
            }
        })
        .buffer_unordered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<BenchResult<_>>()?;
    for (_, room_id) in &rooms {
        hs.join_room(&alice, room_id).await.map_err(fail)?;
    }
    let big_room = rooms
        .iter()
        .find(|(number, _)| *number == 1)
        .map(|(_, id)| id.clone());
    let results: Vec<BenchResult<()>> = stream::iter(rooms.iter().cloned())
        .map(|(number, room_id)| {
            let bob = bob.clone();
            async move {
                let count = if number == 1 {
                    BIG_ROOM_MESSAGES
                } else {
                    MESSAGES_PER_ROOM
                };
                write_history(&bob, &room_id, count).await
            }
        })
        .buffer_unordered(16)
        .collect()
        .await;
    results.into_iter().collect::<BenchResult<Vec<()>>>()?;
    bob_device.manager.shut_down().await;
    big_room.ok_or_else(|| "no room 1".to_owned())
}

async fn write_history(bob: &Account, room_id: &str, count: usize) -> BenchResult<()> {
    let timeline = bob.timeline(room_id).await.map_err(fail)?;
    for number in 1..=count {
        timeline
            .send_markdown(&format!("Message {number} about this dossier"))
            .await
            .map_err(fail)?;
    }
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        let sent = timeline
            .items()
            .await
            .iter()
            .filter_map(TimelineItem::as_event)
            .filter(|event| {
                event.content.summary().starts_with("Message ")
                    && event
                        .send_state
                        .as_ref()
                        .is_none_or(|state| *state == SendState::Sent)
            })
            .count();
        if sent >= count {
            return Ok(());
        }
        if Instant::now() > deadline {
            return Err(format!("only {sent} of {count} messages sent in {room_id}"));
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}
