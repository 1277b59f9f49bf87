//! What the core's benchmarks share: a runtime that reports errors, memory figures from the
//! kernel, and results written beside the others in `bench-results/`.

use std::path::Path;

pub type BenchResult<T> = Result<T, String>;

pub fn fail(error: impl std::fmt::Display) -> String {
    error.to_string()
}

/// Runs the benchmark; an error ends the process with its message. Cargo passes `--bench` to
/// harness-less benches; there are no options to read.
pub fn run_bench(bench: impl Future<Output = BenchResult<()>>) {
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: {error}");
            std::process::exit(1);
        }
    };
    if let Err(error) = runtime.block_on(bench) {
        eprintln!("error: {error}");
        std::process::exit(1);
    }
}

/// A `/proc/self/status` figure in KiB (`VmRSS:`, `VmHWM:`); 0 where there is none.
pub fn memory_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status.lines().find_map(|line| {
                line.strip_prefix(field)?
                    .trim()
                    .trim_end_matches(" kB")
                    .trim()
                    .parse()
                    .ok()
            })
        })
        .unwrap_or(0)
}

pub fn unix_time() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|since| since.as_secs())
        .unwrap_or(0)
}

/// Writes `bench-results/<name>.json`.
pub fn write_results(name: &str, document: &serde_json::Value) -> BenchResult<()> {
    let out_dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../bench-results");
    std::fs::create_dir_all(&out_dir).map_err(fail)?;
    let path = out_dir.join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string_pretty(document).map_err(fail)?).map_err(fail)?;
    println!("results written to {}", path.display());
    Ok(())
}
