//! Builders of Responses API server-sent events, shaped like the real API's.
//!
//! Each `ev_*` function returns one event as JSON, or, for items that the
//! real API streams as several events (`ev_assistant_message`, `ev_reasoning`,
//! `ev_function_call`, `ev_custom_tool_call`), a JSON array of events. [`sse`]
//! flattens such arrays, numbers every event with a `sequence_number` and
//! writes the body as `event: <type>\ndata: <json>\n\n` frames.
//!
//! ```
//! use duet_test_support::sse::*;
//! let body = sse(&[
//!     ev_response_created("resp_1"),
//!     ev_assistant_message("msg_1", "hello"),
//!     ev_completed("resp_1"),
//! ]);
//! assert!(body.starts_with("event: response.created\ndata: "));
//! ```
//!
//! This module builds bodies only; serving them is [`crate::responses_mock`]'s job.

use serde_json::{Value, json};

/// `response.created` for response `id`.
pub fn ev_response_created(id: &str) -> Value {
    json!({
        "type": "response.created",
        "response": {"id": id, "object": "response", "status": "in_progress", "output": []},
    })
}

/// The usage [`ev_completed`] reports: 10 input (0 cached), 5 output (0 reasoning), 15 total.
pub const DEFAULT_USAGE: (u64, u64, u64, u64) = (10, 0, 5, 0);

/// `response.completed` for response `id`, with [`DEFAULT_USAGE`].
pub fn ev_completed(id: &str) -> Value {
    let (input, cached, output, reasoning) = DEFAULT_USAGE;
    ev_completed_with_usage(id, input, cached, output, reasoning)
}

/// `response.completed` with the usage in the API's nested shape.
pub fn ev_completed_with_usage(
    id: &str,
    input: u64,
    cached: u64,
    output: u64,
    reasoning: u64,
) -> Value {
    json!({
        "type": "response.completed",
        "response": {
            "id": id,
            "object": "response",
            "status": "completed",
            "usage": {
                "input_tokens": input,
                "input_tokens_details": {"cached_tokens": cached},
                "output_tokens": output,
                "output_tokens_details": {"reasoning_tokens": reasoning},
                "total_tokens": input + output,
            },
        },
    })
}

/// The full assistant message item, as `response.output_item.done` carries it.
pub fn assistant_message_item(item_id: &str, text: &str) -> Value {
    json!({
        "type": "message",
        "role": "assistant",
        "id": item_id,
        "content": [{"type": "output_text", "text": text, "annotations": []}],
    })
}

/// An assistant message: `output_item.added`, the text as one or two
/// `output_text.delta`s (two when it has more than one character), `output_item.done`.
pub fn ev_assistant_message(item_id: &str, text: &str) -> Value {
    let added = json!({
        "type": "response.output_item.added",
        "output_index": 0,
        "item": {"type": "message", "role": "assistant", "id": item_id, "content": []},
    });
    let mut events = vec![added];
    for delta in split_in_two(text) {
        events.push(json!({
            "type": "response.output_text.delta",
            "item_id": item_id,
            "output_index": 0,
            "content_index": 0,
            "delta": delta,
        }));
    }
    events.push(item_done(assistant_message_item(item_id, text)));
    Value::Array(events)
}

/// The full reasoning item, with a summary and `encrypted_content` of `enc:<item_id>`.
pub fn reasoning_item(item_id: &str, summary_text: &str) -> Value {
    json!({
        "type": "reasoning",
        "id": item_id,
        "summary": [{"type": "summary_text", "text": summary_text}],
        "encrypted_content": format!("enc:{item_id}"),
    })
}

/// A reasoning item: added, one summary delta, done with [`reasoning_item`].
pub fn ev_reasoning(item_id: &str, summary_text: &str) -> Value {
    Value::Array(vec![
        item_added(json!({"type": "reasoning", "id": item_id, "summary": []})),
        json!({
            "type": "response.reasoning_summary_text.delta",
            "item_id": item_id,
            "output_index": 0,
            "summary_index": 0,
            "delta": summary_text,
        }),
        item_done(reasoning_item(item_id, summary_text)),
    ])
}

/// The full function call item; its `id` is `fc_<call_id>`.
pub fn function_call_item(call_id: &str, name: &str, arguments: &str) -> Value {
    json!({
        "type": "function_call",
        "id": format!("fc_{call_id}"),
        "call_id": call_id,
        "name": name,
        "arguments": arguments,
    })
}

/// A function call: added (empty arguments), one arguments delta, done.
/// `arguments` is JSON text, passed through as-is (it may be invalid on purpose).
pub fn ev_function_call(call_id: &str, name: &str, arguments: &str) -> Value {
    Value::Array(vec![
        item_added(function_call_item(call_id, name, "")),
        json!({
            "type": "response.function_call_arguments.delta",
            "item_id": format!("fc_{call_id}"),
            "output_index": 0,
            "delta": arguments,
        }),
        item_done(function_call_item(call_id, name, arguments)),
    ])
}

/// The full custom (freeform) tool call item; its `id` is `ctc_<call_id>`.
pub fn custom_tool_call_item(call_id: &str, name: &str, input: &str) -> Value {
    json!({
        "type": "custom_tool_call",
        "id": format!("ctc_{call_id}"),
        "call_id": call_id,
        "name": name,
        "input": input,
    })
}

