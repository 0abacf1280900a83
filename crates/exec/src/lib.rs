//! `duet exec`: the headless front end.
//!
//! It parses the `exec` flags ([`ExecCli`]), resolves them into a config and a
//! prompt, starts a session, submits one turn and renders the session's events
//! until the turn ends: as a human transcript on stderr with the final answer
//! on stdout, or as JSON lines on stdout (`--json`, documented in
//! docs/exec-json.md). It is not interactive: approval requests are denied.
//!
//! The renderers ([`HumanRenderer`], [`JsonRenderer`]) are pure: an event in,
//! text out. All IO lives in `run.rs`. This crate reaches core only through
//! `duet_core::spawn_session`, its handle, config loading, and
//! `duet_core::sessions` (to fork a saved session for `exec fork`).

// A front end prints: that is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod cli;
#[cfg(test)]
mod fixtures;
mod human;
mod jsonl;
mod prompt;
mod run;
mod turn;

pub use cli::{ColorChoice, ExecCli, ExecCommand, ForkArgs, ResumeArgs, SandboxArg};
pub use human::{HumanOptions, HumanRenderer};
pub use jsonl::JsonRenderer;
pub use prompt::PromptSource;
pub use run::{Outcome, run};
