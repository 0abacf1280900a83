//! The flags that decide the configuration, declared once and flattened
//! into every command that takes them, and the one place they become a
//! [`Settings`]:
//!
//! flags → [`ConfigArgs`] / [`SessionArgs`] → [`resolve`] → [`Settings`] → front end.
//!
//! A flag may come before the subcommand (`duet -m M exec …`), after it, or
//! after `exec resume`/`exec fork`; [`SessionArgs::then`] merges them, the
//! later one winning. Core's loader layers file → profile → `-c` → flags
//! once for every front end.

use clap::{Args, ValueEnum};
use duet_core::config::{ConfigOverrides, Settings, load_config, parse_cli_override};
use duet_protocol::{ApprovalPolicy, SandboxMode};
use std::path::PathBuf;

/// What every command that loads the configuration takes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct ConfigArgs {
    /// Override a config key: `key=value`, the value parsed as TOML or else
    /// taken as a string (repeatable).
    #[arg(short = 'c', long = "config", value_name = "key=value")]
    pub config_overrides: Vec<String>,

    /// Config profile to layer over the defaults (`[profiles.NAME]` or
    /// `$DUET_HOME/NAME.config.toml`).
    #[arg(short = 'p', long = "profile", value_name = "NAME")]
    pub profile: Option<String>,

    /// Working directory, the root of the workspace.
    #[arg(short = 'C', long = "cd", value_name = "DIR")]
    pub cwd: Option<PathBuf>,

    /// Sandbox mode for commands (default: the config's `sandbox_mode`,
    /// else read-only).
    #[arg(short = 's', long = "sandbox", value_name = "MODE")]
    pub sandbox: Option<SandboxArg>,

    /// Another directory commands may write to (repeatable).
    #[arg(long = "add-dir", value_name = "DIR")]
    pub add_dirs: Vec<PathBuf>,

    /// Fail on unknown config keys (and keys duet does not act on yet)
    /// instead of warning.
    #[arg(long = "strict-config")]
    pub strict_config: bool,
}

/// What the commands that run a session take (the interactive UI and
/// `duet exec`): the configuration's flags and the session's own.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct SessionArgs {
    #[command(flatten)]
    pub config: ConfigArgs,

    /// Model to use.
    #[arg(short = 'm', long = "model", value_name = "MODEL")]
    pub model: Option<String>,

    /// Use a model served on this machine: Ollama, or the server
    /// `--local-provider` or `oss_provider` names; without `-m`, model
    /// `gpt-oss:20b`.
    #[arg(long = "oss")]
    pub oss: bool,

    /// The local server `--oss` uses (implies `--oss`).
    #[arg(long = "local-provider", value_name = "PROVIDER")]
    pub local_provider: Option<LocalProvider>,

    /// Attach an image to the first message (repeatable, or
    /// comma-separated).
    #[arg(
        short = 'i',
        long = "image",
        value_name = "FILE",
        value_delimiter = ','
    )]
    pub images: Vec<PathBuf>,

    /// Persist nothing about this session.
    #[arg(long = "ephemeral")]
    pub ephemeral: bool,

    /// Run commands without a sandbox and without asking. Dangerous.
    #[arg(long = "dangerously-bypass-approvals-and-sandbox", alias = "yolo")]
    pub dangerously_bypass_approvals_and_sandbox: bool,

    /// Stop a turn before its next model request once its requests cost
    /// this many US dollars (`budget.max_usd`).
    #[arg(long = "max-budget-usd", value_name = "USD", value_parser = positive_dollars)]
    pub max_budget_usd: Option<String>,

    /// Stop a turn once it has made N model requests (`budget.max_turns`).
    #[arg(long = "max-turns", value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_turns: Option<u64>,

    /// Stop a turn once its requests used N tokens, input and output
    /// (`budget.max_tokens`).
    #[arg(long = "max-tokens", value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    pub max_tokens: Option<u64>,
}

/// `--max-budget-usd`: a number of dollars above zero, kept as written.
fn positive_dollars(text: &str) -> Result<String, String> {
    match text.parse::<f64>() {
        Ok(dollars) if dollars.is_finite() && dollars > 0.0 => Ok(text.to_string()),
        _ => Err(format!(
            "`{text}` is not an amount of US dollars above zero (for example `2.50`)"
        )),
    }
}

/// `--local-provider`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LocalProvider {
    Ollama,
    Lmstudio,
}

