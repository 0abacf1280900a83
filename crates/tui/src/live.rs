//! Live cells: what is still changing at the bottom of the transcript (a
//! streaming answer or reasoning, running commands, a patch being applied)
//! in the order it started, and the rule that moves them into history.
//!
//! Only a finished prefix of the list moves: a cell that finishes while an
//! earlier one still runs waits, so the scrollback keeps the order in which
//! things started. A streaming answer at the front gives its stable lines to
//! the scrollback as it goes (see `history/stream.rs`).

use crate::history::Cell;
use crate::history::command::{CommandRun, command_lines, exploration, exploration_lines};
use crate::history::markdown::Markdown;
use crate::history::memo::MarkdownMemo;
use crate::history::reasoning::{
    ReasoningDisplay, collapsed_line, latest_heading, reasoning_lines, reasoning_title,
};
use crate::history::stream::Stream;
use crate::theme::Theme;
use duet_protocol::{CommandStatus, FileChange, PatchStatus};
use ratatui::text::{Line, Span};

#[derive(Debug, Clone, PartialEq)]
pub enum LiveCell {
    Answer {
        stream: Stream,
        done: bool,
    },
    Reasoning {
        item_id: String,
        text: String,
        done: bool,
    },
    /// A command, or a group of read-only ones; `closed` once something
    /// else started, so no further command joins the group.
    Commands {
        runs: Vec<CommandRun>,
        explored: bool,
        closed: bool,
    },
    Patch {
        item_id: String,
        changes: Vec<FileChange>,
        status: PatchStatus,
    },
    /// A finished cell waiting behind an unfinished one.
    Finished(Cell),
}

/// What leaves the live list: a cell for the transcript, and the lines the
/// scrollback still needs for it (fewer than the cell's own for an answer
/// whose first paragraphs went ahead).
pub struct Flushed {
    pub cells: Vec<Cell>,
    pub lines: Vec<Line<'static>>,
}

#[derive(Debug, Default)]
pub struct Live {
    pub cells: Vec<LiveCell>,
    /// How reasoning shows, live and in the cells it becomes.
    pub reasoning: ReasoningDisplay,
}

impl Live {
    /// No further command may join an open `Explored` group.
    pub fn close_groups(&mut self) {
        for cell in &mut self.cells {
            if let LiveCell::Commands { closed, .. } = cell {
                *closed = true;
            }
        }
    }

    pub fn start_command(&mut self, run: CommandRun) {
        if let Some(existing) = self.run_mut(&run.item_id) {
            *existing = run;
            return;
        }
        let read_only = exploration(&run.command).is_some();
        if read_only
            && let Some(LiveCell::Commands {
                runs,
                explored: true,
                closed: false,
            }) = self.cells.last_mut()
        {
            runs.push(run);
            return;
        }
        self.close_groups();
        self.cells.push(LiveCell::Commands {
            runs: vec![run],
            explored: read_only,
            closed: !read_only,
        });
    }

    pub fn run_mut(&mut self, item_id: &str) -> Option<&mut CommandRun> {
        self.cells.iter_mut().find_map(|cell| match cell {
            LiveCell::Commands { runs, .. } => runs.iter_mut().find(|run| run.item_id == item_id),
            _ => None,
        })
    }

    pub fn answer_mut(&mut self, item_id: &str) -> &mut Stream {
        let position = self.cells.iter().position(
            |cell| matches!(cell, LiveCell::Answer { stream, .. } if stream.item_id == item_id),
        );
        let idx = position.unwrap_or_else(|| {
            self.close_groups();
            self.cells.push(LiveCell::Answer {
                stream: Stream::new(item_id.to_owned()),
                done: false,
            });
            self.cells.len() - 1
        });
        match &mut self.cells[idx] {
            LiveCell::Answer { stream, .. } => stream,
            _ => unreachable!("the index was found or pushed as an answer"),
        }
    }

    pub fn finish_answer(&mut self, item_id: &str, text: &str) {
        let stream = self.answer_mut(item_id);
        stream.text = text.to_owned();
        for cell in &mut self.cells {
            if let LiveCell::Answer { stream, done } = cell
                && stream.item_id == item_id
            {
                *done = true;
            }
        }
    }

    /// The reasoning cell of `item_id`, created if needed; its text and done flag.
    pub fn reasoning_mut(&mut self, item_id: &str) -> (&mut String, &mut bool) {
        let position = self.cells.iter().position(
            |cell| matches!(cell, LiveCell::Reasoning { item_id: id, .. } if id == item_id),
        );
        let idx = position.unwrap_or_else(|| {
            self.close_groups();
            self.cells.push(LiveCell::Reasoning {
                item_id: item_id.to_owned(),
                text: String::new(),
                done: false,
            });
            self.cells.len() - 1
        });
        match &mut self.cells[idx] {
            LiveCell::Reasoning { text, done, .. } => (text, done),
            _ => unreachable!("the index was found or pushed as reasoning"),
        }
    }

    pub fn patch(&mut self, item_id: &str, new_changes: Vec<FileChange>, new_status: PatchStatus) {
        for cell in &mut self.cells {
            if let LiveCell::Patch {
                item_id: id,
                changes,
                status,
            } = cell
                && id == item_id
            {
                *changes = new_changes;
                *status = new_status;
                return;
            }
        }
        self.close_groups();
        self.cells.push(LiveCell::Patch {
            item_id: item_id.to_owned(),
            changes: new_changes,
            status: new_status,
        });
    }

