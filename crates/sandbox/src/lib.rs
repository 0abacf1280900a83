//! The only place duet starts processes.
//!
//! [`spawn`] turns a [`CommandSpec`] and a [`SandboxPolicy`] into a running,
//! confined child in its own process group; if the policy cannot be enforced
//! on this host the command is not started ([`SandboxError::Unenforceable`]).
//! [`host_command`] is the one door for duet's own trusted helpers (reading
//! the login environment, `git`), documented as unconfined.
//!
//! This crate knows nothing of execpolicy rules, approvals or the model.

mod env;
mod policy;

pub use env::{EnvironmentVariablePattern, ShellEnvironmentPolicy, ShellEnvironmentPolicyInherit};
pub use policy::SandboxPolicy;

/// STUB
#[derive(Debug, thiserror::Error)]
pub enum SandboxError {
    #[error("the `{mode}` sandbox cannot be enforced: {reason}")]
    Unenforceable {
        mode: duet_protocol::SandboxMode,
        reason: String,
    },
}
