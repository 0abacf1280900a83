//! An MCP tool's result as the model gets it and as the transcript shows
//! it.
//!
//! The item keeps the server's content blocks as sent (the reference's
//! `mcp_tool_call.result`). The model gets them translated: text as text,
//! images as images, resource links and embedded resources as text naming
//! them (an embedded image as an image), audio as a note, and
//! `structuredContent` as JSON text when there is no other content. Long
//! text keeps its head and tail, as command output does.

use base64::Engine;
use duet_model::{ContentItem, FunctionCallOutput};
use duet_protocol::McpCallResult;
use serde_json::Value;

/// About 10,000 tokens of text per call, as for a command's output.
const TEXT_BUDGET_BYTES: usize = 40_000;
/// Larger images are described rather than sent (the APIs refuse them).
const MAX_IMAGE_BYTES: usize = 20 * 1024 * 1024;

/// A tool's answer, translated.
pub(crate) struct ToolAnswer {
    /// What goes back to the model.
    pub output: FunctionCallOutput,
    /// What the item shows.
    pub result: McpCallResult,
    /// The server said the call failed (`isError`).
    pub is_error: bool,
}

/// Translate a `tools/call` result, given as its JSON.
pub(crate) fn answer(result: &Value) -> ToolAnswer {
    let blocks: Vec<Value> = result
        .get("content")
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default();
    let structured = result
        .get("structuredContent")
        .filter(|value| !value.is_null())
        .cloned();
    let is_error = result
        .get("isError")
        .and_then(Value::as_bool)
        .unwrap_or(false);
    let mut parts: Vec<ContentItem> = blocks.iter().map(model_part).collect();
    if parts.is_empty()
        && let Some(structured) = &structured
    {
        parts.push(ContentItem::InputText {
            text: structured.to_string(),
        });
    }
    if parts.is_empty() {
        parts.push(ContentItem::InputText {
            text: "(the tool returned nothing)".to_string(),
        });
    }
    ToolAnswer {
        output: to_output(parts, is_error),
        result: McpCallResult {
            content: blocks,
            structured_content: structured,
        },
        is_error,
    }
}

/// One text when every part is text, else the parts (with images).
fn to_output(parts: Vec<ContentItem>, is_error: bool) -> FunctionCallOutput {
    let mut texts: Vec<String> = Vec::new();
    let all_text = parts
        .iter()
        .all(|part| matches!(part, ContentItem::InputText { .. }));
    if all_text {
        for part in parts {
            if let ContentItem::InputText { text } = part {
                texts.push(text);
            }
        }
        let mut text = texts.join("\n");
        if is_error {
            text = format!("The tool reported an error:\n{text}");
        }
        return FunctionCallOutput::Text(cut(text));
    }
    let mut items = Vec::with_capacity(parts.len() + 1);
    if is_error {
        items.push(ContentItem::InputText {
            text: "The tool reported an error:".to_string(),
        });
    }
    items.extend(parts.into_iter().map(|part| match part {
        ContentItem::InputText { text } => ContentItem::InputText { text: cut(text) },
        other => other,
    }));
    FunctionCallOutput::Content(items)
}

fn cut(text: String) -> String {
    if text.len() <= TEXT_BUDGET_BYTES {
        text
    } else {
        crate::process::head_and_tail(&text, TEXT_BUDGET_BYTES)
    }
}

/// One content block for the model.
fn model_part(block: &Value) -> ContentItem {
    let field = |name: &str| block.get(name).and_then(Value::as_str).unwrap_or_default();
    let text = |text: String| ContentItem::InputText { text };
    match field("type") {
        "text" => text(field("text").to_string()),
        "image" => image(field("data"), field("mimeType")),
        "audio" => text(format!(
            "[audio ({}, {} bytes) not shown: the model takes no audio here]",
            field("mimeType"),
            decoded_len(field("data"))
        )),
        "resource_link" => {
            let mut line = format!("Resource link: {}", field("uri"));
            for (label, key) in [("name", "name"), ("type", "mimeType")] {
                if !field(key).is_empty() {
                    line.push_str(&format!(", {label} {}", field(key)));
                }
            }
            if !field("description").is_empty() {
                line.push_str(&format!("\n{}", field("description")));
            }
            text(line)
        }
        "resource" => {
            let resource = block.get("resource").cloned().unwrap_or(Value::Null);
            let inner = |name: &str| {
                resource
                    .get(name)
                    .and_then(Value::as_str)
                    .unwrap_or_default()
                    .to_string()
            };
            let (uri, mime) = (inner("uri"), inner("mimeType"));
            if let Some(body) = resource.get("text").and_then(Value::as_str) {
                text(format!("Resource {uri}:\n{body}"))
            } else if mime.starts_with("image/") {
                image(&inner("blob"), &mime)
            } else {
                text(format!(
                    "[resource {uri} ({}, {} bytes of binary data) not shown]",
                    if mime.is_empty() { "no type" } else { &mime },
                    decoded_len(&inner("blob"))
                ))
            }
        }
        other => text(format!(
            "[content of type `{other}` not shown: duet does not know it]"
        )),
    }
}

