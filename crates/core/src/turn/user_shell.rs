//! Commands the user runs themselves (`Op::RunUserShellCommand`, the TUI's
//! `!cmd`): one command as a turn of its own ([`super::Work::Shell`]),
//! without a model request.
//!
//! It goes through the same spawn path as the model's `exec_command` (the
//! session's sandbox policy and backend, the filtered login environment,
//! the process table that an interrupt clears), shows as a
//! `command_execution` item, and leaves one user message in the history
//! that tells the model what was run and what it printed, so the next turn
//! can use it. No approval is asked: the user typed the command. Not here:
//! escalation or re-running outside the sandbox (a command the sandbox
//! blocks fails like any other).

use super::Turn;
use crate::process::{ExecError, ExecOutput, ExecRequest};
use crate::services::{ToolContext, TurnError};
use crate::tools::shell::{command_item, display_command, output_sink};
use duet_model::ResponseItem;
use duet_protocol::{CommandStatus, EventMsg, Item, ItemDetails};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long a user command may run before it is left running in the
/// background; in practice it runs until it exits or is interrupted.
const USER_COMMAND_YIELD: Duration = Duration::from_secs(24 * 60 * 60);
/// Output kept for the model, in bytes; the middle of longer output is cut.
const MAX_OUTPUT_FOR_MODEL: usize = 40_000;

impl Turn {
    /// Run `command` as the user typed it and leave what it printed in the
    /// history for the model. The turn's end (completed, interrupted,
    /// failed) is reported by `finish` like any other turn's.
    pub(super) async fn user_shell(
        &mut self,
        history: &mut Vec<ResponseItem>,
        command: &str,
        cancel: &CancellationToken,
    ) -> Result<(), TurnError> {
        if history.is_empty() {
            // The model's next turn must still open with the usual context.
            self.open_thread(history);
        }
        let services = Arc::clone(&self.services);
        let command_line = display_command(&services.shell, true, command);
        let env = match services.login_env(&self.turn_id).await {
            Some(env) => env,
            None => Arc::clone(&services.plain_env),
        };
        let request = ExecRequest {
            command: command.to_string(),
            workdir: self.settings.config.cwd.clone(),
            shell: services.shell.clone(),
            login: false,
            yield_time: USER_COMMAND_YIELD,
            sandbox: self.settings.sandbox.clone(),
            env,
        };
        let item_id = services.events.item_id();
        self.send(EventMsg::ItemStarted {
            item: command_item(&item_id, &command_line, None, None),
        });
        let context = ToolContext {
            services: &services,
            settings: &self.settings,
        };
        let sink = output_sink(context, &self.turn_id, &item_id);
        match services.processes.exec_command(request, sink, cancel).await {
            Ok(output) => {
                let item = command_item(
                    &item_id,
                    &command_line,
                    output.exit_code,
                    Some(&output.aggregated_output),
                );
                self.send(EventMsg::ItemCompleted { item });
                history.push(ResponseItem::user_text(model_text(command, &output)));
                Ok(())
            }
            // `finish` kills what is left of the command.
            Err(ExecError::Cancelled) => {
                self.send(EventMsg::ItemCompleted {
                    item: not_run(&item_id, &command_line, CommandStatus::Failed),
                });
                Err(TurnError::Cancelled)
            }
            Err(error) => {
                self.send(EventMsg::ItemCompleted {
                    item: not_run(&item_id, &command_line, CommandStatus::Declined),
                });
                Err(TurnError::Fatal(format!("cannot run `{command}`: {error}")))
            }
        }
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
