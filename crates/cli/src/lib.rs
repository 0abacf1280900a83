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
mod execpolicy;
mod resume;
mod sandbox;
mod sessions;

pub use args::{Cli, Command, SandboxCli};

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
    let tui_options = duet_tui::TuiOptions {
        prompt: cli.prompt.clone(),
        model: cli.model.clone(),
        sandbox: cli.sandbox.map(Into::into),
        approval: cli.approval.map(Into::into),
        alt_screen: cli.alt_screen,
        cwd: cli.cwd.clone(),
        config_overrides: cli.config_overrides.clone(),
        resume: None,
        profile: cli.profile.clone(),
        images: cli.images.clone(),
        add_dirs: cli.add_dirs.clone(),
        ephemeral: cli.ephemeral,
        strict_config: cli.strict_config,
    };
    match cli.command {
        None => run_tui(tui_options),
        Some(Command::Completion { shell }) => {
            let mut script = Vec::new();
            clap_complete::generate(shell, &mut Cli::command(), "duet", &mut script);
            // A closed stdout is the reader's choice, not an error.
            let _ = std::io::stdout().lock().write_all(&script);
            ExitCode::SUCCESS
        }
        Some(Command::ApplyPatch { patch }) => run_apply_patch(patch.into_iter().collect()),
        Some(Command::Execpolicy(command)) => execpolicy::run(command),
        Some(Command::Sandbox(mut sandbox)) => {
            sandbox.config_overrides.splice(0..0, cli.config_overrides);
            sandbox::run_sandbox(sandbox)
        }
        Some(Command::Doctor(args)) => sandbox::run_doctor(&cli.config_overrides, args),
        Some(Command::Sessions(command)) => sessions::run(command),
        Some(Command::Config(command)) => config_cmd::run(command),
        Some(Command::Resume(choice)) => match resume::resume_target(&choice) {
            Ok(thread_id) => run_tui(duet_tui::TuiOptions {
                resume: Some(thread_id),
                ..tui_options
            }),
            Err(code) => code,
        },
        Some(Command::Fork(fork)) => match resume::fork_target(&fork) {
            Ok(thread_id) => run_tui(duet_tui::TuiOptions {
                resume: Some(thread_id),
                ..tui_options
            }),
            Err(code) => code,
        },
        Some(Command::Exec(mut exec)) => {
            // `duet -c k=v exec …`: top-level overrides apply first, so the
            // subcommand's own `-c` wins on the same key.
            exec.config_overrides.splice(0..0, cli.config_overrides);
            // The shared flags given before `exec` count too; the
            // subcommand's own win.
            exec.profile = exec.profile.or(cli.profile);
            exec.images.splice(0..0, cli.images);
            exec.add_dirs.splice(0..0, cli.add_dirs);
            exec.ephemeral |= cli.ephemeral;
            exec.strict_config |= cli.strict_config;
            run_exec(*exec)
        }
    }
}

/// Run `duet exec` on a single-threaded runtime: one turn needs no more, and
/// it starts faster and smaller than the multi-threaded one.
fn run_exec(exec: duet_exec::ExecCli) -> ExitCode {
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            eprintln!("error: cannot start the async runtime: {error}");
            return ExitCode::from(1);
        }
    };
    let code = runtime.block_on(duet_exec::run(exec));
    // Do not let a stuck blocking task hold the exit.
    runtime.shutdown_timeout(Duration::from_millis(500));
    code
}

/// The interactive TUI; on the way out, the usage and how to resume.
fn run_tui(options: duet_tui::TuiOptions) -> ExitCode {
    let ephemeral = options.ephemeral;
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
