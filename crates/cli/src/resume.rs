//! `duet resume` and `duet fork`: the interactive entry points to stored
//! sessions. Both open the TUI on the thread (a fork is made first), with
//! its transcript drawn into the scrollback.
//!
//! The session is found before anything else (no runtime, no config
//! file), so a wrong name fails fast. `duet fork` outside a terminal
//! makes the fork and prints its id (for scripts) instead of opening the
//! TUI.

use crate::args::TuiArgs;
use crate::sessions::{SessionChoice, continue_hint, current_dir, open, report};
use clap::Args;
use duet_core::sessions::{Sessions, ThreadRecord};
use std::io::Write;
use std::process::ExitCode;

/// `duet resume [SESSION | --last] [FLAGS]`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ResumeCli {
    #[command(flatten)]
    pub choice: SessionChoice,
    /// The interactive UI's flags, as `duet` takes them.
    #[command(flatten)]
    pub tui: TuiArgs,
}

/// `duet fork [SESSION | --last] [--at TURN] [FLAGS]`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ForkCli {
    #[command(flatten)]
    pub choice: SessionChoice,
    /// Keep the history up to and including this turn (1 is the first);
    /// default: all of it.
    #[arg(long = "at", value_name = "TURN")]
    pub at: Option<u32>,
    #[command(flatten)]
    pub tui: TuiArgs,
}

/// The thread to open in the TUI, or the exit code of a failure.
pub fn resume_target(choice: &SessionChoice) -> Result<String, ExitCode> {
    let mut found = None;
    let code = report((|| {
        let sessions = open()?;
        found = Some(chosen(&sessions, choice)?.id);
        Ok(())
    })());
    found.ok_or(code)
}

/// Make the fork; the id of the thread to open in the TUI, or `Err` with
/// the exit code when there is nothing to open (an error, or no terminal:
/// the fork's id was printed).
pub fn fork_target(fork: &ForkCli) -> Result<String, ExitCode> {
    let interactive = duet_tui::check_terminal().is_ok();
    let mut found = None;
    let code = report((|| {
        let sessions = open()?;
        let parent = chosen(&sessions, &fork.choice)?;
        let forked = sessions.fork(&parent.id, fork.at)?;
        if interactive {
            found = Some(forked.id);
            return Ok(());
        }
        let cut = match fork.at {
            Some(turn) => format!("up to turn {turn}"),
            None => "whole".to_string(),
        };
        let mut out = std::io::stdout().lock();
        writeln!(out, "{}", forked.id)?;
        out.flush()?;
        eprintln!(
            "forked session `{}` ({cut}) into `{}`; run `duet resume {}` in a terminal to continue it, or headless:\n  {}",
            parent.id,
            forked.id,
            forked.id,
            continue_hint(&forked)
        );
        Ok(())
    })());
    found.ok_or(code)
}

fn chosen(sessions: &Sessions, choice: &SessionChoice) -> anyhow::Result<ThreadRecord> {
    Ok(match &choice.session {
        Some(query) if !choice.last => sessions.find(query)?,
        _ => sessions.last(&current_dir()?)?,
    })
}

#[cfg(test)]
mod tests {
    use crate::sessions::SessionsCommand;
    use crate::{Cli, Command};
    use clap::Parser;
    use pretty_assertions::assert_eq;

    fn parse(argv: &[&str]) -> Result<Option<Command>, clap::error::ErrorKind> {
        Cli::try_parse_from(std::iter::once("duet").chain(argv.iter().copied()))
            .map(|cli| cli.command)
            .map_err(|error| error.kind())
    }

    #[test]
    fn resume_and_fork_take_a_session_or_last() {
        let got: Vec<String> = [
            &["resume", "deploy-fix"][..],
            &["resume", "--last"],
            &["fork", "--last", "--at", "2"],
            &["fork", "0199a1b2"],
        ]
        .iter()
        .map(|argv| match parse(argv).unwrap() {
            Some(Command::Resume(resume)) => format!("Resume({:?})", resume.choice),
            Some(Command::Fork(fork)) => format!("Fork({:?}, at: {:?})", fork.choice, fork.at),
            other => panic!("not resume or fork: {other:?}"),
        })
        .collect();
        assert_eq!(
            got,
            [
                "Resume(SessionChoice { session: Some(\"deploy-fix\"), last: false })",
                "Resume(SessionChoice { session: None, last: true })",
                "Fork(SessionChoice { session: None, last: true }, at: Some(2))",
                "Fork(SessionChoice { session: Some(\"0199a1b2\"), last: false }, at: None)",
            ]
        );
        assert_eq!(
            [
                parse(&["resume"]).unwrap_err(),
                parse(&["resume", "x", "--last"]).unwrap_err(),
                parse(&["fork", "--at", "0x"]).unwrap_err(),
            ],
            [
                clap::error::ErrorKind::MissingRequiredArgument,
                clap::error::ErrorKind::ArgumentConflict,
                clap::error::ErrorKind::ValueValidation,
            ]
        );
    }

    #[test]
    fn sessions_subcommands_parse() {
        let list = parse(&["sessions", "list", "--all", "--limit", "5", "--json"]).unwrap();
        let Some(Command::Sessions(SessionsCommand::List {
            all,
            archived,
            limit,
            json,
        })) = list
        else {
            panic!("not sessions list: {list:?}")
        };
        assert_eq!((all, archived, limit, json), (true, false, Some(5), true));
        let search = parse(&["sessions", "search", "flaky", "test"]).unwrap();
        assert!(
            matches!(
                &search,
                Some(Command::Sessions(SessionsCommand::Search { query, all: false, limit: 20, json: false }))
                    if query == &["flaky", "test"]
            ),
            "{search:?}"
        );
        assert_eq!(
            [
                parse(&["sessions", "export", "x"]).unwrap_err(),
                parse(&["sessions", "import", "--from", "claude"]).unwrap_err(),
            ],
            [
                clap::error::ErrorKind::MissingRequiredArgument,
                clap::error::ErrorKind::InvalidValue,
            ]
        );
    }
}
