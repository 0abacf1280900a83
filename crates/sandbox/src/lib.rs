//! The only place duet starts processes.
//!
//! [`spawn`] turns a [`CommandSpec`] and a [`SandboxPolicy`] into a running,
//! confined child in its own process group ([`SandboxedChild`]); if the policy
//! cannot be enforced on this host the command is not started
//! ([`SandboxError::Unenforceable`]). [`host_command`] is the one door for
//! duet's own trusted helpers (reading the login environment, `git`),
//! documented as unconfined. [`ShellEnvironmentPolicy::apply`] decides which
//! environment variables a child sees.
//!
//! This crate knows nothing of execpolicy rules, approvals or the model, and it
//! does not read or collect a child's output: callers take the pipes.

mod child;
mod env;
mod host;
mod policy;
pub mod seatbelt;
mod spawn;

pub use child::{ProcessGroup, SandboxedChild, exit_code};
pub use env::{EnvironmentVariablePattern, ShellEnvironmentPolicy, ShellEnvironmentPolicyInherit};
pub use host::{host_command, host_std_command};
pub use policy::SandboxPolicy;
pub use spawn::{CommandSpec, StdinMode, spawn};

use duet_protocol::SandboxMode;
use std::path::PathBuf;

/// Why a command could not be started.
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    /// The policy asks for confinement this build or host cannot provide, so
    /// the command was deliberately not run.
    #[error(
        "the `{mode}` sandbox is not available in this build of duet yet ({reason}), so the \
         command was not run; rerun with `--sandbox danger-full-access` to run commands without \
         confinement"
    )]
    Unenforceable { mode: SandboxMode, reason: String },
    /// The operating system refused to start the program.
    #[error("could not start `{}` in `{}`: {source}; check that the program exists and the directory is accessible", program.display(), cwd.display())]
    Spawn {
        program: PathBuf,
        cwd: PathBuf,
        #[source]
        source: std::io::Error,
    },
}
