//! Small text forms of protocol values shared by the front ends (the exec
//! transcript and the TUI), so both say the same thing the same way.

use serde::Serialize;
use serde::de::DeserializeOwned;
use std::borrow::Cow;
use std::fmt::Write as _;
use std::time::Duration;

/// `text` as it may be written to a terminal: every control character a
/// terminal would act on (escape sequences that set the clipboard, the
/// title or the screen; bell, backspace, a lone carriage return, C1
/// controls, DEL) is replaced by a visible escape (`\x1b`, `\r`,
/// `\u{9b}`), so text from a command or a model can never drive the
/// user's terminal. Newlines and tabs are kept; `\r\n` becomes `\n`.
pub fn visible_text(text: &str) -> Cow<'_, str> {
    let acts = |c: char| c.is_control() && c != '\n' && c != '\t';
    if !text.contains(acts) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\r' if chars.peek() == Some(&'\n') => {}
            '\r' => out.push_str("\\r"),
            c if acts(c) && u32::from(c) < 0x80 => {
                let _ = write!(out, "\\x{:02x}", u32::from(c));
            }
            c if acts(c) => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

/// `value` with every string in it passed through [`visible_text`]: an
/// event or item made safe to show on a terminal, whatever field the
/// control characters hide in. Values with nothing to replace come back
/// as they were.
pub fn visible<T: Serialize + DeserializeOwned + Clone>(value: &T) -> T {
    let Ok(mut json) = serde_json::to_value(value) else {
        return value.clone();
    };
    if !make_visible(&mut json) {
        return value.clone();
    }
    serde_json::from_value(json).unwrap_or_else(|_| value.clone())
}

/// Replace every string in `json` by its visible form; whether any changed.
fn make_visible(json: &mut serde_json::Value) -> bool {
    match json {
        serde_json::Value::String(text) => match visible_text(text) {
            Cow::Borrowed(_) => false,
            Cow::Owned(visible) => {
                *text = visible;
                true
            }
        },
        // Every element is visited: no short-circuit.
        serde_json::Value::Array(items) => {
            let mut changed = false;
            for item in items {
                changed |= make_visible(item);
            }
            changed
        }
        serde_json::Value::Object(fields) => {
            let mut changed = false;
            for field in fields.values_mut() {
                changed |= make_visible(field);
            }
            changed
        }
        _ => false,
    }
}

/// US dollars as people read a bill: `$0.0071` under a dollar (to a
/// hundredth of a cent), `$12.40` from a dollar up.
pub fn format_usd(dollars: f64) -> String {
    if dollars.abs() < 1.0 {
        format!("${dollars:.4}")
    } else {
        format!("${dollars:.2}")
    }
}

/// The share of input tokens served from the prompt cache, in whole
/// percent; `None` without input.
pub fn cache_hit_percent(input_tokens: u64, cached_input_tokens: u64) -> Option<u64> {
    (input_tokens > 0).then(|| cached_input_tokens.min(input_tokens) * 100 / input_tokens)
}

/// `3460` -> `3,460`.
pub fn with_thousands(number: u64) -> String {
    let digits = number.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (index, digit) in digits.chars().enumerate() {
        if index > 0 && (digits.len() - index).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `0ms`, `850ms`, `4.2s`, `3m 05s`.
pub fn format_duration(duration: Duration) -> String {
    let millis = duration.as_millis();
    if millis < 1000 {
        format!("{millis}ms")
    } else if millis < 60_000 {
        format!("{:.1}s", duration.as_secs_f64())
    } else {
        let secs = duration.as_secs();
        format!("{}m {:02}s", secs / 60, secs % 60)
    }
}

#[cfg(test)]
mod visible_tests {
    use super::*;
    use crate::{Event, EventMsg, Item, ItemDetails};
    use pretty_assertions::assert_eq;

    #[test]
    fn terminal_controls_are_shown_not_obeyed() {
        let cases = [
            ("plain text\n\twith tabs", "plain text\n\twith tabs"),
            ("\x1b]52;c;ZXZpbA==\x07", "\\x1b]52;c;ZXZpbA==\\x07"),
            ("\x1b[2J\x1b[H", "\\x1b[2J\\x1b[H"),
            ("line\r\nnext", "line\nnext"),
            ("100%\rdone", "100%\\rdone"),
            ("\u{9b}31m\u{7f}", "\\u{9b}31m\\x7f"),
            ("é ✓ 日本", "é ✓ 日本"),
        ];
        for (text, shown) in cases {
            assert_eq!(visible_text(text), shown, "{text:?}");
        }
        assert!(matches!(visible_text("nothing to do"), Cow::Borrowed(_)));
    }

    #[test]
    fn every_string_of_an_event_is_made_visible() {
        let event = Event {
            turn_id: Some("t\x1b1".to_string()),
            msg: EventMsg::ItemCompleted {
                item: Item {
                    id: "i".to_string(),
                    details: ItemDetails::AgentMessage {
                        text: "hi \x1b]0;pwned\x07".to_string(),
                    },
                },
            },
        };
        assert_eq!(
            visible(&event),
            Event {
                turn_id: Some("t\\x1b1".to_string()),
                msg: EventMsg::ItemCompleted {
                    item: Item {
                        id: "i".to_string(),
                        details: ItemDetails::AgentMessage {
                            text: "hi \\x1b]0;pwned\\x07".to_string(),
                        },
                    },
                },
            }
        );
    }
}
