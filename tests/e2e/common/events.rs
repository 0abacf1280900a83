//! Builders of the `exec --json` events the tests expect, after
//! [`super::normalized_events`] (thread id `<THREAD>`).

use serde_json::{Value, json};

/// `thread.started` and `turn.started`, the first two lines of every run.
pub fn started() -> Vec<Value> {
    vec![
        json!({"type": "thread.started", "thread_id": "<THREAD>", "schema_version": "1.1"}),
        json!({"type": "turn.started"}),
    ]
}

/// An `agent_message` item completed.
pub fn message(id: &str, text: &str) -> Value {
    json!({"type": "item.completed", "item": {"id": id, "type": "agent_message", "text": text}})
}

/// An `error` event (a retry, or the failure before `turn.failed`).
pub fn error(message: &str) -> Value {
    json!({"type": "error", "message": message})
}

/// The failure pair: `error` then `turn.failed` with the same message.
pub fn failed(message: &str) -> Vec<Value> {
    vec![
        error(message),
        json!({"type": "turn.failed", "error": {"message": message}}),
    ]
}

/// `turn.completed` with the default usage of one request (10/0/5/0).
pub fn completed_once() -> Value {
    json!({"type": "turn.completed", "usage": {
        "input_tokens": 10, "cached_input_tokens": 0, "cache_write_input_tokens": 0,
        "output_tokens": 5, "reasoning_output_tokens": 0, "cost_usd": null,
    }})
}

/// The parts, in order, as one list.
pub fn concat(parts: Vec<Vec<Value>>) -> Vec<Value> {
    parts.into_iter().flatten().collect()
}
