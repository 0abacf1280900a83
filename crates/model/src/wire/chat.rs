//! The Chat Completions wire: `POST {base_url}/chat/completions`, spoken by
//! OpenAI-compatible servers (Ollama, LM Studio, llama.cpp's server, vLLM,
//! OpenRouter, LiteLLM, DeepSeek, …).
//!
//! Request: leading developer messages become one `system` message; later
//! ones are sent as the user's (many chat templates refuse a system message
//! after the first); messages of one role in a row are merged; a call
//! joins the assistant message before it, and each output is a `tool`
//! message. Reasoning is not sent back. Images of tool outputs follow the
//! outputs in a user message, since `tool` messages hold text only.
//!
//! Stream: `choices[0].delta` carries `content`, `reasoning_content` or
//! `reasoning`, and `tool_calls` fragments assembled by `index`; the items
//! finish at `finish_reason`, and the response completes at `[DONE]` (or at
//! the end of the body, for servers that never send it) with the usage of
//! the last chunk.

use super::{
    Queue, assistant_item as assistant, call_item, function_form, message_role, parsed_items,
    reasoning_item, text_of,
};
use crate::client::ResponseEvent;
use crate::error::ModelError;
use crate::items::{ContentItem, FunctionCallOutput, ResponseItem};
use crate::request::ResponsesRequest;
use crate::sse::{TokenUsage, error_event, malformed};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;

/// The id given to the reasoning item of a chat response.
const REASONING_ID: &str = "duet_reasoning";

pub(crate) fn body(request: &ResponsesRequest) -> Vec<u8> {
    let mut body = Map::new();
    body.insert("model".into(), Value::String(request.model.clone()));
    body.insert("messages".into(), Value::Array(messages(&request.input)));
    body.insert("stream".into(), Value::Bool(true));
    body.insert("stream_options".into(), json!({"include_usage": true}));
    let tools: Vec<Value> = request
        .tools
        .iter()
        .filter_map(function_form)
        .map(|(name, description, parameters)| {
            json!({
                "type": "function",
                "function": {"name": name, "description": description, "parameters": parameters},
            })
        })
        .collect();
    if !tools.is_empty() {
        body.insert("tools".into(), Value::Array(tools));
        body.insert("tool_choice".into(), Value::String("auto".into()));
        body.insert(
            "parallel_tool_calls".into(),
            Value::Bool(request.parallel_tool_calls),
        );
    }
    if let Some(effort) = request.reasoning.as_ref().and_then(|r| r.effort) {
        body.insert("reasoning_effort".into(), json!(effort));
    }
    if let Some(format) = request.text.as_ref().and_then(|text| text.format.as_ref()) {
        body.insert(
            "response_format".into(),
            json!({
                "type": "json_schema",
                "json_schema": {"name": format.name, "schema": format.schema, "strict": format.strict},
            }),
        );
    }
    if let Some(max) = request.max_output_tokens {
        body.insert("max_tokens".into(), json!(max));
    }
    serde_json::to_vec(&Value::Object(body)).expect("JSON values serialise")
}

/// One chat message being built.
struct Message {
    role: &'static str,
    /// `text` and `image_url` parts.
    parts: Vec<Value>,
    tool_calls: Vec<Value>,
    tool_call_id: Option<String>,
}

impl Message {
    fn new(role: &'static str) -> Self {
        Message {
            role,
            parts: Vec::new(),
            tool_calls: Vec::new(),
            tool_call_id: None,
        }
    }

    fn into_json(self) -> Value {
        let mut message = Map::new();
        message.insert("role".into(), Value::String(self.role.into()));
        let all_text = self
            .parts
            .iter()
            .all(|part| part.get("type").and_then(Value::as_str) == Some("text"));
        let content = if self.parts.is_empty() && !self.tool_calls.is_empty() {
            Value::Null
        } else if all_text {
            // Plain strings: every server and chat template takes them.
            let texts: Vec<&str> = self
                .parts
                .iter()
                .filter_map(|part| part.get("text")?.as_str())
                .collect();
            Value::String(texts.join("\n\n"))
        } else {
            Value::Array(self.parts)
        };
        message.insert("content".into(), content);
        if !self.tool_calls.is_empty() {
            message.insert("tool_calls".into(), Value::Array(self.tool_calls));
        }
        if let Some(id) = self.tool_call_id {
            message.insert("tool_call_id".into(), Value::String(id));
        }
        Value::Object(message)
    }
}

