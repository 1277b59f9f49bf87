//! `cargo xtask bench load`, and the load run of `cargo xtask proof`: the app, optimised as
//! people get it, signed in to 1,000 rooms while messages arrive at 100 a second for 5
//! minutes, and someone types in the open conversation all along.
//!
//! - input latency: each key is pressed through WebDriver, as the keyboard would; the page
//!   notes when the frame showing its effect was painted. "Key to paint" runs from just before
//!   the key is sent to that paint, so it includes WebDriver's own way to the page (the figure
//!   can only be worse than a person's); "in page" runs from the key's arrival in the page.
//! - memory: RSS and PSS of the app's processes every 5 s; the slope after warm-up.
//! - nothing lost: afterwards, with the server stopped, the core opens the app's own store and
//!   finds each room's last message in the room list, and the messages of the open room. When
//!   the app fell more than a sync's worth behind, the server says so ("limited") and the store
//!   holds a gap that scrolling up fills, as in Element: the server is then started again and
//!   the core scrolls up through it. Every message must then be there once, in order; how many
//!   were behind a gap is a figure of its own.
//!
//! Other people are raw clients of the test kit's own (a token and HTTP): on a 2-core machine
//! every cycle a sender spends is taken from the app being measured. The rooms are plain: a
//! sender that encrypts needs a full client. Figures: a table, `bench-results/load.json`, and a
//! `proof: {json}` line for `cargo xtask proof`. Fails when p99 key to paint reaches 100 ms,
//! memory grows, or a message or key is lost.
//!
//! Settings: `ESTAFETTE_LOAD_SECONDS` (300), `ESTAFETTE_LOAD_RATE` (messages a second, 100).

#![recursion_limit = "256"]

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use estafette_core::{
    AccountManager,
    room_list::{RoomListQuery, RoomSummary},
    timeline::{EventContent, TimelineItemKind},
};
use estafette_e2e::{AppWindow, Installation, Key, TauriDriver, VirtualDisplay, processes};
use estafette_testkit::{Homeserver, RegisteredUser, cache_root};
use futures_util::{StreamExt, stream};
use serde_json::json;
use tokio::task::JoinHandle;

const ROOMS: usize = 1000;
const SEED_VERSION: u32 = 1;
const PASSWORD: &str = "load-password";
/// The open conversation gets one message in this many, sent one after the other so that
/// their order is known.
const WATCHED_SHARE: usize = 50;
/// A fast typist: a key every 125 ms.
const KEY_INTERVAL: Duration = Duration::from_millis(125);
/// Characters typed, then erased with Backspace, in turns.
const KEYS_PER_TURN: usize = 40;
/// How long after the last send the open room's last message may take to be shown.
const CATCH_UP_LIMIT: Duration = Duration::from_secs(120);
const MEMORY_INTERVAL: Duration = Duration::from_secs(5);
const P99_LIMIT_MS: f64 = 100.0;
/// "Flat": the fitted line may not rise by more than this share of the memory over the run.
const FLAT_WITHIN: f64 = 0.05;

type LoadResult<T> = Result<T, String>;

fn fail(error: impl std::fmt::Display) -> String {
    error.to_string()
}

fn main() {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("no runtime: {error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = runtime.block_on(run()) {
        eprintln!("bench load failed: {error}");
        std::process::exit(1);
    }
}

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|value| value.parse().ok())
        .filter(|value| *value > 0)
        .unwrap_or(default)
}

