//! The `/resume` picker: stored sessions of this directory (Tab: of every
//! directory), searched as you type, with a preview of the highlighted
//! session's first turns.
//!
//! It holds what the store answered and what the user typed; it reads
//! nothing itself. The app asks for rows ([`ResumeKey::Search`]) and
//! previews ([`ResumeKey::Preview`]) through `Outgoing`, and `run.rs`
//! answers from `duet_core::sessions` off the loop.

use crate::theme::Theme;
use crate::wrap::truncate_line;
use duet_protocol::{Item, ItemDetails};
use ratatui::text::{Line, Span};

/// Rows of the list shown at once.
const LIST_ROWS: usize = 8;
/// Lines of the preview shown at once.
const PREVIEW_ROWS: usize = 10;
/// From this width the preview sits beside the list instead of below it.
const SIDE_BY_SIDE: usize = 100;

/// One session in the list, already formatted by whoever read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: String,
    /// The name, else the title (first prompt).
    pub label: String,
    /// How long ago it was updated (`3h ago`).
    pub when: String,
    /// A search match, or the turn count and directory.
    pub detail: String,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResumePicker {
    pub query: String,
    /// Every directory, not only this one.
    pub all: bool,
    pub rows: Vec<SessionRow>,
    pub selected: usize,
    /// Why there are no rows (the store could not be read).
    pub error: Option<String>,
    /// The highlighted session's first displayed items.
    pub preview: Option<(String, Vec<Item>)>,
}

/// What a key asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResumeKey {
    Open,
    Closed,
    /// The query or scope changed: list again.
    Search,
    Preview(String),
    Chosen(String),
}

impl ResumePicker {
    pub fn new() -> ResumePicker {
        ResumePicker {
            query: String::new(),
            all: false,
            rows: Vec::new(),
            selected: 0,
            error: None,
            preview: None,
        }
    }

    /// New rows for `query` and `all`; stale answers (for an older query)
    /// are dropped. Returns the session to preview, if it changed.
    pub fn set_rows(
        &mut self,
        query: &str,
        all: bool,
        rows: Result<Vec<SessionRow>, String>,
    ) -> Option<String> {
        if query != self.query || all != self.all {
            return None;
        }
        match rows {
            Ok(rows) => {
                self.rows = rows;
                self.error = None;
            }
            Err(error) => {
                self.rows = Vec::new();
                self.error = Some(error);
            }
        }
        self.selected = 0;
        self.wanted_preview()
    }

    pub fn set_preview(&mut self, thread_id: String, items: Vec<Item>) {
        if self.selected_id() == Some(thread_id.as_str()) {
            self.preview = Some((thread_id, items));
        }
    }

    fn selected_id(&self) -> Option<&str> {
        self.rows.get(self.selected).map(|row| row.id.as_str())
    }

    fn wanted_preview(&self) -> Option<String> {
        let id = self.selected_id()?;
        match &self.preview {
            Some((shown, _)) if shown == id => None,
            _ => Some(id.to_owned()),
        }
    }