fn content_parts(content: &[ContentItem]) -> Vec<Value> {
    content
        .iter()
        .filter_map(|part| match part {
            ContentItem::InputText { text } | ContentItem::OutputText { text, .. } => {
                Some(json!({"type": "text", "text": text}))
            }
            ContentItem::InputImage { image_url } => {
                Some(json!({"type": "image_url", "image_url": {"url": image_url}}))
            }
            ContentItem::Other(_) => None,
        })
        .collect()
}

fn messages(input: &[ResponseItem]) -> Vec<Value> {
    let mut system: Vec<String> = Vec::new();
    let mut messages: Vec<Message> = Vec::new();
    // Images of tool outputs, sent once the run of `tool` messages ends.
    let mut images: Vec<Value> = Vec::new();
    let mut leading = true;
    fn flush_images(messages: &mut Vec<Message>, images: &mut Vec<Value>) {
        if images.is_empty() {
            return;
        }
        let mut parts =
            vec![json!({"type": "text", "text": "Images returned by the tool calls above:"})];
        parts.append(images);
        push_parts(messages, "user", parts);
    }
    fn push_parts(messages: &mut Vec<Message>, role: &'static str, parts: Vec<Value>) {
        if parts.is_empty() {
            return;
        }
        match messages.last_mut() {
            Some(last) if last.role == role && last.tool_calls.is_empty() => {
                last.parts.extend(parts)
            }
            _ => {
                let mut message = Message::new(role);
                message.parts = parts;
                messages.push(message);
            }
        }
    }
    fn push_call(messages: &mut Vec<Message>, call: Value) {
        match messages.last_mut() {
            Some(last) if last.role == "assistant" => last.tool_calls.push(call),
            _ => {
                let mut message = Message::new("assistant");
                message.tool_calls.push(call);
                messages.push(message);
            }
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
                flush_images(&mut messages, &mut images);
                let role = role.unwrap_or("user");
                push_parts(&mut messages, role, content_parts(content));
            }
            ResponseItem::FunctionCall {
                call_id,
                name,
                arguments,
                ..
            } => {
                leading = false;
                flush_images(&mut messages, &mut images);
                push_call(&mut messages, function_call(call_id, name, arguments));
            }
            ResponseItem::CustomToolCall {
                call_id,
                name,
                input,
                ..
            } => {
                leading = false;
                flush_images(&mut messages, &mut images);
                let arguments = json!({ "input": input }).to_string();
                push_call(&mut messages, function_call(call_id, name, &arguments));
            }
            ResponseItem::FunctionCallOutput { call_id, output } => {
                let text = match output {
                    FunctionCallOutput::Text(text) => text.clone(),
                    FunctionCallOutput::Content(parts) => {
                        images.extend(
                            content_parts(parts)
                                .into_iter()
                                .filter(|part| part["type"] == "image_url"),
                        );
                        text_of(parts)
                    }
                };
                messages.push(tool_message(call_id, text));
            }
            ResponseItem::CustomToolCallOutput { call_id, output } => {
                messages.push(tool_message(call_id, output.clone()));
            }
            ResponseItem::Reasoning { .. } | ResponseItem::Other(_) | ResponseItem::Stored(_) => {}
        }
    }
    flush_images(&mut messages, &mut images);
    let mut out = Vec::with_capacity(messages.len() + 1);
    if !system.is_empty() {
        out.push(json!({"role": "system", "content": system.join("\n\n")}));
    }
    out.extend(messages.into_iter().map(Message::into_json));
    out
}

fn function_call(call_id: &str, name: &str, arguments: &str) -> Value {
    json!({
        "id": call_id,
        "type": "function",
        "function": {"name": name, "arguments": arguments},
    })
}

fn tool_message(call_id: &str, text: String) -> Message {
    let mut message = Message::new("tool");
    message.parts.push(json!({"type": "text", "text": text}));
    message.tool_call_id = Some(call_id.to_string());
    message
}

