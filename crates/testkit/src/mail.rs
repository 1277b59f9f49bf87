//! An SMTP server on 127.0.0.1 that keeps every message it is given: where Synapse sends its
//! emails in tests (account renewal links). Plain SMTP, no TLS, no authentication: it never
//! relays anything anywhere.

use std::sync::{Arc, Mutex};

use tokio::{
    io::{AsyncBufReadExt, AsyncWriteExt, BufReader},
    net::{TcpListener, TcpStream},
    task::JoinHandle,
};

use crate::TestkitError;

/// A running mail sink; it stops when dropped.
#[derive(Debug)]
pub struct MailSink {
    port: u16,
    messages: Arc<Mutex<Vec<String>>>,
    task: JoinHandle<()>,
}

impl MailSink {
    pub async fn start() -> Result<Self, TestkitError> {
        let listener = TcpListener::bind(("127.0.0.1", 0))
            .await
            .map_err(TestkitError::io("binding the mail sink"))?;
        let port = listener
            .local_addr()
            .map_err(TestkitError::io("reading the mail sink's port"))?
            .port();
        let messages: Arc<Mutex<Vec<String>>> = Arc::default();
        let task = tokio::spawn({
            let messages = messages.clone();
            async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let messages = messages.clone();
                    tokio::spawn(async move {
                        if let Err(error) = receive(stream, &messages).await {
                            tracing::warn!(%error, "the mail sink lost a connection");
                        }
                    });
                }
            }
        });
        Ok(Self {
            port,
            messages,
            task,
        })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every message received so far, headers and body as sent (after SMTP's dot-unstuffing).
    pub fn messages(&self) -> Vec<String> {
        self.messages
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }
}

impl MailSink {
    /// The links (`http://…`) in the messages received so far, from every part of each,
    /// base64 parts decoded.
    pub fn links(&self) -> Vec<String> {
        self.messages()
            .iter()
            .flat_map(|message| decoded_parts(message))
            .flat_map(|text| links_in(&text))
            .collect()
    }
}

/// Each MIME part's text (the message itself when it has none), base64 decoded.
fn decoded_parts(message: &str) -> Vec<String> {
    use base64::Engine;
    let mut parts = Vec::new();
    for part in message.split("\n--") {
        let Some((headers, body)) = part.split_once("\n\n") else {
            continue;
        };
        if headers
            .to_ascii_lowercase()
            .contains("content-transfer-encoding: base64")
        {
            let joined: String = body.split_whitespace().collect();
            let joined = joined.trim_end_matches('-');
            if let Ok(bytes) = base64::engine::general_purpose::STANDARD.decode(joined) {
                parts.push(String::from_utf8_lossy(&bytes).into_owned());
            }
        } else {
            parts.push(body.to_owned());
        }
    }
    parts
}

fn links_in(text: &str) -> Vec<String> {
    text.match_indices("http://")
        .map(|(start, _)| {
            text[start..]
                .chars()
                .take_while(|c| !c.is_whitespace() && !matches!(c, '"' | '<' | '>'))
                .collect()
        })
        .collect()
}

impl Drop for MailSink {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn receive(stream: TcpStream, messages: &Mutex<Vec<String>>) -> std::io::Result<()> {
    let (reader, mut writer) = stream.into_split();
    let mut lines = BufReader::new(reader).lines();
    writer.write_all(b"220 estafette-test ESMTP\r\n").await?;
    while let Some(line) = lines.next_line().await? {
        let command = line.to_ascii_uppercase();
        let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO") {
            b"250 estafette-test\r\n"
        } else if command.starts_with("DATA") {
            writer.write_all(b"354 end with <CRLF>.<CRLF>\r\n").await?;
            let mut message = String::new();
            while let Some(line) = lines.next_line().await? {
                if line == "." {
                    break;
                }
                message.push_str(line.strip_prefix('.').unwrap_or(&line));
                message.push('\n');
            }
            messages
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(message);
            b"250 kept\r\n"
        } else if command.starts_with("QUIT") {
            writer.write_all(b"221 bye\r\n").await?;
            return Ok(());
        } else {
            // MAIL FROM, RCPT TO, RSET, NOOP: all accepted.
            b"250 ok\r\n"
        };
        writer.write_all(reply).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn links_are_found_in_base64_parts_and_plain_ones() {
        let message = "Content-Type: multipart/alternative; boundary=\"b\"\n\n--b\n\
            Content-Transfer-Encoding: base64\n\naHR0cDovLzEyNy4wLjAuMToxL3JlbmV3P3Rva2Vu\nPWFiYw==\n\n\
            --b\nContent-Type: text/html\n\n<a href=\"http://127.0.0.1:1/other\">x</a>\n--b--\n";
        let texts = decoded_parts(message);
        let links: Vec<String> = texts.iter().flat_map(|text| links_in(text)).collect();
        assert_eq!(
            links,
            vec![
                "http://127.0.0.1:1/renew?token=abc",
                "http://127.0.0.1:1/other"
            ]
        );
    }
}
