//! A stored thread's history as a resumed session holds it.
//!
//! Each item stays the exact JSON text the store kept
//! ([`ResponseItem::Stored`]) and is copied into the next request as it is,
//! so resuming a thread of tens of megabytes costs a read and a copy, not a
//! parse into typed items and a serialisation back. The session never needs
//! to look into earlier turns' items, with one exception: a process killed
//! mid-turn may have left a call without an output, and the next request
//! would be refused without one, so calls and outputs are read for their
//! `call_id` (and nothing else) and the calls left open get an `aborted`
//! output ([`crate::turn::aborted_output`]), as
//! [`crate::turn::close_dangling_calls`] gives the calls of an interrupted
//! turn.
//!
//! Not here: finding the thread (`sessions.rs`), recording new items
//! (`recorder.rs`).

use crate::SessionError;
use duet_model::{ResponseItem, StoredItem};
use duet_store::{RawHistoryItem, Store};
use std::collections::HashSet;

/// The history of a resumed thread.
pub(crate) struct StoredHistory {
    /// The stored items, then the outputs added for calls left open.
    pub items: Vec<ResponseItem>,
    /// How many of `items` are stored (the rest are to be saved).
    pub stored: usize,
    /// Each turn of `items` with the index of its first item (where a
    /// rollback cuts); turns that began before the last compaction are left
    /// out: they can no longer be rolled back.
    pub turns: Vec<(String, usize)>,
}

/// Reads the history of `thread_id` for resuming it.
pub(crate) fn load(store: &Store, thread_id: &str) -> Result<StoredHistory, SessionError> {
    let mut rows = store.history_raw(thread_id)?;
    let dropped = rows
        .iter()
        .rposition(|row| row.kind.as_deref() == Some(crate::compact::COMPACTED_MARKER))
        .map_or(0, |index| index + 1);
    let turns = duet_store::turn_starts(rows.iter().map(|row| row.turn_id.as_str()))
        .into_iter()
        .filter_map(|(turn_id, start)| start.checked_sub(dropped).map(|start| (turn_id, start)))
        .collect();
    rows.drain(..dropped);
    let stored = rows.len();
    let missing = unanswered_calls(&rows, thread_id)?;
    let mut items: Vec<ResponseItem> = Vec::with_capacity(stored + missing.len());
    items.extend(
        rows.into_iter()
            .map(|row| ResponseItem::Stored(StoredItem::new(row.json))),
    );
    items.extend(missing);
    Ok(StoredHistory {
        items,
        stored,
        turns,
    })
}

/// The kind of call an item is, or the kind of output.
enum CallRole {
    Function,
    Custom,
    Output,
}

fn call_role(kind: Option<&str>) -> Option<CallRole> {
    match kind? {
        "function_call" => Some(CallRole::Function),
        "custom_tool_call" => Some(CallRole::Custom),
        "function_call_output" | "custom_tool_call_output" => Some(CallRole::Output),
        _ => None,
    }
}

#[derive(serde::Deserialize)]
struct CallId {
    call_id: String,
}

/// The `call_id` of a call or an output of type `kind`. Outputs are large
/// (a command's whole output), so the common layouts are read without
/// parsing: `call_id` first (keys sorted, as a JSON value writes them) or
/// right after `type` (as duet's items serialise). Anything else is parsed.
fn call_id_of(kind: &str, json: &str) -> Result<String, serde_json::Error> {
    let after_type = format!("{{\"type\":\"{kind}\",\"call_id\":\"");
    let rest = json
        .strip_prefix("{\"call_id\":\"")
        .or_else(|| json.strip_prefix(after_type.as_str()));
    if let Some(rest) = rest
        && let Some(end) = rest.find('"')
        && !rest[..end].contains('\\')
    {
        return Ok(rest[..end].to_string());
    }
    serde_json::from_str::<CallId>(json).map(|call| call.call_id)
}

