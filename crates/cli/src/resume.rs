//! `duet resume` and `duet fork`: the interactive entry points to stored
//! sessions.
//!
//! The interactive UI is not built yet, so `duet resume` prints the
//! transcript and says how to continue headless, and `duet fork` makes the
//! fork and says the same. Neither needs a runtime or the config file.

use crate::sessions::{SessionChoice, continue_hint, current_dir, open, report, transcript_text};
use clap::Args;
use duet_core::sessions::{Sessions, ThreadRecord};
use std::io::Write;
use std::process::ExitCode;

/// `duet fork [SESSION | --last] [--at TURN]`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ForkCli {
    #[command(flatten)]
    pub choice: SessionChoice,
    /// Keep the history up to and including this turn (1 is the first);
    /// default: all of it.
    #[arg(long = "at", value_name = "TURN")]
    pub at: Option<u32>,
}

pub fn run_resume(choice: SessionChoice) -> ExitCode {
    report((|| {
        let sessions = open()?;
        let thread = chosen(&sessions, &choice)?;
        let transcript = sessions.show(&thread.id)?;
        let mut out = std::io::stdout().lock();
        out.write_all(transcript_text(&transcript).as_bytes())?;
        out.flush()?;
        eprintln!(
            "\nthe interactive UI is not built yet; to continue this session headless, run:\n  {}",
            continue_hint(&thread)
        );
        Ok(())
    })())
}

pub fn run_fork(fork: ForkCli) -> ExitCode {
    report((|| {
        let sessions = open()?;
        let parent = chosen(&sessions, &fork.choice)?;
        let forked = sessions.fork(&parent.id, fork.at)?;
        let cut = match fork.at {
            Some(turn) => format!("up to turn {turn}"),
            None => "whole".to_string(),
        };
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", forked.id)?;
        out.flush()?;
        eprintln!(
            "forked session `{}` ({cut}) into `{}`; the interactive UI is not built yet, so continue it headless:\n  {}",
            parent.id,
            forked.id,
            continue_hint(&forked)
        );
        Ok(())
    })())
}

fn chosen(sessions: &Sessions, choice: &SessionChoice) -> anyhow::Result<ThreadRecord> {
    Ok(match &choice.session {
        Some(query) if !choice.last => sessions.find(query)?,
        _ => sessions.last(&current_dir()?)?,
    })
}
