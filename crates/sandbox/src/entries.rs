//! The Landlock supervisor's entry service: it creates, removes, renames
//! and opens for writing the directory entries a confined command may
//! change but Landlock alone cannot let it.
//!
//! Landlock rights reach a whole subtree and cannot be taken back below, so
//! a directory that holds a protected folder (each writable root, for its
//! `.git`, `.duet` and `.agents`) gets no right to make or remove entries
//! (`landlock.rs`). bubblewrap mounts the protected folders read-only
//! instead, and everything else in the root stays writable. To give
//! Landlock the same reach, the command's seccomp filter hands every call
//! that makes, removes or renames an entry, and every `open` for writing,
//! to this service in the supervisor (`SECCOMP_RET_USER_NOTIF`), which runs
//! outside the command's Landlock domain and answers each call one of two
//! ways:
//!
//! - it **performs** the call itself, through a directory handle of its
//!   own, when the entry (or entries) it touches lie beneath a writable
//!   root and not at or beneath a protected path ([`EntryPolicy`]), and
//!   answers with the call's result (an opened file is placed in the
//!   command's descriptor table, `SECCOMP_IOCTL_NOTIF_ADDFD`);
//! - otherwise it lets the kernel **continue** the call, which Landlock then
//!   judges as always. Anything the service does not understand, cannot
//!   read or would have to guess at is continued, so the service can only
//!   ever add what its policy allows to what Landlock allows.
//!
//! How it stays sound against a command that races it:
//!
//! - The command's memory is read once (the paths are copied), and the
//!   notification is checked to be still pending afterwards, so the pid was
//!   not reused.
//! - A path is split into its directory and its last name. The directory is
//!   resolved to a handle as the kernel would resolve it for the command
//!   (from its working directory or directory descriptor, through
//!   symlinks), and the handle's real path, which the kernel reports, is
//!   what the policy judges; the call is then made on that handle with the
//!   last name, never following a final symlink (an `open` that would follow
//!   one is resolved step by step, each step judged again). A concurrent
//!   rename cannot move the judged directory out from under the policy: the
//!   only ways to move a directory out of the writable area, or into a
//!   protected folder, are calls this service refuses or Landlock refuses.
//! - Moving or removing a root, a protected path, or a directory that holds
//!   one is refused: under bubblewrap they are mount points (`EBUSY`), and a
//!   repository moved aside would lose its protection.
//! - Hard links are made only from a file that is itself writable, so a
//!   protected or outside file never gains a writable name.
//! - An `open` that finds anything but a regular file (a FIFO, a device, a
//!   directory) is continued, and the service's own `open` never blocks
//!   (`O_NONBLOCK`, cleared again when the command did not ask for it).
//! - New files get the command's umask.
//! - A caller with more seccomp filters than the command started with has
//!   confined itself further (a sandbox inside this one, whose Landlock
//!   rules the service cannot see): nothing is made for it.
//!
//! What is not handled here (Landlock answers, so these fail where
//! Landlock's own rules do not allow them): `openat2` with `resolve` flags,
//! `linkat` with `AT_SYMLINK_FOLLOW` or `AT_EMPTY_PATH`, `RENAME_WHITEOUT`,
//! device nodes, and calls that are not in the list at all: `truncate(2)`
//! by path, `bind` of a Unix socket, and `open` for reading, which never
//! needs this. A directory created by the service during one command is
//! covered by Landlock's rules only from the next command on, so within
//! the command that made it only the calls above work there.
#![cfg(target_os = "linux")]
#![allow(unsafe_code)]

mod fs;
mod perform;
mod request;
#[cfg(test)]
mod tests;

use crate::WritableRoot;
pub(crate) use request::own_seccomp_filters;
use request::{Request, Task};
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::path::{Path, PathBuf};

/// Which entries the service may change on a command's behalf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryPolicy {
    roots: Vec<PathBuf>,
    protected: Vec<PathBuf>,
}

impl EntryPolicy {
    /// The policy for `roots` (canonical paths), protecting `protected`:
    /// the same paths as the Landlock rules do
    /// ([`crate::landlock::protected_paths`]).
    pub(crate) fn new(roots: &[WritableRoot], protected: Vec<PathBuf>) -> Self {
        EntryPolicy {
            roots: roots.iter().map(|root| root.path.clone()).collect(),
            protected,
        }
    }

