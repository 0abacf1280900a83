//! `duet exec`: the headless front end.
//!
//! It takes what the command line resolved ([`ExecOptions`]: the config and
//! the run's own settings), reads the prompt, starts a session, submits one turn and renders the session's events
//! until the turn ends: as a human transcript on stderr with the final answer
//! on stdout, or as JSON lines on stdout (`--json`, documented in
//! docs/exec-json.md). It is not interactive: approval requests are denied.
//!
//! The renderers ([`HumanRenderer`], [`JsonRenderer`]) are pure: an event in,
//! text out. All IO lives in `run.rs`. This crate reaches core only through
//! `duet_core::spawn_session`, its handle, and
//! `duet_core::sessions` (to fork a saved session for `exec fork`).

// A front end prints: that is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

#[cfg(test)]
mod fixtures;
mod human;
mod jsonl;
mod options;
mod prompt;
mod run;
mod turn;

pub use human::{HumanOptions, HumanRenderer};
pub use jsonl::JsonRenderer;
pub use options::{ColorChoice, ExecMode, ExecOptions};
pub use prompt::PromptSource;
pub use run::{Outcome, run};
