//! Reasoning summaries: how they show (`tui.show_reasoning`), the title a
//! collapsed summary is drawn as, and the full dim rendering used when
//! expanded and by the Ctrl+T transcript.
//!
//! It does not decide when a summary is finished or where it goes; that is
//! `live.rs` (streaming) and `history.rs` (the finished cell).

use super::markdown::Markdown;
use super::prefix_lines;
use crate::theme::Theme;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

/// How reasoning summaries show in the transcript (`tui.show_reasoning`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ReasoningDisplay {
    /// One dim line: the summary's title and a hint to open the transcript.
    #[default]
    Collapsed,
    /// The whole summary, dim and italic.
    Expanded,
    /// Nothing; the Ctrl+T transcript still shows it in full.
    Hidden,
}

impl ReasoningDisplay {
    /// The values `tui.show_reasoning` accepts.
    pub const NAMES: [&str; 3] = ["collapsed", "expanded", "hidden"];

    pub fn parse(value: &str) -> Option<ReasoningDisplay> {
        match value {
            "collapsed" => Some(ReasoningDisplay::Collapsed),
            "expanded" => Some(ReasoningDisplay::Expanded),
            "hidden" => Some(ReasoningDisplay::Hidden),
            _ => None,
        }
    }
}

/// What follows a collapsed summary's title.
pub const TRANSCRIPT_HINT: &str = "(ctrl+t for the transcript)";

/// Columns of title kept before the hint is dropped to make room.
const MIN_TITLE_WIDTH: usize = 16;

/// A finished summary's title: its first `**bold**` heading line (how
/// reasoning summaries start), else its first line.
pub fn reasoning_title(text: &str) -> String {
    text.lines()
        .find_map(heading)
        .map_or_else(|| first_line(text), str::to_owned)
}

/// A streaming summary's latest heading, else its first line: a summary
/// streams in parts, each under its own heading.
pub fn latest_heading(text: &str) -> String {
    text.lines()
        .rev()
        .find_map(heading)
        .map_or_else(|| first_line(text), str::to_owned)
}

/// One dim line, `• title (ctrl+t for the transcript)`, cut to `width`
/// columns: the title is cut (with `…`) to keep the hint, and the hint goes
/// when the line is too narrow for both.
pub fn collapsed_line(title: &str, with_hint: bool, width: usize, theme: Theme) -> Line<'static> {
    let room = width.saturating_sub(2);
    let hint_width = TRANSCRIPT_HINT.width() + 1;
    let with_hint = with_hint && room >= hint_width + MIN_TITLE_WIDTH;
    let title_room = if with_hint { room - hint_width } else { room };
    let mut spans = vec![
        Span::styled("• ", theme.dim()),
        Span::styled(
            cut_to_width(title, title_room),
            theme.dim().add_modifier(Modifier::ITALIC),
        ),
    ];
    if with_hint {
        spans.push(Span::styled(format!(" {TRANSCRIPT_HINT}"), theme.dim()));
    }
    Line::from(spans)
}

/// A whole summary: Markdown, dim and italic, behind a `• ` bullet.
pub fn reasoning_lines(markdown: &Markdown, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let dim = theme.dim().add_modifier(Modifier::ITALIC);
    let body = markdown
        .lines(width.saturating_sub(2))
        .into_iter()
        .map(|line| {
            Line::from(
                line.spans
                    .into_iter()
                    .map(|span| Span::styled(span.content, span.style.patch(dim)))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    prefix_lines(body, Span::styled("• ", theme.dim()), Span::raw("  "))
}

/// `**Heading**` alone on a line: the heading.
fn heading(line: &str) -> Option<&str> {
    let inner = line.trim().strip_prefix("**")?.strip_suffix("**")?.trim();
    (!inner.is_empty() && !inner.contains("**")).then_some(inner)
}

/// The first line with text, without Markdown heading marks or a bold
/// opening that has not closed yet (a heading still streaming).
fn first_line(text: &str) -> String {
    let line = text
        .lines()
        .map(str::trim)
        .find(|line| !line.is_empty())
        .unwrap_or("Reasoning");
    let line = line.trim_start_matches('#').trim_start();
    let line = line.strip_prefix("**").unwrap_or(line);
    line.strip_suffix("**").unwrap_or(line).trim().to_owned()
}

/// `text` in at most `width` columns, ending with `…` when cut.
fn cut_to_width(text: &str, width: usize) -> String {
    if text.width() <= width {
        return text.to_owned();
    }
    let mut out = String::new();
    let mut used = 0;
    for ch in text.chars() {
        let ch_width = ch.width().unwrap_or(0);
        if used + ch_width + 1 > width {
            break;
        }
        used += ch_width;
        out.push(ch);
    }
    if width > 0 {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wrap::lines_text;
    use pretty_assertions::assert_eq;

    #[test]
    fn the_title_is_the_first_bold_heading() {
        let text = "**Finding the tests**\n\nThe failing test lives in `tests/`.\n\n**Reading the parser**\n\nIt reads the header twice.";
        assert_eq!(
            (reasoning_title(text), latest_heading(text)),
            (
                "Finding the tests".to_owned(),
                "Reading the parser".to_owned()
            )
        );
    }

    #[test]
    fn without_a_heading_the_title_is_the_first_line() {
        assert_eq!(
            [
                reasoning_title("\n  I should read the parser first.\nThen the tests."),
                reasoning_title("## Plan\nread"),
                latest_heading("**Finding the te"),
                reasoning_title(""),
            ],
            [
                "I should read the parser first.",
                "Plan",
                "Finding the te",
                "Reasoning"
            ]
            .map(str::to_owned)
        );
    }

    #[test]
    fn a_long_title_is_cut_to_keep_the_hint_then_the_hint_goes() {
        let title = "Checking whether the hunk offsets drift after the first header";
        let lines = [
            collapsed_line(title, true, 120, Theme::new(false)),
            collapsed_line(title, true, 60, Theme::new(false)),
            collapsed_line(title, true, 40, Theme::new(false)),
            collapsed_line(title, false, 40, Theme::new(false)),
        ];
        assert_eq!(
            lines_text(&lines),
            [
                "• Checking whether the hunk offsets drift after the first header (ctrl+t for the transcript)",
                "• Checking whether the hunk off… (ctrl+t for the transcript)",
                "• Checking whether the hunk offsets dri…",
                "• Checking whether the hunk offsets dri…",
            ]
        );
        assert_eq!(lines.map(|line| line.width()), [92, 60, 40, 40]);
    }

    #[test]
    fn cutting_counts_columns_not_bytes() {
        assert_eq!(
            [
                cut_to_width("日本語のテキスト", 7),
                cut_to_width("short", 5)
            ],
            ["日本語…", "short"].map(str::to_owned)
        );
    }
}
