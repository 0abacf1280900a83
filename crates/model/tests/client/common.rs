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
        max_output_tokens: None,
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

/// The events of a stream, errors as `(message, retryable)`; or the error
/// of the request.
pub type Outcome = Result<Vec<Result<ResponseEvent, (String, bool)>>, String>;

/// Stream the fixed request; return the retry notices and the outcome.
pub async fn run(client: &ModelClient) -> (Vec<RetryNotice>, Outcome) {
    run_request(client, &fixed_request()).await
}

/// Stream `request`; return the retry notices and the outcome.
pub async fn run_request(
    client: &ModelClient,
    request: &ResponsesRequest,
) -> (Vec<RetryNotice>, Outcome) {
    let mut notices = Vec::new();
    let mut on_retry = |notice: RetryNotice| notices.push(notice);
    let outcome = match client.stream(request, THREAD_ID, &mut on_retry).await {
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

/// A request whose history holds every kind of item a thread can: leading
/// developer messages, a user message with an image, reasoning of the
/// Responses wire, an assistant message, a function call and a custom tool
/// call with their outputs (one with an image), and a later developer
/// message. Tools: one function, one custom. Medium effort, an output schema.
pub fn mixed_request() -> ResponsesRequest {
    use duet_model::{ContentItem, FunctionCallOutput, TextControls, TextFormat};
    let input = vec![
        ResponseItem::developer_text("base instructions"),
        ResponseItem::developer_text("permissions"),
        ResponseItem::Message {
            id: None,
            role: "user".to_string(),
            content: vec![
                ContentItem::InputText {
                    text: "fix the bug".to_string(),
                },
                ContentItem::InputImage {
                    image_url: "data:image/png;base64,iVBOR".to_string(),
                },
            ],
        },
        ResponseItem::Reasoning {
            id: "rs_1".to_string(),
            summary: vec![],
            content: None,
            encrypted_content: Some("opaque".to_string()),
        },
        assistant("msg_1", "looking"),
        ResponseItem::FunctionCall {
            id: None,
            call_id: "call_1".to_string(),
            name: "exec_command".to_string(),
            arguments: r#"{"cmd":"ls"}"#.to_string(),
            namespace: None,
        },
        ResponseItem::CustomToolCall {
            id: None,
            status: None,
            call_id: "call.2".to_string(),
            name: "apply_patch".to_string(),
            input: "*** Begin Patch\n*** End Patch".to_string(),
        },
        ResponseItem::FunctionCallOutput {
            call_id: "call_1".to_string(),
            output: FunctionCallOutput::Content(vec![
                ContentItem::InputText {
                    text: "a.png".to_string(),
                },
                ContentItem::InputImage {
                    image_url: "data:image/png;base64,AAAA".to_string(),
                },
            ]),
        },
        ResponseItem::CustomToolCallOutput {
            call_id: "call.2".to_string(),
            output: "Done!".to_string(),
        },
        ResponseItem::developer_text("the sandbox changed"),
        ResponseItem::user_text("go on"),
    ];
    ResponsesRequest {
        input,
        tools: vec![
            serde_json::json!({"type": "function", "name": "exec_command", "description": "run",
                               "strict": false, "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}}}),
            serde_json::json!({"type": "custom", "name": "apply_patch", "description": "patch",
                               "format": {"type": "grammar", "syntax": "lark", "definition": "start: x"}}),
        ],
        text: Some(TextControls {
            verbosity: None,
            format: Some(TextFormat::json_schema(
                serde_json::json!({"type": "object"}),
            )),
        }),
        max_output_tokens: Some(32_000),
        ..fixed_request()
    }
}

/// [`provider`] on `wire`.
pub fn provider_on(base_url: &str, wire: WireApi) -> ProviderInfo {
    ProviderInfo {
        wire_api: wire,
        ..provider(base_url)
    }
}
