//! The parts of the app's state, each owned by one field of `App`: what
//! the terminal shows, the transcript, the session and its turns, and the
//! composer with its modes. Plain data; what changes them is in the other
//! `app/` files.

use super::Overlay;
use crate::approval::Modal;
use crate::attachments::Attachment;
use crate::composer::Composer;
use crate::history::Cell;
use crate::keymap::Keymap;
use crate::live::Live;
use crate::prompt_history::PromptHistory;
use crate::reverse_search::ReverseSearch;
use crate::theme::Theme;
use crate::vim::Vim;
use duet_protocol::{TodoItem, Usage};
use ratatui::text::Line;
use std::collections::{HashMap, VecDeque};
use std::path::PathBuf;
use tokio::time::Instant;

/// The terminal and what is drawn on it.
#[derive(Debug)]
pub(crate) struct View {
    pub theme: Theme,
    /// Full-screen mode: the app draws the transcript itself.
    pub alt_screen: bool,
    pub version: String,
    pub width: u16,
    pub height: u16,
    /// Transcript rows scrolled up from the bottom (alt-screen mode).
    pub scroll_back: usize,
    /// The whole transcript must be drawn again (after a resize).
    pub redraw_all: bool,
    /// The whole screen must be painted again (after the external editor).
    pub repaint: bool,
    /// The screen height before the first resize not yet applied to an
    /// open pager.
    pub pager_resized_from: Option<u16>,
    /// Lines for the scrollback, drained by the loop (inline mode only).
    pub pending_lines: Vec<Line<'static>>,
    /// Whether the terminal has focus (focus events), for notifications.
    pub focused: bool,
    /// A picker or the pager, over the composer or the screen.
    pub overlay: Option<Overlay>,
    /// The last `/mcp` asked for every tool (`/mcp verbose`).
    pub mcp_verbose: bool,
}

impl View {
    pub fn new(theme: Theme, alt_screen: bool, version: String, size: (u16, u16)) -> View {
        View {
            theme,
            alt_screen,
            version,
            width: size.0,
            height: size.1,
            scroll_back: 0,
            redraw_all: false,
            repaint: false,
            pager_resized_from: None,
            pending_lines: Vec::new(),
            focused: true,
            overlay: None,
            mcp_verbose: false,
        }
    }
}

/// What has been shown: the finished cells and the live ones.
#[derive(Debug, Default)]
pub(crate) struct TranscriptView {
    /// The finished transcript, for redraws at another width.
    pub cells: Vec<Cell>,
    /// Cells before this index have dropped their kept parses: they are
    /// older than the last [`super::DRAWN_TURNS`] turns a resize redraws.
    pub parses_kept_from: usize,
    pub live: Live,
    /// The plan shown last, so an unchanged update is not shown again.
    pub last_plan: Option<Vec<TodoItem>>,
    /// When each running command started, for its duration.
    pub command_started: HashMap<String, Instant>,
    /// Running MCP calls (`server.tool`) by item, for their progress.
    pub mcp_calls: HashMap<String, String>,
    /// A stored thread to draw when its session starts.
    pub pending_transcript: Option<Box<duet_core::sessions::Transcript>>,
    /// The last error shown, so `TurnFailed` does not repeat it.
    pub last_error: Option<String>,
}

/// The session and its turns, as the front end follows them.
#[derive(Debug, Default)]
pub(crate) struct TurnView {
    pub session: Option<super::SessionInfo>,
    /// The thread to name in the resume hint (the last one started).
    pub last_thread_id: Option<String>,
    /// The thread's name, for the status line.
    pub session_name: Option<String>,
    pub usage: Usage,
    /// What the thread's requests cost so far; `None` without a price.
    pub cost_usd: Option<f64>,
    /// The hand-off open in the editor, as core sent it.
    pub compaction_under_review: Option<String>,
    /// How full the context is (core's last [`duet_protocol::TokenCount`]).
    pub context_tokens: u64,
    /// The window it fills; `None` until core has said.
    pub context_window: Option<u64>,
    /// When the running turn started; `None` when idle.
    pub turn_started: Option<Instant>,
    /// Messages typed while a turn runs, sent together when it ends.
    pub queued: Vec<String>,
    /// Approval requests, the first one shown.
    pub approvals: VecDeque<Modal>,
    /// The first message and `-i` images, until the session has started.
    pub initial_prompt: Option<String>,
    pub initial_images: Vec<PathBuf>,
    /// Every turn this app started, oldest first: the prompt, or `None`
    /// for a `!cmd` (a turn too, for core's rollback count).
    pub turns: Vec<Option<String>>,
    /// The prompt to put back once core confirms a rollback.
    pub pending_rewind: Option<String>,
}

impl TurnView {
    pub fn new(initial_prompt: Option<String>, initial_images: Vec<PathBuf>) -> TurnView {
        TurnView {
            initial_prompt,
            initial_images,
            ..TurnView::default()
        }
    }
}

/// The composer and its modes.
#[derive(Debug, Default)]
pub(crate) struct InputState {
    pub composer: Composer,
    /// The highlighted row of the slash popup.
    pub popup_selected: usize,
    pub history: PromptHistory,
    pub keymap: Keymap,
    /// `Some` when vim mode is on.
    pub vim: Option<Vim>,
    /// Ctrl+R, while it is open.
    pub search: Option<ReverseSearch>,
    pub files: FilePopup,
    /// The rewind list, open, with the index of the chosen prompt.
    pub rewind: Option<usize>,
    /// One Esc was pressed on an empty, idle composer: another opens the
    /// rewind list.
    pub esc_armed: bool,
    pub attachments: Vec<Attachment>,
    /// The external editor has the terminal.
    pub editor_open: bool,
}

impl InputState {
    pub fn new(history: PromptHistory) -> InputState {
        InputState {
            history,
            ..InputState::default()
        }
    }
}

/// The `@` popup: what was last asked, and what came back.
#[derive(Debug, Default)]
pub(crate) struct FilePopup {
    /// The query of the `@word` being typed; `None` when there is none.
    pub query: Option<String>,
    pub matches: Vec<String>,
    /// Whether the walk had finished when `matches` were found.
    pub complete: bool,
    pub selected: usize,
    /// The start of an `@word` whose popup Esc closed.
    pub dismissed: Option<usize>,
}
