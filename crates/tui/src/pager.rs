//! A full-screen, scrollable view of long text: `/diff` shows `git diff`
//! in it, and Ctrl+T the whole transcript (reasoning in full). In inline
//! mode the screen switches to the terminal's alternate screen while it is
//! open (`screen.rs`), so the scrollback is untouched.
//!
//! It keeps its lines rendered for one width; the app renders them again
//! on a resize. Keys: j/k or Down/Up one line, PgDn/Space and PgUp/b a
//! page, g/Home and G/End the ends, q or Esc closes.

use crate::app::DRAWN_TURNS;
use crate::history::Cell;
use crate::theme::Theme;
use crate::wrap::truncate_line;
use ratatui::text::{Line, Span};

#[derive(Debug, Clone, PartialEq)]
pub struct Pager {
    pub title: String,
    /// What is shown, to render again at another width.
    pub source: Source,
    pub lines: Vec<Line<'static>>,
    /// The first line shown.
    pub top: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Source {
    /// `git diff` output.
    Diff(String),
    /// The app's finished cells (Ctrl+T); the app hands them in again.
    Transcript,
}

impl Pager {
    pub fn diff(diff: String, width: u16, theme: Theme) -> Pager {
        let mut pager = Pager {
            title: "/diff".to_owned(),
            source: Source::Diff(diff),
            lines: Vec::new(),
            top: 0,
        };
        pager.render_diff(width, theme);
        pager
    }

    /// The transcript of `cells`, scrolled to its end on a screen `height`
    /// rows high; `left_out` earlier turns are not in `cells` (first line).
    pub fn transcript(
        cells: &[Cell],
        left_out: usize,
        width: u16,
        height: u16,
        theme: Theme,
    ) -> Pager {
        let mut pager = Pager {
            title: "transcript".to_owned(),
            source: Source::Transcript,
            lines: Vec::new(),
            top: 0,
        };
        pager.render_transcript(cells, left_out, width, theme);
        pager.settle(height, true);
        pager
    }

    pub fn is_transcript(&self) -> bool {
        self.source == Source::Transcript
    }

    /// Render a diff pager's lines for `width` columns.
    pub fn render_diff(&mut self, width: u16, theme: Theme) {
        let Source::Diff(diff) = &self.source else {
            return;
        };
        self.lines = if diff.trim().is_empty() {
            vec![Line::from(Span::styled(
                "  no changes: the working tree matches the index and there are no untracked files",
                theme.dim(),
            ))]
        } else {
            let cell = Cell::Diff { diff: diff.clone() };
            // The cell starts with a blank separator line: not wanted here.
            cell.lines(usize::from(width), theme)
                .into_iter()
                .skip(1)
                .collect()
        };
    }

    /// Render the transcript's lines for `width` columns: every cell in
    /// full, after a line saying how many turns were `left_out`.
    pub fn render_transcript(&mut self, cells: &[Cell], left_out: usize, width: u16, theme: Theme) {
        let width = usize::from(width);
        let mut lines = Vec::new();
        if left_out > 0 {
            let turns = earlier_turns(left_out);
            lines.push(truncate_line(
                Line::from(Span::styled(
                    format!(
                        "• {turns} left out: the transcript keeps the last {DRAWN_TURNS} turns"
                    ),
                    theme.dim(),
                )),
                width,
            ));
        }
        let body = cells.iter().flat_map(|cell| cell.full_lines(width, theme));
        // Each cell starts with a blank separator line: not wanted at the top.
        lines.extend(body.skip(usize::from(left_out == 0)));
        self.lines = lines;
    }

    /// The top line that shows the last line at the bottom of the page.
    fn last_top(&self, height: u16) -> usize {
        self.lines.len().saturating_sub(page_rows(height))
    }

    /// Whether the last line is in view on a screen `height` rows high.
    pub fn at_end(&self, height: u16) -> bool {
        self.top >= self.last_top(height)
    }

    /// After the lines were rendered again: stay at the end if `at_end`,
    /// else keep the top within the lines.
    pub fn settle(&mut self, height: u16, at_end: bool) {
        let last_top = self.last_top(height);
        self.top = if at_end {
            last_top
        } else {
            self.top.min(last_top)
        };
    }

    /// Handle a key on a screen `height` rows high; `false` closes the pager.
    pub fn on_key(&mut self, key: crossterm::event::KeyEvent, height: u16) -> bool {
        use crossterm::event::KeyCode;
        // A page key moves one line less than a page, so one line stays in view.
        let page = page_rows(height).saturating_sub(1).max(1);
        let last_top = self.last_top(height);
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
        let page = page_rows(u16::try_from(height).unwrap_or(u16::MAX));
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

/// "1 earlier turn is" / "N earlier turns are", for the line that says how
/// many turns a redraw leaves out.
pub(crate) fn earlier_turns(count: usize) -> String {
    if count == 1 {
        "1 earlier turn is".to_owned()
    } else {
        format!("{count} earlier turns are")
    }
}

/// Where the Ctrl+T transcript starts in `cells`, keeping the last
/// [`DRAWN_TURNS`] turns (a turn starts with a prompt), and how many turns
/// come before that start.
pub fn transcript_start(cells: &[Cell]) -> (usize, usize) {
    let is_prompt = |cell: &Cell| matches!(cell, Cell::User { .. });
    let Some(start) = cells
        .iter()
        .enumerate()
        .rev()
        .filter(|(_, cell)| is_prompt(cell))
        .nth(DRAWN_TURNS - 1)
        .map(|(idx, _)| idx)
    else {
        return (0, 0);
    };
    match cells[..start].iter().filter(|cell| is_prompt(cell)).count() {
        0 => (0, 0),
        left_out => (start, left_out),
    }
}

/// Rows of text on a screen `height` rows high (the last is the footer).
fn page_rows(height: u16) -> usize {
    usize::from(height.saturating_sub(1)).max(1)
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
        assert_eq!(tops, [1, 11, total - 11, total - 11, total - 12, 0]);
        assert!(!pager.on_key(key(KeyCode::Char('q')), 12));
    }

    #[test]
    fn the_transcript_keeps_the_last_turns_and_says_how_many_went() {
        let turn = |n: usize| {
            [
                Cell::User {
                    text: format!("prompt {n}"),
                },
                Cell::agent(format!("answer {n}")),
            ]
        };
        let header = Cell::Notice {
            kind: crate::history::NoticeKind::Info,
            text: "header".to_owned(),
        };
        let short: Vec<Cell> = std::iter::once(header.clone())
            .chain((0..DRAWN_TURNS).flat_map(turn))
            .collect();
        let long: Vec<Cell> = std::iter::once(header)
            .chain((0..DRAWN_TURNS + 2).flat_map(turn))
            .collect();
        assert_eq!(
            (transcript_start(&short), transcript_start(&long)),
            ((0, 0), (5, 2))
        );
        let (start, left_out) = transcript_start(&long);
        let pager = Pager::transcript(&long[start..], left_out, 60, 8, Theme::new(false));
        let text = crate::wrap::lines_text(&pager.lines);
        assert_eq!(
            (&text[..4], pager.top, text.len() - pager.top),
            (
                &[
                    "• 2 earlier turns are left out: the transcript keeps the la…".to_owned(),
                    String::new(),
                    "› prompt 2".to_owned(),
                    String::new(),
                ][..],
                text.len() - 7,
                7
            )
        );
    }
}
