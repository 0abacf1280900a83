//! The HTTP side of `duet-mock-responses`: answers `POST /v1/responses`
//! from a [`ScriptState`], HTTP/1.1 keep-alive, SSE as chunked bodies. Lives
//! in the library so tests can run it in-process; argument parsing and the
//! port file are the binary's.

use crate::mock_script::{Piece, Reply, ScriptState};
use crate::wire::{read_request, reason};
use std::io::Write;
use std::sync::{Arc, Mutex};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};

/// What every connection shares.
struct Shared {
    state: Mutex<ScriptState>,
    /// Each request body is appended here as one JSON line.
    log: Option<Mutex<std::fs::File>>,
}

/// Serve `listener` until accepting fails. Each connection runs in its own
/// task; they end when their client closes the connection.
pub async fn serve(
    listener: TcpListener,
    state: ScriptState,
    log: Option<std::fs::File>,
) -> std::io::Error {
    let shared = Arc::new(Shared {
        state: Mutex::new(state),
        log: log.map(Mutex::new),
    });
    loop {
        match listener.accept().await {
            Ok((socket, _)) => {
                let _ = socket.set_nodelay(true);
                tokio::spawn(connection(socket, shared.clone()));
            }
            Err(err) => return err,
        }
    }
}

/// Answer requests on one connection until the client closes it.
async fn connection(mut socket: TcpStream, shared: Arc<Shared>) {
    let mut buffer = Vec::new();
    while let Some((method, request)) = read_request(&mut socket, &mut buffer).await {
        let path = request.path_and_query.split('?').next().unwrap_or_default();
        let wire = crate::mock_script::Wire::of_path(path);
        let reply = if let (true, Some(wire)) = (method == "POST", wire) {
            if let Some(log) = &shared.log {
                let mut file = log.lock().expect("log lock poisoned");
                // A failed log write must not fail the request under test.
                let _ = writeln!(file, "{}", request.body);
            }
            let mut state = shared.state.lock().expect("state lock poisoned");
            state.reply_on(wire, &request.body)
        } else {
            Reply::Plain {
                status: 404,
                headers: Vec::new(),
                body: format!(
                    "duet-mock-responses serves only POST /v1/responses, /v1/chat/completions and /v1/messages, not {method} {path}"
                ),
            }
        };
        let closing = request
            .headers
            .get("connection")
            .is_some_and(|value| value.eq_ignore_ascii_case("close"));
        if send(&mut socket, reply).await.is_err() || closing {
            return;
        }
    }
}

async fn send(socket: &mut TcpStream, reply: Reply) -> std::io::Result<()> {
    match reply {
        Reply::Plain {
            status,
            headers,
            body,
        } => {
            let mut text = format!("HTTP/1.1 {status} {}\r\n", reason(status));
            for (name, value) in headers {
                text.push_str(&format!("{name}: {value}\r\n"));
            }
            text.push_str(&format!("content-length: {}\r\n\r\n{body}", body.len()));
            socket.write_all(text.as_bytes()).await
        }
        Reply::Stream(pieces) => {
            let mut out = String::from(
                "HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ntransfer-encoding: chunked\r\n\r\n",
            );
            for piece in pieces {
                match piece {
                    // An empty chunk would end the body early.
                    Piece::Text(text) if text.is_empty() => {}
                    Piece::Text(text) => {
                        out.push_str(&format!("{:x}\r\n{text}\r\n", text.len()));
                    }
                    Piece::Sleep(duration) => {
                        socket.write_all(out.as_bytes()).await?;
                        out.clear();
                        tokio::time::sleep(duration).await;
                    }
                }
            }
            out.push_str("0\r\n\r\n");
            socket.write_all(out.as_bytes()).await
        }
    }
}
