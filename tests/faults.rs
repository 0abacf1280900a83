//! Model faults end to end: retried statuses, broken and malformed streams,
//! rejected and missing keys, a full context window. Each test checks the
//! exit code, how many requests the mock saw, and the whole event stream
//! (or, in human mode, stdout and the `ERROR:` lines of stderr).

#![allow(clippy::disallowed_methods)]

mod common;

use common::{Workspace, normalized_events};
use duet_test_support::responses_mock::{
    base_url, mount_response_sequence, sse_response, start_mock,
};
use duet_test_support::scripted::{ScriptedServer, Step};
use duet_test_support::sse::{
    ev_assistant_message, ev_completed, ev_reasoning, ev_response_created, ev_response_failed,
    reasoning_item, sse, sse_completed_turn,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

fn ok_turn() -> ResponseTemplate {
    sse_response(sse_completed_turn(&[ev_assistant_message(
        "msg_ok", "fine",
    )]))
}

fn json_error(status: u16, message: &str) -> ResponseTemplate {
    ResponseTemplate::new(status).set_body_raw(
        json!({"error": {"message": message}}).to_string(),
        "application/json",
    )
}

fn started() -> Vec<Value> {
    vec![
        json!({"type": "thread.started", "thread_id": "<THREAD>", "schema_version": "1.0"}),
        json!({"type": "turn.started"}),
    ]
}

fn message(id: &str, text: &str) -> Value {
    json!({"type": "item.completed", "item": {"id": id, "type": "agent_message", "text": text}})
}

fn error(message: &str) -> Value {
    json!({"type": "error", "message": message})
}

fn failed(message: &str) -> Vec<Value> {
    vec![
        error(message),
        json!({"type": "turn.failed", "error": {"message": message}}),
    ]
}

/// `turn.completed` with the default usage of one request (10/0/5/0).
fn completed_once() -> Value {
    json!({"type": "turn.completed", "usage": {
        "input_tokens": 10, "cached_input_tokens": 0, "cache_write_input_tokens": 0,
        "output_tokens": 5, "reasoning_output_tokens": 0,
    }})
}

fn concat(parts: Vec<Vec<Value>>) -> Vec<Value> {
    parts.into_iter().flatten().collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_429_is_retried_after_retry_after_and_reported_as_a_reconnect() {
    let server = start_mock().await;
    let log = mount_response_sequence(
        &server,
        vec![
            json_error(429, "slow down").insert_header("retry-after", "0"),
            ok_turn(),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "go"])
        .run()
        .await;

    assert_eq!(
        (outcome.code, log.bodies().len()),
        (Some(0), 2),
        "{}",
        outcome.describe()
    );
    assert_eq!(
        normalized_events(&outcome, &workspace),
        concat(vec![
            started(),
            vec![
                error("Reconnecting... 1/4 (429 Too Many Requests)"),
                message("item_0", "fine"),
                completed_once(),
            ],
        ])
    );
    // The retry is the same request.
    assert_eq!(log.bodies()[1], log.bodies()[0]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_500_every_time_fails_the_turn_after_the_configured_retries() {
    let server = start_mock().await;
    let log = mount_response_sequence(&server, vec![json_error(500, "boom"); 10]).await;
    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock_provider(&base_url(&server), &[("request_max_retries", "2")])
        .args(["--json", "go"])
        .run()
        .await;

    assert_eq!(
        (outcome.code, log.bodies().len()),
        (Some(1), 3),
        "{}",
        outcome.describe()
    );
    assert_eq!(
        normalized_events(&outcome, &workspace),
        concat(vec![
            started(),
            vec![
                error("Reconnecting... 1/2 (500 Internal Server Error)"),
                error("Reconnecting... 2/2 (500 Internal Server Error)"),
            ],
            // The server's own error message is kept.
            failed("exceeded retry limit, last status: 500 Internal Server Error: boom"),
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_stream_cut_before_completion_is_retried_and_keeps_what_was_done() {
    let server = start_mock().await;
    let log = mount_response_sequence(
        &server,
        vec![
            // A clean end of body without `response.completed`.
            sse_response(sse(&[
                ev_response_created("resp_1"),
                ev_assistant_message("msg_partial", "partial"),
            ])),
            ok_turn(),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "go"])
        .run()
        .await;

    let bodies = log.bodies();
    assert_eq!(
        (outcome.code, bodies.len()),
        (Some(0), 2),
        "{}",
        outcome.describe()
    );
    assert_eq!(
        normalized_events(&outcome, &workspace),
        concat(vec![
            started(),
            vec![
                message("item_0", "partial"),
                error(
                    "Reconnecting... 1/5 (stream disconnected before completion: stream closed before response.completed)"
                ),
                message("item_1", "fine"),
                completed_once(),
            ],
        ])
    );
    // The finished message is part of the retried request's history (as
    // the reference replays it: the text, not the annotations).
    let retried = bodies[1]["input"].as_array().expect("input array");
    assert_eq!(
        retried.last(),
        Some(
            &json!({"type": "message", "role": "assistant", "id": "msg_partial",
                     "content": [{"type": "output_text", "text": "partial"}]})
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_connection_reset_mid_stream_is_retried() {
    let server = ScriptedServer::start(vec![
        vec![
            Step::text(sse(&[
                ev_response_created("resp_1"),
                ev_reasoning("rs_1", "kept"),
            ])),
            Step::Reset,
        ],
        vec![Step::text(sse_completed_turn(&[ev_assistant_message(
            "msg_ok", "fine",
        )]))],
    ])
    .await;
    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock_provider(&server.url(), &[])
        .args(["--json", "go"])
        .run()
        .await;

    let requests = server.requests();
    assert_eq!(
        (outcome.code, requests.len()),
        (Some(0), 2),
        "{}",
        outcome.describe()
    );
    let events = normalized_events(&outcome, &workspace);
    let reconnect = events[3]["message"].as_str().unwrap_or_default().to_owned();
    assert!(
        reconnect.starts_with("Reconnecting... 1/5 (stream disconnected before completion: "),
        "{reconnect}"
    );
    assert_eq!(
        events,
        concat(vec![
            started(),
            vec![
                json!({"type": "item.completed",
                       "item": {"id": "item_0", "type": "reasoning", "text": "kept"}}),
                error(&reconnect),
                message("item_1", "fine"),
                completed_once(),
            ],
        ])
    );
    let mut kept = reasoning_item("rs_1", "kept");
    kept["content"] = Value::Null;
    assert_eq!(
        requests[1].body["input"].as_array().and_then(|i| i.last()),
        Some(&kept)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_silent_stream_times_out_and_is_retried() {
    let server = ScriptedServer::start(vec![
        vec![
            Step::text(sse(&[ev_response_created("resp_1")])),
            Step::Hang,
        ],
        vec![Step::text(sse_completed_turn(&[ev_assistant_message(
            "msg_ok", "fine",
        )]))],
    ])
    .await;
    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock_provider(&server.url(), &[("stream_idle_timeout_ms", "200")])
        .args(["--json", "go"])
        .run()
        .await;

    assert_eq!(
        (outcome.code, server.requests().len()),
        (Some(0), 2),
        "{}",
        outcome.describe()
    );
    assert_eq!(
        normalized_events(&outcome, &workspace),
        concat(vec![
            started(),
            vec![
                error("Reconnecting... 1/5 (stream idle for 0.2 s, no data from the model)"),
                message("item_0", "fine"),
                completed_once(),
            ],
        ])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_malformed_data_line_is_skipped_with_a_warning() {
    let server = start_mock().await;
    let mut numbering = 0;
    let mut body =
        duet_test_support::sse::sse_numbered(&[ev_response_created("resp_1")], &mut numbering);
    body.push_str("event: response.output_text.delta\ndata: {not json\n\n");
    body.push_str(&duet_test_support::sse::sse_numbered(
        &[
            ev_assistant_message("msg_1", "fine"),
            ev_completed("resp_1"),
        ],
        &mut numbering,
    ));
    let log = mount_response_sequence(&server, vec![sse_response(body)]).await;
    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "go"])
        .run()
        .await;

    assert_eq!(
        (outcome.code, log.bodies().len()),
        (Some(0), 1),
        "{}",
        outcome.describe()
    );
    assert_eq!(
        normalized_events(&outcome, &workspace),
        concat(vec![
            started(),
            vec![
                json!({"type": "item.completed", "item": {"id": "item_0", "type": "error",
                       "message": "skipped a malformed line in the model stream: {not json"}}),
                message("item_1", "fine"),
                completed_once(),
            ],
        ])
    );
}

const REJECTED_KEY: &str = "the model provider rejected the API key (401 Unauthorized): Incorrect API key provided: check the key in `OPENAI_API_KEY` (`DUET_API_KEY` or `CODEX_API_KEY` take precedence when set)";

#[tokio::test(flavor = "multi_thread")]
async fn a_401_fails_at_once_naming_the_key_variable() {
    let server = start_mock().await;
    let log = mount_response_sequence(
        &server,
        vec![json_error(401, "Incorrect API key provided"), ok_turn()],
    )
    .await;
    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "go"])
        .run()
        .await;

    assert_eq!(
        (outcome.code, log.bodies().len()),
        (Some(1), 1),
        "{}",
        outcome.describe()
    );
    assert_eq!(
        normalized_events(&outcome, &workspace),
        concat(vec![started(), failed(REJECTED_KEY)])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_key_variable_fails_before_any_request() {
    let server = start_mock().await;
    let log = mount_response_sequence(&server, vec![ok_turn()]).await;
    let workspace = Workspace::new();

    // The built-in provider without `OPENAI_API_KEY`.
    let builtin = workspace
        .exec()
        .arg("-c")
        .arg(format!("openai_base_url=\"{}\"", base_url(&server)))
        .args(["--json", "go"])
        .run()
        .await;
    // A custom provider whose `env_key` names an unset variable.
    let custom = workspace
        .exec()
        .mock_provider(&base_url(&server), &[])
        .args([
            "-c",
            "model_providers.mock.env_key=NO_SUCH_KEY",
            "--json",
            "go",
        ])
        .run()
        .await;

    assert_eq!(log.bodies().len(), 0);
    let got: Vec<(Option<i32>, &str, &str)> = [&builtin, &custom]
        .iter()
        .map(|outcome| {
            (
                outcome.code,
                outcome.stdout.as_str(),
                outcome.stderr.as_str(),
            )
        })
        .collect();
    assert_eq!(
        got,
        vec![
            (
                Some(1),
                "",
                "Reading additional input from stdin...\nerror: cannot start the session: missing API key: the environment variable `OPENAI_API_KEY` is not set or empty: `export OPENAI_API_KEY=...` with your key (create a key at https://platform.openai.com/api-keys and `export OPENAI_API_KEY=...`)\n"
            ),
            (
                Some(1),
                "",
                "Reading additional input from stdin...\nerror: cannot start the session: missing API key: the environment variable `NO_SUCH_KEY` is not set or empty: `export NO_SUCH_KEY=...` with your key\n"
            ),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn context_length_exceeded_fails_without_a_retry() {
    let server = start_mock().await;
    let log = mount_response_sequence(
        &server,
        vec![
            sse_response(sse(&[
                ev_response_created("resp_1"),
                ev_response_failed(
                    "context_length_exceeded",
                    "Your input exceeds the context window",
                ),
            ])),
            ok_turn(),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "go"])
        .run()
        .await;

    assert_eq!(
        (outcome.code, log.bodies().len()),
        (Some(1), 1),
        "{}",
        outcome.describe()
    );
    assert_eq!(
        normalized_events(&outcome, &workspace),
        concat(vec![
            started(),
            failed(
                "the conversation no longer fits in the model's context window: start a new session or compact it, then retry"
            ),
        ])
    );
}

/// The `ERROR:` and `warning:` lines of a human-mode stderr.
fn error_lines(stderr: &str) -> Vec<&str> {
    stderr
        .lines()
        .filter(|line| line.starts_with("ERROR: ") || line.starts_with("warning: "))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn human_mode_prints_the_failure_once_on_stderr_and_nothing_on_stdout() {
    let server = start_mock().await;
    let rejected = start_mock().await;
    let log = mount_response_sequence(&server, vec![json_error(500, "boom"); 10]).await;
    let rejected_log = mount_response_sequence(
        &rejected,
        vec![json_error(401, "Incorrect API key provided")],
    )
    .await;
    let workspace = Workspace::new();

    let retried = workspace
        .exec()
        .mock_provider(
            &base_url(&server),
            &[("request_max_retries", "1"), ("stream_max_retries", "1")],
        )
        .arg("go")
        .run()
        .await;
    let refused = workspace
        .exec()
        .mock(&base_url(&rejected))
        .arg("go")
        .run()
        .await;

    assert_eq!(
        (
            retried.code,
            retried.stdout.as_str(),
            error_lines(&retried.stderr)
        ),
        (
            Some(1),
            "",
            vec![
                // A retry is a warning; the failure is printed once.
                "warning: Reconnecting... 1/1 (500 Internal Server Error); retrying in 0.2s",
                "ERROR: exceeded retry limit, last status: 500 Internal Server Error: boom",
            ]
        ),
        "{}",
        retried.describe()
    );
    assert_eq!(log.bodies().len(), 2);
    assert_eq!(
        (
            refused.code,
            refused.stdout.as_str(),
            error_lines(&refused.stderr)
        ),
        (Some(1), "", vec![format!("ERROR: {REJECTED_KEY}").as_str()]),
        "{}",
        refused.describe()
    );
    assert_eq!(rejected_log.bodies().len(), 1);
}
