//! The demo of `cargo xtask run`, started as its own process the way xtask starts it.

use std::{
    io::{BufRead, BufReader},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
};

#[derive(Debug)]
pub struct Demo {
    process: Child,
    url: String,
}

fn demo_binary() -> PathBuf {
    let binary = Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug/estafette-demo");
    assert!(
        binary.exists(),
        "{} is missing: run with `cargo xtask test`",
        binary.display()
    );
    binary
}

impl Demo {
    /// Starts the demo with its data in `dir` and waits until it is ready.
    pub fn start(dir: &Path) -> Self {
        let mut process = Command::new(demo_binary())
            .arg("--dir")
            .arg(dir)
            .stdout(Stdio::piped())
            .spawn()
            .expect("the demo starts");
        let stdout = process.stdout.take().expect("demo output");
        let mut lines = BufReader::new(stdout).lines();
        let url = loop {
            let Some(Ok(line)) = lines.next() else {
                panic!("the demo stopped before it was ready");
            };
            if let Some(url) = line.strip_prefix("estafette-demo ready ") {
                break url.trim().to_owned();
            }
        };
        // Keep draining its output so that it never blocks on a full pipe.
        std::thread::spawn(move || for _ in lines.map_while(Result::ok) {});
        Self { process, url }
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// What `cargo xtask run` gives the app in demo mode.
    pub fn app_environment(&self) -> Vec<(String, String)> {
        vec![
            ("ESTAFETTE_DEMO_HOMESERVER".into(), self.url.clone()),
            ("ESTAFETTE_DEMO_USERS".into(), "alice,bob,charlie".into()),
            ("ESTAFETTE_DEMO_PASSWORD".into(), "estafette-demo".into()),
        ]
    }
}

impl Drop for Demo {
    fn drop(&mut self) {
        // SIGTERM: the demo stops Synapse and its companions itself.
        let _ = Command::new("kill")
            .arg(self.process.id().to_string())
            .status();
        let _ = self.process.wait();
    }
}
