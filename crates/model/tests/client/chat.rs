//! The Chat Completions wire: the request as sent, streams read into the
//! same events as the Responses wire's, and each fault.

use crate::common::{Outcome, client, fixed_request, mixed_request, provider_on, run, run_request};
use duet_model::{ContentItem, ResponseEvent, ResponseItem, TokenUsage, WireApi};
use duet_test_support::responses_mock::{
    CHAT_PATH, base_url, mount_sequence_at, sse_response, start_mock,
};
use duet_test_support::wire_sse::*;
use pretty_assertions::assert_eq;
use serde_json::json;
use wiremock::{MockServer, ResponseTemplate};

async fn chat_client(server: &MockServer) -> duet_model::ModelClient {
    client(provider_on(&base_url(server), WireApi::Chat))
}

fn created() -> Result<ResponseEvent, (String, bool)> {
    Ok(ResponseEvent::Created {
        response_id: CHAT_ID.to_string(),
    })
}

fn added_message() -> Result<ResponseEvent, (String, bool)> {
    Ok(ResponseEvent::OutputItemAdded(ResponseItem::Message {
        id: None,
        role: "assistant".to_string(),
        content: vec![],
    }))
}

fn text_delta(delta: &str) -> Result<ResponseEvent, (String, bool)> {
    Ok(ResponseEvent::OutputTextDelta {
        item_id: None,
        delta: delta.to_string(),
    })
}

fn message_done(text: &str) -> Result<ResponseEvent, (String, bool)> {
    Ok(ResponseEvent::OutputItemDone(ResponseItem::Message {
        id: None,
        role: "assistant".to_string(),
        content: vec![ContentItem::OutputText {
            text: text.to_string(),
            annotations: vec![],
        }],
    }))
}

fn completed(input: u64, cached: u64, output: u64) -> Result<ResponseEvent, (String, bool)> {
    Ok(ResponseEvent::Completed {
        response_id: CHAT_ID.to_string(),
        usage: Some(TokenUsage {
            input_tokens: input,
            cached_input_tokens: cached,
            cache_write_input_tokens: 0,
            output_tokens: output,
            reasoning_output_tokens: 0,
            total_tokens: input + output,
        }),
    })
}

fn function_call(call_id: &str, name: &str, arguments: &str) -> ResponseItem {
    ResponseItem::FunctionCall {
        id: None,
        call_id: call_id.to_string(),
        name: name.to_string(),
        arguments: arguments.to_string(),
        namespace: None,
    }
}

/// Serve `body` as the one answer and stream `request` against it.
async fn answer(body: String) -> Outcome {
    let server = start_mock().await;
    mount_sequence_at(&server, CHAT_PATH, vec![sse_response(body)]).await;
    run(&chat_client(&server).await).await.1
}