async fn run() -> LoadResult<()> {
    let seconds = setting("ESTAFETTE_LOAD_SECONDS", 300);
    let rate = setting("ESTAFETTE_LOAD_RATE", 100);
    estafette_core::secrets::use_platform_keychain().map_err(fail)?;
    let seed = seeded_server_dir().await?;
    let rooms: Vec<String> =
        serde_json::from_str(&std::fs::read_to_string(seed.join("rooms.json")).map_err(fail)?)
            .map_err(fail)?;
    let work = tempfile::tempdir().map_err(fail)?;
    let hs = Arc::new(
        Homeserver::start_copy_of(&seed, &work.path().join("server"))
            .await
            .map_err(fail)?,
    );
    let bob = hs.login("bob", PASSWORD).await.map_err(fail)?;

    let install = Installation::new("en");
    install
        .sign_in_with_core(&hs, "alice", PASSWORD, ROOMS)
        .await?;
    let app = app_binary()?;
    let display = VirtualDisplay::start();
    let driver = TauriDriver::start(&install.environment(&display));
    let window = driver.launch_binary(&app, "bench-load").await;
    let app_pid = processes::process_running(&app).ok_or("the app's process was not found")?;
    let composer = open_watched_room(&window).await;
    install_key_probe(&window, &composer).await;

    eprintln!("load: {rate} messages a second for {seconds} s into {ROOMS} rooms");
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let cpu_before = processes::tree_cpu_seconds(app_pid);
    let memory = tokio::spawn(sample_memory(app_pid, deadline));
    let drive = tokio::spawn(drive(hs.clone(), bob, rooms.clone(), rate, deadline));
    let keys_sent = type_until(&window, deadline).await;
    let ledger = drive.await.map_err(fail)??;
    let memory = memory.await.map_err(fail)?;
    let driven_for = started.elapsed();
    let app_cpu_share =
        (processes::tree_cpu_seconds(app_pid) - cpu_before) / driven_for.as_secs_f64();

    // Every message is on the server; the app shows the open room's last one.
    let last_watched = ledger
        .watched
        .last()
        .cloned()
        .ok_or("no message was sent")?;
    let catch_up = wait_until_shown(&window, &last_watched).await;
    let latencies = key_latencies(&window, &keys_sent).await?;
    window.close().await;
    drop(driver);
    let mut hs = Arc::into_inner(hs).ok_or("the server is still in use")?;
    hs.stop().await.map_err(fail)?;

    let delivery = check_delivery(&install, &rooms, &ledger, &mut hs).await?;
    let figures = Figures {
        seconds,
        rate,
        driven_for,
        ledger: &ledger,
        latencies: &latencies,
        memory: &memory,
        app_cpu_share,
        catch_up,
        delivery: &delivery,
    };
    figures.report()
}

/// The seeded server: 1,000 rooms that bob made and alice joined, one message each. Seeding
/// is bound by the server (minutes) and done once, into the cache.
async fn seeded_server_dir() -> LoadResult<PathBuf> {
    let dir = cache_root()
        .map_err(fail)?
        .join(format!("load-seed-v{SEED_VERSION}-{ROOMS}"));
    if dir.join("complete").exists() {
        return Ok(dir.join("server"));
    }
    if dir.exists() {
        std::fs::remove_dir_all(&dir).map_err(fail)?;
    }
    eprintln!(
        "seeding {ROOMS} rooms once into {} (minutes)…",
        dir.display()
    );
    let started = Instant::now();
    let mut hs = Homeserver::start_in(&dir.join("server"))
        .await
        .map_err(fail)?;
    let alice = hs
        .register_user("alice", PASSWORD, false)
        .await
        .map_err(fail)?;
    let bob = hs
        .register_user("bob", PASSWORD, false)
        .await
        .map_err(fail)?;
    let hs_ref = &hs;
    let rooms: Vec<String> = stream::iter(1..=ROOMS)
        .map(|number| {
            let (alice, bob) = (&alice, &bob);
            async move {
                let name = room_name(number);
                let room_id = hs_ref
                    .create_room(bob, &name, &[alice.user_id.as_str()])
                    .await?;
                hs_ref.join_room(alice, &room_id).await?;
                hs_ref
                    .send_text(bob, &room_id, &format!("{name} is open"))
                    .await?;
                Ok::<_, estafette_testkit::TestkitError>(room_id)
            }
        })
        .buffered(8)
        .collect::<Vec<_>>()
        .await
        .into_iter()
        .collect::<Result<_, _>>()
        .map_err(fail)?;
    hs.stop().await.map_err(fail)?;
    std::fs::write(
        dir.join("server").join("rooms.json"),
        serde_json::to_string(&rooms).map_err(fail)?,
    )
    .map_err(fail)?;
    std::fs::write(dir.join("complete"), format!("{:?}", started.elapsed())).map_err(fail)?;
    eprintln!("seeded in {:.0} s", started.elapsed().as_secs_f64());
    Ok(dir.join("server"))
}

