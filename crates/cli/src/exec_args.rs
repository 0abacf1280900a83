//! The flags of `duet exec`, as clap parses them.
//!
//! This is only the shape of the command line: `lib.rs` resolves the
//! configuration ([`crate::settings::resolve`]) and hands `duet-exec` a
//! plain [`duet_exec::ExecOptions`]. The flag set follows the reference's
//! `codex exec`, including what `@openai/codex-sdk` passes, so the SDK can
//! drive `duet` unchanged.

use crate::settings::SessionArgs;
use clap::{Args, Subcommand, ValueEnum};
use duet_core::ResumeTarget;
use duet_exec::{ColorChoice, ExecMode};
use std::path::PathBuf;

/// `duet exec [OPTIONS] [PROMPT]`: run one turn without a UI.
///
/// Every option may come after `resume` or `fork` too (`duet exec resume
/// ID --json -o F -m M "…"`), as the reference accepts and wrappers rely
/// on: the exec options are global, the session flags are taken at each
/// level and merged ([`SessionArgs::then`]).
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ExecCli {
    /// The instructions; read from stdin when absent or `-`. With both, piped
    /// stdin is appended as a `<stdin>` block.
    #[arg(value_name = "PROMPT")]
    pub prompt: Option<String>,

    #[command(flatten)]
    pub flags: SessionArgs,

    /// Print events as JSON lines on stdout (the schema is in docs/exec-json.md).
    #[arg(
        id = "exec-json",
        long = "json",
        alias = "experimental-json",
        global = true
    )]
    pub json: bool,

    /// Write the final agent message to FILE (empty when the turn fails).
    #[arg(
        id = "exec-output-last-message",
        short = 'o',
        long = "output-last-message",
        value_name = "FILE",
        global = true
    )]
    pub output_last_message: Option<PathBuf>,

    /// JSON Schema file the final answer must follow.
    #[arg(
        id = "exec-output-schema",
        long = "output-schema",
        value_name = "FILE",
        global = true
    )]
    pub output_schema: Option<PathBuf>,

    /// Run even when the working directory is not inside a git repository.
    #[arg(
        id = "exec-skip-git-repo-check",
        long = "skip-git-repo-check",
        global = true
    )]
    pub skip_git_repo_check: bool,

    /// When to colour the human transcript.
    #[arg(
        id = "exec-color",
        long = "color",
        value_name = "WHEN",
        default_value = "auto",
        global = true
    )]
    pub color: ColorArg,

    /// Accepted for `@openai/codex-sdk` compatibility and ignored.
    #[arg(
        id = "exec-thread-source",
        long = "thread-source",
        value_name = "SOURCE",
        hide = true,
        global = true
    )]
    pub thread_source: Option<String>,

    /// Accepted for `@openai/codex-sdk` compatibility and ignored.
    #[arg(
        id = "exec-cyber-access-program",
        long = "cyber-access-program",
        value_name = "PROGRAM",
        hide = true,
        global = true
    )]
    pub cyber_access_program: Option<String>,

    #[command(subcommand)]
    pub command: Option<ExecCommand>,
}

/// Subcommands of `duet exec`.
#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum ExecCommand {
    /// Continue a saved session headless: the model sees its whole history.
    Resume(ResumeArgs),
    /// Branch a new session from a saved one and continue it headless: the
    /// model sees the whole history of the original, which is left as it was.
    Fork(ForkArgs),
}

/// `duet exec fork SESSION [PROMPT]`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ForkArgs {
    /// Session id, unique id prefix, or name.
    #[arg(value_name = "SESSION")]
    pub session: String,

    /// The instructions; read from stdin when absent or `-`.
    #[arg(value_name = "PROMPT")]
    pub prompt: Option<String>,

    /// Keep the history up to and including this turn (1 is the first);
    /// default: all of it.
    #[arg(long = "at", value_name = "TURN")]
    pub at: Option<u32>,

    #[command(flatten)]
    pub flags: SessionArgs,
}

