//! The Anthropic Messages wire: `POST {base_url}/messages` with `x-api-key`
//! and `anthropic-version`.
//!
//! Request: leading developer messages are the `system` blocks (later ones
//! are the user's); calls are `tool_use` blocks of the assistant, outputs
//! `tool_result` blocks of the user; messages of one role in a row are
//! merged. Thinking blocks this wire produced (reasoning items with a
//! `duet_thinking_` id, their signature in `encrypted_content`) are replayed
//! as they came; other reasoning is left out. Reasoning effort becomes a
//! thinking budget. Prompt caching: `cache_control` breakpoints on the last
//! tool, the last system block, and the last block of the last two user
//! messages (the one sent now, and the end of the prefix the previous
//! request cached), so a long session reads its prefix from the cache.
//!
//! Stream: `message_start` (id, input usage), `content_block_start/delta/
//! stop` per block (text, thinking with its signature, `tool_use` with
//! `input_json_delta` fragments), `message_delta` (stop reason, output
//! usage), `message_stop`.

use super::{
    Queue, assistant_item as assistant, call_item, function_form, message_role, parsed_items,
    reasoning_item, schema_instruction, text_of,
};
use crate::client::ResponseEvent;
use crate::error::ModelError;
use crate::items::{ContentItem, FunctionCallOutput, ResponseItem};
use crate::request::ResponsesRequest;
use crate::sse::{TokenUsage, malformed};
use duet_protocol::ReasoningEffort;
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The `anthropic-version` header sent with every request.
pub(crate) const API_VERSION: &str = "2023-06-01";
/// `max_tokens` when neither the config nor the catalogue gives one.
const DEFAULT_MAX_TOKENS: u64 = 8192;
const THINKING_PREFIX: &str = "duet_thinking_";
const REDACTED_PREFIX: &str = "duet_redacted_thinking_";
/// The smallest thinking budget the API accepts.
const MIN_BUDGET: u64 = 1024;

/// The thinking budget for an effort; `None`: no thinking.
fn budget(effort: ReasoningEffort) -> Option<u64> {
    match effort {
        ReasoningEffort::None => None,
        ReasoningEffort::Minimal => Some(MIN_BUDGET),
        ReasoningEffort::Low => Some(4_096),
        ReasoningEffort::Medium => Some(10_000),
        ReasoningEffort::High => Some(24_000),
        ReasoningEffort::Xhigh => Some(32_000),
    }
}

fn ephemeral() -> Value {
    json!({"type": "ephemeral"})
}

pub(crate) fn body(request: &ResponsesRequest) -> Vec<u8> {
    let (mut system, mut messages) = messages(&request.input);
    if let Some(format) = request.text.as_ref().and_then(|text| text.format.as_ref()) {
        system.push(schema_instruction(&format.schema));
    }
    let max_tokens = request.max_output_tokens.unwrap_or(DEFAULT_MAX_TOKENS);
    let mut body = Map::new();
    body.insert("model".into(), Value::String(request.model.clone()));
    body.insert("max_tokens".into(), json!(max_tokens));
    let mut system: Vec<Value> = system
        .into_iter()
        .filter(|text| !text.is_empty())
        .map(|text| json!({"type": "text", "text": text}))
        .collect();
    if let Some(last) = system.last_mut() {
        last["cache_control"] = ephemeral();
    }
    if !system.is_empty() {
        body.insert("system".into(), Value::Array(system));
    }
    mark_cache_breakpoints(&mut messages);
    // Thinking needs the last assistant message to start with a thinking
    // block when it holds a tool call; one written by another wire does not.
    let thinking_allowed = messages
        .iter()
        .rev()
        .find(|message| message["role"] == "assistant")
        .is_none_or(|message| {
            let blocks = message["content"].as_array();
            let has_tool_use = blocks
                .into_iter()
                .flatten()
                .any(|block| block["type"] == "tool_use");
            let starts_with_thinking =
                blocks
                    .and_then(|blocks| blocks.first())
                    .is_some_and(|block| {
                        matches!(
                            block["type"].as_str(),
                            Some("thinking" | "redacted_thinking")
                        )
                    });
            !has_tool_use || starts_with_thinking
        });
    body.insert("messages".into(), Value::Array(messages));
    let mut tools: Vec<Value> = request
        .tools
        .iter()
        .filter_map(function_form)
        .map(|(name, description, parameters)| {
            json!({"name": name, "description": description, "input_schema": parameters})
        })
        .collect();
    if let Some(last) = tools.last_mut() {
        last["cache_control"] = ephemeral();
    }
    if !tools.is_empty() {
        body.insert("tools".into(), Value::Array(tools));
        body.insert(
            "tool_choice".into(),
            json!({"type": "auto", "disable_parallel_tool_use": !request.parallel_tool_calls}),
        );
    }
    let budget = request
        .reasoning
        .as_ref()
        .and_then(|reasoning| reasoning.effort)
        .and_then(budget)
        .map(|budget| budget.min(max_tokens.saturating_sub(MIN_BUDGET)))
        .filter(|budget| *budget >= MIN_BUDGET);
    if let Some(budget) = budget.filter(|_| thinking_allowed) {
        body.insert(
            "thinking".into(),
            json!({"type": "enabled", "budget_tokens": budget}),
        );
    }
    body.insert("stream".into(), Value::Bool(true));
    serde_json::to_vec(&Value::Object(body)).expect("JSON values serialise")
}

