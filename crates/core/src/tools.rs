//! The tools the model can call, and the dispatch from a call to its output.
//!
//! Names and argument schemas follow the reference so models trained on it
//! work unchanged. A call that cannot be understood (unknown tool, invalid
//! JSON) becomes an error output for the model; it never fails the turn.

mod escalation;
mod exec_decision;
mod image;
mod patch;
mod patch_guard;
mod plan;
pub(crate) mod shell;
mod spec;

pub(crate) use image::image_data_url;
pub(crate) use shell::RunningCommand;
pub(crate) use spec::specs;

use crate::turn::{TurnContext, TurnError};
use duet_model::{FunctionCallOutput, ResponseItem};
use duet_protocol::Item;
use std::sync::Mutex;
use tokio_util::sync::CancellationToken;

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
    plan: Mutex<Option<Item>>,
}

impl TurnState {
    /// The plan item, to complete at the end of the turn.
    pub(crate) fn plan_item(&self) -> Option<Item> {
        self.plan.lock().ok().and_then(|plan| plan.clone())
    }
}

/// Run one call and produce the output item for the history.
pub(crate) async fn dispatch(
    context: &TurnContext,
    state: &TurnState,
    turn_id: &str,
    call: ToolCall,
    cancel: &CancellationToken,
) -> Result<ResponseItem, TurnError> {
    match call {
        ToolCall::Function {
            call_id,
            name,
            arguments,
        } => {
            let output = match name.as_str() {
                "exec_command" => shell::exec_command(context, turn_id, &arguments, cancel).await?,
                "write_stdin" => shell::write_stdin(context, turn_id, &arguments, cancel).await?,
                "update_plan" if context.config.tools.update_plan => {
                    text(plan::update_plan(context, state, turn_id, &arguments))
                }
                "view_image" if context.config.tools.view_image => {
                    image::view_image(context, &arguments)
                }
                "apply_patch" if context.config.tools.apply_patch.is_some() => {
                    match parse_arguments::<ApplyPatchArgs>("apply_patch", &arguments) {
                        Ok(args) => text(
                            patch::apply_patch(
                                context,
                                turn_id,
                                &args.input,
                                &context.config.cwd,
                                cancel,
                            )
                            .await?,
                        ),
                        Err(message) => text(message),
                    }
                }
                other => text(format!("unsupported call: {other}")),
            };
            Ok(ResponseItem::FunctionCallOutput { call_id, output })
        }
        ToolCall::Custom {
            call_id,
            name,
            input,
        } => {
            let output = if name == "apply_patch" && context.config.tools.apply_patch.is_some() {
                patch::apply_patch(context, turn_id, &input, &context.config.cwd, cancel).await?
            } else {
                format!("unsupported call: {name}")
            };
            Ok(ResponseItem::CustomToolCallOutput { call_id, output })
        }
    }
}

/// The JSON-function form of `apply_patch`.
#[derive(Debug, serde::Deserialize)]
struct ApplyPatchArgs {
    input: String,
}

fn text(output: impl Into<String>) -> FunctionCallOutput {
    FunctionCallOutput::Text(output.into())
}

/// Parse a call's JSON arguments; the error is the text the model gets back.
fn parse_arguments<T: serde::de::DeserializeOwned>(
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