/// An image block as an image for the model, when it is one.
fn image(data: &str, mime: &str) -> ContentItem {
    let size = decoded_len(data);
    let valid = base64::engine::general_purpose::STANDARD
        .decode(data.as_bytes())
        .is_ok();
    if !mime.starts_with("image/") || !valid {
        return ContentItem::InputText {
            text: format!(
                "[an image the server sent could not be read ({mime}, not base64 image data)]"
            ),
        };
    }
    if size > MAX_IMAGE_BYTES {
        return ContentItem::InputText {
            text: format!(
                "[an image of {size} bytes ({mime}) not shown: larger than {MAX_IMAGE_BYTES} bytes]"
            ),
        };
    }
    ContentItem::InputImage {
        image_url: format!("data:{mime};base64,{data}"),
    }
}

/// The decoded size of base64 `data`, without decoding it.
fn decoded_len(data: &str) -> usize {
    let padding = data.bytes().rev().take_while(|byte| *byte == b'=').count();
    (data.len() / 4 * 3).saturating_sub(padding)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn text_only_results_are_one_text() {
        let answer = answer(&json!({
            "content": [{"type": "text", "text": "Echo: hi"}, {"type": "text", "text": "second"}]
        }));
        assert_eq!(
            answer.output,
            FunctionCallOutput::Text("Echo: hi\nsecond".into())
        );
        assert_eq!(
            answer.result,
            McpCallResult {
                content: vec![
                    json!({"type": "text", "text": "Echo: hi"}),
                    json!({"type": "text", "text": "second"})
                ],
                structured_content: None,
            }
        );
        assert!(!answer.is_error);
    }

    #[test]
    fn images_go_to_the_model_as_images_and_the_rest_as_text() {
        let png = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\nrest");
        let answer = answer(&json!({
            "content": [
                {"type": "text", "text": "Here is a picture"},
                {"type": "image", "data": png, "mimeType": "image/png"},
                {"type": "resource_link", "uri": "file:///a.txt", "name": "a.txt", "mimeType": "text/plain", "description": "the file"},
                {"type": "resource", "resource": {"uri": "test://static/1", "mimeType": "text/plain", "text": "Resource 1 body"}},
                {"type": "resource", "resource": {"uri": "test://static/2", "mimeType": "application/octet-stream", "blob": "AAAA"}},
                {"type": "audio", "data": "AAAAAA==", "mimeType": "audio/wav"},
                {"type": "hologram"}
            ],
            "isError": false
        }));
        assert_eq!(
            answer.output,
            FunctionCallOutput::Content(vec![
                ContentItem::InputText { text: "Here is a picture".into() },
                ContentItem::InputImage { image_url: format!("data:image/png;base64,{png}") },
                ContentItem::InputText { text: "Resource link: file:///a.txt, name a.txt, type text/plain\nthe file".into() },
                ContentItem::InputText { text: "Resource test://static/1:\nResource 1 body".into() },
                ContentItem::InputText { text: "[resource test://static/2 (application/octet-stream, 3 bytes of binary data) not shown]".into() },
                ContentItem::InputText { text: "[audio (audio/wav, 4 bytes) not shown: the model takes no audio here]".into() },
                ContentItem::InputText { text: "[content of type `hologram` not shown: duet does not know it]".into() },
            ])
        );
    }

    #[test]
    fn errors_and_structured_content() {
        let failed = answer(&json!({
            "content": [{"type": "text", "text": "no such city"}],
            "isError": true
        }));
        assert!(failed.is_error);
        assert_eq!(
            failed.output,
            FunctionCallOutput::Text("The tool reported an error:\nno such city".into())
        );
        let structured = answer(&json!({"content": [], "structuredContent": {"temperature": 21}}));
        assert_eq!(
            structured.output,
            FunctionCallOutput::Text("{\"temperature\":21}".into())
        );
        assert_eq!(
            structured.result.structured_content,
            Some(json!({"temperature": 21}))
        );
        assert_eq!(
            answer(&json!({})).output,
            FunctionCallOutput::Text("(the tool returned nothing)".into())
        );
    }

    #[test]
    fn long_text_keeps_its_head_and_tail() {
        let long = format!("{}\n{}", "a".repeat(30_000), "z".repeat(30_000));
        let FunctionCallOutput::Text(text) =
            answer(&json!({"content": [{"type": "text", "text": long}]})).output
        else {
            panic!("text expected");
        };
        assert!(text.len() < 41_000, "{}", text.len());
        assert!(text.starts_with("aaaa") && text.ends_with("zzzz"));
        assert!(text.contains("tokens truncated"));
    }
}
