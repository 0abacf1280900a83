//! Model faults at the HTTP level, end to end: retried statuses, a rejected
//! or missing key, and how human mode shows a
//! failure. Each test checks the exit code, how many requests the mock saw,
//! and the whole event stream (or stdout and stderr's `ERROR:` lines).
//! Broken streams are in `stream_faults.rs`; a full context window in
//! `context.rs`.

#![allow(clippy::disallowed_methods)]

use crate::common;

use common::events::{completed_once, concat, error, failed, message, started};
use common::{Workspace, normalized_events};
use duet_test_support::responses_mock::{
    base_url, mount_response_sequence, sse_response, start_mock,
};
use duet_test_support::sse::{ev_assistant_message, sse_completed_turn};
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

// Issue 18: the provider, where the key came from, and what to run.
const REJECTED_KEY: &str = "the model provider `openai` rejected the API key from `OPENAI_API_KEY` (401 Unauthorized): Incorrect API key provided: check that key (`DUET_API_KEY` or `CODEX_API_KEY` take precedence when set), or save another with `duet login --provider openai --with-api-key`";

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

    // As in the reference, the turn fails: JSONL consumers get `error` and
    // `turn.failed` with the reason, and no request is sent.
    assert_eq!(log.bodies().len(), 0);
    // Issue 18: and how to save a key instead (`duet login`).
    let builtin_message = "missing API key: the environment variable `OPENAI_API_KEY` is not set or empty: `export OPENAI_API_KEY=...` with your key (create a key at https://platform.openai.com/api-keys); or save a key for provider `openai` with `duet login --provider openai --with-api-key` (the key on stdin)";
    let custom_message = "missing API key: the environment variable `NO_SUCH_KEY` is not set or empty: `export NO_SUCH_KEY=...` with your key; or save a key for provider `mock` with `duet login --provider mock --with-api-key` (the key on stdin)";
    let got: Vec<(Option<i32>, Vec<Value>)> = [&builtin, &custom]
        .iter()
        .map(|outcome| (outcome.code, normalized_events(outcome, &workspace)))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some(1), concat(vec![started(), failed(builtin_message)])),
            (Some(1), concat(vec![started(), failed(custom_message)])),
        ]
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
