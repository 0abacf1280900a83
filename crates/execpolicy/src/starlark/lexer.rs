//! Tokens of the Starlark subset, with Python's layout rules: `INDENT` and
//! `DEDENT` from leading whitespace, newlines ignored inside brackets, `\`
//! continuing a line. Every token carries the line and column it starts at.
//!
//! It is not a full Starlark lexer: no bytes literals, no floats.

use super::{Pos, SyntaxError};

#[derive(Debug, Clone, PartialEq)]
pub enum Tok {
    Name(String),
    Int(i64),
    Str(String),
    /// An f-string: the raw text between the quotes, escapes already
    /// resolved, `{…}` still in it.
    FStr(String),
    /// Punctuation and keywords (`def`, `for`, `(`, `==`, …).
    Sym(&'static str),
    Newline,
    Indent,
    Dedent,
    Eof,
}

#[derive(Debug, Clone)]
pub struct Token {
    pub tok: Tok,
    pub pos: Pos,
}

const KEYWORDS: &[&str] = &[
    "and", "break", "continue", "def", "elif", "else", "for", "if", "in", "lambda", "load", "not",
    "or", "pass", "return", "None", "True", "False",
];

/// Longest first, so `**` wins over `*`.
const SYMBOLS: &[&str] = &[
    "**", "==", "!=", "<=", ">=", "+=", "-=", "*=", "//", "(", ")", "[", "]", "{", "}", ",", ":",
    "=", ".", "+", "-", "*", "%", "<", ">", ";", "/", "|",
];

pub fn tokenize(source: &str) -> Result<Vec<Token>, SyntaxError> {
    Lexer {
        chars: source.chars().collect(),
        at: 0,
        line: 1,
        col: 1,
        tokens: Vec::new(),
        indents: vec![0],
        open: Vec::new(),
    }
    .run()
}

struct Lexer {
    chars: Vec<char>,
    at: usize,
    line: usize,
    col: usize,
    tokens: Vec<Token>,
    indents: Vec<usize>,
    /// Open brackets and where they opened: newlines and indentation do
    /// not count inside them.
    open: Vec<(char, Pos)>,
}

impl Lexer {
    fn run(mut self) -> Result<Vec<Token>, SyntaxError> {
        let mut line_start = true;
        loop {
            if line_start && self.open.is_empty() {
                // A blank or comment-only line leaves us at the start of
                // the next one.
                line_start = self.layout()?;
                if line_start {
                    continue;
                }
            }
            let Some(c) = self.peek(0) else { break };
            let pos = self.pos();
            match c {
                ' ' | '\t' | '\r' => self.bump(),
                '#' => {
                    while self.peek(0).is_some_and(|c| c != '\n') {
                        self.bump();
                    }
                }
                '\\' if self.peek(1) == Some('\n') => {
                    self.bump();
                    self.bump();
                }
                '\n' => {
                    self.bump();
                    if self.open.is_empty() {
                        self.push_newline(pos);
                        line_start = true;
                    }
                }
                '"' | '\'' => {
                    let text = self.string(c, false)?;
                    self.tokens.push(Token {
                        tok: Tok::Str(text),
                        pos,
                    });
                }
                'r' | 'f' if matches!(self.peek(1), Some('"' | '\'')) => {
                    self.bump();
                    let quote = self.peek(0).expect("peeked a quote");
                    let text = self.string(quote, c == 'r')?;
                    let tok = if c == 'f' {
                        Tok::FStr(text)
                    } else {
                        Tok::Str(text)
                    };
                    self.tokens.push(Token { tok, pos });
                }
                c if c.is_ascii_digit() => {
                    let mut text = String::new();
                    while let Some(d) = self.peek(0).filter(|c| c.is_ascii_alphanumeric()) {
                        text.push(d);
                        self.bump();
                    }
                    let value = text.parse::<i64>().map_err(|_| SyntaxError {
                        pos,
                        message: format!("invalid number `{text}`"),
                    })?;
                    self.tokens.push(Token {
                        tok: Tok::Int(value),
                        pos,
                    });
                }
                c if c.is_alphabetic() || c == '_' => {
                    let mut name = String::new();
                    while let Some(d) = self.peek(0).filter(|c| c.is_alphanumeric() || *c == '_') {
                        name.push(d);
                        self.bump();
                    }
                    let tok = match KEYWORDS.iter().find(|k| **k == name) {
                        Some(keyword) => Tok::Sym(keyword),
                        None => Tok::Name(name),
                    };
                    self.tokens.push(Token { tok, pos });
                }
                _ => self.symbol(pos)?,
            }
        }
        if let Some((bracket, pos)) = self.open.pop() {
            return Err(SyntaxError {
                pos,
                message: format!("`{bracket}` is never closed"),
            });
        }
        let pos = self.pos();
        self.push_newline(pos);
        while self.indents.len() > 1 {
            self.indents.pop();
            self.tokens.push(Token {
                tok: Tok::Dedent,
                pos,
            });
        }
        self.tokens.push(Token { tok: Tok::Eof, pos });
        Ok(self.tokens)
    }

