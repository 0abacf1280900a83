//! History cells: the finished pieces of the transcript (a prompt, an
//! answer, a command, a patch, a plan, a notice) and how each renders to
//! lines at a width. A cell is data plus a pure `lines` function, so the
//! whole transcript can be re-rendered at any width (resize, alt-screen).
//!
//! What is still changing (a streaming answer, a running command) is not a
//! cell yet: `app.rs` holds it and renders it with the same functions.

pub mod command;
pub mod highlight;
pub mod markdown;
pub mod memo;
pub mod patch;
pub mod reasoning;
pub mod stream;

use crate::theme::Theme;
use crate::wrap::{wrap_spans, wrap_text};
use command::{CommandRun, command_lines, exploration_lines};
use duet_protocol::{FileChange, TodoItem};
use markdown::Markdown;
use memo::MarkdownMemo;
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use reasoning::{ReasoningDisplay, collapsed_line, reasoning_lines, reasoning_title};
use std::path::PathBuf;

/// One finished transcript entry.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// The card at the top of a session.
    Header {
        version: String,
        model: String,
        cwd: PathBuf,
    },
    User {
        text: String,
    },
    /// An agent answer, Markdown (`parsed`: kept once drawn; build with
    /// [`Cell::agent`]).
    Agent {
        text: String,
        parsed: MarkdownMemo,
    },
    /// A reasoning summary, shown dim: collapsed to its title, in full,
    /// or not at all (`shown`, from `tui.show_reasoning`); build with
    /// [`Cell::reasoning`].
    Reasoning {
        text: String,
        shown: ReasoningDisplay,
        parsed: MarkdownMemo,
    },
    /// One command, or (`explored`) a group of read-only ones.
    Commands {
        runs: Vec<CommandRun>,
        explored: bool,
    },
    Patch {
        changes: Vec<FileChange>,
    },
    Plan {
        items: Vec<TodoItem>,
    },
    /// `git diff` output from `/diff`.
    Diff {
        diff: String,
    },
    Notice {
        kind: NoticeKind,
        text: String,
    },
    /// A titled block of `label: value` rows (`/status`, `/help`).
    Card {
        title: String,
        rows: Vec<(String, String)>,
    },
    /// The line after a finished turn: `─ Worked for 4.2s ─`.
    TurnEnd {
        text: String,
    },
    /// A compaction: why and how much (`title`), then the hand-off the
    /// next requests carry, dim.
    Compaction {
        title: String,
        summary: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoticeKind {
    Info,
    Warning,
    Error,
}

impl Cell {
    pub fn agent(text: String) -> Cell {
        Cell::Agent {
            text,
            parsed: MarkdownMemo::default(),
        }
    }

    pub fn reasoning(text: String, shown: ReasoningDisplay) -> Cell {
        Cell::Reasoning {
            text,
            shown,
            parsed: MarkdownMemo::default(),
        }
    }

    /// The cell's lines at `width` columns, starting with a blank separator line.
    pub fn lines(&self, width: usize, theme: Theme) -> Vec<Line<'static>> {
        let width = width.max(8);
        let mut lines = vec![Line::default()];
        let indent = [Span::raw("  ")];
        match self {
            Cell::Header {
                version,
                model,
                cwd,
            } => {
                lines.push(Line::from(vec![
                    Span::styled(">_ ", theme.dim()),
                    Span::styled("duet", theme.bold()),
                    Span::styled(format!(" (v{version})"), theme.dim()),
                ]));
                lines.push(Line::from(vec![
                    Span::styled("   model: ", theme.dim()),
                    Span::raw(model.clone()),
                ]));
                lines.push(Line::from(vec![
                    Span::styled("   directory: ", theme.dim()),
                    Span::raw(cwd.display().to_string()),
                ]));
            }
            Cell::User { text } => {
                let first = [Span::styled("› ", theme.accent())];
                lines.extend(wrap_text(text, theme.plain(), width, &first, &indent));
            }
            Cell::Agent { text, parsed } => {
                lines.extend(agent_lines(&parsed.get(text, theme), width, theme));
            }
            Cell::Reasoning {
                text,
                shown,
                parsed,
            } => match shown {
                ReasoningDisplay::Collapsed => {
                    lines.push(collapsed_line(&reasoning_title(text), true, width, theme));
                }
                ReasoningDisplay::Expanded => {
                    lines.extend(reasoning_lines(&parsed.get(text, theme), width, theme));
                }
                ReasoningDisplay::Hidden => return Vec::new(),
            },
            Cell::Commands { runs, explored } => {
                if *explored {
                    lines.extend(exploration_lines(runs, width, theme));
                } else {
                    for run in runs {
                        lines.extend(command_lines(run, width, theme));
                    }
                }
            }
            Cell::Patch { changes } => lines.extend(patch::patch_lines(changes, width, theme)),
            Cell::Diff { diff } => {
                lines.push(Line::from(vec![
                    Span::styled("• ", theme.dim()),
                    Span::styled("git diff", theme.bold()),
                ]));
                if diff.trim().is_empty() {
                    lines.push(Line::from(Span::styled("  └ no changes", theme.dim())));
                } else {
                    lines.extend(patch::diff_lines(diff, width, theme));
                }
            }
            Cell::Plan { items } => lines.extend(plan_lines(items, width, theme)),
            Cell::Notice { kind, text } => {
                let (mark, style) = match kind {
                    NoticeKind::Info => ("• ", theme.dim()),
                    NoticeKind::Warning => ("⚠ ", theme.warning()),
                    NoticeKind::Error => ("■ ", theme.failure()),
                };
                let first = [Span::styled(mark, style)];
                let text_style = match kind {
                    NoticeKind::Info => theme.dim(),
                    NoticeKind::Warning => theme.warning(),
                    NoticeKind::Error => theme.fg(theme.plain(), ratatui::style::Color::Red),
                };
                lines.extend(wrap_text(text, text_style, width, &first, &indent));
            }
            Cell::Card { title, rows } => {
                lines.push(Line::from(vec![
                    Span::styled("• ", theme.dim()),
                    Span::styled(title.clone(), theme.bold()),
                ]));
                let label_width = rows.iter().map(|(label, _)| label.len()).max().unwrap_or(0);
                for (label, value) in rows {
                    let first = [Span::styled(
                        format!("  {label:<label_width$}  "),
                        theme.dim(),
                    )];
                    let rest = [Span::raw(" ".repeat(label_width + 4))];
                    lines.extend(wrap_text(value, theme.plain(), width, &first, &rest));
                }
            }
            Cell::Compaction { title, summary } => {
                let first = [Span::styled("• ", theme.dim())];
                lines.extend(wrap_text(title, theme.bold(), width, &first, &indent));
                let mut rest = summary.lines();
                if let Some(line) = rest.next() {
                    let first = [Span::styled("  └ ", theme.dim())];
                    let hang = [Span::raw("    ")];
                    lines.extend(wrap_text(line, theme.dim(), width, &first, &hang));
                }
                let hang = [Span::raw("    ")];
                for line in rest {
                    lines.extend(wrap_text(line, theme.dim(), width, &hang, &hang));
                }
            }
            Cell::TurnEnd { text } => {
                let label = format!(" {text} ");
                let side = width.saturating_sub(label.chars().count() + 2).min(8);
                lines.push(Line::from(Span::styled(
                    format!("──{label}{}", "─".repeat(side)),
                    theme.dim(),
                )));
            }
        }
        lines
    }

    /// Drop what was kept of the parse of an answer or a reasoning summary
    /// and keep none from now on (drawing it again parses it again).
    pub fn forget_parse(&mut self) {
        if let Cell::Agent { parsed, .. } | Cell::Reasoning { parsed, .. } = self {
            *parsed = MarkdownMemo::forgotten();
        }
    }

    /// The cell as the Ctrl+T transcript shows it: as [`Cell::lines`], but
    /// a reasoning summary always in full.
    pub fn full_lines(&self, width: usize, theme: Theme) -> Vec<Line<'static>> {
        match self {
            Cell::Reasoning { text, parsed, .. } => {
                let mut lines = vec![Line::default()];
                lines.extend(reasoning_lines(
                    &parsed.get(text, theme),
                    width.max(8),
                    theme,
                ));
                lines
            }
            other => other.lines(width, theme),
        }
    }
}