fn room_name(number: usize) -> String {
    format!("Load {number:04}")
}

/// The optimised app that `cargo xtask bench load` builds.
fn app_binary() -> LoadResult<PathBuf> {
    let binary = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-fast/estafette");
    if binary.exists() {
        Ok(binary)
    } else {
        Err(format!(
            "{} is missing: run through `cargo xtask bench load`",
            binary.display()
        ))
    }
}

/// Opens the first room through the filter, then empties the filter so that the whole list
/// is live again (a filtered list would hide its churn), and focuses the composer.
async fn open_watched_room(window: &AppWindow) -> estafette_e2e::Element {
    let name = room_name(1);
    // The invitation to set up recovery comes first, as for anyone signing in.
    window.click(&window.find("button", "Later").await).await;
    let filter = window.find("searchbox", "Filter conversations").await;
    window.type_into(&filter, &name).await;
    window.click(&window.find("button", &name).await).await;
    window.find("textbox", &format!("Message to {name}")).await;
    // Emptied as a person does, so that the list hears it.
    window.click(&filter).await;
    window
        .press(&format!(
            "{}a{}{}",
            Key::Control.code(),
            Key::Release.code(),
            Key::Backspace.code()
        ))
        .await;
    let composer = window.find("textbox", &format!("Message to {name}")).await;
    window.click(&composer).await;
    composer
}

/// The page's own note of when each key's effect was painted: on `input`, the next frame is
/// awaited, then a task after it (the frame is on screen by then). Times are wall-clock
/// milliseconds, comparable with this process's clock.
async fn install_key_probe(window: &AppWindow, composer: &estafette_e2e::Element) {
    window
        .execute(
            "const box = arguments[0]; window.__keyPaints = []; let arrived = null;\
             box.addEventListener('keydown', () => { arrived = performance.now(); }, true);\
             box.addEventListener('input', (event) => {\
               const kind = event.inputType; const since = arrived;\
               requestAnimationFrame(() => setTimeout(() => {\
                 const now = performance.now();\
                 window.__keyPaints.push([kind, performance.timeOrigin + now, since === null ? -1 : now - since]);\
               }, 0));\
             });\
             return null;",
            json!([composer.argument()]),
        )
        .await;
}

fn epoch_ms() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |since| since.as_secs_f64() * 1000.0)
}

/// Types `KEYS_PER_TURN` characters, erases them with Backspace, and again, until `deadline`.
/// Returns when each key was sent (wall-clock milliseconds).
async fn type_until(window: &AppWindow, deadline: Instant) -> Vec<f64> {
    let mut sent = Vec::new();
    let letters: Vec<char> = "estafette load ".chars().collect();
    let mut next = Instant::now();
    while Instant::now() < deadline {
        let in_turn = sent.len() % (2 * KEYS_PER_TURN);
        let key = if in_turn < KEYS_PER_TURN {
            letters[in_turn % letters.len()]
        } else {
            Key::Backspace.code()
        };
        sent.push(epoch_ms());
        window.press(&key.to_string()).await;
        next += KEY_INTERVAL;
        tokio::time::sleep_until(next.into()).await;
    }
    sent
}