/// Breakpoints on the last block of the last two user messages.
fn mark_cache_breakpoints(messages: &mut [Value]) {
    let users = messages
        .iter_mut()
        .rev()
        .filter(|message| message["role"] == "user")
        .take(2);
    for message in users {
        if let Some(last) = message["content"]
            .as_array_mut()
            .and_then(|blocks| blocks.last_mut())
        {
            last["cache_control"] = ephemeral();
        }
    }
}

fn image_block(image_url: &str) -> Value {
    // `data:image/png;base64,AAAA`
    if let Some(rest) = image_url.strip_prefix("data:")
        && let Some((media_type, data)) = rest.split_once(";base64,")
    {
        return json!({
            "type": "image",
            "source": {"type": "base64", "media_type": media_type, "data": data},
        });
    }
    json!({"type": "image", "source": {"type": "url", "url": image_url}})
}

fn content_blocks(content: &[ContentItem]) -> Vec<Value> {
    content
        .iter()
        .filter_map(|part| match part {
            ContentItem::InputText { text } | ContentItem::OutputText { text, .. } => {
                (!text.is_empty()).then(|| json!({"type": "text", "text": text}))
            }
            ContentItem::InputImage { image_url } => Some(image_block(image_url)),
            ContentItem::Other(_) => None,
        })
        .collect()
}

