//! duet's interactive terminal front end (`duet` with no subcommand).
//!
//! It is a second front end of the same kind as `duet-exec`: it starts a
//! session with `duet_core::spawn_session`, submits `Op`s and renders the
//! `Event`s. It does not run tools, decide approvals or store sessions.
//!
//! Shape (see docs/tui.md):
//! - [`App`] (`app.rs`): the state machine; `update(Input)` changes state
//!   and collects [`Outgoing`] requests and finished history lines.
//! - `render.rs` / `history.rs`: pure functions from state to lines.
//! - [`Screen`] (`screen.rs`): puts lines on a ratatui backend, inline (the
//!   history goes to the terminal's scrollback) or on the alternate screen.
//! - [`run_loop`] (`event_loop.rs`): `select!` over the input stream and a
//!   tick; tests drive it with a scripted stream and `TestBackend`.
//! - `run.rs`: the IO edge (config, session, terminal modes, the pump
//!   between the session handle and the loop).

mod app;
mod approval;
mod attachments;
mod clipboard;
mod composer;
mod editor;
mod event_loop;
mod file_search;
mod history;
mod keymap;
mod live;
mod overlays;
mod pager;
mod picker;
mod prompt_history;
mod render;
mod resume_picker;
mod reverse_search;
mod run;
mod screen;
mod settings;
mod slash;
mod stored;
mod terminal;
mod theme;
mod vim;
mod wrap;

pub use app::{App, AppOptions, INIT_PROMPT, Input, Outgoing, TerminalRequest};
pub use event_loop::run_loop;
pub use history::reasoning::ReasoningDisplay;
pub use keymap::{Action, Keymap, KeymapError};
pub use resume_picker::{Removal, SessionRow};
pub use run::{TuiExit, TuiOptions, check_terminal, run};
pub use screen::{PurgeScrollback, Screen};
pub use theme::Theme;
