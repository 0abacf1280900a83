//! The composer: a multi-line text buffer with a cursor, Emacs-style
//! editing, and its rendering (wrapped by columns behind a `› ` prompt,
//! scrolled to keep the cursor visible).
//!
//! It knows nothing of keys or history: `keys.rs` maps keys to these
//! methods, and Up/Down fall through to the prompt history only when the
//! cursor is already on the first or last line.

use crate::theme::Theme;
use ratatui::text::{Line, Span};
use unicode_width::UnicodeWidthChar;

/// The most composer rows shown; longer drafts scroll.
pub const MAX_VISIBLE_ROWS: usize = 10;

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Composer {
    text: String,
    /// Byte offset of the cursor in `text`, always on a char boundary.
    cursor: usize,
}

impl Composer {
    pub fn text(&self) -> &str {
        &self.text
    }

    pub fn is_empty(&self) -> bool {
        self.text.is_empty()
    }

    /// Replace the whole text; the cursor goes to the end.
    pub fn set_text(&mut self, text: &str) {
        self.text = text.to_owned();
        self.cursor = self.text.len();
    }

    /// Take the text out, leaving the composer empty.
    pub fn take(&mut self) -> String {
        self.cursor = 0;
        std::mem::take(&mut self.text)
    }

    /// Insert at the cursor; `\r\n` and `\r` become `\n` (pastes).
    pub fn insert(&mut self, text: &str) {
        let text = text.replace("\r\n", "\n").replace('\r', "\n");
        self.text.insert_str(self.cursor, &text);
        self.cursor += text.len();
    }

    pub fn backspace(&mut self) {
        if let Some(prev) = self.prev_boundary(self.cursor) {
            self.text.replace_range(prev..self.cursor, "");
            self.cursor = prev;
        }
    }

    pub fn delete(&mut self) {
        if let Some(next) = self.next_boundary(self.cursor) {
            self.text.replace_range(self.cursor..next, "");
        }
    }

    pub fn left(&mut self) {
        self.cursor = self.prev_boundary(self.cursor).unwrap_or(0);
    }

    pub fn right(&mut self) {
        self.cursor = self.next_boundary(self.cursor).unwrap_or(self.text.len());
    }

    pub fn line_start(&mut self) {
        self.cursor = self.current_line_start();
    }

    pub fn line_end(&mut self) {
        self.cursor = self.text[self.cursor..]
            .find('\n')
            .map_or(self.text.len(), |idx| self.cursor + idx);
    }

    pub fn word_left(&mut self) {
        let before = &self.text[..self.cursor];
        let trimmed = before.trim_end();
        self.cursor = trimmed.rfind(char::is_whitespace).map_or(0, |idx| {
            idx + trimmed[idx..].chars().next().map_or(1, char::len_utf8)
        });
    }

    pub fn word_right(&mut self) {
        let after = &self.text[self.cursor..];
        let skip_space = after.len() - after.trim_start().len();
        let rest = &after[skip_space..];
        let word = rest.find(char::is_whitespace).unwrap_or(rest.len());
        self.cursor += skip_space + word;
    }

    /// Ctrl+W: delete the word before the cursor.
    pub fn delete_word_back(&mut self) {
        let end = self.cursor;
        self.word_left();
        self.text.replace_range(self.cursor..end, "");
    }

    /// Ctrl+U: delete from the line start to the cursor.
    pub fn kill_to_line_start(&mut self) {
        let start = self.current_line_start();
        self.text.replace_range(start..self.cursor, "");
        self.cursor = start;
    }

    /// Ctrl+K: delete from the cursor to the line end.
    pub fn kill_to_line_end(&mut self) {
        let start = self.cursor;
        self.line_end();
        let end = if self.cursor == start && start < self.text.len() {
            start + 1
        } else {
            self.cursor
        };
        self.text.replace_range(start..end, "");
        self.cursor = start;
    }

    pub fn on_first_line(&self) -> bool {
        !self.text[..self.cursor].contains('\n')
    }

    pub fn on_last_line(&self) -> bool {
        !self.text[self.cursor..].contains('\n')
    }

    /// Move up one logical line, keeping the column where possible.
    pub fn up(&mut self) {
        let start = self.current_line_start();
        if start == 0 {
            return;
        }
        let column = self.text[start..self.cursor].chars().count();
        let prev_start = self.text[..start - 1].rfind('\n').map_or(0, |idx| idx + 1);
        self.cursor = advance_chars(&self.text, prev_start, column, start - 1);
    }

    /// Move down one logical line, keeping the column where possible.
    pub fn down(&mut self) {
        let Some(newline) = self.text[self.cursor..].find('\n') else {
            return;
        };
        let column = self.text[self.current_line_start()..self.cursor]
            .chars()
            .count();
        let next_start = self.cursor + newline + 1;
        let next_end = self.text[next_start..]
            .find('\n')
            .map_or(self.text.len(), |idx| next_start + idx);
        self.cursor = advance_chars(&self.text, next_start, column, next_end);
    }

    /// Byte offset of the cursor.
    pub fn cursor(&self) -> usize {
        self.cursor
    }

    /// Put the cursor at `at` (clamped, moved back to a char boundary).
    pub fn set_cursor(&mut self, at: usize) {
        let mut at = at.min(self.text.len());
        while !self.text.is_char_boundary(at) {
            at -= 1;
        }
        self.cursor = at;
    }

    /// Replace the bytes `range` with `text`; the cursor goes after it.
    pub fn replace_range(&mut self, range: std::ops::Range<usize>, text: &str) {
        self.text.replace_range(range.clone(), text);
        self.cursor = range.start + text.len();
    }