/// `duet exec resume [SESSION] [PROMPT]`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ResumeArgs {
    /// Session id, unique id prefix, or name. With `--last`, this is the prompt.
    #[arg(value_name = "SESSION")]
    pub session: Option<String>,

    /// The instructions; read from stdin when absent or `-`.
    #[arg(value_name = "PROMPT")]
    pub prompt: Option<String>,

    /// Resume the newest session of the working directory.
    #[arg(long = "last")]
    pub last: bool,

    #[command(flatten)]
    pub flags: SessionArgs,
}

impl ResumeArgs {
    /// Which session, and the prompt given on the command line (if any).
    pub fn target_and_prompt(&self) -> Result<(ResumeTarget, Option<String>), String> {
        match (self.last, self.session.clone(), self.prompt.clone()) {
            (true, Some(_), Some(_)) => Err(
                "with `--last`, give at most one argument (the prompt), not a session and a prompt"
                    .to_string(),
            ),
            (true, first, second) => Ok((ResumeTarget::Last, first.or(second))),
            (false, Some(session), prompt) => Ok((ResumeTarget::Thread(session), prompt)),
            (false, None, _) => Err(
                "name the session to resume (an id, a unique id prefix or a name), or pass `--last`"
                    .to_string(),
            ),
        }
    }
}

impl ExecCli {
    /// The session flags given before `exec` (`before`), after it and after
    /// `resume`/`fork`, merged in that order; which session the turn runs
    /// in; and the prompt argument.
    pub fn session(
        &self,
        before: SessionArgs,
    ) -> Result<(SessionArgs, ExecMode, Option<String>), String> {
        let flags = before.then(self.flags.clone());
        Ok(match &self.command {
            None => (flags, ExecMode::New, self.prompt.clone()),
            Some(ExecCommand::Resume(args)) => {
                let (target, prompt) = args.target_and_prompt()?;
                (
                    flags.then(args.flags.clone()),
                    ExecMode::Resume(target),
                    prompt,
                )
            }
            Some(ExecCommand::Fork(args)) => (
                flags.then(args.flags.clone()),
                ExecMode::Fork {
                    session: args.session.clone(),
                    at: args.at,
                },
                args.prompt.clone(),
            ),
        })
    }
}

/// `--color`: the clap face of [`ColorChoice`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorArg {
    Always,
    Never,
    #[default]
    Auto,
}

