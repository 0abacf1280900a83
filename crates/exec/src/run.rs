//! One `duet exec` run: options -> session -> one turn -> exit code.
//!
//! This is the only part of the crate that does IO. Rendering is delegated to
//! the pure renderers; this file decides where their text goes and when the
//! run is over.

use crate::human::{HumanOptions, HumanRenderer};
use crate::jsonl::JsonRenderer;
use crate::options::{ExecMode, ExecOptions};
use crate::prompt::{self, PromptSource};
use crate::turn::{GRACE, Output, Renderer, drive_turn, shut_down};
use anyhow::{Context, bail};
use duet_core::sessions::Sessions;
use duet_core::{ResumeTarget, SessionOptions, spawn_session};
use duet_protocol::Op;
use std::io::{IsTerminal, Read, Write};
use std::path::Path;
use std::process::ExitCode;
use std::time::Instant;

/// How a run ended; each maps to one exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The turn completed: 0.
    Completed,
    /// The turn failed, or the run could not start: 1.
    Failed,
    /// Ctrl+C: 130, as a shell reports a SIGINT death.
    Interrupted,
    /// A budget limit stopped the turn (`--max-budget-usd`,
    /// `--max-turns`, `--max-tokens`): 3. The session can be resumed.
    BudgetStopped,
    /// stdout was closed by its reader: 0, quietly (like `rg | head`).
    BrokenPipe,
}

impl Outcome {
    pub fn exit_code(self) -> u8 {
        match self {
            Outcome::Completed | Outcome::BrokenPipe => 0,
            Outcome::Failed => 1,
            Outcome::Interrupted => 130,
            Outcome::BudgetStopped => 3,
        }
    }
}

/// Run `duet exec` to the end on the current tokio runtime; errors are
/// printed to stderr as `error: …`.
pub async fn run(options: ExecOptions) -> ExitCode {
    match run_inner(options).await {
        Ok(outcome) => ExitCode::from(outcome.exit_code()),
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "error: {error:#}");
            ExitCode::from(Outcome::Failed.exit_code())
        }
    }
}

