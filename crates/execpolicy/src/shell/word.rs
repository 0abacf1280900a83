//! A shell word after quote removal: known exactly, a glob, or unknown until
//! the command runs. Built piece by piece from quoted and unquoted parts.

use crate::policy::MatchWord;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Word {
    /// As written in the script.
    pub text: String,
    pub value: WordValue,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WordValue {
    /// The word the program receives.
    Literal(String),
    /// Unquoted `*`, `?` or `[…]`: the shell expands it to file names. The
    /// pattern has quoted metacharacters escaped with `\`.
    Glob(String),
    /// Depends on the environment or another command: `$VAR`, `$(…)`,
    /// `~`, brace expansion.
    Unknown,
}

impl Word {
    pub fn literal(text: &str) -> Word {
        Word {
            text: text.to_owned(),
            value: WordValue::Literal(text.to_owned()),
        }
    }

    pub fn unknown(text: &str) -> Word {
        Word {
            text: text.to_owned(),
            value: WordValue::Unknown,
        }
    }

    pub fn as_literal(&self) -> Option<&str> {
        match &self.value {
            WordValue::Literal(text) => Some(text),
            _ => None,
        }
    }

    pub(crate) fn match_word(&self) -> MatchWord<'_> {
        match &self.value {
            WordValue::Literal(text) => MatchWord::Literal(text),
            WordValue::Glob(pattern) => MatchWord::Glob(pattern),
            WordValue::Unknown => MatchWord::Unknown,
        }
    }

    /// The word for display: its value when known, else as written.
    pub fn display(&self) -> &str {
        self.as_literal().unwrap_or(&self.text)
    }
}

/// Accumulates the parts of one word.
#[derive(Debug, Default)]
pub(crate) struct WordBuilder {
    literal: String,
    pattern: String,
    glob: bool,
    unknown: bool,
}

impl WordBuilder {
    /// Text that came from quotes: no globbing, no expansion.
    pub fn push_quoted(&mut self, text: &str) {
        self.literal.push_str(text);
        for c in text.chars() {
            if matches!(c, '*' | '?' | '[' | ']' | '\\') {
                self.pattern.push('\\');
            }
            self.pattern.push(c);
        }
    }

    /// Unquoted text as written: `\` escapes, globs, a leading `~`, and
    /// brace expansion.
    pub fn push_unquoted(&mut self, raw: &str) {
        if self.literal.is_empty() && self.pattern.is_empty() && raw.starts_with('~') {
            self.unknown = true;
        }
        if raw.contains('{') && (raw.contains(',') || raw.contains("..")) && raw.contains('}') {
            self.unknown = true;
        }
        let mut chars = raw.chars();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('\n') | None => {}
                    Some(escaped) => self.push_quoted(&escaped.to_string()),
                },
                '*' | '?' | '[' => {
                    self.glob = true;
                    self.literal.push(c);
                    self.pattern.push(c);
                }
                c => {
                    self.literal.push(c);
                    self.pattern.push(c);
                }
            }
        }
    }

    pub fn push_unknown(&mut self) {
        self.unknown = true;
    }

    /// A bare `{` part of a brace expansion that tree-sitter split off.
    pub fn mark_unknown_if_brace(&mut self, raw: &str) {
        if raw == "{" || raw == "}" {
            self.unknown = true;
        }
    }

    pub fn finish(self, text: &str) -> Word {
        let value = if self.unknown {
            WordValue::Unknown
        } else if self.glob {
            WordValue::Glob(self.pattern)
        } else {
            WordValue::Literal(self.literal)
        };
        Word {
            text: text.to_owned(),
            value,
        }
    }
}

/// The value of `$'…'`, or `None` for escapes this does not model.
pub(crate) fn ansi_c_value(raw: &str) -> Option<String> {
    let inner = raw.strip_prefix("$'")?.strip_suffix('\'')?;
    let mut out = String::new();
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        out.push(match chars.next()? {
            'n' => '\n',
            't' => '\t',
            'r' => '\r',
            'a' => '\x07',
            'b' => '\x08',
            'e' | 'E' => '\x1b',
            'f' => '\x0c',
            'v' => '\x0b',
            c @ ('\\' | '\'' | '"' | '?') => c,
            _ => return None,
        });
    }
    Some(out)
}

/// The value of a double-quoted string without expansions.
pub(crate) fn double_quoted_value(raw: &str) -> String {
    let inner = raw
        .strip_prefix('"')
        .and_then(|r| r.strip_suffix('"'))
        .unwrap_or(raw);
    let mut out = String::new();
    let mut chars = inner.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\\' {
            match chars.peek() {
                Some('"' | '\\' | '$' | '`') => {
                    out.push(chars.next().unwrap_or('\\'));
                    continue;
                }
                Some('\n') => {
                    chars.next();
                    continue;
                }
                _ => {}
            }
        }
        out.push(c);
    }
    out
}