    /// Whether the entry at `path` (a canonical directory joined with one
    /// name) may be created or written: strictly beneath a writable root,
    /// and not at or beneath a protected path.
    pub(crate) fn writable(&self, path: &Path) -> bool {
        self.roots
            .iter()
            .any(|root| path.starts_with(root) && path != root)
            && !self
                .protected
                .iter()
                .any(|protected| path.starts_with(protected))
    }

    /// Whether a directory at `path` may receive new entries: a root itself
    /// or a writable entry.
    fn writable_directory(&self, path: &Path) -> bool {
        let root = self.roots.iter().any(|root| root == path);
        root && !self.protected.iter().any(|kept| path.starts_with(kept)) || self.writable(path)
    }

    /// Whether the entry at `path` may be removed, renamed or replaced:
    /// writable, and neither a root nor holding a root or a protected path.
    pub(crate) fn movable(&self, path: &Path) -> bool {
        self.writable(path)
            && !self
                .roots
                .iter()
                .chain(&self.protected)
                .any(|kept| kept.starts_with(path))
    }
}

/// How the service answers one call.
#[derive(Debug)]
enum Answer {
    /// Let the kernel run the call (Landlock judges it).
    Continue,
    /// The call's result, made here.
    Done(io::Result<i64>),
    /// A file opened here, for the command's descriptor table.
    Opened { file: OwnedFd, cloexec: bool },
    /// Answered later by a thread (an `open` of a FIFO that waits for its
    /// other end).
    Later,
}

/// The service: the seccomp listener and the policy.
pub(crate) struct EntryService {
    listener: OwnedFd,
    policy: EntryPolicy,
    /// The seccomp filters the command runs under: this process's and the
    /// command's own.
    filters: u32,
    notif_words: usize,
    /// Whether `SECCOMP_ADDFD_FLAG_SEND` works (Linux 5.14); cleared on the
    /// first `EINVAL`.
    send_with_addfd: bool,
}

/// `SECCOMP_GET_NOTIF_SIZES`.
const GET_NOTIF_SIZES: libc::c_uint = 3;
/// Longest path the kernel accepts, with its NUL.
const PATH_MAX: usize = 4096;
/// Symlinks followed for one `open` before giving up (the kernel's limit).
const MAX_SYMLINKS: usize = 40;
const RENAME_NOREPLACE: u64 = 1;
const RENAME_EXCHANGE: u64 = 2;

impl EntryService {
    pub(crate) fn new(listener: OwnedFd, policy: EntryPolicy) -> Self {
        let mut sizes = libc::seccomp_notif_sizes {
            seccomp_notif: 0,
            seccomp_notif_resp: 0,
            seccomp_data: 0,
        };
        // SAFETY: the kernel writes one `seccomp_notif_sizes` to `sizes`.
        unsafe {
            libc::syscall(libc::SYS_seccomp, GET_NOTIF_SIZES, 0, &raw mut sizes);
        }
        let bytes = usize::from(sizes.seccomp_notif).max(size_of::<libc::seccomp_notif>());
        // Without the count, a nested sandbox cannot be told apart: then
        // the service makes nothing (every call continues or is refused).
        let filters = own_seccomp_filters().map_or(0, |own| own + 1);
        EntryService {
            listener,
            policy,
            filters,
            notif_words: bytes.div_ceil(8),
            send_with_addfd: true,
        }
    }

    pub(crate) fn fd(&self) -> RawFd {
        self.listener.as_raw_fd()
    }

    /// Take one pending call and answer it. A call whose process died
    /// meanwhile is dropped quietly.
    pub(crate) fn serve_one(&mut self) {
        let mut buffer = vec![0u64; self.notif_words];
        // SAFETY: the buffer is zeroed, 8-byte aligned and at least as large
        // as the kernel's `seccomp_notif`, which RECV writes into it.
        let received = unsafe {
            libc::ioctl(
                self.listener.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_RECV,
                buffer.as_mut_ptr(),
            )
        };
        if received != 0 {
            return;
        }
        // SAFETY: the buffer holds a `seccomp_notif` the kernel wrote, and
        // is aligned for it.
        let notif = unsafe { std::ptr::read(buffer.as_ptr().cast::<libc::seccomp_notif>()) };
        let answer = self.answer(&notif);
        self.respond(notif.id, answer);
    }

