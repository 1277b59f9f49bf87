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

impl Drop for VirtualDisplay {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
