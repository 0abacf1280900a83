//! A full-screen, scrollable view of long text: `/diff` shows `git diff`
//! in it. In inline mode the screen switches to the terminal's alternate
//! screen while it is open (`screen.rs`), so the scrollback is untouched.
//!
//! It keeps its lines rendered for one width; the app renders them again
//! on a resize. Keys: j/k or Down/Up one line, PgDn/Space and PgUp/b a
//! page, g/Home and G/End the ends, q or Esc closes.

use crate::history::Cell;
use crate::theme::Theme;
use crate::wrap::truncate_line;
use ratatui::text::{Line, Span};

#[derive(Debug, Clone, PartialEq)]
pub struct Pager {
    pub title: String,
    /// The source, to render again at another width.
    pub diff: String,
    pub lines: Vec<Line<'static>>,
    /// The first line shown.
    pub top: usize,
}

impl Pager {
    pub fn diff(diff: String, width: u16, theme: Theme) -> Pager {
        let mut pager = Pager {
            title: "/diff".to_owned(),
            diff,
            lines: Vec::new(),
            top: 0,
        };
        pager.render(width, theme);
        pager
    }

    /// Render the lines for `width` columns.
    pub fn render(&mut self, width: u16, theme: Theme) {
        self.lines = if self.diff.trim().is_empty() {
            vec![Line::from(Span::styled(
                "  no changes: the working tree matches the index and there are no untracked files",
                theme.dim(),
            ))]
        } else {
            let cell = Cell::Diff {
                diff: self.diff.clone(),
            };
            // The cell starts with a blank separator line: not wanted here.
            cell.lines(usize::from(width), theme)
                .into_iter()
                .skip(1)
                .collect()
        };
    }

    /// Handle a key on a screen `height` rows high; `false` closes the pager.
    pub fn on_key(&mut self, key: crossterm::event::KeyEvent, height: u16) -> bool {
        use crossterm::event::KeyCode;
        let page = usize::from(height.saturating_sub(2)).max(1);
        let last_top = self.lines.len().saturating_sub(page);
        self.top = match key.code {
            KeyCode::Char('q') | KeyCode::Esc => return false,
            KeyCode::Char('j') | KeyCode::Down | KeyCode::Enter => self.top + 1,
            KeyCode::Char('k') | KeyCode::Up => self.top.saturating_sub(1),
            KeyCode::PageDown | KeyCode::Char(' ') | KeyCode::Char('f') => self.top + page,
            KeyCode::PageUp | KeyCode::Char('b') => self.top.saturating_sub(page),
            KeyCode::Home | KeyCode::Char('g') => 0,
            KeyCode::End | KeyCode::Char('G') => last_top,
            _ => self.top,
        }
        .min(last_top);
        true
    }

    /// The whole screen: a page of lines, then the footer.
    pub fn screen_lines(&self, width: usize, height: usize, theme: Theme) -> Vec<Line<'static>> {
        let page = height.saturating_sub(1).max(1);
        let mut lines: Vec<Line<'static>> = self
            .lines
            .iter()
            .skip(self.top)
            .take(page)
            .cloned()
            .collect();
        lines.resize(page, Line::default());
        let total = self.lines.len();
        let last = (self.top + page).min(total);
        let footer = format!(
            " {} · lines {}-{} of {} · j/k, PgUp/PgDn to scroll · q to close",
            self.title,
            (self.top + 1).min(total),
            last,
            total
        );
        lines.push(truncate_line(
            Line::from(Span::styled(footer, theme.selected())),
            width,
        ));
        lines
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use pretty_assertions::assert_eq;

    #[test]
    fn scrolling_stops_at_the_last_page() {
        let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
        let diff: String = (0..30).map(|n| format!("+line {n}\n")).collect();
        let mut pager = Pager::diff(diff, 40, Theme::new(false));
        let total = pager.lines.len();
        let mut tops = Vec::new();
        for code in [
            KeyCode::Char('j'),
            KeyCode::PageDown,
            KeyCode::Char('G'),
            KeyCode::Char('j'),
            KeyCode::Char('k'),
            KeyCode::Char('g'),
        ] {
            assert!(pager.on_key(key(code), 12));
            tops.push(pager.top);
        }
        assert_eq!(tops, [1, 11, total - 10, total - 10, total - 11, 0]);
        assert!(!pager.on_key(key(KeyCode::Char('q')), 12));
    }
}
