//! The flags of `duet exec`, as clap parses them.
//!
//! This is only the shape of the command line: turning flags into a config
//! and a prompt happens in `prompt.rs` and `run.rs`. The flag set follows the
//! reference's `codex exec`, including what `@openai/codex-sdk` passes, so the
//! SDK can drive `duet` unchanged.

use clap::{Args, Subcommand, ValueEnum};
use duet_core::ResumeTarget;
use duet_protocol::SandboxMode;
use std::path::PathBuf;

/// `duet exec [OPTIONS] [PROMPT]`: run one turn without a UI.
///
/// Every option is global: it may come after `resume` or `fork` too
/// (`duet exec resume ID --json -o F -m M "…"`), as the reference accepts and
/// wrappers rely on.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct ExecCli {
    /// The instructions; read from stdin when absent or `-`. With both, piped
    /// stdin is appended as a `<stdin>` block.
    #[arg(value_name = "PROMPT")]
    pub prompt: Option<String>,

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

    /// Working directory of the session.
    #[arg(
        id = "exec-cwd",
        short = 'C',
        long = "cd",
        value_name = "DIR",
        global = true
    )]
    pub cwd: Option<PathBuf>,

    /// Model to use.
    #[arg(
        id = "exec-model",
        short = 'm',
        long = "model",
        value_name = "MODEL",
        global = true
    )]
    pub model: Option<String>,

    /// Sandbox for model-issued commands.
    #[arg(
        id = "exec-sandbox",
        short = 's',
        long = "sandbox",
        value_name = "MODE",
        global = true
    )]
    pub sandbox: Option<SandboxArg>,

    /// Override a config key: `key=value`, the value parsed as TOML or else
    /// taken as a string (repeatable).
    #[arg(
        id = "exec-config-overrides",
        short = 'c',
        long = "config",
        value_name = "key=value",
        global = true
    )]
    pub config_overrides: Vec<String>,

    /// Config profile to layer over the defaults.
    #[arg(
        id = "exec-profile",
        short = 'p',
        long = "profile",
        value_name = "NAME",
        global = true
    )]
    pub profile: Option<String>,

    /// Attach an image to the prompt (repeatable, or comma-separated).
    #[arg(
        id = "exec-images",
        short = 'i',
        long = "image",
        value_name = "FILE",
        value_delimiter = ',',
        global = true
    )]
    pub images: Vec<PathBuf>,

    /// Persist nothing about this session.
    #[arg(id = "exec-ephemeral", long = "ephemeral", global = true)]
    pub ephemeral: bool,

    /// When to colour the human transcript.
    #[arg(
        id = "exec-color",
        long = "color",
        value_name = "WHEN",
        default_value = "auto",
        global = true
    )]
    pub color: ColorChoice,

    /// Run commands without a sandbox and without asking. Dangerous.
    #[arg(
        id = "exec-dangerously-bypass-approvals-and-sandbox",
        long = "dangerously-bypass-approvals-and-sandbox",
        alias = "yolo",
        global = true
    )]
    pub dangerously_bypass_approvals_and_sandbox: bool,

    /// Another directory the sandbox lets commands write to (repeatable).
    #[arg(
        id = "exec-add-dirs",
        long = "add-dir",
        value_name = "DIR",
        global = true
    )]
    pub add_dirs: Vec<PathBuf>,

    /// Fail on unknown config keys instead of warning.
    #[arg(id = "exec-strict-config", long = "strict-config", global = true)]
    pub strict_config: bool,

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

impl ExecCommand {
    pub fn name(&self) -> &'static str {
        match self {
            ExecCommand::Resume(_) => "resume",
            ExecCommand::Fork(_) => "fork",
        }
    }
}

/// `--sandbox`: the clap face of [`SandboxMode`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum SandboxArg {
    ReadOnly,
    WorkspaceWrite,
    DangerFullAccess,
}

impl From<SandboxArg> for SandboxMode {
    fn from(arg: SandboxArg) -> Self {
        match arg {
            SandboxArg::ReadOnly => SandboxMode::ReadOnly,
            SandboxArg::WorkspaceWrite => SandboxMode::WorkspaceWrite,
            SandboxArg::DangerFullAccess => SandboxMode::DangerFullAccess,
        }
    }
}

/// `--color`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Always,
    Never,
    #[default]
    Auto,
}

