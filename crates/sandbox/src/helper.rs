//! `duet-linux-sandbox`: the last step before a confined command runs.
//!
//! duet re-executes itself under this name (argv[0], or the hidden first
//! argument [`HELPER_FLAG`] where `bwrap` cannot set argv[0]) with the
//! policy as one compact JSON argument:
//!
//! ```text
//! duet-linux-sandbox [--duet-linux-sandbox] --policy '{"network_disabled":true,...}' -- CMD ARGS…
//! ```
//!
//! It first marks every inherited descriptor above stderr close-on-exec.
//! Under bubblewrap it then sets `PR_SET_NO_NEW_PRIVS`, drops capabilities,
//! installs the seccomp filter (`seccomp.rs`) and `exec`s the command
//! (bwrap's own init reaps and ends the pid namespace). Under Landlock there
//! is no pid namespace: it builds the rules and stays outside them as the
//! command's supervisor (`supervise.rs`), the command's own process
//! applying Landlock, the capability drop and seccomp before `exec`.
//!
//! Exit codes: the command's own; 128+N when signal N killed it; 127 when
//! the command could not be started (with a message); 125 when the
//! confinement itself could not be set up (nothing ran).
#![allow(unsafe_code)]

use crate::WritableRoot;
use serde::{Deserialize, Serialize};
use std::ffi::OsString;
use std::io::Write;

/// The program name the helper answers to.
pub const HELPER_ARG0: &str = "duet-linux-sandbox";
/// A first argument meaning "be the helper", for `bwrap` versions without
/// `--argv0`.
pub const HELPER_FLAG: &str = "--duet-linux-sandbox";

/// Exit code when the command could not be started.
pub const EXIT_NOT_STARTED: i32 = 127;
/// Exit code when the confinement could not be set up.
pub const EXIT_SETUP_FAILED: i32 = 125;

/// What the helper enforces, passed as JSON.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct HelperPolicy {
    pub network_disabled: bool,
    /// The writable roots, when the helper applies Landlock itself; `None`
    /// under bubblewrap, whose mounts already confine the filesystem.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub landlock: Option<Vec<WritableRoot>>,
    /// The pid of the duet process that starts the helper, when the helper
    /// must not outlive it (Landlock, where no pid namespace ends with
    /// duet): the helper asks for `SIGTERM` when its parent dies and
    /// checks that the parent is still this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_pid: Option<u32>,
    /// Paths kept read-only beyond those the helper finds itself: the
    /// nested `.git` entries duet has seen in this session
    /// ([`crate::nested_git_entries`]), so a command that edits
    /// `.gitmodules` cannot take one off the list.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub protected: Vec<std::path::PathBuf>,
    /// Existing files the command may not read (Landlock; see
    /// [`crate::landlock::read_grants`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub hidden: Vec<std::path::PathBuf>,
    /// Supervise without confining: a process the user configured (an
    /// MCP server) runs as it would outside duet, but it and everything it
    /// starts end with duet, as a confined command's do.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub unconfined: bool,
}

impl HelperPolicy {
    /// The helper's arguments (after argv[0]) for running `command`.
    pub fn to_args(&self, command: &[String]) -> Vec<String> {
        let json = serde_json::to_string(self).expect("the policy is plain data");
        let mut args = vec!["--policy".to_string(), json, "--".to_string()];
        args.extend(command.iter().cloned());
        args
    }
}

/// Parse the helper's arguments (after argv[0]) into the policy and the
/// command.
pub fn parse_args(args: &[OsString]) -> Result<(HelperPolicy, Vec<OsString>), String> {
    let mut rest = args;
    if rest.first().is_some_and(|first| first == HELPER_FLAG) {
        rest = &rest[1..];
    }
    let usage = "usage: duet-linux-sandbox --policy JSON -- COMMAND [ARGS…]";
    let [flag, json, separator, command @ ..] = rest else {
        return Err(usage.to_string());
    };
    if flag != "--policy" || separator != "--" || command.is_empty() {
        return Err(usage.to_string());
    }
    let json = json.to_str().ok_or("the policy is not UTF-8")?;
    let policy: HelperPolicy =
        serde_json::from_str(json).map_err(|error| format!("invalid policy: {error}"))?;
    Ok((policy, command.to_vec()))
}

