//! Calls of MCP tools (`mcp__<server>__<tool>`): found through the
//! session's [`crate::mcp::manager::McpManager`], approved as the server's
//! `approval_mode` and the approval policy say, shown as an
//! `mcp_tool_call` item, and answered with the server's result.

use crate::config::mcp::McpApprovalMode;
use crate::mcp::manager::Missing;
use crate::services::{ToolContext, TurnError};
use duet_model::FunctionCallOutput;
use duet_protocol::{
    ApprovalPolicy, EventMsg, Item, ItemDetails, McpCallError, McpCallResult, McpCallStatus,
    SandboxMode,
};
use serde_json::Value;
use tokio_util::sync::CancellationToken;

/// What to do with a call before making it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Gate {
    Run,
    Ask,
    /// Refused without asking; the message is for the model.
    Decline(String),
}

/// The approval table: `approve` runs; `prompt` asks; `auto` (the
/// default) runs a tool annotated read-only, and any tool when nothing
/// is ever asked and nothing is confined (`never` with
/// `danger-full-access`), and asks otherwise. Under `never` (what `duet
/// exec` runs with), a call that would ask is declined instead.
pub(crate) fn gate(
    mode: McpApprovalMode,
    read_only: bool,
    policy: ApprovalPolicy,
    sandbox: SandboxMode,
    server: &str,
    tool: &str,
) -> Gate {
    let ask = match mode {
        McpApprovalMode::Approve => false,
        McpApprovalMode::Prompt => true,
        McpApprovalMode::Auto => {
            let unconfined_and_unasked =
                policy == ApprovalPolicy::Never && sandbox == SandboxMode::DangerFullAccess;
            !(read_only || unconfined_and_unasked)
        }
    };
    match (ask, policy) {
        (false, _) => Gate::Run,
        (true, ApprovalPolicy::Never) => Gate::Decline(format!(
            "MCP tool call requires approval, but approval policy is never; the user can allow it with `mcp_servers.{server}.tools.{tool}.approval_mode = \"approve\"` (or `default_tools_approval_mode = \"approve\"` for every tool of `{server}`)"
        )),
        (true, _) => Gate::Ask,
    }
}

/// Run the call of MCP tool `name` with the JSON `arguments`.
pub(super) async fn call(
    context: ToolContext<'_>,
    turn_id: &str,
    name: &str,
    arguments: &str,
    cancel: &CancellationToken,
) -> Result<FunctionCallOutput, TurnError> {
    let events = &context.services.events;
    let found = tokio::select! {
        _ = cancel.cancelled() => return Err(TurnError::Cancelled),
        found = context.services.mcp.find(name) => found,
    };
    let target = match found {
        Ok(target) => target,
        Err(Missing::Unknown) => {
            return Ok(FunctionCallOutput::Text(format!(
                "unsupported call: {name}"
            )));
        }
        Err(Missing::Unavailable {
            server,
            tool,
            message,
        }) => {
            let item = Item {
                id: events.item_id(),
                details: details(&server, &tool, parse(arguments).unwrap_or(Value::Null)),
            };
            finish(context, turn_id, item, Err(message.clone()));
            return Ok(FunctionCallOutput::Text(message));
        }
    };
    let server = &target.server.config;
    let tool = &target.tool.tool.name;
    let parsed = match parse(arguments) {
        Ok(parsed) => parsed,
        Err(message) => {
            let item = Item {
                id: events.item_id(),
                details: details(&server.name, tool, Value::Null),
            };
            finish(context, turn_id, item, Err(message.clone()));
            return Ok(FunctionCallOutput::Text(message));
        }
    };
    let item = Item {
        id: events.item_id(),
        details: details(&server.name, tool, parsed.clone()),
    };
    events.send(Some(turn_id), EventMsg::ItemStarted { item: item.clone() });
    let config = &context.settings.config;
    let mode = server
        .tool_approval_modes
        .get(tool)
        .copied()
        .or(server.default_tools_approval_mode)
        .unwrap_or(McpApprovalMode::Auto);
    let gate = gate(
        mode,
        target.tool.tool.read_only,
        config.approval_policy,
        config.sandbox_mode,
        &server.name,
        tool,
    );
    let approved = match gate {
        Gate::Run => Ok(()),
        Gate::Decline(message) => Err(message),
        Gate::Ask => {
            let asked = crate::approval::request_mcp_approval(
                context,
                turn_id,
                &server.name,
                tool,
                &parsed,
                cancel,
            )
            .await;
            match asked {
                Ok(true) => Ok(()),
                Ok(false) => Err(format!(
                    "the user declined the call of MCP tool `{tool}` of server `{}`",
                    server.name
                )),
                Err(error) => {
                    finish(context, turn_id, item, Err("interrupted".to_string()));
                    return Err(error);
                }
            }
        }
    };
    if let Err(message) = approved {
        finish(context, turn_id, item, Err(message.clone()));
        return Ok(FunctionCallOutput::Text(message));
    }
    let arguments = match parsed {
        Value::Object(map) => Some(map),
        _ => None,
    };
    let called = tokio::select! {
        _ = cancel.cancelled() => {
            finish(context, turn_id, item, Err("interrupted".to_string()));
            return Err(TurnError::Cancelled);
        }
        called = target.live.call(server, tool, arguments, &item.id) => called,
    };
    match called {
        Ok(result) => {
            let answer = crate::mcp::content::answer(&result);
            let status = if answer.is_error {
                McpCallStatus::Failed
            } else {
                McpCallStatus::Completed
            };
            finish_with(context, turn_id, item, Some(answer.result), None, status);
            Ok(answer.output)
        }
        Err(message) => {
            finish(context, turn_id, item, Err(message.clone()));
            Ok(FunctionCallOutput::Text(message))
        }
    }
}

