//! What of a history item `duet sessions search` finds: the prompts the user
//! typed, the agent's messages, and the shell commands it ran.
//!
//! Context messages (AGENTS.md, environment, `<turn_aborted>`) are not
//! prompts and are left out, as are tool outputs and reasoning, which would
//! drown the index in build logs.

use duet_model::{ContentItem, ResponseItem};
use duet_store::{SearchRole, SearchText};

/// How context messages begin (see the store's title rule).
const CONTEXT_PREFIXES: &[&str] = &["<", "# AGENTS.md"];

/// The searchable text of `item`, if it has any.
pub(crate) fn search_text(item: &ResponseItem) -> Option<SearchText> {
    let (role, text) = match item {
        ResponseItem::Message { role, content, .. } if role == "user" => {
            let text = join_text(content, |part| match part {
                ContentItem::InputText { text } => Some(text),
                _ => None,
            });
            let trimmed = text.trim_start();
            if CONTEXT_PREFIXES
                .iter()
                .any(|prefix| trimmed.starts_with(prefix))
            {
                return None;
            }
            (SearchRole::User, text)
        }
        ResponseItem::Message { role, content, .. } if role == "assistant" => {
            let text = join_text(content, |part| match part {
                ContentItem::OutputText { text, .. } => Some(text),
                _ => None,
            });
            (SearchRole::Agent, text)
        }
        ResponseItem::FunctionCall {
            name, arguments, ..
        } => (SearchRole::Command, command_of(name, arguments)?),
        _ => return None,
    };
    if text.trim().is_empty() {
        return None;
    }
    Some(SearchText { role, text })
}

/// [`search_text`] of an item as JSON; `None` for JSON that is not an item.
pub(crate) fn search_text_of_json(item: &serde_json::Value) -> Option<SearchText> {
    let item: ResponseItem = serde_json::from_value(item.clone()).ok()?;
    search_text(&item)
}

fn join_text(content: &[ContentItem], text_of: impl Fn(&ContentItem) -> Option<&String>) -> String {
    content
        .iter()
        .filter_map(text_of)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join("\n")
}

/// The command line of a shell tool call: `exec_command`'s `cmd`, or the
/// argv of a `shell` call (imported threads) joined by spaces.
fn command_of(name: &str, arguments: &str) -> Option<String> {
    let arguments: serde_json::Value = serde_json::from_str(arguments).ok()?;
    match name {
        "exec_command" => arguments.get("cmd")?.as_str().map(str::to_string),
        "shell" => {
            let argv = arguments.get("command")?.as_array()?;
            let words: Vec<&str> = argv.iter().filter_map(serde_json::Value::as_str).collect();
            // `bash -lc SCRIPT`: the script is the command the user reads.
            match words.as_slice() {
                [shell, flag, script]
                    if ["bash", "sh", "zsh"].contains(shell) && ["-c", "-lc"].contains(flag) =>
                {
                    Some((*script).to_string())
                }
                _ => Some(words.join(" ")),
            }
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn check(item: serde_json::Value, expected: Option<(SearchRole, &str)>) {
        let item: ResponseItem = serde_json::from_value(item).expect("a response item");
        let expected = expected.map(|(role, text)| SearchText {
            role,
            text: text.to_string(),
        });
        assert_eq!(search_text(&item), expected);
    }

    #[test]
    fn a_prompt_is_user_text() {
        check(
            json!({"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "fix the build"},
                {"type": "input_text", "text": "please"}]}),
            Some((SearchRole::User, "fix the build\nplease")),
        );
    }

    #[test]
    fn context_messages_are_not_prompts() {
        check(
            json!({"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "<environment_context>\n</environment_context>"}]}),
            None,
        );
        check(
            json!({"type": "message", "role": "developer", "content": [
                {"type": "input_text", "text": "be brief"}]}),
            None,
        );
    }

    #[test]
    fn an_agent_message_is_agent_text() {
        check(
            json!({"type": "message", "role": "assistant", "content": [
                {"type": "output_text", "text": "All tests pass."}]}),
            Some((SearchRole::Agent, "All tests pass.")),
        );
    }

    #[test]
    fn commands_of_both_shell_tools() {
        check(
            json!({"type": "function_call", "call_id": "c1", "name": "exec_command",
                   "arguments": "{\"cmd\":\"cargo test -p duet-store\"}"}),
            Some((SearchRole::Command, "cargo test -p duet-store")),
        );
        check(
            json!({"type": "function_call", "call_id": "c2", "name": "shell",
                   "arguments": "{\"command\":[\"bash\",\"-lc\",\"ls -la\"]}"}),
            Some((SearchRole::Command, "ls -la")),
        );
        check(
            json!({"type": "function_call", "call_id": "c5", "name": "shell",
                   "arguments": "{\"command\":[\"git\",\"status\"]}"}),
            Some((SearchRole::Command, "git status")),
        );
        check(
            json!({"type": "function_call", "call_id": "c3", "name": "update_plan",
                   "arguments": "{}"}),
            None,
        );
        check(
            json!({"type": "function_call", "call_id": "c4", "name": "exec_command",
                   "arguments": "not json"}),
            None,
        );
    }
}
