//! Word wrapping of styled text to a column width, with a prefix for the
//! first line and another for the continuation lines (bullets, indents,
//! quote bars). Widths are display columns (`unicode-width`), so wide
//! characters and emoji wrap correctly. Words longer than a line are broken.
//!
//! It does not know Markdown or cells: callers hand it spans and prefixes.

use ratatui::style::Style;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// Wrap `spans` (one logical line; a `\n` inside forces a break) to `width`
/// columns. Every output line starts with `first_prefix` (the first) or
/// `rest_prefix` (the others). An empty input gives one line: the prefix.
pub fn wrap_spans(
    spans: &[Span<'static>],
    width: usize,
    first_prefix: &[Span<'static>],
    rest_prefix: &[Span<'static>],
) -> Vec<Line<'static>> {
    let runs = spans.iter().map(|span| (span.content.as_ref(), span.style));
    wrap_runs(runs, width, first_prefix, rest_prefix)
}

/// [`wrap_spans`] over styled runs of text given as (text, style).
pub fn wrap_runs<'a>(
    runs: impl Iterator<Item = (&'a str, Style)>,
    width: usize,
    first_prefix: &[Span<'static>],
    rest_prefix: &[Span<'static>],
) -> Vec<Line<'static>> {
    let mut wrapper = Wrapper {
        width,
        rest_prefix,
        lines: Vec::new(),
        current: first_prefix.to_vec(),
        used: spans_width(first_prefix),
        prefix_width: spans_width(first_prefix),
    };
    for (content, style) in runs {
        for piece in pieces(content) {
            match piece {
                Piece::Break => wrapper.break_line(),
                Piece::Space(text) => wrapper.push_space(text, style),
                Piece::Word(text) => wrapper.push_word(text, style),
            }
        }
    }
    wrapper.finish()
}

/// [`wrap_spans`] for plain text in one style, split on its newlines.
pub fn wrap_text(
    text: &str,
    style: Style,
    width: usize,
    first_prefix: &[Span<'static>],
    rest_prefix: &[Span<'static>],
) -> Vec<Line<'static>> {
    wrap_spans(
        &[Span::styled(text.to_owned(), style)],
        width,
        first_prefix,
        rest_prefix,
    )
}

/// Cut `line` to `width` columns, ending it with `…` when something was cut.
pub fn truncate_line(line: Line<'static>, width: usize) -> Line<'static> {
    if line.width() <= width {
        return line;
    }
    let mut kept = Vec::new();
    let mut used = 0;
    let budget = width.saturating_sub(1);
    'spans: for span in line.spans {
        let mut text = String::new();
        for ch in span.content.chars() {
            let w = ch.width().unwrap_or(0);
            if used + w > budget {
                kept.push(Span::styled(text, span.style));
                break 'spans;
            }
            used += w;
            text.push(ch);
        }
        kept.push(Span::styled(text, span.style));
    }
    if width > 0 {
        kept.push(Span::raw("…"));
    }
    Line::from(kept).style(line.style)
}

pub fn spans_width(spans: &[Span<'_>]) -> usize {
    spans.iter().map(|span| span.content.width()).sum()
}

enum Piece<'a> {
    Word(&'a str),
    Space(&'a str),
    Break,
}

/// Split text into words, runs of spaces, and forced breaks.
fn pieces(text: &str) -> Vec<Piece<'_>> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut in_space: Option<bool> = None;
    for (idx, ch) in text.char_indices() {
        if ch == '\n' {
            push_piece(&mut out, &text[start..idx], in_space);
            out.push(Piece::Break);
            start = idx + 1;
            in_space = None;
            continue;
        }
        let is_space = ch == ' ' || ch == '\t';
        if in_space.is_some_and(|was| was != is_space) {
            push_piece(&mut out, &text[start..idx], in_space);
            start = idx;
        }
        in_space = Some(is_space);
    }
    push_piece(&mut out, &text[start..], in_space);
    out
}

fn push_piece<'a>(out: &mut Vec<Piece<'a>>, text: &'a str, in_space: Option<bool>) {
    match in_space {
        _ if text.is_empty() => {}
        Some(true) => out.push(Piece::Space(text)),
        _ => out.push(Piece::Word(text)),
    }
}

struct Wrapper<'p> {
    width: usize,
    rest_prefix: &'p [Span<'static>],
    lines: Vec<Line<'static>>,
    current: Vec<Span<'static>>,
    used: usize,
    /// Width of the prefix of the current line: nothing of the text is on it yet
    /// while `used == prefix_width`.
    prefix_width: usize,
}

impl Wrapper<'_> {
    fn break_line(&mut self) {
        let spans = std::mem::replace(&mut self.current, self.rest_prefix.to_vec());
        self.lines.push(trim_end(spans));
        self.prefix_width = spans_width(self.rest_prefix);
        self.used = self.prefix_width;
    }

    fn at_line_start(&self) -> bool {
        self.used == self.prefix_width
    }

    fn push_space(&mut self, text: &str, style: Style) {
        // Spaces at a wrapped line's start are dropped; at the very first
        // line they are the text's own indentation and kept.
        if self.at_line_start() && !self.lines.is_empty() {
            return;
        }
        let w = text.width();
        if self.used + w > self.width {
            self.break_line();
            return;
        }
        self.push(text.replace('\t', " "), w, style);
    }

    fn push_word(&mut self, text: &str, style: Style) {
        let w = text.width();
        if self.used + w <= self.width {
            self.push(text.to_owned(), w, style);
            return;
        }
        if !self.at_line_start() {
            self.break_line();
            if self.used + w <= self.width {
                self.push(text.to_owned(), w, style);
                return;
            }
        }
        // Longer than a whole line: break it wherever the line is full.
        let mut chunk = String::new();
        let mut chunk_width = 0;
        for ch in text.chars() {
            let cw = ch.width().unwrap_or(0);
            if self.used + chunk_width + cw > self.width
                && !(self.at_line_start() && chunk.is_empty())
            {
                self.push(std::mem::take(&mut chunk), chunk_width, style);
                chunk_width = 0;
                self.break_line();
            }
            chunk.push(ch);
            chunk_width += cw;
        }
        self.push(chunk, chunk_width, style);
    }

    fn push(&mut self, text: String, width: usize, style: Style) {
        if text.is_empty() {
            return;
        }
        self.used += width;
        match self.current.last_mut() {
            Some(last) if last.style == style && self.used > self.prefix_width + width => {
                last.content.to_mut().push_str(&text);
            }
            _ => self.current.push(Span::styled(text, style)),
        }
    }

    fn finish(mut self) -> Vec<Line<'static>> {
        self.lines.push(trim_end(self.current));
        self.lines
    }
}

