//! Starting a model-issued command under a [`SandboxPolicy`].
//!
//! [`spawn`] is the single entry point; [`build_command`] is where each
//! enforcement backend turns the spec into a `Command`. Only
//! `danger-full-access` exists today; the other modes fail closed.

use crate::child::SandboxedChild;
use crate::{SandboxError, SandboxPolicy};
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;

/// Everything needed to start one command. Nothing is inherited from duet's
/// own process: the child gets exactly `env`, runs in `cwd`, and its stdout
/// and stderr are always piped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandSpec {
    pub program: PathBuf,
    pub args: Vec<String>,
    pub cwd: PathBuf,
    /// The complete environment of the child.
    pub env: HashMap<String, String>,
    pub stdin: StdinMode,
}

/// What the child reads on stdin.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum StdinMode {
    /// `/dev/null`: the child sees end of file at once.
    #[default]
    Null,
    /// A pipe the caller writes to through [`SandboxedChild::stdin`].
    Piped,
}

/// Start `spec` confined by `policy`, in a new process group, with stdout and
/// stderr piped.
///
/// Fails with [`SandboxError::Unenforceable`] when the policy cannot be
/// enforced; in that case no process was started.
pub fn spawn(spec: &CommandSpec, policy: &SandboxPolicy) -> Result<SandboxedChild, SandboxError> {
    let mut command = build_command(spec, policy)?;
    let child = command.spawn().map_err(|source| SandboxError::Spawn {
        program: spec.program.clone(),
        cwd: spec.cwd.clone(),
        source,
    })?;
    Ok(SandboxedChild::new(child))
}

/// Turn a spec into a ready-to-spawn command for the policy's backend.
///
/// Later backends (bubblewrap, Landlock with seccomp) wrap `spec` here, e.g.
/// by prefixing the launcher program; the common settings are applied by
/// [`plain_command`] whichever program ends up being run.
fn build_command(
    spec: &CommandSpec,
    policy: &SandboxPolicy,
) -> Result<tokio::process::Command, SandboxError> {
    match policy {
        SandboxPolicy::DangerFullAccess => Ok(plain_command(spec)),
        SandboxPolicy::ReadOnly | SandboxPolicy::WorkspaceWrite { .. } => {
            Err(SandboxError::Unenforceable {
                mode: policy.mode(),
                reason: "bubblewrap and Landlock enforcement are still being built".to_string(),
            })
        }
    }
}

/// The spec as an unconfined command: exact environment, own process group,
/// piped output, killed when dropped.
fn plain_command(spec: &CommandSpec) -> tokio::process::Command {
    #[allow(clippy::disallowed_methods)] // this crate is the one allowed spawn site
    let mut command = tokio::process::Command::new(&spec.program);
    command
        .args(&spec.args)
        .current_dir(&spec.cwd)
        .env_clear()
        .envs(&spec.env)
        .stdin(match spec.stdin {
            StdinMode::Null => Stdio::null(),
            StdinMode::Piped => Stdio::piped(),
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .kill_on_drop(true);
    command
}

#[cfg(test)]
mod tests {
    use super::*;
    use duet_protocol::SandboxMode;
    use pretty_assertions::assert_eq;

    fn spec() -> CommandSpec {
        CommandSpec {
            program: PathBuf::from("/bin/true"),
            args: Vec::new(),
            cwd: PathBuf::from("/"),
            env: HashMap::new(),
            stdin: StdinMode::Null,
        }
    }

    #[test]
    fn read_only_is_unenforceable_with_a_message_naming_the_way_out() {
        let error = build_command(&spec(), &SandboxPolicy::ReadOnly).expect_err("must fail closed");
        assert_eq!(
            error.to_string(),
            "the `read-only` sandbox is not available in this build of duet yet (bubblewrap and \
             Landlock enforcement are still being built), so the command was not run; rerun with \
             `--sandbox danger-full-access` to run commands without confinement"
        );
        assert!(matches!(
            error,
            SandboxError::Unenforceable {
                mode: SandboxMode::ReadOnly,
                ..
            }
        ));
    }
}