/// A tool call being assembled from its fragments.
#[derive(Default)]
struct PartialCall {
    id: String,
    name: String,
    arguments: String,
}

/// Reads the chunks of one chat completion.
pub(crate) struct ChatDecoder {
    custom: Vec<String>,
    created: bool,
    response_id: String,
    /// The answer's text, once it started.
    text: Option<String>,
    reasoning: Option<String>,
    calls: BTreeMap<u64, PartialCall>,
    /// A `finish_reason` was seen and the items were handed out.
    finished: bool,
    usage: Option<TokenUsage>,
    completed: bool,
}

impl ChatDecoder {
    pub(crate) fn new(custom: Vec<String>) -> Self {
        ChatDecoder {
            custom,
            created: false,
            response_id: String::new(),
            text: None,
            reasoning: None,
            calls: BTreeMap::new(),
            finished: false,
            usage: None,
            completed: false,
        }
    }

    pub(crate) fn data(&mut self, data: &str, out: &mut Queue) {
        if self.completed {
            return;
        }
        if data.trim() == "[DONE]" {
            self.complete(out);
            return;
        }
        let Ok(Value::Object(chunk)) = serde_json::from_str::<Value>(data) else {
            out.push_back(Ok(malformed(data)));
            return;
        };
        if let Some(error) = chunk.get("error") {
            out.push_back(Err(match error {
                Value::String(message) => ModelError::ResponseFailed {
                    code: None,
                    message: message.clone(),
                },
                error => error_event(error),
            }));
            return;
        }
        if !self.created {
            self.created = true;
            self.response_id = chunk
                .get("id")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string();
            out.push_back(Ok(ResponseEvent::Created {
                response_id: self.response_id.clone(),
            }));
        }
        if let Some(usage) = chunk.get("usage").filter(|usage| usage.is_object()) {
            self.usage = Some(chat_usage(usage));
        }
        let Some(choice) = chunk
            .get("choices")
            .and_then(Value::as_array)
            .and_then(|choices| choices.first())
        else {
            return;
        };
        if let Some(delta) = choice.get("delta") {
            self.delta(delta, out);
        }
        if let Some(reason) = choice.get("finish_reason").and_then(Value::as_str) {
            self.finish(reason, out);
        }
    }

    fn delta(&mut self, delta: &Value, out: &mut Queue) {
        let reasoning = ["reasoning_content", "reasoning"]
            .iter()
            .find_map(|field| delta.get(*field)?.as_str())
            .filter(|text| !text.is_empty());
        if let Some(text) = reasoning {
            if self.reasoning.is_none() {
                out.push_back(Ok(ResponseEvent::OutputItemAdded(reasoning_item(
                    REASONING_ID.to_string(),
                    String::new(),
                    None,
                ))));
            }
            self.reasoning.get_or_insert_default().push_str(text);
            out.push_back(Ok(ResponseEvent::ReasoningSummaryDelta {
                item_id: Some(REASONING_ID.to_string()),
                delta: text.to_string(),
            }));
        }
        if let Some(text) = delta
            .get("content")
            .and_then(Value::as_str)
            .filter(|text| !text.is_empty())
        {
            if self.text.is_none() {
                out.push_back(Ok(ResponseEvent::OutputItemAdded(assistant(String::new()))));
            }
            self.text.get_or_insert_default().push_str(text);
            out.push_back(Ok(ResponseEvent::OutputTextDelta {
                item_id: None,
                delta: text.to_string(),
            }));
        }
        let fragments = delta.get("tool_calls").and_then(Value::as_array);
        for (position, fragment) in fragments.into_iter().flatten().enumerate() {
            let index = fragment
                .get("index")
                .and_then(Value::as_u64)
                .unwrap_or(position as u64);
            let call = self.calls.entry(index).or_default();
            let text = |pointer: &str| fragment.pointer(pointer).and_then(Value::as_str);
            if let Some(id) = text("/id").filter(|id| !id.is_empty()) {
                call.id = id.to_string();
            }
            if let Some(name) = text("/function/name") {
                call.name.push_str(name);
            }
            if let Some(arguments) = text("/function/arguments") {
                call.arguments.push_str(arguments);
            } else if let Some(arguments) = fragment
                .pointer("/function/arguments")
                .filter(|arguments| arguments.is_object())
            {
                // Some servers send the arguments as an object, not as text.
                call.arguments.push_str(&arguments.to_string());
            }
        }
    }