#[tokio::test]
async fn the_history_is_translated_whole_and_reasoning_text_and_usage_are_read() {
    let server = start_mock().await;
    let log = mount_sequence_at(
        &server,
        CHAT_PATH,
        vec![sse_response(chat_sse(&[
            chat_reasoning("reasoning_content", "hmm ok"),
            chat_text("all done"),
            chat_finish("stop"),
            chat_usage(100, 40, 20),
        ]))],
    )
    .await;
    let (notices, outcome) = run_request(&chat_client(&server).await, &mixed_request()).await;
    assert_eq!(notices, vec![]);
    let reasoning = |text: Option<&str>| ResponseItem::Reasoning {
        id: "duet_reasoning".to_string(),
        summary: vec![],
        content: text.map(|text| vec![json!({"type": "reasoning_text", "text": text})]),
        encrypted_content: None,
    };
    let reasoning_delta = |delta: &str| {
        Ok(ResponseEvent::ReasoningSummaryDelta {
            item_id: Some("duet_reasoning".to_string()),
            delta: delta.to_string(),
        })
    };
    assert_eq!(
        outcome,
        Ok(vec![
            created(),
            Ok(ResponseEvent::OutputItemAdded(reasoning(None))),
            reasoning_delta("hmm"),
            reasoning_delta(" ok"),
            added_message(),
            text_delta("all "),
            text_delta("done"),
            Ok(ResponseEvent::OutputItemDone(reasoning(Some("hmm ok")))),
            message_done("all done"),
            completed(100, 40, 20),
        ])
    );
    let requests = log.requests();
    assert_eq!(requests.len(), 1);
    assert_eq!(requests[0].path_and_query, CHAT_PATH);
    assert_eq!(requests[0].headers["authorization"], "Bearer sk-test");
    assert_eq!(
        requests[0].body,
        json!({
            "model": "gpt-test",
            "messages": [
                {"role": "system", "content": "base instructions\n\npermissions"},
                {"role": "user", "content": [
                    {"type": "text", "text": "fix the bug"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBOR"}},
                ]},
                {"role": "assistant", "content": "looking", "tool_calls": [
                    {"id": "call_1", "type": "function",
                     "function": {"name": "exec_command", "arguments": "{\"cmd\":\"ls\"}"}},
                    {"id": "call.2", "type": "function",
                     "function": {"name": "apply_patch", "arguments": "{\"input\":\"*** Begin Patch\\n*** End Patch\"}"}},
                ]},
                {"role": "tool", "content": "a.png", "tool_call_id": "call_1"},
                {"role": "tool", "content": "Done!", "tool_call_id": "call.2"},
                {"role": "user", "content": [
                    {"type": "text", "text": "Images returned by the tool calls above:"},
                    {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
                    {"type": "text", "text": "the sandbox changed"},
                    {"type": "text", "text": "go on"},
                ]},
            ],
            "stream": true,
            "stream_options": {"include_usage": true},
            "tools": [
                {"type": "function", "function": {"name": "exec_command", "description": "run",
                    "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}}}},
                {"type": "function", "function": {"name": "apply_patch",
                    "description": "patch\n\nPass the whole input as the `input` string.",
                    "parameters": {"type": "object",
                        "properties": {"input": {"type": "string", "description": "The tool's whole input."}},
                        "required": ["input"], "additionalProperties": false}}},
            ],
            "tool_choice": "auto",
            "parallel_tool_calls": true,
            "reasoning_effort": "medium",
            "response_format": {"type": "json_schema", "json_schema": {
                "name": "duet_output_schema", "schema": {"type": "object"}, "strict": true}},
            "max_tokens": 32000,
        })
    );
}

#[tokio::test]
async fn several_tool_calls_are_assembled_by_index_and_custom_ones_come_back_custom() {
    // The fragments of two calls interleave, and `reasoning` (Ollama's
    // field) carries the thinking.
    let fragment = |index: u64, call: serde_json::Value| {
        chat_chunk(
            json!({"tool_calls": [{"index": index, "function": call}]}),
            None,
        )
    };
    let body = chat_sse(&[
        chat_chunk(
            json!({"tool_calls": [{"index": 0, "id": "call_a", "type": "function",
                                   "function": {"name": "exec_command", "arguments": "{\"cmd\":"}}]}),
            None,
        ),
        chat_chunk(
            json!({"tool_calls": [{"index": 1, "id": "call_b", "type": "function",
                                   "function": {"name": "apply_patch", "arguments": "{\"input\":"}}]}),
            None,
        ),
        fragment(0, json!({"arguments": "\"ls\"}"})),
        fragment(1, json!({"arguments": "\"*** Begin Patch\"}"})),
        chat_finish("tool_calls"),
        chat_usage(10, 0, 5),
    ]);
    let server = start_mock().await;
    mount_sequence_at(&server, CHAT_PATH, vec![sse_response(body)]).await;
    let request = duet_model::ResponsesRequest {
        tools: mixed_request().tools,
        ..fixed_request()
    };
    let (_, outcome) = run_request(&chat_client(&server).await, &request).await;
    assert_eq!(
        outcome,
        Ok(vec![
            created(),
            Ok(ResponseEvent::OutputItemDone(function_call(
                "call_a",
                "exec_command",
                r#"{"cmd":"ls"}"#
            ))),
            Ok(ResponseEvent::OutputItemDone(
                ResponseItem::CustomToolCall {
                    id: None,
                    status: None,
                    call_id: "call_b".to_string(),
                    name: "apply_patch".to_string(),
                    input: "*** Begin Patch".to_string(),
                }
            )),
            completed(10, 0, 5),
        ])
    );
}

#[tokio::test]
async fn arguments_that_are_not_json_reach_the_caller_as_sent() {
    let outcome = answer(chat_calls(&[("call_1", "exec_command", "{\"cmd\": ls")])).await;
    assert_eq!(
        outcome,
        Ok(vec![
            created(),
            Ok(ResponseEvent::OutputItemDone(function_call(
                "call_1",
                "exec_command",
                "{\"cmd\": ls"
            ))),
            completed(10, 0, 5),
        ])
    );
}

#[tokio::test]
async fn finish_reasons_length_and_unknown_and_a_missing_done() {
    let text = || [created(), added_message(), text_delta("a"), text_delta("b")];
    // `length`: the items so far, then an incomplete answer.
    let outcome = answer(chat_sse(&[chat_text("ab"), chat_finish("length")])).await;
    let mut expected = text().to_vec();
    expected.extend([
        message_done("ab"),
        Err((
            "incomplete response returned, reason: max_output_tokens".to_string(),
            false,
        )),
    ]);
    assert_eq!(outcome, Ok(expected));

    // An unknown reason warns and completes.
    let outcome = answer(chat_sse(&[chat_text("ab"), chat_finish("sleepy")])).await;
    let mut expected = text().to_vec();
    expected.extend([
        message_done("ab"),
        Ok(ResponseEvent::Warning(
            "the model's answer ended with an unknown finish_reason `sleepy`; it is taken as complete"
                .to_string(),
        )),
        Ok(ResponseEvent::Completed {
            response_id: CHAT_ID.to_string(),
            usage: None,
        }),
    ]);
    assert_eq!(outcome, Ok(expected));

    // No `[DONE]` after the finish: the end of the body completes.
    let outcome = answer(chat_sse_without_done(&[
        chat_text("ab"),
        chat_finish("stop"),
        chat_usage(3, 1, 2),
    ]))
    .await;
    let mut expected = text().to_vec();
    expected.extend([message_done("ab"), completed(3, 1, 2)]);
    assert_eq!(outcome, Ok(expected));
}

#[tokio::test]
async fn a_stream_cut_before_the_finish_is_a_retryable_disconnect() {
    let outcome = answer(chat_sse_without_done(&[chat_text("ab")])).await;
    let mut expected = vec![created(), added_message(), text_delta("a"), text_delta("b")];
    expected.push(Err((
        "stream disconnected before completion: stream closed before response.completed"
            .to_string(),
        true,
    )));
    assert_eq!(outcome, Ok(expected));
}

#[tokio::test]
async fn an_error_chunk_mid_stream_is_a_retryable_failure() {
    let outcome = answer(chat_sse(&[
        chat_text("a"),
        json!({"error": {"message": "the GPU fell over", "code": "server_error"}}),
    ]))
    .await;
    assert_eq!(
        outcome,
        Ok(vec![
            created(),
            added_message(),
            text_delta("a"),
            Err((
                "the model failed to produce a response: the GPU fell over".to_string(),
                true
            )),
        ])
    );
}

#[tokio::test]
async fn a_whole_json_completion_is_read_as_one_answer() {
    let completion = json!({
        "id": CHAT_ID, "object": "chat.completion",
        "choices": [{"index": 0, "finish_reason": "tool_calls", "message": {
            "role": "assistant", "content": "running it",
            "tool_calls": [{"id": "call_1", "type": "function",
                            "function": {"name": "exec_command", "arguments": "{}"}}]}}],
        "usage": {"prompt_tokens": 7, "completion_tokens": 3, "total_tokens": 10},
    });
    let server = start_mock().await;
    mount_sequence_at(
        &server,
        CHAT_PATH,
        vec![ResponseTemplate::new(200).set_body_json(completion)],
    )
    .await;
    let (_, outcome) = run(&chat_client(&server).await).await;
    assert_eq!(
        outcome,
        Ok(vec![
            created(),
            added_message(),
            text_delta("running it"),
            message_done("running it"),
            Ok(ResponseEvent::OutputItemDone(function_call(
                "call_1",
                "exec_command",
                "{}"
            ))),
            completed(7, 0, 3),
        ])
    );
}

#[tokio::test]
async fn an_html_page_is_an_error_that_quotes_it() {
    let server = start_mock().await;
    mount_sequence_at(
        &server,
        CHAT_PATH,
        vec![ResponseTemplate::new(200).set_body_raw("<html>Sign in</html>", "text/html")],
    )
    .await;
    let base = base_url(&server);
    let (_, outcome) = run(&chat_client(&server).await).await;
    assert_eq!(
        outcome,
        Err(format!(
            "`{base}/chat/completions` answered with `text/html` instead of an event stream: <html>Sign in</html>: check `base_url` (it should be the API's, ending in `/v1`) and `wire_api` (retryable: false)"
        ))
    );
}

#[tokio::test]
async fn statuses_name_the_wire_endpoint_and_a_model_without_tools() {
    let cases = [
        (
            ResponseTemplate::new(400).set_body_json(
                json!({"error": {"message": "registry.ollama.ai/library/gemma:2b does not support tools"}}),
            ),
            "model `gpt-test` of provider `mock` does not support tool calls, which duet needs to work (registry.ollama.ai/library/gemma:2b does not support tools): pick a model that supports tools (for Ollama, one tagged `tools`, e.g. `qwen3`, `llama3.1`) (retryable: false)".to_string(),
        ),
        (
            ResponseTemplate::new(401).set_body_json(json!({"error": {"message": "bad key"}})),
            "the model provider `mock` rejected the API key from `MOCK_KEY` (401 Unauthorized): bad key: check that key (`DUET_API_KEY` or `CODEX_API_KEY` take precedence when set), or save another with `duet login --provider mock --with-api-key` (retryable: false)".to_string(),
        ),
    ];
    for (response, expected) in cases {
        let server = start_mock().await;
        mount_sequence_at(&server, CHAT_PATH, vec![response]).await;
        let (_, outcome) = run(&chat_client(&server).await).await;
        assert_eq!(outcome, Err(expected));
    }
    // 404: nothing is mounted.
    let server = start_mock().await;
    let base = base_url(&server);
    let (_, outcome) = run(&chat_client(&server).await).await;
    assert_eq!(
        outcome,
        Err(format!(
            "`{base}/chat/completions` was not found (404 Not Found): check `model_providers.mock.base_url` (it should end in `/v1` for OpenAI-compatible servers) and the model name `gpt-test` (retryable: false)"
        ))
    );
}

#[tokio::test]
async fn a_429_with_retry_after_and_a_503_are_retried() {
    let server = start_mock().await;
    let log = mount_sequence_at(
        &server,
        CHAT_PATH,
        vec![
            ResponseTemplate::new(429).insert_header("retry-after", "0"),
            ResponseTemplate::new(503),
            sse_response(chat_answer("hi")),
        ],
    )
    .await;
    let (notices, outcome) = run(&chat_client(&server).await).await;
    let reasons: Vec<String> = notices.into_iter().map(|notice| notice.reason).collect();
    assert_eq!(
        reasons,
        vec!["429 Too Many Requests", "503 Service Unavailable"]
    );
    assert_eq!(outcome.map(|events| events.len()), Ok(6));
    assert_eq!(log.requests().len(), 3);
}
