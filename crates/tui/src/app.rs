//! The TUI's state machine. [`App::update`] takes one [`Input`] (a key, a
//! paste, a resize, a session event) and changes state; it does no IO
//! beyond appending to the prompt-history file. What it wants done outside
//! is collected as [`Outgoing`] requests and history lines, which the event
//! loop drains after each update. Rendering reads the state (`render.rs`).
//!
//! Split by concern: `app/state.rs` holds the parts of the state,
//! `app/events.rs` turns session events into live cells, `app/keys.rs`
//! routes keys through the focus list, `app/extras.rs` has the composer's
//! modes and `app/commands.rs` the slash commands.

mod commands;
mod events;
mod extras;
mod keys;
mod state;

pub use commands::INIT_PROMPT;
pub(crate) use commands::{DRAWN_TURNS, Overlay};
pub(crate) use state::{InputState, TranscriptView, TurnView, View};

use crate::history::{Cell, NoticeKind};
use crate::prompt_history::PromptHistory;
use crate::resume_picker::{Removal, SessionRow};
use crate::theme::Theme;
use duet_protocol::{
    ApprovalPolicy, Event, Item, Op, ReasoningEffort, SandboxMode, Usage, UserTurn,
};
use ratatui::text::Line;
use std::path::PathBuf;
use std::time::Duration;
use tokio::time::Instant;

/// Everything the loop feeds the app.
#[derive(Debug, Clone, PartialEq)]
// Events are moved into `update` once each; boxing the large one would
// cost an allocation per event for no gain.
#[allow(clippy::large_enum_variant)]
pub enum Input {
    Terminal(crossterm::event::Event),
    Core(Event),
    /// The session's event channel closed.
    CoreClosed,
    /// The answer to [`Outgoing::GitDiff`]: the diff, or why there is none.
    Diff(Result<String, String>),
    /// A stored thread about to be continued (`duet resume`, `/resume`,
    /// `/fork`): its transcript is drawn when its `ThreadStarted` comes.
    Transcript(Box<duet_core::sessions::Transcript>),
    /// The answer to [`Outgoing::ListSessions`].
    Sessions {
        query: String,
        all: bool,
        rows: Result<Vec<SessionRow>, String>,
    },
    /// The answer to [`Outgoing::PreviewSession`]: the first displayed items.
    Preview {
        thread_id: String,
        items: Vec<Item>,
    },
    /// The answer to [`Outgoing::Rename`]: the new name, or why not.
    Renamed(Result<String, String>),
    /// The answer to [`Outgoing::ArchiveSession`] and
    /// [`Outgoing::DeleteSession`]: done, or why not.
    SessionRemoved {
        thread_id: String,
        removal: Removal,
        result: Result<(), String>,
    },
    /// Answers to [`Outgoing::FileSearch`], streamed while the walk goes on.
    FileMatches {
        query: String,
        paths: Vec<String>,
        /// The walk is over: no better matches will come.
        complete: bool,
    },
    /// The answer to [`Outgoing::Editor`]: the edited text, or why not.
    EditorDone(Result<String, String>),
    /// The answer to [`Outgoing::EditCompaction`]: the edited hand-off, or
    /// why the editor did not run.
    CompactionEdited(Result<String, String>),
    /// The answer to [`Outgoing::ClipboardImage`]: the saved image's path,
    /// or why there is none.
    ClipboardImage(Result<std::path::PathBuf, String>),
}