    /// Measure a line's indentation; `true` when the line is blank or a
    /// comment (nothing to emit).
    fn layout(&mut self) -> Result<bool, SyntaxError> {
        let mut width = 0;
        while let Some(c) = self.peek(0) {
            match c {
                ' ' => width += 1,
                '\t' => width += 8 - width % 8,
                '\r' => {}
                _ => break,
            }
            self.bump();
        }
        match self.peek(0) {
            None => return Ok(false),
            Some('\n') => {
                self.bump();
                return Ok(true);
            }
            Some('#') => {
                while self.peek(0).is_some_and(|c| c != '\n') {
                    self.bump();
                }
                self.bump();
                return Ok(true);
            }
            _ => {}
        }
        let pos = self.pos();
        let current = *self
            .indents
            .last()
            .expect("the base indent is never popped");
        if width > current {
            self.indents.push(width);
            self.tokens.push(Token {
                tok: Tok::Indent,
                pos,
            });
        } else {
            while width
                < *self
                    .indents
                    .last()
                    .expect("the base indent is never popped")
            {
                self.indents.pop();
                self.tokens.push(Token {
                    tok: Tok::Dedent,
                    pos,
                });
            }
            if width
                != *self
                    .indents
                    .last()
                    .expect("the base indent is never popped")
            {
                return Err(SyntaxError {
                    pos,
                    message: "unindent does not match any outer indentation level".into(),
                });
            }
        }
        Ok(false)
    }

    fn push_newline(&mut self, pos: Pos) {
        if !matches!(
            self.tokens.last().map(|t| &t.tok),
            None | Some(Tok::Newline | Tok::Indent | Tok::Dedent)
        ) {
            self.tokens.push(Token {
                tok: Tok::Newline,
                pos,
            });
        }
    }

    fn symbol(&mut self, pos: Pos) -> Result<(), SyntaxError> {
        for symbol in SYMBOLS {
            if symbol
                .chars()
                .enumerate()
                .all(|(i, c)| self.peek(i) == Some(c))
            {
                for _ in 0..symbol.len() {
                    self.bump();
                }
                match *symbol {
                    "(" | "[" | "{" => self.open.push((symbol.chars().next().unwrap_or('('), pos)),
                    ")" | "]" | "}" => {
                        let expected = match self.open.pop() {
                            Some(('(', _)) => ")",
                            Some(('[', _)) => "]",
                            Some(_) => "}",
                            None => "",
                        };
                        if *symbol != expected {
                            return Err(SyntaxError {
                                pos,
                                message: format!("unexpected `{symbol}`"),
                            });
                        }
                    }
                    _ => {}
                }
                self.tokens.push(Token {
                    tok: Tok::Sym(symbol),
                    pos,
                });
                return Ok(());
            }
        }
        let c = self.peek(0).unwrap_or(' ');
        Err(SyntaxError {
            pos,
            message: format!("unexpected character `{c}`"),
        })
    }

