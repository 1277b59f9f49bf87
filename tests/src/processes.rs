//! The app's processes as the system sees them, for the benchmarks: the app spawns WebKit's
//! web and network processes, and its memory is theirs too.

use std::{collections::HashMap, path::Path};

/// `root` and every process descending from it.
pub fn process_tree(root: u32) -> Vec<u32> {
    let mut parents: HashMap<u32, u32> = HashMap::new();
    for (pid, stat) in processes() {
        // The command name may contain spaces: fields start after its closing ')'.
        let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) else {
            continue;
        };
        if let Some(parent) = rest
            .split_whitespace()
            .nth(1)
            .and_then(|ppid| ppid.parse().ok())
        {
            parents.insert(pid, parent);
        }
    }
    let mut tree = vec![root];
    let mut index = 0;
    while index < tree.len() {
        let parent = tree[index];
        tree.extend(
            parents
                .iter()
                .filter(|(_, p)| **p == parent)
                .map(|(pid, _)| *pid),
        );
        index += 1;
    }
    tree
}

/// The process running `binary`, when one is (an app launched by tauri-driver is not our
/// child, so its ID is found this way).
pub fn process_running(binary: &Path) -> Option<u32> {
    let wanted = binary.canonicalize().ok()?;
    processes()
        .into_iter()
        .map(|(pid, _)| pid)
        .find(|pid| std::fs::read_link(format!("/proc/{pid}/exe")).is_ok_and(|exe| exe == wanted))
}

/// RSS and PSS in KiB (`smaps_rollup`); PSS counts shared pages once across processes.
pub fn memory_of(pid: u32) -> (u64, u64) {
    let text = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")).unwrap_or_default();
    let field = |name: &str| {
        text.lines()
            .find_map(|line| line.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|value| value.parse().ok())
            .unwrap_or(0)
    };
    (field("Rss:"), field("Pss:"))
}

/// RSS and PSS in KiB of `root` and its descendants together.
pub fn tree_memory(root: u32) -> (u64, u64) {
    process_tree(root).iter().fold((0, 0), |(rss, pss), pid| {
        let (process_rss, process_pss) = memory_of(*pid);
        (rss + process_rss, pss + process_pss)
    })
}

/// CPU time (user and system) `root` and its descendants have used, in seconds.
pub fn tree_cpu_seconds(root: u32) -> f64 {
    // Clock ticks are 100 a second on Linux for every architecture we build for.
    const TICKS_PER_SECOND: f64 = 100.0;
    let ticks: u64 = process_tree(root)
        .iter()
        .filter_map(|pid| std::fs::read_to_string(format!("/proc/{pid}/stat")).ok())
        .filter_map(|stat| {
            let rest = stat.rsplit_once(')')?.1.to_owned();
            let fields: Vec<&str> = rest.split_whitespace().collect();
            // After the name: state is field 3, utime 14 and stime 15 (1-based, `proc(5)`).
            let user: u64 = fields.get(11)?.parse().ok()?;
            let system: u64 = fields.get(12)?.parse().ok()?;
            Some(user + system)
        })
        .sum();
    ticks as f64 / TICKS_PER_SECOND
}

/// Every process's ID and `stat` line.
fn processes() -> Vec<(u32, String)> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| {
            let pid = entry.file_name().to_str()?.parse().ok()?;
            let stat = std::fs::read_to_string(entry.path().join("stat")).ok()?;
            Some((pid, stat))
        })
        .collect()
}
