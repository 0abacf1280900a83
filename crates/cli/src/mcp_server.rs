//! `duet mcp-server`: the flags, and how a call's settings become a
//! configuration (the server itself is `duet-mcp-server`).

use crate::settings::{FrontEnd, SandboxArg, SessionArgs, resolve};
use clap::{Args, ValueEnum};
use duet_mcp_server::CallSettings;
use duet_protocol::ApprovalPolicy;
use std::process::ExitCode;

/// `duet mcp-server [flags]`: the flags are the defaults of every thread;
/// a call's own settings win over them.
#[derive(Debug, Clone, Default, PartialEq, Eq, Args)]
pub struct McpServerCli {
    #[command(flatten)]
    pub session: SessionArgs,
}

pub fn run(cli: McpServerCli) -> ExitCode {
    let base = cli.session;
    // The log and the configuration's warnings, once, for the server.
    match resolve(&base, FrontEnd::Tui { approval: None }) {
        Ok(mut settings) => crate::logging::start(&mut settings),
        Err(error) => {
            eprintln!("error: {error}");
            return ExitCode::from(1);
        }
    }
    let runtime = match crate::current_thread_runtime() {
        Ok(runtime) => runtime,
        Err(code) => return code,
    };
    let resolver = move |call: &CallSettings| settings_for(&base, call);
    let served = runtime.block_on(duet_mcp_server::serve(Box::new(resolver)));
    runtime.shutdown_timeout(std::time::Duration::from_millis(500));
    match served {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

/// The configuration of one call: the server's flags, then the call's.
fn settings_for(
    base: &SessionArgs,
    call: &CallSettings,
) -> Result<(duet_core::config::Config, Vec<String>), String> {
    let mut args = base.clone();
    if let Some(cwd) = &call.cwd {
        args.config.cwd = Some(cwd.clone());
    }
    if let Some(model) = &call.model {
        args.model = Some(model.clone());
    }
    if let Some(profile) = &call.profile {
        args.config.profile = Some(profile.clone());
    }
    if let Some(sandbox) = &call.sandbox {
        args.config.sandbox = Some(SandboxArg::from_str(sandbox, false).map_err(|_| {
            format!(
                "`sandbox` is `{sandbox}`: give `read-only`, `workspace-write` or `danger-full-access`"
            )
        })?);
    }
    let approval = call
        .approval_policy
        .as_deref()
        .map(|policy| {
            serde_json::from_value::<ApprovalPolicy>(serde_json::Value::String(policy.to_string()))
                .map_err(|_| {
                    format!(
                        "`approval-policy` is `{policy}`: give `untrusted`, `on-failure`, `on-request` or `never`"
                    )
                })
        })
        .transpose()?;
    args.config
        .config_overrides
        .extend(call.overrides.iter().cloned());
    let settings = resolve(&args, FrontEnd::Tui { approval }).map_err(|error| error.to_string())?;
    Ok((settings.config, settings.warnings))
}
