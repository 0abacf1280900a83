//! Server-sent events of the Responses API: a byte-level SSE framer and the
//! mapping of each event's JSON to a [`ResponseEvent`].
//!
//! The framer takes chunks as they arrive (a line or a UTF-8 sequence may be
//! split between chunks), accepts LF and CRLF line ends, skips `:` comments
//! and joins multi-line `data:` with `\n`. Events are told apart by the
//! `type` inside the JSON, not by the `event:` line, which may be absent.
//! This module does no IO; `client.rs` feeds it.

use crate::client::ResponseEvent;
use crate::error::ModelError;
use crate::items::ResponseItem;
use serde::Deserialize;
use serde_json::Value;

/// `response.usage` of `response.completed`. Deserialises from the API's
/// nested shape (`input_tokens_details.cached_tokens`, …); missing counts are 0.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(from = "WireUsage")]
pub struct TokenUsage {
    /// All input tokens, cached and cache-written ones included.
    pub input_tokens: u64,
    /// Input tokens read from the provider's prompt cache.
    pub cached_input_tokens: u64,
    /// Input tokens written to the prompt cache (Anthropic bills them apart).
    pub cache_write_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
    pub total_tokens: u64,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    input_tokens: u64,
    #[serde(default)]
    input_tokens_details: Option<InputDetails>,
    #[serde(default)]
    output_tokens: u64,
    #[serde(default)]
    output_tokens_details: Option<OutputDetails>,
    #[serde(default)]
    total_tokens: u64,
}

#[derive(Deserialize)]
struct InputDetails {
    #[serde(default)]
    cached_tokens: u64,
}

#[derive(Deserialize)]
struct OutputDetails {
    #[serde(default)]
    reasoning_tokens: u64,
}

impl From<WireUsage> for TokenUsage {
    fn from(wire: WireUsage) -> Self {
        TokenUsage {
            input_tokens: wire.input_tokens,
            cached_input_tokens: wire.input_tokens_details.map_or(0, |d| d.cached_tokens),
            cache_write_input_tokens: 0,
            output_tokens: wire.output_tokens,
            reasoning_output_tokens: wire.output_tokens_details.map_or(0, |d| d.reasoning_tokens),
            total_tokens: wire.total_tokens,
        }
    }
}

/// What the framer produces: the `data` of one event, or a line it could not decode.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Frame {
    Data(String),
    InvalidUtf8(String),
}

/// Splits a byte stream into SSE events.
#[derive(Debug, Default)]
pub(crate) struct SseFramer {
    /// Bytes after the last line end seen.
    pending: Vec<u8>,
    /// How many bytes at the start of `pending` are known to hold no line
    /// end: a long line arriving in many chunks is searched once, not once
    /// per chunk (which made one 16 MB event take seconds).
    scanned: usize,
    /// Bytes searched for line ends so far (tests check it stays linear).
    #[cfg(test)]
    examined: usize,
    /// `data:` lines of the event being read.
    data_lines: Vec<String>,
}

impl SseFramer {
    /// Consume a chunk; return the events it completed.
    pub(crate) fn feed(&mut self, chunk: &[u8]) -> Vec<Frame> {
        self.pending.extend_from_slice(chunk);
        let mut frames = Vec::new();
        let mut line_start = 0;
        let mut search_from = self.scanned;
        while let Some(offset) = self.pending[search_from..].iter().position(|b| *b == b'\n') {
            #[cfg(test)]
            {
                self.examined += offset + 1;
            }
            let line_end = search_from + offset;
            let mut line = &self.pending[line_start..line_end];
            if let Some(stripped) = line.strip_suffix(b"\r") {
                line = stripped;
            }
            match std::str::from_utf8(line) {
                Ok(line) => {
                    let line = line.to_string();
                    if let Some(frame) = self.take_line(&line) {
                        frames.push(frame);
                    }
                }
                Err(err) => frames.push(Frame::InvalidUtf8(err.to_string())),
            }
            line_start = line_end + 1;
            search_from = line_start;
        }
        #[cfg(test)]
        {
            self.examined += self.pending.len() - search_from;
        }
        self.pending.drain(..line_start);
        self.scanned = self.pending.len();
        frames
    }

    /// The stream ended: an unterminated last line or event still counts.
    pub(crate) fn finish(&mut self) -> Vec<Frame> {
        let mut frames = Vec::new();
        if !self.pending.is_empty() {
            frames.extend(self.feed(b"\n"));
        }
        frames.extend(self.feed(b"\n"));
        frames
    }

