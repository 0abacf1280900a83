//! What a confined command may touch.

use duet_protocol::SandboxMode;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SandboxPolicy {
    /// No confinement at all.
    DangerFullAccess,
    /// Read anything, write nothing, no network.
    ReadOnly,
    /// Read anything; write the cwd, `/tmp`, `$TMPDIR` and `writable_roots`
    /// (but not `.git`, `.duet` and `.agents` directly under them).
    WorkspaceWrite {
        writable_roots: Vec<PathBuf>,
        network_access: bool,
        exclude_tmpdir_env_var: bool,
        exclude_slash_tmp: bool,
    },
}

impl SandboxPolicy {
    pub fn mode(&self) -> SandboxMode {
        match self {
            SandboxPolicy::DangerFullAccess => SandboxMode::DangerFullAccess,
            SandboxPolicy::ReadOnly => SandboxMode::ReadOnly,
            SandboxPolicy::WorkspaceWrite { .. } => SandboxMode::WorkspaceWrite,
        }
    }
}
