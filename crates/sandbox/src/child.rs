//! A started command: its pipes, its exit, and killing its whole process group.
//!
//! `killpg` and `signal` are the FFI here, hence the local opt-out of the
//! workspace's `unsafe_code = "deny"`.
#![allow(unsafe_code)]

use crate::bwrap::ProtectedMounts;
use std::io;
use std::os::unix::process::ExitStatusExt;
use std::process::ExitStatus;
use tokio::process::{Child, ChildStderr, ChildStdin, ChildStdout};

/// A running command in its own process group (the group id is its pid).
///
/// Dropping it while the command has not been seen to exit kills the whole
/// group, so no grandchild outlives a forgotten command.
#[derive(Debug)]
pub struct SandboxedChild {
    /// Present when spawned with [`crate::StdinMode::Piped`]; take it to write.
    pub stdin: Option<ChildStdin>,
    /// Always present after spawn; take it to read.
    pub stdout: Option<ChildStdout>,
    /// Always present after spawn; take it to read.
    pub stderr: Option<ChildStderr>,
    child: Child,
    pid: u32,
    supervised: bool,
    exited: bool,
    /// Mount points made for this command (bubblewrap), released once it
    /// has exited or been killed.
    mounts: Option<ProtectedMounts>,
}

impl SandboxedChild {
    /// `supervised`: the child is the Landlock helper, which stops the
    /// command and everything it started when sent `SIGTERM`.
    pub(crate) fn new(mut child: Child, mounts: Option<ProtectedMounts>, supervised: bool) -> Self {
        let pid = child
            .id()
            .expect("a freshly spawned child has not been reaped, so it has a pid");
        Self {
            stdin: child.stdin.take(),
            stdout: child.stdout.take(),
            stderr: child.stderr.take(),
            child,
            pid,
            supervised,
            exited: false,
            mounts,
        }
    }

    /// The child's pid, which is also its process group id.
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Wait for the direct child to exit. Grandchildren may live on; see
    /// [`Self::kill_process_group`].
    pub async fn wait(&mut self) -> io::Result<ExitStatus> {
        let status = self.child.wait().await?;
        self.exited = true;
        self.mounts = None;
        Ok(status)
    }

    /// A handle that can kill the child's process group from anywhere,
    /// e.g. while another task owns this child and waits on it.
    pub fn process_group(&self) -> ProcessGroup {
        ProcessGroup {
            pgid: self.pid,
            supervised: self.supervised,
        }
    }

    /// Stop the command and every process it started, grandchildren
    /// included ([`ProcessGroup::kill`]). Errors (the group is already
    /// gone) are ignored.
    pub fn kill_process_group(&self) {
        self.process_group().kill();
    }

    /// Stop the command and everything it started, as
    /// [`Self::kill_process_group`] does, and wait up to `within` for the
    /// child to be gone, so that nothing of it outlives the caller's next
    /// step (a supervising helper exits once it has reaped the command).
    pub async fn stop(&mut self, within: std::time::Duration) {
        if self.exited {
            return;
        }
        self.kill_process_group();
        let _ = tokio::time::timeout(within, self.wait()).await;
    }
}

/// The process group of a [`SandboxedChild`], detached from it so that the
/// task waiting on the child and the one killing it can differ.
///
/// Killing after the whole group has exited and its id has been reused by an
/// unrelated group leader would signal that group: kill only groups you have
/// not yet seen finish, as an interrupt or shutdown does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ProcessGroup {
    pgid: u32,
    /// The leader is the Landlock helper, which supervises the command.
    supervised: bool,
}

impl ProcessGroup {
    /// The group id (the pid of the child that leads it).
    pub fn id(&self) -> u32 {
        self.pgid
    }

    /// Stop every process of the command: SIGKILL to the whole group, or,
    /// when the leader is the Landlock helper, SIGTERM to the helper alone,
    /// which then kills the command and everything it started (even what
    /// left the group) before it exits. Errors (already gone) are ignored.
    pub fn kill(&self) {
        let Ok(pgid) = libc::pid_t::try_from(self.pgid) else {
            return;
        };
        if pgid <= 0 {
            return;
        }
        // SAFETY: `kill` and `killpg` only read their two integer arguments
        // and have no memory-safety preconditions. `pgid` is positive
        // (checked above), so this never means "every process we may
        // signal", as 0 or less would.
        unsafe {
            if self.supervised {
                libc::kill(pgid, libc::SIGTERM);
            } else {
                libc::killpg(pgid, libc::SIGKILL);
            }
        }
    }
}

impl Drop for SandboxedChild {
    fn drop(&mut self) {
        if !self.exited {
            self.kill_process_group();
        }
        // `mounts` drops after the kill: the command is gone or going.
    }
}

/// Wait for `child` while SIGINT and SIGQUIT are ignored by this process
/// (the command, which shares the terminal, still gets them and decides),
/// then restore them.
pub(crate) fn wait_ignoring_interrupts(child: &mut std::process::Child) -> io::Result<ExitStatus> {
    // SAFETY: `signal` swaps dispositions; SIG_IGN runs no code of ours,
    // and the previous dispositions are restored as they were.
    let previous = unsafe {
        (
            libc::signal(libc::SIGINT, libc::SIG_IGN),
            libc::signal(libc::SIGQUIT, libc::SIG_IGN),
        )
    };
    let status = child.wait();
    // SAFETY: as above, restoring what `signal` returned.
    unsafe {
        libc::signal(libc::SIGINT, previous.0);
        libc::signal(libc::SIGQUIT, previous.1);
    }
    status
}

/// The shell-style exit code of a finished process: its own code, or 128 + N
/// when signal N killed it (-1 if the status carries neither).
pub fn exit_code(status: ExitStatus) -> i32 {
    match (status.code(), status.signal()) {
        (Some(code), _) => code,
        (None, Some(signal)) => 128 + signal,
        (None, None) => -1,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exit_code_maps_codes_and_signals() {
        // Raw wait statuses: exit code in the high byte, signal in the low bits.
        assert_eq!(exit_code(ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(exit_code(ExitStatus::from_raw(0)), 0);
        assert_eq!(exit_code(ExitStatus::from_raw(libc::SIGKILL)), 137);
        assert_eq!(exit_code(ExitStatus::from_raw(libc::SIGTERM)), 143);
    }
}
