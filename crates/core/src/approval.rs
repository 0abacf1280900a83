//! Approvals are data: the turn emits a request event and waits for the
//! front end's answer op, or for the turn to be cancelled.
//!
//! "Approved for the session" is remembered in memory only. "Approved and
//! save the rule" on a command appends the request's `proposed_rule` to
//! `$DUET_HOME/rules/default.rules` and to the session's policy
//! (`crate::rules`), so later commands with that prefix are not asked about.

use crate::services::{ToolContext, TurnError};
use duet_protocol::{
    EventMsg, ExecApprovalRequest, McpApprovalRequest, PatchApprovalRequest, ReviewDecision,
};
use std::path::{Path, PathBuf};
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

/// A question about one command.
pub(crate) struct ExecAsk<'a> {
    /// As shown to the user (`/bin/bash -lc '…'`).
    pub command: &'a str,
    pub cwd: &'a Path,
    pub justification: Option<String>,
    /// What "approve and save the rule" would save; `None` when nothing may
    /// be saved.
    pub proposed_rule: Option<Vec<String>>,
}

/// Ask the user whether a command may run; `Ok(true)` when approved.
/// `Abort` stops the turn.
pub(crate) async fn request_exec_approval(
    context: ToolContext<'_>,
    turn_id: &str,
    request: ExecAsk<'_>,
    cancel: &CancellationToken,
) -> Result<bool, TurnError> {
    let keys = vec![format!("exec:{}", request.command)];
    let proposed_rule = request.proposed_rule.clone();
    let decision = ask(context, turn_id, &keys, cancel, |call_id| {
        EventMsg::ExecApprovalRequest(ExecApprovalRequest {
            call_id,
            command: request.command.to_string(),
            cwd: request.cwd.to_path_buf(),
            justification: request.justification,
            proposed_rule: request.proposed_rule,
        })
    })
    .await?;
    if decision == ReviewDecision::ApprovedAndSaveRule
        && let Some(prefix) = proposed_rule
    {
        if let Err(message) = crate::rules::save_allow_rule(
            &context.settings.config,
            &context.services.exec_policy,
            &prefix,
        ) {
            context
                .services
                .events
                .send(Some(turn_id), EventMsg::Warning { message });
        }
        return Ok(true);
    }
    Ok(settle(context, keys, decision))
}

/// Ask the user whether a patch may write `outside` (paths beyond the
/// writable roots). "For the session" covers later patches to those paths.
pub(crate) async fn request_patch_approval(
    context: ToolContext<'_>,
    turn_id: &str,
    request: PatchApprovalRequest,
    outside: &[PathBuf],
    cancel: &CancellationToken,
) -> Result<bool, TurnError> {
    let keys: Vec<String> = outside
        .iter()
        .map(|path| format!("patch:{}", path.display()))
        .collect();
    let decision = ask(context, turn_id, &keys, cancel, |call_id| {
        EventMsg::PatchApprovalRequest(PatchApprovalRequest { call_id, ..request })
    })
    .await?;
    Ok(settle(context, keys, decision))
}

/// Ask the user whether the model may call MCP tool `tool` of `server`
/// with `arguments`. "For the session" covers later calls of that tool.
pub(crate) async fn request_mcp_approval(
    context: ToolContext<'_>,
    turn_id: &str,
    server: &str,
    tool: &str,
    arguments: &serde_json::Value,
    cancel: &CancellationToken,
) -> Result<bool, TurnError> {
    let keys = vec![format!("mcp:{server}:{tool}")];
    let decision = ask(context, turn_id, &keys, cancel, |call_id| {
        EventMsg::McpApprovalRequest(McpApprovalRequest {
            call_id,
            server: server.to_string(),
            tool: tool.to_string(),
            arguments: arguments.clone(),
        })
    })
    .await?;
    Ok(settle(context, keys, decision))
}

/// Whether `decision` approves; an answer that covers the session (a rule
/// to save where there is none counts as one) remembers `keys`.
fn settle(context: ToolContext<'_>, keys: Vec<String>, decision: ReviewDecision) -> bool {
    match decision {
        ReviewDecision::Approved => true,
        ReviewDecision::ApprovedForSession | ReviewDecision::ApprovedAndSaveRule => {
            if let Ok(mut approved) = context.services.approved_for_session.lock() {
                approved.extend(keys);
            }
            true
        }
        ReviewDecision::Denied | ReviewDecision::Abort => false,
    }
}

/// The shared exchange. `keys` name what an "approved for the session"
/// answer covers; when all of them were approved before, nobody is asked
/// and the answer is `Approved`. `Abort` and cancellation stop the turn.
async fn ask(
    context: ToolContext<'_>,
    turn_id: &str,
    keys: &[String],
    cancel: &CancellationToken,
    request: impl FnOnce(String) -> EventMsg,
) -> Result<ReviewDecision, TurnError> {
    let already = context
        .services
        .approved_for_session
        .lock()
        .map(|approved| keys.iter().all(|key| approved.contains(key)))
        .unwrap_or(false);
    if already {
        return Ok(ReviewDecision::Approved);
    }
    let call_id = context.services.events.item_id();
    let (answer_tx, answer_rx) = oneshot::channel();
    if let Ok(mut pending) = context.services.pending_approvals.lock() {
        pending.insert(call_id.clone(), answer_tx);
    }
    log::debug!("approval {call_id} asked");
    context
        .services
        .events
        .send(Some(turn_id), request(call_id.clone()));
    let decision = tokio::select! {
        _ = cancel.cancelled() => {
            if let Ok(mut pending) = context.services.pending_approvals.lock() {
                pending.remove(&call_id);
            }
            return Err(TurnError::Cancelled);
        }
        answer = answer_rx => answer.unwrap_or(ReviewDecision::Denied),
    };
    log::info!("approval {call_id} answered {decision:?}");
    match decision {
        ReviewDecision::Abort => Err(TurnError::Cancelled),
        other => Ok(other),
    }
}
