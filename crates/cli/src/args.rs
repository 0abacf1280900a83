//! The `duet` command line as clap sees it. Parsing only: what each command
//! does is decided in `lib.rs`.

use crate::exec_args::ExecCli;
use crate::settings::{ConfigArgs, SessionArgs};
use clap::{Args, FromArgMatches, Parser, Subcommand, ValueEnum};
use clap_complete::Shell;
use duet_protocol::ApprovalPolicy;
use std::ffi::{OsStr, OsString};

/// duet: a local-first terminal coding agent.
#[derive(Debug, Parser)]
#[command(
    name = "duet",
    version,
    about = "duet: a local-first coding agent for your terminal; every command it runs is sandboxed",
    propagate_version = false
)]
pub struct Cli {
    /// First message for the interactive session.
    #[arg(value_name = "PROMPT")]
    pub prompt: Option<String>,

    #[command(flatten)]
    pub tui: TuiArgs,

    #[command(subcommand)]
    pub command: Option<Command>,
}

/// What the interactive UI takes (`duet`, `duet resume`, `duet fork`): the
/// session's flags and its own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct TuiArgs {
    #[command(flatten)]
    pub session: SessionArgs,

    /// When to ask before running a command (default: the config's
    /// `approval_policy`, else on-request).
    #[arg(short = 'a', long = "ask-for-approval", value_name = "POLICY")]
    pub approval: Option<ApprovalArg>,

    /// Use the whole screen instead of leaving history in the terminal's
    /// scrollback (also `tui.alternate_screen = "always"`).
    #[arg(long = "alt-screen")]
    pub alt_screen: bool,
}

impl TuiArgs {
    /// `self` given first, `later` after it (see [`SessionArgs::then`]).
    pub fn then(self, later: TuiArgs) -> TuiArgs {
        TuiArgs {
            session: self.session.then(later.session),
            approval: later.approval.or(self.approval),
            alt_screen: self.alt_screen || later.alt_screen,
        }
    }

    /// The interactive UI's own flags given, by their long names.
    pub fn given_tui_flags(&self) -> Vec<&'static str> {
        let mut given = Vec::new();
        if self.approval.is_some() {
            given.push("--ask-for-approval");
        }
        if self.alt_screen {
            given.push("--alt-screen");
        }
        given
    }
}

/// `duet doctor [--json] [--offline] [CONFIG FLAGS]`.
#[derive(Debug, Clone, Default, PartialEq, Eq, clap::Args)]
pub struct DoctorArgs {
    /// Print the findings as JSON.
    #[arg(long = "json")]
    pub json: bool,
    /// Do not ask the provider whether it answers.
    #[arg(long = "offline")]
    pub offline: bool,
    #[command(flatten)]
    pub config: ConfigArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run one task without a UI: transcript on stderr, answer on stdout.
    #[command(visible_alias = "e", disable_help_subcommand = true)]
    Exec(Box<ExecCli>),

    /// Apply a V4A patch (`*** Begin Patch` … `*** End Patch`) to the files
    /// under the current directory, as the `apply_patch` tool does.
    #[command(name = "apply-patch")]
    ApplyPatch {
        /// The patch text; read from stdin when absent.
        #[arg(value_name = "PATCH", allow_hyphen_values = true)]
        patch: Option<OsString>,
    },

    /// Check commands against `.rules` files, or explain how a shell
    /// command line is decided.
    #[command(subcommand)]
    Execpolicy(crate::execpolicy::ExecpolicyCommand),
    /// Run a command under the sandbox policy the config resolves to, as
    /// `duet exec` would run it; exits with the command's status.
    Sandbox(SandboxCli),

    /// Check which sandbox backends work on this host (and how to fix the
    /// ones that do not), which one commands would run under, whether the
    /// configuration loads, and the provider, its key and whether it answers.
    Doctor(DoctorArgs),

