//! The Anthropic Messages wire: the request as sent (system, blocks,
//! `cache_control` breakpoints, thinking), streams read into the same
//! events as the Responses wire's, and each fault.

use crate::common::{Outcome, client, fixed_request, mixed_request, provider_on, run, run_request};
use duet_model::{
    ContentItem, Reasoning, ResponseEvent, ResponseItem, ResponsesRequest, TokenUsage, WireApi,
};
use duet_protocol::ReasoningEffort;
use duet_test_support::responses_mock::{
    MESSAGES_PATH, base_url, mount_sequence_at, sse_response, start_mock,
};
use duet_test_support::wire_sse::*;
use pretty_assertions::assert_eq;
use serde_json::json;
use wiremock::{MockServer, ResponseTemplate};

fn anthropic_client(server: &MockServer) -> duet_model::ModelClient {
    client(provider_on(&base_url(server), WireApi::Anthropic))
}

async fn answer(body: String) -> Outcome {
    let server = start_mock().await;
    mount_sequence_at(&server, MESSAGES_PATH, vec![sse_response(body)]).await;
    run(&anthropic_client(&server)).await.1
}

fn created() -> Result<ResponseEvent, (String, bool)> {
    Ok(ResponseEvent::Created {
        response_id: ANTHROPIC_ID.to_string(),
    })
}

const THINKING_ID: &str = "duet_thinking_msg_01_0";

fn thinking_item(text: Option<&str>, signature: &str) -> ResponseItem {
    ResponseItem::Reasoning {
        id: THINKING_ID.to_string(),
        summary: vec![],
        content: text.map(|text| vec![json!({"type": "reasoning_text", "text": text})]),
        encrypted_content: Some(signature.to_string()),
    }
}

fn message(text: &str) -> ResponseItem {
    ResponseItem::Message {
        id: None,
        role: "assistant".to_string(),
        content: if text.is_empty() {
            vec![]
        } else {
            vec![ContentItem::OutputText {
                text: text.to_string(),
                annotations: vec![],
            }]
        },
    }
}

fn patch_call() -> ResponseItem {
    ResponseItem::CustomToolCall {
        id: None,
        status: None,
        call_id: "toolu_1".to_string(),
        name: "apply_patch".to_string(),
        input: "*** Begin Patch".to_string(),
    }
}

#[tokio::test]
async fn the_history_is_translated_whole_with_cache_breakpoints() {
    let server = start_mock().await;
    let log = mount_sequence_at(
        &server,
        MESSAGES_PATH,
        vec![sse_response(anthropic_answer("ok"))],
    )
    .await;
    let (_, outcome) = run_request(&anthropic_client(&server), &mixed_request()).await;
    assert_eq!(outcome.map(|events| events.len()), Ok(6));
    let requests = log.requests();
    assert_eq!(requests[0].path_and_query, MESSAGES_PATH);
    let headers = &requests[0].headers;
    assert_eq!(
        (
            headers.get("x-api-key").map(String::as_str),
            headers.get("anthropic-version").map(String::as_str),
            headers.get("authorization")
        ),
        (Some("sk-test"), Some("2023-06-01"), None)
    );
    let cache = json!({"type": "ephemeral"});
    // The last assistant message calls tools without a thinking block (it
    // came from another wire), so thinking stays off despite the effort.
    assert_eq!(
        requests[0].body,
        json!({
            "model": "gpt-test",
            "max_tokens": 32000,
            "system": [
                {"type": "text", "text": "base instructions"},
                {"type": "text", "text": "permissions"},
                {"type": "text", "text": "Your final answer must be a single JSON value that matches this JSON schema, with no other text around it:\n{\"type\":\"object\"}", "cache_control": cache},
            ],
            "messages": [
                {"role": "user", "content": [
                    {"type": "text", "text": "fix the bug"},
                    {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBOR"}, "cache_control": cache},
                ]},
                {"role": "assistant", "content": [
                    {"type": "text", "text": "looking"},
                    {"type": "tool_use", "id": "call_1", "name": "exec_command", "input": {"cmd": "ls"}},
                    {"type": "tool_use", "id": "call_2", "name": "apply_patch", "input": {"input": "*** Begin Patch\n*** End Patch"}},
                ]},
                {"role": "user", "content": [
                    {"type": "tool_result", "tool_use_id": "call_1", "content": [
                        {"type": "text", "text": "a.png"},
                        {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "AAAA"}},
                    ]},
                    {"type": "tool_result", "tool_use_id": "call_2", "content": "Done!"},
                    {"type": "text", "text": "the sandbox changed"},
                    {"type": "text", "text": "go on", "cache_control": cache},
                ]},
            ],
            "tools": [
                {"name": "exec_command", "description": "run",
                 "input_schema": {"type": "object", "properties": {"cmd": {"type": "string"}}}},
                {"name": "apply_patch", "description": "patch\n\nPass the whole input as the `input` string.",
                 "input_schema": {"type": "object",
                    "properties": {"input": {"type": "string", "description": "The tool's whole input."}},
                    "required": ["input"], "additionalProperties": false},
                 "cache_control": cache},
            ],
            "tool_choice": {"type": "auto", "disable_parallel_tool_use": false},
            "stream": true,
        })
    );
}

