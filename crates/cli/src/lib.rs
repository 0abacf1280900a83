//! The `duet` command line: parse, pick a front end, map the result to an
//! exit code.
//!
//! This crate is glue. It holds no behaviour of its own beyond dispatch: the
//! headless run is `duet-exec`, the session is `duet-core`. It builds a tokio
//! runtime only for commands that need one, so `duet --version` stays a
//! clap parse and a print.
//!
//! Exit codes: 0 success, 1 runtime error or failed turn, 2 usage error
//! (clap's), 130 interrupted.

// A front end prints: that is its job.
#![allow(clippy::print_stdout, clippy::print_stderr)]

mod args;
mod config_cmd;
mod exec_args;
mod execpolicy;
mod logging;
mod login;
mod mcp;
mod mcp_server;
mod models;
mod resume;
mod sandbox;
mod sessions;
mod settings;
mod table;
mod usage;

pub use args::{Cli, Command, SandboxCli, TuiArgs};
pub use settings::{ConfigArgs, FrontEnd, SessionArgs, resolve};

use clap::{CommandFactory, Parser};
use std::ffi::{OsStr, OsString};
use std::io::Write;
use std::path::Path;
use std::process::ExitCode;
use std::time::Duration;

/// The whole program. `src/main.rs` calls only this.
pub fn main() -> ExitCode {
    let argv: Vec<OsString> = std::env::args_os().collect();
    // `bwrap` runs the helper as `duet --duet-linux-sandbox …` (it cannot
    // set argv[0]); answer before anything else so it starts fast.
    if argv
        .get(1)
        .is_some_and(|first| first == duet_sandbox::HELPER_FLAG)
    {
        return sandbox::run_helper(&argv[1..]);
    }
    if let Some(code) = arg0_dispatch(argv.first().map(OsString::as_os_str), &argv) {
        return code;
    }
    if let Some(sandbox) = SandboxCli::parse_alone(&argv) {
        return sandbox::run_sandbox(sandbox);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout with 0; usage errors to stderr with 2.
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    let Cli {
        prompt,
        tui,
        command,
    } = cli;
    if let Some(command) = &command {
        let (name, takes) = match command {
            Command::Exec(_) => ("exec", Takes::Session),
            Command::Resume(_) => ("resume", Takes::Tui),
            Command::Fork(_) => ("fork", Takes::Tui),
            Command::Sandbox(_) => ("sandbox", Takes::Config),
            Command::Doctor(_) => ("doctor", Takes::Config),
            Command::Completion { .. } => ("completion", Takes::Nothing),
            Command::ApplyPatch { .. } => ("apply-patch", Takes::Nothing),
            Command::Execpolicy(_) => ("execpolicy", Takes::Nothing),
            Command::Sessions(_) => ("sessions", Takes::Nothing),
            Command::Usage(_) => ("usage", Takes::Nothing),
            Command::Config(_) => ("config", Takes::Nothing),
            Command::Login(_) => ("login", Takes::Nothing),
            Command::Logout(_) => ("logout", Takes::Nothing),
            Command::Models(_) => ("models", Takes::Session),
            Command::Mcp(_) => ("mcp", Takes::Nothing),
            Command::McpServer(_) => ("mcp-server", Takes::Session),
        };
        if let Err(code) = take_only(&tui, prompt.as_deref(), name, takes) {
            return code;
        }
    }
    match command {
        None => run_tui(prompt, tui, None),
        Some(Command::Exec(exec)) => match exec_options(*exec, tui.session) {
            Ok(options) => run_exec(options),
            Err(code) => code,
        },
        Some(Command::Resume(resume)) => match resume::resume_target(&resume.choice) {
            Ok(thread_id) => run_tui(None, tui.then(resume.tui), Some(thread_id)),
            Err(code) => code,
        },
        Some(Command::Fork(fork)) => match resume::fork_target(&fork) {
            Ok(thread_id) => run_tui(None, tui.then(fork.tui), Some(thread_id)),
            Err(code) => code,
        },
        Some(Command::Sandbox(mut sandbox)) => {
            sandbox.config = tui.session.config.then(sandbox.config);
            sandbox::run_sandbox(sandbox)
        }
        Some(Command::Doctor(mut args)) => {
            args.config = tui.session.config.then(args.config);
            sandbox::run_doctor(args)
        }
        Some(Command::Completion { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "duet", &mut script);
            // A closed stdout is the reader's choice, not an error.
            let _ = std::io::stdout().lock().write_all(&script);
            ExitCode::SUCCESS
        }
        Some(Command::ApplyPatch { patch }) => run_apply_patch(patch.into_iter().collect()),
        Some(Command::Execpolicy(command)) => execpolicy::run(command),
        Some(Command::Sessions(command)) => sessions::run(command),
        Some(Command::Usage(cli)) => usage::run(cli),
        Some(Command::Config(command)) => config_cmd::run(command),
        Some(Command::Login(cli)) => login::run_login(cli),
        Some(Command::Logout(cli)) => login::run_logout(cli),
        Some(Command::Mcp(command)) => mcp::run(command),
        Some(Command::McpServer(mut cli)) => {
            cli.session = tui.session.then(cli.session);
            mcp_server::run(cli)
        }
        Some(Command::Models(mut cli)) => {
            cli.session = tui.session.then(cli.session);
            models::run(cli)
        }
    }
}

/// Which of the flags given before a subcommand it takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Takes {
    /// The interactive UI's: all of them.
    Tui,
    /// A session's: all but the interactive UI's own (`duet exec`).
    Session,
    /// The configuration's only (`duet sandbox`, `duet doctor`).
    Config,
    /// None.
    Nothing,
}