    /// Continue a saved session in the interactive UI, its transcript
    /// drawn first.
    Resume(crate::resume::ResumeCli),

    /// Branch a new session from a saved one, up to a turn if given, and
    /// continue it in the interactive UI (outside a terminal: print its id).
    Fork(crate::resume::ForkCli),

    /// List, search, show, rename, archive, delete, export and import saved
    /// sessions.
    #[command(subcommand)]
    Sessions(crate::sessions::SessionsCommand),

    /// What model requests cost over every session: tokens, cache hits and
    /// prices, by model, day or directory.
    Usage(crate::usage::UsageCli),

    /// Save an API key for a provider (read from stdin), or say where each
    /// key comes from (`duet login status`).
    Login(crate::login::LoginCli),

    /// Forget the API keys `duet login` saved.
    Logout(crate::login::LogoutCli),

    /// Add, list, show and remove the MCP servers of the config.
    #[command(subcommand)]
    Mcp(crate::mcp::McpCommand),

    /// Serve duet over MCP on stdio: the tools `duet` (start a thread on a
    /// task) and `duet-reply` (continue it), for another agent or an editor.
    McpServer(crate::mcp_server::McpServerCli),

    /// List the provider's models: what its server serves, merged with
    /// duet's catalogue (context window, output limit, prices).
    Models(crate::models::ModelsCli),

    /// Import another agent's settings (`duet config import --from codex`).
    #[command(subcommand)]
    Config(crate::config_cmd::ConfigCommand),

    /// Print a shell completion script to stdout.
    Completion {
        #[arg(value_enum, default_value_t = Shell::Bash)]
        shell: Shell,
    },
}

impl SandboxCli {
    /// `duet sandbox …` (`argv` whole, program name first) parsed against
    /// the sandbox's own arguments alone. [`Cli`] builds every subcommand's
    /// arguments before it parses, which is a third of the start-up of a
    /// `duet sandbox` (about 0.4 ms and 60 page faults of the ~4 ms a
    /// command takes under Landlock). Only a clean parse is taken: help,
    /// usage errors and anything given before `sandbox` return `None` and
    /// go through [`Cli`] as usual, so what users see does not change.
    pub fn parse_alone(argv: &[OsString]) -> Option<Self> {
        if argv.get(1).map(OsString::as_os_str) != Some(OsStr::new("sandbox")) {
            return None;
        }
        let matches = Self::augment_args(clap::Command::new("sandbox"))
            .try_get_matches_from(&argv[1..])
            .ok()?;
        Self::from_arg_matches(&matches).ok()
    }
}

/// `-a`/`--ask-for-approval`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ApprovalArg {
    Untrusted,
    OnFailure,
    OnRequest,
    Never,
}

impl From<ApprovalArg> for ApprovalPolicy {
    fn from(arg: ApprovalArg) -> Self {
        match arg {
            ApprovalArg::Untrusted => ApprovalPolicy::Untrusted,
            ApprovalArg::OnFailure => ApprovalPolicy::OnFailure,
            ApprovalArg::OnRequest => ApprovalPolicy::OnRequest,
            ApprovalArg::Never => ApprovalPolicy::Never,
        }
    }
}

