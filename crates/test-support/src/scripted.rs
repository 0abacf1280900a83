//! A raw HTTP/1.1 server on 127.0.0.1 that answers each request with a
//! script of byte-level steps, for the faults wiremock cannot make: a body
//! cut by a TCP reset, a stream that stops without its last chunk, silence.
//!
//! Each response uses chunked transfer encoding and `connection: close`; each
//! [`Step::Chunk`] goes out as one HTTP chunk, so the client sees exactly the
//! splits the test asks for. When a script runs out normally the final empty
//! chunk is sent (a clean end of body). [`Step::Reset`] and [`Step::Close`]
//! end the connection without it, which the client must see as an error.
//!
//! Requests past the end of the script get a 500 saying so. The server stops
//! when the [`ScriptedServer`] is dropped. It is not a general HTTP server: it
//! reads one request per connection and needs `content-length` bodies.

use crate::responses_mock::RecordedRequest;
use crate::wire::{read_request, reason};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::task::{JoinHandle, JoinSet};

/// One thing the server does while answering a request.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Send the status line and these headers (plus chunked framing and
    /// `connection: close`). Without it, the first chunk sends a 200
    /// `text/event-stream` head.
    Head {
        status: u16,
        headers: Vec<(String, String)>,
    },
    /// Send these bytes as one chunk of the body.
    Chunk(Vec<u8>),
    /// Wait before the next step.
    Sleep(Duration),
    /// Send nothing more until the client goes away.
    Hang,
    /// Reset the TCP connection (RST) at once.
    Reset,
    /// Close the connection (FIN) without ending the chunked body.
    Close,
}

impl Step {
    /// A chunk of text.
    pub fn text(text: impl Into<String>) -> Step {
        Step::Chunk(text.into().into_bytes())
    }

    /// A head with this status and no extra headers.
    pub fn status(status: u16) -> Step {
        Step::Head {
            status,
            headers: Vec::new(),
        }
    }
}

/// A running scripted server. Dropping it stops the server and its connections.
pub struct ScriptedServer {
    port: u16,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    /// The accept loop; it owns every connection task, so aborting it on drop
    /// ends them all.
    accept_task: JoinHandle<()>,
}

impl ScriptedServer {
    /// Listen on 127.0.0.1 (a free port); the n-th request gets `script[n]`.
    pub async fn start(script: Vec<Vec<Step>>) -> ScriptedServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind a local port for the scripted server");
        let port = listener
            .local_addr()
            .expect("a bound listener has an address")
            .port();
        let requests = Arc::new(Mutex::new(Vec::new()));
        let accept_task = tokio::spawn(accept_loop(listener, script, requests.clone()));
        ScriptedServer {
            port,
            requests,
            accept_task,
        }
    }

    /// The provider `base_url`: `http://127.0.0.1:PORT/v1`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/v1", self.port)
    }

    /// The requests received so far, in arrival order.
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().expect("log lock poisoned").clone()
    }
}

impl Drop for ScriptedServer {
    fn drop(&mut self) {
        self.accept_task.abort();
    }
}

async fn accept_loop(
    listener: TcpListener,
    script: Vec<Vec<Step>>,
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
) {
    let mut connections = JoinSet::new();
    let mut scripts = script.into_iter();
    let scripted = scripts.len();
    let mut number = 0;
    while let Ok((socket, _)) = listener.accept().await {
        number += 1;
        let steps = scripts
            .next()
            .unwrap_or_else(|| past_the_end(number, scripted));
        let requests = requests.clone();
        connections.spawn(async move {
            let mut socket = socket;
            if let Some((_method, request)) = read_request(&mut socket, &mut Vec::new()).await {
                requests.lock().expect("log lock poisoned").push(request);
                // Write errors mean the client left: nothing to do.
                let _ = play(&mut socket, steps).await;
            }
        });
        // Reap finished connections so the set does not grow without bound.
        while connections.try_join_next().is_some() {}
    }
}

fn past_the_end(number: usize, scripted: usize) -> Vec<Step> {
    vec![
        Step::Head {
            status: 500,
            headers: vec![("content-type".to_string(), "application/json".to_string())],
        },
        Step::text(format!(
            r#"{{"error":{{"message":"duet-test-support: request {number} is past the end of the script ({scripted} responses)"}}}}"#
        )),
    ]
}

async fn play(socket: &mut TcpStream, steps: Vec<Step>) -> std::io::Result<()> {
    let mut head_sent = false;
    for step in steps {
        match step {
            Step::Head { status, headers } => {
                socket.write_all(&head(status, &headers)).await?;
                head_sent = true;
            }
            Step::Chunk(bytes) => {
                if !head_sent {
                    socket.write_all(&head(200, &[])).await?;
                    head_sent = true;
                }
                if !bytes.is_empty() {
                    let mut framed = format!("{:x}\r\n", bytes.len()).into_bytes();
                    framed.extend_from_slice(&bytes);
                    framed.extend_from_slice(b"\r\n");
                    socket.write_all(&framed).await?;
                }
            }
            Step::Sleep(duration) => tokio::time::sleep(duration).await,
            Step::Hang => {
                let mut sink = [0u8; 1024];
                while socket.read(&mut sink).await? > 0 {}
                return Ok(());
            }
            Step::Reset => {
                socket.set_zero_linger()?;
                return Ok(());
            }
            Step::Close => {
                socket.shutdown().await?;
                return Ok(());
            }
        }
    }
    if !head_sent {
        socket.write_all(&head(200, &[])).await?;
    }
    socket.write_all(b"0\r\n\r\n").await?;
    socket.shutdown().await
}

/// A status line and headers for a chunked, closing response.
fn head(status: u16, headers: &[(String, String)]) -> Vec<u8> {
    let mut text = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    let has_content_type = headers
        .iter()
        .any(|(name, _)| name.eq_ignore_ascii_case("content-type"));
    if !has_content_type {
        text.push_str("content-type: text/event-stream\r\n");
    }
    for (name, value) in headers {
        text.push_str(&format!("{name}: {value}\r\n"));
    }
    text.push_str("transfer-encoding: chunked\r\nconnection: close\r\n\r\n");
    text.into_bytes()
}