/// Run as the helper: confine this process and run the command. Returns the
/// exit code only when the command was not `exec`ed in place.
pub fn helper_main(args: &[OsString]) -> i32 {
    let (policy, command) = match parse_args(args) {
        Ok(parsed) => parsed,
        Err(message) => return fail(EXIT_SETUP_FAILED, &message),
    };
    // The environment is this process's own, so the standard library's
    // `posix_spawnp` searches the right `PATH` already.
    run(&policy, &command, None, &|_| {})
}

/// Play the helper's part in this very process: supervise `command`, run
/// confined with exactly `env`, in `cwd`, as the helper would after being
/// `exec`ed. For a caller with nothing left to do but wait for the command
/// (`duet sandbox` under Landlock), this saves starting duet a second time.
/// The process stays outside the command's Landlock domain, but its signal
/// dispositions and descriptors are changed for good: it must end once
/// this returns the command's exit code.
#[cfg(target_os = "linux")]
pub(crate) fn run_in_this_process(
    policy: &HelperPolicy,
    command: &[OsString],
    env: &std::collections::HashMap<String, String>,
    cwd: &std::path::Path,
) -> i32 {
    let policy = HelperPolicy {
        parent_pid: None,
        ..policy.clone()
    };
    let path = env.get("PATH").map(String::as_str);
    run(&policy, command, path, &|process| {
        process.env_clear().envs(env).current_dir(cwd);
    })
}

/// How the command's process is set up beyond its argv (environment and
/// working directory when not inherited).
pub(crate) type Configure<'a> = &'a dyn Fn(&mut std::process::Command);

/// Confine and run `command`; `path` is the command's `PATH` when
/// `configure` replaces the environment.
///
/// Under bubblewrap this process confines itself and `exec`s the command.
/// Under Landlock it stays outside the sandbox as the command's supervisor
/// ([`supervise`]): the command's own process applies the rules between
/// `fork` and `exec`.
#[cfg(target_os = "linux")]
fn run(
    policy: &HelperPolicy,
    command: &[OsString],
    path: Option<&str>,
    configure: Configure<'_>,
) -> i32 {
    use crate::seccomp::{SeccompOptions, install};
    // Nothing duet (or whoever started duet) had open reaches the command:
    // a descriptor of a directory outside the mounts, or a socket, would be
    // a way around every rule.
    close_inherited_descriptors();
    if policy.unconfined {
        return crate::supervise::supervise(policy.parent_pid, command, path, configure, None);
    }
    let Some(roots) = &policy.landlock else {
        drop_capabilities(last_capability());
        if let Err(error) = install(SeccompOptions {
            network_disabled: policy.network_disabled,
            deny_truncate: false,
            deny_metadata_changes: false,
            notify_entries: false,
        }) {
            return fail(
                EXIT_SETUP_FAILED,
                &format!("could not install the seccomp filter ({error}), so nothing ran"),
            );
        }
        return exec(command, configure);
    };
    let abi = match crate::probe::landlock_abi() {
        Ok(abi) => abi,
        Err(_) => {
            return fail(
                EXIT_SETUP_FAILED,
                "Landlock is not supported by this kernel, so nothing ran; use \
                 `sandbox_backend = \"bwrap\"` or `--sandbox danger-full-access`",
            );
        }
    };
    // Read once: the rules and the entry service keep the same paths.
    let protected = crate::landlock::protected_paths(roots, &policy.protected);
    let ruleset = match crate::landlock::prepare(abi, roots, &protected, &policy.hidden) {
        Ok(ruleset) => ruleset,
        Err(error) => {
            return fail(
                EXIT_SETUP_FAILED,
                &format!("could not build the Landlock rules ({error}), so nothing ran"),
            );
        }
    };
    let program = match crate::seccomp::program(SeccompOptions {
        network_disabled: policy.network_disabled,
        deny_truncate: abi < 3,
        // With writable roots the entry service judges them instead.
        deny_metadata_changes: roots.is_empty(),
        notify_entries: !roots.is_empty(),
    }) {
        Ok(program) => program,
        Err(error) => {
            return fail(
                EXIT_SETUP_FAILED,
                &format!("could not build the seccomp filter ({error}), so nothing ran"),
            );
        }
    };
    // Inside another sandbox's supervision no listener can be had: then the
    // command runs with Landlock's own rules only, metadata changes refused.
    let fallback = if roots.is_empty() {
        Vec::new()
    } else {
        match crate::seccomp::program(SeccompOptions {
            network_disabled: policy.network_disabled,
            deny_truncate: abi < 3,
            deny_metadata_changes: true,
            notify_entries: false,
        }) {
            Ok(program) => program,
            Err(error) => {
                return fail(
                    EXIT_SETUP_FAILED,
                    &format!("could not build the seccomp filter ({error}), so nothing ran"),
                );
            }
        }
    };
    let confinement = Confinement {
        ruleset,
        program,
        fallback,
        last_capability: last_capability(),
        entries: (!roots.is_empty()).then(|| crate::entries::EntryPolicy::new(roots, protected)),
    };
    crate::supervise::supervise(
        policy.parent_pid,
        command,
        path,
        configure,
        Some(confinement),
    )
}

