//! `apply_patch`: the freeform tool, its JSON-function twin, and heredoc
//! patches sent through `exec_command`, all through one path:
//! parse → check every touched path against the writable roots (asking the
//! user when the policy allows it) → verify every hunk and compute the diffs
//! → apply atomically → `file_change` item and the tool output.
//!
//! Patches are applied by duet itself, not by a child process, so the
//! writable-roots check here is what confines them.

use super::patch_guard::{paths_outside_writable_roots, write_scope};
use crate::services::{ToolContext, TurnError};
use duet_apply_patch::{AppliedChange, ChangeKind};
use duet_protocol::{
    EventMsg, FileChange, FileChangeKind, Item, ItemDetails, PatchApprovalRequest, PatchStatus,
};
use duet_sandbox::SandboxPolicy;
use std::path::{Path, PathBuf};
use std::time::Instant;
use tokio_util::sync::CancellationToken;

/// Apply `patch_text` with relative paths resolved against `cwd`, and return
/// the text the model gets back.
pub(crate) async fn apply_patch(
    context: ToolContext<'_>,
    turn_id: &str,
    patch_text: &str,
    cwd: &Path,
    cancel: &CancellationToken,
) -> Result<String, TurnError> {
    let started = Instant::now();
    let patch = match duet_apply_patch::parse_patch(patch_text) {
        Ok(patch) => patch,
        Err(error) => return Ok(format!("apply_patch verification failed: {error}")),
    };
    let affected = duet_apply_patch::affected_paths(&patch, cwd);
    let roots = writable_roots(context);
    let outside = paths_outside_writable_roots(&affected, roots.as_deref());

    // Verify before asking, so the user approves the real diff and a patch
    // that cannot apply is not put to them at all.
    let plan = {
        let (patch, cwd) = (patch.clone(), cwd.to_path_buf());
        match tokio::task::spawn_blocking(move || duet_apply_patch::plan(&patch, &cwd)).await {
            Ok(Ok(plan)) => plan,
            Ok(Err(error)) => return Ok(format!("apply_patch verification failed: {error}")),
            Err(join_error) => {
                return Err(TurnError::Fatal(format!(
                    "internal error: verifying a patch failed: {join_error}"
                )));
            }
        }
    };
    let changes: Vec<FileChange> = plan.changes().iter().map(file_change).collect();

    if !outside.is_empty() {
        let listed = outside
            .iter()
            .map(|path| format!("`{}`", path.display()))
            .collect::<Vec<_>>();
        if context.settings.config.approval_policy == duet_protocol::ApprovalPolicy::Never {
            return Ok(format!(
                "patch rejected: it writes outside the writable roots ({}); the sandbox is `{}` and \
                 the approval policy is `never`, so nothing was changed. Keep edits inside the \
                 workspace",
                listed.join(", "),
                context.settings.config.sandbox_mode
            ));
        }
        let approved = crate::approval::request_patch_approval(
            context,
            turn_id,
            PatchApprovalRequest {
                call_id: String::new(),
                changes: changes.clone(),
                justification: Some(format!(
                    "the patch writes outside the writable roots: {}",
                    listed.join(", ")
                )),
            },
            &outside,
            cancel,
        )
        .await?;
        if !approved {
            return Ok("the user declined this patch; nothing was changed".to_string());
        }
    }

    let item_id = context.services.events.item_id();
    let item = |changes: Vec<FileChange>, status| Item {
        id: item_id.clone(),
        details: ItemDetails::FileChange { changes, status },
    };
    let summary_of_kinds: Vec<FileChange> = changes
        .iter()
        .map(|change| FileChange {
            diff: None,
            ..change.clone()
        })
        .collect();
    context.services.events.send(
        Some(turn_id),
        EventMsg::ItemStarted {
            item: item(summary_of_kinds, PatchStatus::InProgress),
        },
    );
    // The check above judged the paths as they were; the commit judges each
    // real location again as it writes, through directory handles, so a
    // command running meanwhile cannot redirect it. A patch the user
    // approved may also write the files it was approved for, and no others.
    let scope = roots.map(|roots| write_scope(&roots).with_files(&outside));
    let committed = tokio::task::spawn_blocking(move || match scope {
        Some(scope) => plan.commit_within(&scope),
        None => plan.commit(),
    })
    .await;
    let (status, output) = match committed {
        Ok(Ok(applied)) => (
            PatchStatus::Completed,
            tool_output(0, started, &applied.summary),
        ),
        Ok(Err(error)) => (
            PatchStatus::Failed,
            tool_output(1, started, &format!("{error}\n")),
        ),
        Err(join_error) => (
            PatchStatus::Failed,
            tool_output(
                1,
                started,
                &format!("internal error: applying the patch failed: {join_error}\n"),
            ),
        ),
    };
    context.services.events.send(
        Some(turn_id),
        EventMsg::ItemCompleted {
            item: item(changes, status),
        },
    );
    Ok(output)
}

/// The reference's shape of an `apply_patch` output.
fn tool_output(exit_code: i32, started: Instant, text: &str) -> String {
    format!(
        "Exit code: {exit_code}\nWall time: {:.1} seconds\nOutput:\n{text}",
        started.elapsed().as_secs_f64()
    )
}

fn file_change(change: &AppliedChange) -> FileChange {
    let (path, kind) = match &change.kind {
        ChangeKind::Add => (&change.path, FileChangeKind::Add),
        ChangeKind::Delete => (&change.path, FileChangeKind::Delete),
        ChangeKind::Update { move_path } => (
            move_path.as_ref().unwrap_or(&change.path),
            FileChangeKind::Update,
        ),
    };
    FileChange {
        path: path.display().to_string(),
        kind,
        diff: Some(change.unified_diff.clone()),
    }
}

/// `None`: every path is writable.
fn writable_roots(context: ToolContext<'_>) -> Option<Vec<PathBuf>> {
    match context.settings.sandbox.policy {
        SandboxPolicy::DangerFullAccess => None,
        SandboxPolicy::ReadOnly => Some(Vec::new()),
        SandboxPolicy::WorkspaceWrite { .. } => Some(crate::services::writable_roots(
            &context.settings.sandbox.policy,
        )),
    }
}