    pub fn on_key(&mut self, key: crossterm::event::KeyEvent) -> ResumeKey {
        use crossterm::event::{KeyCode, KeyModifiers};
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => ResumeKey::Closed,
            KeyCode::Enter => match self.selected_id() {
                Some(id) => ResumeKey::Chosen(id.to_owned()),
                None => ResumeKey::Open,
            },
            KeyCode::Tab => {
                self.all = !self.all;
                ResumeKey::Search
            }
            KeyCode::Up | KeyCode::Down => {
                self.selected = if key.code == KeyCode::Up {
                    self.selected.saturating_sub(1)
                } else {
                    (self.selected + 1).min(self.rows.len().saturating_sub(1))
                };
                self.wanted_preview()
                    .map_or(ResumeKey::Open, ResumeKey::Preview)
            }
            KeyCode::Backspace => {
                self.query.pop();
                ResumeKey::Search
            }
            KeyCode::Char(ch) if !ctrl => {
                self.query.push(ch);
                ResumeKey::Search
            }
            _ => ResumeKey::Open,
        }
    }

    pub fn lines(&self, width: usize, theme: Theme) -> Vec<Line<'static>> {
        let scope = if self.all {
            "all directories"
        } else {
            "this directory"
        };
        let mut lines = vec![
            Line::from(vec![
                Span::styled("  Resume a session", theme.bold()),
                Span::styled(format!(" · {scope} (tab to switch)"), theme.dim()),
            ]),
            Line::from(vec![
                Span::styled("  search: ", theme.dim()),
                Span::raw(self.query.clone()),
                Span::styled("▏", theme.accent()),
            ]),
        ];
        let side_by_side = width >= SIDE_BY_SIDE;
        let list_width = if side_by_side { width * 11 / 20 } else { width };
        let list = self.list_lines(list_width, theme);
        let preview = self.preview_lines(
            if side_by_side {
                width - list_width - 1
            } else {
                width
            },
            theme,
        );
        if side_by_side {
            let rows = list.len().max(preview.len());
            for row in 0..rows {
                let mut left = list.get(row).cloned().unwrap_or_default();
                let pad = list_width.saturating_sub(left.width());
                left.spans.push(Span::raw(" ".repeat(pad)));
                left.spans.push(Span::styled("│", theme.dim()));
                if let Some(right) = preview.get(row) {
                    left.spans.extend(right.spans.iter().cloned());
                }
                lines.push(left);
            }
        } else {
            lines.extend(list);
            lines.extend(preview);
        }
        lines.push(Line::from(Span::styled(
            "  ↑/↓ choose · enter to resume · tab: this directory / all · esc to cancel",
            theme.dim(),
        )));
        lines
            .into_iter()
            .map(|line| truncate_line(line, width))
            .collect()
    }

    fn list_lines(&self, width: usize, theme: Theme) -> Vec<Line<'static>> {
        if let Some(error) = &self.error {
            return vec![Line::from(Span::styled(
                format!("  {error}"),
                theme.failure(),
            ))];
        }
        if self.rows.is_empty() {
            let text = if self.query.is_empty() {
                "  no saved sessions here (tab: all directories)"
            } else {
                "  no session matches"
            };
            return vec![Line::from(Span::styled(text, theme.dim()))];
        }
        let first = (self.selected + 1).saturating_sub(LIST_ROWS);
        let mut lines = Vec::new();
        for (index, row) in self.rows.iter().enumerate().skip(first).take(LIST_ROWS) {
            let selected = index == self.selected;
            let style = if selected {
                theme.selected()
            } else {
                theme.plain()
            };
            lines.push(truncate_line(
                Line::from(vec![
                    Span::styled(if selected { "› " } else { "  " }, theme.selected()),
                    Span::styled(format!("{:>8} ", row.when), theme.dim()),
                    Span::styled(row.label.clone(), style),
                    Span::styled(format!("  {}", row.detail), theme.dim()),
                ]),
                width,
            ));
        }
        lines
    }

    fn preview_lines(&self, width: usize, theme: Theme) -> Vec<Line<'static>> {
        let Some((_, items)) = &self.preview else {
            return Vec::new();
        };
        let mut lines = vec![Line::from(Span::styled(" preview", theme.dim()))];
        for item in items {
            let (marker, style, text) = match &item.details {
                ItemDetails::UserMessage { text } => ("› ", theme.accent(), text.as_str()),
                ItemDetails::AgentMessage { text } => ("• ", theme.plain(), text.as_str()),
                ItemDetails::CommandExecution { command, .. } => {
                    ("$ ", theme.dim(), command.as_str())
                }
                _ => continue,
            };
            let first = text.lines().find(|l| !l.trim().is_empty()).unwrap_or("");
            lines.push(truncate_line(
                Line::from(vec![
                    Span::styled(format!(" {marker}"), style),
                    Span::styled(first.to_owned(), style),
                ]),
                width,
            ));
            if lines.len() >= PREVIEW_ROWS {
                break;
            }
        }
        lines
    }
}

impl Default for ResumePicker {
    fn default() -> Self {
        ResumePicker::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use pretty_assertions::assert_eq;

    fn row(id: &str) -> SessionRow {
        SessionRow {
            id: id.into(),
            label: format!("session {id}"),
            when: "1h ago".into(),
            detail: String::new(),
        }
    }

    #[test]
    fn typing_searches_moving_previews_and_stale_answers_are_dropped() {
        let key = |code| KeyEvent::new(code, KeyModifiers::NONE);
        let mut picker = ResumePicker::new();
        assert_eq!(picker.on_key(key(KeyCode::Char('p'))), ResumeKey::Search);
        // An answer for the empty query came late: ignored.
        assert_eq!(picker.set_rows("", false, Ok(vec![row("a")])), None);
        assert_eq!(
            picker.set_rows("p", false, Ok(vec![row("a"), row("b")])),
            Some("a".to_owned())
        );
        picker.set_preview("a".into(), Vec::new());
        assert_eq!(
            [
                picker.on_key(key(KeyCode::Down)),
                picker.on_key(key(KeyCode::Down)),
                picker.on_key(key(KeyCode::Enter)),
                picker.on_key(key(KeyCode::Tab)),
            ],
            [
                ResumeKey::Preview("b".into()),
                ResumeKey::Preview("b".into()),
                ResumeKey::Chosen("b".into()),
                ResumeKey::Search,
            ]
        );
        assert!(picker.all);
    }
}
