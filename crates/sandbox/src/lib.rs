//! The only place duet starts processes, and the sandbox every model command
//! runs in.
//!
//! A [`Sandbox`] (a [`SandboxPolicy`], the backend choice, the state
//! directory and the helper program) turns a [`CommandSpec`] into a running,
//! confined child in its own process group ([`Sandbox::spawn`],
//! [`SandboxedChild`]); if the policy cannot be enforced on this host the
//! command is not started ([`SandboxError::Unenforceable`], naming why for
//! each backend). [`Sandbox::run_attached`] does the same on duet's own
//! terminal for `duet sandbox`. No setting is process-wide: every start is
//! told everything by its `Sandbox`. On Linux the backend is bubblewrap or
//! Landlock ([`Sandbox::backend`], [`probe_backends`]), each finished by the seccomp helper that duet runs
//! as `duet-linux-sandbox` ([`helper_main`]); on macOS it is Seatbelt
//! ([`seatbelt`]). [`host_command`] is the one door for duet's own trusted
//! helpers (reading the login environment, `git`), documented as
//! unconfined. [`ShellEnvironmentPolicy::apply`] decides which environment
//! variables a child sees.
//!
//! Tests of other crates that run confined commands need a helper program:
//! the running executable is used unless [`Sandbox::helper`] names
//! another (this crate's tests use its `duet-linux-sandbox` binary,
//! `env!("CARGO_BIN_EXE_duet-linux-sandbox")`).
//!
//! This crate knows nothing of execpolicy rules, approvals or the model, and it
//! does not read or collect a child's output: callers take the pipes.

mod backend;
#[cfg(target_os = "linux")]
mod bpf;
pub mod bwrap;
mod child;
#[cfg(target_os = "linux")]
mod entries;
mod env;
mod helper;
mod host;
#[cfg(target_os = "linux")]
pub mod landlock;
mod policy;
mod probe;
pub mod seatbelt;
#[cfg(target_os = "linux")]
pub mod seccomp;
mod spawn;
#[cfg(target_os = "linux")]
mod supervise;

pub use backend::{
    Availability, Backend, BackendPreference, BackendReport, choose, limits, probe, probe_backends,
};
pub use child::{ProcessGroup, SandboxedChild, exit_code};
pub use env::{
    EnvironmentVariablePattern, ShellEnvironmentPolicy, ShellEnvironmentPolicyInherit,
    looks_like_credential,
};
pub use helper::{
    EXIT_NOT_STARTED, EXIT_SETUP_FAILED, HELPER_ARG0, HELPER_FLAG, HelperPolicy, helper_main,
    parse_args as parse_helper_args, wait_status_code,
};
pub use host::{host_command, host_std_command};
pub use policy::{PROTECTED_FOLDERS, RootKind, SandboxPolicy, WritableRoot, nested_git_entries};
pub use spawn::{CommandSpec, Sandbox, StdinMode};

use duet_protocol::SandboxMode;
use std::path::PathBuf;

/// Why a command could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The policy asks for confinement this build or host cannot provide, so
    /// the command was deliberately not run. `reason` names the cause for
    /// each backend considered, with its fix.
    #[error(
        "cannot enforce the `{mode}` sandbox on this host ({reason}), so the command was not \
         run; fix the cause named here, or rerun with `--sandbox danger-full-access` to run \
         commands without confinement"
    )]
    Unenforceable { mode: SandboxMode, reason: String },
    /// The command line and environment are more than the kernel takes
    /// (`E2BIG`: one argument over 128 KiB, or all of them over the limit).
    #[error(
        "the command is too long to start ({bytes} bytes of arguments and environment; Linux \
         takes at most 128 KiB in one argument): write the script to a file and run the file"
    )]
    TooLong { bytes: usize },
    /// The operating system refused to start the program.
    #[error("could not start `{}` in `{}`: {source}; check that the program exists and the directory is accessible", program.display(), cwd.display())]
    Spawn {
        program: PathBuf,
        cwd: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
