//! `cargo xtask bench app`: the desktop app against its floor, an empty Tauri window built
//! with the same Tauri, webview and profile (`bench-fast`), side by side in one run.
//!
//! - warm start: process start → room list painted, already signed in to a 500-room account
//!   (the floor: process start → its empty page painted);
//! - memory: RSS and PSS of all the app's processes (app, WebKit web and network processes),
//!   3 s after that paint;
//! - opening a cached room → 50 items painted, as the UI measures it (click → painted frame).
//!
//! Uses the 500-room Synapse seeded by `cargo xtask bench core` (seeded on first use there).

#![recursion_limit = "256"]

use std::{
    path::Path,
    process::{Command, Stdio},
    sync::mpsc,
    time::{Duration, Instant},
};

use estafette_e2e::{
    Installation, TauriDriver, VirtualDisplay,
    processes::{process_tree, tree_memory},
};
use estafette_testkit::{Homeserver, cache_root};

const RUNS: usize = 5;
const SEED: &str = "bench-seed-v1-500x20";
const PASSWORD: &str = "bench-password";
const SETTLE: Duration = Duration::from_secs(3);

type BenchResult<T> = Result<T, String>;

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
        eprintln!("bench app failed: {error}");
        std::process::exit(1);
    }
}

async fn run() -> BenchResult<()> {
    estafette_core::secrets::use_platform_keychain().map_err(fail)?;
    let seed = cache_root().map_err(fail)?.join(SEED);
    if !seed.join("complete").exists() {
        return Err(format!(
            "{} is missing: run `cargo xtask bench core` once, which seeds it",
            seed.display()
        ));
    }
    let work = tempfile::tempdir().map_err(fail)?;
    let server_dir = work.path().join("server");
    let mut hs = Homeserver::start_copy_of(&seed.join("server"), &server_dir)
        .await
        .map_err(fail)?;
    let big_room_name = "Dossier 001";

    let install = Installation::new("en");
    install
        .sign_in_with_core(&hs, "alice", PASSWORD, 500)
        .await?;

    let display = VirtualDisplay::start();
    let bin_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-fast");
    let app = bin_dir.join("estafette");
    let floor = bin_dir.join("estafette-empty-window");
    for binary in [&app, &floor] {
        if !binary.exists() {
            return Err(format!(
                "{} is missing: run through `cargo xtask bench app`",
                binary.display()
            ));
        }
    }
    let mut environment = install.environment(&display);
    environment.push(("ESTAFETTE_REPORT_PAINTS".into(), "1".into()));

    let mut floor_runs = Vec::new();
    let mut app_runs = Vec::new();
    for run in 1..=RUNS {
        let floor_run = launch_and_measure(&floor, &environment, "sign_in")?;
        let app_run = launch_and_measure(&app, &environment, "room_list")?;
        println!("run {run}: floor {floor_run:?}\n       app   {app_run:?}");
        floor_runs.push(floor_run);
        app_runs.push(app_run);
    }

    let open_room = open_cached_room(&app, &environment, big_room_name).await?;
    hs.stop().await.map_err(fail)?;
    report(&floor_runs, &app_runs, &open_room)
}

#[derive(Clone, Copy, Debug)]
struct Launch {
    to_paint: Duration,
    rss_kib: u64,
    pss_kib: u64,
    processes: usize,
}

/// Starts `binary`, times it to the paint mark it prints, then measures its process tree.
fn launch_and_measure(
    binary: &Path,
    environment: &[(String, String)],
    mark: &str,
) -> BenchResult<Launch> {
    let started = Instant::now();
    let mut child = Command::new(binary)
        .envs(environment.iter().map(|(key, value)| (key, value)))
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(fail)?;
    let stdout = child.stdout.take().ok_or("no stdout")?;
    let (sender, receiver) = mpsc::channel();
    std::thread::spawn(move || {
        use std::io::BufRead;
        for line in std::io::BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
        {
            if sender.send((line, Instant::now())).is_err() {
                break;
            }
        }
    });
    let wanted = format!("estafette-painted {mark}");
    let painted_at = loop {
        match receiver.recv_timeout(Duration::from_secs(60)) {
            Ok((line, at)) if line.starts_with(&wanted) => break at,
            Ok(_) => continue,
            Err(_) => {
                terminate(child.id());
                let _ = child.wait();
                return Err(format!("{} never printed {wanted:?}", binary.display()));
            }
        }
    };
    std::thread::sleep(SETTLE);
    let processes = process_tree(child.id()).len();
    let (rss_kib, pss_kib) = tree_memory(child.id());
    terminate(child.id());
    let _ = child.wait();
    // Let the WebKit processes of this launch exit before the next one starts.
    std::thread::sleep(Duration::from_millis(500));
    Ok(Launch {
        to_paint: painted_at - started,
        rss_kib,
        pss_kib,
        processes,
    })
}