    fn take_line(&mut self, line: &str) -> Option<Frame> {
        if line.is_empty() {
            if self.data_lines.is_empty() {
                return None;
            }
            let data = self.data_lines.join("\n");
            self.data_lines.clear();
            return Some(Frame::Data(data));
        }
        if line.starts_with(':') {
            return None;
        }
        let (field, value) = match line.split_once(':') {
            Some((field, value)) => (field, value.strip_prefix(' ').unwrap_or(value)),
            None => (line, ""),
        };
        // `event:`, `id:` and `retry:` carry nothing this client needs.
        if field == "data" {
            self.data_lines.push(value.to_string());
        }
        None
    }
}

/// How long a malformed line may be quoted in a warning.
const QUOTE_CHARS: usize = 200;

/// The event for one frame: `None` for the event types the client ignores,
/// `Some(Err)` for failures (fatal or retryable, see [`ModelError::is_retryable`]).
pub(crate) fn frame_event(frame: Frame) -> Option<Result<ResponseEvent, ModelError>> {
    let data = match frame {
        Frame::Data(data) => data,
        Frame::InvalidUtf8(detail) => {
            return Some(Err(ModelError::disconnected(format!(
                "invalid UTF-8 in the event stream: {detail}"
            ))));
        }
    };
    let Some((kind, event)) = serde_json::from_str::<Value>(&data)
        .ok()
        .and_then(|event| Some((event.get("type")?.as_str()?.to_string(), event)))
    else {
        return Some(Ok(malformed(&data)));
    };
    let text = |field: &str| event.get(field).and_then(Value::as_str).map(str::to_string);
    let response_id = || {
        event
            .pointer("/response/id")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_string()
    };
    let item = || {
        event
            .get("item")
            .and_then(|item| ResponseItem::deserialize(item).ok())
    };
    let event = match kind.as_str() {
        "response.created" => ResponseEvent::Created {
            response_id: response_id(),
        },
        "response.output_item.added" => match item() {
            Some(item) => ResponseEvent::OutputItemAdded(item),
            None => malformed(&data),
        },
        "response.output_item.done" => match item() {
            Some(item) => ResponseEvent::OutputItemDone(item),
            None => malformed(&data),
        },
        "response.output_text.delta" => ResponseEvent::OutputTextDelta {
            item_id: text("item_id"),
            delta: text("delta").unwrap_or_default(),
        },
        "response.reasoning_summary_text.delta" => ResponseEvent::ReasoningSummaryDelta {
            item_id: text("item_id"),
            delta: text("delta").unwrap_or_default(),
        },
        "response.completed" => ResponseEvent::Completed {
            response_id: response_id(),
            usage: event
                .pointer("/response/usage")
                .and_then(|usage| TokenUsage::deserialize(usage).ok()),
        },
        "response.failed" => {
            let error = event.pointer("/response/error").unwrap_or(&Value::Null);
            return Some(Err(error_event(error)));
        }
        "error" => {
            // Seen both as `{type, code, message}` and `{type, error: {code, message}}`.
            let error = event.get("error").unwrap_or(&event);
            return Some(Err(error_event(error)));
        }
        "response.incomplete" => {
            let reason = event
                .pointer("/response/incomplete_details/reason")
                .and_then(Value::as_str)
                .unwrap_or("unknown");
            return Some(Err(ModelError::Incomplete {
                reason: reason.to_string(),
            }));
        }
        _ => return None,
    };
    Some(Ok(event))
}

/// The error for an `error` object of the API (`{code, message}`), whether it
/// came in a stream event or an HTTP error body.
pub(crate) fn error_event(error: &Value) -> ModelError {
    let code = error
        .get("code")
        .and_then(Value::as_str)
        .map(str::to_string);
    let message = error
        .get("message")
        .and_then(Value::as_str)
        .unwrap_or("no error message")
        .to_string();
    let kind = error
        .get("type")
        .and_then(Value::as_str)
        .unwrap_or_default();
    if kind == "exceed_context_size_error" || says_too_long(&message) {
        return ModelError::ContextWindowExceeded;
    }
    match code.as_deref() {
        Some("context_length_exceeded") => ModelError::ContextWindowExceeded,
        Some("insufficient_quota") => ModelError::QuotaExceeded {
            server_message: message,
        },
        _ => ModelError::ResponseFailed { code, message },
    }
}