/// Drop trailing spaces of a finished line (they would only pad it).
fn trim_end(mut spans: Vec<Span<'static>>) -> Line<'static> {
    while let Some(last) = spans.last() {
        let trimmed = last.content.trim_end_matches(' ').len();
        if trimmed == last.content.len() {
            break;
        }
        if trimmed == 0 && spans.len() > 1 {
            spans.pop();
            continue;
        }
        if let Some(last) = spans.last_mut() {
            last.content.to_mut().truncate(trimmed);
        }
        break;
    }
    Line::from(spans)
}

/// The text of lines, for tests.
#[cfg(test)]
pub fn lines_text(lines: &[Line<'_>]) -> Vec<String> {
    lines
        .iter()
        .map(|line| {
            line.spans
                .iter()
                .map(|span| span.content.as_ref())
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn check(text: &str, width: usize, expected: &[&str]) {
        let lines = wrap_text(
            text,
            Style::new(),
            width,
            &[Span::raw("• ")],
            &[Span::raw("  ")],
        );
        assert_eq!(lines_text(&lines), expected);
    }

    #[test]
    fn words_fill_lines_and_continuations_are_indented() {
        check(
            "the quick brown fox jumps over the lazy dog",
            16,
            &[
                "• the quick",
                "  brown fox",
                "  jumps over the",
                "  lazy dog",
            ],
        );
    }

    #[test]
    fn long_words_are_broken_and_newlines_force_breaks() {
        check(
            "abcdefghijklmnop\nx",
            8,
            &["• abcdef", "  ghijkl", "  mnop", "  x"],
        );
    }

    #[test]
    fn leading_indentation_is_kept_but_wrap_points_drop_spaces() {
        check(
            "  indented   text here",
            12,
            &["•   indented", "  text here"],
        );
    }

    #[test]
    fn wide_characters_count_two_columns() {
        check("日本語のテキスト", 8, &["• 日本語", "  のテキ", "  スト"]);
    }

    #[test]
    fn empty_text_is_the_prefix_alone() {
        check("", 10, &["•"]);
    }

    #[test]
    fn truncation_marks_the_cut() {
        let line = truncate_line(Line::from("0123456789"), 6);
        assert_eq!(lines_text(&[line]), ["01234…"]);
        let short = truncate_line(Line::from("0123"), 6);
        assert_eq!(lines_text(&[short]), ["0123"]);
    }
}
