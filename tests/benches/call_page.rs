//! `cargo xtask bench call-page`: a video call as a person meets it in the app, timed in the
//! page. alice uses the optimised app (`bench-fast`, with GStreamer's test sources, since the
//! machines have no camera); bob is a core client whose picture switches between black and
//! white on demand (`GstEngine::set_test_signal`).
//!
//! Each of five calls from bob: the time from alice's click on "Answer with video" to bob's
//! first picture drawn on the page's canvas (the answer crossing the server, ICE, DTLS, a key
//! frame, the frame's trip over IPC, WebCodecs and the drawing). Then ten times, bob's picture
//! turns white and the page times when it draws a white picture: the end-to-end video latency
//! from bob's camera into alice's page. During the first call, the CPU of the app's processes
//! (the app, WebKit's web and network processes) over ten seconds: alice's side of a 720p call
//! with both pictures shown. Prints a table; writes `bench-results/call-page.json`.
//!
//! The page's times are read by an observer installed through WebDriver, not by the app: it
//! notes each drawn frame (`data-frames` changes) and reads the pixel at the picture's centre.
//! The page and this process share the machine's clock (`performance.timeOrigin`).
#![recursion_limit = "256"]

#[path = "../../crates/core/benches/support/mod.rs"]
#[allow(dead_code)]
mod support;

