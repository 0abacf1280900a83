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
        .map(|argv| format!("{:?}", parse(argv).unwrap()))
        .collect();
        assert_eq!(
            got,
            [
                "Some(Resume(SessionChoice { session: Some(\"deploy-fix\"), last: false }))",
                "Some(Resume(SessionChoice { session: None, last: true }))",
                "Some(Fork(ForkCli { choice: SessionChoice { session: None, last: true }, at: Some(2) }))",
                "Some(Fork(ForkCli { choice: SessionChoice { session: Some(\"0199a1b2\"), last: false }, at: None }))",
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
