//! `exec_command` and `write_stdin`: the glue between a tool call, the
//! process sessions in `crate::process`, and the `command_execution` items.

use crate::process::{
    ExecCommandArgs, ExecError, ExecOutput, ExecRequest, OutputSink, WriteStdinArgs,
};
use crate::services::{RunningCommand, ToolContext, TurnError};
use duet_model::FunctionCallOutput;
use duet_protocol::{CommandStatus, EventMsg, Item, ItemDetails};
use duet_sandbox::{Sandbox, SandboxError, SandboxPolicy};
use std::path::PathBuf;
use std::sync::Arc;
use tokio_util::sync::CancellationToken;

pub(super) async fn exec_command(
    context: ToolContext<'_>,
    turn_id: &str,
    arguments: &str,
    cancel: &CancellationToken,
) -> Result<FunctionCallOutput, TurnError> {
    let args: ExecCommandArgs = match super::call::parse_arguments("exec_command", arguments) {
        Ok(args) => args,
        Err(message) => return Ok(FunctionCallOutput::Text(message)),
    };
    let workdir = match &args.workdir {
        Some(dir) => context.settings.config.cwd.join(dir),
        None => context.settings.config.cwd.clone(),
    };
    // A patch typed as a shell command gets the same checks as the
    // `apply_patch` tool; anything else runs as a command, in the sandbox.
    if let Some(heredoc) = super::patch_guard::parse_heredoc_invocation(&args.cmd) {
        let patch_cwd = match &heredoc.cd {
            Some(dir) => workdir.join(dir),
            None => workdir.clone(),
        };
        let output =
            super::patch::apply_patch(context, turn_id, &heredoc.patch, &patch_cwd, cancel).await?;
        return Ok(FunctionCallOutput::Text(output));
    }
    if args.cmd.trim_start().starts_with("*** Begin Patch") {
        return Ok(FunctionCallOutput::Text(
            "patch detected without explicit call to apply_patch: send it with the `apply_patch` \
             tool, or run `apply_patch <<'EOF'` … `EOF`"
                .to_string(),
        ));
    }
    let shell = args
        .shell
        .as_ref()
        .map(PathBuf::from)
        .unwrap_or_else(|| context.services.shell.clone());
    let command_line = display_command(&shell, args.login, &args.cmd);

    let shell_command = super::escalation::ShellCommand {
        shell: &shell,
        args: &args,
        command_line: &command_line,
        workdir: &workdir,
    };
    let policy =
        match super::escalation::before_run(context, turn_id, &shell_command, cancel).await? {
            super::escalation::Verdict::Run(policy) => policy,
            super::escalation::Verdict::Declined(reason) => {
                let item = Item {
                    id: context.services.events.item_id(),
                    details: ItemDetails::CommandExecution {
                        command: command_line.clone(),
                        aggregated_output: String::new(),
                        exit_code: None,
                        status: CommandStatus::Declined,
                    },
                };
                context
                    .services
                    .events
                    .send(Some(turn_id), EventMsg::ItemCompleted { item });
                return Ok(FunctionCallOutput::Text(reason));
            }
        };

    let run = Run {
        context,
        turn_id,
        args: &args,
        command_line: &command_line,
        workdir: &workdir,
        shell: &shell,
        cancel,
    };
    let first = run.run(policy.clone()).await?;
    // Under `on-failure`, a sandboxed command that looks blocked by the
    // sandbox may be run again without it, if the user agrees.
    if let Some(output) = &first.output
        && policy != SandboxPolicy::DangerFullAccess
        && super::escalation::offer_unsandboxed_retry(
            context,
            turn_id,
            output,
            &command_line,
            &workdir,
            cancel,
        )
        .await?
    {
        return Ok(run.run(SandboxPolicy::DangerFullAccess).await?.text);
    }
    Ok(first.text)
}

/// One command, ready to run under some policy.
struct Run<'a> {
    context: ToolContext<'a>,
    turn_id: &'a str,
    args: &'a ExecCommandArgs,
    command_line: &'a str,
    workdir: &'a std::path::Path,
    shell: &'a std::path::Path,
    cancel: &'a CancellationToken,
}

/// What a run produced: the tool output, and the process result when there is one.
struct RunOutcome {
    text: FunctionCallOutput,
    output: Option<ExecOutput>,
}

