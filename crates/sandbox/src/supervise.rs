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
//! - it answers the calls the command's seccomp filter hands it: making,
//!   removing and renaming entries, and opening files for writing, in the
//!   writable roots where Landlock alone cannot allow them (`entries.rs`).
//!   The filter's listener is created in the command's process after its
//!   confinement and sent here over a socket before `exec`; the command
//!   never holds it.
//!
//! Signals are taken synchronously (blocked, then read from a `signalfd`
//! polled with the listener), so none can slip between a check and a wait.
#![cfg(target_os = "linux")]
#![allow(unsafe_code)]

use crate::entries::EntryService;
use crate::helper::{
    Configure, Confinement, EXIT_NOT_STARTED, EXIT_SETUP_FAILED, command_for, fail, not_started,
    wait_status_code,
};
use std::ffi::OsString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
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
    confinement: Option<Confinement>,
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
    // Unconfined (a server the user configured): supervised all the same.
    let (ruleset, program, fallback, last_capability, entries) = match confinement {
        Some(Confinement {
            ruleset,
            program,
            fallback,
            last_capability,
            entries,
        }) => (Some(ruleset), program, fallback, last_capability, entries),
        None => (None, Vec::new(), Vec::new(), 0, None),
    };
    let channel = match entries.as_ref().map(|_| socket_pair()).transpose() {
        Ok(channel) => channel,
        Err(error) => {
            return fail(
                EXIT_SETUP_FAILED,
                &format!("could not make the supervisor's socket ({error}), so nothing ran"),
            );
        }
    };
    let theirs = channel.as_ref().map(|(_, theirs)| theirs.as_raw_fd());
    let spawned = crate::spawn::spawn_found(&command[0], path, |found| {
        let mut process = command_for(found, command, configure);
        let confined = ruleset.is_some();
        let mut ruleset = ruleset
            .as_ref()
            .and_then(|ruleset| ruleset.try_clone().ok());
        let (program, fallback) = (program.clone(), fallback.clone());
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
                    None if !confined => Ok(()),
                    Some(ruleset) => {
                        let programs = (program.as_slice(), fallback.as_slice());
                        Confinement::apply(ruleset, programs, last_capability, theirs)
                    }
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
    let service = match (channel, entries) {
        (Some((ours, theirs)), Some(policy)) => {
            drop(theirs);
            match receive_descriptor(&ours) {
                // Inside another sandbox's supervision: no service here.
                Ok(None) => None,
                Ok(Some(listener)) => {
                    // The service acts for the command, so with no more
                    // privilege than it has: a root duet's capabilities
                    // (to override permissions, chown, or set any mode)
                    // are not lent to it.
                    crate::helper::drop_capabilities(last_capability);
                    // A path through `/proc/self/cwd` that reaches the
                    // service unrewritten (behind a symlink) then names
                    // `/`, which is never writable, not the helper's cwd.
                    let _ = std::env::set_current_dir("/");
                    Some(EntryService::new(listener, policy))
                }
                Err(error) => {
                    // SAFETY: kill takes two integers; the command is our
                    // child, not yet reaped.
                    unsafe {
                        libc::kill(command_pid, libc::SIGKILL);
                    }
                    kill_leftovers();
                    return fail(
                        EXIT_SETUP_FAILED,
                        &format!(
                            "could not receive the command's seccomp listener ({error}), so it \
                             was stopped"
                        ),
                    );
                }
            }
        }
        _ => None,
    };
    let outcome = wait_for(command_pid, &watched, service);
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

/// Reap children until the command has exited, or a stop signal arrives,
/// answering the entry service's calls meanwhile.
fn wait_for(
    command_pid: i32,
    watched: &libc::sigset_t,
    mut service: Option<EntryService>,
) -> Outcome {
    // SAFETY: signalfd reads `watched` and returns a new descriptor.
    let signals = unsafe { libc::signalfd(-1, watched, libc::SFD_CLOEXEC | libc::SFD_NONBLOCK) };
    if signals < 0 {
        // No signalfd (it is older than Landlock, so this does not happen):
        // wait without serving; the filter's calls then fail with ENOSYS.
        drop(service);
        return wait_for_signals(command_pid, watched);
    }
    // SAFETY: a new descriptor nothing else owns.
    let signals = unsafe { OwnedFd::from_raw_fd(signals) };
    // Reap first (the command may be gone already), then again whenever a
    // signal arrives; `SIGCHLD` stays pending for the `signalfd` meanwhile.
    let mut reap_now = true;
    loop {
        if reap_now && let Some(outcome) = reap(command_pid) {
            return outcome;
        }
        let mut polled = [
            libc::pollfd {
                fd: signals.as_raw_fd(),
                events: libc::POLLIN,
                revents: 0,
            },
            libc::pollfd {
                fd: service.as_ref().map_or(-1, EntryService::fd),
                events: libc::POLLIN,
                revents: 0,
            },
        ];
        // SAFETY: poll reads and writes the two entries of `polled`.
        if unsafe { libc::poll(polled.as_mut_ptr(), 2, -1) } < 0 {
            continue;
        }
        reap_now = polled[0].revents & libc::POLLIN != 0;
        if reap_now && let Some(signal) = stop_signal(&signals) {
            return Outcome::Terminated(signal);
        }
        let listener = polled[1].revents;
        if listener & libc::POLLIN != 0 {
            if let Some(service) = service.as_mut() {
                service.serve_one();
            }
        } else if listener & (libc::POLLHUP | libc::POLLERR | libc::POLLNVAL) != 0 {
            // Every process under the filter is gone.
            service = None;
        }
    }
}

/// Drain the signals read from `signals`: the first `SIGTERM` or `SIGHUP`
/// among them, if any (`SIGCHLD` only wakes the loop to reap).
fn stop_signal(signals: &OwnedFd) -> Option<i32> {
    let mut stop = None;
    loop {
        // SAFETY: a zeroed `signalfd_siginfo` is a valid value to overwrite.
        let mut info: libc::signalfd_siginfo = unsafe { std::mem::zeroed() };
        // SAFETY: read writes at most one `signalfd_siginfo` into `info`.
        let read = unsafe {
            libc::read(
                signals.as_raw_fd(),
                (&raw mut info).cast(),
                size_of::<libc::signalfd_siginfo>(),
            )
        };
        if read != size_of::<libc::signalfd_siginfo>() as isize {
            return stop;
        }
        let signal = i32::try_from(info.ssi_signo).unwrap_or(0);
        if stop.is_none() && (signal == libc::SIGTERM || signal == libc::SIGHUP) {
            stop = Some(signal);
        }
    }
}

/// Reap every child that has exited: the command's outcome once it has.
fn reap(command_pid: i32) -> Option<Outcome> {
    loop {
        let mut status = 0;
        // SAFETY: waitpid writes only to `status`, a valid local.
        let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG) };
        if pid == command_pid {
            return Some(Outcome::Exited(wait_status_code(status)));
        }
        if pid < 0 && std::io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD) {
            // Cannot happen before the command is reaped; do not spin.
            return Some(Outcome::Exited(EXIT_NOT_STARTED));
        }
        if pid <= 0 {
            return None;
        }
    }
}

