//! The three wire formats a provider may speak, and what they share.
//!
//! History and requests are duet's own: [`ResponsesRequest`] holds
//! Responses-API items whatever the provider. Each wire translates at the
//! edge, both ways: [`body`] turns the request into the provider's JSON, and
//! a [`Decoder`] turns the provider's stream back into [`ResponseEvent`]s of
//! the Responses shape. Core never sees which wire was used, so a thread can
//! move from one provider to another and resume on a different wire.
//!
//! Items only one wire understands are marked by their id (see
//! [`FOREIGN_REASONING_PREFIX`]) and left out of the others' requests.

pub(crate) mod anthropic;
pub(crate) mod chat;

use crate::client::ResponseEvent;
use crate::error::ModelError;
use crate::items::ResponseItem;
use crate::provider::WireApi;
use crate::request::ResponsesRequest;
use crate::sse::{Frame, frame_event};
use serde_json::{Value, json};
use std::borrow::Cow;
use std::collections::VecDeque;

/// Reasoning items made by the Chat and Anthropic wires have ids starting
/// with this. The Responses API would refuse them (their ids and
/// signatures are not its own), so its requests leave them out; the
/// Anthropic wire replays its own (`duet_thinking_…`) as thinking blocks.
pub(crate) const FOREIGN_REASONING_PREFIX: &str = "duet_";

/// The events parsed from a stream, not yet handed out.
pub(crate) type Queue = VecDeque<Result<ResponseEvent, ModelError>>;

/// The path appended to `base_url` for a wire.
pub(crate) fn endpoint(wire: WireApi) -> &'static str {
    match wire {
        WireApi::Responses => "responses",
        WireApi::Chat => "chat/completions",
        WireApi::Anthropic => "messages",
    }
}

/// The request body for `wire`: `request` translated to the wire's JSON
/// (public for the translation bench).
pub fn body(wire: WireApi, request: &ResponsesRequest) -> Vec<u8> {
    match wire {
        WireApi::Responses => request.to_body(),
        WireApi::Chat => chat::body(request),
        WireApi::Anthropic => anthropic::body(request),
    }
}

/// Turns one wire's events into [`ResponseEvent`]s.
pub(crate) enum Decoder {
    Responses,
    Chat(chat::ChatDecoder),
    Anthropic(anthropic::AnthropicDecoder),
}

impl Decoder {
    pub(crate) fn new(wire: WireApi, request: &ResponsesRequest) -> Self {
        match wire {
            WireApi::Responses => Decoder::Responses,
            WireApi::Chat => Decoder::Chat(chat::ChatDecoder::new(custom_tool_names(request))),
            WireApi::Anthropic => {
                Decoder::Anthropic(anthropic::AnthropicDecoder::new(custom_tool_names(request)))
            }
        }
    }

    /// One SSE frame.
    pub(crate) fn frame(&mut self, frame: Frame, out: &mut Queue) {
        let data = match frame {
            Frame::Data(data) => data,
            Frame::InvalidUtf8(detail) => {
                out.push_back(Err(ModelError::disconnected(format!(
                    "invalid UTF-8 in the event stream: {detail}"
                ))));
                return;
            }
        };
        match self {
            Decoder::Responses => out.extend(frame_event(Frame::Data(data))),
            Decoder::Chat(decoder) => decoder.data(&data, out),
            Decoder::Anthropic(decoder) => decoder.data(&data, out),
        }
    }

    /// The events of a success response that is JSON, not a stream
    /// (servers that ignore `stream: true`); `None` when this wire cannot
    /// read it as a whole answer.
    pub(crate) fn whole_body(&mut self, body: &str) -> Option<Queue> {
        let mut out = Queue::new();
        match self {
            Decoder::Chat(decoder) => decoder.whole(body, &mut out)?,
            Decoder::Responses | Decoder::Anthropic(_) => return None,
        }
        Some(out)
    }

    /// The body ended. A wire whose end is implicit (Chat servers that
    /// never send `[DONE]`) completes here.
    pub(crate) fn end(&mut self, out: &mut Queue) {
        if let Decoder::Chat(decoder) = self {
            decoder.end(out);
        }
    }
}

