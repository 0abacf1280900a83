//! The Landlock helper's second half: starting the command confined and
//! supervising it from outside its sandbox until it and everything it
//! started are gone.
//!
//! Landlock has no pid namespace that would end with the command, so the
//! helper does what one would:
//!
//! - it stays *outside* the command's Landlock domain: the command's own
//!   process applies the rules between `fork` and `exec`
//!   ([`Confinement::apply`]). The command therefore cannot signal the
//!   helper (Landlock ABI 6 scopes signals) nor read its memory or its
//!   environment through `/proc` (Landlock's ptrace scoping, every ABI);
//! - it is a child subreaper: whatever the command leaves behind, even in
//!   another session, is reparented to it and killed when the command
//!   ends;
//! - it ends with duet: `PR_SET_PDEATHSIG` turns duet's death (even by
//!   `SIGKILL`) into a `SIGTERM` for the helper, and `SIGTERM` or `SIGHUP`
//!   make it kill the command and everything it started, then exit with
//!   128+N. duet stops a running command the same way (`child.rs`);
//! - `SIGINT` and `SIGQUIT` are ignored by the helper and left to the
//!   command, which shares the terminal in `duet sandbox`.
//!
//! Signals are taken synchronously (blocked, then `sigwaitinfo`), so none
//! can slip between a check and a wait.
#![cfg(target_os = "linux")]
#![allow(unsafe_code)]

use crate::helper::{
    Configure, Confinement, EXIT_NOT_STARTED, EXIT_SETUP_FAILED, command_for, fail, not_started,
    wait_status_code,
};
use std::ffi::OsString;
use std::os::unix::process::CommandExt;

/// The errno a command's process reports when its confinement failed
/// before `exec` (it has printed why); `exec` itself never fails so.
const CONFINEMENT_FAILED: i32 = libc::ENOTRECOVERABLE;

/// Run `command` confined by `confinement` as this process's child and
/// supervise it (see the module docs); return its shell-style exit code.
pub(crate) fn supervise(
    parent_pid: Option<u32>,
    command: &[OsString],
    path: Option<&str>,
    configure: Configure<'_>,
    confinement: Confinement,
) -> i32 {
    // SAFETY: prctl with integer arguments only.
    unsafe {
        libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0);
    }
    if let Some(parent) = parent_pid {
        // SAFETY: prctl with integer arguments only.
        unsafe {
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM, 0, 0, 0);
        }
        // duet may have died before the request took effect.
        // SAFETY: getppid has no arguments and cannot fail.
        if u32::try_from(unsafe { libc::getppid() }).ok() != Some(parent) {
            return fail(EXIT_SETUP_FAILED, "duet exited before the command started");
        }
    }
    let watched = signal_set(&[libc::SIGCHLD, libc::SIGTERM, libc::SIGHUP]);
    // SAFETY: pthread_sigmask reads `watched` and writes nothing (null old
    // set); signal sets SIG_IGN, which runs no code of ours.
    unsafe {
        libc::pthread_sigmask(libc::SIG_BLOCK, &watched, std::ptr::null_mut());
        libc::signal(libc::SIGINT, libc::SIG_IGN);
        libc::signal(libc::SIGQUIT, libc::SIG_IGN);
    }
    let Confinement {
        ruleset,
        program,
        last_capability,
    } = confinement;
    let spawned = crate::spawn::spawn_found(&command[0], path, |found| {
        let mut process = command_for(found, command, configure);
        let mut ruleset = ruleset.try_clone().ok();
        let program = program.clone();
        // SAFETY: the closure runs in the child between fork and exec. This
        // process is single-threaded (the helper, or `duet sandbox` before
        // it starts any thread), so allocation and locks are safe there.
        unsafe {
            process.pre_exec(move || {
                let empty = signal_set(&[]);
                libc::pthread_sigmask(libc::SIG_SETMASK, &empty, std::ptr::null_mut());
                libc::signal(libc::SIGINT, libc::SIG_DFL);
                libc::signal(libc::SIGQUIT, libc::SIG_DFL);
                let applied = match ruleset.take() {
                    Some(ruleset) => Confinement::apply(ruleset, &program, last_capability),
                    None => {
                        fail(
                            0,
                            "could not duplicate the Landlock rule set, so nothing ran",
                        );
                        Err(())
                    }
                };
                applied.map_err(|()| std::io::Error::from_raw_os_error(CONFINEMENT_FAILED))
            });
        }
        process
    });
    let child = match spawned {
        Ok(child) => child,
        Err(error) if error.raw_os_error() == Some(CONFINEMENT_FAILED) => {
            return EXIT_SETUP_FAILED;
        }
        Err(error) => return not_started(&command[0], &error),
    };
    let command_pid = i32::try_from(child.id()).unwrap_or(i32::MAX);
    let outcome = wait_for(command_pid, &watched);
    kill_leftovers();
    match outcome {
        Outcome::Exited(code) => code,
        Outcome::Terminated(signal) => 128 + signal,
    }
}

