//! A thread's title: the first line of the first prompt the user typed.
//!
//! The opening user message of a thread carries context, not a prompt
//! (`<environment_context>`, `# AGENTS.md instructions ...`), so messages
//! that start like that are passed over.

use crate::item::ItemHead;
use serde_json::Value;
use serde_json::value::RawValue;

/// The longest title kept, in characters.
pub(crate) const MAX_TITLE_CHARS: usize = 200;

/// How context messages begin; a prompt that begins like this is not a title.
const CONTEXT_PREFIXES: &[&str] = &["<", "# AGENTS.md"];

/// The title the first prompt among `items` (exact JSON texts, with their
/// heads) gives, if there is one. Only user messages are parsed.
pub(crate) fn title_from_raw<'a>(
    items: impl IntoIterator<Item = (&'a RawValue, &'a ItemHead)>,
) -> Option<String> {
    items
        .into_iter()
        .filter(|(_, head)| head.role.as_deref() == Some("user"))
        .filter_map(|(json, _)| serde_json::from_str::<Value>(json.get()).ok())
        .find_map(|item| user_message_text(&item).and_then(title_from_text))
}

/// The text of a user `message` item: its content when that is a string,
/// else its first `input_text` part.
fn user_message_text(item: &Value) -> Option<&str> {
    let kind = item.get("type").and_then(Value::as_str);
    // An input message may leave out `type`; `role` identifies it then.
    if !matches!(kind, Some("message") | None) {
        return None;
    }
    if item.get("role").and_then(Value::as_str) != Some("user") {
        return None;
    }
    match item.get("content")? {
        Value::String(text) => Some(text),
        Value::Array(parts) => parts.iter().find_map(|part| {
            if part.get("type").and_then(Value::as_str) == Some("input_text") {
                part.get("text").and_then(Value::as_str)
            } else {
                None
            }
        }),
        _ => None,
    }
}

fn title_from_text(text: &str) -> Option<String> {
    let text = text.trim_start();
    if CONTEXT_PREFIXES
        .iter()
        .any(|prefix| text.starts_with(prefix))
    {
        return None;
    }
    let first_line = text.lines().next()?.trim_end();
    if first_line.is_empty() {
        return None;
    }
    Some(first_line.chars().take(MAX_TITLE_CHARS).collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn check(items: Value, expected: Option<&str>) {
        let items: Vec<Box<RawValue>> = items
            .as_array()
            .expect("test items are an array")
            .iter()
            .map(|item| serde_json::value::to_raw_value(item).expect("JSON"))
            .collect();
        let heads: Vec<ItemHead> = items.iter().map(|item| ItemHead::of(item)).collect();
        assert_eq!(
            title_from_raw(items.iter().map(|item| &**item).zip(&heads)),
            expected.map(str::to_string)
        );
    }

    fn user(text: &str) -> Value {
        json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
    }

    #[test]
    fn skips_context_messages() {
        check(
            json!([
                {"type": "message", "role": "developer", "content": [{"type": "input_text", "text": "be brief"}]},
                user("# AGENTS.md instructions for /repo\n\n<INSTRUCTIONS>..."),
                user("<environment_context>\n  <cwd>/repo</cwd>\n</environment_context>"),
                user("fix the failing test\nit is in tests/a.rs"),
                user("a later prompt"),
            ]),
            Some("fix the failing test"),
        );
    }

    #[test]
    fn takes_the_first_input_text_part() {
        check(
            json!([{"type": "message", "role": "user", "content": [
                {"type": "input_image", "image_url": "data:image/png;base64,AA=="},
                {"type": "input_text", "text": "what is in this picture"},
                {"type": "input_text", "text": "second part"},
            ]}]),
            Some("what is in this picture"),
        );
    }

    #[test]
    fn accepts_string_content_without_type() {
        check(
            json!([{"role": "user", "content": "  hello there  \nmore"}]),
            Some("hello there"),
        );
    }

    #[test]
    fn ignores_assistant_messages_and_other_items() {
        check(
            json!([
                {"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "hi"}]},
                {"type": "function_call", "name": "exec_command", "arguments": "{}", "call_id": "c1"},
                {"type": "reasoning", "summary": []},
            ]),
            None,
        );
    }

    #[test]
    fn skips_blank_prompts() {
        check(
            json!([user("   \n"), user("real prompt")]),
            Some("real prompt"),
        );
    }

    #[test]
    fn keeps_at_most_200_characters() {
        let long = "é".repeat(250);
        let expected = "é".repeat(MAX_TITLE_CHARS);
        check(json!([user(&long)]), Some(&expected));
    }
}
