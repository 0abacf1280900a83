//! HTTP-level faults: retried statuses, immediate failures, fatal stream events.

use crate::common::{assistant, client, provider, run};
use duet_model::{ResponseEvent, RetryNotice};
use duet_test_support::responses_mock::{
    base_url, mount_response_sequence, sse_response, start_mock,
};
use duet_test_support::sse::{
    ev_assistant_message, ev_incomplete, ev_response_created, ev_response_failed, sse,
    sse_completed_turn,
};
use pretty_assertions::assert_eq;
use std::time::Duration;
use wiremock::ResponseTemplate;

fn ok_turn() -> ResponseTemplate {
    sse_response(sse_completed_turn(&[]))
}

fn completed_events() -> Vec<Result<ResponseEvent, (String, bool)>> {
    vec![
        Ok(ResponseEvent::Created {
            response_id: "resp_1".to_string(),
        }),
        Ok(ResponseEvent::Completed {
            response_id: "resp_1".to_string(),
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
}

#[tokio::test]
async fn too_many_requests_then_ok_honours_retry_after() {
    let server = start_mock().await;
    let log = mount_response_sequence(
        &server,
        vec![
            ResponseTemplate::new(429).insert_header("retry-after", "0"),
            ok_turn(),
        ],
    )
    .await;

    let (notices, outcome) = run(&client(provider(&base_url(&server)))).await;

    assert_eq!(
        notices,
        vec![RetryNotice {
            attempt: 1,
            max_attempts: 2,
            reason: "429 Too Many Requests".to_string(),
            delay: Duration::ZERO,
        }]
    );
    assert_eq!(outcome, Ok(completed_events()));
    assert_eq!(log.requests().len(), 2);
}

#[tokio::test]
async fn server_error_always_exhausts_the_retries() {
    let server = start_mock().await;
    let error = ResponseTemplate::new(500)
        .insert_header("retry-after-ms", "1")
        .set_body_raw(r#"{"error":{"message":"overloaded"}}"#, "application/json");
    let log = mount_response_sequence(&server, vec![error.clone(), error.clone(), error]).await;

    let (notices, outcome) = run(&client(provider(&base_url(&server)))).await;

    let notice = |attempt| RetryNotice {
        attempt,
        max_attempts: 2,
        reason: "500 Internal Server Error".to_string(),
        delay: Duration::from_millis(1),
    };
    assert_eq!(notices, vec![notice(1), notice(2)]);
    assert_eq!(
        outcome,
        Err("exceeded retry limit, last status: 500 Internal Server Error: overloaded (retryable: false)".to_string())
    );
    assert_eq!(log.requests().len(), 3);
}

/// One request, no retry notice, and this error.
async fn check_immediate(response: ResponseTemplate, base_suffix: &str, expected: &str) {
    let server = start_mock().await;
    let log = mount_response_sequence(&server, vec![response]).await;
    let (notices, outcome) = run(&client(provider(&format!(
        "{}{base_suffix}",
        base_url(&server)
    ))))
    .await;
    assert_eq!((notices, outcome), (vec![], Err(expected.to_string())));
    assert_eq!(log.requests().len(), 1);
}

#[tokio::test]
async fn unauthorized_fails_at_once_naming_the_key_variable() {
    check_immediate(
        ResponseTemplate::new(401).set_body_raw(
            r#"{"error":{"message":"Incorrect API key provided","code":"invalid_api_key"}}"#,
            "application/json",
        ),
        "",
        "the model provider `mock` rejected the API key from `MOCK_KEY` (401 Unauthorized): Incorrect API key provided: check that key (`DUET_API_KEY` or `CODEX_API_KEY` take precedence when set), or save another with `duet login --provider mock --with-api-key` (retryable: false)",
    )
    .await;
}

#[tokio::test]
async fn bad_request_quotes_the_raw_body() {
    check_immediate(
        ResponseTemplate::new(400).set_body_string("unknown parameter: foo"),
        "",
        "the model provider rejected the request (400 Bad Request): unknown parameter: foo (retryable: false)",
    )
    .await;
}

#[tokio::test]
async fn context_length_in_an_http_error_is_fatal() {
    check_immediate(
        ResponseTemplate::new(400).set_body_raw(
            r#"{"error":{"message":"too long","code":"context_length_exceeded"}}"#,
            "application/json",
        ),
        "",
        "the conversation no longer fits in the model's context window: start a new session or compact it, then retry (retryable: false)",
    )
    .await;
}

/// The servers that say it in their own words: vLLM (a top-level message),
/// llama.cpp (its error type), Anthropic, LiteLLM relaying one of them.
#[tokio::test]
async fn each_servers_words_for_too_long_are_understood() {
    let too_long = "the conversation no longer fits in the model's context window: start a new session or compact it, then retry (retryable: false)";
    for (status, body) in [
        (
            400,
            r#"{"object":"error","message":"This model's maximum context length is 2048 tokens. However, you requested 4096 tokens.","type":"BadRequestError","code":400}"#,
        ),
        (
            400,
            r#"{"error":{"code":400,"message":"the request exceeds the available context size, try increasing it","type":"exceed_context_size_error","n_prompt_tokens":9000,"n_ctx":2048}}"#,
        ),
        (
            400,
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"prompt is too long: 210000 tokens > 200000 maximum"}}"#,
        ),
        (
            400,
            r#"{"error":{"message":"litellm.ContextWindowExceededError: litellm.BadRequestError: This model's maximum context length is 8192 tokens","type":null,"param":null,"code":"400"}}"#,
        ),
    ] {
        check_immediate(
            ResponseTemplate::new(status).set_body_raw(body, "application/json"),
            "",
            too_long,
        )
        .await;
    }
}

#[tokio::test]
async fn insufficient_quota_is_not_retried_even_as_429() {
    check_immediate(
        ResponseTemplate::new(429).set_body_raw(
            r#"{"error":{"message":"You exceeded your current quota","code":"insufficient_quota"}}"#,
            "application/json",
        ),
        "",
        "the model provider reports the quota is exhausted: You exceeded your current quota: check the plan and billing details of the API key's account (retryable: false)",
    )
    .await;
}

#[tokio::test]
async fn not_found_names_the_url_and_the_config_key() {
    let server = start_mock().await;
    let (notices, outcome) = run(&client(provider(&format!("{}/v2", server.uri())))).await;
    assert_eq!(
        (notices, outcome),
        (
            vec![],
            Err(format!(
                "`{}/v2/responses` was not found (404 Not Found): check `model_providers.mock.base_url` (it should end in `/v1` for OpenAI-compatible servers) and the model name `gpt-test` (retryable: false)",
                server.uri()
            ))
        )
    );
}

#[tokio::test]
async fn refused_connection_is_retried_then_reported() {
    // Bind and drop a listener to get a port nothing listens on.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut provider = provider(&format!("http://127.0.0.1:{port}/v1"));
    provider.request_max_retries = 1;

    let (notices, outcome) = run(&client(provider)).await;

    let reasons: Vec<(u32, String)> = notices
        .into_iter()
        .map(|notice| (notice.attempt, notice.reason))
        .collect();
    assert_eq!(reasons, vec![(1, "connection refused: client error (Connect): tcp connect error: Connection refused (os error 111)".to_string())]);
    assert_eq!(
        outcome,
        Err(format!(
            "could not reach the model provider at `http://127.0.0.1:{port}/v1/responses` after 2 attempts: connection refused: client error (Connect): tcp connect error: Connection refused (os error 111): check the network and `base_url` (retryable: false)"
        ))
    );
}

#[tokio::test]
async fn stream_failures_keep_the_items_done_before_them() {
    let server = start_mock().await;
    let bodies = [
        sse(&[
            ev_response_created("r"),
            ev_assistant_message("m", "ok"),
            ev_response_failed("context_length_exceeded", "too long"),
        ]),
        sse(&[
            ev_response_created("r"),
            ev_response_failed("server_error", "try again"),
        ]),
        sse(&[
            ev_response_created("r"),
            ev_assistant_message("m", "ok"),
            ev_incomplete("max_output_tokens"),
        ]),
        sse(&[ev_response_created("r"), ev_assistant_message("m", "ok")]),
    ];
    mount_response_sequence(&server, bodies.into_iter().map(sse_response).collect()).await;
    let client = client(provider(&base_url(&server)));
    let mut last_two = Vec::new();
    for _ in 0..4 {
        let (_, outcome) = run(&client).await;
        let events = outcome.unwrap();
        let tail: Vec<_> = events[events.len().saturating_sub(2)..].to_vec();
        last_two.push(tail);
    }

    let done = Ok(ResponseEvent::OutputItemDone(assistant("m", "ok")));
    let created = Ok(ResponseEvent::Created {
        response_id: "r".to_string(),
    });
    assert_eq!(
        last_two,
        vec![
            vec![done.clone(), Err(("the conversation no longer fits in the model's context window: start a new session or compact it, then retry".to_string(), false))],
            vec![created, Err(("the model failed to produce a response: try again".to_string(), true))],
            vec![done.clone(), Err(("incomplete response returned, reason: max_output_tokens".to_string(), false))],
            vec![done, Err(("stream disconnected before completion: stream closed before response.completed".to_string(), true))],
        ]
    );
}
