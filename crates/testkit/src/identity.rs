//! The state's email → homeserver directory: `GET /_matrix/identity/api/v1/info` answering
//! `{"hs": …}` for the addresses it knows and `{}` for the others, as the deployments'
//! identity servers do. No package implements it (not even Sydent), hence this small server
//! of the kit's own, on 127.0.0.1 (shared/notes/state-servers.md).

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use serde_json::json;
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

use crate::TestkitError;

/// A running directory; it stops when dropped.
#[derive(Debug)]
pub struct IdentityServer {
    port: u16,
    addresses: Arc<Mutex<HashMap<String, String>>>,
    /// Every lookup asked, in order (the tests check what the client sent).
    asked: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl IdentityServer {
    pub async fn start() -> Result<Self, TestkitError> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(TestkitError::io("binding the identity server"))?;
        let port = listener
            .local_addr()
            .map_err(TestkitError::io("reading the identity server's port"))?
            .port();
        let addresses: Arc<Mutex<HashMap<String, String>>> = Arc::default();
        let asked: Arc<Mutex<Vec<String>>> = Arc::default();
        let task = tokio::spawn({
            let (addresses, asked) = (addresses.clone(), asked.clone());
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let (addresses, asked) = (addresses.clone(), asked.clone());
                    tokio::spawn(async move {
                        let _ = serve(stream, &addresses, &asked).await;
                    });
                }
            }
        });
        Ok(Self {
            port,
            addresses,
            asked,
            task,
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn base_url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// From now on `email` belongs to the server named `homeserver` (`127.0.0.1:PORT`).
    pub fn map(&self, email: &str, homeserver: &str) {
        self.addresses
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(email.to_lowercase(), homeserver.to_owned());
    }

    /// The addresses looked up so far.
    pub fn asked(&self) -> Vec<String> {
        self.asked.lock().unwrap_or_else(|e| e.into_inner()).clone()
    }
}

impl Drop for IdentityServer {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(
    mut stream: TcpStream,
    addresses: &Mutex<HashMap<String, String>>,
    asked: &Mutex<Vec<String>>,
) -> std::io::Result<()> {
    let mut request = Vec::new();
    let mut buffer = [0u8; 2048];
    while !request.windows(4).any(|window| window == b"\r\n\r\n") && request.len() < 16_384 {
        let read = stream.read(&mut buffer).await?;
        if read == 0 {
            break;
        }
        request.extend_from_slice(&buffer[..read]);
    }
    let text = String::from_utf8_lossy(&request);
    let target = text
        .lines()
        .next()
        .and_then(|line| line.strip_prefix("GET "))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_default();
    let (status, body) = match target.split_once('?') {
        Some(("/_matrix/identity/api/v1/info", query)) => {
            let parameters: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
                .into_owned()
                .collect();
            match (parameters.get("medium"), parameters.get("address")) {
                (Some(medium), Some(address)) if medium == "email" => {
                    asked
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .push(address.clone());
                    let known = addresses
                        .lock()
                        .unwrap_or_else(|e| e.into_inner())
                        .get(&address.to_lowercase())
                        .cloned();
                    let body = match known {
                        Some(server) => json!({ "hs": server }),
                        None => json!({}),
                    };
                    ("200 OK", body)
                }
                _ => (
                    "400 Bad Request",
                    json!({ "errcode": "M_MISSING_PARAMS", "error": "medium and address" }),
                ),
            }
        }
        _ => (
            "404 Not Found",
            json!({ "errcode": "M_UNRECOGNIZED", "error": "unknown endpoint" }),
        ),
    };
    let body = body.to_string();
    let response = format!(
        "HTTP/1.1 {status}\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
        body.len()
    );
    stream.write_all(response.as_bytes()).await?;
    stream.shutdown().await
}