/// The names of the freeform (`custom`) tools of a request. Chat and
/// Anthropic offer them as functions taking one `input` string, and turn
/// calls of them back into custom tool calls, so core sees the same item
/// whatever the wire.
fn custom_tool_names(request: &ResponsesRequest) -> Vec<String> {
    request
        .tools
        .iter()
        .filter(|tool| tool.get("type").and_then(Value::as_str) == Some("custom"))
        .filter_map(|tool| tool.get("name")?.as_str().map(str::to_string))
        .collect()
}

/// A tool of the request as a plain function: `(name, description,
/// parameters)`. Custom tools take one `input` string; tools that are
/// neither (hosted tools such as `web_search`) have no function form.
pub(crate) fn function_form(tool: &Value) -> Option<(&str, String, Value)> {
    let name = tool.get("name")?.as_str()?;
    let description = tool
        .get("description")
        .and_then(Value::as_str)
        .unwrap_or_default();
    match tool.get("type")?.as_str()? {
        "function" => Some((
            name,
            description.to_string(),
            tool.get("parameters")
                .cloned()
                .unwrap_or_else(|| json!({"type": "object", "properties": {}})),
        )),
        "custom" => Some((
            name,
            format!("{description}\n\nPass the whole input as the `input` string."),
            json!({
                "type": "object",
                "properties": {"input": {"type": "string", "description": "The tool's whole input."}},
                "required": ["input"],
                "additionalProperties": false,
            }),
        )),
        _ => None,
    }
}

/// A finished call of `name` with JSON `arguments`: a custom tool call when
/// `name` is one of `custom` and the arguments hold its `input`, else a
/// function call.
pub(crate) fn call_item(
    custom: &[String],
    call_id: String,
    name: String,
    arguments: String,
) -> ResponseItem {
    if custom.contains(&name)
        && let Ok(Value::Object(fields)) = serde_json::from_str::<Value>(&arguments)
        && let Some(Value::String(input)) = fields.get("input")
    {
        return ResponseItem::CustomToolCall {
            id: None,
            status: None,
            call_id,
            name,
            input: input.clone(),
        };
    }
    ResponseItem::FunctionCall {
        id: None,
        call_id,
        name,
        arguments,
        namespace: None,
    }
}

/// The input items, with stored ones parsed (a stored item that no longer
/// parses is left out: it was written from a JSON value, so this does not
/// happen short of a damaged database). Stored reasoning of the Responses
/// wire, which neither other wire sends, is skipped unparsed: its
/// encrypted content is much of a long thread's bytes.
pub(crate) fn parsed_items(input: &[ResponseItem]) -> impl Iterator<Item = Cow<'_, ResponseItem>> {
    input.iter().filter_map(|item| match item {
        ResponseItem::Stored(stored) => {
            let json = stored.json();
            let kind = stored_type(json)?;
            if kind == "reasoning" && !json.contains(FOREIGN_REASONING_PREFIX) {
                return None;
            }
            parse_stored(json, &kind).map(Cow::Owned)
        }
        item => Some(Cow::Borrowed(item)),
    })
}

/// The `type` of a stored item: read off the front, where duet writes it
/// (items are stored as serialised, `type` first), else parsed for.
fn stored_type(json: &str) -> Option<Cow<'_, str>> {
    if let Some(rest) = json.strip_prefix("{\"type\":\"")
        && let Some(end) = rest.find(['"', '\\'])
        && rest[end..].starts_with('"')
    {
        return Some(Cow::Borrowed(&rest[..end]));
    }
    #[derive(serde::Deserialize)]
    struct Tag<'a> {
        #[serde(rename = "type", borrow)]
        kind: Cow<'a, str>,
    }
    serde_json::from_str::<Tag>(json).ok().map(|tag| tag.kind)
}