/// What the app asks of the world outside it.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    Op(Op),
    /// Replace the session with a new one (`/new`).
    NewSession,
    /// Run `git diff` in the session's directory (`/diff`).
    GitDiff,
    /// List stored sessions for `/resume` (this directory, or `all`),
    /// searched for `query` when it is not empty.
    ListSessions {
        query: String,
        all: bool,
    },
    PreviewSession {
        thread_id: String,
    },
    /// Replace the session with a stored thread (`/resume`); answered with
    /// [`Input::Transcript`] and the new session's events.
    Resume {
        thread_id: String,
    },
    /// Fork a stored thread and continue in the fork (`/fork`).
    Fork {
        thread_id: String,
    },
    Rename {
        thread_id: String,
        name: String,
    },
    /// Archive a stored thread (Ctrl+A in `/resume`).
    ArchiveSession {
        thread_id: String,
    },
    /// Delete a stored thread, once confirmed (Ctrl+D in `/resume`).
    DeleteSession {
        thread_id: String,
    },
    /// Find files matching `query` for the `@` popup.
    FileSearch {
        query: String,
    },
    /// Edit `text` in `$VISUAL` / `$EDITOR` (Ctrl+G); the app draws
    /// nothing until [`Input::EditorDone`].
    Editor {
        text: String,
    },
    /// Edit a compaction's hand-off in `$VISUAL` / `$EDITOR` (core waits
    /// for it); answered with [`Input::CompactionEdited`].
    EditCompaction {
        text: String,
    },
    /// Save the clipboard's image to a file (Ctrl+V); answered with
    /// [`Input::ClipboardImage`].
    ClipboardImage,
}

/// What the app asks of the terminal itself, done by the loop.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TerminalRequest {
    /// Tell the user (OSC 9 or a bell): a turn ended or needs an answer
    /// while the terminal was not focused.
    Notify(String),
    /// Ctrl+Z: give the terminal back and stop until `fg`.
    Suspend,
}

/// Fixed facts the app starts with.
#[derive(Debug, Clone)]
pub struct AppOptions {
    pub theme: Theme,
    /// Full-screen mode: the transcript is drawn by the app, not left in
    /// the terminal's scrollback.
    pub alt_screen: bool,
    pub version: String,
    /// `$DUET_HOME/history.jsonl`; `None` keeps prompts in memory only.
    pub history_path: Option<PathBuf>,
    /// The first message, sent once the session has started.
    pub initial_prompt: Option<String>,
    /// `-i`: images attached to the first message (sent with
    /// `initial_prompt`, or waiting in the draft for the user's).
    pub initial_images: Vec<PathBuf>,
    /// Terminal size in columns and rows.
    pub size: (u16, u16),
}

/// The session as `ThreadStarted` described it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionInfo {
    pub thread_id: String,
    pub model: String,
    pub provider: String,
    pub cwd: PathBuf,
    pub sandbox: SandboxMode,
    pub approval: ApprovalPolicy,
    pub reasoning_effort: Option<ReasoningEffort>,
}

/// The TUI's state, owned in parts by concern: what the terminal shows
/// ([`View`]), the transcript ([`TranscriptView`]), the session and its
/// turns ([`TurnView`]) and the composer with its modes ([`InputState`]),
/// plus what the event loop exchanges with it.
pub struct App {
    pub(crate) view: View,
    pub(crate) transcript: TranscriptView,
    pub(crate) turn: TurnView,
    pub(crate) input: InputState,
    pub(crate) now: Instant,
    next_tick: Option<Instant>,
    /// A one-line hint above the status line, cleared by the next key.
    pub(crate) hint: Option<String>,
    ctrl_c_armed: bool,
    outgoing: Vec<Outgoing>,
    terminal_requests: Vec<TerminalRequest>,
    quit: bool,
}

impl App {
    pub fn new(options: AppOptions, now: Instant) -> App {
        App {
            view: View::new(
                options.theme,
                options.alt_screen,
                options.version,
                options.size,
            ),
            transcript: TranscriptView::default(),
            turn: TurnView::new(options.initial_prompt, options.initial_images),
            input: InputState::new(PromptHistory::load(options.history_path)),
            now,
            next_tick: None,
            hint: None,
            ctrl_c_armed: false,
            outgoing: Vec::new(),
            terminal_requests: Vec::new(),
            quit: false,
        }
    }

    /// Requests for the terminal since the last call (notify, suspend).
    pub fn take_terminal_requests(&mut self) -> Vec<TerminalRequest> {
        std::mem::take(&mut self.terminal_requests)
    }

    /// A notification, sent only while the terminal is not focused.
    pub(crate) fn notify(&mut self, text: &str) {
        if !self.view.focused {
            self.terminal_requests
                .push(TerminalRequest::Notify(text.to_owned()));
        }
    }

