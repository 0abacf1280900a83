//! Renderers of a stored thread for `duet sessions export`: JSONL of the
//! exact Responses items, and a Markdown transcript for people.
//!
//! Pure functions of a [`Transcript`]; writing them anywhere is the caller's.

use duet_core::sessions::{SearchRole, Transcript, TranscriptTurn, searchable_text};
use duet_protocol::{CommandStatus, ItemDetails};
use std::fmt::Write as _;

/// One line per history item, each the exact JSON the model saw, in order.
pub fn export_jsonl(transcript: &Transcript) -> String {
    let mut out = String::new();
    for item in transcript.turns.iter().flat_map(|turn| &turn.items) {
        out.push_str(&item.to_string());
        out.push('\n');
    }
    out
}

/// A Markdown transcript: a header with the thread's facts, then each turn
/// with the prompt, the agent's messages, commands with their output, file
/// changes and plans. Turns without displayed items (imported ones) are
/// drawn from their user and assistant messages.
pub fn export_markdown(transcript: &Transcript) -> String {
    let thread = &transcript.thread;
    let mut out = String::new();
    let title = thread
        .name
        .as_deref()
        .or(thread.title.as_deref())
        .unwrap_or("untitled session");
    line(&mut out, format_args!("# {title}\n"));
    line(&mut out, format_args!("- id: `{}`", thread.id));
    line(
        &mut out,
        format_args!("- directory: `{}`", thread.cwd.display()),
    );
    line(
        &mut out,
        format_args!("- model: `{}` ({})", thread.model, thread.provider),
    );
    line(
        &mut out,
        format_args!("- created: {}", time(thread.created_at_ms)),
    );
    if let Some(parent) = &thread.parent_thread_id {
        line(&mut out, format_args!("- forked from: `{parent}`"));
    }
    for (number, turn) in transcript.turns.iter().enumerate() {
        blank_line(&mut out);
        match &turn.record {
            Some(record) => line(
                &mut out,
                format_args!("## Turn {} {}\n", number + 1, record.status.as_str()),
            ),
            None => line(&mut out, format_args!("## Turn {}\n", number + 1)),
        }
        if turn.display.is_empty() {
            messages_of(&mut out, turn);
        } else {
            for item in &turn.display {
                details(&mut out, &item.details);
            }
        }
    }
    // Every block ends with a blank line; the file ends with its last line.
    while out.ends_with("\n\n") {
        out.pop();
    }
    out
}

/// Ends `out` with exactly one blank line (blocks already end with one).
fn blank_line(out: &mut String) {
    while !out.ends_with("\n\n") {
        out.push('\n');
    }
}

fn details(out: &mut String, details: &ItemDetails) {
    match details {
        ItemDetails::UserMessage { text } => block(out, "User", text),
        ItemDetails::AgentMessage { text } => block(out, "Agent", text),
        ItemDetails::Reasoning { text } => block(out, "Reasoning", text),
        ItemDetails::CommandExecution {
            command,
            aggregated_output,
            exit_code,
            status,
        } => {
            let outcome = match (status, exit_code) {
                (CommandStatus::Declined, _) => "declined".to_string(),
                (_, Some(code)) => format!("exit {code}"),
                (_, None) => "no exit code".to_string(),
            };
            line(out, format_args!("**Command** `{command}` ({outcome})\n"));
            fenced(out, aggregated_output);
        }
        ItemDetails::FileChange { changes, .. } => {
            line(out, format_args!("**Files changed**\n"));
            for change in changes {
                line(out, format_args!("- {:?} `{}`", change.kind, change.path));
            }
            out.push('\n');
        }
        ItemDetails::TodoList { items } => {
            line(out, format_args!("**Plan**\n"));
            for item in items {
                let mark = if item.completed { "x" } else { " " };
                line(out, format_args!("- [{mark}] {}", item.text));
            }
            out.push('\n');
        }
        ItemDetails::McpToolCall { server, tool, .. } => {
            line(out, format_args!("**Tool** `{server}.{tool}`\n"));
        }
        ItemDetails::WebSearch { query } => {
            line(out, format_args!("**Web search** {query}\n"));
        }
        ItemDetails::Error { message } => block(out, "Error", message),
        ItemDetails::ContextCompaction { summary, .. } => {
            let title = details.compaction_line().unwrap_or_default();
            line(out, format_args!("**{title}**\n"));
            for text in summary.lines() {
                line(out, format_args!("> {text}"));
            }
            out.push('\n');
        }
    }
}

