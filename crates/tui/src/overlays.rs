//! Rows under the composer for its extra modes: the reverse search line,
//! the `@` file popup, the rewind list (Esc Esc) and the vim mode row.
//! Pure functions of [`App`], called by `render.rs`; the state and keys are
//! `app/extras.rs`.

use crate::app::App;
use crate::vim::Mode;
use crate::wrap::truncate_line;
use ratatui::text::{Line, Span};

/// Rows of the file popup and the rewind list; more entries scroll.
const POPUP_ROWS: usize = 8;

pub fn lines(app: &App, width: usize) -> Vec<Line<'static>> {
    let theme = app.view.theme;
    let extras = &app.input;
    let mut lines = Vec::new();
    if let Some(search) = &extras.search {
        lines.push(search.line(width, theme));
    }
    if let Some(query) = &extras.files.query {
        let files = &extras.files;
        let status = match (files.matches.is_empty(), files.complete) {
            (_, false) => "searching…",
            (true, true) => "no matching file",
            (false, true) => "tab or enter inserts · esc closes",
        };
        lines.push(truncate_line(
            Line::from(vec![
                Span::styled(format!("  @{query}"), theme.bold()),
                Span::styled(format!("  {status}"), theme.dim()),
            ]),
            width,
        ));
        let first = (files.selected + 1).saturating_sub(POPUP_ROWS);
        for (idx, path) in files
            .matches
            .iter()
            .enumerate()
            .skip(first)
            .take(POPUP_ROWS)
        {
            lines.push(choice_line(path, idx == files.selected, app, width));
        }
    }
    if let Some(selected) = extras.rewind {
        lines.push(truncate_line(
            Line::from(vec![
                Span::styled("  Rewind to before which message? ", theme.bold()),
                Span::styled("↑↓ choose · enter rewind · esc cancel", theme.dim()),
            ]),
            width,
        ));
        let prompts = app.rewind_prompts();
        let first = (selected + 1).saturating_sub(POPUP_ROWS);
        for (number, (_, text)) in prompts.iter().enumerate().skip(first).take(POPUP_ROWS) {
            let first_line = text.lines().next().unwrap_or_default();
            let label = format!("{}. {first_line}", number + 1);
            lines.push(choice_line(&label, number == selected, app, width));
        }
    }
    if let Some(vim) = &extras.vim {
        let mode = match vim.mode {
            Mode::Normal => "-- NORMAL --",
            Mode::Insert => "-- INSERT --",
        };
        lines.push(Line::from(Span::styled(format!("  {mode}"), theme.dim())));
    }
    lines
}

fn choice_line(text: &str, selected: bool, app: &App, width: usize) -> Line<'static> {
    let theme = app.view.theme;
    let (marker, style) = if selected {
        ("› ", theme.accent())
    } else {
        ("  ", theme.dim())
    };
    truncate_line(
        Line::from(vec![
            Span::raw("  "),
            Span::styled(marker, theme.accent()),
            Span::styled(text.to_owned(), style),
        ]),
        width,
    )
}