/// What the command's process applies to itself between `fork` and `exec`.
#[cfg(target_os = "linux")]
pub(crate) struct Confinement {
    pub ruleset: landlock::RulesetCreated,
    pub program: Vec<libc::sock_filter>,
    /// The program to install instead when `program` cannot get a listener
    /// (a sandbox inside one that already has a supervisor).
    pub fallback: Vec<libc::sock_filter>,
    pub last_capability: libc::c_ulong,
    /// The entry service's policy when `program` hands calls to it
    /// (`entries.rs`); `None` when nothing is writable.
    pub entries: Option<crate::entries::EntryPolicy>,
}

#[cfg(target_os = "linux")]
impl Confinement {
    /// Confine the calling process for good: Landlock (with
    /// `PR_SET_NO_NEW_PRIVS`), no capabilities, the seccomp filter. When
    /// `listener_to` is given, the filter hands calls to the supervisor,
    /// and its listener is sent over that socket and closed here. Writes
    /// what failed to stderr, since only an errno crosses back from a
    /// child that fails before `exec`.
    pub(crate) fn apply(
        ruleset: landlock::RulesetCreated,
        (program, fallback): (&[libc::sock_filter], &[libc::sock_filter]),
        last_capability: libc::c_ulong,
        listener_to: Option<std::os::fd::RawFd>,
    ) -> Result<(), ()> {
        if let Err(error) = crate::landlock::restrict(ruleset) {
            fail(
                0,
                &format!("could not apply the Landlock rules ({error}), so nothing ran"),
            );
            return Err(());
        }
        drop_capabilities(last_capability);
        let installed = match listener_to {
            None => crate::seccomp::install_program(program),
            Some(socket) => match crate::seccomp::install_program_with_listener(program) {
                Ok(Some(listener)) => crate::supervise::send_descriptor(socket, Some(&listener))
                    .map_err(|error| format!("passing its listener on: {error}")),
                Ok(None) => crate::seccomp::install_program(fallback).and_then(|()| {
                    crate::supervise::send_descriptor(socket, None)
                        .map_err(|error| format!("telling the supervisor: {error}"))
                }),
                Err(error) => Err(error),
            },
        };
        if let Err(error) = installed {
            fail(
                0,
                &format!("could not install the seccomp filter ({error}), so nothing ran"),
            );
            return Err(());
        }
        Ok(())
    }
}

