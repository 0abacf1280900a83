//! The JSON script of the `duet-mock-responses` binary, and how each turn
//! of it becomes an HTTP reply. Kept in the library so it is unit-tested and
//! so Rust tests can render the same replies.
//!
//! # Script format
//!
//! ```json
//! {
//!   "responses": [
//!     [{"reasoning": "look first"},
//!      {"function_call": {"name": "exec_command", "arguments": {"cmd": "ls"}}}],
//!     [{"message": "done"}, {"usage": {"input_tokens": 100, "output_tokens": 20}}]
//!   ],
//!   "repeat_last": false,
//!   "loop": false,
//!   "per_thread": false
//! }
//! ```
//!
//! `responses[n]` answers the n-th `POST /v1/responses`. Past the end: with
//! `"loop": true` the script starts over, with `"repeat_last": true` the last
//! turn is repeated, otherwise the reply is a 500 whose body says so. With
//! `"per_thread": true` the position is kept per `prompt_cache_key` of the
//! request body (the thread id), so every new thread, e.g. every process of
//! a benchmark, starts at the top.
//!
//! A turn is a list of steps, each an object with one key:
//!
//! | step | streams |
//! | --- | --- |
//! | `{"message": "text"}` | an assistant message |
//! | `{"reasoning": "summary"}` | a reasoning item with `encrypted_content` |
//! | `{"function_call": {"name": n, "arguments": {..} or "json text", "call_id"?: id}}` | a function call; `call_id` defaults to `call_N`, N counting from 1 over the server's life |
//! | `{"custom_tool_call": {"name": n, "input": "text", "call_id"?: id}}` | a freeform tool call such as `apply_patch` |
//! | `{"usage": {"input_tokens"?, "cached_input_tokens"?, "output_tokens"?, "reasoning_output_tokens"?}}` | the usage of `response.completed` (default 10/0/5/0) |
//! | `{"failed": {"code": c, "message": m}}` | `response.failed` instead of `response.completed` |
//! | `{"incomplete": "reason"}` | `response.incomplete` instead of `response.completed` |
//! | `{"sleep_ms": n}` | a pause before the next event |
//! | `{"raw": "text"}` | these bytes as-is (e.g. a malformed `data:` line) |
//! | `{"status": 500, "body"?: "text", "headers"?: {"retry-after": "1"}}` | the whole reply is this status instead of a stream |
//!
//! Every stream starts with `response.created` (id `resp_N`, N the request
//! number) and ends with `response.completed` unless a step says otherwise.
//!
//! The same script answers `POST /v1/chat/completions` and `POST
//! /v1/messages` in those wires' shapes ([`ScriptState::reply_on`]): each
//! item becomes the wire's own (a function call a `tool_calls` entry or a
//! `tool_use` block, reasoning `reasoning_content` or a thinking block), the
//! usage its usage, `failed` an error event and `incomplete` a length stop.

use crate::sse::{
    ev_assistant_message, ev_completed_with_usage, ev_custom_tool_call, ev_function_call,
    ev_incomplete, ev_reasoning, ev_response_created, ev_response_failed, sse_numbered,
};
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::time::Duration;

/// A whole script file.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Script {
    pub responses: Vec<Vec<Value>>,
    #[serde(default)]
    pub repeat_last: bool,
    #[serde(default, rename = "loop")]
    pub cycle: bool,
    #[serde(default)]
    pub per_thread: bool,
}

/// What to send for one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Reply {
    /// A plain response with a status, headers and body.
    Plain {
        status: u16,
        headers: Vec<(String, String)>,
        body: String,
    },
    /// A 200 `text/event-stream` written piece by piece.
    Stream(Vec<Piece>),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Piece {
    Text(String),
    Sleep(Duration),
}

/// A script and where each thread (or everyone) is in it.
#[derive(Debug)]
pub struct ScriptState {
    script: Script,
    positions: HashMap<String, usize>,
    requests: u64,
    calls: u64,
}