impl LocalProvider {
    pub fn id(self) -> &'static str {
        match self {
            LocalProvider::Ollama => "ollama",
            LocalProvider::Lmstudio => "lmstudio",
        }
    }
}

/// `-s`/`--sandbox`: the clap face of [`SandboxMode`].
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

impl ConfigArgs {
    /// `self` given first, `later` after it: lists add up in order, a
    /// later value wins, a switch is on if either turns it on.
    pub fn then(self, later: ConfigArgs) -> ConfigArgs {
        ConfigArgs {
            config_overrides: [self.config_overrides, later.config_overrides].concat(),
            profile: later.profile.or(self.profile),
            cwd: later.cwd.or(self.cwd),
            sandbox: later.sandbox.or(self.sandbox),
            add_dirs: [self.add_dirs, later.add_dirs].concat(),
            strict_config: self.strict_config || later.strict_config,
        }
    }

    /// The flags given, by their long names, for a command that takes none.
    pub fn given(&self) -> Vec<&'static str> {
        let mut given = Vec::new();
        if !self.config_overrides.is_empty() {
            given.push("--config");
        }
        if self.profile.is_some() {
            given.push("--profile");
        }
        if self.cwd.is_some() {
            given.push("--cd");
        }
        if self.sandbox.is_some() {
            given.push("--sandbox");
        }
        if !self.add_dirs.is_empty() {
            given.push("--add-dir");
        }
        if self.strict_config {
            given.push("--strict-config");
        }
        given
    }
}

impl SessionArgs {
    /// [`ConfigArgs::then`] for every flag.
    pub fn then(self, later: SessionArgs) -> SessionArgs {
        SessionArgs {
            config: self.config.then(later.config),
            model: later.model.or(self.model),
            oss: self.oss || later.oss,
            local_provider: later.local_provider.or(self.local_provider),
            images: [self.images, later.images].concat(),
            ephemeral: self.ephemeral || later.ephemeral,
            dangerously_bypass_approvals_and_sandbox: self.dangerously_bypass_approvals_and_sandbox
                || later.dangerously_bypass_approvals_and_sandbox,
            max_budget_usd: later.max_budget_usd.or(self.max_budget_usd),
            max_turns: later.max_turns.or(self.max_turns),
            max_tokens: later.max_tokens.or(self.max_tokens),
        }
    }

    /// The session's own flags given, by their long names, for a command
    /// that runs no session.
    pub fn given_session_flags(&self) -> Vec<&'static str> {
        let mut given = Vec::new();
        if self.model.is_some() {
            given.push("--model");
        }
        if self.oss {
            given.push("--oss");
        }
        if self.local_provider.is_some() {
            given.push("--local-provider");
        }
        if !self.images.is_empty() {
            given.push("--image");
        }
        if self.ephemeral {
            given.push("--ephemeral");
        }
        if self.dangerously_bypass_approvals_and_sandbox {
            given.push("--dangerously-bypass-approvals-and-sandbox");
        }
        if self.max_budget_usd.is_some() {
            given.push("--max-budget-usd");
        }
        if self.max_turns.is_some() {
            given.push("--max-turns");
        }
        if self.max_tokens.is_some() {
            given.push("--max-tokens");
        }
        given
    }
}

/// Which front end the settings are for: what it decides for itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrontEnd {
    /// The interactive UI, with `-a` if given.
    Tui { approval: Option<ApprovalPolicy> },
    /// `duet exec`: nobody to ask, so approval is always `never` (the model
    /// gets each refusal as its tool output).
    Exec,
    /// `duet sandbox` and `duet doctor`: no session.
    Tool,
}

