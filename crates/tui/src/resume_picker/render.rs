//! Drawing the `/resume` picker: the header (scope and order), the search
//! line, the list, the preview (beside the list from 100 columns, else
//! below it) and the footer (the keys, a pending delete's question, or
//! what the last key did). Reads the picker; changes nothing.

use super::{ResumePicker, SortOrder};
use crate::theme::Theme;
use crate::wrap::truncate_line;
use duet_protocol::ItemDetails;
use ratatui::text::{Line, Span};

/// Rows of the list shown at once.
const LIST_ROWS: usize = 8;
/// Lines of the preview shown at once.
const PREVIEW_ROWS: usize = 10;
/// From this width the preview sits beside the list instead of below it.
const SIDE_BY_SIDE: usize = 100;

impl ResumePicker {
    pub fn lines(&self, width: usize, theme: Theme) -> Vec<Line<'static>> {
        let scope = if self.all {
            "all directories"
        } else {
            "this directory"
        };
        let order = match self.sort {
            SortOrder::Updated => "recently updated",
            SortOrder::Created => "newest created",
        };
        let mut lines = vec![
            Line::from(vec![
                Span::styled("  Resume a session", theme.bold()),
                Span::styled(format!(" · {scope} (tab) · {order} (ctrl+s)"), theme.dim()),
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
        lines.push(self.footer(theme));
        lines
            .into_iter()
            .map(|line| truncate_line(line, width))
            .collect()
    }

    fn footer(&self, theme: Theme) -> Line<'static> {
        if self.confirm_delete.is_some() {
            return Line::from(Span::styled(
                "  delete this session for good? y or ctrl+d to delete, any other key keeps it",
                theme.failure(),
            ));
        }
        if let Some(status) = &self.status {
            return Line::from(Span::styled(format!("  {status}"), theme.accent()));
        }
        Line::from(Span::styled(
            "  ↑/↓ choose · enter to resume · ctrl+a archive · ctrl+d delete · esc to cancel",
            theme.dim(),
        ))
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
            let when = match self.sort {
                SortOrder::Updated => &row.when,
                SortOrder::Created => &row.created,
            };
            lines.push(truncate_line(
                Line::from(vec![
                    Span::styled(if selected { "› " } else { "  " }, theme.selected()),
                    Span::styled(format!("{when:>8} "), theme.dim()),
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