#[tokio::test]
async fn thinking_text_and_a_tool_call_stream_and_the_thinking_is_replayed_signed() {
    let server = start_mock().await;
    let log = mount_sequence_at(
        &server,
        MESSAGES_PATH,
        vec![
            sse_response(anthropic_sse(&[
                an_message_start(100, 30, 20),
                an_thinking(0, "let me see", "sig1"),
                an_text(1, "on it"),
                an_tool_use(
                    2,
                    "toolu_1",
                    "apply_patch",
                    r#"{"input":"*** Begin Patch"}"#,
                ),
                an_stop("tool_use", 15),
            ])),
            sse_response(anthropic_answer("done")),
        ],
    )
    .await;
    let client = anthropic_client(&server);
    let request = ResponsesRequest {
        tools: mixed_request().tools,
        reasoning: Some(Reasoning {
            effort: Some(ReasoningEffort::High),
            summary: None,
        }),
        max_output_tokens: Some(32_000),
        ..fixed_request()
    };
    let (_, outcome) = run_request(&client, &request).await;
    let thinking_delta = |delta: &str| {
        Ok(ResponseEvent::ReasoningSummaryDelta {
            item_id: Some(THINKING_ID.to_string()),
            delta: delta.to_string(),
        })
    };
    let text_delta = |delta: &str| {
        Ok(ResponseEvent::OutputTextDelta {
            item_id: None,
            delta: delta.to_string(),
        })
    };
    assert_eq!(
        outcome,
        Ok(vec![
            created(),
            Ok(ResponseEvent::OutputItemAdded(thinking_item(None, ""))),
            thinking_delta("let m"),
            thinking_delta("e see"),
            Ok(ResponseEvent::OutputItemDone(thinking_item(
                Some("let me see"),
                "sig1"
            ))),
            Ok(ResponseEvent::OutputItemAdded(message(""))),
            text_delta("on"),
            text_delta(" it"),
            Ok(ResponseEvent::OutputItemDone(message("on it"))),
            Ok(ResponseEvent::OutputItemDone(patch_call())),
            Ok(ResponseEvent::Completed {
                response_id: ANTHROPIC_ID.to_string(),
                usage: Some(TokenUsage {
                    input_tokens: 150,
                    cached_input_tokens: 30,
                    cache_write_input_tokens: 20,
                    output_tokens: 15,
                    reasoning_output_tokens: 0,
                    total_tokens: 165,
                }),
            }),
        ])
    );

    // The next request replays the thinking block, signed, before the call.
    let mut input = vec![ResponseItem::user_text("patch it")];
    input.extend([
        thinking_item(Some("let me see"), "sig1"),
        message("on it"),
        patch_call(),
        ResponseItem::CustomToolCallOutput {
            call_id: "toolu_1".to_string(),
            output: "Done!".to_string(),
        },
    ]);
    let (_, outcome) = run_request(
        &client,
        &ResponsesRequest {
            input,
            ..request.clone()
        },
    )
    .await;
    assert!(outcome.is_ok(), "{outcome:?}");
    let body = &log.requests()[1].body;
    assert_eq!(
        (&body["thinking"], &body["max_tokens"], &body["messages"][1]),
        (
            &json!({"type": "enabled", "budget_tokens": 24000}),
            &json!(32000),
            &json!({"role": "assistant", "content": [
                {"type": "thinking", "thinking": "let me see", "signature": "sig1"},
                {"type": "text", "text": "on it"},
                {"type": "tool_use", "id": "toolu_1", "name": "apply_patch", "input": {"input": "*** Begin Patch"}},
            ]})
        )
    );
    // The Responses wire leaves the thinking out of its own request.
    let replay = ResponsesRequest {
        input: vec![
            thinking_item(Some("x"), "sig1"),
            ResponseItem::user_text("hi"),
        ],
        ..fixed_request()
    };
    let body: serde_json::Value = serde_json::from_slice(&replay.to_body()).unwrap();
    assert_eq!(
        body["input"],
        json!([{"type": "message", "role": "user", "content": [{"type": "input_text", "text": "hi"}]}])
    );
}

