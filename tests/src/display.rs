//! A private X display (Xvfb) per test, on loopback only: no TCP listener.

use std::{
    path::Path,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

#[derive(Debug)]
pub struct VirtualDisplay {
    name: String,
    process: Child,
}

impl VirtualDisplay {
    pub fn start() -> Self {
        for number in 90..250 {
            let socket = format!("/tmp/.X11-unix/X{number}");
            let lock = format!("/tmp/.X{number}-lock");
            if is_stale(&lock) {
                // A display killed outright (a test's drop) leaves its lock and socket behind:
                // without this, a machine that ran many suites runs out of numbers.
                let _ = std::fs::remove_file(&lock);
                let _ = std::fs::remove_file(&socket);
            }
            if Path::new(&socket).exists() || Path::new(&lock).exists() {
                continue;
            }
            let name = format!(":{number}");
            let Ok(mut process) = Command::new("Xvfb")
                .args([&name, "-screen", "0", "1280x800x24", "-nolisten", "tcp"])
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
            else {
                panic!("Xvfb is missing: `cargo xtask test` installs it (Debian package xvfb)");
            };
            let deadline = Instant::now() + Duration::from_secs(10);
            while Instant::now() < deadline {
                if Path::new(&socket).exists() {
                    return Self { name, process };
                }
                if let Ok(Some(_)) = process.try_wait() {
                    break; // Lost a race for this number: try the next one.
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            let _ = process.kill();
            let _ = process.wait();
        }
        panic!("no free X display number for Xvfb");
    }

    pub fn name(&self) -> &str {
        &self.name
    }
}

/// Whether the X server that wrote `lock` (its process ID, as text) is gone.
fn is_stale(lock: &str) -> bool {
    let Ok(text) = std::fs::read_to_string(lock) else {
        return false;
    };
    match text.trim().parse::<u32>() {
        Ok(pid) => !Path::new(&format!("/proc/{pid}")).exists(),
        Err(_) => false,
    }
}

impl Drop for VirtualDisplay {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
