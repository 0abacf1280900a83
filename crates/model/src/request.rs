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
    /// The most output tokens to ask for. Not sent on the Responses wire
    /// (the reference does not); `max_tokens` on the others, where the
    /// Anthropic wire needs one.
    #[serde(skip)]
    pub max_output_tokens: Option<u64>,
}

impl ResponsesRequest {
    /// The JSON body: the bytes `serde_json::to_vec` gives for the request,
    /// except that each [`ResponseItem::Stored`] item is copied in as it is,
    /// without being parsed, so a resumed thread of tens of megabytes costs
    /// a copy. Reasoning another wire made is left out: the API would
    /// refuse its ids.
    pub fn to_body(&self) -> Vec<u8> {
        let stored_len: usize = self
            .input
            .iter()
            .map(|item| match item {
                ResponseItem::Stored(stored) => stored.json().len() + 1,
                _ => 0,
            })
            .sum();
        let mut body = Vec::with_capacity(stored_len + 64 * 1024);
        body.extend_from_slice(b"{\"model\":");
        write_json(&mut body, &self.model);
        body.extend_from_slice(b",\"input\":[");
        let mut first = true;
        for item in &self.input {
            if crate::wire::is_foreign_reasoning(item) {
                continue;
            }
            if !std::mem::take(&mut first) {
                body.push(b',');
            }
            match item {
                ResponseItem::Stored(stored) => body.extend_from_slice(stored.json().as_bytes()),
                item => write_json(&mut body, item),
            }
        }
        body.push(b']');
        // The other fields, in their order, as the derived `Serialize`
        // writes them.
        let rest = RequestRest {
            tools: &self.tools,
            tool_choice: self.tool_choice,
            parallel_tool_calls: self.parallel_tool_calls,
            reasoning: self.reasoning.as_ref(),
            store: self.store,
            stream: self.stream,
            include: &self.include,
            prompt_cache_key: &self.prompt_cache_key,
            text: self.text.as_ref(),
        };
        let rest = serde_json::to_vec(&rest).expect("a request has only string map keys");
        // `{...}` of the rest: its fields follow the input's.
        body.push(b',');
        body.extend_from_slice(&rest[1..]);
        body
    }
}

/// The fields of [`ResponsesRequest`] after `input`, borrowed.
#[derive(Serialize)]
struct RequestRest<'a> {
    #[serde(skip_serializing_if = "no_tools")]
    tools: &'a [serde_json::Value],
    tool_choice: &'static str,
    parallel_tool_calls: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    reasoning: Option<&'a Reasoning>,
    store: bool,
    stream: bool,
    include: &'a [&'static str],
    prompt_cache_key: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    text: Option<&'a TextControls>,
}

fn no_tools(tools: &&[serde_json::Value]) -> bool {
    tools.is_empty()
}

fn write_json<T: Serialize + ?Sized>(body: &mut Vec<u8>, value: &T) {
    serde_json::to_writer(body, value).expect("a request has only string map keys");
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::items::StoredItem;
    use pretty_assertions::assert_eq;

    fn request(input: Vec<ResponseItem>, tools: Vec<serde_json::Value>) -> ResponsesRequest {
        ResponsesRequest {
            model: "gpt-5.5".to_string(),
            input,
            tools,
            tool_choice: "auto",
            parallel_tool_calls: true,
            reasoning: Some(Reasoning {
                effort: None,
                summary: Some(ReasoningSummary::Auto),
            }),
            store: false,
            stream: true,
            include: vec!["reasoning.encrypted_content"],
            prompt_cache_key: "thread".to_string(),
            text: Some(TextControls {
                verbosity: Some("low".to_string()),
                format: None,
            }),
            max_output_tokens: None,
        }
    }

    #[test]
    fn the_body_is_what_serde_writes_with_stored_items_copied_in() {
        let stored = r#"{"type":"message","role":"user","content":[{"type":"input_text","text":"hi \"there\""}]}"#;
        for tools in [
            vec![],
            vec![serde_json::json!({"type": "function", "name": "f"})],
        ] {
            for input in [
                vec![],
                vec![ResponseItem::user_text("only typed")],
                vec![
                    ResponseItem::Stored(StoredItem::new(stored.to_string())),
                    ResponseItem::user_text("next"),
                ],
            ] {
                let request = request(input, tools.clone());
                assert_eq!(
                    String::from_utf8(request.to_body()).expect("UTF-8"),
                    serde_json::to_string(&request).expect("serialise")
                );
            }
        }
    }
}
