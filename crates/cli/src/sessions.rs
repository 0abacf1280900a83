//! `duet sessions …`: list, search, show, rename, archive, unarchive,
//! delete, export and import stored sessions.
//!
//! Synchronous and small on purpose: no async runtime and no config file,
//! only `DUET_HOME` and the session database through
//! `duet_core::sessions::Sessions`, so `duet sessions list` costs a process
//! start and a few indexed queries. Rendering is in `sessions/render.rs`.

mod export;
mod render;

pub(crate) use render::{continue_hint, transcript_text};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use duet_core::sessions::{
    ImportOutcome, ListOptions, SearchOptions, Sessions, codex_sessions_dir,
};
use export::{export_jsonl, export_markdown};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// How many sessions `list` shows without `--limit`.
const DEFAULT_LIST_LIMIT: usize = 50;

/// `duet sessions <COMMAND>`.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum SessionsCommand {
    /// List the sessions of this directory, newest first.
    List {
        /// Every directory's sessions, with a directory column.
        #[arg(long = "all")]
        all: bool,
        /// Archived sessions instead of active ones.
        #[arg(long = "archived")]
        archived: bool,
        /// At most N sessions (default 50; 0 for all).
        #[arg(long = "limit", value_name = "N")]
        limit: Option<usize>,
        /// A JSON array with every field of each session.
        #[arg(long = "json")]
        json: bool,
    },
    /// Full-text search of prompts, agent messages and commands.
    Search {
        #[arg(value_name = "QUERY", required = true, num_args = 1..)]
        query: Vec<String>,
        /// Search every directory's sessions, archived ones too.
        #[arg(long = "all")]
        all: bool,
        /// At most N sessions (default 20).
        #[arg(long = "limit", value_name = "N", default_value_t = 20)]
        limit: usize,
        #[arg(long = "json")]
        json: bool,
    },
    /// Print a session's transcript.
    Show {
        session: String,
    },
    /// Name a session; names are unique and work wherever an id does.
    Rename {
        session: String,
        name: String,
    },
    /// Hide a session from `--last`, lists and searches (it stays resumable).
    Archive {
        session: String,
    },
    Unarchive {
        session: String,
    },
    /// Delete a session and everything stored for it. Asks nothing.
    Delete {
        session: String,
    },
    /// What a session's model requests cost, one row each (tokens, cache,
    /// price), and the total. Without SESSION: this directory's newest.
    Cost {
        session: Option<String>,
        /// This directory's newest session (the same as no SESSION).
        #[arg(long = "last", conflicts_with = "session")]
        last: bool,
        #[arg(long = "json")]
        json: bool,
    },
    /// Write a session as JSONL (the exact model items) or Markdown.
    Export {
        session: String,
        #[arg(long = "format", value_name = "FORMAT")]
        format: ExportFormat,
        /// Write to FILE instead of stdout.
        #[arg(short = 'o', long = "output", value_name = "FILE")]
        output: Option<PathBuf>,
    },
    /// Import sessions from another agent's files.
    Import {
        /// Where the sessions come from.
        #[arg(long = "from", value_name = "AGENT")]
        from: ImportSource,
        /// The directory to read (default: `$CODEX_HOME/sessions`, else
        /// `~/.codex/sessions`).
        #[arg(value_name = "DIR")]
        dir: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExportFormat {
    Jsonl,
    Markdown,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ImportSource {
    Codex,
}

/// `--last` or a session, as `duet resume` and `duet fork` take them.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct SessionChoice {
    /// Session id, unique id prefix (4+ characters), or name.
    #[arg(value_name = "SESSION", required_unless_present = "last")]
    pub session: Option<String>,
    /// The newest session of this directory.
    #[arg(long = "last", conflicts_with = "session")]
    pub last: bool,
}

/// Runs a `duet sessions` command; errors go to stderr as `error: …`.
pub fn run(command: SessionsCommand) -> ExitCode {
    report(run_inner(command))
}

/// Exit code 0, or 1 with the error chain printed.
pub(crate) fn report(result: anyhow::Result<()>) -> ExitCode {
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            if is_broken_pipe(&error) {
                return ExitCode::SUCCESS;
            }
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

fn is_broken_pipe(error: &anyhow::Error) -> bool {
    error
        .chain()
        .filter_map(|cause| cause.downcast_ref::<std::io::Error>())
        .any(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
}

fn run_inner(command: SessionsCommand) -> anyhow::Result<()> {
    let sessions = open()?;
    let mut out = std::io::stdout().lock();
    match command {
        SessionsCommand::List {
            all,
            archived,
            limit,
            json,
        } => {
            let limit = limit.unwrap_or(DEFAULT_LIST_LIMIT);
            let cwd = if all { None } else { Some(current_dir()?) };
            let options = ListOptions {
                cwd: cwd.clone(),
                archived,
                // One more than shown, to know whether there are more.
                limit: (limit > 0).then_some(limit + 1),
            };
            let mut listed = sessions.list(&options)?;
            let more = limit > 0 && listed.len() > limit;
            listed.truncate(if limit > 0 { limit } else { listed.len() });
            if json {
                writeln!(out, "{}", render::list_json(&listed))?;
            } else if listed.is_empty() {
                let which = if archived {
                    "archived sessions"
                } else {
                    "sessions"
                };
                match &cwd {
                    Some(cwd) => eprintln!(
                        "no {which} in `{}`; `duet sessions list --all` lists every directory's",
                        cwd.display()
                    ),
                    None => eprintln!("no {which} yet; start one with `duet exec \"…\"`"),
                }
            } else {
                out.write_all(render::list_table(&listed, all, now_ms()).as_bytes())?;
                if more {
                    eprintln!("showing the newest {limit}; `--limit 0` lists them all");
                }
            }
        }
        SessionsCommand::Search {
            query,
            all,
            limit,
            json,
        } => {
            let query = query.join(" ");
            let options = SearchOptions {
                cwd: if all { None } else { Some(current_dir()?) },
                include_archived: all,
                limit,
                ..SearchOptions::default()
            };
            let hits = sessions.search(&query, &options)?;
            if json {
                writeln!(out, "{}", render::search_json(&hits))?;
            } else if hits.is_empty() {
                let scope = if all {
                    ""
                } else {
                    " in this directory; `--all` searches every directory"
                };
                eprintln!("no session matches `{query}`{scope}");
            } else {
                out.write_all(render::search_text(&hits, all, now_ms()).as_bytes())?;
            }
        }
        SessionsCommand::Show { session } => {
            let transcript = sessions.show_for_display(&session)?;
            out.write_all(transcript_text(&transcript).as_bytes())?;
        }
        SessionsCommand::Rename { session, name } => {
            let thread = sessions.rename(&session, &name)?;
            writeln!(out, "renamed session `{}` to `{name}`", thread.id)?;
        }
        SessionsCommand::Archive { session } => {
            let thread = sessions.archive(&session)?;
            writeln!(
                out,
                "archived session `{}` ({}); `duet sessions unarchive {}` brings it back",
                thread.id,
                render::label(&thread),
                thread.id
            )?;
        }
        SessionsCommand::Unarchive { session } => {
            let thread = sessions.unarchive(&session)?;
            writeln!(
                out,
                "unarchived session `{}` ({})",
                thread.id,
                render::label(&thread)
            )?;
        }
        SessionsCommand::Delete { session } => {
            let thread = sessions.delete(&session)?;
            writeln!(
                out,
                "deleted session `{}` ({}) and everything stored for it",
                thread.id,
                render::label(&thread)
            )?;
        }
        SessionsCommand::Export {
            session,
            format,
            output,
        } => {
            let transcript = sessions.show(&session)?;
            let text = match format {
                ExportFormat::Jsonl => export_jsonl(&transcript),
                ExportFormat::Markdown => export_markdown(&transcript),
            };
            match output {
                Some(path) => std::fs::write(&path, text)
                    .with_context(|| format!("cannot write the export to `{}`", path.display()))?,
                None => out.write_all(text.as_bytes())?,
            }
        }
        SessionsCommand::Cost { session, json, .. } => {
            let (thread, requests, total) = match session {
                Some(session) => sessions.cost(&session)?,
                None => sessions.last_cost(&current_dir()?)?,
            };
            if json {
                writeln!(
                    out,
                    "{}",
                    crate::usage::cost_json(&thread.id, &requests, &total)
                )?;
            } else {
                out.write_all(crate::usage::cost_table(&thread.id, &requests, &total).as_bytes())?;
            }
        }
        SessionsCommand::Import { from, dir } => {
            let ImportSource::Codex = from;
            let dir = match dir {
                Some(dir) => dir,
                None => codex_sessions_dir(&|name| std::env::var(name).ok()).context(
                    "cannot find Codex's sessions: neither CODEX_HOME nor HOME is set; give the directory: `duet sessions import --from codex DIR`",
                )?,
            };
            import_codex(&sessions, &dir, &mut out)?;
        }
    }
    out.flush()?;
    Ok(())
}

fn import_codex(sessions: &Sessions, dir: &Path, out: &mut impl Write) -> anyhow::Result<()> {
    let report = sessions.import_codex(dir)?;
    for warning in &report.warnings {
        eprintln!("warning: {warning}");
    }
    let (mut imported, mut skipped) = (0, 0);
    for rollout in &report.rollouts {
        match &rollout.outcome {
            ImportOutcome::Imported {
                thread,
                turns,
                items,
            } => {
                imported += 1;
                for warning in &rollout.warnings {
                    eprintln!("warning: {warning}");
                }
                writeln!(
                    out,
                    "imported `{}` as session `{}` ({}; {turns} turns, {items} items)",
                    rollout.file.display(),
                    thread.id,
                    render::label(thread),
                )?;
            }
            ImportOutcome::Skipped { reason } => {
                skipped += 1;
                writeln!(out, "skipped `{}`: {reason}", rollout.file.display())?;
            }
        }
    }
    if report.rollouts.is_empty() {
        bail!(
            "no Codex rollout files (`rollout-*.jsonl`) under `{}`; give the directory that holds them: `duet sessions import --from codex DIR`",
            dir.display()
        );
    }
    writeln!(out, "{imported} imported, {skipped} skipped")?;
    Ok(())
}

/// The session database of `DUET_HOME` (no config file is read). Nothing
/// is created until something is written: with no database, lists are
/// empty and sessions are not found.
pub(crate) fn open() -> anyhow::Result<Sessions> {
    let home = duet_core::config::duet_home(&|name| std::env::var(name).ok())?;
    Ok(Sessions::open_home_existing(&home)?)
}

/// A time as RFC 3339 (UTC).
pub(crate) fn rfc3339(ms: i64) -> String {
    render::rfc3339(ms)
}

/// The current directory as sessions record it (canonical).
pub(crate) fn current_dir() -> anyhow::Result<PathBuf> {
    let cwd = std::env::current_dir()
        .context("cannot read the current directory; `cd` into an existing one")?;
    Ok(cwd.canonicalize().unwrap_or(cwd))
}

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}