impl Run<'_> {
    async fn run(&self, policy: SandboxPolicy) -> Result<RunOutcome, TurnError> {
        let context = self.context;
        // A login shell costs a profile load per call; the captured login
        // environment gives the same variables for one plain spawn. Only when
        // capture failed does the command run as a real login shell.
        let (env, login) = match (
            self.args.login,
            context.services.login_env(self.turn_id).await,
        ) {
            (true, Some(captured)) => (captured, false),
            (true, None) => (Arc::clone(&context.services.plain_env), true),
            (false, _) => (Arc::clone(&context.services.plain_env), false),
        };
        let request = ExecRequest {
            command: self.args.cmd.clone(),
            workdir: self.workdir.to_path_buf(),
            shell: self.shell.to_path_buf(),
            login,
            yield_time: self.args.yield_time(),
            sandbox: Sandbox {
                policy,
                ..context.settings.sandbox.clone()
            },
            env,
        };
        let item_id = context.services.events.item_id();
        context.services.events.send(
            Some(self.turn_id),
            EventMsg::ItemStarted {
                item: command_item(&item_id, self.command_line, None, None),
            },
        );
        let result = context
            .services
            .processes
            .exec_command(
                request,
                output_sink(context, self.turn_id, &item_id),
                self.cancel,
            )
            .await;
        match &result {
            Ok(output) => log::info!(
                "command `{}` {} after {} ms",
                self.command_line,
                output.exit_code.map_or_else(
                    || "still running".to_string(),
                    |code| format!("exited {code}")
                ),
                output.wall_time.as_millis()
            ),
            Err(error) => log::warn!("command `{}` did not run: {error}", self.command_line),
        }
        let output = result.as_ref().ok().cloned();
        let text = finish(
            context,
            self.turn_id,
            &item_id,
            self.command_line,
            result,
            self.args.max_output_tokens(),
        )?;
        Ok(RunOutcome { text, output })
    }
}

pub(super) async fn write_stdin(
    context: ToolContext<'_>,
    turn_id: &str,
    arguments: &str,
    cancel: &CancellationToken,
) -> Result<FunctionCallOutput, TurnError> {
    let args: WriteStdinArgs = match super::call::parse_arguments("write_stdin", arguments) {
        Ok(args) => args,
        Err(message) => return Ok(FunctionCallOutput::Text(message)),
    };
    let max_output_tokens = args.max_output_tokens();
    let result = context
        .services
        .processes
        .write_stdin(args.session_id, &args.chars, args.yield_time(), cancel)
        .await;
    let running = context
        .services
        .running_commands
        .lock()
        .ok()
        .and_then(|running| running.get(&args.session_id).cloned());
    match running {
        Some(RunningCommand { item_id, command }) => finish(
            context,
            turn_id,
            &item_id,
            &command,
            result,
            max_output_tokens,
        ),
        None => match result {
            Ok(output) => Ok(FunctionCallOutput::Text(
                output.to_model_text(max_output_tokens),
            )),
            Err(ExecError::Cancelled) => Err(TurnError::Cancelled),
            Err(error) => Ok(FunctionCallOutput::Text(error.to_string())),
        },
    }
}

