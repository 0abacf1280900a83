//! Text and JSON renderings of stored sessions for `duet sessions`,
//! `duet resume` and `duet fork`: the list table, search hits, a plain
//! transcript, and the stable JSON shape of a session.
//!
//! Pure functions of their arguments (the current time included); printing
//! is the caller's.

use duet_core::sessions::{SearchHit, ThreadRecord, ThreadSummary, Transcript};
use duet_protocol::{CommandStatus, ItemDetails};
use serde_json::{Value, json};
use std::fmt::Write as _;

/// How much of an id the table shows: the first 48 bits of a UUIDv7 are
/// its creation time in milliseconds, so this is unique in practice and a
/// valid prefix for every command.
const SHORT_ID_CHARS: usize = 13;
const TITLE_CHARS: usize = 50;
/// How many lines of a command's output a transcript shows.
const OUTPUT_LINES: usize = 6;

pub(crate) fn short_id(id: &str) -> &str {
    id.get(..SHORT_ID_CHARS).unwrap_or(id)
}

/// The name, else the title, else `untitled`.
pub(crate) fn label(thread: &ThreadRecord) -> String {
    thread
        .name
        .clone()
        .or_else(|| thread.title.clone())
        .unwrap_or_else(|| "untitled".to_string())
}

/// The list table; `with_directory` adds the directory column (`--all`).
pub(super) fn list_table(listed: &[ThreadSummary], with_directory: bool, now_ms: i64) -> String {
    let mut header = vec!["ID", "NAME", "TITLE", "UPDATED", "TURNS"];
    if with_directory {
        header.push("DIRECTORY");
    }
    let rows: Vec<Vec<String>> = listed
        .iter()
        .map(|summary| {
            let thread = &summary.thread;
            let mut row = vec![
                short_id(&thread.id).to_string(),
                thread.name.clone().unwrap_or_else(|| "-".to_string()),
                truncate(thread.title.as_deref().unwrap_or("-"), TITLE_CHARS),
                relative_time(thread.updated_at_ms, now_ms),
                summary.turn_count.to_string(),
            ];
            if with_directory {
                row.push(thread.cwd.display().to_string());
            }
            row
        })
        .collect();
    table(&header, &rows)
}

/// Columns padded to their widest cell, two spaces apart, the last unpadded.
fn table(header: &[&str], rows: &[Vec<String>]) -> String {
    let header: Vec<String> = header.iter().map(|cell| cell.to_string()).collect();
    let all: Vec<&[String]> = std::iter::once(header.as_slice())
        .chain(rows.iter().map(Vec::as_slice))
        .collect();
    crate::table::render(&all, |_| false)
}

/// A JSON array of every listed session (see [`thread_json`]).
pub(super) fn list_json(listed: &[ThreadSummary]) -> String {
    let sessions: Vec<Value> = listed
        .iter()
        .map(|summary| {
            let mut value = thread_json(&summary.thread);
            value["turns"] = json!(summary.turn_count);
            value
        })
        .collect();
    serde_json::to_string_pretty(&sessions).expect("JSON values always serialise")
}

pub(super) fn search_json(hits: &[SearchHit]) -> String {
    let hits: Vec<Value> = hits
        .iter()
        .map(|hit| {
            json!({
                "session": thread_json(&hit.thread),
                "turn_id": hit.turn_id,
                "item_seq": hit.item_seq,
                "role": hit.role.as_str(),
                "snippet": hit.snippet,
            })
        })
        .collect();
    serde_json::to_string_pretty(&hits).expect("JSON values always serialise")
}

/// The stable JSON of a session: every stored field, times as RFC 3339.
pub(crate) fn thread_json(thread: &ThreadRecord) -> Value {
    json!({
        "id": thread.id,
        "name": thread.name,
        "title": thread.title,
        "cwd": thread.cwd.display().to_string(),
        "created_at": rfc3339(thread.created_at_ms),
        "updated_at": rfc3339(thread.updated_at_ms),
        "model": thread.model,
        "provider": thread.provider,
        "sandbox_mode": thread.sandbox_mode,
        "approval_policy": thread.approval_policy,
        "archived": thread.archived,
        "source": thread.source,
        "parent_id": thread.parent_thread_id,
        "fork_point": thread.fork_point,
        "git": {
            "branch": thread.git_branch,
            "commit": thread.git_commit,
            "origin": thread.git_origin,
        },
        "usage": {
            "input_tokens": thread.usage.input_tokens,
            "cached_input_tokens": thread.usage.cached_input_tokens,
            "output_tokens": thread.usage.output_tokens,
            "reasoning_output_tokens": thread.usage.reasoning_output_tokens,
        },
    })
}

/// Each hit: the session's line, then the matching text indented.
pub(super) fn search_text(hits: &[SearchHit], with_directory: bool, now_ms: i64) -> String {
    let mut out = String::new();
    for hit in hits {
        let thread = &hit.thread;
        let archived = if thread.archived { " [archived]" } else { "" };
        let _ = write!(
            out,
            "{}  {}  ({}){archived}",
            short_id(&thread.id),
            truncate(&label(thread), TITLE_CHARS),
            relative_time(thread.updated_at_ms, now_ms)
        );
        if with_directory {
            let _ = write!(out, "  {}", thread.cwd.display());
        }
        let snippet = hit.snippet.replace('\n', " ");
        let _ = writeln!(out, "\n    {}: {snippet}", hit.role.as_str());
    }
    out
}

