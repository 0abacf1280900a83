//! Model-issued shell commands: the `exec_command` and `write_stdin` tools
//! ("unified exec" in the reference).
//!
//! [`ProcessManager`] runs each command as `<shell> -c <cmd>` through
//! `duet_sandbox::spawn`, returns after the command exits or its yield time
//! passes, and keeps commands still running for `write_stdin`.
//! [`ExecOutput::to_model_text`] formats a result exactly as the reference
//! does. [`capture_login_env`] reads the login shell's environment once, so
//! that a command costs one plain spawn instead of a `bash -lc` each time.
//! [`ExecCommandArgs`] and [`WriteStdinArgs`] parse the tools' arguments.
//!
//! This module does not choose the sandbox policy, ask for approval, filter
//! the environment (that is `ShellEnvironmentPolicy::apply`), emit events or
//! allocate a terminal: `tty` is accepted and ignored, output comes through
//! pipes.

mod args;
mod buffer;
mod child;
mod login_env;
mod manager;
mod output;

pub(crate) use args::{ExecCommandArgs, SandboxPermissions, WriteStdinArgs};
pub(crate) use login_env::capture_login_env;
pub(crate) use manager::ProcessManager;
pub(crate) use output::{ExecOutput, head_and_tail};

use duet_sandbox::{Sandbox, SandboxError};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

/// Receives each raw chunk of a command's output as it arrives (stdout and
/// stderr alike), e.g. to stream it to the UI. Called from a background task;
/// keep it quick.
pub(crate) type OutputSink = Arc<dyn Fn(&[u8]) + Send + Sync>;

/// A command to start, fully resolved by the caller.
#[derive(Debug, Clone)]
pub(crate) struct ExecRequest {
    /// The `cmd` string, given to the shell as one argument.
    pub command: String,
    /// Absolute working directory.
    pub workdir: PathBuf,
    /// The shell, e.g. `/bin/bash`.
    pub shell: PathBuf,
    /// Run `<shell> -lc` (sources the profile on every call, about 100 ms)
    /// instead of `<shell> -c`. Leave it false when `env` is already the
    /// captured login environment ([`capture_login_env`]); set it only when
    /// the model asked for a login shell and capture failed.
    pub login: bool,
    /// How long to wait before returning a still-running command.
    pub yield_time: Duration,
    /// How the command is confined.
    pub sandbox: Sandbox,
    /// The child's complete environment, already filtered.
    pub env: Arc<HashMap<String, String>>,
}

/// Why a call produced no output. Each message is meant for the model as the
/// tool's output, not as a crash.
#[derive(Debug, thiserror::Error)]
pub(crate) enum ExecError {
    /// The sandbox refused or failed to start the command.
    #[error(transparent)]
    Sandbox(#[from] SandboxError),
    #[error(
        "no running command has session ID {session_id}; it may have exited already (its final \
         output was returned by the call that saw it exit); start it again with `exec_command`"
    )]
    UnknownSession { session_id: i32 },
    /// The turn was interrupted; the command's process group was killed.
    #[error("the command was interrupted by the user and killed; rerun it if it is still needed")]
    Cancelled,
    /// Capturing the login environment failed; the caller should use the base
    /// environment and warn with this message.
    #[error(
        "could not read the login environment of `{}`: {reason}; commands run with duet's own \
         environment instead, so tools set up by the shell profile may be missing",
        shell.display()
    )]
    LoginEnvironment { shell: PathBuf, reason: String },
}

#[cfg(test)]
mod tests;
