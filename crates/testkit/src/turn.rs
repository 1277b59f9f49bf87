//! A TURN server on 127.0.0.1 for call tests: coturn, with the shared secret Synapse uses to
//! hand out time-limited credentials (`/voip/turnServer`), as a state deployment runs it.

use std::{
    process::{Child, Command, Stdio},
    time::Duration,
};

use rand::{
    Rng,
    distr::{Alphanumeric, SampleString},
};

use crate::TestkitError;

/// A running coturn; stopped when dropped.
#[derive(Debug)]
pub struct TurnServer {
    port: u16,
    secret: String,
    process: Child,
}

impl TurnServer {
    /// Starts `turnserver` (Debian's `coturn`) on a free port of 127.0.0.1, relaying between
    /// loopback peers only, with its relay ports in a random range of its own.
    pub async fn start() -> Result<Self, TestkitError> {
        let port = crate::config::free_port()?;
        let secret = Alphanumeric.sample_string(&mut rand::rng(), 32);
        let relay_base: u16 = rand::rng().random_range(20_000..60_000);
        let process = Command::new("turnserver")
            .args([
                "-n",
                "--listening-ip=127.0.0.1",
                "--relay-ip=127.0.0.1",
                &format!("--listening-port={port}"),
                &format!("--min-port={relay_base}"),
                &format!("--max-port={}", relay_base + 200),
                "--use-auth-secret",
                &format!("--static-auth-secret={secret}"),
                "--realm=estafette.test",
                "--no-tls",
                "--no-dtls",
                "--no-cli",
                "--allow-loopback-peers",
                "--fingerprint",
                "--log-file=stdout",
                "--simple-log",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(TestkitError::io("starting turnserver (the coturn package)"))?;
        let mut server = Self {
            port,
            secret,
            process,
        };
        server.wait_until_listening().await?;
        Ok(server)
    }

    /// coturn listens on TCP as well as UDP on its port: once a connection is taken, it
    /// answers allocations too (a few hundred milliseconds after it starts).
    async fn wait_until_listening(&mut self) -> Result<(), TestkitError> {
        for _ in 0..200 {
            if let Ok(Some(status)) = self.process.try_wait() {
                return Err(TestkitError::Protocol {
                    what: "starting turnserver".to_owned(),
                    detail: format!("it exited: {status}"),
                });
            }
            if tokio::net::TcpStream::connect(("127.0.0.1", self.port))
                .await
                .is_ok()
            {
                return Ok(());
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        Err(TestkitError::Protocol {
            what: "starting turnserver".to_owned(),
            detail: "not listening after 10 s".to_owned(),
        })
    }

    /// As Synapse's `turn_uris` lists it.
    pub fn uri(&self) -> String {
        format!("turn:127.0.0.1:{}?transport=udp", self.port)
    }

    pub fn secret(&self) -> &str {
        &self.secret
    }
}

impl Drop for TurnServer {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}
