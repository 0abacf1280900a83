//! Approvals are data: the turn emits a request event and waits for the
//! front end's answer op, or for the turn to be cancelled.

use crate::turn::{TurnContext, TurnError};
use duet_protocol::{EventMsg, ExecApprovalRequest, ReviewDecision};
use std::path::Path;
use tokio::sync::oneshot;
use tokio_util::sync::CancellationToken;

/// Ask the user whether `command` may run; `Ok(true)` when approved.
/// `Abort` stops the turn.
pub(crate) async fn request_exec_approval(
    context: &TurnContext,
    turn_id: &str,
    command: &str,
    cwd: &Path,
    justification: Option<String>,
    cancel: &CancellationToken,
) -> Result<bool, TurnError> {
    let already = context
        .approved_for_session
        .lock()
        .map(|approved| approved.contains(command))
        .unwrap_or(false);
    if already {
        return Ok(true);
    }
    let call_id = context.events.item_id();
    let (answer_tx, answer_rx) = oneshot::channel();
    if let Ok(mut pending) = context.pending_approvals.lock() {
        pending.insert(call_id.clone(), answer_tx);
    }
    context.events.send(
        Some(turn_id),
        EventMsg::ExecApprovalRequest(ExecApprovalRequest {
            call_id: call_id.clone(),
            command: command.to_string(),
            cwd: cwd.to_path_buf(),
            justification,
        }),
    );
    let decision = tokio::select! {
        _ = cancel.cancelled() => {
            if let Ok(mut pending) = context.pending_approvals.lock() {
                pending.remove(&call_id);
            }
            return Err(TurnError::Cancelled);
        }
        answer = answer_rx => answer.unwrap_or(ReviewDecision::Denied),
    };
    match decision {
        ReviewDecision::Approved => Ok(true),
        ReviewDecision::ApprovedForSession => {
            if let Ok(mut approved) = context.approved_for_session.lock() {
                approved.insert(command.to_string());
            }
            Ok(true)
        }
        ReviewDecision::Denied => Ok(false),
        ReviewDecision::Abort => Err(TurnError::Cancelled),
    }
}
