//! The door for duet's own trusted helpers, which run unconfined.
//!
//! Use these only for programs duet itself decides to run with arguments it
//! controls: capturing the login shell's environment, `git` queries for the
//! environment context. **Model-issued commands must never come through
//! here**; they go through [`crate::spawn`] so that the sandbox policy applies.

use std::ffi::OsStr;

/// An unconfined tokio command for a trusted helper. It inherits duet's
/// environment and working directory unless the caller changes them.
pub fn host_command(program: impl AsRef<OsStr>) -> tokio::process::Command {
    #[allow(clippy::disallowed_methods)] // the documented door for trusted helpers
    tokio::process::Command::new(program)
}

/// The blocking twin of [`host_command`], for callers outside a runtime.
pub fn host_std_command(program: impl AsRef<OsStr>) -> std::process::Command {
    #[allow(clippy::disallowed_methods)] // the documented door for trusted helpers
    std::process::Command::new(program)
}
