//! `cargo xtask bench media`: how fast a 100 MB file crosses an encrypted room, against the
//! floor of the same bytes sent and fetched over plain HTTP to the same Synapse, and how much
//! memory the process takes on the way.
//!
//! Each run: the floor's upload (`/_matrix/media/v3/upload`) and download (authenticated
//! media, streamed to disk), then the core's encrypted send (from the file to the event being
//! sent: read, encrypted and uploaded in one stream, then the message; the upload's own time is
//! the moment the file is on the server and its message queued) and save (streamed, decrypted and
//! checked to disk). Peak RSS growth is measured per step by resetting the kernel's high-water
//! mark (`/proc/self/clear_refs`). Prints a table; writes `bench-results/media.json`.
#![recursion_limit = "256"]

mod support;

use std::{
    io::Write,
    path::Path,
    sync::Arc,
    time::{Duration, Instant},
};

use estafette_core::{
    Account, AccountManager, CoreConfig, SignIn,
    media::{OutgoingFile, SaveTo},
    room_list::Membership,
    secrets::use_platform_keychain,
    timeline::{EventContent, SendState, TimelineItem},
};
use estafette_testkit::{Homeserver, RegisteredUser};
use serde_json::json;
use support::{BenchResult, fail, memory_kib, run_bench, unix_time, write_results};
use tempfile::TempDir;
use zeroize::Zeroizing;

const FILE_BYTES: usize = 100_000_000;
const RUNS: usize = 3;
const PASSWORD: &str = "bench-password";
const PATIENCE: Duration = Duration::from_secs(300);

fn main() {
    run_bench(run());
}

/// One measured step: how long, and how far the process's memory rose above where it was.
#[derive(Clone, Copy)]
struct Step {
    took: Duration,
    rss_growth_kib: u64,
}

async fn measured<T>(step: impl Future<Output = BenchResult<T>>) -> BenchResult<(T, Step)> {
    reset_peak_rss();
    let before = memory_kib("VmRSS:");
    let started = Instant::now();
    let value = step.await?;
    let took = started.elapsed();
    let peak = memory_kib("VmHWM:");
    Ok((
        value,
        Step {
            took,
            rss_growth_kib: peak.saturating_sub(before),
        },
    ))
}

async fn run() -> BenchResult<()> {
    use_platform_keychain().map_err(fail)?;
    let hs = Homeserver::start().await.map_err(fail)?;
    let alice_http = hs
        .register_user("alice", PASSWORD, false)
        .await
        .map_err(fail)?;
    hs.register_user("bob", PASSWORD, false)
        .await
        .map_err(fail)?;
    let alice = Device::sign_in(&hs, "alice").await?;
    let bob = Device::sign_in(&hs, "bob").await?;
    let room_id = encrypted_dm(&alice.account, &bob.account).await?;

    let files = tempfile::tempdir().map_err(fail)?;
    let data = pseudo_random(FILE_BYTES);
    let source = files.path().join("bench.bin");
    std::fs::write(&source, &data).map_err(fail)?;
    let alice_timeline = alice.account.timeline(&room_id).await.map_err(fail)?;
    let bob_timeline = bob.account.timeline(&room_id).await.map_err(fail)?;

    let mut rows: Vec<(&str, Vec<Step>)> = vec![
        ("plain HTTP upload (floor)", Vec::new()),
        ("plain HTTP download to disk (floor)", Vec::new()),
        ("encrypted send: file → event sent", Vec::new()),
        ("encrypted save: event → file on disk", Vec::new()),
        ("encrypted upload: file → on the server", Vec::new()),
    ];
    for run in 0..RUNS {
        let copy = data.clone();
        let (uri, step) = measured(async {
            hs.upload_media(&alice_http, "application/octet-stream", copy)
                .await
                .map_err(fail)
        })
        .await?;
        rows[0].1.push(step);
        let floor_file = files.path().join(format!("floor-{run}.bin"));
        let ((), step) = measured(plain_download(&hs, &alice_http, &uri, &floor_file)).await?;
        rows[1].1.push(step);
        check_same(&floor_file, &data)?;
        std::fs::remove_file(&floor_file).map_err(fail)?;

        let name = format!("bench-{run}.bin");
        let named = files.path().join(&name);
        // The same bytes each run, under a name of its own to tell the events apart.
        std::fs::rename(&source, &named).map_err(fail)?;
        let started = Instant::now();
        let (uploaded_after, step) = measured(async {
            alice
                .account
                .media()
                .send_file(
                    &room_id,
                    OutgoingFile {
                        path: named.clone(),
                        caption: None,
                        keep_metadata: false,
                    },
                )
                .await
                .map_err(fail)?;
            // The file is on the server and its message queued: the upload's own time, before
            // the message's round trip.
            let uploaded_after = started.elapsed();
            until_sent(&alice_timeline, &name).await?;
            Ok(uploaded_after)
        })
        .await?;
        rows[2].1.push(step);
        rows[4].1.push(Step {
            took: uploaded_after,
            ..step
        });
        std::fs::rename(&named, &source).map_err(fail)?;

        let event_id = until_received(&bob_timeline, &name).await?;
        let inbox = files.path().join(format!("inbox-{run}"));
        std::fs::create_dir_all(&inbox).map_err(fail)?;
        let (saved, step) = measured(async {
            bob.account
                .media()
                .download(&room_id, &event_id, SaveTo::Folder(inbox.clone()), |_| {})
                .await
                .map_err(fail)
        })
        .await?;
        rows[3].1.push(step);
        check_same(Path::new(&saved.path), &data)?;
        std::fs::remove_dir_all(&inbox).map_err(fail)?;
    }
    alice.manager.shut_down().await;
    bob.manager.shut_down().await;
    report(&rows)
}