/// Prompts and agent messages read from the Responses items.
fn messages_of(out: &mut String, turn: &TranscriptTurn) {
    for item in &turn.items {
        if let Some(found) = searchable_text(item) {
            match found.role {
                SearchRole::User => block(out, "User", &found.text),
                SearchRole::Agent => block(out, "Agent", &found.text),
                SearchRole::Command => {
                    line(out, format_args!("**Command** `{}`\n", found.text));
                }
            }
        }
    }
}

fn block(out: &mut String, label: &str, text: &str) {
    line(out, format_args!("**{label}**\n\n{}\n", text.trim_end()));
}

/// Output in a fence longer than any backtick run inside it.
fn fenced(out: &mut String, text: &str) {
    if text.trim().is_empty() {
        return;
    }
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    line(
        out,
        format_args!("{fence}text\n{}\n{fence}\n", text.trim_end()),
    );
}

fn line(out: &mut String, args: std::fmt::Arguments<'_>) {
    out.write_fmt(args)
        .expect("writing to a String cannot fail");
    out.push('\n');
}

fn time(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |at| at.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use duet_core::sessions::{ThreadRecord, TurnRecord, TurnStatus, UsageTotals};
    use duet_protocol::Item;
    use pretty_assertions::assert_eq;

    fn thread() -> ThreadRecord {
        ThreadRecord {
            id: "t1".to_string(),
            created_at_ms: 0,
            updated_at_ms: 0,
            cwd: "/repo".into(),
            model: "gpt-5.5".to_string(),
            provider: "openai".to_string(),
            sandbox_mode: "read-only".to_string(),
            approval_policy: "never".to_string(),
            name: None,
            title: Some("fix it".to_string()),
            archived: false,
            usage: UsageTotals::default(),
            parent_thread_id: None,
            fork_point: None,
            git_branch: None,
            git_commit: None,
            git_origin: None,
            source: "exec".to_string(),
        }
    }

    fn turn(turn_id: &str, record: bool, shown: Vec<ItemDetails>) -> TranscriptTurn {
        TranscriptTurn {
            turn_id: turn_id.to_string(),
            record: record.then(|| TurnRecord {
                thread_id: "t1".to_string(),
                turn_id: turn_id.to_string(),
                status: TurnStatus::Completed,
                error: None,
                started_at_ms: 0,
                ended_at_ms: Some(0),
                usage: UsageTotals::default(),
            }),
            items: Vec::new(),
            display: shown
                .into_iter()
                .enumerate()
                .map(|(index, details)| Item {
                    id: format!("item_{index}"),
                    details,
                })
                .collect(),
        }
    }

    fn user(text: &str) -> ItemDetails {
        ItemDetails::UserMessage {
            text: text.to_string(),
        }
    }

    fn agent(text: &str) -> ItemDetails {
        ItemDetails::AgentMessage {
            text: text.to_string(),
        }
    }

    #[test]
    fn markdown_separates_every_block_and_turn_by_one_blank_line() {
        let transcript = Transcript {
            thread: thread(),
            turns: vec![
                turn("a", true, vec![user("fix it"), agent("Fixed.\n")]),
                turn(
                    "b",
                    true,
                    vec![
                        user("and test it"),
                        ItemDetails::CommandExecution {
                            command: "cargo test".to_string(),
                            aggregated_output: "ok\n".to_string(),
                            exit_code: Some(0),
                            status: CommandStatus::Completed,
                        },
                    ],
                ),
                turn("c", false, vec![user("thanks")]),
            ],
        };
        assert_eq!(
            export_markdown(&transcript),
            "# fix it\n\n- id: `t1`\n- directory: `/repo`\n- model: `gpt-5.5` (openai)\n\
             - created: 1970-01-01T00:00:00Z\n\n\
             ## Turn 1 completed\n\n**User**\n\nfix it\n\n**Agent**\n\nFixed.\n\n\
             ## Turn 2 completed\n\n**User**\n\nand test it\n\n\
             **Command** `cargo test` (exit 0)\n\n```text\nok\n```\n\n\
             ## Turn 3\n\n**User**\n\nthanks\n"
        );
    }
}