/// [`wait_for`] without a `signalfd`.
fn wait_for_signals(command_pid: i32, watched: &libc::sigset_t) -> Outcome {
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

/// A connected pair of Unix sockets (close-on-exec) for the listener.
fn socket_pair() -> std::io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0; 2];
    // SAFETY: socketpair writes two descriptors into `fds`.
    let made = unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    };
    if made != 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: two new descriptors nothing else owns.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// The space a control message with one descriptor takes.
const FD_CONTROL_SPACE: usize = 24;

/// Send `fd` over `socket` (`SCM_RIGHTS`), or one byte without a
/// descriptor for `None`. Allocates nothing, so the command's process can
/// call it between `fork` and `exec`.
pub(crate) fn send_descriptor(socket: RawFd, fd: Option<&OwnedFd>) -> std::io::Result<()> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut control = [0u64; FD_CONTROL_SPACE / 8];
    // SAFETY: the message points at locals that outlive the call; the
    // control buffer is aligned and large enough for one descriptor
    // (CMSG_SPACE of an int), which the CMSG macros fill in.
    unsafe {
        let mut message: libc::msghdr = std::mem::zeroed();
        message.msg_iov = &raw mut iov;
        message.msg_iovlen = 1;
        if let Some(fd) = fd {
            message.msg_control = control.as_mut_ptr().cast();
            message.msg_controllen = libc::CMSG_SPACE(size_of::<RawFd>() as u32) as usize;
            let header = libc::CMSG_FIRSTHDR(&raw const message);
            (*header).cmsg_level = libc::SOL_SOCKET;
            (*header).cmsg_type = libc::SCM_RIGHTS;
            (*header).cmsg_len = libc::CMSG_LEN(size_of::<RawFd>() as u32) as usize;
            std::ptr::write_unaligned(libc::CMSG_DATA(header).cast::<RawFd>(), fd.as_raw_fd());
        }
        if libc::sendmsg(socket, &raw const message, libc::MSG_NOSIGNAL) != 1 {
            return Err(std::io::Error::last_os_error());
        }
    }
    Ok(())
}

/// The descriptor waiting on `socket`, without blocking: the command's
/// process sent it before `exec`, which has happened by now (`None`: it
/// sent word that it has none).
fn receive_descriptor(socket: &OwnedFd) -> std::io::Result<Option<OwnedFd>> {
    let mut byte = [0u8; 1];
    let mut iov = libc::iovec {
        iov_base: byte.as_mut_ptr().cast(),
        iov_len: 1,
    };
    let mut control = [0u64; FD_CONTROL_SPACE / 8];
    // SAFETY: as in `send_descriptor`; the kernel writes at most
    // `msg_controllen` bytes of control data, and a received descriptor is
    // new and ours.
    unsafe {
        let mut message: libc::msghdr = std::mem::zeroed();
        message.msg_iov = &raw mut iov;
        message.msg_iovlen = 1;
        message.msg_control = control.as_mut_ptr().cast();
        message.msg_controllen = FD_CONTROL_SPACE;
        let received = libc::recvmsg(
            socket.as_raw_fd(),
            &raw mut message,
            libc::MSG_DONTWAIT | libc::MSG_CMSG_CLOEXEC,
        );
        if received < 0 {
            return Err(std::io::Error::last_os_error());
        }
        if received != 1 {
            return Err(std::io::Error::other("nothing arrived"));
        }
        let header = libc::CMSG_FIRSTHDR(&raw const message);
        if header.is_null() {
            return Ok(None);
        }
        if (*header).cmsg_level != libc::SOL_SOCKET || (*header).cmsg_type != libc::SCM_RIGHTS {
            return Err(std::io::Error::other(
                "something else than a descriptor arrived",
            ));
        }
        let fd = std::ptr::read_unaligned(libc::CMSG_DATA(header).cast::<RawFd>());
        Ok(Some(OwnedFd::from_raw_fd(fd)))
    }
}