/// An answer: Markdown at `width - 2`, behind a `• ` bullet.
pub fn agent_lines(markdown: &Markdown, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let body = markdown.lines(width.saturating_sub(2));
    prefix_lines(body, Span::styled("• ", theme.dim()), Span::raw("  "))
}

/// `body` behind `first` on its first line and `rest` on the others
/// (blank lines stay blank).
fn prefix_lines(
    body: Vec<Line<'static>>,
    first: Span<'static>,
    rest: Span<'static>,
) -> Vec<Line<'static>> {
    body.into_iter()
        .enumerate()
        .map(|(idx, line)| {
            if line.spans.is_empty() {
                return line;
            }
            let mut spans = vec![if idx == 0 {
                first.clone()
            } else {
                rest.clone()
            }];
            spans.extend(line.spans);
            Line::from(spans)
        })
        .collect()
}

fn plan_lines(items: &[TodoItem], width: usize, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = vec![Line::from(vec![
        Span::styled("• ", theme.dim()),
        Span::styled("Updated Plan", theme.bold()),
    ])];
    let current = items.iter().position(|item| !item.completed);
    for (idx, item) in items.iter().enumerate() {
        let gutter = Span::styled(if idx == 0 { "  └ " } else { "    " }, theme.dim());
        let (mark, style) = if item.completed {
            ("✔ ", theme.dim().add_modifier(Modifier::CROSSED_OUT))
        } else if Some(idx) == current {
            ("□ ", theme.accent())
        } else {
            ("□ ", theme.plain())
        };
        let first = [gutter, Span::styled(mark, style)];
        let rest = [Span::raw("      ")];
        lines.extend(wrap_spans(
            &[Span::styled(item.text.clone(), style)],
            width,
            &first,
            &rest,
        ));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use duet_protocol::{CommandStatus, FileChangeKind};
    use pretty_assertions::assert_eq;

    const ANSWER: &str = "# Plan\n\nSkips a **trailing comma** in `parse_list`; see \
        [the test](https://example.com/t), which this sentence wraps around.\n\n\
        ```rust\nfn parse_list(input: &str) -> Vec<Item> {\n    input.split(',').filter(|s| \
        !s.is_empty()).map(Item::from).collect()\n}\n```\n\n1. a step that wraps when narrow \
        enough\n   ```sh\n   cargo test -p parser --all-targets\n   ```\n\n> a quote that \
        wraps as well\n\n---\n";

    const DIFF: &str = "@@ -1,2 +1,3 @@\n fn parse_list(input: &str) -> Vec<Item> {\n\
        -    input.split(',').map(Item::from).collect()\n\
        +    input.split(',').filter(|s| !s.is_empty()).map(Item::from).collect()\n\
        +    // a trailing comma gives an empty piece, which is not an item\n";

    fn cells() -> Vec<Cell> {
        vec![
            Cell::User {
                text: "make the parser accept trailing commas, in a prompt that wraps".into(),
            },
            Cell::reasoning(
                "**Finding the parser**\n\nIt is in `src/parser.rs`, read it first.".into(),
                ReasoningDisplay::Expanded,
            ),
            Cell::Commands {
                runs: vec![CommandRun {
                    item_id: "c".into(),
                    command: "cargo test -p parser --all-targets -- trailing_comma".into(),
                    output: "running 2 tests\ntest trailing_comma ... ok\ntest empty ... ok\n"
                        .into(),
                    exit_code: Some(0),
                    status: CommandStatus::Completed,
                    duration: Some(std::time::Duration::from_millis(1500)),
                }],
                explored: false,
            },
            Cell::agent(ANSWER.into()),
            Cell::Patch {
                changes: vec![FileChange {
                    path: "src/parser.rs".into(),
                    kind: FileChangeKind::Update,
                    diff: Some(DIFF.into()),
                }],
            },
            Cell::Diff { diff: DIFF.into() },
        ]
    }

    /// The cell with nothing kept: rendering it parses afresh.
    fn unparsed(cell: &Cell) -> Cell {
        match cell {
            Cell::Agent { text, .. } => Cell::agent(text.clone()),
            Cell::Reasoning { text, shown, .. } => Cell::reasoning(text.clone(), *shown),
            other => other.clone(),
        }
    }

    #[test]
    fn drawing_keeps_the_parse_and_forgetting_drops_it() {
        let theme = Theme::new(true);
        let kept = |cells: &[Cell]| -> Vec<bool> {
            cells
                .iter()
                .map(|cell| match cell {
                    Cell::Agent { parsed, .. } | Cell::Reasoning { parsed, .. } => parsed.is_kept(),
                    _ => false,
                })
                .collect()
        };
        let mut cells = cells();
        assert_eq!(kept(&cells), [false; 6]);
        for cell in &cells {
            cell.lines(80, theme);
        }
        assert_eq!(kept(&cells), [false, true, false, true, false, false]);
        cells.iter_mut().for_each(Cell::forget_parse);
        assert_eq!(kept(&cells), [false; 6]);
        // Drawn again, a forgotten cell keeps nothing, and draws the same.
        for (cell, fresh) in cells.iter().zip(self::cells()) {
            assert_eq!(cell.lines(57, theme), fresh.lines(57, theme));
        }
        assert_eq!(kept(&cells), [false; 6]);
    }

    #[test]
    fn cells_rewrapped_from_their_kept_parse_equal_cells_drawn_fresh() {
        let theme = Theme::new(true);
        let kept = cells();
        for cell in &kept {
            // Drawn once at 100 columns: the parse is kept.
            cell.lines(100, theme);
            cell.full_lines(100, theme);
        }
        for width in [20, 41, 80, 100, 157] {
            let rewrapped: Vec<Line<'static>> = kept
                .iter()
                .flat_map(|cell| [cell.lines(width, theme), cell.full_lines(width, theme)])
                .flatten()
                .collect();
            let fresh: Vec<Line<'static>> = kept
                .iter()
                .flat_map(|cell| {
                    [
                        unparsed(cell).lines(width, theme),
                        unparsed(cell).full_lines(width, theme),
                    ]
                })
                .flatten()
                .collect();
            assert_eq!(rewrapped, fresh, "at {width} columns");
        }
    }
}