/// A custom tool call such as `apply_patch`: added, one input delta, done.
pub fn ev_custom_tool_call(call_id: &str, name: &str, input: &str) -> Value {
    Value::Array(vec![
        item_added(custom_tool_call_item(call_id, name, "")),
        json!({
            "type": "response.custom_tool_call_input.delta",
            "item_id": format!("ctc_{call_id}"),
            "output_index": 0,
            "delta": input,
        }),
        item_done(custom_tool_call_item(call_id, name, input)),
    ])
}

/// `response.failed` with `error: {code, message}` (code `context_length_exceeded`
/// and `insufficient_quota` are fatal to the client, others are retried).
pub fn ev_response_failed(code: &str, message: &str) -> Value {
    json!({
        "type": "response.failed",
        "response": {
            "id": "resp_failed",
            "object": "response",
            "status": "failed",
            "error": {"code": code, "message": message},
        },
    })
}

/// `response.incomplete` with `incomplete_details.reason` (e.g. `max_output_tokens`).
pub fn ev_incomplete(reason: &str) -> Value {
    json!({
        "type": "response.incomplete",
        "response": {
            "id": "resp_incomplete",
            "object": "response",
            "status": "incomplete",
            "incomplete_details": {"reason": reason},
        },
    })
}

/// The SSE body of `events` (arrays flattened), each with a `sequence_number`.
pub fn sse(events: &[Value]) -> String {
    sse_numbered(events, &mut 0)
}

/// [`sse`] numbering from `*next_sequence_number`, which is left after the last
/// event, so a body written in parts keeps one sequence.
pub fn sse_numbered(events: &[Value], next_sequence_number: &mut usize) -> String {
    let mut body = String::new();
    for event in flatten(events) {
        let mut event = event.clone();
        if let Value::Object(fields) = &mut event {
            fields.insert("sequence_number".to_string(), json!(*next_sequence_number));
        }
        *next_sequence_number += 1;
        let kind = event
            .get("type")
            .and_then(Value::as_str)
            .unwrap_or("message");
        body.push_str(&format!("event: {kind}\ndata: {event}\n\n"));
    }
    body
}

/// A whole good turn: `response.created` (`resp_1`), `events`, `response.completed`
/// with [`DEFAULT_USAGE`].
pub fn sse_completed_turn(events: &[Value]) -> String {
    let mut all = vec![ev_response_created("resp_1")];
    all.extend(events.iter().cloned());
    all.push(ev_completed("resp_1"));
    sse(&all)
}

pub(crate) fn flatten(events: &[Value]) -> Vec<&Value> {
    let mut flat = Vec::new();
    for event in events {
        match event {
            Value::Array(inner) => flat.extend(flatten(inner)),
            other => flat.push(other),
        }
    }
    flat
}

fn item_added(item: Value) -> Value {
    json!({"type": "response.output_item.added", "output_index": 0, "item": item})
}

fn item_done(item: Value) -> Value {
    json!({"type": "response.output_item.done", "output_index": 0, "item": item})
}

/// The text split at a char boundary near its middle; one part if too short.
pub(crate) fn split_in_two(text: &str) -> Vec<&str> {
    let chars = text.chars().count();
    if chars < 2 {
        return vec![text];
    }
    let split_at = text
        .char_indices()
        .nth(chars / 2)
        .map(|(idx, _)| idx)
        .unwrap_or(text.len());
    vec![&text[..split_at], &text[split_at..]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sse_numbers_and_frames_flattened_events() {
        let body = sse(&[ev_response_created("r"), ev_assistant_message("m", "héllo")]);
        let first_frame: Vec<&str> = body.split("\n\n").next().unwrap().lines().collect();
        assert_eq!(first_frame[0], "event: response.created");
        let data: Value = serde_json::from_str(&first_frame[1]["data: ".len()..]).unwrap();
        assert_eq!(
            data,
            json!({"type": "response.created", "sequence_number": 0,
                   "response": {"id": "r", "object": "response", "status": "in_progress", "output": []}})
        );
        let kinds: Vec<&str> = body
            .lines()
            .filter_map(|line| line.strip_prefix("event: "))
            .collect();
        assert_eq!(
            kinds,
            vec![
                "response.created",
                "response.output_item.added",
                "response.output_text.delta",
                "response.output_text.delta",
                "response.output_item.done",
            ]
        );
        let deltas: Vec<String> = body
            .lines()
            .filter_map(|line| line.strip_prefix("data: "))
            .map(|data| serde_json::from_str::<Value>(data).unwrap())
            .filter(|event| event["type"] == "response.output_text.delta")
            .map(|event| event["delta"].as_str().unwrap().to_string())
            .collect();
        assert_eq!(deltas, vec!["hé".to_string(), "llo".to_string()]);
    }

    #[test]
    fn split_in_two_keeps_char_boundaries() {
        assert_eq!(split_in_two(""), vec![""]);
        assert_eq!(split_in_two("é"), vec!["é"]);
        assert_eq!(split_in_two("éa"), vec!["é", "a"]);
    }

    #[test]
    fn completed_turn_wraps_events() {
        let body = sse_completed_turn(&[ev_reasoning("rs_1", "thinking")]);
        let kinds: Vec<&str> = body
            .lines()
            .filter_map(|line| line.strip_prefix("event: "))
            .collect();
        assert_eq!(
            kinds,
            vec![
                "response.created",
                "response.output_item.added",
                "response.reasoning_summary_text.delta",
                "response.output_item.done",
                "response.completed",
            ]
        );
    }
}