/// Mark every descriptor above stderr close-on-exec, so the command
/// inherits only stdin, stdout and stderr (`close_range` where the kernel
/// has it, else each descriptor listed in `/proc/self/fd`). Marked rather
/// than closed: this process may still use them until it `exec`s.
#[cfg(target_os = "linux")]
pub(crate) fn close_inherited_descriptors() {
    const CLOSE_RANGE_CLOEXEC: libc::c_uint = 1 << 2;
    // SAFETY: close_range takes integers only; with CLOSE_RANGE_CLOEXEC it
    // closes nothing, it only sets a flag on the descriptors.
    let marked = unsafe {
        libc::syscall(
            libc::SYS_close_range,
            3 as libc::c_uint,
            libc::c_uint::MAX,
            CLOSE_RANGE_CLOEXEC,
        )
    } == 0;
    if marked {
        return;
    }
    let Ok(entries) = std::fs::read_dir("/proc/self/fd") else {
        return;
    };
    let descriptors: Vec<libc::c_int> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse().ok())
        .filter(|fd| *fd > 2)
        .collect();
    for fd in descriptors {
        // SAFETY: fcntl(F_SETFD) on a descriptor number only changes its
        // flags; one that was closed meanwhile (the listing's own) fails.
        unsafe {
            libc::fcntl(fd, libc::F_SETFD, libc::FD_CLOEXEC);
        }
    }
}

/// The highest capability number this kernel knows.
#[cfg(target_os = "linux")]
fn last_capability() -> libc::c_ulong {
    std::fs::read_to_string("/proc/sys/kernel/cap_last_cap")
        .ok()
        .and_then(|text| text.trim().parse().ok())
        .unwrap_or(63)
}