impl From<ColorArg> for ColorChoice {
    fn from(arg: ColorArg) -> Self {
        match arg {
            ColorArg::Always => ColorChoice::Always,
            ColorArg::Never => ColorChoice::Never,
            ColorArg::Auto => ColorChoice::Auto,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::{ConfigArgs, SandboxArg};
    use clap::Parser;
    use pretty_assertions::assert_eq;

    #[derive(Debug, Parser)]
    #[command(name = "exec")]
    struct Wrapper {
        #[command(flatten)]
        exec: ExecCli,
    }

    /// What a parse means: the exec options, the session flags of every
    /// level merged, which session, and the prompt.
    #[derive(Debug, Clone, PartialEq, Eq)]
    struct Parsed {
        json: bool,
        output_last_message: Option<PathBuf>,
        output_schema: Option<PathBuf>,
        skip_git_repo_check: bool,
        color: ColorArg,
        thread_source: Option<String>,
        cyber_access_program: Option<String>,
        flags: SessionArgs,
        mode: ExecMode,
        prompt: Option<String>,
    }

    fn parse(argv: &[&str]) -> Parsed {
        let exec = Wrapper::try_parse_from(std::iter::once("exec").chain(argv.iter().copied()))
            .expect("argv parses")
            .exec;
        let (flags, mode, prompt) = exec.session(SessionArgs::default()).expect("a session");
        Parsed {
            json: exec.json,
            output_last_message: exec.output_last_message,
            output_schema: exec.output_schema,
            skip_git_repo_check: exec.skip_git_repo_check,
            color: exec.color,
            thread_source: exec.thread_source,
            cyber_access_program: exec.cyber_access_program,
            flags,
            mode,
            prompt,
        }
    }

    fn defaults() -> Parsed {
        Parsed {
            json: false,
            output_last_message: None,
            output_schema: None,
            skip_git_repo_check: false,
            color: ColorArg::Auto,
            thread_source: None,
            cyber_access_program: None,
            flags: SessionArgs::default(),
            mode: ExecMode::New,
            prompt: None,
        }
    }

    #[test]
    fn the_sdk_argv_parses() {
        // The order `@openai/codex-sdk` uses (codex-behavior.md §13).
        let cli = parse(&[
            "--experimental-json",
            "--config",
            "model_providers.mock.name=\"mock\"",
            "--config",
            "openai_base_url=\"http://127.0.0.1:9/v1\"",
            "--model",
            "gpt-5.5",
            "--thread-source",
            "sdk",
            "--sandbox",
            "workspace-write",
            "--cd",
            "/repo",
            "--add-dir",
            "/extra",
            "--skip-git-repo-check",
            "--output-schema",
            "/tmp/codex-output-schema-1/schema.json",
            "--cyber-access-program",
            "p",
            "--config",
            "model_reasoning_effort=\"high\"",
            "--config",
            "approval_policy=\"never\"",
            "--image",
            "/img/a.png",
        ]);
        assert_eq!(
            cli,
            Parsed {
                json: true,
                flags: SessionArgs {
                    config: ConfigArgs {
                        config_overrides: vec![
                            "model_providers.mock.name=\"mock\"".into(),
                            "openai_base_url=\"http://127.0.0.1:9/v1\"".into(),
                            "model_reasoning_effort=\"high\"".into(),
                            "approval_policy=\"never\"".into(),
                        ],
                        sandbox: Some(SandboxArg::WorkspaceWrite),
                        cwd: Some("/repo".into()),
                        add_dirs: vec!["/extra".into()],
                        ..ConfigArgs::default()
                    },
                    model: Some("gpt-5.5".into()),
                    images: vec!["/img/a.png".into()],
                    ..SessionArgs::default()
                },
                thread_source: Some("sdk".into()),
                skip_git_repo_check: true,
                output_schema: Some("/tmp/codex-output-schema-1/schema.json".into()),
                cyber_access_program: Some("p".into()),
                ..defaults()
            }
        );
    }

    #[test]
    fn the_sdk_resume_argv_reaches_the_resume_subcommand() {
        let cli = parse(&[
            "--experimental-json",
            "resume",
            "0199-abc",
            "--image",
            "/a.png",
        ]);
        assert_eq!(
            cli,
            Parsed {
                json: true,
                mode: ExecMode::Resume(ResumeTarget::Thread("0199-abc".into())),
                flags: SessionArgs {
                    images: vec!["/a.png".into()],
                    ..SessionArgs::default()
                },
                ..defaults()
            }
        );
    }

    /// Issue 16, item 19: wrappers put the exec flags after `resume`
    /// (the reference accepts them there); this argv failed with exit 2.
    #[test]
    fn every_exec_flag_is_accepted_after_resume_and_fork() {
        let tail = [
            "--json",
            "-o",
            "out.txt",
            "--skip-git-repo-check",
            "-m",
            "m1",
            "-c",
            "k=v",
            "--output-schema",
            "s.json",
            "--ephemeral",
            "-s",
            "read-only",
        ];
        let expected_flags = |mode| Parsed {
            json: true,
            output_last_message: Some("out.txt".into()),
            skip_git_repo_check: true,
            output_schema: Some("s.json".into()),
            flags: SessionArgs {
                config: ConfigArgs {
                    config_overrides: vec!["k=v".into()],
                    sandbox: Some(SandboxArg::ReadOnly),
                    ..ConfigArgs::default()
                },
                model: Some("m1".into()),
                ephemeral: true,
                ..SessionArgs::default()
            },
            mode,
            prompt: Some("go on".into()),
            ..defaults()
        };
        let mut resume = vec!["resume", "0199-abc"];
        resume.extend(tail);
        resume.push("go on");
        assert_eq!(
            parse(&resume),
            expected_flags(ExecMode::Resume(ResumeTarget::Thread("0199-abc".into())))
        );
        let mut fork = vec!["fork", "0199-abc", "go on"];
        fork.extend(tail);
        assert_eq!(
            parse(&fork),
            expected_flags(ExecMode::Fork {
                session: "0199-abc".into(),
                at: None,
            })
        );
    }

    #[test]
    fn session_flags_before_and_after_the_subcommand_merge_the_later_winning() {
        let cli = parse(&[
            "-m", "m1", "-c", "a=1", "-i", "a.png", "resume", "--last", "-m", "m2", "-c", "b=2",
        ]);
        assert_eq!(
            (cli.flags, cli.mode),
            (
                SessionArgs {
                    config: ConfigArgs {
                        config_overrides: vec!["a=1".into(), "b=2".into()],
                        ..ConfigArgs::default()
                    },
                    model: Some("m2".into()),
                    images: vec!["a.png".into()],
                    ..SessionArgs::default()
                },
                ExecMode::Resume(ResumeTarget::Last)
            )
        );
    }

    #[test]
    fn fork_takes_a_session_and_a_prompt() {
        let cli = parse(&[
            "--json",
            "fork",
            "deploy-fix",
            "go on",
            "-i",
            "a.png",
            "--at",
            "2",
        ]);
        assert_eq!(
            cli,
            Parsed {
                json: true,
                mode: ExecMode::Fork {
                    session: "deploy-fix".into(),
                    at: Some(2),
                },
                prompt: Some("go on".into()),
                flags: SessionArgs {
                    images: vec!["a.png".into()],
                    ..SessionArgs::default()
                },
                ..defaults()
            }
        );
    }

    #[test]
    fn short_flags_and_comma_separated_images() {
        let cli = parse(&[
            "-m",
            "m1",
            "-s",
            "read-only",
            "-C",
            "dir",
            "-c",
            "a=1",
            "-p",
            "work",
            "-i",
            "a.png,b.png",
            "-i",
            "c.png",
            "-o",
            "out.txt",
            "--json",
            "--yolo",
            "--ephemeral",
            "--strict-config",
            "--color",
            "never",
            "fix it",
        ]);
        assert_eq!(
            cli,
            Parsed {
                prompt: Some("fix it".into()),
                json: true,
                output_last_message: Some("out.txt".into()),
                color: ColorArg::Never,
                flags: SessionArgs {
                    config: ConfigArgs {
                        cwd: Some("dir".into()),
                        sandbox: Some(SandboxArg::ReadOnly),
                        config_overrides: vec!["a=1".into()],
                        profile: Some("work".into()),
                        strict_config: true,
                        ..ConfigArgs::default()
                    },
                    model: Some("m1".into()),
                    images: vec!["a.png".into(), "b.png".into(), "c.png".into()],
                    ephemeral: true,
                    dangerously_bypass_approvals_and_sandbox: true,
                    ..SessionArgs::default()
                },
                ..defaults()
            }
        );
    }

    #[test]
    fn dash_is_a_prompt() {
        assert_eq!(
            parse(&["-"]),
            Parsed {
                prompt: Some("-".into()),
                ..defaults()
            }
        );
    }

    #[test]
    fn a_bad_sandbox_value_is_a_usage_error() {
        let error = Wrapper::try_parse_from(["exec", "-s", "everything"]).unwrap_err();
        assert_eq!(error.kind(), clap::error::ErrorKind::InvalidValue);
        assert_eq!(error.exit_code(), 2);
    }
}

#[cfg(test)]
mod resume_tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn resume(session: Option<&str>, prompt: Option<&str>, last: bool) -> ResumeArgs {
        ResumeArgs {
            session: session.map(str::to_string),
            prompt: prompt.map(str::to_string),
            last,
            flags: SessionArgs::default(),
        }
    }

    #[test]
    fn target_and_prompt() {
        assert_eq!(
            resume(Some("abcd"), Some("go on"), false).target_and_prompt(),
            Ok((ResumeTarget::Thread("abcd".into()), Some("go on".into())))
        );
        assert_eq!(
            resume(Some("go on"), None, true).target_and_prompt(),
            Ok((ResumeTarget::Last, Some("go on".into())))
        );
        assert_eq!(
            resume(None, None, true).target_and_prompt(),
            Ok((ResumeTarget::Last, None))
        );
        assert_eq!(
            resume(None, None, false).target_and_prompt(),
            Err("name the session to resume (an id, a unique id prefix or a name), or pass `--last`"
                .to_string())
        );
        assert!(
            resume(Some("a"), Some("b"), true)
                .target_and_prompt()
                .is_err()
        );
    }
}