impl ScriptState {
    /// Check every step of `script` up front, so a typo fails at startup.
    pub fn new(script: Script) -> Result<ScriptState, String> {
        let mut state = ScriptState {
            script,
            positions: HashMap::new(),
            requests: 0,
            calls: 0,
        };
        let turns = state.script.responses.clone();
        for (turn_idx, turn) in turns.iter().enumerate() {
            state
                .render(turn)
                .map_err(|err| format!("responses[{turn_idx}]: {err}"))?;
        }
        state.calls = 0;
        Ok(state)
    }

    /// The reply to a request with this body.
    pub fn reply(&mut self, body: &Value) -> Reply {
        self.requests += 1;
        let key = if self.script.per_thread {
            body.get("prompt_cache_key")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_string()
        } else {
            String::new()
        };
        let position = self.positions.entry(key).or_insert(0);
        let index = *position;
        *position += 1;
        let turns = &self.script.responses;
        let turn = match turns.get(index) {
            Some(turn) => Some(turn),
            None if self.script.cycle && !turns.is_empty() => turns.get(index % turns.len()),
            None if self.script.repeat_last => turns.last(),
            None => None,
        };
        match turn.cloned() {
            Some(turn) => self
                .render(&turn)
                .expect("steps were checked when the script was loaded"),
            None => Reply::Plain {
                status: 500,
                headers: vec![("content-type".to_string(), "application/json".to_string())],
                body: serde_json::json!({"error": {"message": format!(
                    "duet-mock-responses: request {} is past the end of the script ({} responses): set \"loop\" or \"repeat_last\"",
                    self.requests,
                    turns.len()
                )}})
                .to_string(),
            },
        }
    }

    /// The reply to a request on `wire`: the Responses reply, translated.
    pub fn reply_on(&mut self, wire: Wire, body: &Value) -> Reply {
        let reply = self.reply(body);
        match (wire, reply) {
            (Wire::Responses, reply) | (_, reply @ Reply::Plain { .. }) => reply,
            (wire, Reply::Stream(pieces)) => Reply::Stream(
                pieces
                    .into_iter()
                    .map(|piece| match piece {
                        Piece::Text(text) => Piece::Text(translate(&text, wire)),
                        sleep => sleep,
                    })
                    .collect(),
            ),
        }
    }

    fn render(&mut self, turn: &[Value]) -> Result<Reply, String> {
        let response_id = format!("resp_{}", self.requests);
        let mut sequence = 0;
        let mut pieces = vec![Piece::Text(sse_numbered(
            &[ev_response_created(&response_id)],
            &mut sequence,
        ))];
        let mut usage = (10, 0, 5, 0);
        let mut ended = false;
        for (step_idx, step) in turn.iter().enumerate() {
            let (kind, value) = single_key(step).ok_or_else(|| {
                format!("step {step_idx} must be an object with one key, got {step}")
            })?;
            let at = |err: String| format!("step {step_idx} (`{kind}`): {err}");
            let event = match kind {
                "message" => {
                    ev_assistant_message(&format!("msg_{step_idx}"), string(value).map_err(at)?)
                }
                "reasoning" => ev_reasoning(&format!("rs_{step_idx}"), string(value).map_err(at)?),
                "function_call" => {
                    let call_id = self.call_id(value);
                    let arguments = match value.get("arguments") {
                        Some(Value::String(text)) => text.clone(),
                        Some(other) => other.to_string(),
                        None => "{}".to_string(),
                    };
                    ev_function_call(&call_id, field(value, "name").map_err(at)?, &arguments)
                }
                "custom_tool_call" => {
                    let call_id = self.call_id(value);
                    let name = field(value, "name").map_err(at)?;
                    ev_custom_tool_call(&call_id, name, field(value, "input").map_err(at)?)
                }
                "usage" => {
                    let count = |name: &str| value.get(name).and_then(Value::as_u64).unwrap_or(0);
                    usage = (
                        value
                            .get("input_tokens")
                            .and_then(Value::as_u64)
                            .unwrap_or(10),
                        count("cached_input_tokens"),
                        value
                            .get("output_tokens")
                            .and_then(Value::as_u64)
                            .unwrap_or(5),
                        count("reasoning_output_tokens"),
                    );
                    continue;
                }
                "failed" => {
                    ended = true;
                    ev_response_failed(
                        field(value, "code").map_err(at)?,
                        field(value, "message").map_err(at)?,
                    )
                }
                "incomplete" => {
                    ended = true;
                    ev_incomplete(string(value).map_err(at)?)
                }
                "sleep_ms" => {
                    let millis = value
                        .as_u64()
                        .ok_or_else(|| at("expected milliseconds".to_string()))?;
                    pieces.push(Piece::Sleep(Duration::from_millis(millis)));
                    continue;
                }
                "raw" => {
                    pieces.push(Piece::Text(string(value).map_err(at)?.to_string()));
                    continue;
                }
                "status" => return plain_reply(step).map_err(at),
                other => return Err(format!("step {step_idx}: unknown step `{other}`")),
            };
            pieces.push(Piece::Text(sse_numbered(&[event], &mut sequence)));
        }
        if !ended {
            let (input, cached, output, reasoning) = usage;
            let completed = ev_completed_with_usage(&response_id, input, cached, output, reasoning);
            pieces.push(Piece::Text(sse_numbered(&[completed], &mut sequence)));
        }
        Ok(Reply::Stream(merge_texts(pieces)))
    }