/// Opens the 200-message room once (filling the cache), then alternates with another room,
/// timing each reopening as the UI reports it: click → 50 items painted.
async fn open_cached_room(
    app: &Path,
    environment: &[(String, String)],
    big_room: &str,
) -> BenchResult<Vec<Duration>> {
    let marks = tempfile::NamedTempFile::new().map_err(fail)?;
    let mut environment = environment.to_vec();
    environment.retain(|(key, _)| key != "ESTAFETTE_REPORT_PAINTS");
    environment.push((
        "ESTAFETTE_REPORT_PAINTS".into(),
        marks.path().display().to_string(),
    ));
    let driver = TauriDriver::start(&environment);
    let window = driver.launch_binary(app, "bench-open-room").await;
    let mut timings = Vec::new();
    // 500 rooms do not fit on one page of the list: find each room with the filter box.
    let filter = window.find("searchbox", "Filter conversations").await;
    for round in 0..=RUNS {
        for room in ["Dossier 002", big_room] {
            window.clear(&filter).await;
            window.type_into(&filter, room).await;
            let button = window.find("button", room).await;
            let already = std::fs::read_to_string(marks.path())
                .unwrap_or_default()
                .len();
            window.click(&button).await;
            let elapsed = wait_for_timeline_mark(marks.path(), already)?;
            if room == big_room && round > 0 {
                timings.push(elapsed);
            }
        }
    }
    window.close().await;
    Ok(timings)
}

/// The next `timeline` mark appended to `marks` after its first `already` bytes.
fn wait_for_timeline_mark(marks: &Path, already: usize) -> BenchResult<Duration> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let text = std::fs::read_to_string(marks).unwrap_or_default();
        let mark = text.get(already..).and_then(|new| {
            new.lines()
                .find_map(|line| line.strip_prefix("estafette-painted timeline "))
                .map(str::to_owned)
        });
        if let Some(milliseconds) = mark {
            let milliseconds: f64 = milliseconds.trim().parse().map_err(fail)?;
            return Ok(Duration::from_secs_f64(milliseconds / 1000.0));
        }
        if Instant::now() > deadline {
            return Err("no timeline paint reported".into());
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn terminate(pid: u32) {
    let _ = Command::new("kill").arg(pid.to_string()).status();
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(f64::NAN)
}

fn range(values: &[f64]) -> (f64, f64) {
    let min = values.iter().copied().fold(f64::INFINITY, f64::min);
    let max = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    (min, max)
}

fn report(floor: &[Launch], app: &[Launch], open_room: &[Duration]) -> BenchResult<()> {
    let millis = |launches: &[Launch]| -> Vec<f64> {
        launches
            .iter()
            .map(|launch| launch.to_paint.as_secs_f64() * 1000.0)
            .collect()
    };
    let mib = |launches: &[Launch], pick: fn(&Launch) -> u64| -> Vec<f64> {
        launches
            .iter()
            .map(|launch| pick(launch) as f64 / 1024.0)
            .collect()
    };
    let rows = [
        ("start → first paint (ms)", millis(floor), millis(app)),
        (
            "RSS, all processes (MiB)",
            mib(floor, |l| l.rss_kib),
            mib(app, |l| l.rss_kib),
        ),
        (
            "PSS, all processes (MiB)",
            mib(floor, |l| l.pss_kib),
            mib(app, |l| l.pss_kib),
        ),
    ];
    println!();
    println!("| measure | empty window (floor) | Estafette, 500 rooms | ratio |");
    println!("|---|---|---|---|");
    let mut json_rows = Vec::new();
    for (name, floor_values, app_values) in &rows {
        let (floor_median, app_median) = (median(floor_values.clone()), median(app_values.clone()));
        let (floor_min, floor_max) = range(floor_values);
        let (app_min, app_max) = range(app_values);
        let ratio = app_median / floor_median;
        println!(
            "| {name} | {floor_median:.0} ({floor_min:.0}–{floor_max:.0}) | {app_median:.0} ({app_min:.0}–{app_max:.0}) | {ratio:.2}× |"
        );
        json_rows.push(serde_json::json!({
            "measure": name, "floor_median": floor_median, "floor_min": floor_min, "floor_max": floor_max,
            "app_median": app_median, "app_min": app_min, "app_max": app_max, "ratio": ratio,
        }));
    }
    let open: Vec<f64> = open_room
        .iter()
        .map(|elapsed| elapsed.as_secs_f64() * 1000.0)
        .collect();
    let (open_min, open_max) = range(&open);
    let open_median = median(open.clone());
    println!(
        "| open a cached room → 50 items painted (ms) | | {open_median:.0} ({open_min:.0}–{open_max:.0}) | |"
    );
    println!(
        "processes measured: floor {}, app {}",
        floor.first().map_or(0, |launch| launch.processes),
        app.first().map_or(0, |launch| launch.processes)
    );
    let results = serde_json::json!({
        "runs": RUNS,
        "rows": json_rows,
        "open_cached_room_ms": { "median": open_median, "min": open_min, "max": open_max },
    });
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../bench-results/app.json");
    std::fs::write(&path, serde_json::to_string_pretty(&results).map_err(fail)?).map_err(fail)?;
    println!("written to {}", path.display());
    Ok(())
}
