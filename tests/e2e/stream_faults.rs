//! Broken model streams, end to end: cut before `response.completed`,
//! reset mid-body, silent past the idle timeout, and a malformed `data:`
//! line. Items finished before a break are kept, shown once, and replayed
//! in the retried request; the turn still completes.

#![allow(clippy::disallowed_methods)]

use crate::common;

use common::events::{completed_once, concat, error, message, started};
use common::{Workspace, normalized_events};
use duet_test_support::responses_mock::{
    base_url, mount_response_sequence, sse_response, start_mock,
};
use duet_test_support::scripted::{ScriptedServer, Step};
use duet_test_support::sse::{
    ev_assistant_message, ev_completed, ev_reasoning, ev_response_created, reasoning_item, sse,
    sse_completed_turn, sse_numbered,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

fn ok_turn() -> ResponseTemplate {
    sse_response(sse_completed_turn(&[ev_assistant_message(
        "msg_ok", "fine",
    )]))
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
    let mut body = sse_numbered(&[ev_response_created("resp_1")], &mut numbering);
    body.push_str("event: response.output_text.delta\ndata: {not json\n\n");
    body.push_str(&sse_numbered(
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