/// How long `text` takes to be shown in the page, if it is within `CATCH_UP_LIMIT`.
async fn wait_until_shown(window: &AppWindow, text: &str) -> Option<Duration> {
    let started = Instant::now();
    while started.elapsed() < CATCH_UP_LIMIT {
        let shown = window
            .execute(
                "return document.body.innerText.includes(arguments[0]);",
                json!([text]),
            )
            .await;
        if shown.as_bool() == Some(true) {
            return Some(started.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    None
}

struct KeyLatencies {
    /// Key sent → painted, ms.
    end_to_end: Vec<f64>,
    /// Key arrived in the page → painted, ms.
    in_page: Vec<f64>,
}

async fn key_latencies(window: &AppWindow, sent: &[f64]) -> LoadResult<KeyLatencies> {
    // The last key's paint may still be on its way.
    tokio::time::sleep(Duration::from_secs(1)).await;
    let paints = window
        .execute("return window.__keyPaints;", json!([]))
        .await;
    let paints = paints.as_array().ok_or("the page kept no key paints")?;
    if paints.len() != sent.len() {
        return Err(format!(
            "{} keys were pressed but {} were painted",
            sent.len(),
            paints.len()
        ));
    }
    let mut latencies = KeyLatencies {
        end_to_end: Vec::new(),
        in_page: Vec::new(),
    };
    for (paint, sent_at) in paints.iter().zip(sent) {
        let painted_at = paint[1].as_f64().ok_or("a paint without a time")?;
        latencies.end_to_end.push(painted_at - sent_at);
        if let Some(in_page) = paint[2].as_f64().filter(|ms| *ms >= 0.0) {
            latencies.in_page.push(in_page);
        }
    }
    Ok(latencies)
}

struct MemorySample {
    at: Duration,
    rss_kib: u64,
    pss_kib: u64,
}

async fn sample_memory(app_pid: u32, deadline: Instant) -> Vec<MemorySample> {
    let started = Instant::now();
    let mut samples = Vec::new();
    while Instant::now() < deadline {
        let (rss_kib, pss_kib) = processes::tree_memory(app_pid);
        samples.push(MemorySample {
            at: started.elapsed(),
            rss_kib,
            pss_kib,
        });
        tokio::time::sleep(MEMORY_INTERVAL).await;
    }
    samples
}

/// What was sent: the body of every room's last message, and the open room's in order.
struct Ledger {
    last_in_room: HashMap<String, String>,
    watched: Vec<String>,
    sent: usize,
    failed: usize,
}

/// Sends `rate` messages a second as bob until `deadline`: one in `WATCHED_SHARE` to the open
/// room, one after the other, the rest round the other rooms, many at once but never two at
/// once into one room (so that each room's last message is known).
async fn drive(
    hs: Arc<Homeserver>,
    bob: RegisteredUser,
    rooms: Vec<String>,
    rate: u64,
    deadline: Instant,
) -> LoadResult<Ledger> {
    let bob = Arc::new(bob);
    let interval = Duration::from_secs_f64(1.0 / rate as f64);
    let watched_room = rooms[0].clone();
    let (watched_sender, mut watched_queue) = tokio::sync::mpsc::unbounded_channel::<String>();
    let watched = {
        let (hs, bob, room) = (hs.clone(), bob.clone(), watched_room.clone());
        tokio::spawn(async move {
            let mut sent = Vec::new();
            let mut failed = 0;
            while let Some(body) = watched_queue.recv().await {
                match hs.send_text(&bob, &room, &body).await {
                    Ok(_) => sent.push(body),
                    Err(_) => failed += 1,
                }
            }
            (sent, failed)
        })
    };
    let mut in_flight: Vec<Option<JoinHandle<bool>>> = (0..rooms.len()).map(|_| None).collect();
    let mut next_in_room = vec![0usize; rooms.len()];
    let mut last_in_room = HashMap::new();
    let mut failed = 0;
    let mut sent = 0;
    let mut next = Instant::now();
    let mut other = 0;
    let mut count = 0usize;
    while Instant::now() < deadline {
        let index = if count.is_multiple_of(WATCHED_SHARE) {
            0
        } else {
            other = other % (rooms.len() - 1) + 1;
            other
        };
        count += 1;
        next_in_room[index] += 1;
        let body = format!("{} #{}", room_name(index + 1), next_in_room[index]);
        if index == 0 {
            watched_sender.send(body).map_err(fail)?;
        } else {
            if let Some(previous) = in_flight[index].take() {
                if previous.await.map_err(fail)? {
                    sent += 1;
                } else {
                    failed += 1;
                }
            }
            let (hs, bob, room, text) =
                (hs.clone(), bob.clone(), rooms[index].clone(), body.clone());
            in_flight[index] = Some(tokio::spawn(async move {
                hs.send_text(&bob, &room, &text).await.is_ok()
            }));
            last_in_room.insert(rooms[index].clone(), body);
        }
        next += interval;
        tokio::time::sleep_until(next.into()).await;
    }
    drop(watched_sender);
    for handle in in_flight.into_iter().flatten() {
        if handle.await.map_err(fail)? {
            sent += 1;
        } else {
            failed += 1;
        }
    }
    let (watched, watched_failed) = watched.await.map_err(fail)?;
    Ok(Ledger {
        last_in_room,
        sent: sent + watched.len(),
        failed: failed + watched_failed,
        watched,
    })
}

struct Delivery {
    rooms_checked: usize,
    rooms_behind: Vec<String>,
    /// The open room's messages read from the store alone, the server stopped.
    watched_in_store: usize,
    watched_found: usize,
    watched_missing: usize,
    watched_doubled: usize,
    watched_in_order: bool,
}

/// Reads what the app received from its own store, with the server stopped so that nothing
/// can be fetched now: each room's last message, and the open room back to its first message
/// or to a gap. Then, with the server started again, scrolls up through any gap as the user
/// would, and checks the open room's messages: once each, in order.
async fn check_delivery(
    install: &Installation,
    rooms: &[String],
    ledger: &Ledger,
    hs: &mut Homeserver,
) -> LoadResult<Delivery> {
    let (manager, account) = open_app_store(install).await?;
    let (mut updates, _controller) = account
        .rooms()
        .list(RoomListQuery::default(), rooms.len() + 10)
        .await
        .map_err(fail)?;
    let mut list: Vec<RoomSummary> = Vec::new();
    while list.len() < rooms.len() {
        let Ok(Some(batch)) = tokio::time::timeout(Duration::from_secs(60), updates.next()).await
        else {
            return Err(format!("only {} rooms in the app's store", list.len()));
        };
        for diff in batch {
            diff.apply_to(&mut list);
        }
    }
    let rooms_behind = ledger
        .last_in_room
        .iter()
        .filter(|(room_id, body)| {
            let latest = list
                .iter()
                .find(|room| &room.id == *room_id)
                .and_then(|room| room.latest_message.as_ref())
                .map(|latest| latest.content.summary());
            latest.as_deref() != Some(body.as_str())
        })
        .map(|(room_id, _)| room_id.clone())
        .collect();
    drop(updates);
    let in_store = watched_received(&account, &rooms[0], ledger).await?;
    manager.shut_down().await;

    let received = if in_store.len() == ledger.watched.len() {
        in_store.clone()
    } else {
        eprintln!(
            "load: {} of the open room's messages are behind a gap in the store; scrolling up",
            ledger.watched.len() - in_store.len()
        );
        hs.restart().await.map_err(fail)?;
        let (manager, account) = open_app_store(install).await?;
        let received = watched_received(&account, &rooms[0], ledger).await;
        manager.shut_down().await;
        hs.stop().await.map_err(fail)?;
        received?
    };
    let mut unique = received.clone();
    unique.sort();
    unique.dedup();
    let mut unique_in_store = in_store;
    unique_in_store.sort();
    unique_in_store.dedup();
    Ok(Delivery {
        rooms_checked: ledger.last_in_room.len(),
        rooms_behind,
        watched_in_store: unique_in_store.len(),
        watched_found: unique.len(),
        watched_missing: ledger.watched.len() - unique.len(),
        watched_doubled: received.len() - unique.len(),
        watched_in_order: received == ledger.watched,
    })
}

/// The app's account, opened by the core from the app's own data directory.
async fn open_app_store(
    install: &Installation,
) -> LoadResult<(AccountManager, Arc<estafette_core::Account>)> {
    let manager = AccountManager::new(install.core_config());
    let account = manager
        .restore_all()
        .await
        .map_err(fail)?
        .pop()
        .ok_or("the app's account was not found")?
        .1
        .map_err(fail)?;
    Ok((manager, account))
}

/// The watched messages the open room's timeline holds, in its order, after scrolling up to
/// the first one sent (or as far as it can: without a server, to the first gap).
async fn watched_received(
    account: &estafette_core::Account,
    room_id: &str,
    ledger: &Ledger,
) -> LoadResult<Vec<String>> {
    let timeline = account.timeline(room_id).await.map_err(fail)?;
    let first = ledger.watched.first().cloned().unwrap_or_default();
    for _ in 0..100 {
        if watched_bodies(&timeline.items().await).contains(&first) {
            break;
        }
        match timeline.paginate_backwards(200).await {
            Ok(false) => {}
            Ok(true) => break,
            Err(error) => {
                eprintln!("load: scrolling up stopped: {error}");
                break;
            }
        }
    }
    Ok(watched_bodies(&timeline.items().await)
        .into_iter()
        .filter(|body| ledger.watched.contains(body))
        .collect())
}

fn watched_bodies(items: &[estafette_core::timeline::TimelineItem]) -> Vec<String> {
    items
        .iter()
        .filter_map(|item| match &item.kind {
            TimelineItemKind::Event(event) => match &event.content {
                EventContent::Text { body, .. } => Some(body.clone()),
                _ => None,
            },
            _ => None,
        })
        .collect()
}

struct Figures<'a> {
    seconds: u64,
    rate: u64,
    driven_for: Duration,
    ledger: &'a Ledger,
    latencies: &'a KeyLatencies,
    memory: &'a [MemorySample],
    /// CPU time of the app's processes over the drive, as a share of one core.
    app_cpu_share: f64,
    /// `None` when it never came within `CATCH_UP_LIMIT`.
    catch_up: Option<Duration>,
    delivery: &'a Delivery,
}

fn percentile(values: &[f64], share: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((share * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// Least-squares slope of `value` against minutes, over the samples after warm-up (the first
/// fifth of the run, at most a minute), and the fitted rise over that window.
fn slope(samples: &[MemorySample], value: fn(&MemorySample) -> u64) -> (f64, f64, f64) {
    let total = samples.last().map_or(Duration::ZERO, |sample| sample.at);
    let warm_up = (total / 5).min(Duration::from_secs(60));
    let points: Vec<(f64, f64)> = samples
        .iter()
        .filter(|sample| sample.at >= warm_up)
        .map(|sample| {
            (
                sample.at.as_secs_f64() / 60.0,
                value(sample) as f64 / 1024.0,
            )
        })
        .collect();
    let count = points.len() as f64;
    if points.len() < 2 {
        return (f64::NAN, f64::NAN, f64::NAN);
    }
    let mean_x = points.iter().map(|(x, _)| x).sum::<f64>() / count;
    let mean_y = points.iter().map(|(_, y)| y).sum::<f64>() / count;
    let covariance: f64 = points
        .iter()
        .map(|(x, y)| (x - mean_x) * (y - mean_y))
        .sum();
    let variance: f64 = points.iter().map(|(x, _)| (x - mean_x).powi(2)).sum();
    let per_minute = covariance / variance;
    let span = points.last().map_or(0.0, |(x, _)| *x) - points[0].0;
    (per_minute, per_minute * span, mean_y)
}

impl Figures<'_> {
    fn report(&self) -> LoadResult<()> {
        let end_to_end = &self.latencies.end_to_end;
        let in_page = &self.latencies.in_page;
        let (rss_slope, rss_rise, rss_mean) = slope(self.memory, |sample| sample.rss_kib);
        let (pss_slope, pss_rise, pss_mean) = slope(self.memory, |sample| sample.pss_kib);
        let achieved = self.ledger.sent as f64 / self.driven_for.as_secs_f64();
        let delivery = self.delivery;
        println!();
        println!("| measure | value |");
        println!("|---|---|");
        println!(
            "| messages sent | {} in {:.0} s ({achieved:.1}/s, asked {}/s), {} refused by the server |",
            self.ledger.sent,
            self.driven_for.as_secs_f64(),
            self.rate,
            self.ledger.failed
        );
        println!(
            "| key to paint, ms ({} keys) | p50 {:.1} · p95 {:.1} · p99 {:.1} · max {:.1} |",
            end_to_end.len(),
            percentile(end_to_end, 0.5),
            percentile(end_to_end, 0.95),
            percentile(end_to_end, 0.99),
            percentile(end_to_end, 1.0)
        );
        println!(
            "| in page, ms | p50 {:.1} · p95 {:.1} · p99 {:.1} · max {:.1} |",
            percentile(in_page, 0.5),
            percentile(in_page, 0.95),
            percentile(in_page, 0.99),
            percentile(in_page, 1.0)
        );
        println!(
            "| RSS, all processes | mean {rss_mean:.0} MiB, slope {rss_slope:+.2} MiB/min ({rss_rise:+.1} MiB over the run) |"
        );
        println!(
            "| PSS, all processes | mean {pss_mean:.0} MiB, slope {pss_slope:+.2} MiB/min ({pss_rise:+.1} MiB over the run) |"
        );
        match self.catch_up {
            Some(catch_up) => println!(
                "| open room's last message on screen after the last send | {:.1} s |",
                catch_up.as_secs_f64()
            ),
            None => println!(
                "| open room's last message on screen after the last send | not within {} s |",
                CATCH_UP_LIMIT.as_secs()
            ),
        }
        println!(
            "| CPU, app's processes | {:.0} % of one core |",
            self.app_cpu_share * 100.0
        );
        println!(
            "| rooms whose last message the app has | {} of {} |",
            delivery.rooms_checked - delivery.rooms_behind.len(),
            delivery.rooms_checked
        );
        println!(
            "| open room's messages in the app's store | {} of {}, the others behind a gap |",
            delivery.watched_in_store,
            self.ledger.watched.len(),
        );
        println!(
            "| open room's messages after scrolling up | {} of {}, {} doubled, in order: {} |",
            delivery.watched_found,
            self.ledger.watched.len(),
            delivery.watched_doubled,
            delivery.watched_in_order
        );
        let p99 = percentile(end_to_end, 0.99);
        let flat = rss_rise <= FLAT_WITHIN * rss_mean;
        let nothing_lost = delivery.rooms_behind.is_empty()
            && delivery.watched_missing == 0
            && delivery.watched_doubled == 0
            && delivery.watched_in_order;
        let results = json!({
            "rooms": ROOMS,
            "seconds": self.seconds,
            "rate_asked": self.rate,
            "rate_achieved": achieved,
            "messages_sent": self.ledger.sent,
            "messages_refused": self.ledger.failed,
            "keys": end_to_end.len(),
            "key_to_paint_ms": {
                "p50": percentile(end_to_end, 0.5), "p95": percentile(end_to_end, 0.95),
                "p99": p99, "max": percentile(end_to_end, 1.0),
            },
            "in_page_ms": {
                "p50": percentile(in_page, 0.5), "p95": percentile(in_page, 0.95),
                "p99": percentile(in_page, 0.99), "max": percentile(in_page, 1.0),
            },
            "rss_mib": { "mean": rss_mean, "slope_per_min": rss_slope, "rise": rss_rise },
            "pss_mib": { "mean": pss_mean, "slope_per_min": pss_slope, "rise": pss_rise },
            "catch_up_s": self.catch_up.map(|catch_up| catch_up.as_secs_f64()),
            "app_cpu_share_of_one_core": self.app_cpu_share,
            "rooms_checked": delivery.rooms_checked,
            "rooms_behind": delivery.rooms_behind.len(),
            "watched_sent": self.ledger.watched.len(),
            "watched_in_store": delivery.watched_in_store,
            "watched_missing": delivery.watched_missing,
            "watched_doubled": delivery.watched_doubled,
            "watched_in_order": delivery.watched_in_order,
        });
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench-results/load.json");
        std::fs::write(&path, serde_json::to_string_pretty(&results).map_err(fail)?)
            .map_err(fail)?;
        println!("written to {}", path.display());
        eprintln!("proof: {results}");
        let mut failures = Vec::new();
        if p99.is_nan() || p99 >= P99_LIMIT_MS {
            failures.push(format!("p99 key to paint is {p99:.1} ms"));
        }
        if !flat {
            failures.push(format!("RSS rose {rss_rise:.1} MiB after warm-up"));
        }
        if self.catch_up.is_none() {
            failures.push(format!(
                "the open room's last message was not shown {} s after it was sent",
                CATCH_UP_LIMIT.as_secs()
            ));
        }
        if !nothing_lost {
            failures.push("messages were lost, doubled or out of order".to_owned());
        }
        if failures.is_empty() {
            Ok(())
        } else {
            Err(failures.join("; "))
        }
    }
}