    fn call_id(&mut self, value: &Value) -> String {
        match value.get("call_id").and_then(Value::as_str) {
            Some(call_id) => call_id.to_string(),
            None => {
                self.calls += 1;
                format!("call_{}", self.calls)
            }
        }
    }
}

/// The wire a scripted reply is sent on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    Responses,
    Chat,
    Anthropic,
}

impl Wire {
    /// The wire whose endpoint `path` is.
    pub fn of_path(path: &str) -> Option<Wire> {
        match path {
            "/v1/responses" => Some(Wire::Responses),
            "/v1/chat/completions" => Some(Wire::Chat),
            "/v1/messages" => Some(Wire::Anthropic),
            _ => None,
        }
    }
}

/// Responses SSE text (whole events) as the same answer on `wire`.
fn translate(text: &str, wire: Wire) -> String {
    use crate::wire_sse::*;
    let events = text
        .split("\n\n")
        .filter_map(|frame| frame.lines().find_map(|line| line.strip_prefix("data: ")))
        .filter_map(|data| serde_json::from_str::<Value>(data).ok());
    let mut out = Vec::new();
    let mut index = 0;
    for event in events {
        let item = &event["item"];
        let call = |id: &Value, name: &Value, arguments: String| {
            (
                id.as_str().unwrap_or_default().to_string(),
                name.as_str().unwrap_or_default().to_string(),
                arguments,
            )
        };
        let text_of = |pointer: &str| {
            item.pointer(pointer)
                .and_then(Value::as_str)
                .unwrap_or_default()
        };
        let piece = match (
            event["type"].as_str().unwrap_or_default(),
            item["type"].as_str(),
        ) {
            ("response.created", _) => match wire {
                Wire::Anthropic => Some(an_message_start(0, 0, 0)),
                _ => None,
            },
            ("response.output_item.done", Some("message")) => Some(match wire {
                Wire::Anthropic => an_text(index, text_of("/content/0/text")),
                _ => chat_text(text_of("/content/0/text")),
            }),
            ("response.output_item.done", Some("reasoning")) => Some(match wire {
                Wire::Anthropic => an_thinking(index, text_of("/summary/0/text"), "sig"),
                _ => chat_reasoning("reasoning_content", text_of("/summary/0/text")),
            }),
            ("response.output_item.done", Some(kind @ ("function_call" | "custom_tool_call"))) => {
                let arguments = if kind == "function_call" {
                    text_of("/arguments").to_string()
                } else {
                    serde_json::json!({"input": text_of("/input")}).to_string()
                };
                let (id, name, arguments) = call(&item["call_id"], &item["name"], arguments);
                Some(match wire {
                    Wire::Anthropic => an_tool_use(index, &id, &name, &arguments),
                    _ => chat_tool_calls(&[(&id, &name, &arguments)]),
                })
            }
            ("response.completed", _) => {
                let usage = &event["response"]["usage"];
                let count =
                    |pointer: &str| usage.pointer(pointer).and_then(Value::as_u64).unwrap_or(0);
                let (input, cached, output) = (
                    count("/input_tokens"),
                    count("/input_tokens_details/cached_tokens"),
                    count("/output_tokens"),
                );
                Some(match wire {
                    Wire::Anthropic => serde_json::json!([
                        {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                         "usage": {"input_tokens": input - cached, "cache_read_input_tokens": cached,
                                   "output_tokens": output}},
                        {"type": "message_stop"},
                    ]),
                    _ => Value::Array(vec![chat_finish("stop"), chat_usage(input, cached, output)]),
                })
            }
            ("response.failed", _) => {
                let message = event
                    .pointer("/response/error/message")
                    .cloned()
                    .unwrap_or_default();
                Some(match wire {
                    Wire::Anthropic => {
                        serde_json::json!({"type": "error", "error": {"type": "api_error", "message": message}})
                    }
                    _ => serde_json::json!({"error": {"message": message}}),
                })
            }
            ("response.incomplete", _) => Some(match wire {
                Wire::Anthropic => an_stop("max_tokens", 0),
                _ => chat_finish("length"),
            }),
            _ => None,
        };
        if let Some(piece) = piece {
            if event["type"] == "response.output_item.done" {
                index += 1;
            }
            out.push(piece);
        }
    }
    match wire {
        Wire::Anthropic => anthropic_sse(&out),
        Wire::Chat if text.contains("\"response.completed\"") => chat_sse(&out),
        _ => chat_sse_without_done(&out),
    }
}

