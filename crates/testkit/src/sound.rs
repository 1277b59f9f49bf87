//! A sound server for call tests: PulseAudio, alone on a socket of its own, with virtual
//! microphones and speakers (null sources and sinks). GStreamer lists and opens them as it
//! does a laptop's; `pactl` tells which device a stream really uses.

use std::{
    path::PathBuf,
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use crate::TestkitError;

/// A running PulseAudio; stopped when dropped.
#[derive(Debug)]
pub struct SoundServer {
    folder: tempfile::TempDir,
    process: Child,
}

impl SoundServer {
    /// Starts `pulseaudio` with the microphones and speakers named (their names are also what
    /// the system shows of them).
    pub fn start(microphones: &[&str], speakers: &[&str]) -> Result<Self, TestkitError> {
        let folder = tempfile::tempdir().map_err(TestkitError::io("a sound server's folder"))?;
        let socket = folder.path().join("native");
        let mut modules = vec![format!(
            "module-native-protocol-unix socket={} auth-anonymous=1",
            socket.display()
        )];
        modules.extend(
            microphones
                .iter()
                .map(|name| format!("module-null-source source_name={name} description={name}")),
        );
        modules.extend(speakers.iter().map(|name| {
            format!("module-null-sink sink_name={name} sink_properties=device.description={name}")
        }));
        let mut command = Command::new("pulseaudio");
        command
            // No configuration of the machine's: only the modules given here.
            .args([
                "-n",
                "--daemonize=no",
                "--exit-idle-time=-1",
                "--use-pid-file=false",
            ])
            .args(modules.iter().map(|module| format!("--load={module}")))
            .env("HOME", folder.path())
            .env("XDG_RUNTIME_DIR", folder.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null());
        let process = command.spawn().map_err(TestkitError::io(
            "starting pulseaudio (the pulseaudio package)",
        ))?;
        let server = Self { folder, process };
        let deadline = Instant::now() + Duration::from_secs(15);
        while !server.answers() {
            if Instant::now() > deadline {
                return Err(TestkitError::Sound("it did not answer within 15 s".into()));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(server)
    }

    /// What `PULSE_SERVER` says to reach it.
    pub fn address(&self) -> String {
        format!("unix:{}", self.socket().display())
    }

    fn socket(&self) -> PathBuf {
        self.folder.path().join("native")
    }

    fn answers(&self) -> bool {
        self.socket().exists() && self.pactl(&["info"]).is_ok()
    }

    /// The source each capture stream reads from, or the sink each playing stream goes to,
    /// by name: `kind` is `source-outputs` or `sink-inputs`.
    pub fn streams_on(&self, kind: &str) -> Result<Vec<String>, TestkitError> {
        let (devices, streams) = match kind {
            "source-outputs" => ("sources", kind),
            _ => ("sinks", "sink-inputs"),
        };
        let names: Vec<(String, String)> = self
            .pactl(&["list", "short", devices])?
            .lines()
            .filter_map(|line| {
                let mut fields = line.split('\t');
                Some((fields.next()?.to_owned(), fields.next()?.to_owned()))
            })
            .collect();
        Ok(self
            .pactl(&["list", "short", streams])?
            .lines()
            .filter_map(|line| line.split('\t').nth(1))
            .filter_map(|index| {
                names
                    .iter()
                    .find(|(known, _)| known == index)
                    .map(|(_, name)| name.clone())
            })
            .collect())
    }

    fn pactl(&self, args: &[&str]) -> Result<String, TestkitError> {
        let output = Command::new("pactl")
            .args(args)
            .env("PULSE_SERVER", self.address())
            .stdin(Stdio::null())
            .output()
            .map_err(TestkitError::io(
                "running pactl (the pulseaudio-utils package)",
            ))?;
        if !output.status.success() {
            return Err(TestkitError::Sound(format!(
                "pactl {}: {}",
                args.join(" "),
                String::from_utf8_lossy(&output.stderr).trim()
            )));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }
}

impl Drop for SoundServer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
