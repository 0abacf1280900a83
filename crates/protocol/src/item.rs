//! Items: the units of a conversation that front ends display.
//!
//! An [`Item`] serialises to exactly the object `duet exec --json` prints inside
//! `item.started` / `item.updated` / `item.completed`, which is the shape the
//! reference's `exec --json` and `@openai/codex-sdk` use.

use serde::{Deserialize, Serialize};

/// One displayed unit of a turn. `id` is `item_N`, counted per process.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Item {
    pub id: String,
    #[serde(flatten)]
    pub details: ItemDetails,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ItemDetails {
    UserMessage {
        text: String,
    },
    AgentMessage {
        text: String,
    },
    Reasoning {
        text: String,
    },
    CommandExecution {
        command: String,
        aggregated_output: String,
        exit_code: Option<i32>,
        status: CommandStatus,
    },
    FileChange {
        changes: Vec<FileChange>,
        status: PatchStatus,
    },
    McpToolCall {
        server: String,
        tool: String,
        arguments: serde_json::Value,
        result: Option<McpCallResult>,
        error: Option<McpCallError>,
        status: McpCallStatus,
    },
    WebSearch {
        query: String,
    },
    /// The plan from `update_plan`, shown as a checklist.
    TodoList {
        items: Vec<TodoItem>,
    },
    /// A non-fatal error or warning shown in the transcript.
    Error {
        message: String,
    },
    /// The conversation so far was replaced by a summary to free the
    /// context window. duet's own item (schema 1.1).
    ContextCompaction {
        trigger: CompactionTrigger,
        /// The hand-off the next requests carry: the model's summary (as
        /// the user edited it, if they did) followed by duet's task-state
        /// block.
        summary: String,
        /// How full the context was before (the last response's count, or
        /// an estimate) and is after (an estimate).
        tokens_before: u64,
        tokens_after: u64,
        /// Tool outputs and whole early turns left out of the summary
        /// request so that it fit the window (0 when it fit as it was).
        elided_tool_outputs: u32,
        omitted_turns: u32,
    },
}

impl ItemDetails {
    /// One line on a compaction: why, and how far it emptied the context;
    /// `None` for other items.
    pub fn compaction_line(&self) -> Option<String> {
        let ItemDetails::ContextCompaction {
            trigger,
            tokens_before,
            tokens_after,
            elided_tool_outputs,
            omitted_turns,
            ..
        } = self
        else {
            return None;
        };
        let why = match trigger {
            CompactionTrigger::Auto => "the context was nearly full",
            CompactionTrigger::Manual => "asked for",
            CompactionTrigger::Overflow => "the model refused a request as too long",
        };
        let mut line = format!(
            "Context compacted ({why}): {} → {} tokens",
            crate::display::with_thousands(*tokens_before),
            crate::display::with_thousands(*tokens_after)
        );
        let plural =
            |count: u32, what: &str| format!("{count} {what}{}", if count == 1 { "" } else { "s" });
        match (elided_tool_outputs, omitted_turns) {
            (0, 0) => {}
            (outputs, 0) => line.push_str(&format!(
                "; {} left out of the summary",
                plural(*outputs, "tool output")
            )),
            (outputs, turns) => line.push_str(&format!(
                "; {} and {} left out of the summary",
                plural(*outputs, "tool output"),
                plural(*turns, "early turn")
            )),
        }
        Some(line)
    }
}

/// What started a compaction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CompactionTrigger {
    /// The context reached `model_auto_compact_token_limit`.
    Auto,
    /// The user asked (`/compact`).
    Manual,
    /// The model refused a request as too long for its window.
    Overflow,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CommandStatus {
    InProgress,
    Completed,
    Failed,
    Declined,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PatchStatus {
    InProgress,
    Completed,
    Failed,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McpCallStatus {
    InProgress,
    Completed,
    Failed,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FileChange {
    pub path: String,
    pub kind: FileChangeKind,
    /// Unified diff of this file, for front ends that show it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub diff: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileChangeKind {
    Add,
    Delete,
    Update,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpCallResult {
    pub content: Vec<serde_json::Value>,
    pub structured_content: Option<serde_json::Value>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct McpCallError {
    pub message: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TodoItem {
    pub text: String,
    pub completed: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn command_item_has_the_exec_json_shape() {
        let item = Item {
            id: "item_2".into(),
            details: ItemDetails::CommandExecution {
                command: "/bin/bash -lc ls".into(),
                aggregated_output: String::new(),
                exit_code: None,
                status: CommandStatus::InProgress,
            },
        };
        assert_eq!(
            serde_json::to_value(&item).unwrap(),
            serde_json::json!({
                "id": "item_2",
                "type": "command_execution",
                "command": "/bin/bash -lc ls",
                "aggregated_output": "",
                "exit_code": null,
                "status": "in_progress"
            })
        );
    }
}
