//! What the tools share: a call as the model sent it, the state of one
//! turn's calls, and how arguments are read.

use duet_protocol::Item;
use std::sync::Mutex;

/// A tool call from the model.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum ToolCall {
    Function {
        call_id: String,
        name: String,
        arguments: String,
    },
    Custom {
        call_id: String,
        name: String,
        input: String,
    },
}

/// What the tools of one turn share.
#[derive(Default)]
pub(crate) struct TurnState {
    /// The plan item of this turn, once `update_plan` was called.
    pub(super) plan: Mutex<Option<Item>>,
}

impl TurnState {
    /// The plan item, to complete at the end of the turn.
    pub(crate) fn plan_item(&self) -> Option<Item> {
        self.plan.lock().ok().and_then(|plan| plan.clone())
    }
}

/// Parse a call's JSON arguments; the error is the text the model gets back.
pub(super) fn parse_arguments<T: serde::de::DeserializeOwned>(
    tool: &str,
    arguments: &str,
) -> Result<T, String> {
    let arguments = if arguments.trim().is_empty() {
        "{}"
    } else {
        arguments
    };
    serde_json::from_str(arguments).map_err(|error| {
        format!("failed to parse the arguments of `{tool}`: {error}; send a JSON object that matches the tool's schema")
    })
}
