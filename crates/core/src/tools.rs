//! The tools the model can call, and the dispatch from a call to its output.
//!
//! Names and argument schemas follow the reference so models trained on it
//! work unchanged. A call that cannot be understood (unknown tool, invalid
//! JSON) becomes an error output for the model; it never fails the turn.

mod call;
mod escalation;
mod exec_decision;
mod image;
mod mcp;
mod patch;
mod patch_guard;
mod plan;
pub(crate) mod shell;
mod spec;

pub(crate) use call::{ToolCall, TurnState};
pub(crate) use image::image_data_url;
pub(crate) use spec::{sort_keys, specs};

use crate::services::{ToolContext, TurnError};
use call::parse_arguments;
use duet_model::{FunctionCallOutput, ResponseItem};
use tokio_util::sync::CancellationToken;

/// Run one call and produce the output item for the history.
/// [`dispatch_call`], timed in the log.
pub(crate) async fn dispatch(
    context: ToolContext<'_>,
    state: &TurnState,
    turn_id: &str,
    call: ToolCall,
    cancel: &CancellationToken,
) -> Result<ResponseItem, TurnError> {
    let started = std::time::Instant::now();
    let (name, call_id) = match &call {
        ToolCall::Function { name, call_id, .. } | ToolCall::Custom { name, call_id, .. } => {
            (name.clone(), call_id.clone())
        }
    };
    log::debug!("tool call {call_id}: `{name}`");
    let result = dispatch_call(context, state, turn_id, call, cancel).await;
    log::info!(
        "tool call {call_id}: `{name}` {} in {} ms",
        match &result {
            Ok(_) => "answered",
            Err(TurnError::Cancelled) => "cancelled",
            Err(TurnError::Fatal(_)) => "failed the turn",
            Err(TurnError::Stopped(..)) => "stopped the turn",
        },
        started.elapsed().as_millis()
    );
    result
}

async fn dispatch_call(
    context: ToolContext<'_>,
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
                "update_plan" if context.settings.config.tools.update_plan => {
                    text(plan::update_plan(context, state, turn_id, &arguments))
                }
                "view_image" if context.settings.config.tools.view_image => {
                    image::view_image(context, &arguments)
                }
                "apply_patch" if context.settings.config.tools.apply_patch.is_some() => {
                    match parse_arguments::<ApplyPatchArgs>("apply_patch", &arguments) {
                        Ok(args) => text(
                            patch::apply_patch(
                                context,
                                turn_id,
                                &args.input,
                                &context.settings.config.cwd,
                                cancel,
                            )
                            .await?,
                        ),
                        Err(message) => text(message),
                    }
                }
                other
                    if crate::mcp::resources::is_resource_tool(other)
                        && context.services.mcp.has_servers() =>
                {
                    mcp::resources(context, turn_id, other, &arguments, cancel).await?
                }
                other if context.services.mcp.claims(other) => {
                    mcp::call(context, turn_id, other, &arguments, cancel).await?
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
            let output =
                if name == "apply_patch" && context.settings.config.tools.apply_patch.is_some() {
                    patch::apply_patch(
                        context,
                        turn_id,
                        &input,
                        &context.settings.config.cwd,
                        cancel,
                    )
                    .await?
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