/// `list_mcp_resources`, `list_mcp_resource_templates` or
/// `read_mcp_resource`, shown as an `mcp_tool_call` item of the server
/// asked (empty when every server is listed) named by the tool.
pub(super) async fn resources(
    context: ToolContext<'_>,
    turn_id: &str,
    name: &str,
    arguments: &str,
    cancel: &CancellationToken,
) -> Result<FunctionCallOutput, TurnError> {
    let parsed = parse(arguments).unwrap_or(Value::Null);
    let server = parsed["server"].as_str().unwrap_or_default().to_string();
    let item = Item {
        id: context.services.events.item_id(),
        details: details(&server, name, parsed),
    };
    context
        .services
        .events
        .send(Some(turn_id), EventMsg::ItemStarted { item: item.clone() });
    let ran = tokio::select! {
        _ = cancel.cancelled() => {
            finish(context, turn_id, item, Err("interrupted".to_string()));
            return Err(TurnError::Cancelled);
        }
        ran = crate::mcp::resources::run(&context.services.mcp, name, arguments) => ran,
    };
    match ran {
        Ok(answer) => {
            finish_with(
                context,
                turn_id,
                item,
                Some(answer.result),
                None,
                McpCallStatus::Completed,
            );
            Ok(answer.output)
        }
        Err(message) => {
            finish(context, turn_id, item, Err(message.clone()));
            Ok(FunctionCallOutput::Text(message))
        }
    }
}

/// The arguments as a JSON object (empty text is no arguments); the error
/// is for the model.
fn parse(arguments: &str) -> Result<Value, String> {
    if arguments.trim().is_empty() {
        return Ok(Value::Object(serde_json::Map::new()));
    }
    match serde_json::from_str::<Value>(arguments) {
        Ok(value @ Value::Object(_)) => Ok(value),
        Ok(other) => Err(format!(
            "the arguments of an MCP tool must be a JSON object, not `{other}`"
        )),
        Err(error) => Err(format!(
            "failed to parse the arguments: {error}; send a JSON object that matches the tool's schema"
        )),
    }
}

fn details(server: &str, tool: &str, arguments: Value) -> ItemDetails {
    ItemDetails::McpToolCall {
        server: server.to_string(),
        tool: tool.to_string(),
        arguments,
        result: None,
        error: None,
        status: McpCallStatus::InProgress,
    }
}

/// Complete `item` as failed with `error` (or, for `Ok`, as nothing).
fn finish(context: ToolContext<'_>, turn_id: &str, item: Item, outcome: Result<(), String>) {
    let error = outcome.err().map(|message| McpCallError { message });
    finish_with(context, turn_id, item, None, error, McpCallStatus::Failed);
}

fn finish_with(
    context: ToolContext<'_>,
    turn_id: &str,
    mut item: Item,
    result: Option<McpCallResult>,
    error: Option<McpCallError>,
    final_status: McpCallStatus,
) {
    if let ItemDetails::McpToolCall {
        result: item_result,
        error: item_error,
        status,
        ..
    } = &mut item.details
    {
        *item_result = result;
        *item_error = error;
        *status = final_status;
    }
    context
        .services
        .events
        .send(Some(turn_id), EventMsg::ItemCompleted { item });
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn the_approval_table() {
        use ApprovalPolicy::*;
        use McpApprovalMode::*;
        use SandboxMode::*;
        let decide = |mode, read_only, policy, sandbox| match gate(
            mode, read_only, policy, sandbox, "s", "t",
        ) {
            Gate::Run => "run",
            Gate::Ask => "ask",
            Gate::Decline(_) => "decline",
        };
        for policy in [Untrusted, OnFailure, OnRequest, Never] {
            assert_eq!(decide(Approve, false, policy, ReadOnly), "run");
            assert_eq!(
                decide(Auto, true, policy, WorkspaceWrite),
                "run",
                "read-only"
            );
        }
        assert_eq!(decide(Auto, false, OnRequest, WorkspaceWrite), "ask");
        assert_eq!(decide(Auto, false, Untrusted, DangerFullAccess), "ask");
        assert_eq!(decide(Auto, false, Never, WorkspaceWrite), "decline");
        assert_eq!(decide(Auto, false, Never, DangerFullAccess), "run");
        assert_eq!(decide(Prompt, true, OnRequest, ReadOnly), "ask");
        assert_eq!(decide(Prompt, true, Never, DangerFullAccess), "decline");
        assert_eq!(
            gate(Auto, false, Never, ReadOnly, "docs", "write"),
            Gate::Decline("MCP tool call requires approval, but approval policy is never; the user can allow it with `mcp_servers.docs.tools.write.approval_mode = \"approve\"` (or `default_tools_approval_mode = \"approve\"` for every tool of `docs`)".into())
        );
    }
}