    /// Left, but not past the start of the line (vim's `h`).
    pub fn left_in_line(&mut self) {
        if self.cursor > self.current_line_start() {
            self.left();
        }
    }

    /// Right, but not onto the next line (vim's `l`).
    pub fn right_in_line(&mut self) {
        if self.text[self.cursor..]
            .chars()
            .next()
            .is_some_and(|ch| ch != '\n')
        {
            self.right();
        }
    }

    fn current_line_start(&self) -> usize {
        self.text[..self.cursor]
            .rfind('\n')
            .map_or(0, |idx| idx + 1)
    }

    fn prev_boundary(&self, at: usize) -> Option<usize> {
        self.text[..at]
            .char_indices()
            .next_back()
            .map(|(idx, _)| idx)
    }

    fn next_boundary(&self, at: usize) -> Option<usize> {
        self.text[at..].chars().next().map(|ch| at + ch.len_utf8())
    }

    /// The rows to show at `width` (prompt included) and the cursor's
    /// (column, row) among them; at most [`MAX_VISIBLE_ROWS`] rows, scrolled
    /// so the cursor is visible.
    pub fn render(
        &self,
        width: usize,
        placeholder: &str,
        theme: Theme,
    ) -> (Vec<Line<'static>>, (u16, u16)) {
        let prompt = Span::styled("› ", theme.accent());
        if self.text.is_empty() {
            let line = Line::from(vec![
                prompt,
                Span::styled(placeholder.to_owned(), theme.dim()),
            ]);
            return (vec![line], (2, 0));
        }
        let room = width.saturating_sub(2).max(1);
        let mut rows: Vec<String> = vec![String::new()];
        let mut row_width = 0;
        let mut cursor = (0usize, 0usize);
        for (idx, ch) in self.text.char_indices() {
            if idx == self.cursor {
                cursor = (row_width, rows.len() - 1);
            }
            if ch == '\n' {
                rows.push(String::new());
                row_width = 0;
                continue;
            }
            let w = ch.width().unwrap_or(0);
            if row_width + w > room {
                rows.push(String::new());
                row_width = 0;
                if idx == self.cursor {
                    cursor = (0, rows.len() - 1);
                }
            }
            if let Some(row) = rows.last_mut() {
                row.push(if ch == '\t' { ' ' } else { ch });
            }
            row_width += w;
        }
        if self.cursor == self.text.len() {
            cursor = if row_width >= room {
                rows.push(String::new());
                (0, rows.len() - 1)
            } else {
                (row_width, rows.len() - 1)
            };
        }
        let first_visible = (cursor.1 + 1).saturating_sub(MAX_VISIBLE_ROWS);
        let lines = rows
            .into_iter()
            .enumerate()
            .skip(first_visible)
            .take(MAX_VISIBLE_ROWS)
            .map(|(idx, row)| {
                let lead = if idx == 0 {
                    prompt.clone()
                } else {
                    Span::raw("  ")
                };
                Line::from(vec![lead, Span::raw(row)])
            })
            .collect();
        let x = u16::try_from(cursor.0 + 2).unwrap_or(u16::MAX);
        let y = u16::try_from(cursor.1 - first_visible).unwrap_or(u16::MAX);
        (lines, (x, y))
    }
}

/// The byte offset `count` chars after `start`, but not past `limit`.
fn advance_chars(text: &str, start: usize, count: usize, limit: usize) -> usize {
    text[start..limit]
        .char_indices()
        .nth(count)
        .map_or(limit, |(idx, _)| start + idx)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::wrap::lines_text;
    use pretty_assertions::assert_eq;

    fn composer(text: &str, cursor: usize) -> Composer {
        Composer {
            text: text.to_owned(),
            cursor,
        }
    }

    #[test]
    fn editing_moves_the_cursor_by_chars() {
        let mut c = Composer::default();
        c.insert("héllo wörld");
        c.word_left();
        c.backspace();
        c.insert("\r\nnew ");
        c.left();
        c.delete();
        assert_eq!(c, composer("héllo\nnewwörld", 10));
    }

    #[test]
    fn up_and_down_keep_the_column_and_report_edges() {
        let mut c = composer("abcdef\nxy\nlonger line", 4);
        assert!(c.on_first_line());
        c.down();
        assert_eq!(
            (c.cursor, c.on_first_line(), c.on_last_line()),
            (9, false, false)
        );
        c.down();
        assert_eq!((c.cursor, c.on_last_line()), (12, true));
        c.up();
        c.up();
        assert_eq!(c.cursor, 2);
    }

    #[test]
    fn kills_and_word_deletion() {
        let mut c = composer("one two three", 7);
        c.delete_word_back();
        assert_eq!(c, composer("one  three", 4));
        c.kill_to_line_end();
        assert_eq!(c, composer("one ", 4));
        c.kill_to_line_start();
        assert_eq!(c, composer("", 0));
    }

    #[test]
    fn rendering_wraps_by_columns_and_places_the_cursor() {
        let c = composer("0123456789abc\nx", 15);
        let (lines, cursor) = c.render(8, "", Theme::new(false));
        assert_eq!(
            (lines_text(&lines), cursor),
            (
                vec![
                    "› 012345".to_owned(),
                    "  6789ab".to_owned(),
                    "  c".to_owned(),
                    "  x".to_owned()
                ],
                (3, 3)
            )
        );
    }

    #[test]
    fn long_drafts_scroll_to_the_cursor() {
        let text = (0..30)
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join("\n");
        let c = composer(&text, text.len());
        let (lines, cursor) = c.render(20, "", Theme::new(false));
        assert_eq!(
            (lines.len(), lines_text(&lines).last().cloned(), cursor),
            (MAX_VISIBLE_ROWS, Some("  29".to_owned()), (4, 9))
        );
    }
}