/// A stored item's JSON, of type `kind`, as a [`ResponseItem`]. The text is
/// parsed straight into that variant's fields: deserialising the
/// internally tagged enum buffers every value of the item first and copies
/// its strings again.
fn parse_stored(json: &str, kind: &str) -> Option<ResponseItem> {
    use crate::items::{ContentItem, FunctionCallOutput};
    use serde::Deserialize;
    #[derive(Deserialize)]
    struct Message {
        #[serde(default)]
        id: Option<String>,
        role: String,
        content: Vec<ContentItem>,
    }
    #[derive(Deserialize)]
    struct Call {
        #[serde(default)]
        id: Option<String>,
        call_id: String,
        name: String,
        arguments: String,
        #[serde(default)]
        namespace: Option<String>,
    }
    #[derive(Deserialize)]
    struct Output {
        call_id: String,
        output: FunctionCallOutput,
    }
    #[derive(Deserialize)]
    struct CustomOutput {
        call_id: String,
        output: String,
    }
    let item = match kind {
        "message" => {
            let Message { id, role, content } = serde_json::from_str(json).ok()?;
            ResponseItem::Message { id, role, content }
        }
        "function_call" => {
            let call: Call = serde_json::from_str(json).ok()?;
            ResponseItem::FunctionCall {
                id: call.id,
                call_id: call.call_id,
                name: call.name,
                arguments: call.arguments,
                namespace: call.namespace,
            }
        }
        "function_call_output" => {
            let Output { call_id, output } = serde_json::from_str(json).ok()?;
            ResponseItem::FunctionCallOutput { call_id, output }
        }
        "custom_tool_call_output" => {
            let CustomOutput { call_id, output } = serde_json::from_str(json).ok()?;
            ResponseItem::CustomToolCallOutput { call_id, output }
        }
        _ => serde_json::from_str::<ResponseItem>(json).ok()?,
    };
    Some(item)
}

/// Whether an item is reasoning made by another wire than Responses.
pub(crate) fn is_foreign_reasoning(item: &ResponseItem) -> bool {
    match item {
        ResponseItem::Reasoning { id, .. } => id.starts_with(FOREIGN_REASONING_PREFIX),
        // Cheap test first: a stored item is parsed only when it may be one.
        ResponseItem::Stored(stored) => {
            stored.json().contains(FOREIGN_REASONING_PREFIX)
                && serde_json::from_str::<ResponseItem>(stored.json())
                    .is_ok_and(|item| is_foreign_reasoning(&item))
        }
        _ => false,
    }
}

/// An assistant message with `text` (no part while it is empty, as in the
/// `output_item.added` of a message about to stream).
pub(crate) fn assistant_item(text: String) -> ResponseItem {
    use crate::items::ContentItem;
    ResponseItem::Message {
        id: None,
        role: "assistant".to_string(),
        content: if text.is_empty() {
            vec![]
        } else {
            vec![ContentItem::OutputText {
                text,
                annotations: vec![],
            }]
        },
    }
}

/// A reasoning item made by another wire than Responses: its raw text as a
/// `reasoning_text` part, and (Anthropic) the signature that vouches for it.
pub(crate) fn reasoning_item(id: String, text: String, signature: Option<String>) -> ResponseItem {
    ResponseItem::Reasoning {
        id,
        summary: vec![],
        content: (!text.is_empty()).then(|| vec![json!({"type": "reasoning_text", "text": text})]),
        encrypted_content: signature,
    }
}

/// The role a Responses message has on the Chat and Anthropic wires:
/// `None` for instructions (`developer`, `system`), which the leading ones
/// turn into the system prompt; the assistant's; anything else the user's.
pub(crate) fn message_role(role: &str) -> Option<&'static str> {
    match role {
        "developer" | "system" => None,
        "assistant" => Some("assistant"),
        _ => Some("user"),
    }
}

/// The text of a message's parts, or of a tool output's.
pub(crate) fn text_of(parts: &[crate::items::ContentItem]) -> String {
    use crate::items::ContentItem;
    let texts: Vec<&str> = parts
        .iter()
        .filter_map(|part| match part {
            ContentItem::InputText { text } | ContentItem::OutputText { text, .. } => {
                Some(text.as_str())
            }
            _ => None,
        })
        .collect();
    texts.join("\n\n")
}

/// The instruction that stands in for a JSON-schema response format on a
/// wire without one.
pub(crate) fn schema_instruction(schema: &Value) -> String {
    format!(
        "Your final answer must be a single JSON value that matches this JSON schema, with no other text around it:\n{schema}"
    )
}

