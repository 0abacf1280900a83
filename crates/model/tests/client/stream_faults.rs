//! Streams that break after they started, served byte by byte.

use crate::common::{assistant, client, provider, run};
use duet_model::ResponseEvent;
use duet_test_support::scripted::{ScriptedServer, Step};
use duet_test_support::sse::{ev_assistant_message, ev_completed, ev_response_created, sse};
use pretty_assertions::assert_eq;
use std::time::Duration;

type Outcome = Vec<Result<ResponseEvent, (String, bool)>>;

/// Run one request against `steps`; return the events.
async fn events_of(steps: Vec<Step>, idle_timeout: Duration) -> Outcome {
    let server = ScriptedServer::start(vec![steps]).await;
    let mut provider = provider(&server.url());
    provider.stream_idle_timeout = idle_timeout;
    let (notices, outcome) = run(&client(provider)).await;
    assert_eq!(notices, vec![]);
    assert_eq!(server.requests().len(), 1);
    outcome.expect("the request itself succeeds")
}

fn created() -> Result<ResponseEvent, (String, bool)> {
    Ok(ResponseEvent::Created {
        response_id: "r".to_string(),
    })
}

fn message_done() -> Result<ResponseEvent, (String, bool)> {
    Ok(ResponseEvent::OutputItemDone(assistant("m", "ok")))
}

/// The created event and a whole message, as the last events before a fault.
fn before_fault() -> String {
    sse(&[ev_response_created("r"), ev_assistant_message("m", "ok")])
}

fn done_events_only(events: Outcome) -> Outcome {
    events
        .into_iter()
        .filter(|event| {
            !matches!(
                event,
                Ok(ResponseEvent::OutputItemAdded(_) | ResponseEvent::OutputTextDelta { .. })
            )
        })
        .collect()
}

#[tokio::test]
async fn reset_mid_body_is_retryable_after_the_done_items() {
    let events = events_of(
        vec![
            Step::text(before_fault()),
            Step::text("data: {\"type\":"),
            Step::Reset,
        ],
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        done_events_only(events),
        vec![
            created(),
            message_done(),
            Err((
                "stream disconnected before completion: error decoding response body: error reading a body from connection: Connection reset by peer (os error 104)".to_string(),
                true
            )),
        ]
    );
}

#[tokio::test]
async fn close_without_the_last_chunk_is_retryable() {
    let events = events_of(
        vec![Step::text(before_fault()), Step::Close],
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        done_events_only(events),
        vec![
            created(),
            message_done(),
            Err((
                "stream disconnected before completion: error decoding response body: error reading a body from connection: unexpected EOF during chunk size line".to_string(),
                true
            )),
        ]
    );
}

#[tokio::test]
async fn silence_past_the_idle_timeout_is_retryable() {
    let events = events_of(
        vec![Step::text(before_fault()), Step::Hang],
        Duration::from_millis(200),
    )
    .await;
    assert_eq!(
        done_events_only(events),
        vec![
            created(),
            message_done(),
            Err((
                "stream idle for 0.2 s, no data from the model".to_string(),
                true
            )),
        ]
    );
}

#[tokio::test]
async fn invalid_utf8_is_retryable() {
    let events = events_of(
        vec![
            Step::text(before_fault()),
            Step::Chunk(b"data: \xc3\x28\n\n".to_vec()),
        ],
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        done_events_only(events),
        vec![
            created(),
            message_done(),
            Err((
                "stream disconnected before completion: invalid UTF-8 in the event stream: invalid utf-8 sequence of 1 bytes from index 6".to_string(),
                true
            )),
        ]
    );
}

#[tokio::test]
async fn slow_split_chunks_and_a_malformed_line_still_complete() {
    let body = sse(&[ev_response_created("r"), ev_completed("r")]);
    let (head, tail) = body.split_at(body.len() / 2);
    let events = events_of(
        vec![
            Step::text(": ping\r\n\r\ndata: not json\r\n\r\n"),
            Step::text(head),
            Step::Sleep(Duration::from_millis(50)),
            Step::text(tail),
            Step::text("data: {\"type\":\"response.created\"}\n\n"),
        ],
        Duration::from_secs(5),
    )
    .await;
    assert_eq!(
        events,
        vec![
            Ok(ResponseEvent::Warning(
                "skipped a malformed line in the model stream: not json".to_string()
            )),
            created(),
            Ok(ResponseEvent::Completed {
                response_id: "r".to_string(),
                usage: Some(duet_model::TokenUsage {
                    input_tokens: 10,
                    cached_input_tokens: 0,
                    cache_write_input_tokens: 0,
                    output_tokens: 5,
                    reasoning_output_tokens: 0,
                    total_tokens: 15,
                }),
            }),
        ]
    );
}
