//! The request as the server sees it, and a good stream's events.

use crate::common::{THREAD_ID, assistant, fixed_request, provider, run};
use duet_model::{ModelClient, ResponseEvent, TokenUsage, user_agent};
use duet_test_support::responses_mock::{
    RecordedRequest, base_url, mount_sse_sequence, start_mock,
};
use duet_test_support::sse::{
    ev_assistant_message, ev_completed_with_usage, ev_response_created, sse,
};
use pretty_assertions::assert_eq;
use serde_json::json;
use std::collections::BTreeMap;

#[tokio::test]
async fn request_body_and_headers_are_sent_whole() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![sse(&[
            ev_response_created("resp_1"),
            ev_assistant_message("msg_1", "hi there"),
            ev_completed_with_usage("resp_1", 100, 40, 20, 8),
        ])],
    )
    .await;
    let mut provider = provider(&format!("{}/", base_url(&server)));
    provider
        .http_headers
        .insert("x-static".to_string(), "1".to_string());
    provider
        .env_http_headers
        .insert("x-from-env".to_string(), "MOCK_HEADER".to_string());
    provider
        .env_http_headers
        .insert("x-unset".to_string(), "MOCK_UNSET".to_string());
    provider
        .query_params
        .insert("api-version".to_string(), "7".to_string());
    let env = |var: &str| (var == "MOCK_HEADER").then(|| "from-env".to_string());
    let client = ModelClient::new_with_env(provider, Some("sk-test".to_string()), &env)
        .unwrap()
        .with_originator("codex_sdk_ts");

    let (notices, outcome) = run(&client).await;

    assert_eq!(notices, vec![]);
    assert_eq!(
        outcome,
        Ok(vec![
            Ok(ResponseEvent::Created {
                response_id: "resp_1".to_string()
            }),
            Ok(ResponseEvent::OutputItemAdded(
                duet_model::ResponseItem::Message {
                    id: Some("msg_1".to_string()),
                    role: "assistant".to_string(),
                    content: vec![],
                }
            )),
            Ok(ResponseEvent::OutputTextDelta {
                item_id: Some("msg_1".to_string()),
                delta: "hi t".to_string(),
            }),
            Ok(ResponseEvent::OutputTextDelta {
                item_id: Some("msg_1".to_string()),
                delta: "here".to_string(),
            }),
            Ok(ResponseEvent::OutputItemDone(assistant(
                "msg_1", "hi there"
            ))),
            Ok(ResponseEvent::Completed {
                response_id: "resp_1".to_string(),
                usage: Some(TokenUsage {
                    input_tokens: 100,
                    cached_input_tokens: 40,
                    cache_write_input_tokens: 0,
                    output_tokens: 20,
                    reasoning_output_tokens: 8,
                    total_tokens: 120,
                }),
            }),
        ])
    );
    let body_len = serde_json::to_vec(&fixed_request()).unwrap().len();
    let expected_headers: BTreeMap<String, String> = [
        ("accept", "text/event-stream".to_string()),
        ("authorization", "Bearer sk-test".to_string()),
        ("content-length", body_len.to_string()),
        ("content-type", "application/json".to_string()),
        ("host", server.address().to_string()),
        ("originator", "codex_sdk_ts".to_string()),
        ("session-id", THREAD_ID.to_string()),
        ("thread-id", THREAD_ID.to_string()),
        ("user-agent", user_agent()),
        ("x-client-request-id", THREAD_ID.to_string()),
        ("x-from-env", "from-env".to_string()),
        ("x-static", "1".to_string()),
    ]
    .into_iter()
    .map(|(name, value)| (name.to_string(), value))
    .collect();
    assert_eq!(
        log.requests(),
        vec![RecordedRequest {
            path_and_query: "/v1/responses?api-version=7".to_string(),
            headers: expected_headers,
            body: json!({
                "model": "gpt-test",
                "input": [
                    {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "be brief"}]},
                    {"type": "message", "role": "user", "content": [{"type": "input_text", "text": "say hi"}]},
                ],
                "tools": [{"type": "function", "name": "exec_command"}],
                "tool_choice": "auto",
                "parallel_tool_calls": true,
                "reasoning": {"effort": "medium", "summary": "auto"},
                "store": false,
                "stream": true,
                "include": ["reasoning.encrypted_content"],
                "prompt_cache_key": THREAD_ID,
            }),
        }]
    );
}

#[tokio::test]
async fn no_key_no_authorization_and_default_originator() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![sse(&[
            ev_response_created("r"),
            duet_test_support::sse::ev_completed("r"),
        ])],
    )
    .await;
    let client = ModelClient::new_with_env(provider(&base_url(&server)), None, &|_| None).unwrap();

    let (_, outcome) = run(&client).await;

    assert_eq!(outcome.map(|events| events.len()), Ok(2));
    let headers = &log.requests()[0].headers;
    assert_eq!(
        (
            headers.get("authorization"),
            headers.get("originator").map(String::as_str)
        ),
        (None, Some("duet_exec"))
    );
}
