//! Server-sent events of the Chat Completions and Anthropic Messages wires,
//! shaped like real servers' (OpenAI's and llama.cpp's chat chunks,
//! Anthropic's Messages events).
//!
//! Chat: each `chat_*` function returns the chunks of one part of an answer
//! as a JSON array; [`chat_sse`] flattens them into `data:` frames and ends
//! with `data: [DONE]`. Anthropic: `an_*` functions return events (arrays for
//! a whole content block); [`anthropic_sse`] writes `event: <type>` frames.
//!
//! ```
//! use duet_test_support::wire_sse::*;
//! let body = chat_sse(&[chat_text("hi"), chat_finish("stop"), chat_usage(10, 2, 5)]);
//! assert!(body.ends_with("data: [DONE]\n\n"));
//! ```

use crate::sse::{flatten, split_in_two as halves};
use serde_json::{Value, json};

/// The id of every chat completion these builders write.
pub const CHAT_ID: &str = "chatcmpl-1";

/// One chat chunk with `delta` and `finish_reason`.
pub fn chat_chunk(delta: Value, finish_reason: Option<&str>) -> Value {
    json!({
        "id": CHAT_ID,
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "mock",
        "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
    })
}

/// The assistant's text: a role chunk, then the text in two deltas.
pub fn chat_text(text: &str) -> Value {
    let mut chunks = vec![chat_chunk(
        json!({"role": "assistant", "content": ""}),
        None,
    )];
    chunks.extend(
        halves(text)
            .into_iter()
            .map(|part| chat_chunk(json!({"content": part}), None)),
    );
    Value::Array(chunks)
}

/// Reasoning text in `field` (`reasoning_content` or `reasoning`), in two deltas.
pub fn chat_reasoning(field: &str, text: &str) -> Value {
    Value::Array(
        halves(text)
            .into_iter()
            .map(|part| chat_chunk(json!({ field: part }), None))
            .collect(),
    )
}

/// Tool calls, `(call_id, name, arguments)`: per call, a chunk with its id
/// and name, then its arguments in two fragments, as OpenAI streams them.
pub fn chat_tool_calls(calls: &[(&str, &str, &str)]) -> Value {
    let mut chunks = Vec::new();
    for (index, (call_id, name, arguments)) in calls.iter().enumerate() {
        chunks.push(chat_chunk(
            json!({"tool_calls": [{"index": index, "id": call_id, "type": "function",
                                    "function": {"name": name, "arguments": ""}}]}),
            None,
        ));
        for part in halves(arguments) {
            chunks.push(chat_chunk(
                json!({"tool_calls": [{"index": index, "function": {"arguments": part}}]}),
                None,
            ));
        }
    }
    Value::Array(chunks)
}

/// The chunk that ends the answer.
pub fn chat_finish(reason: &str) -> Value {
    chat_chunk(json!({}), Some(reason))
}

/// The usage chunk `stream_options.include_usage` asks for: no choices.
pub fn chat_usage(prompt: u64, cached: u64, completion: u64) -> Value {
    json!({
        "id": CHAT_ID,
        "object": "chat.completion.chunk",
        "choices": [],
        "usage": {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": {"cached_tokens": cached},
        },
    })
}

/// The body of `chunks` (arrays flattened), ended by `data: [DONE]`.
pub fn chat_sse(chunks: &[Value]) -> String {
    let mut body = chat_sse_without_done(chunks);
    body.push_str("data: [DONE]\n\n");
    body
}

/// [`chat_sse`] without the `[DONE]` line, as some servers end.
pub fn chat_sse_without_done(chunks: &[Value]) -> String {
    flatten(chunks)
        .into_iter()
        .map(|chunk| format!("data: {chunk}\n\n"))
        .collect()
}

/// A whole chat answer with `text` and usage 10 in (0 cached), 5 out.
pub fn chat_answer(text: &str) -> String {
    chat_sse(&[chat_text(text), chat_finish("stop"), chat_usage(10, 0, 5)])
}

