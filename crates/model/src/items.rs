//! The items of a Responses API conversation, as sent and received on the wire.
//!
//! History is replayed to the model exactly as it came back, so every field the
//! model sent is kept; item types this crate does not know are carried as raw
//! JSON in [`ResponseItem::Other`].

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ResponseItem {
    Message {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        role: String,
        content: Vec<ContentItem>,
    },
    Reasoning {
        #[serde(default)]
        id: String,
        #[serde(default)]
        summary: Vec<ReasoningSummaryPart>,
        /// Sent back as `null` when the model sent none.
        #[serde(default)]
        content: Option<Vec<serde_json::Value>>,
        #[serde(default)]
        encrypted_content: Option<String>,
    },
    FunctionCall {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        call_id: String,
        name: String,
        /// JSON text, as the model produced it (possibly invalid).
        arguments: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        namespace: Option<String>,
    },
    FunctionCallOutput {
        call_id: String,
        output: FunctionCallOutput,
    },
    /// A call of a freeform (custom) tool such as `apply_patch`.
    CustomToolCall {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        id: Option<String>,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        status: Option<String>,
        call_id: String,
        name: String,
        input: String,
    },
    CustomToolCallOutput {
        call_id: String,
        output: String,
    },
    /// Anything else (web_search_call, …), replayed untouched.
    #[serde(untagged)]
    Other(serde_json::Value),
    /// An item read back from the session store and sent again exactly as
    /// stored, without being parsed. Never produced by deserialising.
    #[serde(untagged, skip_deserializing)]
    Stored(StoredItem),
}

/// The exact JSON text of a stored history item. Replaying a long thread
/// copies these bytes into the request body
/// ([`ResponsesRequest::to_body`](crate::ResponsesRequest::to_body)) instead
/// of parsing and serialising tens of megabytes of items again. The text is
/// not checked here: the store wrote it from a JSON value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredItem(String);

impl StoredItem {
    pub fn new(json: String) -> Self {
        StoredItem(json)
    }

    /// The JSON text, as stored.
    pub fn json(&self) -> &str {
        &self.0
    }
}

impl Serialize for StoredItem {
    /// The text as it is, once checked to be JSON. The request body does
    /// not come this way; other serialisations (tests, `to_value`) do.
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let raw = serde_json::value::RawValue::from_string(self.0.clone())
            .map_err(serde::ser::Error::custom)?;
        raw.serialize(serializer)
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentItem {
    InputText {
        text: String,
    },
    InputImage {
        image_url: String,
    },
    OutputText {
        text: String,
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        annotations: Vec<serde_json::Value>,
    },
    #[serde(untagged)]
    Other(serde_json::Value),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReasoningSummaryPart {
    SummaryText { text: String },
}

/// The `output` of a `function_call_output`: a string, or content items
/// (for tools that return images).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum FunctionCallOutput {
    Text(String),
    Content(Vec<ContentItem>),
}

impl ResponseItem {
    /// A user message with one text part.
    pub fn user_text(text: impl Into<String>) -> Self {
        ResponseItem::Message {
            id: None,
            role: "user".to_string(),
            content: vec![ContentItem::InputText { text: text.into() }],
        }
    }

    /// A developer message with one text part.
    pub fn developer_text(text: impl Into<String>) -> Self {
        ResponseItem::Message {
            id: None,
            role: "developer".to_string(),
            content: vec![ContentItem::InputText { text: text.into() }],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn a_stored_item_is_serialised_as_its_exact_text() {
        // Key order and spacing as stored, not as this crate would write them.
        let text = r#"{"output":"ok","call_id":"c1", "type":"function_call_output"}"#;
        let stored = ResponseItem::Stored(StoredItem::new(text.to_string()));
        let items = vec![stored, ResponseItem::user_text("next")];
        assert_eq!(
            serde_json::to_string(&items).expect("serialise"),
            format!(
                r#"[{text},{{"type":"message","role":"user","content":[{{"type":"input_text","text":"next"}}]}}]"#
            )
        );
    }

    #[test]
    fn deserialising_never_makes_a_stored_item() {
        let item: ResponseItem =
            serde_json::from_str(r#"{"type":"web_search_call","id":"ws_1"}"#).expect("parse");
        assert_eq!(
            item,
            ResponseItem::Other(serde_json::json!({"type": "web_search_call", "id": "ws_1"}))
        );
    }
}
