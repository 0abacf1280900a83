//! When a command may run, and under which sandbox: the approval policy
//! applied to one `exec_command` call, before it runs and (under
//! `on-failure`) after a sandboxed run that looks blocked.
//!
//! | policy | before running | after a likely sandbox denial |
//! | --- | --- | --- |
//! | `untrusted` | ask for every command (known-safe commands will skip this once execpolicy lands) | — |
//! | `on-failure` | run in the sandbox | ask to run it again without the sandbox |
//! | `on-request` | ask only when the model requests escalation | — |
//! | `never` | escalation requests are refused; the model is told why | — |

use crate::exec::{ExecCommandArgs, ExecOutput, SandboxPermissions};
use crate::turn::{TurnContext, TurnError};
use duet_protocol::ApprovalPolicy;
use duet_sandbox::SandboxPolicy;
use std::path::Path;
use tokio_util::sync::CancellationToken;

/// What to do with a command before it runs.
pub(super) enum Verdict {
    Run(SandboxPolicy),
    /// Not run; the text is the tool output for the model.
    Declined(String),
}

pub(super) async fn before_run(
    context: &TurnContext,
    turn_id: &str,
    args: &ExecCommandArgs,
    command_line: &str,
    workdir: &Path,
    cancel: &CancellationToken,
) -> Result<Verdict, TurnError> {
    let sandbox = context.sandbox_policy.clone();
    let policy = context.config.approval_policy;
    let wants_escalation = args.sandbox_permissions == SandboxPermissions::RequireEscalated
        && sandbox != SandboxPolicy::DangerFullAccess;

    if wants_escalation {
        if policy == ApprovalPolicy::Never {
            return Ok(Verdict::Declined(
                "escalation rejected: the approval policy is `never`, so commands cannot run \
                 outside the sandbox; do the task within the sandbox's limits"
                    .to_string(),
            ));
        }
        let approved = crate::approval::request_exec_approval(
            context,
            turn_id,
            command_line,
            workdir,
            args.justification.clone(),
            cancel,
        )
        .await?;
        return Ok(if approved {
            Verdict::Run(SandboxPolicy::DangerFullAccess)
        } else {
            Verdict::Declined(
                "the user declined to run this command outside the sandbox".to_string(),
            )
        });
    }

    if policy == ApprovalPolicy::Untrusted {
        let approved = crate::approval::request_exec_approval(
            context,
            turn_id,
            command_line,
            workdir,
            args.justification.clone(),
            cancel,
        )
        .await?;
        if !approved {
            return Ok(Verdict::Declined(
                "the user declined to run this command".to_string(),
            ));
        }
    }
    Ok(Verdict::Run(sandbox))
}

/// Under `on-failure`: when `output` looks like the sandbox stopped the
/// command, ask whether to run it again without the sandbox.
pub(super) async fn offer_unsandboxed_retry(
    context: &TurnContext,
    turn_id: &str,
    output: &ExecOutput,
    command_line: &str,
    workdir: &Path,
    cancel: &CancellationToken,
) -> Result<bool, TurnError> {
    if context.config.approval_policy != ApprovalPolicy::OnFailure || !likely_sandbox_denial(output)
    {
        return Ok(false);
    }
    let first_line = output.aggregated_output.lines().next().unwrap_or_default();
    crate::approval::request_exec_approval(
        context,
        turn_id,
        command_line,
        workdir,
        Some(format!(
            "the command failed in the sandbox ({first_line}); run it again without the sandbox?"
        )),
        cancel,
    )
    .await
}

/// Phrases a command prints when the sandbox, not the command, said no.
const DENIAL_MARKERS: [&str; 7] = [
    "operation not permitted",
    "permission denied",
    "read-only file system",
    "seccomp",
    "sandbox",
    "landlock",
    "bad system call",
];

/// A failed run whose output names a denial, or that died of SIGSYS (a
/// seccomp kill), is likely the sandbox's doing.
fn likely_sandbox_denial(output: &ExecOutput) -> bool {
    let Some(exit_code) = output.exit_code else {
        return false;
    };
    if exit_code == 0 {
        return false;
    }
    // 128 + SIGSYS (31).
    if exit_code == 159 {
        return true;
    }
    let text = output.aggregated_output.to_lowercase();
    DENIAL_MARKERS.iter().any(|marker| text.contains(marker))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn output(exit_code: Option<i32>, text: &str) -> ExecOutput {
        ExecOutput {
            chunk_id: "abcdef".to_string(),
            wall_time: Duration::ZERO,
            exit_code,
            session_id: None,
            output: text.to_string(),
            aggregated_output: text.to_string(),
            original_token_count: 0,
            original_line_count: 0,
        }
    }

    #[test]
    fn recognises_sandbox_denials() {
        let cases = [
            (
                Some(1),
                "touch: cannot touch '/etc/x': Read-only file system\n",
                true,
            ),
            (Some(1), "bash: /home/u/x: Permission denied\n", true),
            (Some(159), "", true),
            (Some(1), "error: test failed\n", false),
            (Some(0), "permission denied (but it worked)\n", false),
            (None, "Operation not permitted", false),
        ];
        for (exit_code, text, expected) in cases {
            assert_eq!(
                likely_sandbox_denial(&output(exit_code, text)),
                expected,
                "{text:?}"
            );
        }
    }
}
