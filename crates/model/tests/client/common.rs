//! Shared setup of the model client tests: a fixed request and a mock provider.

use duet_model::{
    ModelClient, ModelError, ProviderInfo, Reasoning, ResponseEvent, ResponseItem,
    ResponsesRequest, RetryNotice, WireApi,
};
use duet_protocol::{ReasoningEffort, ReasoningSummary};
use std::collections::BTreeMap;
use std::time::Duration;

pub const THREAD_ID: &str = "01990000-0000-7000-8000-000000000001";

/// The same request in every test, so bodies can be asserted whole.
pub fn fixed_request() -> ResponsesRequest {
    ResponsesRequest {
        model: "gpt-test".to_string(),
        input: vec![
            ResponseItem::developer_text("be brief"),
            ResponseItem::user_text("say hi"),
        ],
        tools: vec![serde_json::json!({"type": "function", "name": "exec_command"})],
        tool_choice: "auto",
        parallel_tool_calls: true,
        reasoning: Some(Reasoning {
            effort: Some(ReasoningEffort::Medium),
            summary: Some(ReasoningSummary::Auto),
        }),
        store: false,
        stream: true,
        include: vec!["reasoning.encrypted_content"],
        prompt_cache_key: THREAD_ID.to_string(),
        text: None,
    }
}

/// A provider at `base_url` keyed by `MOCK_KEY`, with 2 request retries.
pub fn provider(base_url: &str) -> ProviderInfo {
    ProviderInfo {
        id: "mock".to_string(),
        name: "mock".to_string(),
        base_url: base_url.to_string(),
        env_key: Some("MOCK_KEY".to_string()),
        env_key_instructions: None,
        wire_api: WireApi::Responses,
        http_headers: BTreeMap::new(),
        env_http_headers: BTreeMap::new(),
        query_params: BTreeMap::new(),
        request_max_retries: 2,
        stream_max_retries: 1,
        stream_idle_timeout: Duration::from_secs(5),
    }
}

pub fn client(provider: ProviderInfo) -> ModelClient {
    ModelClient::new_with_env(provider, Some("sk-test".to_string()), &|_| None)
        .expect("the test provider is valid")
}

/// Stream the fixed request; return the retry notices and the outcome.
pub async fn run(
    client: &ModelClient,
) -> (
    Vec<RetryNotice>,
    Result<Vec<Result<ResponseEvent, (String, bool)>>, String>,
) {
    let mut notices = Vec::new();
    let mut on_retry = |notice: RetryNotice| notices.push(notice);
    let outcome = match client
        .stream(&fixed_request(), THREAD_ID, &mut on_retry)
        .await
    {
        Ok(mut stream) => {
            let mut events = Vec::new();
            while let Some(event) = stream.next().await {
                events.push(event.map_err(describe));
            }
            Ok(events)
        }
        Err(err) => Err(format!("{err} (retryable: {})", err.is_retryable())),
    };
    (notices, outcome)
}

fn describe(err: ModelError) -> (String, bool) {
    (err.to_string(), err.is_retryable())
}

/// The message assistant item the SSE builders produce.
pub fn assistant(id: &str, text: &str) -> ResponseItem {
    ResponseItem::Message {
        id: Some(id.to_string()),
        role: "assistant".to_string(),
        content: vec![duet_model::ContentItem::OutputText {
            text: text.to_string(),
            annotations: vec![],
        }],
    }
}