use std::{
    path::Path,
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use estafette_calls::{EngineConfig, GstEngine, Sources};
use estafette_core::calls::{CallEnd, CallState};
use estafette_e2e::{
    AppWindow, Installation, PASSWORD, Party, TauriDriver, VirtualDisplay,
    processes::{process_running, tree_cpu_seconds},
};
use estafette_testkit::Homeserver;
use serde_json::{Value, json};
use support::{BenchResult, fail, run_bench};

const CALLS: usize = 5;
const MARKS_PER_CALL: usize = 10;
const CPU_WINDOW: Duration = Duration::from_secs(10);
const PATIENCE: Duration = Duration::from_secs(60);

/// Installed once in the page: times every click, each call's first picture of bob, and each
/// turn of bob's picture from dark to white, in milliseconds since the epoch.
const OBSERVER: &str = r#"
if (!window.__callBench) {
  const bench = { clicks: [], firstPictures: [], whitePictures: [] };
  window.__callBench = bench;
  const now = () => performance.timeOrigin + performance.now();
  document.addEventListener("click", () => bench.clicks.push(now()), true);
  const seen = new WeakMap();
  new MutationObserver((records) => {
    for (const record of records) {
      const canvas = record.target;
      if (!(canvas instanceof HTMLCanvasElement)) continue;
      const label = canvas.closest("[role=img]")?.getAttribute("aria-label") ?? "";
      if (label.replace(/[\u2066-\u2069]/g, "") !== "bob's video") continue;
      const at = now();
      let state = seen.get(canvas);
      if (!state) {
        state = { white: false };
        seen.set(canvas, state);
        bench.firstPictures.push(at);
      }
      const pixel = canvas
        .getContext("2d")
        .getImageData(canvas.width >> 1, canvas.height >> 1, 1, 1).data;
      const white = pixel[0] > 200 && pixel[1] > 200 && pixel[2] > 200;
      if (white && !state.white) bench.whitePictures.push(at);
      state.white = white;
    }
  }).observe(document.body, { subtree: true, attributes: true, attributeFilter: ["data-frames"] });
}
return true;
"#;

fn main() {
    run_bench(run());
}

fn epoch_ms(at: SystemTime) -> f64 {
    at.duration_since(UNIX_EPOCH)
        .map(|since| since.as_secs_f64() * 1000.0)
        .unwrap_or(0.0)
}

/// The page's record (see [`OBSERVER`]): one list of epoch milliseconds.
async fn page_times(app: &AppWindow, list: &str) -> Vec<f64> {
    let script = format!("return window.__callBench?.{list} ?? [];");
    app.execute(&script, json!([]))
        .await
        .as_array()
        .map(|times| times.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default()
}

/// Polls the page's `list` until it has an entry after `after` (epoch ms).
async fn page_time_after(app: &AppWindow, list: &str, after: f64) -> BenchResult<f64> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(time) = page_times(app, list)
            .await
            .into_iter()
            .find(|time| *time > after)
        {
            return Ok(time);
        }
        if Instant::now() > deadline {
            return Err(format!("the page never recorded {list} after {after}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

async fn until(what: &str, mut probe: impl FnMut() -> bool) -> BenchResult<()> {
    let deadline = Instant::now() + PATIENCE;
    while !probe() {
        if Instant::now() > deadline {
            return Err(format!("timed out waiting for {what}"));
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    Ok(())
}

fn percentile(values: &[f64], at: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * at).round() as usize;
    sorted[index]
}

async fn run() -> BenchResult<()> {
    estafette_core::secrets::use_platform_keychain().map_err(fail)?;
    let binary = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-fast/estafette");
    if !binary.exists() {
        return Err(format!(
            "{} is missing: run through `cargo xtask bench call-page`",
            binary.display()
        ));
    }
    let server = Homeserver::start().await.map_err(fail)?;
    server
        .register_user("alice", PASSWORD, false)
        .await
        .map_err(fail)?;
    let bob = Party::new(&server, "bob").await;
    let alice_id = server.user_id("alice");
    let room = bob
        .account
        .rooms()
        .create_dm(&alice_id)
        .await
        .map_err(fail)?;
    let bob_media = Arc::new(
        GstEngine::new(EngineConfig {
            sources: Sources::TestSignal,
            video_size: (1280, 720),
            ..EngineConfig::for_tests()
        })
        .map_err(fail)?,
    );
    bob.account.calls().use_engine(bob_media.clone());

    let display = VirtualDisplay::start();
    let alice = Installation::new("en");
    let driver = TauriDriver::start(&alice.environment(&display));
    let app = driver.launch_binary(&binary, "bench-call-page").await;
    app.submit_sign_in(&server.base_url(), "alice", PASSWORD)
        .await;
    app.find("navigation", "Conversations").await;
    app.find("dialog", "Protect your encrypted messages").await;
    app.click_named("button", "Later").await;
    app.click_named("button", "bob").await;
    app.click_named("button", "Accept").await;
    app.find("textbox", "Message to bob").await;
    bob.wait_for_member(&room, &alice_id).await;
    bob.wait_for_device_of(&alice_id).await;
    app.execute(OBSERVER, json!([])).await;
    let app_pid = process_running(&binary).ok_or("the app's process is not found")?;

    let mut to_first_picture = Vec::new();
    let mut video_latency = Vec::new();
    let mut cpu_percent = 0.0;
    for run in 0..CALLS {
        bob_media.set_test_signal(false);
        let call_id = bob.account.calls().place(&room, true).await.map_err(fail)?;
        app.find("alertdialog", "bob is calling you (video)").await;
        let before_click = epoch_ms(SystemTime::now());
        app.click_named("button", "Answer with video").await;
        let clicked = page_time_after(&app, "clicks", before_click).await?;
        let first = page_time_after(&app, "firstPictures", clicked).await?;
        to_first_picture.push(first - clicked);

        if run == 0 {
            // Pictures flowing both ways before the window opens.
            tokio::time::sleep(Duration::from_secs(2)).await;
            let (cpu_before, wall_before) = (tree_cpu_seconds(app_pid), Instant::now());
            tokio::time::sleep(CPU_WINDOW).await;
            let cpu = tree_cpu_seconds(app_pid) - cpu_before;
            cpu_percent = cpu / wall_before.elapsed().as_secs_f64() * 100.0;
        }

        for _ in 0..MARKS_PER_CALL {
            bob_media.set_test_signal(false);
            // Long enough for the page to draw black again.
            tokio::time::sleep(Duration::from_millis(700)).await;
            let marked = epoch_ms(SystemTime::now());
            bob_media.set_test_signal(true);
            let white = page_time_after(&app, "whitePictures", marked).await?;
            video_latency.push(white - marked);
        }

        bob.account.calls().hang_up(&call_id).await.map_err(fail)?;
        app.click_named("button", "Close").await;
        app.wait_until_gone("dialog", "Call with bob").await;
        until("bob's side to end", || {
            bob.account.calls().current().iter().any(|call| {
                call.call_id == call_id && call.state == CallState::Ended(CallEnd::HungUpHere)
            })
        })
        .await?;
        bob.account.calls().dismiss(&call_id);
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    app.close().await;

    let figures = json!({
        "measured_at_unix": SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map(|since| since.as_secs())
            .unwrap_or(0),
        "build": "bench-fast, call test sources",
        "resolution": "1280x720",
        "calls": CALLS,
        "answer_click_to_first_picture_drawn_ms": {
            "p50": percentile(&to_first_picture, 0.5),
            "all": to_first_picture,
        },
        "video_latency_into_page_ms": {
            "p50": percentile(&video_latency, 0.5),
            "p90": percentile(&video_latency, 0.9),
            "samples": video_latency.len(),
        },
        "app_cpu_percent_of_one_core": cpu_percent,
    });
    println!("call in the page (1280x720, {CALLS} calls)");
    println!(
        "  \"Answer with video\" clicked to bob's first picture drawn: p50 {:.0} ms",
        percentile(&to_first_picture, 0.5)
    );
    println!(
        "  video latency, bob's camera to alice's page: p50 {:.0} ms, p90 {:.0} ms",
        percentile(&video_latency, 0.5),
        percentile(&video_latency, 0.9)
    );
    println!("  CPU of the app's processes: {cpu_percent:.0} % of one core");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench-results/call-page.json");
    std::fs::write(&path, serde_json::to_string_pretty(&figures).map_err(fail)?).map_err(fail)?;
    println!("written to {}", path.display());
    Ok(())
}