    /// A quoted string starting at the opening quote; returns its value.
    fn string(&mut self, quote: char, raw: bool) -> Result<String, SyntaxError> {
        let start = self.pos();
        let triple = self.peek(1) == Some(quote) && self.peek(2) == Some(quote);
        let quotes = if triple { 3 } else { 1 };
        for _ in 0..quotes {
            self.bump();
        }
        let mut text = String::new();
        loop {
            let unterminated = || SyntaxError {
                pos: start,
                message: "unterminated string literal".into(),
            };
            let c = self.peek(0).ok_or_else(unterminated)?;
            if c == quote
                && (!triple || (self.peek(1) == Some(quote) && self.peek(2) == Some(quote)))
            {
                for _ in 0..quotes {
                    self.bump();
                }
                return Ok(text);
            }
            if c == '\n' && !triple {
                return Err(unterminated());
            }
            self.bump();
            if c != '\\' {
                text.push(c);
                continue;
            }
            let escaped = self.peek(0).ok_or_else(unterminated)?;
            if raw {
                text.push('\\');
                text.push(escaped);
                self.bump();
                continue;
            }
            self.bump();
            match escaped {
                'n' => text.push('\n'),
                't' => text.push('\t'),
                'r' => text.push('\r'),
                '0' => text.push('\0'),
                '\n' => {}
                '\\' | '\'' | '"' => text.push(escaped),
                'x' | 'u' | 'U' => {
                    let digits = match escaped {
                        'x' => 2,
                        'u' => 4,
                        _ => 8,
                    };
                    let hex: String = (0..digits).filter_map(|i| self.peek(i)).collect();
                    let value = u32::from_str_radix(&hex, 16)
                        .ok()
                        .filter(|_| hex.len() == digits)
                        .and_then(char::from_u32)
                        .ok_or_else(|| SyntaxError {
                            pos: self.pos(),
                            message: format!("invalid escape `\\{escaped}{hex}`"),
                        })?;
                    for _ in 0..digits {
                        self.bump();
                    }
                    text.push(value);
                }
                other => {
                    text.push('\\');
                    text.push(other);
                }
            }
        }
    }

    fn peek(&self, ahead: usize) -> Option<char> {
        self.chars.get(self.at + ahead).copied()
    }

    fn bump(&mut self) {
        if let Some(c) = self.peek(0) {
            self.at += 1;
            if c == '\n' {
                self.line += 1;
                self.col = 1;
            } else {
                self.col += 1;
            }
        }
    }

    fn pos(&self) -> Pos {
        Pos {
            line: self.line,
            col: self.col,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn toks(source: &str) -> Vec<Tok> {
        tokenize(source)
            .unwrap()
            .into_iter()
            .map(|t| t.tok)
            .collect()
    }

    #[test]
    fn blocks_become_indent_and_dedent() {
        assert_eq!(
            toks("def f(x):\n    g(x)\n\ny = 'a\\n'\n"),
            vec![
                Tok::Sym("def"),
                Tok::Name("f".into()),
                Tok::Sym("("),
                Tok::Name("x".into()),
                Tok::Sym(")"),
                Tok::Sym(":"),
                Tok::Newline,
                Tok::Indent,
                Tok::Name("g".into()),
                Tok::Sym("("),
                Tok::Name("x".into()),
                Tok::Sym(")"),
                Tok::Newline,
                Tok::Dedent,
                Tok::Name("y".into()),
                Tok::Sym("="),
                Tok::Str("a\n".into()),
                Tok::Newline,
                Tok::Eof,
            ]
        );
    }

    #[test]
    fn newlines_inside_brackets_do_not_end_the_statement() {
        assert_eq!(
            toks("f(\n  1,\n  r'\\d',\n)"),
            vec![
                Tok::Name("f".into()),
                Tok::Sym("("),
                Tok::Int(1),
                Tok::Sym(","),
                Tok::Str("\\d".into()),
                Tok::Sym(","),
                Tok::Sym(")"),
                Tok::Newline,
                Tok::Eof,
            ]
        );
    }

    #[test]
    fn an_unterminated_string_names_where_it_starts() {
        let error = tokenize("x = 1\ny = \"abc\n").unwrap_err();
        assert_eq!(
            (error.pos, error.message.as_str()),
            (Pos { line: 2, col: 5 }, "unterminated string literal")
        );
    }
}