/// Why the flags did not resolve.
#[derive(Debug, thiserror::Error)]
pub enum ResolveError {
    #[error("invalid `-c {raw}`: {message}")]
    Override { raw: String, message: String },
    #[error("cannot load the configuration: {0}")]
    Load(#[from] duet_core::config::ConfigError),
}

/// The one way flags become a configuration, for every front end.
pub fn resolve(args: &SessionArgs, front_end: FrontEnd) -> Result<Settings, ResolveError> {
    resolve_with_env(args, front_end, &|name| std::env::var(name).ok())
}

/// [`resolve`] with the environment given (`DUET_HOME`, `HOME`, keys).
pub fn resolve_with_env(
    args: &SessionArgs,
    front_end: FrontEnd,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Settings, ResolveError> {
    let mut cli_overrides = args
        .config
        .config_overrides
        .iter()
        .map(|raw| {
            parse_cli_override(raw).map_err(|error| ResolveError::Override {
                raw: raw.clone(),
                message: error.to_string(),
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    // The budget flags win over `[budget]` and `-c budget.…`.
    if let Some(dollars) = args
        .max_budget_usd
        .as_deref()
        .and_then(|text| text.parse().ok())
    {
        cli_overrides.push(("budget.max_usd".to_string(), toml::Value::Float(dollars)));
    }
    for (key, value) in [
        ("budget.max_turns", args.max_turns),
        ("budget.max_tokens", args.max_tokens),
    ] {
        // TOML integers are signed: a larger limit is kept as the largest
        // (it limits nothing either way), never dropped.
        if let Some(value) = value {
            let value = i64::try_from(value).unwrap_or(i64::MAX);
            cli_overrides.push((key.to_string(), toml::Value::Integer(value)));
        }
    }
    let approval_policy = match front_end {
        FrontEnd::Tui { approval } => approval,
        FrontEnd::Exec => Some(ApprovalPolicy::Never),
        FrontEnd::Tool => None,
    };
    let overrides = ConfigOverrides {
        cwd: args.config.cwd.clone(),
        model: args.model.clone(),
        profile: args.config.profile.clone(),
        sandbox_mode: args.config.sandbox.map(Into::into),
        approval_policy,
        cli_overrides,
        strict_config: args.config.strict_config,
        ephemeral: args.ephemeral,
        additional_writable_roots: args.config.add_dirs.clone(),
        dangerously_bypass: args.dangerously_bypass_approvals_and_sandbox,
        oss: args.oss,
        local_provider: args.local_provider.map(|local| local.id().to_string()),
    };
    Ok(load_config(overrides, env)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::{Cli, Command};
    use clap::Parser;
    use pretty_assertions::assert_eq;

    /// What a command line resolves to, for comparing front ends.
    #[derive(Debug, PartialEq)]
    struct Resolved {
        model: String,
        sandbox: SandboxMode,
        cwd: PathBuf,
        add_dirs: Vec<PathBuf>,
        ephemeral: bool,
    }

    /// The session flags each front end ends up with for `argv`, merged
    /// across the levels they were given at.
    fn flags_of(argv: &[&str]) -> (SessionArgs, FrontEnd) {
        let cli = Cli::try_parse_from(std::iter::once("duet").chain(argv.iter().copied()))
            .unwrap_or_else(|error| panic!("{argv:?}: {error}"));
        match cli.command {
            None => (cli.tui.session, FrontEnd::Tui { approval: None }),
            Some(Command::Exec(exec)) => {
                let (flags, _, _) = exec.session(cli.tui.session).expect("a session");
                (flags, FrontEnd::Exec)
            }
            Some(Command::Resume(resume)) => (
                cli.tui.then(resume.tui).session,
                FrontEnd::Tui { approval: None },
            ),
            other => panic!("not a session command: {other:?}"),
        }
    }

    #[test]
    fn every_front_end_resolves_the_same_flags_profile_and_overrides_alike() {
        let home = tempfile::tempdir().unwrap();
        let work = tempfile::tempdir().unwrap();
        let work_dir = work.path().canonicalize().unwrap();
        std::fs::write(
            home.path().join("config.toml"),
            "model = \"file\"\nsandbox_mode = \"read-only\"\n\
             [profiles.work]\nmodel = \"table\"\nsandbox_mode = \"workspace-write\"\n",
        )
        .unwrap();
        std::fs::write(
            home.path().join("fast.config.toml"),
            "model = \"file-profile\"\n",
        )
        .unwrap();
        let home_dir = home.path().display().to_string();
        let env = move |name: &str| (name == "DUET_HOME").then(|| home_dir.clone());
        let cd = work_dir.display().to_string();
        // Flags, then the model, sandbox, `--add-dir`s and `--ephemeral` they give.
        type Expected<'a> = (&'a str, SandboxMode, Vec<PathBuf>, bool);
        let cases: Vec<(Vec<&str>, Expected<'_>)> = vec![
            (vec![], ("file", SandboxMode::ReadOnly, vec![], false)),
            (
                vec!["-m", "flag"],
                ("flag", SandboxMode::ReadOnly, vec![], false),
            ),
            (
                vec!["-p", "work"],
                ("table", SandboxMode::WorkspaceWrite, vec![], false),
            ),
            (
                vec!["-p", "work", "-c", "model=\"dash-c\""],
                ("dash-c", SandboxMode::WorkspaceWrite, vec![], false),
            ),
            (
                vec!["-c", "model=\"dash-c\"", "-m", "flag"],
                ("flag", SandboxMode::ReadOnly, vec![], false),
            ),
            (
                vec!["-p", "fast"],
                ("file-profile", SandboxMode::ReadOnly, vec![], false),
            ),
            (
                vec![
                    "-s",
                    "workspace-write",
                    "--add-dir",
                    "/extra",
                    "--ephemeral",
                ],
                (
                    "file",
                    SandboxMode::WorkspaceWrite,
                    vec![PathBuf::from("/extra")],
                    true,
                ),
            ),
        ];
        for (flags, (model, sandbox, add_dirs, ephemeral)) in cases {
            let expected = Resolved {
                model: model.to_string(),
                sandbox,
                cwd: work_dir.clone(),
                add_dirs,
                ephemeral,
            };
            let with_cd = |mut argv: Vec<&'static str>| -> Vec<String> {
                let mut all: Vec<String> = vec!["-C".to_string(), cd.clone()];
                all.extend(flags.iter().map(|flag| flag.to_string()));
                all.extend(argv.drain(..).map(str::to_string));
                all
            };
            // The same flags: for the interactive UI, after `exec`, before
            // `exec`, after `exec resume --last`, and after `resume`.
            let mut command_lines: Vec<Vec<String>> = vec![with_cd(vec![])];
            let mut after_exec = vec!["exec".to_string()];
            after_exec.extend(with_cd(vec!["hi"]));
            command_lines.push(after_exec);
            command_lines.push(with_cd(vec!["exec", "hi"]));
            let mut after_resume = vec![
                "exec".to_string(),
                "resume".to_string(),
                "--last".to_string(),
            ];
            after_resume.extend(with_cd(vec![]));
            command_lines.push(after_resume);
            let mut tui_resume = vec!["resume".to_string(), "some-id".to_string()];
            tui_resume.extend(with_cd(vec![]));
            command_lines.push(tui_resume);
            for argv in command_lines {
                let argv: Vec<&str> = argv.iter().map(String::as_str).collect();
                let (args, front_end) = flags_of(&argv);
                let settings = resolve_with_env(&args, front_end, &env)
                    .unwrap_or_else(|error| panic!("{argv:?}: {error}"));
                let config = settings.config;
                assert_eq!(
                    Resolved {
                        model: config.model,
                        sandbox: config.sandbox_mode,
                        cwd: config.cwd,
                        add_dirs: config.additional_writable_roots,
                        ephemeral: config.ephemeral,
                    },
                    expected,
                    "{argv:?}"
                );
            }
        }
    }

    #[test]
    fn exec_never_asks_and_the_interactive_ui_takes_dash_a() {
        let home = tempfile::tempdir().unwrap();
        let home_dir = home.path().display().to_string();
        let env = move |name: &str| (name == "DUET_HOME").then(|| home_dir.clone());
        let policy = |argv: &[&str]| {
            let (args, front_end) = flags_of(argv);
            let front_end = match (front_end, argv.first()) {
                (FrontEnd::Tui { .. }, Some(&"-a")) => FrontEnd::Tui {
                    approval: Some(ApprovalPolicy::Untrusted),
                },
                (other, _) => other,
            };
            resolve_with_env(&args, front_end, &env)
                .unwrap()
                .config
                .approval_policy
        };
        assert_eq!(
            [
                policy(&["exec", "-c", "approval_policy=\"untrusted\"", "hi"]),
                policy(&["-a", "untrusted"]),
            ],
            [ApprovalPolicy::Never, ApprovalPolicy::Untrusted]
        );
    }

    #[test]
    fn a_bad_override_names_itself() {
        let args = SessionArgs {
            config: ConfigArgs {
                config_overrides: vec!["novalue".to_string()],
                ..ConfigArgs::default()
            },
            ..SessionArgs::default()
        };
        let error = resolve_with_env(&args, FrontEnd::Exec, &|_| None).unwrap_err();
        assert!(
            error.to_string().starts_with("invalid `-c novalue`: "),
            "{error}"
        );
    }
}
