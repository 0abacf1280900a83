//! When a command may run, and under which sandbox: one `exec_command` call
//! judged by the session's `.rules` and the approval policy before it runs
//! (the table is in `exec_decision.rs`), the question to the user when one
//! is needed, and under `on-failure` the offer to run a command again
//! without the sandbox after a sandboxed run that looks blocked.
//!
//! Commands that run without leaving the sandbox run in the turn's sandbox
//! whatever the rules say; only an approved escalation request (or the
//! `on-failure` re-run) runs one outside it.

use super::exec_decision::{self, Action};
use crate::approval::ExecAsk;
use crate::process::{ExecCommandArgs, ExecOutput, SandboxPermissions};
use crate::services::{ToolContext, TurnError};
use duet_execpolicy::{EvalOptions, Evaluation};
use duet_protocol::ApprovalPolicy;
use duet_sandbox::SandboxPolicy;
use std::path::{Path, PathBuf};
use tokio_util::sync::CancellationToken;

/// What to do with a command before it runs.
pub(super) enum Verdict {
    Run(SandboxPolicy),
    /// Not run; the text is the tool output for the model.
    Declined(String),
}

/// The command as the shell tool will run it, `[shell, "-lc", cmd]`.
pub(super) struct ShellCommand<'a> {
    pub shell: &'a Path,
    pub args: &'a ExecCommandArgs,
    /// As shown to the user.
    pub command_line: &'a str,
    pub workdir: &'a Path,
}

pub(super) async fn before_run(
    context: ToolContext<'_>,
    turn_id: &str,
    command: &ShellCommand<'_>,
    cancel: &CancellationToken,
) -> Result<Verdict, TurnError> {
    let sandbox = context.settings.sandbox.policy.clone();
    let approval = context.settings.config.approval_policy;
    let args = command.args;
    let wants_escalation = args.sandbox_permissions == SandboxPermissions::RequireEscalated
        && sandbox != SandboxPolicy::DangerFullAccess;
    let evaluation = evaluate(context, command);
    let judgement = exec_decision::judge(&evaluation);
    let escalate = match exec_decision::decide(approval, &judgement, wants_escalation) {
        Action::Run => return Ok(Verdict::Run(sandbox)),
        Action::Refuse(refusal) => {
            return Ok(Verdict::Declined(exec_decision::refusal_message(
                refusal, &judgement, &args.cmd,
            )));
        }
        Action::Ask { escalate } => escalate,
    };
    let ask = ExecAsk {
        command: command.command_line,
        cwd: command.workdir,
        justification: exec_decision::ask_justification(
            &judgement,
            &args.cmd,
            args.justification.clone(),
        ),
        // A saved `allow` rule would not stop the escalation question, so
        // none is offered then.
        proposed_rule: if escalate {
            None
        } else {
            evaluation.amendment()
        },
    };
    let approved = crate::approval::request_exec_approval(context, turn_id, ask, cancel).await?;
    Ok(match (approved, escalate) {
        (true, true) => Verdict::Run(SandboxPolicy::DangerFullAccess),
        (true, false) => Verdict::Run(sandbox),
        (false, true) => Verdict::Declined(
            "the user declined to run this command outside the sandbox".to_string(),
        ),
        (false, false) => Verdict::Declined("the user declined to run this command".to_string()),
    })
}

/// The session's rules applied to `[shell, "-lc", cmd]`, with the writable
/// roots the sandbox will enforce.
fn evaluate(context: ToolContext<'_>, command: &ShellCommand<'_>) -> Evaluation {
    let flag = if command.args.login { "-lc" } else { "-c" };
    let argv = [
        command.shell.to_string_lossy().into_owned(),
        flag.to_string(),
        command.args.cmd.clone(),
    ];
    let roots = rule_roots(&context.settings.sandbox.policy);
    let cwd = command
        .workdir
        .canonicalize()
        .unwrap_or_else(|_| command.workdir.to_path_buf());
    let options = EvalOptions {
        cwd: &cwd,
        writable_roots: &roots,
        unmatched: exec_decision::unmatched_decision(context.settings.config.approval_policy),
    };
    match context.services.exec_policy.read() {
        Ok(policy) => duet_execpolicy::evaluate(&policy, &argv, &options),
        Err(poisoned) => duet_execpolicy::evaluate(&poisoned.into_inner(), &argv, &options),
    }
}

/// Where the sandbox lets a command write: everywhere (`/`) without
/// confinement, else its resolved writable roots.
fn rule_roots(policy: &SandboxPolicy) -> Vec<PathBuf> {
    if *policy == SandboxPolicy::DangerFullAccess {
        return vec![PathBuf::from("/")];
    }
    crate::services::writable_roots(policy)
}

/// Under `on-failure`: when `output` looks like the sandbox stopped the
/// command, ask whether to run it again without the sandbox.
pub(super) async fn offer_unsandboxed_retry(
    context: ToolContext<'_>,
    turn_id: &str,
    output: &ExecOutput,
    command_line: &str,
    workdir: &Path,
    cancel: &CancellationToken,
) -> Result<bool, TurnError> {
    if context.settings.config.approval_policy != ApprovalPolicy::OnFailure
        || !likely_sandbox_denial(output)
    {
        return Ok(false);
    }
    let first_line = output.aggregated_output.lines().next().unwrap_or_default();
    let ask = ExecAsk {
        command: command_line,
        cwd: workdir,
        justification: Some(format!(
            "the command failed in the sandbox ({first_line}); run it again without the sandbox?"
        )),
        proposed_rule: None,
    };
    crate::approval::request_exec_approval(context, turn_id, ask, cancel).await
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