impl ColorChoice {
    /// Whether to emit ANSI codes on stderr. `auto` means: stderr is a
    /// terminal and `NO_COLOR` is unset (or empty, as no-color.org says).
    pub fn use_color(self, stderr_is_terminal: bool, no_color: Option<&str>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stderr_is_terminal && no_color.is_none_or(str::is_empty),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::Parser;
    use pretty_assertions::assert_eq;

    #[derive(Debug, Parser)]
    #[command(name = "exec")]
    struct Wrapper {
        #[command(flatten)]
        exec: ExecCli,
    }

    fn parse(argv: &[&str]) -> ExecCli {
        Wrapper::try_parse_from(std::iter::once("exec").chain(argv.iter().copied()))
            .expect("argv parses")
            .exec
    }

    fn defaults() -> ExecCli {
        ExecCli {
            prompt: None,
            json: false,
            output_last_message: None,
            output_schema: None,
            skip_git_repo_check: false,
            cwd: None,
            model: None,
            sandbox: None,
            config_overrides: Vec::new(),
            profile: None,
            images: Vec::new(),
            ephemeral: false,
            color: ColorChoice::Auto,
            dangerously_bypass_approvals_and_sandbox: false,
            add_dirs: Vec::new(),
            strict_config: false,
            thread_source: None,
            cyber_access_program: None,
            command: None,
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
            ExecCli {
                json: true,
                config_overrides: vec![
                    "model_providers.mock.name=\"mock\"".into(),
                    "openai_base_url=\"http://127.0.0.1:9/v1\"".into(),
                    "model_reasoning_effort=\"high\"".into(),
                    "approval_policy=\"never\"".into(),
                ],
                model: Some("gpt-5.5".into()),
                thread_source: Some("sdk".into()),
                sandbox: Some(SandboxArg::WorkspaceWrite),
                cwd: Some("/repo".into()),
                add_dirs: vec!["/extra".into()],
                skip_git_repo_check: true,
                output_schema: Some("/tmp/codex-output-schema-1/schema.json".into()),
                cyber_access_program: Some("p".into()),
                images: vec!["/img/a.png".into()],
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
            ExecCli {
                json: true,
                command: Some(ExecCommand::Resume(ResumeArgs {
                    session: Some("0199-abc".into()),
                    prompt: None,
                    last: false,
                })),
                images: vec!["/a.png".into()],
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
        let expected_flags = |command| ExecCli {
            json: true,
            output_last_message: Some("out.txt".into()),
            skip_git_repo_check: true,
            model: Some("m1".into()),
            config_overrides: vec!["k=v".into()],
            output_schema: Some("s.json".into()),
            ephemeral: true,
            sandbox: Some(SandboxArg::ReadOnly),
            command: Some(command),
            ..defaults()
        };
        let mut resume = vec!["resume", "0199-abc"];
        resume.extend(tail);
        resume.push("go on");
        assert_eq!(
            parse(&resume),
            expected_flags(ExecCommand::Resume(ResumeArgs {
                session: Some("0199-abc".into()),
                prompt: Some("go on".into()),
                last: false,
            }))
        );
        let mut fork = vec!["fork", "0199-abc", "go on"];
        fork.extend(tail);
        assert_eq!(
            parse(&fork),
            expected_flags(ExecCommand::Fork(ForkArgs {
                session: "0199-abc".into(),
                prompt: Some("go on".into()),
                at: None,
            }))
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
            ExecCli {
                json: true,
                command: Some(ExecCommand::Fork(ForkArgs {
                    session: "deploy-fix".into(),
                    prompt: Some("go on".into()),
                    at: Some(2),
                })),
                images: vec!["a.png".into()],
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
            ExecCli {
                prompt: Some("fix it".into()),
                json: true,
                output_last_message: Some("out.txt".into()),
                cwd: Some("dir".into()),
                model: Some("m1".into()),
                sandbox: Some(SandboxArg::ReadOnly),
                config_overrides: vec!["a=1".into()],
                profile: Some("work".into()),
                images: vec!["a.png".into(), "b.png".into(), "c.png".into()],
                ephemeral: true,
                color: ColorChoice::Never,
                dangerously_bypass_approvals_and_sandbox: true,
                strict_config: true,
                ..defaults()
            }
        );
    }

    #[test]
    fn dash_is_a_prompt() {
        assert_eq!(
            parse(&["-"]),
            ExecCli {
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

    #[test]
    fn color_auto_needs_a_terminal_and_no_no_color() {
        let table = [
            (ColorChoice::Auto, true, None, true),
            (ColorChoice::Auto, true, Some("1"), false),
            (ColorChoice::Auto, true, Some(""), true),
            (ColorChoice::Auto, false, None, false),
            (ColorChoice::Always, false, Some("1"), true),
            (ColorChoice::Never, true, None, false),
        ];
        let got: Vec<bool> = table
            .iter()
            .map(|(c, tty, nc, _)| c.use_color(*tty, *nc))
            .collect();
        let want: Vec<bool> = table.iter().map(|row| row.3).collect();
        assert_eq!(got, want);
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