async fn plain_download(
    hs: &Homeserver,
    user: &RegisteredUser,
    uri: &str,
    to: &Path,
) -> BenchResult<()> {
    let (server, media_id) = uri
        .strip_prefix("mxc://")
        .and_then(|rest| rest.split_once('/'))
        .ok_or("not an mxc URI")?;
    let url = format!(
        "{}/_matrix/client/v1/media/download/{server}/{media_id}",
        hs.base_url()
    );
    let mut response = matrix_sdk::reqwest::Client::new()
        .get(url)
        .bearer_auth(&user.access_token)
        .send()
        .await
        .map_err(fail)?
        .error_for_status()
        .map_err(fail)?;
    let mut file = std::io::BufWriter::new(std::fs::File::create(to).map_err(fail)?);
    while let Some(chunk) = response.chunk().await.map_err(fail)? {
        file.write_all(&chunk).map_err(fail)?;
    }
    file.flush().map_err(fail)?;
    file.get_ref().sync_all().map_err(fail)
}

fn check_same(path: &Path, expected: &[u8]) -> BenchResult<()> {
    let bytes = std::fs::read(path).map_err(fail)?;
    if bytes == expected {
        Ok(())
    } else {
        Err(format!("{} is not the file sent", path.display()))
    }
}

async fn until_sent(
    timeline: &estafette_core::timeline::RoomTimeline,
    name: &str,
) -> BenchResult<()> {
    poll("the file to be sent", || async {
        timeline
            .items()
            .await
            .iter()
            .filter_map(TimelineItem::as_event)
            .any(|event| {
                // Sent: the local echo says so, or the server's copy has replaced it.
                matches!(&event.content, EventContent::Media(media) if media.name == name)
                    && event.event_id.is_some()
                    && matches!(event.send_state, None | Some(SendState::Sent))
            })
            .then_some(())
    })
    .await
}

async fn until_received(
    timeline: &estafette_core::timeline::RoomTimeline,
    name: &str,
) -> BenchResult<String> {
    poll("the file to arrive", || async {
        timeline
            .items()
            .await
            .iter()
            .filter_map(TimelineItem::as_event)
            .find_map(|event| match &event.content {
                EventContent::Media(media) if media.name == name => event.event_id.clone(),
                _ => None,
            })
    })
    .await
}