#[tokio::test]
async fn max_tokens_and_unknown_stop_reasons_and_an_overloaded_stream() {
    let outcome = answer(anthropic_sse(&[
        an_message_start(1, 0, 0),
        an_stop("max_tokens", 9),
    ]))
    .await;
    assert_eq!(
        outcome,
        Ok(vec![
            created(),
            Err((
                "incomplete response returned, reason: max_output_tokens".to_string(),
                false
            )),
        ])
    );
    let outcome = answer(anthropic_sse(&[
        an_message_start(1, 0, 0),
        an_stop("daydream", 2),
    ]))
    .await;
    assert_eq!(
        outcome,
        Ok(vec![
            created(),
            Ok(ResponseEvent::Warning(
                "the model's answer ended with an unknown stop_reason `daydream`; it is taken as complete".to_string()
            )),
            Ok(ResponseEvent::Completed {
                response_id: ANTHROPIC_ID.to_string(),
                usage: Some(TokenUsage {
                    input_tokens: 1,
                    output_tokens: 2,
                    total_tokens: 3,
                    ..TokenUsage::default()
                }),
            }),
        ])
    );
    let outcome = answer(anthropic_sse(&[
        an_message_start(1, 0, 0),
        json!({"type": "ping"}),
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
    ]))
    .await;
    assert_eq!(
        outcome,
        Ok(vec![
            created(),
            Err((
                "the model failed to produce a response: Overloaded".to_string(),
                true
            )),
        ])
    );
    // Cut after a block: the items so far, then a retryable disconnect.
    let outcome = answer(anthropic_sse(&[an_message_start(1, 0, 0), an_text(0, "a")])).await;
    assert_eq!(
        outcome,
        Ok(vec![
            created(),
            Ok(ResponseEvent::OutputItemAdded(message(""))),
            Ok(ResponseEvent::OutputTextDelta {
                item_id: None,
                delta: "a".to_string()
            }),
            Ok(ResponseEvent::OutputItemDone(message("a"))),
            Err((
                "stream disconnected before completion: stream closed before response.completed"
                    .to_string(),
                true
            )),
        ])
    );
}

#[tokio::test]
async fn a_529_overloaded_is_retried_like_a_5xx() {
    let server = start_mock().await;
    let overloaded = || {
        ResponseTemplate::new(529)
            .insert_header("retry-after", "0")
            .set_body_json(json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}))
    };
    let log = mount_sequence_at(
        &server,
        MESSAGES_PATH,
        vec![overloaded(), sse_response(anthropic_answer("hi"))],
    )
    .await;
    let (notices, outcome) = run(&anthropic_client(&server)).await;
    assert_eq!(
        notices.into_iter().map(|n| n.reason).collect::<Vec<_>>(),
        vec!["529 Overloaded"]
    );
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(log.requests().len(), 2);
    // Every attempt overloaded: the message says so.
    let server = start_mock().await;
    mount_sequence_at(
        &server,
        MESSAGES_PATH,
        vec![overloaded(), overloaded(), overloaded()],
    )
    .await;
    let (_, outcome) = run(&anthropic_client(&server)).await;
    assert_eq!(
        outcome,
        Err(
            "exceeded retry limit, last status: 529 Overloaded: Overloaded (retryable: false)"
                .to_string()
        )
    );
}

#[tokio::test]
async fn a_401_names_the_key_and_a_429_waits_as_asked() {
    let server = start_mock().await;
    mount_sequence_at(
        &server,
        MESSAGES_PATH,
        vec![ResponseTemplate::new(401).set_body_json(
            json!({"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}),
        )],
    )
    .await;
    let (_, outcome) = run(&anthropic_client(&server)).await;
    assert_eq!(
        outcome,
        Err("the model provider `mock` rejected the API key from `MOCK_KEY` (401 Unauthorized): invalid x-api-key: check that key (`DUET_API_KEY` or `CODEX_API_KEY` take precedence when set), or save another with `duet login --provider mock --with-api-key` (retryable: false)".to_string())
    );
    let server = start_mock().await;
    let log = mount_sequence_at(
        &server,
        MESSAGES_PATH,
        vec![
            ResponseTemplate::new(429)
                .insert_header("retry-after", "0")
                .set_body_json(json!({"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}})),
            sse_response(anthropic_answer("ok")),
        ],
    )
    .await;
    let (notices, outcome) = run(&anthropic_client(&server)).await;
    assert_eq!(
        notices
            .iter()
            .map(|notice| (notice.reason.as_str(), notice.delay))
            .collect::<Vec<_>>(),
        vec![("429 Too Many Requests", std::time::Duration::ZERO)]
    );
    assert!(outcome.is_ok(), "{outcome:?}");
    assert_eq!(log.requests().len(), 2);
}