/// A transcript for people: the session's facts, then each turn's
/// prompt, messages, commands (output cut to a few lines) and changes.
pub(crate) fn transcript_text(transcript: &Transcript) -> String {
    let thread = &transcript.thread;
    let mut out = String::new();
    let _ = writeln!(out, "session {}", thread.id);
    if let Some(name) = &thread.name {
        let _ = writeln!(out, "name: {name}");
    }
    let _ = writeln!(out, "directory: {}", thread.cwd.display());
    let _ = writeln!(out, "model: {} ({})", thread.model, thread.provider);
    let _ = writeln!(out, "created: {}", rfc3339(thread.created_at_ms));
    if let Some(parent) = &thread.parent_thread_id {
        let _ = writeln!(out, "forked from: {parent}");
    }
    if thread.archived {
        let _ = writeln!(out, "archived");
    }
    for (number, turn) in transcript.turns.iter().enumerate() {
        let status = turn
            .record
            .as_ref()
            .map_or("", |record| record.status.as_str());
        let _ = writeln!(out, "\n--- turn {} ({status}) ---", number + 1);
        for item in &turn.display {
            details(&mut out, &item.details);
        }
    }
    out
}

fn details(out: &mut String, details: &ItemDetails) {
    match details {
        ItemDetails::UserMessage { text } => block(out, "user", text),
        ItemDetails::AgentMessage { text } => block(out, "duet", text),
        ItemDetails::Reasoning { .. } => {}
        ItemDetails::CommandExecution {
            command,
            aggregated_output,
            exit_code,
            status,
        } => {
            let outcome = match (status, exit_code) {
                (CommandStatus::Declined, _) => " (declined)".to_string(),
                (_, Some(code)) => format!(" (exit {code})"),
                (_, None) => String::new(),
            };
            let _ = writeln!(out, "$ {command}{outcome}");
            let lines: Vec<&str> = aggregated_output.lines().collect();
            for line in lines.iter().take(OUTPUT_LINES) {
                let _ = writeln!(out, "  {line}");
            }
            if lines.len() > OUTPUT_LINES {
                let _ = writeln!(out, "  … {} more lines", lines.len() - OUTPUT_LINES);
            }
        }
        ItemDetails::FileChange { changes, .. } => {
            for change in changes {
                let kind = format!("{:?}", change.kind).to_lowercase();
                let _ = writeln!(out, "{kind} {}", change.path);
            }
        }
        ItemDetails::TodoList { items } => {
            let _ = writeln!(out, "plan:");
            for item in items {
                let mark = if item.completed { "x" } else { " " };
                let _ = writeln!(out, "  [{mark}] {}", item.text);
            }
        }
        ItemDetails::McpToolCall { server, tool, .. } => {
            let _ = writeln!(out, "tool {server}.{tool}");
        }
        ItemDetails::WebSearch { query } => {
            let _ = writeln!(out, "web search: {query}");
        }
        ItemDetails::Error { message } => {
            let _ = writeln!(out, "error: {message}");
        }
        ItemDetails::ContextCompaction { summary, .. } => {
            let title = details.compaction_line().unwrap_or_default();
            let _ = writeln!(out, "{}", title.to_lowercase());
            for text in summary.lines() {
                let _ = writeln!(out, "  {text}");
            }
        }
    }
}

fn block(out: &mut String, label: &str, text: &str) {
    let _ = writeln!(out, "{label}: {}", text.trim_end().replace('\n', "\n  "));
}

/// How to go on with a session headless, for `duet resume` and `duet fork`.
pub(crate) fn continue_hint(thread: &ThreadRecord) -> String {
    let target = thread.name.as_deref().unwrap_or(&thread.id);
    format!("duet exec resume {target} \"<next prompt>\"")
}

fn truncate(text: &str, max: usize) -> String {
    let line = text.lines().next().unwrap_or("");
    if line.chars().count() <= max {
        line.to_string()
    } else {
        let kept: String = line.chars().take(max - 1).collect();
        format!("{kept}…")
    }
}

pub(super) fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms).map_or_else(|_| ms.to_string(), |at| at.to_string())
}

/// `just now`, `5 min ago`, `3 h ago`, `2 days ago`, then the date.
pub(super) fn relative_time(then_ms: i64, now_ms: i64) -> String {
    let seconds = (now_ms - then_ms).max(0) / 1000;
    match seconds {
        0..60 => "just now".to_string(),
        60..3_600 => format!("{} min ago", seconds / 60),
        3_600..86_400 => format!("{} h ago", seconds / 3_600),
        86_400..2_592_000 => {
            let days = seconds / 86_400;
            if days == 1 {
                "1 day ago".to_string()
            } else {
                format!("{days} days ago")
            }
        }
        _ => rfc3339(then_ms).get(..10).unwrap_or_default().to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn relative_times() {
        let now = 1_795_166_102_000;
        let got: Vec<String> = [0, 59, 60, 3_599, 3_600, 86_399, 86_400, 172_800, 2_592_000]
            .iter()
            .map(|seconds| relative_time(now - seconds * 1000, now))
            .collect();
        assert_eq!(
            got,
            [
                "just now",
                "just now",
                "1 min ago",
                "59 min ago",
                "1 h ago",
                "23 h ago",
                "1 day ago",
                "2 days ago",
                "2026-10-21"
            ]
        );
    }

    #[test]
    fn tables_pad_all_but_the_last_column() {
        let rows = vec![
            vec!["a".to_string(), "long cell".to_string(), "x".to_string()],
            vec!["bbb".to_string(), "-".to_string(), "yy".to_string()],
        ];
        assert_eq!(
            table(&["ID", "NAME", "N"], &rows),
            "ID   NAME       N\na    long cell  x\nbbb  -          yy\n"
        );
    }

    #[test]
    fn long_titles_are_cut_to_their_first_line() {
        assert_eq!(
            (
                truncate("short\nsecond line", 10),
                truncate("0123456789abc", 10)
            ),
            ("short".to_string(), "012345678…".to_string())
        );
    }
}