fn plain_reply(step: &Value) -> Result<Reply, String> {
    let status = step
        .get("status")
        .and_then(Value::as_u64)
        .and_then(|status| u16::try_from(status).ok())
        .ok_or("expected an HTTP status number")?;
    let mut headers = vec![("content-type".to_string(), "application/json".to_string())];
    if let Some(extra) = step.get("headers").and_then(Value::as_object) {
        for (name, value) in extra {
            let value = value
                .as_str()
                .map_or_else(|| value.to_string(), str::to_string);
            headers.push((name.clone(), value));
        }
    }
    let body = match step.get("body") {
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
        None => serde_json::json!({"error": {"message": format!("scripted status {status}")}})
            .to_string(),
    };
    Ok(Reply::Plain {
        status,
        headers,
        body,
    })
}

/// The one key of a step (`status` steps may carry `body` and `headers` too).
fn single_key(step: &Value) -> Option<(&str, &Value)> {
    let object = step.as_object()?;
    if object.contains_key("status") {
        return Some(("status", step));
    }
    let mut entries = object.iter();
    let (key, value) = entries.next()?;
    entries.next().is_none().then_some((key.as_str(), value))
}

fn string(value: &Value) -> Result<&str, String> {
    value
        .as_str()
        .ok_or_else(|| format!("expected a string, got {value}"))
}

fn field<'v>(value: &'v Value, name: &str) -> Result<&'v str, String> {
    value
        .get(name)
        .and_then(Value::as_str)
        .ok_or_else(|| format!("expected a string field `{name}`"))
}

