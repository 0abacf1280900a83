//! Approvals are data: the turn emits a request event and waits for the
//! front end's answer op, or for the turn to be cancelled.

use crate::turn::{TurnContext, TurnError};
use duet_protocol::{EventMsg, ExecApprovalRequest, PatchApprovalRequest, ReviewDecision};
use std::path::{Path, PathBuf};
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
    let keys = vec![format!("exec:{command}")];
    ask(context, turn_id, keys, cancel, |call_id| {
        EventMsg::ExecApprovalRequest(ExecApprovalRequest {
            call_id,
            command: command.to_string(),
            cwd: cwd.to_path_buf(),
            justification,
        })
    })
    .await
}

/// Ask the user whether a patch may write `outside` (paths beyond the
/// writable roots). "For the session" covers later patches to those paths.
pub(crate) async fn request_patch_approval(
    context: &TurnContext,
    turn_id: &str,
    request: PatchApprovalRequest,
    outside: &[PathBuf],
    cancel: &CancellationToken,
) -> Result<bool, TurnError> {
    let keys = outside
        .iter()
        .map(|path| format!("patch:{}", path.display()))
        .collect();
    ask(context, turn_id, keys, cancel, |call_id| {
        EventMsg::PatchApprovalRequest(PatchApprovalRequest { call_id, ..request })
    })
    .await
}

/// The shared exchange. `keys` name what an "approved for the session"
/// answer covers; when all of them were approved before, nobody is asked.
async fn ask(
    context: &TurnContext,
    turn_id: &str,
    keys: Vec<String>,
    cancel: &CancellationToken,
    request: impl FnOnce(String) -> EventMsg,
) -> Result<bool, TurnError> {
    let already = context
        .approved_for_session
        .lock()
        .map(|approved| keys.iter().all(|key| approved.contains(key)))
        .unwrap_or(false);
    if already {
        return Ok(true);
    }
    let call_id = context.events.item_id();
    let (answer_tx, answer_rx) = oneshot::channel();
    if let Ok(mut pending) = context.pending_approvals.lock() {
        pending.insert(call_id.clone(), answer_tx);
    }
    context.events.send(Some(turn_id), request(call_id.clone()));
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
                approved.extend(keys);
            }
            Ok(true)
        }
        ReviewDecision::Denied => Ok(false),
        ReviewDecision::Abort => Err(TurnError::Cancelled),
    }
}