/// Refuse, as a usage error (exit 2), flags or a prompt given before
/// `subcommand` that it does not take: they would otherwise be ignored
/// without a word.
fn take_only(
    before: &TuiArgs,
    prompt: Option<&str>,
    subcommand: &str,
    takes: Takes,
) -> Result<(), ExitCode> {
    let mut refused = Vec::new();
    if takes != Takes::Tui {
        refused.extend(before.given_tui_flags());
    }
    if matches!(takes, Takes::Config | Takes::Nothing) {
        refused.extend(before.session.given_session_flags());
    }
    if takes == Takes::Nothing {
        refused.extend(before.session.config.given());
    }
    let mut problems: Vec<String> = refused.iter().map(|flag| format!("`{flag}`")).collect();
    if prompt.is_some() {
        problems.push("a prompt".to_string());
    }
    if problems.is_empty() {
        return Ok(());
    }
    eprintln!(
        "error: `duet {subcommand}` does not take {} given before it; drop {}, or see `duet {subcommand} --help`",
        problems.join(", "),
        if problems.len() == 1 { "it" } else { "them" }
    );
    Err(ExitCode::from(2))
}

/// `duet exec`'s options: the flags of every level merged and resolved.
fn exec_options(
    exec: exec_args::ExecCli,
    before: SessionArgs,
) -> Result<duet_exec::ExecOptions, ExitCode> {
    let fail = |message: String| {
        eprintln!("error: {message}");
        ExitCode::from(1)
    };
    let (flags, mode, prompt) = exec.session(before).map_err(fail)?;
    let mut settings = resolve(&flags, FrontEnd::Exec).map_err(|error| fail(error.to_string()))?;
    logging::start(&mut settings);
    Ok(duet_exec::ExecOptions {
        config: settings.config,
        warnings: settings.warnings,
        mode,
        prompt,
        images: flags.images,
        json: exec.json,
        output_last_message: exec.output_last_message,
        output_schema: exec.output_schema,
        skip_git_repo_check: exec.skip_git_repo_check,
        color: exec.color.into(),
    })
}

/// Run `duet exec` on a single-threaded runtime: one turn needs no more, and
/// it starts faster and smaller than the multi-threaded one.
fn run_exec(options: duet_exec::ExecOptions) -> ExitCode {
    let runtime = match current_thread_runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let code = runtime.block_on(async {
        if let Err(message) = duet_core::diagnose::check_local_server(&options.config).await {
            eprintln!("error: {message}");
            return ExitCode::from(1);
        }
        duet_exec::run(options).await
    });
    // Do not let a stuck blocking task hold the exit.
    runtime.shutdown_timeout(Duration::from_millis(500));
    code
}

/// A single-threaded tokio runtime, or (said on stderr) exit code 1.
pub(crate) fn current_thread_runtime() -> Result<tokio::runtime::Runtime, ExitCode> {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|error| {
            eprintln!("error: cannot start the async runtime: {error}");
            ExitCode::from(1)
        })
}