/// Adjacent text pieces joined, so a turn without pauses is one write.
fn merge_texts(pieces: Vec<Piece>) -> Vec<Piece> {
    let mut merged: Vec<Piece> = Vec::new();
    for piece in pieces {
        match (merged.last_mut(), piece) {
            (Some(Piece::Text(last)), Piece::Text(text)) => last.push_str(&text),
            (_, piece) => merged.push(piece),
        }
    }
    merged
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sse::{ev_completed, sse};
    use serde_json::json;

    fn state(script: Value) -> ScriptState {
        ScriptState::new(serde_json::from_value(script).unwrap()).unwrap()
    }

    fn thread(id: &str) -> Value {
        json!({"prompt_cache_key": id})
    }

    #[test]
    fn turns_render_as_the_sse_builders_do() {
        let mut state = state(json!({"responses": [[
            {"message": "hi"},
            {"function_call": {"name": "exec_command", "arguments": {"cmd": "true"}}},
        ]]}));
        assert_eq!(
            state.reply(&thread("t")),
            Reply::Stream(vec![Piece::Text(sse(&[
                ev_response_created("resp_1"),
                ev_assistant_message("msg_0", "hi"),
                ev_function_call("call_1", "exec_command", r#"{"cmd":"true"}"#),
                ev_completed("resp_1"),
            ]))])
        );
    }

    #[test]
    fn past_the_end_is_a_500_unless_loop_or_repeat_last() {
        let mut plain = state(
            json!({"responses": [[{"status": 429, "headers": {"retry-after": "0"}, "body": "slow down"}]]}),
        );
        assert_eq!(
            plain.reply(&thread("t")),
            Reply::Plain {
                status: 429,
                headers: vec![
                    ("content-type".to_string(), "application/json".to_string()),
                    ("retry-after".to_string(), "0".to_string()),
                ],
                body: "slow down".to_string(),
            }
        );
        assert_eq!(
            plain.reply(&thread("t")),
            Reply::Plain {
                status: 500,
                headers: vec![("content-type".to_string(), "application/json".to_string())],
                body: r#"{"error":{"message":"duet-mock-responses: request 2 is past the end of the script (1 responses): set \"loop\" or \"repeat_last\""}}"#.to_string(),
            }
        );
    }

    #[test]
    fn per_thread_positions_and_loop() {
        let mut state = state(json!({
            "responses": [[{"status": 501}], [{"status": 502}]],
            "loop": true,
            "per_thread": true,
        }));
        let statuses: Vec<u16> = ["a", "a", "b", "a"]
            .iter()
            .map(|id| match state.reply(&thread(id)) {
                Reply::Plain { status, .. } => status,
                Reply::Stream(_) => 200,
            })
            .collect();
        assert_eq!(statuses, vec![501, 502, 501, 501]);
    }

    #[test]
    fn bad_steps_fail_at_load_with_their_place() {
        let errors: Vec<String> = [
            json!({"responses": [[{"message": "ok"}, {"mesage": "typo"}]]}),
            json!({"responses": [[{"function_call": {"arguments": {}}}]]}),
            json!({"responses": [[{"message": "a", "reasoning": "b"}]]}),
        ]
        .into_iter()
        .map(|script| ScriptState::new(serde_json::from_value(script).unwrap()).unwrap_err())
        .collect();
        assert_eq!(
            errors,
            vec![
                "responses[0]: step 1: unknown step `mesage`".to_string(),
                "responses[0]: step 0 (`function_call`): expected a string field `name`".to_string(),
                r#"responses[0]: step 0 must be an object with one key, got {"message":"a","reasoning":"b"}"#.to_string(),
            ]
        );
    }

    #[test]
    fn sleeps_split_the_stream() {
        let mut state = state(json!({"responses": [[{"sleep_ms": 5}, {"raw": "data: junk\n\n"}]]}));
        let Reply::Stream(pieces) = state.reply(&thread("t")) else {
            panic!("expected a stream");
        };
        assert_eq!(
            pieces,
            vec![
                Piece::Text(sse(&[ev_response_created("resp_1")])),
                Piece::Sleep(Duration::from_millis(5)),
                Piece::Text(format!(
                    "data: junk\n\n{}",
                    sse_numbered(&[ev_completed("resp_1")], &mut 1)
                )),
            ]
        );
    }
}