/// An `aborted` output for each call in `rows` that has none, in call order.
fn unanswered_calls(
    rows: &[RawHistoryItem],
    thread_id: &str,
) -> Result<Vec<ResponseItem>, SessionError> {
    let mut calls = Vec::new();
    let mut answered = HashSet::new();
    for (index, row) in rows.iter().enumerate() {
        let Some(role) = call_role(row.kind.as_deref()) else {
            continue;
        };
        let kind = row.kind.as_deref().unwrap_or_default();
        let call_id =
            call_id_of(kind, &row.json).map_err(|error| SessionError::DamagedHistory {
                thread_id: thread_id.to_string(),
                index,
                reason: error.to_string(),
            })?;
        match role {
            CallRole::Output => {
                answered.insert(call_id);
            }
            CallRole::Function | CallRole::Custom => calls.push((role, call_id)),
        }
    }
    Ok(calls
        .into_iter()
        .filter(|(_, call_id)| !answered.contains(call_id))
        .map(|(role, call_id)| {
            crate::turn::aborted_output(call_id, matches!(role, CallRole::Custom))
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use duet_store::{NewThread, TurnStart};
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn store_with(items: &[serde_json::Value]) -> (tempfile::TempDir, Store) {
        let dir = tempfile::tempdir().expect("temp dir");
        let store = Store::open(&dir.path().join("sessions.sqlite")).expect("open");
        store
            .create_thread(&NewThread {
                id: "t".to_string(),
                created_at_ms: 1,
                cwd: dir.path().to_path_buf(),
                model: "m".to_string(),
                provider: "p".to_string(),
                sandbox_mode: "read-only".to_string(),
                approval_policy: "never".to_string(),
                git_branch: None,
                git_commit: None,
                git_origin: None,
                source: "exec".to_string(),
            })
            .expect("thread");
        store
            .start_turn(&TurnStart {
                thread_id: "t".to_string(),
                turn_id: "1".to_string(),
                started_at_ms: 1,
            })
            .expect("turn");
        store.append_items("t", "1", items).expect("append");
        (dir, store)
    }

    #[test]
    fn stored_items_are_replayed_as_stored_and_open_calls_are_answered() {
        let items = [
            json!({"type": "function_call", "call_id": "a", "name": "exec_command", "arguments": "{}"}),
            json!({"type": "function_call_output", "call_id": "a", "output": "done"}),
            json!({"type": "custom_tool_call", "call_id": "b", "name": "apply_patch", "input": "x"}),
            json!({"type": "function_call", "call_id": "c", "name": "exec_command", "arguments": "{}"}),
        ];
        let (_dir, store) = store_with(&items);
        let history = load(&store, "t").expect("load");
        let texts: Vec<String> = history
            .items
            .iter()
            .map(|item| serde_json::to_string(item).expect("serialise"))
            .collect();
        let mut expected: Vec<String> = items.iter().map(|item| item.to_string()).collect();
        expected.push(
            r#"{"type":"custom_tool_call_output","call_id":"b","output":"aborted"}"#.to_string(),
        );
        expected.push(
            r#"{"type":"function_call_output","call_id":"c","output":"aborted"}"#.to_string(),
        );
        assert_eq!((history.stored, texts), (4, expected));
    }

    #[test]
    fn a_resumed_history_starts_after_the_last_compaction() {
        let marker = json!({"type": crate::compact::COMPACTED_MARKER});
        let user = |text: &str| serde_json::to_value(ResponseItem::user_text(text)).expect("json");
        let items = [
            user("a"),
            marker.clone(),
            user("b"),
            marker,
            user("c"),
            user("d"),
        ];
        let (_dir, store) = store_with(&items);
        // A later turn can be rolled back; turn 1, which holds the marker,
        // cannot.
        store
            .start_turn(&TurnStart {
                thread_id: "t".to_string(),
                turn_id: "2".to_string(),
                started_at_ms: 2,
            })
            .expect("turn");
        let later = user("e");
        store
            .append_items("t", "2", std::slice::from_ref(&later))
            .expect("append");
        let history = load(&store, "t").expect("load");
        let texts: Vec<String> = history
            .items
            .iter()
            .map(|item| serde_json::to_string(item).expect("serialise"))
            .collect();
        assert_eq!(
            (history.stored, history.turns, texts),
            (
                3,
                vec![("2".to_string(), 2)],
                vec![
                    items[4].to_string(),
                    items[5].to_string(),
                    later.to_string()
                ]
            )
        );
    }

    #[test]
    fn call_ids_are_read_from_either_layout_or_parsed() {
        let got: Vec<String> = [
            r#"{"type":"function_call_output","call_id":"c1","output":"x"}"#,
            r#"{"call_id":"c2","output":"x","type":"function_call_output"}"#,
            r#"{"type":"function_call","id":"fc","call_id":"c3","name":"n","arguments":"{}"}"#,
            r#"{"call_id":"c\"4","output":"x"}"#,
            r#"{"output":"{\"call_id\":\"not this\"}","call_id":"c5"}"#,
        ]
        .iter()
        .map(|json| call_id_of("function_call_output", json).expect("a call id"))
        .collect();
        assert_eq!(got, ["c1", "c2", "c3", "c\"4", "c5"]);
    }

    #[test]
    fn a_call_without_call_id_is_damaged_history() {
        let (_dir, store) = store_with(&[
            json!({"type": "message", "role": "user", "content": []}),
            json!({"type": "function_call", "name": "exec_command", "arguments": "{}"}),
        ]);
        let error = load(&store, "t").err().expect("damaged");
        assert_eq!(
            error.to_string(),
            "the saved history of session `t` is damaged (item 1: missing field `call_id` at line 1 column 63); start a new session"
        );
    }
}