/// The reason of an incomplete answer: the model ran out of output tokens.
pub(crate) fn out_of_tokens() -> ModelError {
    ModelError::Incomplete {
        reason: "max_output_tokens".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::items::StoredItem;

    #[test]
    fn foreign_reasoning_is_recognised_stored_or_not() {
        let thinking = ResponseItem::Reasoning {
            id: "duet_thinking_1".to_string(),
            summary: vec![],
            content: None,
            encrypted_content: Some("sig".to_string()),
        };
        let native = ResponseItem::Reasoning {
            id: "rs_1".to_string(),
            summary: vec![],
            content: None,
            encrypted_content: Some("enc".to_string()),
        };
        let stored = |item: &ResponseItem| {
            ResponseItem::Stored(StoredItem::new(serde_json::to_string(item).unwrap()))
        };
        let message = ResponseItem::user_text("about duet_thinking_1");
        assert_eq!(
            [
                &thinking,
                &native,
                &stored(&thinking),
                &stored(&native),
                &stored(&message)
            ]
            .map(is_foreign_reasoning),
            [true, false, true, false, false]
        );
    }

    #[test]
    fn a_stored_item_parses_as_the_enum_would_parse_it() {
        use crate::items::{ContentItem, FunctionCallOutput};
        let items = [
            ResponseItem::user_text("hi \"there\"\n"),
            ResponseItem::Message {
                id: Some("msg_1".to_string()),
                role: "assistant".to_string(),
                content: vec![ContentItem::OutputText {
                    text: "done".to_string(),
                    annotations: vec![json!({"url": "x"})],
                }],
            },
            ResponseItem::FunctionCall {
                id: Some("fc_1".to_string()),
                call_id: "c1".to_string(),
                name: "exec_command".to_string(),
                arguments: "{\"cmd\":\"ls\"}".to_string(),
                namespace: Some("ns".to_string()),
            },
            ResponseItem::FunctionCallOutput {
                call_id: "c1".to_string(),
                output: FunctionCallOutput::Text("out\n".to_string()),
            },
            ResponseItem::FunctionCallOutput {
                call_id: "c2".to_string(),
                output: FunctionCallOutput::Content(vec![ContentItem::InputImage {
                    image_url: "data:image/png;base64,AA".to_string(),
                }]),
            },
            ResponseItem::CustomToolCallOutput {
                call_id: "c3".to_string(),
                output: "Done!".to_string(),
            },
            ResponseItem::CustomToolCall {
                id: None,
                status: Some("completed".to_string()),
                call_id: "c4".to_string(),
                name: "apply_patch".to_string(),
                input: "*** Begin Patch".to_string(),
            },
            ResponseItem::Other(json!({"type": "web_search_call", "id": "ws_1"})),
        ];
        for item in items {
            let text = serde_json::to_string(&item).unwrap();
            let kind = stored_type(&text).unwrap();
            assert_eq!(parse_stored(&text, &kind), Some(item), "{text}");
        }
        // `type` elsewhere than first is found too.
        let late = r#"{"call_id":"c","output":"o","type":"custom_tool_call_output"}"#;
        assert_eq!(
            stored_type(late).as_deref(),
            Some("custom_tool_call_output")
        );
        assert_eq!(stored_type("{not json"), None);
    }

    #[test]
    fn custom_calls_come_back_as_custom_items() {
        let custom = vec!["apply_patch".to_string()];
        assert_eq!(
            call_item(
                &custom,
                "c1".to_string(),
                "apply_patch".to_string(),
                r#"{"input":"*** Begin Patch"}"#.to_string()
            ),
            ResponseItem::CustomToolCall {
                id: None,
                status: None,
                call_id: "c1".to_string(),
                name: "apply_patch".to_string(),
                input: "*** Begin Patch".to_string(),
            }
        );
        // Arguments that do not hold the input stay a function call, so
        // the tool reports them.
        assert_eq!(
            call_item(
                &custom,
                "c2".to_string(),
                "apply_patch".to_string(),
                "{not json".to_string()
            ),
            ResponseItem::FunctionCall {
                id: None,
                call_id: "c2".to_string(),
                name: "apply_patch".to_string(),
                arguments: "{not json".to_string(),
                namespace: None,
            }
        );
    }
}