/// Give up every capability for good: the bounding set (so `exec` of any
/// program, even as root, grants none), the ambient set, and the effective,
/// permitted and inheritable sets. Under bubblewrap they are already gone;
/// under Landlock, root would otherwise keep them (a root command could
/// `mknod` a disk device in the workspace and write the raw disk).
/// Failures only mean there was nothing to drop.
#[cfg(target_os = "linux")]
pub(crate) fn drop_capabilities(last_cap: libc::c_ulong) {
    #[repr(C)]
    struct CapHeader {
        version: u32,
        pid: i32,
    }
    #[repr(C)]
    #[derive(Clone, Copy)]
    struct CapData {
        effective: u32,
        permitted: u32,
        inheritable: u32,
    }
    const LINUX_CAPABILITY_VERSION_3: u32 = 0x2008_0522;
    const CAP_SETPCAP: u32 = 8;
    let mut header = CapHeader {
        version: LINUX_CAPABILITY_VERSION_3,
        pid: 0,
    };
    let mut current = [CapData {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: capget reads a version-3 header and writes two data structs,
    // which is what we pass.
    let read = unsafe { libc::syscall(libc::SYS_capget, &mut header, current.as_mut_ptr()) } == 0;
    // Dropping from the bounding set needs CAP_SETPCAP; without it (under
    // bubblewrap, or any user but root) every drop fails, so skip the ~40
    // calls. When capget itself fails, try anyway.
    if !read || current[0].effective & (1 << CAP_SETPCAP) != 0 {
        for cap in 0..=last_cap {
            // SAFETY: PR_CAPBSET_DROP takes an integer capability number.
            unsafe {
                libc::prctl(libc::PR_CAPBSET_DROP, cap, 0, 0, 0);
            }
        }
    }
    header.version = LINUX_CAPABILITY_VERSION_3;
    let data = [CapData {
        effective: 0,
        permitted: 0,
        inheritable: 0,
    }; 2];
    // SAFETY: PR_CAP_AMBIENT_CLEAR_ALL takes no pointers; capset reads a
    // version-3 header and two data structs, which is what we pass.
    unsafe {
        libc::prctl(
            libc::PR_CAP_AMBIENT,
            libc::PR_CAP_AMBIENT_CLEAR_ALL,
            0,
            0,
            0,
        );
        libc::syscall(libc::SYS_capset, &mut header, data.as_ptr());
    }
}

#[cfg(not(target_os = "linux"))]
fn run(
    _policy: &HelperPolicy,
    _command: &[OsString],
    _path: Option<&str>,
    _configure: Configure<'_>,
) -> i32 {
    fail(
        EXIT_SETUP_FAILED,
        "the Linux sandbox helper only runs on Linux",
    )
}

/// `command` started from `program` (its first word, or where that was
/// found on `PATH`).
#[cfg(target_os = "linux")]
pub(crate) fn command_for(
    program: &std::ffi::OsStr,
    command: &[OsString],
    configure: Configure<'_>,
) -> std::process::Command {
    #[allow(clippy::disallowed_methods)] // the helper runs the confined command itself
    let mut process = std::process::Command::new(program);
    process.args(&command[1..]);
    configure(&mut process);
    process
}

/// Replace this process by the command.
#[cfg(target_os = "linux")]
fn exec(command: &[OsString], configure: Configure<'_>) -> i32 {
    use std::os::unix::process::CommandExt;
    let error = command_for(&command[0], command, configure).exec();
    not_started(&command[0], &error)
}

#[cfg(target_os = "linux")]
pub(crate) fn not_started(program: &OsString, error: &std::io::Error) -> i32 {
    fail(
        EXIT_NOT_STARTED,
        &format!(
            "cannot run `{}`: {error}; check the command name and `PATH`",
            program.to_string_lossy()
        ),
    )
}

/// The shell-style code for a raw wait status: the exit code, or 128+N for
/// death by signal N.
pub fn wait_status_code(status: i32) -> i32 {
    if libc::WIFSIGNALED(status) {
        128 + libc::WTERMSIG(status)
    } else {
        libc::WEXITSTATUS(status)
    }
}

pub(crate) fn fail(code: i32, message: &str) -> i32 {
    let _ = writeln!(std::io::stderr(), "{HELPER_ARG0}: {message}");
    code
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RootKind;
    use pretty_assertions::assert_eq;
    use std::path::PathBuf;

    fn os(words: &[&str]) -> Vec<OsString> {
        words.iter().map(OsString::from).collect()
    }

    #[test]
    fn arguments_round_trip() {
        let policy = HelperPolicy {
            network_disabled: true,
            landlock: Some(vec![WritableRoot {
                path: PathBuf::from("/work"),
                kind: RootKind::Workspace,
            }]),
            parent_pid: Some(42),
            protected: Vec::new(),
            hidden: Vec::new(),
            unconfined: false,
        };
        let args = policy.to_args(&["sh".to_string(), "-c".to_string(), "true".to_string()]);
        assert_eq!(
            args,
            vec![
                "--policy",
                r#"{"network_disabled":true,"landlock":[{"path":"/work","kind":"workspace"}],"parent_pid":42}"#,
                "--",
                "sh",
                "-c",
                "true"
            ]
        );
        let mut with_flag = vec![OsString::from(HELPER_FLAG)];
        with_flag.extend(args.iter().map(OsString::from));
        let parsed = parse_args(&with_flag).unwrap();
        assert_eq!(parsed, (policy, os(&["sh", "-c", "true"])));
    }

    #[test]
    fn bad_arguments_are_usage_errors() {
        let usage = "usage: duet-linux-sandbox --policy JSON -- COMMAND [ARGS…]".to_string();
        assert_eq!(parse_args(&os(&[])), Err(usage.clone()));
        assert_eq!(
            parse_args(&os(&["--policy", "{\"network_disabled\":false}", "--"])),
            Err(usage)
        );
        assert_eq!(
            parse_args(&os(&["--policy", "{}", "--", "true"])),
            Err("invalid policy: missing field `network_disabled` at line 1 column 2".to_string())
        );
    }

    #[test]
    fn wait_statuses_map_to_shell_codes() {
        // Raw statuses: exit code in the second byte, signal in the low bits.
        assert_eq!(wait_status_code(0), 0);
        assert_eq!(wait_status_code(3 << 8), 3);
        assert_eq!(wait_status_code(libc::SIGKILL), 137);
        assert_eq!(wait_status_code(libc::SIGSEGV | 0x80), 128 + libc::SIGSEGV);
    }
}