    /// Queue a finished cell behind the live ones.
    pub fn push_finished(&mut self, cell: Cell) {
        self.cells.push(LiveCell::Finished(cell));
    }

    /// Move the finished prefix out; with `force` (the turn ended) move
    /// everything, as it is.
    pub fn flush(&mut self, width: usize, theme: Theme, force: bool) -> Flushed {
        let mut out = Flushed {
            cells: Vec::new(),
            lines: Vec::new(),
        };
        while let Some(front) = self.cells.first_mut() {
            let finished = force || is_finished(front);
            if let LiveCell::Answer { stream, .. } = front {
                if !finished {
                    out.lines.extend(stream.take_stable(width, theme));
                    break;
                }
                if stream.text.trim().is_empty() {
                    out.lines.extend(stream.take_rest(width, theme));
                    self.cells.remove(0);
                    continue;
                }
                // Parsed once, for these lines and for the cell's redraws.
                let parsed = MarkdownMemo::default();
                out.lines.extend(stream.take_rest_parsed(
                    &parsed.get(&stream.text, theme),
                    width,
                    theme,
                ));
                out.cells.push(Cell::Agent {
                    text: stream.text.clone(),
                    parsed,
                });
                self.cells.remove(0);
                continue;
            }
            if !finished {
                break;
            }
            if let Some(cell) = into_cell(self.cells.remove(0), self.reasoning) {
                out.lines.extend(cell.lines(width, theme));
                out.cells.push(cell);
            }
        }
        out
    }

    /// The lines of every live cell, for the live area.
    pub fn lines(&self, width: usize, theme: Theme, with_committed: bool) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        for cell in &self.cells {
            match cell {
                LiveCell::Answer { stream, .. } if with_committed => {
                    lines.push(Line::default());
                    lines.extend(crate::history::agent_lines(
                        &Markdown::parse(&stream.text, theme),
                        width,
                        theme,
                    ));
                }
                LiveCell::Answer { stream, .. } => lines.extend(stream.live_lines(width, theme)),
                LiveCell::Reasoning { text, done, .. } => {
                    lines.extend(self.reasoning_live_lines(text, *done, width, theme));
                }
                LiveCell::Commands { runs, explored, .. } => {
                    lines.push(Line::default());
                    if *explored {
                        lines.extend(exploration_lines(runs, width, theme));
                    } else {
                        for run in runs {
                            lines.extend(command_lines(run, width, theme));
                        }
                    }
                }
                LiveCell::Patch {
                    changes,
                    status: PatchStatus::InProgress,
                    ..
                } => {
                    lines.push(Line::default());
                    let paths: Vec<&str> = changes.iter().map(|c| c.path.as_str()).collect();
                    lines.push(Line::from(vec![
                        Span::styled("◦ ", theme.dim()),
                        Span::styled("Applying patch ", theme.bold()),
                        Span::raw(paths.join(", ")),
                    ]));
                }
                LiveCell::Patch { changes, .. } => {
                    lines.extend(
                        Cell::Patch {
                            changes: changes.clone(),
                        }
                        .lines(width, theme),
                    );
                }
                LiveCell::Finished(cell) => lines.extend(cell.lines(width, theme)),
            }
        }
        lines
    }
}

impl Live {
    /// A streaming summary: collapsed, only its latest heading (one line);
    /// once done, the line it will keep.
    fn reasoning_live_lines(
        &self,
        text: &str,
        done: bool,
        width: usize,
        theme: Theme,
    ) -> Vec<Line<'static>> {
        match self.reasoning {
            ReasoningDisplay::Hidden => Vec::new(),
            _ if text.trim().is_empty() => Vec::new(),
            ReasoningDisplay::Expanded => {
                let mut lines = vec![Line::default()];
                lines.extend(reasoning_lines(&Markdown::parse(text, theme), width, theme));
                lines
            }
            ReasoningDisplay::Collapsed if done => {
                vec![
                    Line::default(),
                    collapsed_line(&reasoning_title(text), true, width, theme),
                ]
            }
            ReasoningDisplay::Collapsed => {
                vec![
                    Line::default(),
                    collapsed_line(&latest_heading(text), false, width, theme),
                ]
            }
        }
    }
}

fn is_finished(cell: &LiveCell) -> bool {
    match cell {
        LiveCell::Answer { done, .. } | LiveCell::Reasoning { done, .. } => *done,
        LiveCell::Commands { runs, closed, .. } => {
            *closed
                && runs
                    .iter()
                    .all(|run| run.status != CommandStatus::InProgress)
        }
        LiveCell::Patch { status, .. } => *status != PatchStatus::InProgress,
        LiveCell::Finished(_) => true,
    }
}

fn into_cell(cell: LiveCell, reasoning: ReasoningDisplay) -> Option<Cell> {
    match cell {
        LiveCell::Answer { stream, .. } => Some(Cell::agent(stream.text)),
        LiveCell::Reasoning { text, .. } if text.trim().is_empty() => None,
        LiveCell::Reasoning { text, .. } => Some(Cell::reasoning(text, reasoning)),
        LiveCell::Commands { runs, explored, .. } => Some(Cell::Commands { runs, explored }),
        LiveCell::Patch { changes, .. } => Some(Cell::Patch { changes }),
        LiveCell::Finished(cell) => Some(cell),
    }
}