/// Whether an error text says the request is too long for the model's
/// context window, in the words of the servers duet talks to (OpenAI,
/// vLLM, llama.cpp, Anthropic, LiteLLM, Ollama).
pub(crate) fn says_too_long(text: &str) -> bool {
    const PHRASES: [&str; 8] = [
        "context_length_exceeded",
        "exceed_context_size_error",
        "maximum context length",
        "exceeds the available context size",
        "exceeds the context window",
        "context length exceeded",
        "prompt is too long",
        "input is too long for the model",
    ];
    let text = text.to_ascii_lowercase();
    PHRASES.iter().any(|phrase| text.contains(phrase))
}

pub(crate) fn malformed(data: &str) -> ResponseEvent {
    let quoted: String = data.chars().take(QUOTE_CHARS).collect();
    ResponseEvent::Warning(format!(
        "skipped a malformed line in the model stream: {quoted}"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    /// Feed `chunks` and map every frame, errors as `Err((message, retryable))`.
    fn check(chunks: &[&[u8]], expected: Vec<Result<ResponseEvent, (&str, bool)>>) {
        let mut framer = SseFramer::default();
        let mut frames = Vec::new();
        for chunk in chunks {
            frames.extend(framer.feed(chunk));
        }
        frames.extend(framer.finish());
        let actual: Vec<Result<ResponseEvent, (String, bool)>> = frames
            .into_iter()
            .filter_map(frame_event)
            .map(|event| event.map_err(|err| (err.to_string(), err.is_retryable())))
            .collect();
        let expected: Vec<Result<ResponseEvent, (String, bool)>> = expected
            .into_iter()
            .map(|event| event.map_err(|(message, retryable)| (message.to_string(), retryable)))
            .collect();
        assert_eq!(actual, expected);
    }

    fn delta(text: &str) -> Result<ResponseEvent, (&'static str, bool)> {
        Ok(ResponseEvent::OutputTextDelta {
            item_id: Some("m".to_string()),
            delta: text.to_string(),
        })
    }

    const DELTA_E: &[u8] =
        "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"m\",\"delta\":\"é\"}\n\n"
            .as_bytes();

    /// Issue 16, item 14: one 16 MB event arriving in 4 KiB chunks searched
    /// the whole pending line again for every chunk (7 s). Each byte is now
    /// searched once.
    #[test]
    fn a_long_event_in_many_chunks_is_searched_once() {
        let text = "x".repeat(16 << 20);
        let event = format!(
            "data: {}\n\n",
            serde_json::json!({"type": "response.output_text.delta", "delta": text})
        );
        let mut framer = SseFramer::default();
        let mut frames = Vec::new();
        for chunk in event.as_bytes().chunks(4096) {
            frames.extend(framer.feed(chunk));
        }
        assert_eq!(frames.len(), 1);
        assert!(
            framer.examined <= event.len() + 16,
            "searched {} bytes of {}",
            framer.examined,
            event.len()
        );
    }

    #[test]
    fn one_event_in_one_chunk() {
        check(&[DELTA_E], vec![delta("é")]);
    }

    #[test]
    fn chunks_split_anywhere_even_inside_utf8() {
        for split_at in 1..DELTA_E.len() {
            let (head, tail) = DELTA_E.split_at(split_at);
            check(&[head, tail], vec![delta("é")]);
        }
    }

    #[test]
    fn crlf_comments_and_missing_event_line() {
        check(
            &[b": keep-alive\r\n\r\ndata: {\"type\":\"response.output_text.delta\",\"item_id\":\"m\",\"delta\":\"a\"}\r\n\r\n"],
            vec![delta("a")],
        );
    }

    #[test]
    fn multi_line_data_is_joined_with_newlines() {
        check(
            &[b"data: {\"type\":\"response.output_text.delta\",\ndata: \"item_id\":\"m\",\"delta\":\"b\"}\n\n"],
            vec![delta("b")],
        );
    }

    #[test]
    fn unterminated_last_event_still_counts() {
        check(
            &[b"data: {\"type\":\"response.output_text.delta\",\"item_id\":\"m\",\"delta\":\"c\"}"],
            vec![delta("c")],
        );
    }

    #[test]
    fn malformed_lines_warn_and_parsing_goes_on() {
        check(
            &[b"data: {not json\n\ndata: {\"no_type\":1}\n\n", DELTA_E],
            vec![
                Ok(ResponseEvent::Warning(
                    "skipped a malformed line in the model stream: {not json".to_string(),
                )),
                Ok(ResponseEvent::Warning(
                    "skipped a malformed line in the model stream: {\"no_type\":1}".to_string(),
                )),
                delta("é"),
            ],
        );
    }

    #[test]
    fn malformed_line_quote_is_cut_at_200_chars() {
        let long = format!("data: {}\n\n", "x".repeat(300));
        check(
            &[long.as_bytes()],
            vec![Ok(ResponseEvent::Warning(format!(
                "skipped a malformed line in the model stream: {}",
                "x".repeat(200)
            )))],
        );
    }

    #[test]
    fn invalid_utf8_is_a_retryable_disconnect() {
        check(
            &[b"data: \xff\xfe\n\n"],
            vec![Err((
                "stream disconnected before completion: invalid UTF-8 in the event stream: invalid utf-8 sequence of 1 bytes from index 6",
                true,
            ))],
        );
    }

    #[test]
    fn ignored_types_yield_nothing() {
        check(
            &[b"data: {\"type\":\"response.in_progress\"}\n\ndata: {\"type\":\"response.function_call_arguments.delta\",\"delta\":\"{\"}\n\n"],
            vec![],
        );
    }

    #[test]
    fn created_items_and_completed_with_nested_usage() {
        let body = concat!(
            "data: {\"type\":\"response.created\",\"response\":{\"id\":\"r1\"}}\n\n",
            "data: {\"type\":\"response.reasoning_summary_text.delta\",\"item_id\":\"rs\",\"delta\":\"hm\"}\n\n",
            "data: {\"type\":\"response.output_item.done\",\"item\":{\"type\":\"function_call\",\"call_id\":\"c1\",\"name\":\"exec_command\",\"arguments\":\"{}\"}}\n\n",
            "data: {\"type\":\"response.completed\",\"response\":{\"id\":\"r1\",\"usage\":{\"input_tokens\":10,\"input_tokens_details\":{\"cached_tokens\":4},\"output_tokens\":5,\"output_tokens_details\":{\"reasoning_tokens\":2},\"total_tokens\":15}}}\n\n",
        );
        check(
            &[body.as_bytes()],
            vec![
                Ok(ResponseEvent::Created {
                    response_id: "r1".to_string(),
                }),
                Ok(ResponseEvent::ReasoningSummaryDelta {
                    item_id: Some("rs".to_string()),
                    delta: "hm".to_string(),
                }),
                Ok(ResponseEvent::OutputItemDone(ResponseItem::FunctionCall {
                    id: None,
                    call_id: "c1".to_string(),
                    name: "exec_command".to_string(),
                    arguments: "{}".to_string(),
                    namespace: None,
                })),
                Ok(ResponseEvent::Completed {
                    response_id: "r1".to_string(),
                    usage: Some(TokenUsage {
                        input_tokens: 10,
                        cached_input_tokens: 4,
                        cache_write_input_tokens: 0,
                        output_tokens: 5,
                        reasoning_output_tokens: 2,
                        total_tokens: 15,
                    }),
                }),
            ],
        );
    }

    #[test]
    fn failures_fatal_and_retryable() {
        let body = concat!(
            "data: {\"type\":\"response.failed\",\"response\":{\"error\":{\"code\":\"context_length_exceeded\",\"message\":\"too long\"}}}\n\n",
            "data: {\"type\":\"response.failed\",\"response\":{\"error\":{\"code\":\"insufficient_quota\",\"message\":\"no credit\"}}}\n\n",
            "data: {\"type\":\"response.failed\",\"response\":{\"error\":{\"code\":\"server_error\",\"message\":\"try again\"}}}\n\n",
            "data: {\"type\":\"error\",\"message\":\"flaky\"}\n\n",
            "data: {\"type\":\"response.incomplete\",\"response\":{\"incomplete_details\":{\"reason\":\"max_output_tokens\"}}}\n\n",
        );
        check(
            &[body.as_bytes()],
            vec![
                Err((
                    "the conversation no longer fits in the model's context window: start a new session or compact it, then retry",
                    false,
                )),
                Err((
                    "the model provider reports the quota is exhausted: no credit: check the plan and billing details of the API key's account",
                    false,
                )),
                Err(("the model failed to produce a response: try again", true)),
                Err(("the model failed to produce a response: flaky", true)),
                Err((
                    "incomplete response returned, reason: max_output_tokens",
                    false,
                )),
            ],
        );
    }
}
