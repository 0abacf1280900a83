//! Filters that turn a run's output into values that compare whole: the
//! thread id and temp paths replaced by placeholders, and the variable
//! header of an `exec_command` output checked, then masked.
//!
//! Nothing here runs duet; see the parent module for that.

use super::{Outcome, Workspace};
use serde_json::Value;

/// Replace every occurrence of each `(from, to)` in every string of `value`.
pub fn redact(value: &Value, replacements: &[(&str, &str)]) -> Value {
    match value {
        Value::String(text) => {
            let mut text = text.clone();
            for (from, to) in replacements {
                if !from.is_empty() {
                    text = text.replace(from, to);
                }
            }
            Value::String(text)
        }
        Value::Array(items) => Value::Array(
            items
                .iter()
                .map(|item| redact(item, replacements))
                .collect(),
        ),
        Value::Object(fields) => Value::Object(
            fields
                .iter()
                .map(|(key, item)| (key.clone(), redact(item, replacements)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// The events of a run with the thread id as `<THREAD>`, the repo path as
/// `<REPO>` and the home path as `<HOME>`.
pub fn normalized_events(outcome: &Outcome, workspace: &Workspace) -> Vec<Value> {
    let thread_id = outcome.thread_id();
    let events = Value::Array(outcome.events());
    let normalized = redact(&events, &workspace_replacements(workspace, &thread_id));
    match normalized {
        Value::Array(events) => events,
        _ => unreachable!("redact keeps the shape"),
    }
}

/// Replacements for the workspace paths (canonical ones too) and a thread id.
pub fn workspace_replacements<'a>(
    workspace: &'a Workspace,
    thread_id: &'a str,
) -> Vec<(&'a str, &'static str)> {
    let repo = workspace.repo().to_str().expect("utf-8 temp path");
    let home = workspace.home().to_str().expect("utf-8 temp path");
    vec![(thread_id, "<THREAD>"), (repo, "<REPO>"), (home, "<HOME>")]
}

/// A `function_call_output` of `exec_command` split into its header and the
/// command output, with the variable parts checked and then replaced:
/// `Chunk ID: <6 hex>` → `<CHUNK>`, `Wall time: <s.ssss> seconds` →
/// `<WALL>`, `Original token count: N` → `<TOKENS>`. Panics when the header
/// does not have the reference's shape
/// (`^Chunk ID: [0-9a-f]{6}\nWall time: \d+\.\d{4} seconds\nProcess exited
/// with code N\nOriginal token count: \d+\nOutput:\n`).
pub fn split_exec_output(output: &str) -> (String, String) {
    let mut lines = output.splitn(6, '\n');
    let mut next = |what: &str| {
        lines
            .next()
            .unwrap_or_else(|| panic!("exec output lacks {what}: {output:?}"))
    };
    let chunk = next("the chunk id line");
    let chunk_id = chunk
        .strip_prefix("Chunk ID: ")
        .unwrap_or_else(|| panic!("bad chunk line {chunk:?} in {output:?}"));
    assert!(
        chunk_id.len() == 6
            && chunk_id
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "chunk id {chunk_id:?} is not 6 lower-case hex digits in {output:?}"
    );
    let wall = next("the wall time line");
    let seconds = wall
        .strip_prefix("Wall time: ")
        .and_then(|rest| rest.strip_suffix(" seconds"))
        .unwrap_or_else(|| panic!("bad wall time line {wall:?} in {output:?}"));
    let (whole, fraction) = seconds
        .split_once('.')
        .unwrap_or_else(|| panic!("wall time {seconds:?} has no decimals"));
    assert!(
        !whole.is_empty()
            && whole.bytes().all(|b| b.is_ascii_digit())
            && fraction.len() == 4
            && fraction.bytes().all(|b| b.is_ascii_digit()),
        "wall time {seconds:?} is not \\d+\\.\\d{{4}}"
    );
    let exited = next("the exit line").to_owned();
    let tokens = next("the token count line");
    let count = tokens
        .strip_prefix("Original token count: ")
        .unwrap_or_else(|| panic!("bad token count line {tokens:?} in {output:?}"));
    assert!(
        !count.is_empty() && count.bytes().all(|b| b.is_ascii_digit()),
        "token count {count:?} is not a number"
    );
    let output_line = next("the `Output:` line");
    assert_eq!(output_line, "Output:", "in {output:?}");
    let body = lines.next().unwrap_or("").to_owned();
    (
        format!(
            "Chunk ID: <CHUNK>\nWall time: <WALL> seconds\n{exited}\nOriginal token count: <TOKENS>\nOutput:\n"
        ),
        body,
    )
}