    /// Hand out the finished items, once.
    fn finish(&mut self, reason: &str, out: &mut Queue) {
        if self.finished {
            return;
        }
        self.finished = true;
        if let Some(text) = self.reasoning.take() {
            out.push_back(Ok(ResponseEvent::OutputItemDone(reasoning_item(
                REASONING_ID.to_string(),
                text,
                None,
            ))));
        }
        if let Some(text) = self.text.take() {
            out.push_back(Ok(ResponseEvent::OutputItemDone(assistant(text))));
        }
        let calls = std::mem::take(&mut self.calls);
        for (index, call) in calls {
            let call_id = if call.id.is_empty() {
                format!("call_{}_{index}", self.response_id)
            } else {
                call.id
            };
            let arguments = if call.arguments.trim().is_empty() {
                "{}".to_string()
            } else {
                call.arguments
            };
            out.push_back(Ok(ResponseEvent::OutputItemDone(call_item(
                &self.custom,
                call_id,
                call.name,
                arguments,
            ))));
        }
        match reason {
            "stop" | "tool_calls" | "function_call" | "eos" | "" => {}
            "length" => out.push_back(Err(super::out_of_tokens())),
            "content_filter" => out.push_back(Err(ModelError::Incomplete {
                reason: "content_filter".to_string(),
            })),
            other => out.push_back(Ok(ResponseEvent::Warning(format!(
                "the model's answer ended with an unknown finish_reason `{other}`; it is taken as complete"
            )))),
        }
    }

    /// A whole (non-streamed) completion: its `message` read as one delta.
    pub(crate) fn whole(&mut self, body: &str, out: &mut Queue) -> Option<()> {
        let completion: Value = serde_json::from_str(body).ok()?;
        let choice = completion.get("choices")?.as_array()?.first()?;
        let mut message = choice.get("message")?.clone();
        // Whole tool calls carry no `index`: their position is it.
        if let Some(calls) = message.get_mut("tool_calls").and_then(Value::as_array_mut) {
            for (index, call) in calls.iter_mut().enumerate() {
                call["index"] = json!(index);
            }
        }
        let chunk = json!({
            "id": completion.get("id").cloned().unwrap_or(Value::Null),
            "choices": [{
                "delta": message,
                "finish_reason": choice.get("finish_reason").filter(|reason| reason.is_string()).cloned().unwrap_or(json!("stop")),
            }],
            "usage": completion.get("usage").cloned().unwrap_or(Value::Null),
        });
        self.data(&chunk.to_string(), out);
        self.end(out);
        Some(())
    }

    /// `[DONE]`: the response is complete.
    fn complete(&mut self, out: &mut Queue) {
        self.finish("", out);
        self.completed = true;
        out.push_back(Ok(ResponseEvent::Completed {
            response_id: self.response_id.clone(),
            usage: self.usage,
        }));
    }

    /// The body ended: complete if the answer finished, else leave the
    /// stream to report the cut.
    pub(crate) fn end(&mut self, out: &mut Queue) {
        if self.finished && !self.completed {
            self.complete(out);
        }
    }
}

/// `usage` of a chat chunk: `prompt_tokens`, `completion_tokens`, and the
/// cached and reasoning counts when the server gives them.
fn chat_usage(usage: &Value) -> TokenUsage {
    let count = |pointer: &str| usage.pointer(pointer).and_then(Value::as_u64).unwrap_or(0);
    let input = count("/prompt_tokens");
    let output = count("/completion_tokens");
    TokenUsage {
        input_tokens: input,
        cached_input_tokens: count("/prompt_tokens_details/cached_tokens"),
        cache_write_input_tokens: 0,
        output_tokens: output,
        reasoning_output_tokens: count("/completion_tokens_details/reasoning_tokens"),
        total_tokens: usage
            .get("total_tokens")
            .and_then(Value::as_u64)
            .unwrap_or(input + output),
    }
}