async fn run_inner(options: ExecOptions) -> anyhow::Result<Outcome> {
    let start = Instant::now();
    let ExecOptions {
        config,
        warnings,
        mode,
        prompt: prompt_argument,
        images,
        json,
        output_last_message,
        output_schema,
        skip_git_repo_check,
        color,
    } = options;
    for warning in &warnings {
        let _ = writeln!(std::io::stderr(), "warning: {warning}");
    }
    prompt::check_git_repo(&config.cwd, skip_git_repo_check)?;
    let output_schema = output_schema
        .as_deref()
        .map(prompt::read_output_schema)
        .transpose()?;
    let images = prompt::resolve_images(&images)?;
    if let Some(path) = &output_last_message {
        check_last_message_file(path)?;
    }
    let prompt_text = read_prompt(prompt_argument.as_deref())?;
    let resume = match mode {
        ExecMode::New => None,
        ExecMode::Resume(target) => Some(target),
        ExecMode::Fork { session, at } => {
            if config.ephemeral {
                bail!(
                    "cannot fork with `--ephemeral`: an ephemeral session reads and writes no saved sessions"
                );
            }
            // The fork is made only once the prompt is known, so a run that
            // fails before it leaves no stray thread behind.
            let fork = Sessions::open(&config)
                .and_then(|sessions| sessions.fork(&session, at))
                .context("cannot fork the session")?;
            Some(ResumeTarget::Thread(fork.id))
        }
    };

    let color = color.use_color(
        std::io::stderr().is_terminal(),
        std::env::var("NO_COLOR").ok().as_deref(),
    );
    let mut renderer = if json {
        Renderer::Json(JsonRenderer::new())
    } else {
        Renderer::Human(Box::new(HumanRenderer::new(HumanOptions {
            color,
            prompt: prompt_text.clone(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
        })))
    };

    let originator = std::env::var("CODEX_INTERNAL_ORIGINATOR_OVERRIDE")
        .unwrap_or_else(|_| "duet_exec".to_owned());
    let mut session = spawn_session(
        config,
        SessionOptions {
            originator,
            source: "exec".to_owned(),
            resume,
            // exec never asks: a compaction's hand-off is used as written.
            review_compactions: false,
        },
    )
    .context("cannot start the session")?;
    session
        .submit(Op::UserTurn(prompt::user_turn(
            prompt_text,
            images,
            output_schema,
        )))
        .context("the session ended before the turn was submitted")?;

    let mut output = Output {
        stdout: &mut std::io::stdout(),
        stderr: &mut std::io::stderr(),
    };
    let ended = drive_turn(&mut session, &mut renderer, &mut output, start).await?;
    if ended.outcome != Outcome::BrokenPipe {
        if let Some(path) = &output_last_message {
            write_last_message(path, ended.last_message.as_deref())?;
        }
        if let (Renderer::Human(_), Some(message)) = (&renderer, &ended.last_message) {
            let mut stdout = std::io::stdout().lock();
            // On a terminal the answer is shown, its control characters
            // escaped; to a pipe or a file it goes byte for byte.
            let message = if stdout.is_terminal() {
                duet_protocol::display::visible_text(message)
            } else {
                std::borrow::Cow::Borrowed(message.as_str())
            };
            // A closed stdout at this point changes nothing for the user.
            let _ = writeln!(stdout, "{message}").and_then(|()| stdout.flush());
        }
    }
    if !ended.hard_exit {
        shut_down(&mut session, GRACE, &mut std::io::stderr()).await;
    }
    Ok(ended.outcome)
}

/// The prompt from the argument and stdin, with the reference's notices.
fn read_prompt(argument: Option<&str>) -> anyhow::Result<String> {
    let stdin = std::io::stdin();
    let source = PromptSource::decide(argument, stdin.is_terminal())?;
    let mut piped = String::new();
    if let Some(notice) = source.stdin_notice() {
        let _ = writeln!(std::io::stderr(), "{notice}");
        stdin
            .lock()
            .read_to_string(&mut piped)
            .context("cannot read the prompt from stdin")?;
    }
    source.assemble(&piped)
}

/// Fail before the model is called when `-o FILE` could not be written at
/// the end: a missing directory, no permission. A file that did not exist is
/// not left behind.
fn check_last_message_file(path: &Path) -> anyhow::Result<()> {
    let existed = path.symlink_metadata().is_ok();
    std::fs::OpenOptions::new()
        .append(true)
        .create(true)
        .open(path)
        .with_context(|| format!("cannot write the last message to `{}`", path.display()))?;
    if !existed {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// `-o`: the message without a trailing newline; empty when there is none.
fn write_last_message(path: &Path, message: Option<&str>) -> anyhow::Result<()> {
    std::fs::write(path, message.unwrap_or_default())
        .with_context(|| format!("cannot write the last message to `{}`", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn exit_codes() {
        let codes: Vec<u8> = [
            Outcome::Completed,
            Outcome::Failed,
            Outcome::Interrupted,
            Outcome::BrokenPipe,
            Outcome::BudgetStopped,
        ]
        .into_iter()
        .map(Outcome::exit_code)
        .collect();
        assert_eq!(codes, [0, 1, 130, 0, 3]);
    }

    #[test]
    fn last_message_file_has_no_trailing_newline_and_is_empty_without_one() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("last.txt");
        write_last_message(&path, Some("done")).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "done");
        write_last_message(&path, None).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "");
    }

    /// Issue 16, item 19: an unwritable `-o` failed only after the model had
    /// been paid for; it is checked first, and the check leaves nothing.
    #[test]
    fn the_last_message_file_is_checked_before_the_turn_and_not_left_behind() {
        let temp = tempfile::tempdir().unwrap();
        let missing_dir = temp.path().join("no/such/dir/last.txt");
        assert_eq!(
            check_last_message_file(&missing_dir)
                .unwrap_err()
                .to_string(),
            format!(
                "cannot write the last message to `{}`",
                missing_dir.display()
            )
        );
        let fresh = temp.path().join("last.txt");
        check_last_message_file(&fresh).unwrap();
        assert!(!fresh.exists());
        std::fs::write(&fresh, "kept").unwrap();
        check_last_message_file(&fresh).unwrap();
        assert_eq!(std::fs::read_to_string(&fresh).unwrap(), "kept");
    }

    #[test]
    fn unwritable_last_message_file_names_the_path() {
        let temp = tempfile::tempdir().unwrap();
        let path = temp.path().join("no/such/dir/last.txt");
        let error = write_last_message(&path, Some("x")).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!("cannot write the last message to `{}`", path.display())
        );
    }
}
