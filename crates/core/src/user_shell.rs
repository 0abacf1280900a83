//! Commands the user runs themselves (`Op::RunUserShellCommand`, the TUI's
//! `!cmd`): one command as a turn of its own, without a model request.
//!
//! It goes through the same spawn path as the model's `exec_command` (the
//! session's sandbox policy and backend, the filtered login environment,
//! the process table that an interrupt clears), shows as a
//! `command_execution` item, and leaves one user message in the history
//! that tells the model what was run and what it printed, so the next turn
//! can use it. No approval is asked: the user typed the command. Not here:
//! escalation or re-running outside the sandbox (a command the sandbox
//! blocks fails like any other).

use crate::process::{ExecError, ExecOutput, ExecRequest};
use crate::session::TurnResult;
use crate::tools::shell::{command_item, display_command, output_sink};
use crate::turn::TurnContext;
use duet_model::ResponseItem;
use duet_protocol::{
    AbortReason, CommandStatus, ErrorInfo, EventMsg, Item, ItemDetails, TurnCompleted, Usage,
};
use duet_store::{TurnRecord, TurnStatus};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long a user command may run before it is left running in the
/// background; in practice it runs until it exits or is interrupted.
const USER_COMMAND_YIELD: Duration = Duration::from_secs(24 * 60 * 60);
/// Output kept for the model, in bytes; the middle of longer output is cut.
const MAX_OUTPUT_FOR_MODEL: usize = 40_000;

/// The input of one user command; the history comes back in [`TurnResult`].
pub(crate) struct ShellInput {
    pub turn_id: String,
    pub command: String,
    pub history: Vec<ResponseItem>,
    /// How many of `history`'s items are already in the store.
    pub saved: usize,
    /// Thread-cumulative usage (a user command adds none).
    pub usage: Usage,
    /// How full the context is; passed through (no model request is made).
    pub context_tokens: u64,
}

pub(crate) async fn run_user_shell_command(
    context: Arc<TurnContext>,
    input: ShellInput,
    cancel: CancellationToken,
) -> TurnResult {
    let ShellInput {
        turn_id,
        command,
        mut history,
        saved,
        usage,
        context_tokens,
    } = input;
    let send = |msg: EventMsg| context.events.send(Some(&turn_id), msg);
    send(EventMsg::TurnStarted);
    let started_at_ms = crate::session::now_ms();
    context
        .recorder
        .turn_started(&turn_id, started_at_ms, &format!("!{command}"));
    if history.is_empty() {
        // The model's next turn must still open with the usual context.
        history.extend(crate::context::initial_context(
            &context.config,
            &context.shell,
            |message| send(EventMsg::Warning { message }),
        ));
    }

    let command_line = display_command(&context.shell, true, &command);
    let env = match context.login_env(&turn_id).await {
        Some(env) => env,
        None => Arc::clone(&context.plain_env),
    };
    let request = ExecRequest {
        command: command.clone(),
        workdir: context.config.cwd.clone(),
        shell: context.shell.clone(),
        login: false,
        yield_time: USER_COMMAND_YIELD,
        policy: context.sandbox_policy.clone(),
        backend: context.config.sandbox_backend,
        env,
    };
    let item_id = context.events.item_id();
    send(EventMsg::ItemStarted {
        item: command_item(&item_id, &command_line, None, None),
    });
    let result = context
        .processes
        .exec_command(request, output_sink(&context, &turn_id, &item_id), &cancel)
        .await;
    let (status, error) = match result {
        Ok(output) => {
            let item = command_item(
                &item_id,
                &command_line,
                output.exit_code,
                Some(&output.aggregated_output),
            );
            send(EventMsg::ItemCompleted { item });
            history.push(ResponseItem::user_text(model_text(&command, &output)));
            send(EventMsg::TurnCompleted(TurnCompleted {
                usage,
                turn_usage: Usage::default(),
                last_agent_message: None,
            }));
            (TurnStatus::Completed, None)
        }
        Err(ExecError::Cancelled) => {
            context.processes.kill_all().await;
            send(EventMsg::ItemCompleted {
                item: not_run(&item_id, &command_line, CommandStatus::Failed),
            });
            send(EventMsg::TurnAborted {
                reason: AbortReason::Interrupted,
            });
            (TurnStatus::Interrupted, None)
        }
        Err(error) => {
            let message = format!("cannot run `{command}`: {error}");
            send(EventMsg::ItemCompleted {
                item: not_run(&item_id, &command_line, CommandStatus::Declined),
            });
            send(EventMsg::Error {
                message: message.clone(),
            });
            send(EventMsg::TurnFailed {
                error: ErrorInfo {
                    message: message.clone(),
                },
            });
            (TurnStatus::Failed, Some(message))
        }
    };
    context
        .recorder
        .history(&turn_id, history.get(saved..).unwrap_or_default());
    TurnResult {
        history,
        usage,
        context_tokens,
        compacted: false,
        record: TurnRecord {
            thread_id: context.thread_id.clone(),
            turn_id,
            status,
            error,
            started_at_ms,
            ended_at_ms: Some(crate::session::now_ms()),
            usage: duet_store::UsageTotals::default(),
        },
    }
}

fn not_run(item_id: &str, command_line: &str, status: CommandStatus) -> Item {
    Item {
        id: item_id.to_string(),
        details: ItemDetails::CommandExecution {
            command: command_line.to_string(),
            aggregated_output: String::new(),
            exit_code: None,
            status,
        },
    }
}

/// The user message that tells the model what the user ran.
pub(crate) fn model_text(command: &str, output: &ExecOutput) -> String {
    let exit = output
        .exit_code
        .map_or_else(|| "still running".to_string(), |code| code.to_string());
    format!(
        "<user_shell_command>\n<command>\n{command}\n</command>\n<result>\nExit code: {exit}\n\
         Duration: {:.4} seconds\nOutput:\n{}\n</result>\n</user_shell_command>",
        output.wall_time.as_secs_f64(),
        middle_cut(&output.aggregated_output, MAX_OUTPUT_FOR_MODEL)
    )
}

/// `text` cut to about `budget` bytes: its head and tail, the middle replaced
/// by a line saying how much was left out.
fn middle_cut(text: &str, budget: usize) -> String {
    if text.len() <= budget {
        return text.to_string();
    }
    let mut head_end = budget / 2;
    while !text.is_char_boundary(head_end) {
        head_end -= 1;
    }
    let mut tail_start = text.len() - budget / 2;
    while !text.is_char_boundary(tail_start) {
        tail_start += 1;
    }
    format!(
        "{}\n…{} bytes omitted…\n{}",
        &text[..head_end],
        tail_start - head_end,
        &text[tail_start..]
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn the_model_reads_the_command_and_its_output() {
        let output = ExecOutput {
            chunk_id: "abcdef".to_string(),
            wall_time: Duration::from_millis(1500),
            exit_code: Some(2),
            session_id: None,
            output: "no such file\n".to_string(),
            aggregated_output: "no such file\n".to_string(),
            original_token_count: 4,
            original_line_count: 1,
        };
        assert_eq!(
            model_text("ls missing", &output),
            "<user_shell_command>\n<command>\nls missing\n</command>\n<result>\nExit code: 2\n\
             Duration: 1.5000 seconds\nOutput:\nno such file\n\n</result>\n</user_shell_command>"
        );
    }

    #[test]
    fn long_output_keeps_its_head_and_tail() {
        assert_eq!(middle_cut("short", 10), "short");
        assert_eq!(
            middle_cut("aaaébbbbbbbcccc", 8),
            "aaa\n…9 bytes omitted…\ncccc"
        );
    }
}
