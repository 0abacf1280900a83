//! The `duet-mock-responses` server, run in-process, as the client sees it.

use crate::common::{THREAD_ID, assistant, client, provider, run};
use duet_model::{ResponseEvent, ResponseItem, RetryNotice, TokenUsage};
use duet_test_support::mock_script::{Script, ScriptState};
use duet_test_support::mock_server::serve;
use pretty_assertions::assert_eq;
use serde_json::json;
use std::time::Duration;
use tokio::net::TcpListener;

#[tokio::test]
async fn a_script_answers_turn_by_turn_over_one_connection_and_logs_bodies() {
    let script: Script = serde_json::from_value(json!({"responses": [
        [{"status": 429, "headers": {"retry-after": "0"}}],
        [{"function_call": {"name": "exec_command", "arguments": {"cmd": "true"}}}],
        [{"sleep_ms": 20}, {"message": "done"}, {"usage": {"input_tokens": 7, "output_tokens": 3}}],
    ]}))
    .unwrap();
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let log_dir = tempfile::tempdir().unwrap();
    let log_path = log_dir.path().join("requests.jsonl");
    let log = std::fs::File::create(&log_path).unwrap();
    let server = tokio::spawn(serve(
        listener,
        ScriptState::new(script).unwrap(),
        Some(log),
    ));
    let client = client(provider(&format!("http://127.0.0.1:{port}/v1")));

    let first = run(&client).await;
    let second = run(&client).await;
    let third = run(&client).await;
    server.abort();

    let function_call = ResponseItem::FunctionCall {
        id: Some("fc_call_1".to_string()),
        call_id: "call_1".to_string(),
        name: "exec_command".to_string(),
        arguments: r#"{"cmd":"true"}"#.to_string(),
        namespace: None,
    };
    let done_items = |outcome: (Vec<RetryNotice>, Result<Vec<_>, String>)| {
        let (notices, events) = outcome;
        let events: Vec<ResponseEvent> = events
            .unwrap()
            .into_iter()
            .map(Result::unwrap)
            .filter(|event| {
                matches!(
                    event,
                    ResponseEvent::OutputItemDone(_) | ResponseEvent::Completed { .. }
                )
            })
            .collect();
        (notices.len(), events)
    };
    assert_eq!(
        done_items(first),
        (
            1,
            vec![
                ResponseEvent::OutputItemDone(function_call),
                ResponseEvent::Completed {
                    response_id: "resp_2".to_string(),
                    usage: Some(TokenUsage {
                        input_tokens: 10,
                        cached_input_tokens: 0,
                        cache_write_input_tokens: 0,
                        output_tokens: 5,
                        reasoning_output_tokens: 0,
                        total_tokens: 15,
                    }),
                },
            ]
        )
    );
    assert_eq!(
        done_items(second),
        (
            0,
            vec![
                ResponseEvent::OutputItemDone(assistant("msg_1", "done")),
                ResponseEvent::Completed {
                    response_id: "resp_3".to_string(),
                    usage: Some(TokenUsage {
                        input_tokens: 7,
                        cached_input_tokens: 0,
                        cache_write_input_tokens: 0,
                        output_tokens: 3,
                        reasoning_output_tokens: 0,
                        total_tokens: 10,
                    }),
                },
            ]
        )
    );
    assert_eq!(
        third,
        (
            vec![
                RetryNotice {
                    attempt: 1,
                    max_attempts: 2,
                    reason: "500 Internal Server Error".to_string(),
                    delay: third.0[0].delay,
                },
                RetryNotice {
                    attempt: 2,
                    max_attempts: 2,
                    reason: "500 Internal Server Error".to_string(),
                    delay: third.0[1].delay,
                },
            ],
            Err("exceeded retry limit, last status: 500 Internal Server Error: duet-mock-responses: request 6 is past the end of the script (3 responses): set \"loop\" or \"repeat_last\" (retryable: false)".to_string())
        )
    );
    assert!(
        third
            .0
            .iter()
            .all(|notice| notice.delay < Duration::from_secs(1))
    );
    let logged: Vec<serde_json::Value> = std::fs::read_to_string(&log_path)
        .unwrap()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect();
    assert_eq!(logged.len(), 6);
    assert_eq!(logged[0]["prompt_cache_key"], THREAD_ID);
}

/// The same script on the Chat and Anthropic wires: the same items and
/// usage reach the client, in each wire's shape on the way.
#[tokio::test]
async fn a_script_answers_on_every_wire_with_the_same_items() {
    let script = json!({"loop": true, "responses": [[
        {"reasoning": "think"},
        {"function_call": {"name": "exec_command", "arguments": {"cmd": "true"}, "call_id": "call_9"}},
        {"message": "done"},
        {"usage": {"input_tokens": 7, "cached_input_tokens": 2, "output_tokens": 3}},
    ]]});
    let mut seen = Vec::new();
    for wire in [duet_model::WireApi::Chat, duet_model::WireApi::Anthropic] {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let state = ScriptState::new(serde_json::from_value(script.clone()).unwrap()).unwrap();
        let server = tokio::spawn(serve(listener, state, None));
        let client = client(crate::common::provider_on(
            &format!("http://127.0.0.1:{port}/v1"),
            wire,
        ));
        let (_, events) = run(&client).await;
        server.abort();
        let summary: Vec<String> = events
            .unwrap()
            .into_iter()
            .map(Result::unwrap)
            .filter_map(|event| match event {
                ResponseEvent::OutputItemDone(ResponseItem::Reasoning { content, .. }) => {
                    Some(format!("reasoning {}", content.unwrap()[0]["text"]))
                }
                ResponseEvent::OutputItemDone(ResponseItem::FunctionCall {
                    call_id,
                    arguments,
                    ..
                }) => Some(format!("call {call_id} {arguments}")),
                ResponseEvent::OutputItemDone(ResponseItem::Message { content, .. }) => {
                    Some(format!("message {content:?}"))
                }
                ResponseEvent::Completed { usage, .. } => {
                    let usage = usage.unwrap();
                    Some(format!(
                        "usage {} {} {}",
                        usage.input_tokens, usage.cached_input_tokens, usage.output_tokens
                    ))
                }
                _ => None,
            })
            .collect();
        seen.push(summary);
    }
    let message = format!(
        "message {:?}",
        vec![duet_model::ContentItem::OutputText {
            text: "done".to_string(),
            annotations: vec![],
        }]
    );
    let reasoning = "reasoning \"think\"".to_string();
    let call = r#"call call_9 {"cmd":"true"}"#.to_string();
    let usage = "usage 7 2 3".to_string();
    // A chat answer is one message: its text comes before its tool calls.
    assert_eq!(
        seen,
        vec![
            vec![
                reasoning.clone(),
                message.clone(),
                call.clone(),
                usage.clone()
            ],
            vec![reasoning, call, message, usage],
        ]
    );
}
