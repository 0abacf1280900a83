//! Renderers of a stored thread for `duet sessions export`: JSONL of the
//! exact Responses items, and a Markdown transcript for people.
//!
//! Pure functions of a [`Transcript`]; writing them anywhere is the caller's.

use super::{Transcript, TranscriptTurn};
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
        let status = turn
            .record
            .as_ref()
            .map_or("", |record| record.status.as_str());
        line(
            &mut out,
            format_args!("\n## Turn {} {status}\n", number + 1),
        );
        if turn.display.is_empty() {
            messages_of(&mut out, turn);
        } else {
            for item in &turn.display {
                details(&mut out, &item.details);
            }
        }
    }
    out
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
    }
}

/// Prompts and agent messages read from the Responses items.
fn messages_of(out: &mut String, turn: &TranscriptTurn) {
    for item in &turn.items {
        let Ok(item) = serde_json::from_value::<duet_model::ResponseItem>(item.clone()) else {
            continue;
        };
        if let Some(found) = super::search_text(&item) {
            match found.role {
                duet_store::SearchRole::User => block(out, "User", &found.text),
                duet_store::SearchRole::Agent => block(out, "Agent", &found.text),
                duet_store::SearchRole::Command => {
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
