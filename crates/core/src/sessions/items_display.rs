//! Displayed items drawn from Responses items, for turns that stored none
//! (imported ones): the prompts, the agent's messages, and shell commands
//! with their output.
//!
//! Context messages, reasoning and other tools are left out; exit codes
//! are unknown (`None`), as a rollout's items do not carry them.

use crate::search_text::search_text;
use duet_model::{FunctionCallOutput, ResponseItem};
use duet_protocol::{CommandStatus, Item, ItemDetails};
use duet_store::SearchRole;
use serde_json::Value;
use std::collections::HashMap;

/// The displayed items of a turn whose history items are `items`.
pub(crate) fn display_from_items(items: &[Value]) -> Vec<Item> {
    let parsed: Vec<ResponseItem> = items
        .iter()
        .filter_map(|item| serde_json::from_value(item.clone()).ok())
        .collect();
    let outputs: HashMap<&str, String> = parsed
        .iter()
        .filter_map(|item| match item {
            ResponseItem::FunctionCallOutput { call_id, output } => {
                Some((call_id.as_str(), output_text(output)))
            }
            _ => None,
        })
        .collect();
    let mut shown = Vec::new();
    for item in &parsed {
        let Some(found) = search_text(item) else {
            continue;
        };
        let details = match found.role {
            SearchRole::User => ItemDetails::UserMessage { text: found.text },
            SearchRole::Agent => ItemDetails::AgentMessage { text: found.text },
            SearchRole::Command => {
                let output = match item {
                    ResponseItem::FunctionCall { call_id, .. } => outputs.get(call_id.as_str()),
                    _ => None,
                };
                ItemDetails::CommandExecution {
                    command: found.text,
                    aggregated_output: output.cloned().unwrap_or_default(),
                    exit_code: None,
                    status: if output.is_some() {
                        CommandStatus::Completed
                    } else {
                        CommandStatus::InProgress
                    },
                }
            }
        };
        shown.push(Item {
            id: format!("item_{}", shown.len()),
            details,
        });
    }
    shown
}

fn output_text(output: &FunctionCallOutput) -> String {
    match output {
        FunctionCallOutput::Text(text) => text.clone(),
        other => serde_json::to_string(other).unwrap_or_default(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    #[test]
    fn prompts_messages_and_commands_with_their_output() {
        let items = [
            json!({"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "<environment_context></environment_context>"}]}),
            json!({"type": "message", "role": "user", "content": [
                {"type": "input_text", "text": "list files"}]}),
            json!({"type": "reasoning", "id": "r", "summary": [], "encrypted_content": "x"}),
            json!({"type": "function_call", "call_id": "c1", "name": "shell",
                   "arguments": "{\"command\":[\"ls\"]}"}),
            json!({"type": "function_call_output", "call_id": "c1", "output": "a.txt\n"}),
            json!({"type": "message", "role": "assistant", "content": [
                {"type": "output_text", "text": "One file."}]}),
        ];

        assert_eq!(
            display_from_items(&items),
            vec![
                Item {
                    id: "item_0".into(),
                    details: ItemDetails::UserMessage {
                        text: "list files".into()
                    }
                },
                Item {
                    id: "item_1".into(),
                    details: ItemDetails::CommandExecution {
                        command: "ls".into(),
                        aggregated_output: "a.txt\n".into(),
                        exit_code: None,
                        status: CommandStatus::Completed,
                    }
                },
                Item {
                    id: "item_2".into(),
                    details: ItemDetails::AgentMessage {
                        text: "One file.".into()
                    }
                },
            ]
        );
    }
}
