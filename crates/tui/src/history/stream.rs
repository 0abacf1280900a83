//! A streaming answer: the text so far, and how many of its rendered lines
//! have already gone to the scrollback.
//!
//! Text up to the last blank line outside a code fence is "stable": later
//! deltas cannot change how it renders, so its lines are committed to the
//! scrollback as soon as they exist. The rest (the paragraph being written)
//! stays in the live area. On completion the remaining lines are committed.
//! The line count is for one width; after a resize the caller re-renders
//! everything anyway (see `screen.rs`), so it is reset with [`Stream::recommit`].

use super::agent_lines;
use super::markdown::Markdown;
use crate::theme::Theme;
use ratatui::text::Line;

#[derive(Debug, Clone, Default, PartialEq)]
pub struct Stream {
    pub item_id: String,
    pub text: String,
    /// Rendered lines already handed to the scrollback.
    committed: usize,
}

impl Stream {
    pub fn new(item_id: String) -> Stream {
        Stream {
            item_id,
            text: String::new(),
            committed: 0,
        }
    }

    pub fn push(&mut self, delta: &str) {
        self.text.push_str(delta);
    }

    /// Lines of the stable part not committed yet; marks them committed.
    pub fn take_stable(&mut self, width: usize, theme: Theme) -> Vec<Line<'static>> {
        let stable = &self.text[..stable_len(&self.text)];
        if stable.trim().is_empty() {
            return Vec::new();
        }
        self.take_from(stable_lines(stable, width, theme))
    }

    /// All lines not committed yet (the answer is complete); marks them committed.
    pub fn take_rest(&mut self, width: usize, theme: Theme) -> Vec<Line<'static>> {
        self.take_from(stable_lines(&self.text, width, theme))
    }

    /// [`Stream::take_rest`] from the whole text already parsed (the
    /// finished cell keeps it for later redraws).
    pub fn take_rest_parsed(
        &mut self,
        markdown: &Markdown,
        width: usize,
        theme: Theme,
    ) -> Vec<Line<'static>> {
        let mut lines = vec![Line::default()];
        lines.extend(agent_lines(markdown, width, theme));
        self.take_from(lines)
    }

    /// The lines not committed yet, for the live area.
    pub fn live_lines(&self, width: usize, theme: Theme) -> Vec<Line<'static>> {
        let lines = stable_lines(&self.text, width, theme);
        lines.into_iter().skip(self.committed).collect()
    }

    /// Everything up to the stable point, as if committed at `width` (after a
    /// resize redrew the transcript).
    pub fn recommit(&mut self, width: usize, theme: Theme) -> Vec<Line<'static>> {
        self.committed = 0;
        self.take_stable(width, theme)
    }

    fn take_from(&mut self, lines: Vec<Line<'static>>) -> Vec<Line<'static>> {
        let new: Vec<Line<'static>> = lines.into_iter().skip(self.committed).collect();
        self.committed += new.len();
        new
    }
}

/// A blank separator line, then the answer.
fn stable_lines(text: &str, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::default()];
    lines.extend(agent_lines(&Markdown::parse(text, theme), width, theme));
    lines
}

/// The length of the prefix of `text` that ends at a blank line outside any
/// code fence.
fn stable_len(text: &str) -> usize {
    let mut in_fence = false;
    let mut stable = 0;
    let mut offset = 0;
    let mut previous_blank = false;
    for line in text.split_inclusive('\n') {
        let complete = line.ends_with('\n');
        let trimmed = line.trim_start();
        if complete && (trimmed.starts_with("```") || trimmed.starts_with("~~~")) {
            in_fence = !in_fence;
            if !in_fence {
                stable = offset + line.len();
            }
        }
        let blank = complete && line.trim().is_empty();
        offset += line.len();
        if blank && !in_fence && !previous_blank {
            stable = offset;
        }
        previous_blank = blank;
    }
    stable
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wrap::lines_text;
    use pretty_assertions::assert_eq;

    #[test]
    fn the_stable_point_is_the_last_blank_line_outside_fences() {
        let got: Vec<usize> = [
            "one paragraph",
            "first\n\nsecond",
            "a\n\n```\ncode\n\nmore",
            "a\n\n```\ncode\n```\nafter",
        ]
        .into_iter()
        .map(stable_len)
        .collect();
        assert_eq!(got, [0, 7, 3, 16]);
    }

    #[test]
    fn stable_paragraphs_are_committed_once_and_the_rest_on_completion() {
        let theme = Theme::new(false);
        let mut stream = Stream::new("item_1".into());
        stream.push("First para");
        assert_eq!(
            lines_text(&stream.take_stable(40, theme)),
            Vec::<String>::new()
        );
        stream.push("graph.\n\nSecond");
        assert_eq!(
            lines_text(&stream.take_stable(40, theme)),
            ["", "• First paragraph."]
        );
        assert_eq!(lines_text(&stream.live_lines(40, theme)), ["", "  Second"]);
        stream.push(" one.");
        assert_eq!(
            lines_text(&stream.take_stable(40, theme)),
            Vec::<String>::new()
        );
        assert_eq!(
            lines_text(&stream.take_rest(40, theme)),
            ["", "  Second one."]
        );
        assert_eq!(
            lines_text(&stream.live_lines(40, theme)),
            Vec::<String>::new()
        );
    }
}
