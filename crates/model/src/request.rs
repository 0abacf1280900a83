//! The body of `POST /responses`.

use crate::items::ResponseItem;
use duet_protocol::{ReasoningEffort, ReasoningSummary};
use serde::Serialize;

/// Everything the model sees for one sampling request. The whole history is
/// sent every time (`store: false`); `prompt_cache_key` is the thread id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ResponsesRequest {
    pub model: String,
    pub input: Vec<ResponseItem>,
    /// Tool definitions as JSON (function and custom tools).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub tools: Vec<serde_json::Value>,
    pub tool_choice: &'static str,
    pub parallel_tool_calls: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reasoning: Option<Reasoning>,
    pub store: bool,
    pub stream: bool,
    pub include: Vec<&'static str>,
    pub prompt_cache_key: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub text: Option<TextControls>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reasoning {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub effort: Option<ReasoningEffort>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub summary: Option<ReasoningSummary>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextControls {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub verbosity: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub format: Option<TextFormat>,
}

/// `text.format` for `--output-schema`.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TextFormat {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub strict: bool,
    pub schema: serde_json::Value,
    pub name: String,
}

impl TextFormat {
    pub fn json_schema(schema: serde_json::Value) -> Self {
        TextFormat {
            kind: "json_schema",
            strict: true,
            schema,
            name: "duet_output_schema".to_string(),
        }
    }
}
