//! The Synapse child process: starting it in its own process group with a parent-death
//! watchdog, and stopping it (SIGTERM, then SIGKILL) from async code or from `Drop`.
//!
//! Uses std's process API rather than tokio's so that stopping works the same inside and
//! outside a runtime, e.g. in `Drop` after the test's runtime has shut down.

use std::{
    fs::File,
    os::unix::process::CommandExt,
    path::Path,
    process::{Child, ChildStdin, Command, ExitStatus, Stdio},
    sync::Mutex,
    time::{Duration, Instant},
};

use crate::{TestkitError, config};

/// A Python program that runs `module`'s `__main__` with `argv` (a Python expression) after
/// starting a thread that stops the process at end of input. Our end of that pipe closes when
/// we close it or when our process dies, however it dies (SIGKILL included), so no server of
/// the kit outlives its owner.
pub(crate) fn stopped_with_owner(module: &str, argv: &str) -> String {
    format!(
        r#"
import os, runpy, signal, sys, threading

def stop_when_owner_is_gone():
    while os.read(0, 4096):
        pass
    os.kill(os.getpid(), signal.SIGTERM)

threading.Thread(target=stop_when_owner_is_gone, daemon=True).start()
sys.argv = {argv}
runpy.run_module("{module}", run_name="__main__", alter_sys=True)
"#
    )
}

const POLL: Duration = Duration::from_millis(20);

#[derive(Debug)]
pub(crate) struct SynapseProcess {
    // A mutex only so that `&self` can ask whether the process still runs.
    child: Mutex<Child>,
    lifeline: Option<ChildStdin>,
    pid: u32,
}

impl SynapseProcess {
    pub fn spawn(venv: &Path, dir: &Path) -> Result<Self, TestkitError> {
        let output = |name: &str| {
            let path = dir.join(name);
            File::options()
                .create(true)
                .append(true)
                .open(&path)
                .map_err(TestkitError::io(format!("opening {}", path.display())))
        };
        let python = venv.join("bin").join("python");
        let mut child = Command::new(&python)
            .arg("-c")
            .arg(stopped_with_owner(
                "synapse.app.homeserver",
                r#"["synapse.app.homeserver", "-c", sys.argv[1]]"#,
            ))
            .arg(dir.join(config::CONFIG_FILE))
            .current_dir(dir)
            .stdin(Stdio::piped())
            .stdout(output("stdout.log")?)
            .stderr(output(config::STDERR_FILE)?)
            // Its own group: a terminal's Ctrl-C reaches the owner, which then stops the
            // server in order, and a signal to the group reaches anything Synapse started.
            .process_group(0)
            .spawn()
            .map_err(TestkitError::io(format!("starting {}", python.display())))?;
        let lifeline = child.stdin.take();
        let pid = child.id();
        Ok(Self {
            child: Mutex::new(child),
            lifeline,
            pid,
        })
    }

    fn child(&self) -> std::sync::MutexGuard<'_, Child> {
        // A panic while holding the guard leaves the Child itself intact.
        self.child
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The exit status once the process has ended.
    pub fn exited(&self) -> Result<Option<ExitStatus>, TestkitError> {
        self.child()
            .try_wait()
            .map_err(TestkitError::io("checking on Synapse"))
    }

    pub fn is_running(&self) -> bool {
        matches!(self.exited(), Ok(None))
    }

    /// Asks for a clean shutdown: SIGTERM to the group, or end of input for the watchdog when
    /// `kill` cannot be run (closing it as well would only deliver a second SIGTERM).
    fn terminate(&mut self) {
        if !(self.is_running() && signal_group(self.pid, "TERM")) {
            self.lifeline = None;
        }
    }

    fn kill(&mut self) {
        if self.is_running() {
            signal_group(self.pid, "KILL");
            // Covers a missing `kill` program; an error means it is already gone.
            let _ = self.child().kill();
        }
    }

    /// SIGTERM, wait up to `grace`, then SIGKILL; returns once the process is reaped.
    pub async fn stop(mut self, grace: Duration) -> Result<(), TestkitError> {
        self.terminate();
        let deadline = Instant::now() + grace;
        while self.exited()?.is_none() {
            if Instant::now() >= deadline {
                return self.kill_and_reap();
            }
            tokio::time::sleep(POLL).await;
        }
        Ok(())
    }

    /// [`Self::stop`] for `Drop`: blocks the calling thread.
    pub fn stop_blocking(mut self, grace: Duration) {
        self.terminate();
        let deadline = Instant::now() + grace;
        while matches!(self.exited(), Ok(None)) {
            if Instant::now() >= deadline {
                // Nothing more can be done about a failure here.
                let _ = self.kill_and_reap();
                return;
            }
            std::thread::sleep(POLL);
        }
    }

    /// SIGKILL at once, as a power cut or the out-of-memory killer would: no clean shutdown.
    pub fn crash(mut self) -> Result<(), TestkitError> {
        self.kill_and_reap()
    }

    fn kill_and_reap(&mut self) -> Result<(), TestkitError> {
        self.kill();
        self.child()
            .wait()
            .map_err(TestkitError::io("waiting for Synapse to die"))?;
        Ok(())
    }
}

impl Drop for SynapseProcess {
    fn drop(&mut self) {
        // Reached only when a start failed half-way; normal paths consume `self` in a stop.
        if self.is_running() {
            self.kill();
            let _ = self.child().wait();
        }
    }
}

/// Sends `signal` to the process group led by `pid`. Only called while the leader is not
/// reaped, so the group id cannot have been reused. `kill(1)` keeps this crate free of
/// unsafe code.
fn signal_group(pid: u32, signal: &str) -> bool {
    Command::new("kill")
        .args(["-s", signal, "--", &format!("-{pid}")])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|status| status.success())
}