    /// How reasoning summaries show from now on (`tui.show_reasoning`).
    pub fn set_reasoning_display(&mut self, display: crate::history::reasoning::ReasoningDisplay) {
        self.transcript.live.reasoning = display;
    }

    /// The pager, when it is open: the screen shows it instead of anything else.
    pub fn pager_open(&self) -> bool {
        matches!(self.view.overlay, Some(Overlay::Pager(_)))
    }

    /// Apply one input.
    pub fn update(&mut self, input: Input, now: Instant) {
        self.now = now;
        match input {
            Input::Terminal(event) => {
                self.on_terminal(event);
                self.sync_file_search();
            }
            // Command output and model text may carry escape sequences (a
            // clipboard write, a screen clear, a title): shown, never obeyed.
            Input::Core(event) => self.on_core(duet_protocol::display::visible(&event)),
            Input::CoreClosed => {
                if !self.quit {
                    self.notice(
                        NoticeKind::Error,
                        "the session ended unexpectedly: this is a bug in duet, please report it; press ctrl+c to quit".to_owned(),
                    );
                }
            }
            Input::Diff(Ok(diff)) => self.open_diff(diff),
            Input::Diff(Err(error)) => self.notice(NoticeKind::Error, error),
            Input::Transcript(transcript) => self.transcript_arrived(transcript),
            Input::Sessions { query, all, rows } => self.session_rows(&query, all, rows),
            Input::Preview { thread_id, items } => self.session_preview(thread_id, items),
            Input::Renamed(result) => self.renamed(result),
            Input::SessionRemoved {
                thread_id,
                removal,
                result,
            } => self.session_removed(&thread_id, removal, result),
            Input::FileMatches {
                query,
                paths,
                complete,
            } => self.file_matches(query, paths, complete),
            Input::EditorDone(result) => self.editor_done(result),
            Input::CompactionEdited(result) => self.compaction_edited(result),
            Input::ClipboardImage(result) => self.clipboard_image(result),
        }
        self.flush_live(false);
    }

    /// The clock moved on (the elapsed time of a running turn is shown).
    pub fn tick(&mut self, now: Instant) {
        self.now = now;
        self.next_tick = self.turn.turn_started.map(|_| now + Duration::from_secs(1));
    }

    /// When the loop should call [`App::tick`] next; `None` while idle, so
    /// an idle TUI does no work at all.
    pub fn next_tick(&self) -> Option<Instant> {
        self.next_tick
    }

    pub fn take_outgoing(&mut self) -> Vec<Outgoing> {
        std::mem::take(&mut self.outgoing)
    }