/// The interactive TUI (on `resume`, a stored thread); on the way out,
/// the usage and how to resume.
fn run_tui(prompt: Option<String>, args: TuiArgs, resume: Option<String>) -> ExitCode {
    if let Err(error) = duet_tui::check_terminal() {
        eprintln!("error: {error:#}");
        return ExitCode::from(1);
    }
    let front_end = FrontEnd::Tui {
        approval: args.approval.map(Into::into),
    };
    let mut settings = match resolve(&args.session, front_end) {
        Ok(settings) => settings,
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(1);
        }
    };
    logging::start(&mut settings);
    let ephemeral = settings.config.ephemeral;
    let options = duet_tui::TuiOptions {
        config: settings.config,
        warnings: settings.warnings,
        prompt,
        images: args.session.images,
        alt_screen: args.alt_screen,
        resume,
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    if let Err(message) = runtime.block_on(duet_core::diagnose::check_local_server(&options.config))
    {
        eprintln!("error: {message}");
        return ExitCode::from(1);
    }
    let result = runtime.block_on(duet_tui::run(options));
    runtime.shutdown_timeout(Duration::from_millis(500));
    match result {
        Ok(exit) => {
            let usage = exit.usage;
            if usage.input_tokens + usage.output_tokens > 0 {
                println!(
                    "Token usage: total={} input={} (+ {} cached) output={}",
                    usage.blended_total(),
                    usage.input_tokens.saturating_sub(usage.cached_input_tokens),
                    usage.cached_input_tokens,
                    usage.output_tokens
                );
            }
            // An ephemeral session was not saved: there is nothing to resume.
            if let Some(thread_id) = exit.thread_id.filter(|_| !ephemeral) {
                println!("To continue this session, run duet resume {thread_id}");
            }
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("error: {error:#}");
            ExitCode::from(1)
        }
    }
}

/// `apply_patch ARGS` / `duet apply-patch [PATCH]`: the V4A tool against the
/// current directory, with the reference's streams and exit codes.
fn run_apply_patch(args: Vec<OsString>) -> ExitCode {
    let cwd = match std::env::current_dir() {
        Ok(cwd) => cwd,
        Err(error) => {
            eprintln!(
                "error: cannot read the current directory: {error}; `cd` into an existing one"
            );
            return ExitCode::from(1);
        }
    };
    let code = duet_apply_patch::run_standalone(
        &args,
        &mut std::io::stdin().lock(),
        &mut std::io::stdout().lock(),
        &mut std::io::stderr().lock(),
        &cwd,
    );
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}

/// Programs that `duet` will also be when invoked under another name
/// (a hard link or symlink), as the reference does for its helpers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Arg0Role {
    /// `apply_patch`: the V4A patch tool.
    ApplyPatch,
    /// `duet-linux-sandbox`: the sandbox helper.
    LinuxSandbox,
}

impl Arg0Role {
    /// The role for the file name of `argv[0]`, if it names one.
    pub fn from_arg0(arg0: &OsStr) -> Option<Self> {
        match Path::new(arg0).file_name()?.to_str()? {
            "apply_patch" | "applypatch" => Some(Arg0Role::ApplyPatch),
            "duet-linux-sandbox" => Some(Arg0Role::LinuxSandbox),
            _ => None,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Arg0Role::ApplyPatch => "apply_patch",
            Arg0Role::LinuxSandbox => "duet-linux-sandbox",
        }
    }
}

/// Run the program named by `argv[0]` if it is not `duet`; `None` means
/// carry on as `duet`. `argv` is the whole command line.
fn arg0_dispatch(arg0: Option<&OsStr>, argv: &[OsString]) -> Option<ExitCode> {
    let role = Arg0Role::from_arg0(arg0?)?;
    let rest = argv.get(1..).unwrap_or_default();
    Some(match role {
        // No clap: every argument is patch text, `--help` included.
        Arg0Role::ApplyPatch => run_apply_patch(rest.to_vec()),
        Arg0Role::LinuxSandbox => sandbox::run_helper(rest),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn arg0_roles_come_from_the_file_name() {
        let got: Vec<Option<Arg0Role>> = [
            "/usr/local/bin/apply_patch",
            "applypatch",
            "/home/u/.duet/tmp/duet-linux-sandbox",
            "/usr/bin/duet",
            "apply_patch.sh",
        ]
        .into_iter()
        .map(|arg0| Arg0Role::from_arg0(OsStr::new(arg0)))
        .collect();
        assert_eq!(
            got,
            [
                Some(Arg0Role::ApplyPatch),
                Some(Arg0Role::ApplyPatch),
                Some(Arg0Role::LinuxSandbox),
                None,
                None
            ]
        );
    }

    #[test]
    fn duet_itself_is_not_dispatched() {
        assert_eq!(
            arg0_dispatch(Some(OsStr::new("target/debug/duet")), &[]),
            None
        );
        assert_eq!(arg0_dispatch(None, &[]), None);
    }
}