/// A whole chat answer that calls tools, with usage 10 in, 5 out.
pub fn chat_calls(calls: &[(&str, &str, &str)]) -> String {
    chat_sse(&[
        chat_tool_calls(calls),
        chat_finish("tool_calls"),
        chat_usage(10, 0, 5),
    ])
}

/// The id of every Anthropic message these builders write.
pub const ANTHROPIC_ID: &str = "msg_01";

/// `message_start` with the input usage.
pub fn an_message_start(input: u64, cache_read: u64, cache_write: u64) -> Value {
    json!({
        "type": "message_start",
        "message": {
            "id": ANTHROPIC_ID, "type": "message", "role": "assistant", "model": "mock",
            "content": [], "stop_reason": null, "stop_sequence": null,
            "usage": {"input_tokens": input, "cache_read_input_tokens": cache_read,
                      "cache_creation_input_tokens": cache_write, "output_tokens": 1},
        },
    })
}

/// A text block at `index`: start, two deltas, stop.
pub fn an_text(index: u64, text: &str) -> Value {
    let mut events = vec![json!({"type": "content_block_start", "index": index,
                                 "content_block": {"type": "text", "text": ""}})];
    events.extend(halves(text).into_iter().map(|part| {
        json!({"type": "content_block_delta", "index": index,
               "delta": {"type": "text_delta", "text": part}})
    }));
    events.push(json!({"type": "content_block_stop", "index": index}));
    Value::Array(events)
}

/// A thinking block at `index` with its signature.
pub fn an_thinking(index: u64, text: &str, signature: &str) -> Value {
    let mut events = vec![json!({"type": "content_block_start", "index": index,
                                 "content_block": {"type": "thinking", "thinking": "", "signature": ""}})];
    events.extend(halves(text).into_iter().map(|part| {
        json!({"type": "content_block_delta", "index": index,
               "delta": {"type": "thinking_delta", "thinking": part}})
    }));
    events.push(json!({"type": "content_block_delta", "index": index,
                       "delta": {"type": "signature_delta", "signature": signature}}));
    events.push(json!({"type": "content_block_stop", "index": index}));
    Value::Array(events)
}

/// A `tool_use` block at `index` whose input JSON comes in two fragments.
pub fn an_tool_use(index: u64, id: &str, name: &str, input_json: &str) -> Value {
    let mut events = vec![json!({"type": "content_block_start", "index": index,
                                 "content_block": {"type": "tool_use", "id": id, "name": name, "input": {}}})];
    events.extend(halves(input_json).into_iter().map(|part| {
        json!({"type": "content_block_delta", "index": index,
               "delta": {"type": "input_json_delta", "partial_json": part}})
    }));
    events.push(json!({"type": "content_block_stop", "index": index}));
    Value::Array(events)
}

/// `message_delta` with the stop reason and output tokens, then `message_stop`.
pub fn an_stop(stop_reason: &str, output: u64) -> Value {
    json!([
        {"type": "message_delta", "delta": {"stop_reason": stop_reason, "stop_sequence": null},
         "usage": {"output_tokens": output}},
        {"type": "message_stop"},
    ])
}

/// The body of `events` (arrays flattened) as `event:`/`data:` frames.
pub fn anthropic_sse(events: &[Value]) -> String {
    flatten(events)
        .into_iter()
        .map(|event| {
            let kind = event["type"].as_str().unwrap_or("message");
            format!("event: {kind}\ndata: {event}\n\n")
        })
        .collect()
}

/// A whole Anthropic answer with `text`: 10 input tokens, 5 output.
pub fn anthropic_answer(text: &str) -> String {
    anthropic_sse(&[
        an_message_start(10, 0, 0),
        an_text(0, text),
        an_stop("end_turn", 5),
    ])
}

/// A whole Anthropic answer that calls tools `(id, name, input_json)`.
pub fn anthropic_calls(calls: &[(&str, &str, &str)]) -> String {
    let mut events = vec![an_message_start(10, 0, 0)];
    for (index, (id, name, input)) in calls.iter().enumerate() {
        events.push(an_tool_use(index as u64, id, name, input));
    }
    events.push(an_stop("tool_use", 5));
    anthropic_sse(&events)
}
