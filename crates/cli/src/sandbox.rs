//! `duet sandbox`, `duet doctor`, and the `duet-linux-sandbox` helper role.
//!
//! `duet sandbox` resolves the configuration exactly as `duet exec` does
//! (file, profile, `-c`, `-s`, `--add-dir`, `-C`), filters the environment
//! with `[shell_environment_policy]`, and runs the command on this terminal
//! under `Config::sandbox_policy` with the configured backend. `duet doctor`
//! probes each Linux backend afresh (no cache) and says which works and how
//! to fix the others.

use crate::args::{DoctorArgs, SandboxCli};
use crate::settings::{FrontEnd, ResolveError, SessionArgs, resolve};
use duet_core::diagnose::ProviderCheck;
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
    let args = SessionArgs {
        config: cli.config,
        ..SessionArgs::default()
    };
    let loaded = resolve(&args, FrontEnd::Tool).map_err(|error| error.to_string())?;
    for warning in &loaded.warnings {
        eprintln!("warning: {warning}");
    }
    let config = loaded.config;

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
    config
        .sandbox()
        .exec_attached(&spec)
        .map_err(|error| error.to_string())
}

/// `duet doctor`: 0 when the configuration loads and commands can run as
/// it asks (a backend that enforces its sandbox works here, or the mode is
/// `danger-full-access`), else 1. `args` holds the config flags given
/// before `doctor` and after it.
pub fn run_doctor(args: DoctorArgs) -> ExitCode {
    let env = |name: &str| std::env::var(name).ok();
    let session = SessionArgs {
        config: args.config.clone(),
        ..SessionArgs::default()
    };
    // A configuration that does not load is a finding, said as is.
    let loaded = resolve(&session, FrontEnd::Tool).map_err(|error| match error {
        ResolveError::Load(error) => error.to_string(),
        other => other.to_string(),
    });
    let (config, config_error, warnings) = match loaded {
        Ok(loaded) => (Some(loaded.config), None, loaded.warnings),
        Err(error) => (None, Some(error), Vec::new()),
    };

    let state_dir = config.as_ref().map(|config| config.duet_home.join("tmp"));
    let reports = duet_sandbox::probe_backends(state_dir.as_deref());
    let auto = duet_sandbox::choose(
        &duet_sandbox::SandboxPolicy::ReadOnly,
        BackendPreference::Auto,
        reports,
    )
    .ok();
    let preference = config
        .as_ref()
        .map_or(BackendPreference::Auto, |config| config.sandbox_backend);
    let policy = config
        .as_ref()
        .map_or(duet_sandbox::SandboxPolicy::ReadOnly, |config| {
            config.sandbox_policy()
        });
    let full_access = policy == duet_sandbox::SandboxPolicy::DangerFullAccess;
    let selected = duet_sandbox::choose(&policy, preference, reports);
    let limits = match &selected {
        Ok(backend) if !full_access => duet_sandbox::limits(*backend),
        _ => Vec::new(),
    };
    let provider = config
        .as_ref()
        .map(|config| duet_core::diagnose::provider_report(config, &env));
    let check = match (&config, &provider) {
        (_, _) if args.offline => Some(ProviderCheck::NotChecked {
            reason: "`--offline`".to_string(),
        }),
        (Some(config), Some(report)) => Some(match &report.key_problem {
            Some(_) => ProviderCheck::NotChecked {
                reason: "no key (see above)".to_string(),
            },
            None => check_provider(config, &env),
        }),
        _ => None,
    };
    let ok = config_error.is_none() && (full_access || selected.is_ok());

    if args.json {
        let value = serde_json::json!({
            "backends": reports,
            "auto": auto.map(|backend| backend.name()),
            "config": {
                "ok": config_error.is_none(),
                "error": config_error,
                "warnings": warnings,
            },
            "sandbox_mode": policy.mode().as_str(),
            "configured_backend": preference.name(),
            "selected": match &selected {
                _ if full_access => serde_json::Value::Null,
                Ok(backend) => serde_json::json!({"backend": backend.name()}),
                Err(error) => serde_json::json!({"error": error.to_string()}),
            },
            "limits": limits,
            "provider": provider,
            "provider_check": check,
        });
        println!("{value}");
    } else {
        match &config_error {
            None => println!("config: loads"),
            Some(error) => println!("config: does not load: {error}"),
        }
        for warning in &warnings {
            println!("  warning: {warning}");
        }
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
        let mode = policy.mode();
        match &selected {
            _ if full_access => {
                println!("sandbox: `{mode}`: commands run without confinement (no backend is used)")
            }
            Ok(backend) => {
                println!(
                    "sandbox: `{mode}` commands will run under {} (`sandbox_backend = \"{}\"`)",
                    backend.name(),
                    preference.name()
                );
                for limit in &limits {
                    println!("  {}: {limit}", backend.name());
                }
            }
            Err(error) => println!("sandbox: {error}"),
        }
        if let Some(report) = &provider {
            println!(
                "provider: {} ({}) at {} ({} wire), model `{}`",
                report.id, report.name, report.base_url, report.wire_api, report.model
            );
            match (&report.key_from, &report.key_problem) {
                (_, Some(problem)) => println!("  key: {problem}"),
                (Some(var), None) => println!("  key: from `{var}`"),
                (None, None) => println!("  key: none sent (the provider has no `env_key`)"),
            }
        }
        if let Some(check) = &check {
            println!("  {}", describe_check(check));
        }
    }
    if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Ask the provider, on a runtime of its own (the rest of `doctor` is
/// synchronous).
fn check_provider(
    config: &duet_core::config::Config,
    env: &dyn Fn(&str) -> Option<String>,
) -> ProviderCheck {
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime.block_on(duet_core::diagnose::check_provider(config, env)),
        Err(error) => ProviderCheck::NotChecked {
            reason: format!("cannot start the network runtime: {error}"),
        },
    }
}

fn describe_check(check: &ProviderCheck) -> String {
    match check {
        ProviderCheck::Answers { url, http_status } => {
            format!("answers: `GET {url}` gave {http_status}")
        }
        ProviderCheck::KeyRefused { url, http_status } => {
            format!("the key was refused: `GET {url}` gave {http_status}; check the key's variable")
        }
        ProviderCheck::Error { url, http_status } => format!(
            "answers with an error: `GET {url}` gave {http_status} (some servers have no \
             `/models`; a session may still work)"
        ),
        ProviderCheck::Unreachable { url, detail } => {
            format!("does not answer: `GET {url}`: {detail}; check `base_url` and the network")
        }
        ProviderCheck::NotChecked { reason } => format!("not asked: {reason}"),
    }
}

fn exit_code(code: i32) -> ExitCode {
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
