//! What the live area shows, as lines: live cells, queued messages, the
//! working row, the composer or the approval modal, the slash popup, a hint
//! and the status line. Pure functions of [`App`]; `screen.rs` puts the
//! lines on the terminal.

use crate::app::{App, Overlay};
use crate::wrap::{truncate_line, wrap_text};
use ratatui::text::{Line, Span};

/// The composer's placeholder.
pub const PLACEHOLDER: &str = "Ask duet to do anything";

/// Under an empty composer until the first prompt: where the rest is.
pub const FIRST_HINT: &str = "  / for commands · ? for shortcuts";

/// Nothing asked yet in this session (a resumed one has its prompts), the
/// composer empty and nothing else shown under it.
fn first_screen(app: &App) -> bool {
    app.input.composer.is_empty()
        && app.hint.is_none()
        && app.popup().is_none()
        && !app
            .transcript
            .cells
            .iter()
            .any(|cell| matches!(cell, crate::history::Cell::User { .. }))
}

/// The bottom pane (everything below the live cells) and the cursor's
/// (column, row) in it, when the composer has focus.
pub fn bottom_pane(app: &App, width: usize) -> (Vec<Line<'static>>, Option<(u16, u16)>) {
    let theme = app.view.theme;
    let mut lines = Vec::new();
    if !app.turn.queued.is_empty() || app.turn.turn_started.is_some() {
        lines.push(Line::default());
    }
    for queued in &app.turn.queued {
        let first = queued.lines().next().unwrap_or_default();
        lines.push(truncate_line(
            Line::from(vec![
                Span::styled("  ↳ queued: ", theme.dim()),
                Span::styled(first.to_owned(), theme.dim()),
            ]),
            width,
        ));
    }
    if let Some(started) = app
        .turn
        .turn_started
        .filter(|_| app.turn.approvals.is_empty())
    {
        let elapsed = app.now.saturating_duration_since(started);
        let spinner = if elapsed.as_secs().is_multiple_of(2) {
            "◦ "
        } else {
            "• "
        };
        let secs = elapsed.as_secs();
        let took = if secs < 60 {
            format!("{secs}s")
        } else {
            format!("{}m {:02}s", secs / 60, secs % 60)
        };
        lines.push(Line::from(vec![
            Span::styled(spinner, theme.accent()),
            Span::styled("Working", theme.bold()),
            Span::styled(format!(" ({took} • esc to interrupt)"), theme.dim()),
        ]));
    }
    lines.push(Line::default());
    let mut cursor = None;
    if let Some(modal) = app.turn.approvals.front() {
        lines.extend(modal.lines(width, theme));
        if app.turn.approvals.len() > 1 {
            lines.push(Line::from(Span::styled(
                format!("  {} more waiting", app.turn.approvals.len() - 1),
                theme.dim(),
            )));
        }
    } else if let Some(overlay) = &app.view.overlay {
        match overlay {
            Overlay::Picker(picker) => lines.extend(picker.lines(width, theme)),
            Overlay::Resume(picker) => lines.extend(picker.lines(width, theme)),
            // Drawn full-screen by `screen.rs`.
            Overlay::Pager(_) => {}
        }
    } else {
        let (composer, (x, y)) = app.input.composer.render(width, PLACEHOLDER, theme);
        cursor = Some((x, y + u16::try_from(lines.len()).unwrap_or(0)));
        lines.extend(composer);
        if let Some(popup) = app.popup() {
            lines.extend(popup.lines(width, theme));
        }
        lines.extend(crate::overlays::lines(app, width));
        if first_screen(app) {
            lines.push(Line::from(Span::styled(FIRST_HINT, theme.dim())));
        }
    }
    if let Some(hint) = &app.hint {
        lines.extend(wrap_text(
            hint,
            theme.dim(),
            width,
            &[Span::raw("  ")],
            &[Span::raw("  ")],
        ));
    }
    lines.push(status_line(app, width));
    (lines, cursor)
}