async fn poll<T, F, Fut>(what: &str, mut probe: F) -> BenchResult<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Option<T>>,
{
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(value) = probe().await {
            return Ok(value);
        }
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn encrypted_dm(inviter: &Account, invitee: &Account) -> BenchResult<String> {
    let room_id = inviter
        .rooms()
        .create_dm(invitee.user_id())
        .await
        .map_err(fail)?;
    poll("the invite to arrive", || async {
        invitee
            .rooms()
            .summary(&room_id)
            .await
            .filter(|room| room.membership == Membership::Invited)
    })
    .await?;
    invitee
        .rooms()
        .accept_invite(&room_id)
        .await
        .map_err(fail)?;
    // The room key must reach bob's device: alice's client must know it first.
    poll("alice to know bob's device", || async {
        let devices = inviter.devices().of_user(invitee.user_id()).await.ok()?;
        (!devices.is_empty()).then_some(())
    })
    .await?;
    Ok(room_id)
}

/// One installation: data directory and keychain namespace.
struct Device {
    manager: AccountManager,
    account: Arc<Account>,
    _data: TempDir,
}

impl Device {
    async fn sign_in(hs: &Homeserver, localpart: &str) -> BenchResult<Self> {
        let data = tempfile::tempdir().map_err(fail)?;
        let config = CoreConfig {
            data_dir: data.path().to_owned(),
            keychain_service: format!("estafette-bench-media-{}-{localpart}", std::process::id()),
            device_display_name: "Estafette bench".to_owned(),
        };
        let manager = AccountManager::new(config);
        let account = manager
            .sign_in(SignIn {
                homeserver: Some(hs.base_url()),
                username: localpart.to_owned(),
                password: Zeroizing::new(PASSWORD.to_owned()),
            })
            .await
            .map_err(fail)?;
        Ok(Self {
            manager,
            account,
            _data: data,
        })
    }
}

/// Bytes that neither compress nor repeat, as a real document's ciphertext would not.
fn pseudo_random(size: usize) -> Vec<u8> {
    let mut state = 0x9E37_79B9_7F4A_7C15_u64;
    let mut bytes = Vec::with_capacity(size);
    while bytes.len() < size {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        bytes.extend_from_slice(&state.to_le_bytes());
    }
    bytes.truncate(size);
    bytes
}

/// Starts a new high-water mark of the process's resident memory from what it holds now.
fn reset_peak_rss() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn report(rows: &[(&str, Vec<Step>)]) -> BenchResult<()> {
    let megabytes = FILE_BYTES as f64 / 1_000_000.0;
    let median = |steps: &[Step], value: &dyn Fn(&Step) -> f64| {
        let mut values: Vec<f64> = steps.iter().map(value).collect();
        values.sort_by(f64::total_cmp);
        values.get(values.len() / 2).copied().unwrap_or(0.0)
    };
    let throughput = |steps: &[Step]| median(steps, &|step| megabytes / step.took.as_secs_f64());
    let growth = |steps: &[Step]| median(steps, &|step| step.rss_growth_kib as f64 / 1024.0);
    println!("\nEstafette media — {megabytes:.0} MB, Synapse on loopback, {RUNS} runs");
    println!(
        "{:<40} {:>10} {:>12} {:>14}",
        "measure", "median s", "MB/s", "RSS growth MiB"
    );
    let mut results = Vec::new();
    for (name, steps) in rows {
        let seconds = median(steps, &|step| step.took.as_secs_f64());
        println!(
            "{name:<40} {seconds:>10.2} {:>12.1} {:>14.0}",
            throughput(steps),
            growth(steps)
        );
        results.push(json!({
            "measure": name,
            "runs_s": steps.iter().map(|step| step.took.as_secs_f64()).collect::<Vec<_>>(),
            "runs_rss_growth_mib": steps.iter().map(|step| step.rss_growth_kib as f64 / 1024.0).collect::<Vec<_>>(),
            "median_s": seconds,
            "median_mb_per_s": throughput(steps),
            "median_rss_growth_mib": growth(steps),
        }));
    }
    let upload_ratio = throughput(&rows[2].1) / throughput(&rows[0].1);
    let upload_only_ratio = throughput(&rows[4].1) / throughput(&rows[0].1);
    let download_ratio = throughput(&rows[3].1) / throughput(&rows[1].1);
    let file_mib = FILE_BYTES as f64 / (1024.0 * 1024.0);
    println!("encrypted upload / floor: {upload_only_ratio:.2}× (goal ≥ 0.7×)");
    println!("encrypted send, message included / floor: {upload_ratio:.2}×");
    println!("encrypted save / floor: {download_ratio:.2}× (goal ≥ 0.7×)");
    println!(
        "RSS growth / file size: send {:.2}×, save {:.2}× (goal ≤ 2×)",
        growth(&rows[2].1) / file_mib,
        growth(&rows[3].1) / file_mib
    );
    let document = json!({
        "benchmark": "media",
        "file_bytes": FILE_BYTES,
        "runs": RUNS,
        "results": results,
        "upload_vs_floor": upload_only_ratio,
        "send_vs_floor": upload_ratio,
        "save_vs_floor": download_ratio,
        "send_rss_growth_vs_file": growth(&rows[2].1) / file_mib,
        "save_rss_growth_vs_file": growth(&rows[3].1) / file_mib,
        "unix_time": unix_time(),
    });
    write_results("media", &document)
}
