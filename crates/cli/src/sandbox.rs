//! `duet sandbox`, `duet doctor`, and the `duet-linux-sandbox` helper role.
//!
//! `duet sandbox` resolves the configuration exactly as `duet exec` does
//! (file, profile, `-c`, `-s`, `--add-dir`, `-C`), filters the environment
//! with `[shell_environment_policy]`, and runs the command on this terminal
//! under `Config::sandbox_policy` with the configured backend. `duet doctor`
//! probes each Linux backend afresh (no cache) and says which works and how
//! to fix the others.

use crate::args::SandboxCli;
use duet_core::config::{ConfigOverrides, load_config, parse_cli_override};
use duet_sandbox::{Availability, BackendPreference, CommandSpec, StdinMode};
use std::ffi::OsString;
use std::path::PathBuf;
use std::process::ExitCode;

/// Run as `duet-linux-sandbox`: `args` are the arguments after argv[0].
pub fn run_helper(args: &[OsString]) -> ExitCode {
    exit_code(duet_sandbox::helper_main(args))
}

/// `duet sandbox`: the command's exit status (128+N for signal N), or 1
/// with the reason on stderr when it could not run.
pub fn run_sandbox(cli: SandboxCli) -> ExitCode {
    match sandbox_inner(cli) {
        Ok(code) => exit_code(code),
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

fn sandbox_inner(cli: SandboxCli) -> Result<i32, String> {
    let cli_overrides = cli
        .config_overrides
        .iter()
        .map(|raw| parse_cli_override(raw).map_err(|error| format!("invalid `-c {raw}`: {error}")))
        .collect::<Result<Vec<_>, _>>()?;
    let overrides = ConfigOverrides {
        cwd: cli.cwd,
        profile: cli.profile,
        sandbox_mode: cli.sandbox.map(Into::into),
        cli_overrides,
        additional_writable_roots: cli.add_dirs,
        ..ConfigOverrides::default()
    };
    let loaded = load_config(overrides, &|name| std::env::var(name).ok())
        .map_err(|error| format!("cannot load the configuration: {error}"))?;
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    let config = loaded.config;
    duet_sandbox::set_probe_cache_dir(config.duet_home.join("tmp"));

    let mut words = cli.command.into_iter().map(|word| {
        word.into_string()
            .map_err(|word| format!("the argument {word:?} is not UTF-8; duet passes text only"))
    });
    let program = words
        .next()
        .ok_or("no command given: `duet sandbox -- COMMAND`")??;
    let args = words.collect::<Result<Vec<_>, _>>()?;
    let spec = CommandSpec {
        program: PathBuf::from(program),
        args,
        cwd: config.cwd.clone(),
        env: config.shell_environment_policy.apply(std::env::vars()),
        stdin: StdinMode::Null,
    };
    // This process has nothing left to do but report the command's status,
    // so it may become the command (or `bwrap`) rather than wait for it.
    duet_sandbox::exec_attached(&spec, &config.sandbox_policy(), config.sandbox_backend)
        .map_err(|error| error.to_string())
}

/// `duet doctor [--json]`: 0 when at least one backend works, else 1.
pub fn run_doctor(json: bool) -> ExitCode {
    let reports = duet_sandbox::probe_backends();
    let auto = duet_sandbox::choose(
        &duet_sandbox::SandboxPolicy::ReadOnly,
        BackendPreference::Auto,
        reports,
    )
    .ok();
    if json {
        let value = serde_json::json!({
            "backends": reports,
            "auto": auto.map(|backend| backend.name()),
        });
        println!("{value}");
    } else {
        for report in reports {
            let name = report.backend.name();
            match &report.availability {
                Availability::Available { detail } => println!("{name}: works ({detail})"),
                Availability::Unavailable { reason, fix } => {
                    println!("{name}: does not work: {reason}");
                    println!("  fix: {fix}");
                }
            }
        }
        match auto {
            Some(backend) => println!(
                "commands will run under {} (set `sandbox_backend` to choose)",
                backend.name()
            ),
            None => println!(
                "no backend works here: sandboxed commands will not run; fix one above, or opt \
                 out with `--sandbox danger-full-access`"
            ),
        }
    }
    if auto.is_some() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