/// `gpt-5.5 high · read-only · on-request · 87% context left · $0.0421 · 1.2k in · 62% cached · 340 out · <id>`:
/// segments in priority order; one that does not fit is left out whole, so
/// the line never ends in the middle of a word.
pub fn status_line(app: &App, width: usize) -> Line<'static> {
    let theme = app.view.theme;
    let mut segments: Vec<Vec<Span<'static>>> = Vec::new();
    match &app.turn.session {
        Some(session) => {
            let mut model = vec![Span::styled(session.model.clone(), theme.bold())];
            if let Some(effort) = session.reasoning_effort {
                model.push(Span::styled(format!(" {}", effort.as_str()), theme.dim()));
            }
            segments.push(model);
            segments.push(vec![Span::styled(session.sandbox.to_string(), theme.dim())]);
            segments.push(vec![Span::styled(
                session.approval.to_string(),
                theme.dim(),
            )]);
        }
        None => segments.push(vec![Span::styled("starting…", theme.dim())]),
    }
    if let Some(left) = app.context_left_percent() {
        segments.push(vec![Span::styled(
            format!("{left}% context left"),
            theme.dim(),
        )]);
    }
    if let Some(dollars) = app.turn.cost_usd {
        segments.push(vec![Span::styled(
            duet_protocol::display::format_usd(dollars),
            theme.dim(),
        )]);
    }
    // The cache's share of the input, once the provider has served any.
    let cached = duet_protocol::display::cache_hit_percent(
        app.turn.usage.input_tokens,
        app.turn.usage.cached_input_tokens,
    )
    .filter(|hit| *hit > 0)
    .map(|hit| format!(" · {hit}% cached"))
    .unwrap_or_default();
    segments.push(vec![Span::styled(
        format!(
            "{} in{cached} · {} out",
            short_count(app.turn.usage.input_tokens),
            short_count(app.turn.usage.output_tokens)
        ),
        theme.dim(),
    )]);
    if let Some(name) = &app.turn.session_name {
        segments.push(vec![Span::styled(name.clone(), theme.accent())]);
    }
    if let Some(session) = &app.turn.session {
        segments.push(vec![Span::styled(session.thread_id.clone(), theme.dim())]);
    }
    let mut spans = vec![Span::raw(" ")];
    let mut used = 1;
    for segment in segments {
        let separator = if spans.len() > 1 { 3 } else { 0 };
        let segment_width: usize = segment.iter().map(Span::width).sum();
        if used + separator + segment_width > width {
            continue;
        }
        if separator > 0 {
            spans.push(Span::styled(" · ", theme.dim()));
        }
        used += separator + segment_width;
        spans.extend(segment);
    }
    Line::from(spans)
}

/// `950`, `12.3k`, `4.1M`.
fn short_count(count: u64) -> String {
    match count {
        0..1_000 => count.to_string(),
        1_000..1_000_000 => format!("{:.1}k", count as f64 / 1_000.0),
        _ => format!("{:.1}M", count as f64 / 1_000_000.0),
    }
}

/// Lines of the whole live area for an inline viewport of at most
/// `max_rows`: the live cells (their oldest lines dropped first when room
/// is short), then the bottom pane. Returns the cursor position too.
pub fn live_area(
    app: &App,
    width: usize,
    max_rows: usize,
) -> (Vec<Line<'static>>, Option<(u16, u16)>) {
    let (pane, cursor) = bottom_pane(app, width);
    let live = app.transcript.live.lines(width, app.view.theme, false);
    let room = max_rows.saturating_sub(pane.len());
    let skip_live = live.len().saturating_sub(room);
    let mut lines: Vec<Line<'static>> = live.into_iter().skip(skip_live).collect();
    let offset = lines.len();
    lines.extend(pane);
    let skip_all = lines.len().saturating_sub(max_rows);
    let cursor = cursor.and_then(|(x, y)| {
        let y = usize::from(y) + offset;
        (y >= skip_all).then(|| (x, u16::try_from(y - skip_all).unwrap_or(0)))
    });
    (lines.into_iter().skip(skip_all).collect(), cursor)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn counts_are_short() {
        let got: Vec<String> = [950, 12_345, 4_100_000]
            .into_iter()
            .map(short_count)
            .collect();
        assert_eq!(got, ["950", "12.3k", "4.1M"]);
    }
}