    fn still_pending(&self, id: u64) -> bool {
        // SAFETY: ID_VALID reads one u64.
        unsafe {
            libc::ioctl(
                self.listener.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_ID_VALID,
                &raw const id,
            ) == 0
        }
    }

    fn answer(&self, notif: &libc::seccomp_notif) -> Answer {
        let Some(request) = Request::decode(notif.data.nr.into(), &notif.data.args) else {
            return Answer::Continue;
        };
        // A caller with more seccomp filters than the command started with
        // has confined itself further (a sandbox inside this one): its own
        // Landlock rules, which the service cannot see, must judge.
        let Some(task) = Task::read(notif.pid).filter(|task| task.filters <= self.filters) else {
            return request.otherwise();
        };
        let Some((request, read)) = task.read_request(request) else {
            return request.otherwise();
        };
        if !self.still_pending(notif.id) {
            return request.otherwise();
        }
        self.perform(&task, notif.id, request, &read)
            .unwrap_or_else(|| request.otherwise())
    }

    fn respond(&mut self, id: u64, answer: Answer) {
        let (val, error, flags) = match answer {
            Answer::Continue => (0, 0, libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32),
            Answer::Done(Ok(value)) => (value, 0, 0),
            Answer::Done(Err(error)) => (0, -error.raw_os_error().unwrap_or(libc::EIO), 0),
            Answer::Opened { file, cloexec } => {
                self.send_with_addfd =
                    install_fd(&self.listener, id, &file, cloexec, self.send_with_addfd);
                return;
            }
            Answer::Later => return,
        };
        send(&self.listener, id, val, error, flags);
    }
}

fn send(listener: &OwnedFd, id: u64, val: i64, error: i32, flags: u32) {
    let response = libc::seccomp_notif_resp {
        id,
        val,
        error,
        flags,
    };
    // SAFETY: SEND reads one `seccomp_notif_resp`. It fails when the
    // caller died meanwhile, which needs no answer.
    unsafe {
        libc::ioctl(
            listener.as_raw_fd(),
            libc::SECCOMP_IOCTL_NOTIF_SEND,
            &raw const response,
        );
    }
}

/// Install `file` in the caller's descriptor table as the call's result
/// (or answer with why it could not be). Returns whether
/// `SECCOMP_ADDFD_FLAG_SEND` (Linux 5.14) is still believed to work.
fn install_fd(
    listener: &OwnedFd,
    id: u64,
    file: &OwnedFd,
    cloexec: bool,
    send_with_addfd: bool,
) -> bool {
    let answer_error = |error: io::Error| {
        if error.raw_os_error() != Some(libc::ENOENT) {
            send(
                listener,
                id,
                0,
                -error.raw_os_error().unwrap_or(libc::EIO),
                0,
            );
        }
    };
    {
        let mut request = libc::seccomp_notif_addfd {
            id,
            flags: 0,
            srcfd: u32::try_from(file.as_raw_fd()).unwrap_or(0),
            newfd: 0,
            newfd_flags: if cloexec { libc::O_CLOEXEC as u32 } else { 0 },
        };
        let add = |request: &libc::seccomp_notif_addfd| {
            // SAFETY: ADDFD reads one `seccomp_notif_addfd`.
            let result = unsafe {
                libc::ioctl(
                    listener.as_raw_fd(),
                    libc::SECCOMP_IOCTL_NOTIF_ADDFD,
                    std::ptr::from_ref(request),
                )
            };
            if result < 0 {
                Err(io::Error::last_os_error())
            } else {
                Ok(i64::from(result))
            }
        };
        if send_with_addfd {
            request.flags = libc::SECCOMP_ADDFD_FLAG_SEND as u32;
            match add(&request) {
                Ok(_) => return true,
                Err(error) if error.raw_os_error() == Some(libc::EINVAL) => request.flags = 0,
                Err(error) => {
                    answer_error(error);
                    return true;
                }
            }
        }
        match add(&request) {
            Ok(fd) => send(listener, id, fd, 0, 0),
            Err(error) => answer_error(error),
        }
        false
    }
}