/// Turn the result of a process call into the tool output and item events.
fn finish(
    context: ToolContext<'_>,
    turn_id: &str,
    item_id: &str,
    command_line: &str,
    result: Result<ExecOutput, ExecError>,
    max_output_tokens: usize,
) -> Result<FunctionCallOutput, TurnError> {
    match result {
        Ok(output) => {
            match (output.exit_code, output.session_id) {
                (Some(exit_code), _) => {
                    if let Some(session_id) = output.session_id
                        && let Ok(mut running) = context.services.running_commands.lock()
                    {
                        running.remove(&session_id);
                    }
                    let item = command_item(
                        item_id,
                        command_line,
                        Some(exit_code),
                        Some(&output.aggregated_output),
                    );
                    context
                        .services
                        .events
                        .send(Some(turn_id), EventMsg::ItemCompleted { item });
                }
                (None, Some(session_id)) => {
                    if let Ok(mut running) = context.services.running_commands.lock() {
                        running.insert(
                            session_id,
                            RunningCommand {
                                item_id: item_id.to_string(),
                                command: command_line.to_string(),
                            },
                        );
                    }
                }
                (None, None) => {}
            }
            Ok(FunctionCallOutput::Text(
                output.to_model_text(max_output_tokens),
            ))
        }
        Err(ExecError::Cancelled) => Err(TurnError::Cancelled),
        Err(ExecError::Sandbox(error @ SandboxError::Unenforceable { .. })) => {
            // The host cannot confine the command: not something the model can
            // fix, so the turn stops and the user is told how to proceed.
            let message = error.to_string();
            let item = Item {
                id: item_id.to_string(),
                details: ItemDetails::CommandExecution {
                    command: command_line.to_string(),
                    // The turn's error says why; the item only records that it was not run.
                    aggregated_output: String::new(),
                    exit_code: None,
                    status: CommandStatus::Declined,
                },
            };
            context
                .services
                .events
                .send(Some(turn_id), EventMsg::ItemCompleted { item });
            Err(TurnError::Fatal(message))
        }
        Err(error) => {
            let message = error.to_string();
            let item = Item {
                id: item_id.to_string(),
                details: ItemDetails::CommandExecution {
                    command: command_line.to_string(),
                    aggregated_output: message.clone(),
                    exit_code: None,
                    status: CommandStatus::Failed,
                },
            };
            context
                .services
                .events
                .send(Some(turn_id), EventMsg::ItemCompleted { item });
            Ok(FunctionCallOutput::Text(format!(
                "failed to run the command: {message}"
            )))
        }
    }
}

pub(crate) fn command_item(
    item_id: &str,
    command_line: &str,
    exit_code: Option<i32>,
    output: Option<&str>,
) -> Item {
    let status = match exit_code {
        None => CommandStatus::InProgress,
        Some(0) => CommandStatus::Completed,
        Some(_) => CommandStatus::Failed,
    };
    Item {
        id: item_id.to_string(),
        details: ItemDetails::CommandExecution {
            command: command_line.to_string(),
            aggregated_output: output.unwrap_or_default().to_string(),
            exit_code,
            status,
        },
    }
}

pub(crate) fn output_sink(context: ToolContext<'_>, turn_id: &str, item_id: &str) -> OutputSink {
    let events = context.services.events.clone();
    let turn_id = turn_id.to_string();
    let item_id = item_id.to_string();
    Arc::new(move |chunk: &[u8]| {
        events.send(
            Some(&turn_id),
            EventMsg::CommandOutputDelta {
                item_id: item_id.clone(),
                chunk: String::from_utf8_lossy(chunk).into_owned(),
            },
        );
    })
}

/// The command as the user would type it: `/bin/bash -lc '<cmd>'`.
pub(crate) fn display_command(shell: &std::path::Path, login: bool, cmd: &str) -> String {
    let flag = if login { "-lc" } else { "-c" };
    format!("{} {flag} {}", shell.display(), shell_quote(cmd))
}

/// Quote for a POSIX shell: bare when safe, single quotes when possible,
/// else double quotes with `"`, `\`, `$` and `` ` `` escaped.
fn shell_quote(text: &str) -> String {
    let safe = |c: char| c.is_ascii_alphanumeric() || "-_./=:,+@%".contains(c);
    if !text.is_empty() && text.chars().all(safe) {
        return text.to_string();
    }
    if !text.contains('\'') {
        return format!("'{text}'");
    }
    let mut quoted = String::with_capacity(text.len() + 2);
    quoted.push('"');
    for c in text.chars() {
        if matches!(c, '"' | '\\' | '$' | '`') {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_like_a_shell_user_would() {
        let check = |cmd: &str, expected: &str| assert_eq!(shell_quote(cmd), expected, "{cmd}");
        check("ls", "ls");
        check("echo to-stderr >&2; exit 3", "'echo to-stderr >&2; exit 3'");
        check(
            r"printf 'alpha\nbeta' > notes.txt",
            r#""printf 'alpha\\nbeta' > notes.txt""#,
        );
        check("", "''");
        check("echo \"$HOME\"", "'echo \"$HOME\"'");
    }

    #[test]
    fn display_command_names_the_shell_and_flag() {
        assert_eq!(
            display_command(std::path::Path::new("/bin/bash"), true, "git status"),
            "/bin/bash -lc 'git status'"
        );
        assert_eq!(
            display_command(std::path::Path::new("/bin/sh"), false, "true"),
            "/bin/sh -c true"
        );
    }
}
