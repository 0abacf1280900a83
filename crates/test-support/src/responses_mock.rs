//! A wiremock `POST /v1/responses` endpoint that answers from a script and
//! records every request.
//!
//! ```no_run
//! # async fn demo() {
//! use duet_test_support::responses_mock::*;
//! use duet_test_support::sse::*;
//! let server = start_mock().await;
//! let log = mount_sse_sequence(&server, vec![sse_completed_turn(&[ev_assistant_message("m", "hi")])]).await;
//! // point the client at `base_url(&server)`, run it, then:
//! let bodies: Vec<_> = log.requests().into_iter().map(|request| request.body).collect();
//! # }
//! ```
//!
//! Requests past the end of the script get a 500 whose body says so, so a test
//! that sends one request too many fails with a clear message rather than hanging.
//! Byte-level faults (cut bodies, silences) need [`crate::scripted`] instead.

use serde_json::Value;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, Request, Respond, ResponseTemplate};

/// The path every Responses request goes to (the base URL ends in `/v1`).
pub const RESPONSES_PATH: &str = "/v1/responses";

/// One request as the server received it.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordedRequest {
    /// The path and query, e.g. `/v1/responses?api-version=1`.
    pub path_and_query: String,
    /// Header names in lower case; repeated headers joined with `, `.
    pub headers: BTreeMap<String, String>,
    /// The body as JSON (`Value::String` of the raw text if it was not JSON).
    pub body: Value,
}

/// The requests received so far by a mounted sequence, in arrival order.
#[derive(Debug, Clone, Default)]
pub struct ResponsesLog {
    requests: Arc<Mutex<Vec<RecordedRequest>>>,
    /// Each request's body as the bytes that arrived.
    raw_bodies: Arc<Mutex<Vec<Vec<u8>>>>,
}

impl ResponsesLog {
    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.requests.lock().expect("log lock poisoned").clone()
    }

    /// Just the bodies, the usual thing to assert on.
    pub fn bodies(&self) -> Vec<Value> {
        self.requests()
            .into_iter()
            .map(|request| request.body)
            .collect()
    }

    /// The bodies as the bytes that arrived (for checks that the parsed
    /// JSON would hide, such as a byte-for-byte prefix).
    pub fn raw_bodies(&self) -> Vec<Vec<u8>> {
        self.raw_bodies.lock().expect("log lock poisoned").clone()
    }

    fn push(&self, request: RecordedRequest, raw_body: &[u8]) -> usize {
        self.raw_bodies
            .lock()
            .expect("log lock poisoned")
            .push(raw_body.to_vec());
        let mut requests = self.requests.lock().expect("log lock poisoned");
        requests.push(request);
        requests.len()
    }
}

/// A wiremock server on 127.0.0.1.
pub async fn start_mock() -> MockServer {
    MockServer::start().await
}

/// The provider `base_url` for `server` (`http://127.0.0.1:PORT/v1`).
pub fn base_url(server: &MockServer) -> String {
    format!("{}/v1", server.uri())
}

/// A 200 `text/event-stream` response with `body`.
pub fn sse_response(body: impl Into<String>) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(body.into().into_bytes(), "text/event-stream")
}

/// Answer the n-th `POST /v1/responses` with the n-th SSE body.
pub async fn mount_sse_sequence(server: &MockServer, bodies: Vec<String>) -> ResponsesLog {
    mount_response_sequence(server, bodies.into_iter().map(sse_response).collect()).await
}

/// Answer the n-th `POST /v1/responses` with the n-th template (any status,
/// headers, body or delay), for fault tests.
pub async fn mount_response_sequence(
    server: &MockServer,
    responses: Vec<ResponseTemplate>,
) -> ResponsesLog {
    mount_sequence_at(server, RESPONSES_PATH, responses).await
}

/// The paths of the Chat Completions and Anthropic Messages wires.
pub const CHAT_PATH: &str = "/v1/chat/completions";
pub const MESSAGES_PATH: &str = "/v1/messages";

/// Answer the n-th `POST` to `at` (e.g. [`CHAT_PATH`]) with the n-th template.
pub async fn mount_sequence_at(
    server: &MockServer,
    at: &str,
    responses: Vec<ResponseTemplate>,
) -> ResponsesLog {
    let log = ResponsesLog::default();
    let responder = SequenceResponder {
        responses,
        log: log.clone(),
        next: AtomicUsize::new(0),
    };
    Mock::given(method("POST"))
        .and(path(at))
        .respond_with(responder)
        .mount(server)
        .await;
    log
}

struct SequenceResponder {
    responses: Vec<ResponseTemplate>,
    log: ResponsesLog,
    next: AtomicUsize,
}

impl Respond for SequenceResponder {
    fn respond(&self, request: &Request) -> ResponseTemplate {
        let number = self.log.push(record(request), &request.body);
        let index = self.next.fetch_add(1, Ordering::SeqCst);
        match self.responses.get(index) {
            Some(response) => response.clone(),
            None => ResponseTemplate::new(500).set_body_raw(
                format!(
                    r#"{{"error":{{"message":"duet-test-support: request {number} is past the end of the script ({} responses)"}}}}"#,
                    self.responses.len()
                ),
                "application/json",
            ),
        }
    }
}

fn record(request: &Request) -> RecordedRequest {
    let mut headers: BTreeMap<String, String> = BTreeMap::new();
    for (name, value) in request.headers.iter() {
        let value = String::from_utf8_lossy(value.as_bytes()).into_owned();
        headers
            .entry(name.as_str().to_string())
            .and_modify(|existing| {
                existing.push_str(", ");
                existing.push_str(&value);
            })
            .or_insert(value);
    }
    let path_and_query = match request.url.query() {
        Some(query) => format!("{}?{query}", request.url.path()),
        None => request.url.path().to_string(),
    };
    RecordedRequest {
        path_and_query,
        headers,
        body: body_json(&request.body),
    }
}

/// The body as JSON, or as a JSON string of its (lossy) text when it is not JSON.
pub fn body_json(body: &[u8]) -> Value {
    serde_json::from_slice(body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(body).into_owned()))
}
