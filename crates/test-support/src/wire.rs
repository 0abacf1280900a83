//! Just enough HTTP/1.1 to read a request, shared by the scripted server and
//! the `duet-mock-responses` binary. Not a general parser: bodies must have a
//! `content-length` (no chunked requests), and the head must be ASCII-ish.

use crate::responses_mock::{RecordedRequest, body_json};
use std::collections::BTreeMap;
use tokio::io::AsyncReadExt;
use tokio::net::TcpStream;

/// Read the next request from `socket`: its method and the request. `buffer` holds bytes read past the
/// previous request (keep-alive) and keeps those past this one. `None` when
/// the client closed the connection or sent something unreadable.
pub async fn read_request(
    socket: &mut TcpStream,
    buffer: &mut Vec<u8>,
) -> Option<(String, RecordedRequest)> {
    let mut chunk = [0u8; 16 * 1024];
    let head_end = loop {
        if let Some(end) = find(buffer, b"\r\n\r\n") {
            break end;
        }
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let mut lines = head.split("\r\n");
    let mut request_line = lines.next()?.split(' ');
    let method = request_line.next()?.to_string();
    let path_and_query = request_line.next()?.to_string();
    let mut headers = BTreeMap::new();
    for line in lines {
        if let Some((name, value)) = line.split_once(':') {
            headers.insert(name.trim().to_ascii_lowercase(), value.trim().to_string());
        }
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|length| length.parse().ok())
        .unwrap_or(0);
    let body_start = head_end + 4;
    while buffer.len() < body_start + length {
        let read = socket.read(&mut chunk).await.ok()?;
        if read == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..read]);
    }
    let body = body_json(&buffer[body_start..body_start + length]);
    buffer.drain(..body_start + length);
    let request = RecordedRequest {
        path_and_query,
        headers,
        body,
    };
    Some((method, request))
}

/// The reason phrase of the statuses the mocks send.
pub fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        400 => "Bad Request",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}