    /// Lines that have become history since the last call (inline mode).
    pub fn take_history_lines(&mut self) -> Vec<Line<'static>> {
        std::mem::take(&mut self.view.pending_lines)
    }

    /// Whether the whole transcript must be drawn again (after a resize),
    /// with [`App::transcript_lines`].
    /// Apply the resizes read since the last frame to an open pager: its
    /// text is laid out again once for the final size, however many
    /// resize events a window drag sent.
    pub fn settle_resize(&mut self) {
        if let Some(old_height) = self.view.pager_resized_from.take() {
            self.render_pager(old_height);
        }
    }

    pub fn take_redraw_all(&mut self) -> bool {
        std::mem::take(&mut self.view.redraw_all)
    }

    /// Every history line of the last [`DRAWN_TURNS`] turns at the current
    /// width (after a line saying how many turns are left out), the
    /// committed part of a streaming answer included; resets what counts
    /// as committed.
    pub fn transcript_lines(&mut self) -> Vec<Line<'static>> {
        let width = usize::from(self.view.width);
        let (start, left_out) = crate::pager::transcript_start(&self.transcript.cells);
        let mut lines = Vec::new();
        if left_out > 0 {
            let turns = crate::pager::earlier_turns(left_out);
            let notice = Cell::Notice {
                kind: NoticeKind::Info,
                text: format!("{turns} left out: a resize redraws the last {DRAWN_TURNS} turns"),
            };
            lines.extend(notice.lines(width, self.view.theme));
        }
        lines.extend(
            self.transcript.cells[start..]
                .iter()
                .flat_map(|cell| cell.lines(width, self.view.theme)),
        );
        if let Some(crate::live::LiveCell::Answer { stream, .. }) =
            self.transcript.live.cells.first_mut()
        {
            lines.extend(stream.recommit(width, self.view.theme));
        }
        self.view.pending_lines.clear();
        lines
    }

    pub fn should_quit(&self) -> bool {
        self.quit
    }

    /// The thread to resume later, once one has started.
    pub fn thread_id(&self) -> Option<&str> {
        self.turn.last_thread_id.as_deref()
    }

    /// Thread-cumulative token usage.
    pub fn usage(&self) -> Usage {
        self.turn.usage
    }

    pub(crate) fn is_running(&self) -> bool {
        self.turn.turn_started.is_some()
    }

    fn send(&mut self, outgoing: Outgoing) {
        self.outgoing.push(outgoing);
    }

    /// Add a finished cell to the transcript, behind any live cells.
    pub(crate) fn push_cell(&mut self, cell: Cell) {
        self.transcript.live.push_finished(cell);
        self.flush_live(false);
    }

    pub(crate) fn notice(&mut self, kind: NoticeKind, text: String) {
        self.push_cell(Cell::Notice { kind, text });
    }

    pub(crate) fn flush_live(&mut self, force: bool) {
        let flushed =
            self.transcript
                .live
                .flush(usize::from(self.view.width), self.view.theme, force);
        if !self.view.alt_screen {
            self.view.pending_lines.extend(flushed.lines);
        }
        let new_turn = flushed
            .cells
            .iter()
            .any(|cell| matches!(cell, Cell::User { .. }));
        self.transcript.cells.extend(flushed.cells);
        if new_turn {
            self.forget_old_parses();
        }
    }

    /// Drop the kept parses of cells older than the turns a resize
    /// redraws, so their memory stays bounded however long the session.
    fn forget_old_parses(&mut self) {
        let (start, _) = crate::pager::transcript_start(&self.transcript.cells);
        for cell in &mut self.transcript.cells[self.transcript.parses_kept_from.min(start)..start] {
            cell.forget_parse();
        }
        self.transcript.parses_kept_from = self.transcript.parses_kept_from.max(start);
    }

    /// Send `text` as a new turn now.
    pub(crate) fn start_turn(&mut self, text: String) {
        let session_id = self
            .turn
            .session
            .as_ref()
            .map(|s| s.thread_id.clone())
            .unwrap_or_default();
        let epoch_secs = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        if let Err(error) = self.input.history.record(&text, &session_id, epoch_secs) {
            self.notice(
                NoticeKind::Warning,
                format!(
                    "cannot save the prompt history: {error}; check that `$DUET_HOME` is writable"
                ),
            );
        }
        let items = self.turn_inputs(&text);
        self.push_cell(Cell::User { text });
        self.send(Outgoing::Op(Op::UserTurn(UserTurn {
            items,
            output_schema: None,
        })));
        self.turn.turn_started = Some(self.now);
        self.next_tick = Some(self.now + Duration::from_secs(1));
    }

    /// The turn is over: everything live becomes history, and queued
    /// messages go out as the next turn (or, after an interrupt, back to the
    /// composer for editing).
    pub(crate) fn end_turn(&mut self, summary: Option<String>, interrupted: bool) {
        self.transcript.live.close_groups();
        self.flush_live(true);
        let started = self.turn.turn_started.take();
        self.next_tick = None;
        self.hint = None;
        if let (Some(label), Some(started)) = (summary, started) {
            let took = crate::history::command::format_duration(self.now - started);
            self.push_cell(Cell::TurnEnd {
                text: format!("{label} {took}"),
            });
        }
        if self.turn.queued.is_empty() {
            return;
        }
        let queued = std::mem::take(&mut self.turn.queued).join("\n\n");
        if interrupted {
            let draft = self.input.composer.take();
            let text = if draft.is_empty() {
                queued
            } else {
                format!("{queued}\n\n{draft}")
            };
            self.input.composer.set_text(&text);
        } else {
            self.start_turn(queued);
        }
    }
}
