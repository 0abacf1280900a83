//! The `--json` renderer: [`Event`] in, JSON lines out.
//!
//! The shape is the reference's `codex exec --json` (what `@openai/codex-sdk`
//! parses) plus `schema_version` on `thread.started`; docs/exec-json.md is the
//! written contract. This renderer does no IO: it returns the lines and the
//! caller prints them.

use duet_protocol::{
    EXEC_JSON_SCHEMA_VERSION, ErrorInfo, Event, EventMsg, Item, ItemDetails, Usage,
};
use serde::Serialize;
use std::borrow::Cow;
use std::collections::HashMap;

/// One line of the stream. Field order is the order printed.
#[derive(Debug, Serialize)]
#[serde(tag = "type")]
enum JsonEvent<'a> {
    #[serde(rename = "thread.started")]
    ThreadStarted {
        thread_id: &'a str,
        schema_version: &'static str,
    },
    #[serde(rename = "turn.started")]
    TurnStarted,
    #[serde(rename = "item.started")]
    ItemStarted { item: Item },
    #[serde(rename = "item.updated")]
    ItemUpdated { item: Item },
    #[serde(rename = "item.completed")]
    ItemCompleted { item: Item },
    #[serde(rename = "turn.completed")]
    TurnCompleted { usage: TurnUsage },
    #[serde(rename = "turn.stopped")]
    TurnStopped {
        limit: duet_protocol::BudgetLimit,
        message: &'a str,
        usage: TurnUsage,
    },
    #[serde(rename = "turn.failed")]
    TurnFailed { error: &'a ErrorInfo },
    #[serde(rename = "error")]
    Error { message: Cow<'a, str> },
}

/// `turn.completed.usage`: the token counts, then what they cost in US
/// dollars (`null` when a request had no known price), thread-cumulative.
#[derive(Debug, Serialize)]
struct TurnUsage {
    #[serde(flatten)]
    tokens: Usage,
    cost_usd: Option<f64>,
}

/// Renders events as JSON lines, re-numbering item ids `item_0, item_1, …`
/// in the order they are first seen.
#[derive(Debug, Default)]
pub struct JsonRenderer {
    /// Core item id -> exec item id.
    item_ids: HashMap<String, String>,
    next_item: usize,
}

impl JsonRenderer {
    pub fn new() -> Self {
        Self::default()
    }

    /// The lines (without newline) this event prints; often none.
    pub fn render(&mut self, event: &Event) -> Vec<String> {
        let json_event = match &event.msg {
            EventMsg::ThreadStarted(started) => JsonEvent::ThreadStarted {
                thread_id: &started.thread_id,
                schema_version: EXEC_JSON_SCHEMA_VERSION,
            },
            EventMsg::TurnStarted => JsonEvent::TurnStarted,
            EventMsg::ItemStarted { item } => match self.exec_item(item) {
                Some(item) => JsonEvent::ItemStarted { item },
                None => return Vec::new(),
            },
            EventMsg::ItemUpdated { item } => match self.exec_item(item) {
                Some(item) => JsonEvent::ItemUpdated { item },
                None => return Vec::new(),
            },
            EventMsg::ItemCompleted { item } => match self.exec_item(item) {
                Some(item) => JsonEvent::ItemCompleted { item },
                None => return Vec::new(),
            },
            EventMsg::TurnCompleted(completed) => JsonEvent::TurnCompleted {
                usage: TurnUsage {
                    tokens: completed.usage,
                    cost_usd: completed.cost_usd,
                },
            },
            EventMsg::TurnStopped(stopped) => JsonEvent::TurnStopped {
                limit: stopped.limit,
                message: &stopped.message,
                usage: TurnUsage {
                    tokens: stopped.usage,
                    cost_usd: stopped.cost_usd,
                },
            },
            EventMsg::TurnFailed { error } => JsonEvent::TurnFailed { error },
            EventMsg::Error { message } => JsonEvent::Error {
                message: Cow::Borrowed(message),
            },
            // The reference reports each retry as an `error` event.
            EventMsg::Reconnecting(retry) => JsonEvent::Error {
                message: Cow::Owned(retry.message()),
            },
            // The reference reports warnings as completed `error` items.
            EventMsg::Warning { message } => JsonEvent::ItemCompleted {
                item: Item {
                    id: self.fresh_id(),
                    details: ItemDetails::Error {
                        message: message.clone(),
                    },
                },
            },
            // Streaming deltas and token counts are for live UIs; the stream
            // reports items once they are done. An interrupted turn ends the
            // process with code 130 and prints nothing more.
            EventMsg::AgentMessageDelta { .. }
            | EventMsg::ReasoningDelta { .. }
            | EventMsg::CommandOutputDelta { .. }
            | EventMsg::TokenCount(_)
            | EventMsg::TurnAborted { .. }
            | EventMsg::ExecApprovalRequest(_)
            | EventMsg::PatchApprovalRequest(_)
            | EventMsg::McpApprovalRequest(_)
            | EventMsg::McpServers { .. }
            | EventMsg::CompactionReview { .. }
            | EventMsg::McpToolCallProgress { .. }
            | EventMsg::ContextCompacted
            | EventMsg::ThreadRolledBack { .. }
            | EventMsg::ModelList(_)
            | EventMsg::ShutdownComplete => return Vec::new(),
        };
        vec![serde_json::to_string(&json_event).expect("exec JSON events always serialise")]
    }

    /// The item as exec prints it, or `None` for items exec does not print.
    fn exec_item(&mut self, item: &Item) -> Option<Item> {
        if matches!(item.details, ItemDetails::UserMessage { .. }) {
            return None;
        }
        let id = match self.item_ids.get(&item.id) {
            Some(id) => id.clone(),
            None => {
                let id = self.fresh_id();
                self.item_ids.insert(item.id.clone(), id.clone());
                id
            }
        };
        Some(Item {
            id,
            details: item.details.clone(),
        })
    }

    fn fresh_id(&mut self) -> String {
        let id = format!("item_{}", self.next_item);
        self.next_item += 1;
        id
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;

    fn render_all(events: &[Event]) -> String {
        let mut renderer = JsonRenderer::new();
        events
            .iter()
            .flat_map(|event| renderer.render(event))
            .map(|line| line + "\n")
            .collect()
    }

    #[test]
    fn successful_turn() {
        insta::assert_snapshot!(render_all(&fixtures::successful_turn()));
    }

    #[test]
    fn failed_turn_with_retries() {
        insta::assert_snapshot!(render_all(&fixtures::failed_turn_with_retries()));
    }

    #[test]
    fn interrupted_turn() {
        insta::assert_snapshot!(render_all(&fixtures::interrupted_turn()));
    }

    #[test]
    fn every_line_is_one_json_object_with_a_type() {
        let mut renderer = JsonRenderer::new();
        for event in fixtures::successful_turn() {
            for line in renderer.render(&event) {
                let value: serde_json::Value = serde_json::from_str(&line).unwrap();
                assert!(value["type"].is_string(), "{line}");
                assert!(!line.contains('\n'), "{line}");
            }
        }
    }
}