/// `duet sandbox [OPTIONS] -- COMMAND [ARGS]...`.
#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct SandboxCli {
    /// `-C` is also where the command runs.
    #[command(flatten)]
    pub config: ConfigArgs,

    /// The command and its arguments.
    #[arg(
        value_name = "COMMAND",
        required = true,
        num_args = 1..,
        trailing_var_arg = true,
        allow_hyphen_values = true
    )]
    pub command: Vec<OsString>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::settings::SandboxArg;
    use clap::CommandFactory;
    use pretty_assertions::assert_eq;
    use std::path::PathBuf;

    fn parse(argv: &[&str]) -> Result<Cli, clap::Error> {
        Cli::try_parse_from(std::iter::once("duet").chain(argv.iter().copied()))
    }

    #[test]
    fn the_command_is_well_formed() {
        Cli::command().debug_assert();
    }

    #[test]
    fn exec_and_its_alias_parse_the_exec_flags() {
        for name in ["exec", "e"] {
            let cli = parse(&[name, "--json", "-m", "m1", "fix it"]).unwrap();
            let Some(Command::Exec(exec)) = cli.command else {
                panic!("not exec: {cli:?}")
            };
            assert_eq!(
                (
                    exec.json,
                    exec.flags.model.as_deref(),
                    exec.prompt.as_deref()
                ),
                (true, Some("m1"), Some("fix it"))
            );
        }
    }

    #[test]
    fn top_level_config_is_kept_apart_from_exec_config() {
        let cli = parse(&["-c", "a=1", "exec", "-c", "b=2", "hi"]).unwrap();
        let Some(Command::Exec(exec)) = &cli.command else {
            panic!("not exec: {cli:?}")
        };
        assert_eq!(
            (
                cli.tui.session.config.config_overrides.clone(),
                exec.flags.config.config_overrides.clone()
            ),
            (vec!["a=1".to_owned()], vec!["b=2".to_owned()])
        );
    }

    #[test]
    fn help_after_exec_is_a_prompt_not_a_subcommand() {
        let cli = parse(&["exec", "help"]).unwrap();
        let Some(Command::Exec(exec)) = cli.command else {
            panic!("not exec: {cli:?}")
        };
        assert_eq!(exec.prompt.as_deref(), Some("help"));
    }

    #[test]
    fn completion_defaults_to_bash() {
        let cli = parse(&["completion"]).unwrap();
        assert!(
            matches!(
                cli.command,
                Some(Command::Completion { shell: Shell::Bash })
            ),
            "{cli:?}"
        );
        let cli = parse(&["completion", "zsh"]).unwrap();
        assert!(
            matches!(cli.command, Some(Command::Completion { shell: Shell::Zsh })),
            "{cli:?}"
        );
    }

    #[test]
    fn apply_patch_takes_an_optional_patch() {
        let patches: Vec<Option<OsString>> = [&["apply-patch"][..], &["apply-patch", "-x"]]
            .into_iter()
            .map(|argv| match parse(argv).unwrap().command {
                Some(Command::ApplyPatch { patch }) => patch,
                other => panic!("not apply-patch: {other:?}"),
            })
            .collect();
        assert_eq!(patches, [None, Some(OsString::from("-x"))]);
    }

    #[test]
    fn sandbox_takes_flags_then_the_command_verbatim() {
        let cli = parse(&[
            "sandbox",
            "-s",
            "workspace-write",
            "--add-dir",
            "/x",
            "-c",
            "a=1",
            "--",
            "ls",
            "-la",
        ])
        .unwrap();
        let Some(Command::Sandbox(sandbox)) = cli.command else {
            panic!("not sandbox: {cli:?}")
        };
        assert_eq!(
            sandbox,
            SandboxCli {
                config: ConfigArgs {
                    sandbox: Some(SandboxArg::WorkspaceWrite),
                    config_overrides: vec!["a=1".to_owned()],
                    add_dirs: vec![PathBuf::from("/x")],
                    ..ConfigArgs::default()
                },
                command: vec![OsString::from("ls"), OsString::from("-la")],
            }
        );
        assert!(parse(&["sandbox"]).is_err(), "a command is required");
    }

    #[test]
    fn sandbox_parsed_alone_agrees_with_the_whole_command_line() {
        let cases: &[&[&str]] = &[
            &["sandbox", "--", "true"],
            &["sandbox", "true"],
            &[
                "sandbox",
                "-s",
                "workspace-write",
                "-c",
                "a=1",
                "-c",
                "b=2",
                "--",
                "ls",
                "-la",
            ],
            &[
                "sandbox",
                "--sandbox=danger-full-access",
                "--add-dir",
                "/x",
                "-C",
                "/y",
                "sh",
                "-c",
                "exit 3",
            ],
            &["sandbox", "-p", "work", "--", "--version"],
            &["sandbox", "ls", "--", "-s", "x"],
            // Not clean parses: left to the whole command line.
            &["sandbox"],
            &["sandbox", "--help"],
            &["sandbox", "-h"],
            &["sandbox", "--version"],
            &["sandbox", "-s", "bogus", "--", "true"],
            &["sandbox", "--unknown", "--", "true"],
            &["-c", "a=1", "sandbox", "--", "true"],
            &["exec", "sandbox"],
            &[],
        ];
        for case in cases {
            let argv: Vec<OsString> = std::iter::once("duet")
                .chain(case.iter().copied())
                .map(OsString::from)
                .collect();
            let whole = match parse(case) {
                Ok(Cli {
                    command: Some(Command::Sandbox(sandbox)),
                    tui,
                    ..
                }) if tui == TuiArgs::default() => Some(sandbox),
                _ => None,
            };
            assert_eq!(SandboxCli::parse_alone(&argv), whole, "{case:?}");
        }
        // The clean parses above really were taken alone.
        let argv = ["duet", "sandbox", "--", "true"].map(OsString::from);
        assert!(SandboxCli::parse_alone(&argv).is_some());
    }

    #[test]
    fn doctor_has_a_json_switch() {
        let cli = parse(&["doctor", "--json"]).unwrap();
        assert!(
            matches!(
                cli.command,
                Some(Command::Doctor(DoctorArgs { json: true, .. }))
            ),
            "{cli:?}"
        );
        // Issue 16, item 21: `-c` after the subcommand was refused.
        let cli = parse(&["-c", "a=1", "doctor", "-c", "sandbox_backend=landlock"]).unwrap();
        let Some(Command::Doctor(args)) = &cli.command else {
            panic!("not doctor: {cli:?}")
        };
        assert_eq!(
            (
                cli.tui.session.config.config_overrides.clone(),
                args.config.config_overrides.clone()
            ),
            (
                vec!["a=1".to_owned()],
                vec!["sandbox_backend=landlock".to_owned()]
            )
        );
    }

    #[test]
    fn a_bare_prompt_is_for_the_tui() {
        let cli = parse(&["fix the tests"]).unwrap();
        assert_eq!(
            (cli.prompt.as_deref(), cli.command.is_none()),
            (Some("fix the tests"), true)
        );
    }

    #[test]
    fn tui_flags_are_top_level() {
        let cli = parse(&[
            "-a",
            "untrusted",
            "-s",
            "workspace-write",
            "-m",
            "m1",
            "--alt-screen",
            "-C",
            "/w",
            "hi",
        ])
        .unwrap();
        assert_eq!(
            (
                cli.tui.approval,
                cli.tui.session.config.sandbox,
                cli.tui.session.model.as_deref(),
                cli.tui.alt_screen,
                cli.tui.session.config.cwd,
                cli.prompt.as_deref()
            ),
            (
                Some(ApprovalArg::Untrusted),
                Some(SandboxArg::WorkspaceWrite),
                Some("m1"),
                true,
                Some(PathBuf::from("/w")),
                Some("hi")
            )
        );
    }

    #[test]
    fn unknown_flags_are_usage_errors_with_exit_code_2() {
        let error = parse(&["exec", "--bogus-flag"]).unwrap_err();
        assert_eq!(
            (error.kind(), error.exit_code()),
            (clap::error::ErrorKind::UnknownArgument, 2)
        );
    }

    #[test]
    fn version_is_name_and_version() {
        let error = parse(&["--version"]).unwrap_err();
        assert_eq!(
            (error.kind(), error.exit_code(), error.to_string()),
            (
                clap::error::ErrorKind::DisplayVersion,
                0,
                format!("duet {}\n", env!("CARGO_PKG_VERSION"))
            )
        );
    }
}