enum Outcome {
    /// The command ended with this shell-style code.
    Exited(i32),
    /// This process was told to stop by this signal.
    Terminated(i32),
}

/// Reap children until the command has exited, or a stop signal arrives.
fn wait_for(command_pid: i32, watched: &libc::sigset_t) -> Outcome {
    loop {
        loop {
            let mut status = 0;
            // SAFETY: waitpid writes only to `status`, a valid local.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
            if pid == command_pid {
                return Outcome::Exited(wait_status_code(status));
            }
            if pid < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD) {
                // Cannot happen before the command is reaped; do not spin.
                return Outcome::Exited(EXIT_NOT_STARTED);
            }
            if pid <= 0 {
                break;
            }
        }
        // SAFETY: sigwaitinfo reads `watched`; a null info pointer is allowed.
        let signal = unsafe { libc::sigwaitinfo(watched, std::ptr::null_mut()) };
        if signal == libc::SIGTERM || signal == libc::SIGHUP {
            return Outcome::Terminated(signal);
        }
    }
}

/// A signal set holding exactly `signals`.
fn signal_set(signals: &[libc::c_int]) -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the set it is given; sigaddset adds
    // valid signal numbers to it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for &signal in signals {
            libc::sigaddset(&mut set, signal);
        }
        set
    }
}

/// Kill and reap every remaining child until none is left: each round
/// kills this process's children, whose own children are then reparented
/// here (a subreaper) for the next round.
fn kill_leftovers() {
    let mut status = 0;
    // Most commands leave nothing behind: then there is no child at all,
    // and one call says so without reading `/proc`.
    // SAFETY: waitpid writes only to `status`, a valid local.
    if unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) } < 0 {
        return;
    }
    loop {
        for pid in children() {
            // SAFETY: kill takes two integers; `pid` is a positive child pid.
            unsafe {
                libc::kill(pid, libc::SIGKILL);
            }
        }
        let mut status = 0;
        // SAFETY: as above, `status` is a valid local.
        let reaped = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if reaped < 0 {
            // ECHILD: nothing left.
            return;
        }
        if reaped == 0 {
            // Children exist but none has exited yet: they were just sent
            // SIGKILL (or appeared since); wait a moment for the kernel.
            std::thread::sleep(std::time::Duration::from_micros(200));
        }
    }
}

/// This process's children: from `/proc/self/task/<tid>/children`, else by
/// scanning every process's parent.
fn children() -> Vec<i32> {
    let me = std::process::id();
    if let Ok(text) = std::fs::read_to_string(format!("/proc/self/task/{me}/children")) {
        return text
            .split_whitespace()
            .filter_map(|pid| pid.parse().ok())
            .collect();
    }
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .filter_map(Result::ok)
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| {
                    let (_, rest) = stat.rsplit_once(')')?;
                    rest.split_whitespace().nth(1)?.parse::<u32>().ok()
                })
                == Some(me)
        })
        .collect()
}