/// Anthropic tool-use ids allow `[a-zA-Z0-9_-]` only; ids made by other
/// providers are mapped into that set, the same way each time.
fn tool_id(call_id: &str) -> String {
    call_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

/// The system texts and the messages.
fn messages(input: &[ResponseItem]) -> (Vec<String>, Vec<Value>) {
    let mut system = Vec::new();
    let mut messages: Vec<Value> = Vec::new();
    let mut leading = true;
    fn push(messages: &mut Vec<Value>, role: &str, blocks: Vec<Value>) {
        if blocks.is_empty() {
            return;
        }
        match messages.last_mut() {
            Some(last) if last["role"] == role => {
                let content = last["content"]
                    .as_array_mut()
                    .expect("messages are built with block arrays");
                content.extend(blocks);
            }
            _ => messages.push(json!({"role": role, "content": blocks})),
        }
    }
    for item in parsed_items(input) {
        match &*item {
            ResponseItem::Message { role, content, .. } => {
                let role = message_role(role);
                if role.is_none() && leading {
                    system.push(text_of(content));
                    continue;
                }
                leading = false;
                push(
                    &mut messages,
                    role.unwrap_or("user"),
                    content_blocks(content),
                );
            }
            ResponseItem::Reasoning {
                id,
                content,
                encrypted_content: Some(signature),
                ..
            } if id.starts_with(THINKING_PREFIX) => {
                let text = content
                    .iter()
                    .flatten()
                    .filter_map(|part| part.get("text")?.as_str())
                    .collect::<String>();
                let block = json!({"type": "thinking", "thinking": text, "signature": signature});
                push(&mut messages, "assistant", vec![block]);
            }
            ResponseItem::Reasoning {
                id,
                encrypted_content: Some(data),
                ..
            } if id.starts_with(REDACTED_PREFIX) => {
                let block = json!({"type": "redacted_thinking", "data": data});
                push(&mut messages, "assistant", vec![block]);
            }
            ResponseItem::FunctionCall {
                call_id,
                name,
                arguments,
                ..
            } => {
                leading = false;
                // The API takes an object; arguments that are not one were
                // already answered with an error the model can read.
                let input = serde_json::from_str::<Value>(arguments)
                    .ok()
                    .filter(Value::is_object)
                    .unwrap_or_else(|| json!({}));
                let block = json!({"type": "tool_use", "id": tool_id(call_id), "name": name, "input": input});
                push(&mut messages, "assistant", vec![block]);
            }
            ResponseItem::CustomToolCall {
                call_id,
                name,
                input,
                ..
            } => {
                leading = false;
                let block = json!({"type": "tool_use", "id": tool_id(call_id), "name": name, "input": {"input": input}});
                push(&mut messages, "assistant", vec![block]);
            }
            ResponseItem::FunctionCallOutput { call_id, output } => {
                let content = match output {
                    FunctionCallOutput::Text(text) => Value::String(text.clone()),
                    FunctionCallOutput::Content(parts) => Value::Array(content_blocks(parts)),
                };
                let block = json!({"type": "tool_result", "tool_use_id": tool_id(call_id), "content": content});
                push(&mut messages, "user", vec![block]);
            }
            ResponseItem::CustomToolCallOutput { call_id, output } => {
                let block = json!({"type": "tool_result", "tool_use_id": tool_id(call_id), "content": output});
                push(&mut messages, "user", vec![block]);
            }
            ResponseItem::Reasoning { .. } | ResponseItem::Other(_) | ResponseItem::Stored(_) => {}
        }
    }
    // The first message must be the user's.
    if messages
        .first()
        .is_some_and(|first| first["role"] != "user")
    {
        messages.insert(
            0,
            json!({"role": "user", "content": [{"type": "text", "text": "(continued)"}]}),
        );
    }
    (system, messages)
}

/// A content block being streamed.
enum Block {
    Text(String),
    Thinking {
        text: String,
        signature: String,
    },
    Redacted(String),
    ToolUse {
        id: String,
        name: String,
        json: String,
    },
    Other,
}

/// Reads the events of one Messages stream.
pub(crate) struct AnthropicDecoder {
    custom: Vec<String>,
    message_id: String,
    blocks: BTreeMap<u64, Block>,
    usage: TokenUsage,
    stop_reason: Option<String>,
}

impl AnthropicDecoder {
    pub(crate) fn new(custom: Vec<String>) -> Self {
        AnthropicDecoder {
            custom,
            message_id: String::new(),
            blocks: BTreeMap::new(),
            usage: TokenUsage::default(),
            stop_reason: None,
        }
    }

    fn reasoning_id(&self, prefix: &str, index: u64) -> String {
        format!("{prefix}{}_{index}", self.message_id)
    }

    pub(crate) fn data(&mut self, data: &str, out: &mut Queue) {
        let Ok(event) = serde_json::from_str::<Value>(data) else {
            out.push_back(Ok(malformed(data)));
            return;
        };
        let Some(kind) = event.get("type").and_then(Value::as_str) else {
            out.push_back(Ok(malformed(data)));
            return;
        };
        let index = event.get("index").and_then(Value::as_u64).unwrap_or(0);
        match kind {
            "message_start" => {
                let message = &event["message"];
                self.message_id = message["id"].as_str().unwrap_or_default().to_string();
                self.read_usage(&message["usage"]);
                out.push_back(Ok(ResponseEvent::Created {
                    response_id: self.message_id.clone(),
                }));
            }
            "content_block_start" => {
                let block = &event["content_block"];
                let text = |field: &str| block[field].as_str().unwrap_or_default().to_string();
                let started = match block["type"].as_str() {
                    Some("text") => {
                        out.push_back(Ok(ResponseEvent::OutputItemAdded(assistant(String::new()))));
                        let text = text("text");
                        if !text.is_empty() {
                            out.push_back(Ok(ResponseEvent::OutputTextDelta {
                                item_id: None,
                                delta: text.clone(),
                            }));
                        }
                        Block::Text(text)
                    }
                    Some("thinking") => {
                        let id = self.reasoning_id(THINKING_PREFIX, index);
                        out.push_back(Ok(ResponseEvent::OutputItemAdded(reasoning_item(
                            id,
                            String::new(),
                            Some(String::new()),
                        ))));
                        Block::Thinking {
                            text: text("thinking"),
                            signature: text("signature"),
                        }
                    }
                    Some("redacted_thinking") => Block::Redacted(text("data")),
                    Some("tool_use") => {
                        let input = block.get("input").filter(|input| {
                            input.as_object().is_some_and(|fields| !fields.is_empty())
                        });
                        Block::ToolUse {
                            id: text("id"),
                            name: text("name"),
                            json: input.map(Value::to_string).unwrap_or_default(),
                        }
                    }
                    _ => Block::Other,
                };
                self.blocks.insert(index, started);
            }
            "content_block_delta" => {
                let delta = &event["delta"];
                let text = |field: &str| delta[field].as_str().unwrap_or_default();
                let reasoning_id = self.reasoning_id(THINKING_PREFIX, index);
                match (self.blocks.get_mut(&index), delta["type"].as_str()) {
                    (Some(Block::Text(so_far)), Some("text_delta")) => {
                        so_far.push_str(text("text"));
                        out.push_back(Ok(ResponseEvent::OutputTextDelta {
                            item_id: None,
                            delta: text("text").to_string(),
                        }));
                    }
                    (Some(Block::Thinking { text: so_far, .. }), Some("thinking_delta")) => {
                        so_far.push_str(text("thinking"));
                        out.push_back(Ok(ResponseEvent::ReasoningSummaryDelta {
                            item_id: Some(reasoning_id),
                            delta: text("thinking").to_string(),
                        }));
                    }
                    (Some(Block::Thinking { signature, .. }), Some("signature_delta")) => {
                        signature.push_str(text("signature"));
                    }
                    (Some(Block::ToolUse { json, .. }), Some("input_json_delta")) => {
                        json.push_str(text("partial_json"));
                    }
                    _ => {}
                }
            }
            "content_block_stop" => {
                let Some(block) = self.blocks.remove(&index) else {
                    return;
                };
                let item = match block {
                    Block::Text(text) => assistant(text),
                    Block::Thinking { text, signature } => reasoning_item(
                        self.reasoning_id(THINKING_PREFIX, index),
                        text,
                        Some(signature),
                    ),
                    Block::Redacted(data) => ResponseItem::Reasoning {
                        id: self.reasoning_id(REDACTED_PREFIX, index),
                        summary: vec![],
                        content: None,
                        encrypted_content: Some(data),
                    },
                    Block::ToolUse { id, name, json } => {
                        let json = if json.trim().is_empty() {
                            "{}".to_string()
                        } else {
                            json
                        };
                        call_item(&self.custom, id, name, json)
                    }
                    Block::Other => return,
                };
                out.push_back(Ok(ResponseEvent::OutputItemDone(item)));
            }
            "message_delta" => {
                if let Some(reason) = event.pointer("/delta/stop_reason").and_then(Value::as_str) {
                    self.stop_reason = Some(reason.to_string());
                }
                self.read_usage(&event["usage"]);
            }
            "message_stop" => self.stop(out),
            "error" => {
                let error = &event["error"];
                let kind = error["type"].as_str().unwrap_or("error");
                let message = error["message"]
                    .as_str()
                    .unwrap_or("no error message")
                    .to_string();
                out.push_back(Err(if message.contains("prompt is too long") {
                    ModelError::ContextWindowExceeded
                } else {
                    ModelError::ResponseFailed {
                        code: Some(kind.to_string()),
                        message,
                    }
                }));
            }
            // `ping` and events added to the API later.
            _ => {}
        }
    }

    /// Usage counts present in `usage` replace the ones read so far
    /// (`message_delta` repeats them, cumulatively).
    fn read_usage(&mut self, usage: &Value) {
        let count = |field: &str| usage.get(field).and_then(Value::as_u64);
        let fresh = count("input_tokens");
        let read = count("cache_read_input_tokens");
        let written = count("cache_creation_input_tokens");
        if fresh.is_some() || read.is_some() || written.is_some() {
            let read = read.unwrap_or(self.usage.cached_input_tokens);
            let written = written.unwrap_or(self.usage.cache_write_input_tokens);
            let fresh = fresh.unwrap_or(
                self.usage.input_tokens
                    - self.usage.cached_input_tokens
                    - self.usage.cache_write_input_tokens,
            );
            self.usage.input_tokens = fresh + read + written;
            self.usage.cached_input_tokens = read;
            self.usage.cache_write_input_tokens = written;
        }
        if let Some(output) = count("output_tokens") {
            self.usage.output_tokens = output;
        }
        self.usage.total_tokens = self.usage.input_tokens + self.usage.output_tokens;
    }

    fn stop(&mut self, out: &mut Queue) {
        let failure = match self.stop_reason.as_deref() {
            Some("max_tokens") => Some(super::out_of_tokens()),
            Some("refusal") => Some(ModelError::Incomplete {
                reason: "refusal".to_string(),
            }),
            Some("model_context_window_exceeded") => Some(ModelError::ContextWindowExceeded),
            None | Some("end_turn" | "tool_use" | "stop_sequence" | "pause_turn") => None,
            Some(other) => {
                out.push_back(Ok(ResponseEvent::Warning(format!(
                    "the model's answer ended with an unknown stop_reason `{other}`; it is taken as complete"
                ))));
                None
            }
        };
        out.push_back(match failure {
            Some(failure) => Err(failure),
            None => Ok(ResponseEvent::Completed {
                response_id: self.message_id.clone(),
                usage: Some(self.usage),
            }),
        });
    }
}
