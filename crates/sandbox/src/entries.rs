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

use crate::WritableRoot;
use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// Which entries the service may change on a command's behalf.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct EntryPolicy {
    roots: Vec<PathBuf>,
    protected: Vec<PathBuf>,
}

impl EntryPolicy {
    /// The policy for `roots` (canonical paths), protecting the same paths
    /// as the Landlock rules do.
    pub(crate) fn new(roots: &[WritableRoot], extra_protected: &[PathBuf]) -> Self {
        EntryPolicy {
            roots: roots.iter().map(|root| root.path.clone()).collect(),
            protected: crate::landlock::protected_paths(roots, extra_protected),
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

impl EntryService {
    /// Make the call if the policy allows it; `None` to continue it.
    fn perform(&self, task: &Task, id: u64, request: Request, read: &Read) -> Option<Answer> {
        let policy = &self.policy;
        match request {
            // Made an `Open` when read, or continued.
            Request::Open2 { .. } => None,
            Request::Truncate { length, .. } => self.truncate(task, &read.first, length),
            Request::SetMeta {
                dir, change, flags, ..
            } => self.set_metadata(task, dir, &read.first, change, flags),
            Request::SetMetaFd { fd, change } => self.set_metadata_fd(task, fd, change),
            Request::Open {
                dir, flags, mode, ..
            } => self.open(task, id, dir, &read.first, flags, mode),
            Request::Mkdir { dir, mode, .. } => {
                let entry = Located::find(task, dir, &read.first, true)?;
                if !policy.writable(&entry.path) {
                    return None;
                }
                let umask = task.umask()?;
                Some(Answer::Done(with_umask(umask, || {
                    // SAFETY: mkdirat with a valid descriptor and C string.
                    check(unsafe {
                        libc::mkdirat(entry.dir.as_raw_fd(), entry.name.as_ptr(), mode as _)
                    })
                })))
            }
            Request::Mknod { dir, mode, .. } => {
                let kind = mode as libc::mode_t & libc::S_IFMT;
                if ![0, libc::S_IFREG, libc::S_IFIFO, libc::S_IFSOCK].contains(&kind) {
                    return None;
                }
                let entry = Located::find(task, dir, &read.first, false)?;
                if !policy.writable(&entry.path) {
                    return None;
                }
                let umask = task.umask()?;
                Some(Answer::Done(with_umask(umask, || {
                    // SAFETY: mknodat of a non-device node, valid arguments.
                    check(unsafe {
                        libc::mknodat(entry.dir.as_raw_fd(), entry.name.as_ptr(), mode as _, 0)
                    })
                })))
            }
            Request::Symlink { dir, .. } => {
                let entry = Located::find(task, dir, &read.second, false)?;
                if !policy.writable(&entry.path) {
                    return None;
                }
                let target = CString::new(read.first.clone()).ok()?;
                // SAFETY: symlinkat with valid C strings and descriptor.
                Some(Answer::Done(check(unsafe {
                    libc::symlinkat(target.as_ptr(), entry.dir.as_raw_fd(), entry.name.as_ptr())
                })))
            }
            Request::Unlink { dir, flags, .. } => {
                if flags & !(libc::AT_REMOVEDIR as u64) != 0 {
                    return None;
                }
                let directory = flags != 0;
                let entry = Located::find(task, dir, &read.first, directory)?;
                if !policy.movable(&entry.path) {
                    return None;
                }
                // SAFETY: unlinkat with a valid descriptor and C string.
                Some(Answer::Done(check(unsafe {
                    libc::unlinkat(entry.dir.as_raw_fd(), entry.name.as_ptr(), flags as i32)
                })))
            }
            Request::Rename {
                old_dir,
                new_dir,
                flags,
                ..
            } => {
                if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE) != 0 {
                    return None;
                }
                let old = Located::find(task, old_dir, &read.first, false)?;
                let new = Located::find(task, new_dir, &read.second, false)?;
                if !policy.movable(&old.path) || !policy.movable(&new.path) {
                    return None;
                }
                // SAFETY: renameat2 with valid descriptors and C strings.
                Some(Answer::Done(check_long(unsafe {
                    libc::syscall(
                        libc::SYS_renameat2,
                        old.dir.as_raw_fd(),
                        old.name.as_ptr(),
                        new.dir.as_raw_fd(),
                        new.name.as_ptr(),
                        flags as libc::c_uint,
                    )
                })))
            }
            Request::Link {
                old_dir,
                new_dir,
                flags,
                ..
            } => {
                if flags != 0 {
                    return None;
                }
                let old = Located::find(task, old_dir, &read.first, false)?;
                let new = Located::find(task, new_dir, &read.second, false)?;
                if !policy.writable(&old.path) || !policy.writable(&new.path) {
                    return None;
                }
                // SAFETY: linkat with valid descriptors and C strings, no
                // flags (a final symlink is linked, not followed).
                Some(Answer::Done(check(unsafe {
                    libc::linkat(
                        old.dir.as_raw_fd(),
                        old.name.as_ptr(),
                        new.dir.as_raw_fd(),
                        new.name.as_ptr(),
                        0,
                    )
                })))
            }
        }
    }

    /// Open a FIFO for writing: at once when its other end is open (or the
    /// caller asked not to wait), else from a thread that waits for it, so
    /// the service never blocks.
    fn open_fifo(&self, id: u64, entry: Located, flags: i32, cloexec: bool) -> Option<Answer> {
        let ours = flags & !(libc::O_CREAT | libc::O_EXCL | libc::O_TRUNC)
            | libc::O_NOFOLLOW
            | libc::O_CLOEXEC;
        match open_at(&entry.dir, &entry.name, ours | libc::O_NONBLOCK, 0) {
            Ok(file) => {
                if fstat(&file).ok()?.st_mode & libc::S_IFMT != libc::S_IFIFO {
                    return None;
                }
                if flags & libc::O_NONBLOCK == 0 {
                    clear_nonblocking(&file, flags);
                }
                Some(Answer::Opened { file, cloexec })
            }
            Err(error)
                if error.raw_os_error() == Some(libc::ENXIO) && flags & libc::O_NONBLOCK == 0 =>
            {
                let listener = self.listener.try_clone().ok()?;
                let send_with_addfd = self.send_with_addfd;
                std::thread::spawn(move || match open_at(&entry.dir, &entry.name, ours, 0) {
                    Ok(file) => {
                        install_fd(&listener, id, &file, cloexec, send_with_addfd);
                    }
                    Err(error) => {
                        let errno = error.raw_os_error().unwrap_or(libc::EIO);
                        send(&listener, id, 0, -errno, 0);
                    }
                });
                Some(Answer::Later)
            }
            Err(error) => Some(Answer::Done(Err(error))),
        }
    }

    fn open(
        &self,
        task: &Task,
        id: u64,
        dir: i32,
        path: &[u8],
        flags: u64,
        mode: u64,
    ) -> Option<Answer> {
        let flags = flags as i32;
        if flags & (libc::O_WRONLY | libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC) == 0
            || flags & libc::O_PATH != 0
        {
            return None;
        }
        let cloexec = flags & libc::O_CLOEXEC != 0;
        if flags & libc::O_TMPFILE == libc::O_TMPFILE {
            let base = task.base(dir, path)?;
            let directory = open_directory(&base, path)?;
            if !self.policy.writable_directory(&fd_path(&directory)?) {
                return None;
            }
            let umask = task.umask()?;
            let opened = with_umask(umask, || {
                open_at(&directory, c".", flags | libc::O_CLOEXEC, mode)
            });
            return Some(match opened {
                Ok(file) => Answer::Opened { file, cloexec },
                Err(error) => Answer::Done(Err(error)),
            });
        }
        let entry = Located::find(task, dir, path, false)?;
        let exclusive = flags & libc::O_CREAT != 0 && flags & libc::O_EXCL != 0;
        let follow = flags & libc::O_NOFOLLOW == 0 && !exclusive;
        let (entry, kind) = self.openable(entry, follow, flags & libc::O_CREAT != 0)?;
        if kind == Kind::Fifo {
            return self.open_fifo(id, entry, flags, cloexec);
        }
        // Reading the umask costs more than the rest of an `open`; only a
        // new file needs it (if one appears meanwhile, `O_CREAT` opens it,
        // and the umask does not apply to an existing file).
        let umask = match kind {
            Kind::Missing => task.umask()?,
            _ => 0,
        };
        let ours = flags | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;
        let file = match with_umask(umask, || open_at(&entry.dir, &entry.name, ours, mode)) {
            Ok(file) => file,
            Err(error) => return Some(Answer::Done(Err(error))),
        };
        if fstat(&file).ok()?.st_mode & libc::S_IFMT != libc::S_IFREG {
            return None;
        }
        if flags & libc::O_NONBLOCK == 0 {
            clear_nonblocking(&file, flags);
        }
        Some(Answer::Opened { file, cloexec })
    }
}

impl EntryService {
    /// The writable file `entry` names, following symlinks when `follow`
    /// (each step judged again), with what it is: a regular file, a FIFO,
    /// or missing (only when `create`). `None` for anything else: a
    /// directory, another special file, a symlink not to be followed, a
    /// loop, or a place that is not writable.
    fn openable(&self, entry: Located, follow: bool, create: bool) -> Option<(Located, Kind)> {
        let (entry, kind) = follow_links(entry, follow)?;
        let usable = match kind {
            Kind::Regular | Kind::Fifo => true,
            Kind::Missing => create,
            Kind::Other => false,
        };
        (usable && self.policy.writable(&entry.path)).then_some((entry, kind))
    }

    /// `chmod` or `chown` of the entry `path` names, when it is writable
    /// (or a root).
    fn set_metadata(
        &self,
        task: &Task,
        dir: i32,
        path: &[u8],
        change: Change,
        flags: u64,
    ) -> Option<Answer> {
        let flags = flags as i32;
        if flags & !(libc::AT_SYMLINK_NOFOLLOW | libc::AT_EMPTY_PATH) != 0 {
            return None;
        }
        if path.is_empty() {
            return if flags & libc::AT_EMPTY_PATH != 0 {
                self.set_metadata_fd(task, dir, change)
            } else {
                Some(Answer::Done(Err(io::Error::from_raw_os_error(
                    libc::ENOENT,
                ))))
            };
        }
        let entry = Located::find(task, dir, path, true)?;
        let (entry, kind) = follow_links(entry, flags & libc::AT_SYMLINK_NOFOLLOW == 0)?;
        if kind == Kind::Missing || !self.policy.writable_directory(&entry.path) {
            return None;
        }
        let target = match open_at(
            &entry.dir,
            &entry.name,
            libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC,
            0,
        ) {
            Ok(target) => target,
            Err(error) => return Some(Answer::Done(Err(error))),
        };
        Some(Answer::Done(apply_change(&target, change)))
    }

    /// `fchmod` or `fchown` of the caller's descriptor `fd`, when the file
    /// it is open on is writable (or a root).
    fn set_metadata_fd(&self, task: &Task, fd: i32, change: Change) -> Option<Answer> {
        let ours = task.descriptor(fd)?;
        if !self.policy.writable_directory(&fd_path(&ours)?) {
            return None;
        }
        Some(Answer::Done(apply_change(&ours, change)))
    }

    /// `truncate(2)` by path: the file is opened here and truncated.
    fn truncate(&self, task: &Task, path: &[u8], length: u64) -> Option<Answer> {
        let entry = Located::find(task, libc::AT_FDCWD, path, false)?;
        let (entry, Kind::Regular) = self.openable(entry, true, false)? else {
            return None;
        };
        let flags = libc::O_WRONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;
        let file = match open_at(&entry.dir, &entry.name, flags, 0) {
            Ok(file) => file,
            Err(error) => return Some(Answer::Done(Err(error))),
        };
        if fstat(&file).ok()?.st_mode & libc::S_IFMT != libc::S_IFREG {
            return None;
        }
        // SAFETY: ftruncate on a descriptor we own.
        Some(Answer::Done(check(unsafe {
            libc::ftruncate(file.as_raw_fd(), length as libc::off_t)
        })))
    }
}

/// A call the service handles, with its arguments (addresses of strings in
/// the caller's memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Request {
    Open {
        dir: i32,
        path: u64,
        flags: u64,
        mode: u64,
    },
    /// `openat2`: flags in a struct in memory.
    Open2 {
        dir: i32,
        path: u64,
        how: u64,
        size: u64,
    },
    Mkdir {
        dir: i32,
        path: u64,
        mode: u64,
    },
    Mknod {
        dir: i32,
        path: u64,
        mode: u64,
    },
    Unlink {
        dir: i32,
        path: u64,
        flags: u64,
    },
    Rename {
        old_dir: i32,
        old: u64,
        new_dir: i32,
        new: u64,
        flags: u64,
    },
    Link {
        old_dir: i32,
        old: u64,
        new_dir: i32,
        new: u64,
        flags: u64,
    },
    Symlink {
        target: u64,
        dir: i32,
        path: u64,
    },
    Truncate {
        path: u64,
        length: u64,
    },
    /// `chmod` or `chown` by path (`flags`: `AT_SYMLINK_NOFOLLOW`,
    /// `AT_EMPTY_PATH`).
    SetMeta {
        dir: i32,
        path: u64,
        change: Change,
        flags: u64,
    },
    /// `fchmod` or `fchown`.
    SetMetaFd {
        fd: i32,
        change: Change,
    },
}

/// A change of an inode's metadata, which Landlock cannot judge: refused
/// unless the service makes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    Mode(libc::mode_t),
    Owner(libc::uid_t, libc::gid_t),
}

impl Request {
    /// The answer when the service does not make the call itself: let the
    /// kernel continue it (Landlock judges it), except for metadata
    /// changes, which Landlock would not judge at all.
    fn otherwise(&self) -> Answer {
        match self {
            Request::SetMeta { .. } | Request::SetMetaFd { .. } => {
                Answer::Done(Err(io::Error::from_raw_os_error(libc::EPERM)))
            }
            _ => Answer::Continue,
        }
    }
}

impl Request {
    fn decode(nr: i64, args: &[u64; 6]) -> Option<Request> {
        #[cfg(target_arch = "x86_64")]
        {
            let cwd = libc::AT_FDCWD;
            let legacy = match nr {
                libc::SYS_open => Request::Open {
                    dir: cwd,
                    path: args[0],
                    flags: args[1],
                    mode: args[2],
                },
                libc::SYS_creat => Request::Open {
                    dir: cwd,
                    path: args[0],
                    flags: (libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC) as u64,
                    mode: args[1],
                },
                libc::SYS_mkdir => Request::Mkdir {
                    dir: cwd,
                    path: args[0],
                    mode: args[1],
                },
                libc::SYS_mknod => Request::Mknod {
                    dir: cwd,
                    path: args[0],
                    mode: args[1],
                },
                libc::SYS_rmdir => Request::Unlink {
                    dir: cwd,
                    path: args[0],
                    flags: libc::AT_REMOVEDIR as u64,
                },
                libc::SYS_unlink => Request::Unlink {
                    dir: cwd,
                    path: args[0],
                    flags: 0,
                },
                libc::SYS_rename => Request::Rename {
                    old_dir: cwd,
                    old: args[0],
                    new_dir: cwd,
                    new: args[1],
                    flags: 0,
                },
                libc::SYS_link => Request::Link {
                    old_dir: cwd,
                    old: args[0],
                    new_dir: cwd,
                    new: args[1],
                    flags: 0,
                },
                libc::SYS_symlink => Request::Symlink {
                    target: args[0],
                    dir: cwd,
                    path: args[1],
                },
                libc::SYS_chmod => Request::SetMeta {
                    dir: cwd,
                    path: args[0],
                    change: Change::Mode(args[1] as libc::mode_t),
                    flags: 0,
                },
                libc::SYS_chown | libc::SYS_lchown => Request::SetMeta {
                    dir: cwd,
                    path: args[0],
                    change: Change::Owner(args[1] as libc::uid_t, args[2] as libc::gid_t),
                    flags: if nr == libc::SYS_lchown {
                        libc::AT_SYMLINK_NOFOLLOW as u64
                    } else {
                        0
                    },
                },
                _ => return Self::decode_at(nr, args),
            };
            Some(legacy)
        }
        #[cfg(not(target_arch = "x86_64"))]
        Self::decode_at(nr, args)
    }

    /// The `*at` calls, the same on every architecture.
    fn decode_at(nr: i64, args: &[u64; 6]) -> Option<Request> {
        let fd = |arg: u64| arg as i32;
        Some(match nr {
            libc::SYS_openat => Request::Open {
                dir: fd(args[0]),
                path: args[1],
                flags: args[2],
                mode: args[3],
            },
            libc::SYS_openat2 => Request::Open2 {
                dir: fd(args[0]),
                path: args[1],
                how: args[2],
                size: args[3],
            },
            libc::SYS_mkdirat => Request::Mkdir {
                dir: fd(args[0]),
                path: args[1],
                mode: args[2],
            },
            libc::SYS_mknodat => Request::Mknod {
                dir: fd(args[0]),
                path: args[1],
                mode: args[2],
            },
            libc::SYS_unlinkat => Request::Unlink {
                dir: fd(args[0]),
                path: args[1],
                flags: args[2],
            },
            libc::SYS_renameat => Request::Rename {
                old_dir: fd(args[0]),
                old: args[1],
                new_dir: fd(args[2]),
                new: args[3],
                flags: 0,
            },
            libc::SYS_renameat2 => Request::Rename {
                old_dir: fd(args[0]),
                old: args[1],
                new_dir: fd(args[2]),
                new: args[3],
                flags: args[4],
            },
            libc::SYS_linkat => Request::Link {
                old_dir: fd(args[0]),
                old: args[1],
                new_dir: fd(args[2]),
                new: args[3],
                flags: args[4],
            },
            libc::SYS_truncate => Request::Truncate {
                path: args[0],
                length: args[1],
            },
            libc::SYS_symlinkat => Request::Symlink {
                target: args[0],
                dir: fd(args[1]),
                path: args[2],
            },
            libc::SYS_fchmod => Request::SetMetaFd {
                fd: fd(args[0]),
                change: Change::Mode(args[1] as libc::mode_t),
            },
            libc::SYS_fchown => Request::SetMetaFd {
                fd: fd(args[0]),
                change: Change::Owner(args[1] as libc::uid_t, args[2] as libc::gid_t),
            },
            libc::SYS_fchmodat | libc::SYS_fchmodat2 => Request::SetMeta {
                dir: fd(args[0]),
                path: args[1],
                change: Change::Mode(args[2] as libc::mode_t),
                flags: if nr == libc::SYS_fchmodat2 {
                    args[3]
                } else {
                    0
                },
            },
            libc::SYS_fchownat => Request::SetMeta {
                dir: fd(args[0]),
                path: args[1],
                change: Change::Owner(args[2] as libc::uid_t, args[3] as libc::gid_t),
                flags: args[4],
            },
            _ => return None,
        })
    }
}

/// What was read from the caller's memory: the one or two strings of the
/// call (`Symlink`: the target, then the link's path).
struct Read {
    first: Vec<u8>,
    second: Vec<u8>,
}

/// The calling thread.
struct Task {
    tid: u32,
    /// From `/proc/TID/status`: its process, umask and number of seccomp
    /// filters.
    tgid: libc::pid_t,
    umask: libc::mode_t,
    filters: u32,
}

/// The `name:` field of a `/proc/PID/status` text.
fn status_field<'a>(status: &'a str, name: &str) -> Option<&'a str> {
    status
        .lines()
        .find_map(|line| line.strip_prefix(name)?.strip_prefix(':'))
        .map(str::trim)
}

/// How many seccomp filters this process runs under (`None` when the
/// kernel does not say: before Linux 5.9).
pub(crate) fn own_seccomp_filters() -> Option<u32> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status_field(&status, "Seccomp_filters")?.parse().ok()
}

impl Task {
    /// The calling thread, as `/proc/TID/status` describes it.
    fn read(tid: u32) -> Option<Task> {
        let status = std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?;
        Some(Task {
            tid,
            tgid: status_field(&status, "Tgid")?.parse().ok()?,
            umask: libc::mode_t::from_str_radix(status_field(&status, "Umask")?, 8).ok()?,
            filters: status_field(&status, "Seccomp_filters")?.parse().ok()?,
        })
    }

    /// Copy the call's strings out of the caller's memory, and turn an
    /// `openat2` for writing without `resolve` flags into an `Open`. `None`
    /// when they cannot be read, or the call is left to the kernel.
    fn read_request(&self, mut request: Request) -> Option<(Request, Read)> {
        let memory = Memory { tid: self.tid };
        let string = |address: u64| read_string(&memory, address);
        if let Request::Open2 {
            dir,
            path,
            how,
            size,
        } = request
        {
            let mut words = [0u8; 24];
            if size < 24 || memory.read_at(&mut words, how)? != 24 {
                return None;
            }
            let word = |index: usize| {
                u64::from_ne_bytes(words[index * 8..index * 8 + 8].try_into().unwrap_or([0; 8]))
            };
            let (flags, mode, resolve) = (word(0), word(1), word(2));
            if resolve != 0 || flags & crate::seccomp::OPEN_WRITE_FLAGS == 0 {
                return None;
            }
            request = Request::Open {
                dir,
                path,
                flags,
                mode,
            };
        }
        let (first, second) = match request {
            Request::Open { path, .. }
            | Request::Mkdir { path, .. }
            | Request::Mknod { path, .. }
            | Request::Unlink { path, .. }
            | Request::Truncate { path, .. }
            | Request::SetMeta { path, .. } => (string(path)?, Vec::new()),
            Request::SetMetaFd { .. } => (Vec::new(), Vec::new()),
            Request::Open2 { .. } => return None,
            Request::Rename { old, new, .. } | Request::Link { old, new, .. } => {
                (string(old)?, string(new)?)
            }
            Request::Symlink { target, path, .. } => (string(target)?, string(path)?),
        };
        Some((request, Read { first, second }))
    }

    /// The directory a relative `path` starts from: the caller's working
    /// directory or its descriptor `dir`; `/` for an absolute path.
    fn base(&self, dir: i32, path: &[u8]) -> Option<OwnedFd> {
        let from = if path.first() == Some(&b'/') {
            "/".to_string()
        } else if dir == libc::AT_FDCWD {
            format!("/proc/{}/cwd", self.tid)
        } else if dir >= 0 {
            format!("/proc/{}/fd/{dir}", self.tid)
        } else {
            return None;
        };
        let from = CString::new(from).ok()?;
        // SAFETY: open with a valid C string; the result is checked.
        let fd = unsafe {
            libc::open(
                from.as_ptr(),
                libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        // SAFETY: a new descriptor nothing else owns.
        (fd >= 0).then(|| unsafe { OwnedFd::from_raw_fd(fd) })
    }

    /// A copy of the caller's descriptor `fd` (`pidfd_getfd`).
    fn descriptor(&self, fd: i32) -> Option<OwnedFd> {
        // SAFETY: pidfd_open takes integers and returns a new descriptor.
        let pidfd = unsafe { libc::syscall(libc::SYS_pidfd_open, self.tgid, 0) };
        let pidfd = i32::try_from(pidfd).ok().filter(|&fd| fd >= 0)?;
        // SAFETY: a new descriptor nothing else owns.
        let pidfd = unsafe { OwnedFd::from_raw_fd(pidfd) };
        // SAFETY: pidfd_getfd takes integers and returns a new descriptor.
        let copy = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), fd, 0) };
        let copy = i32::try_from(copy).ok().filter(|&fd| fd >= 0)?;
        // SAFETY: a new descriptor nothing else owns.
        Some(unsafe { OwnedFd::from_raw_fd(copy) })
    }

    /// The caller's umask.
    fn umask(&self) -> Option<libc::mode_t> {
        Some(self.umask)
    }

    /// `path` with `/proc/self`, `/proc/thread-self` and `/dev/fd` naming
    /// the caller's, not the service's.
    fn own_proc(&self, path: &[u8]) -> Vec<u8> {
        let tid = self.tid;
        for (prefix, replacement) in [
            (&b"/proc/self"[..], format!("/proc/{tid}")),
            (&b"/proc/thread-self"[..], format!("/proc/{tid}/task/{tid}")),
            (&b"/dev/fd"[..], format!("/proc/{tid}/fd")),
        ] {
            if let Some(rest) = path.strip_prefix(prefix)
                && (rest.is_empty() || rest[0] == b'/')
            {
                let mut rewritten = replacement.into_bytes();
                rewritten.extend_from_slice(rest);
                return rewritten;
            }
        }
        path.to_vec()
    }
}

/// An entry found for a call: a handle on its directory, its name there,
/// and its real path (the directory's, as the kernel reports it, joined
/// with the name).
struct Located {
    dir: OwnedFd,
    name: CString,
    path: PathBuf,
}

impl Located {
    /// Find `path` as the caller names it (relative to its `dir`). A path
    /// ending in `/` is accepted only for a directory (`directory`).
    fn find(task: &Task, dir: i32, path: &[u8], directory: bool) -> Option<Located> {
        let path = task.own_proc(path);
        let base = task.base(dir, &path)?;
        Self::find_from(&base, &path, directory)
    }

    /// Find `path` relative to `base` (absolute paths ignore it).
    fn find_from(base: &OwnedFd, path: &[u8], directory: bool) -> Option<Located> {
        let trimmed_len = path.iter().rposition(|&byte| byte != b'/')? + 1;
        if trimmed_len < path.len() && !directory {
            return None;
        }
        let trimmed = &path[..trimmed_len];
        let (parent, name) = match trimmed.iter().rposition(|&byte| byte == b'/') {
            Some(slash) => (&trimmed[..=slash], &trimmed[slash + 1..]),
            None => (&b""[..], trimmed),
        };
        if name == b"." || name == b".." {
            return None;
        }
        let dir = if parent.is_empty() {
            base.try_clone().ok()?
        } else {
            open_directory(base, parent)?
        };
        let directory = fd_path(&dir)?;
        // Inside `/proc` a name can be a magic link to one of the
        // service's own descriptors: leave such calls to the kernel, which
        // resolves them for the caller.
        if directory.starts_with("/proc") {
            return None;
        }
        let path = directory.join(OsStr::from_bytes(name));
        Some(Located {
            dir,
            name: CString::new(name).ok()?,
            path,
        })
    }
}

/// What an entry is, for the calls that open it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Regular,
    Fifo,
    Missing,
    Other,
}

/// The entry `entry` leads to, through symlinks when `follow` (at most
/// [`MAX_SYMLINKS`]), and what it is there. `None` for a symlink loop or a
/// target that cannot be found.
fn follow_links(mut entry: Located, follow: bool) -> Option<(Located, Kind)> {
    for _ in 0..MAX_SYMLINKS {
        let kind = match stat_at(&entry.dir, &entry.name) {
            Ok(stat) => match stat.st_mode & libc::S_IFMT {
                libc::S_IFLNK if follow => {
                    let target = read_link_at(&entry.dir, &entry.name)?;
                    entry = Located::find_from(&entry.dir, &target, false)?;
                    continue;
                }
                libc::S_IFREG => Kind::Regular,
                libc::S_IFIFO => Kind::Fifo,
                _ => Kind::Other,
            },
            Err(error) if error.raw_os_error() == Some(libc::ENOENT) => Kind::Missing,
            Err(_) => return None,
        };
        return Some((entry, kind));
    }
    None
}

/// Make `change` to the inode `fd` is open on (an `O_PATH` descriptor
/// will do). A symlink's mode cannot be changed (`EOPNOTSUPP`, as the
/// kernel says).
fn apply_change(fd: &OwnedFd, change: Change) -> io::Result<i64> {
    match change {
        Change::Mode(mode) => {
            if fstat(fd)?.st_mode & libc::S_IFMT == libc::S_IFLNK {
                return Err(io::Error::from_raw_os_error(libc::EOPNOTSUPP));
            }
            let path = CString::new(format!("/proc/self/fd/{}", fd.as_raw_fd()))
                .map_err(|_| io::Error::from_raw_os_error(libc::EINVAL))?;
            // SAFETY: chmod with a valid C string.
            check(unsafe { libc::chmod(path.as_ptr(), mode) })
        }
        Change::Owner(owner, group) => {
            // SAFETY: fchownat with an empty path on our descriptor.
            check(unsafe {
                libc::fchownat(
                    fd.as_raw_fd(),
                    c"".as_ptr(),
                    owner,
                    group,
                    libc::AT_EMPTY_PATH,
                )
            })
        }
    }
}

/// Give `file`, opened with `flags | O_NONBLOCK`, the status flags `flags`
/// asked for (one call: the status flags are known).
fn clear_nonblocking(file: &OwnedFd, flags: i32) {
    let status = flags & (libc::O_APPEND | libc::O_ASYNC | libc::O_DIRECT | libc::O_NOATIME);
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        libc::fcntl(file.as_raw_fd(), libc::F_SETFL, status);
    }
}

/// An `O_PATH` handle on the directory `path` names from `base`, following
/// symlinks as the kernel does.
fn open_directory(base: &OwnedFd, path: &[u8]) -> Option<OwnedFd> {
    let path = CString::new(path).ok()?;
    open_at(
        base,
        &path,
        libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
        0,
    )
    .ok()
}

/// The real path of an open directory, as the kernel reports it; `None` for
/// one deleted or outside this process's root.
fn fd_path(fd: &OwnedFd) -> Option<PathBuf> {
    let path = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).ok()?;
    let bytes = path.as_os_str().as_bytes();
    (bytes.first() == Some(&b'/') && !bytes.ends_with(b" (deleted)")).then_some(path)
}

fn open_at(dir: &OwnedFd, name: &std::ffi::CStr, flags: i32, mode: u64) -> io::Result<OwnedFd> {
    // SAFETY: openat with a valid descriptor and C string; checked result.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags, mode as libc::c_uint) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new descriptor nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn stat_at(dir: &OwnedFd, name: &std::ffi::CStr) -> io::Result<libc::stat> {
    // SAFETY: fstatat writes one `stat` into the zeroed local.
    unsafe {
        let mut stat: libc::stat = std::mem::zeroed();
        if libc::fstatat(
            dir.as_raw_fd(),
            name.as_ptr(),
            &mut stat,
            libc::AT_SYMLINK_NOFOLLOW,
        ) != 0
        {
            return Err(io::Error::last_os_error());
        }
        Ok(stat)
    }
}

fn fstat(fd: &OwnedFd) -> io::Result<libc::stat> {
    // SAFETY: fstat writes one `stat` into the zeroed local.
    unsafe {
        let mut stat: libc::stat = std::mem::zeroed();
        if libc::fstat(fd.as_raw_fd(), &mut stat) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(stat)
    }
}

fn read_link_at(dir: &OwnedFd, name: &std::ffi::CStr) -> Option<Vec<u8>> {
    let mut buffer = vec![0u8; PATH_MAX];
    // SAFETY: readlinkat writes at most `buffer.len()` bytes into it.
    let length = unsafe {
        libc::readlinkat(
            dir.as_raw_fd(),
            name.as_ptr(),
            buffer.as_mut_ptr().cast(),
            buffer.len(),
        )
    };
    let length = usize::try_from(length).ok().filter(|&n| n < PATH_MAX)?;
    buffer.truncate(length);
    Some(buffer)
}

/// Another process's memory, read with `process_vm_readv` (one call, no
/// descriptor; the same ptrace access as `/proc/PID/mem`).
struct Memory {
    tid: u32,
}

impl Memory {
    /// Read into `buffer` from `address`: how many bytes could be read
    /// (fewer when the range runs into an unmapped page), `None` when none.
    fn read_at(&self, buffer: &mut [u8], address: u64) -> Option<usize> {
        let local = libc::iovec {
            iov_base: buffer.as_mut_ptr().cast(),
            iov_len: buffer.len(),
        };
        let remote = libc::iovec {
            iov_base: address as *mut libc::c_void,
            iov_len: buffer.len(),
        };
        // SAFETY: the kernel writes at most `buffer.len()` bytes into
        // `buffer`; the remote address is only read, in the other process.
        let read = unsafe {
            libc::process_vm_readv(
                self.tid as libc::pid_t,
                &raw const local,
                1,
                &raw const remote,
                1,
                0,
            )
        };
        usize::try_from(read).ok().filter(|&read| read > 0)
    }
}

/// A NUL-terminated string at `address` in a process's memory, at most
/// `PATH_MAX` bytes with its NUL; read page by page so a string ending
/// just before an unmapped page is read whole.
fn read_string(memory: &Memory, address: u64) -> Option<Vec<u8>> {
    const PAGE: u64 = 4096;
    let mut bytes = Vec::new();
    let mut at = address;
    while bytes.len() < PATH_MAX {
        let to_page_end = PAGE - at % PAGE;
        let want = usize::try_from(to_page_end)
            .ok()?
            .min(PATH_MAX - bytes.len());
        let mut chunk = vec![0u8; want];
        let got = memory.read_at(&mut chunk, at)?;
        chunk.truncate(got);
        if let Some(end) = chunk.iter().position(|&byte| byte == 0) {
            bytes.extend_from_slice(&chunk[..end]);
            return Some(bytes);
        }
        bytes.extend_from_slice(&chunk);
        at = at.checked_add(got as u64)?;
    }
    None
}

/// Run `f` with this process's umask set to the caller's, so the kernel
/// applies it exactly as for the caller (or not, under a default ACL). The
/// supervisor is single-threaded.
fn with_umask<T>(umask: libc::mode_t, f: impl FnOnce() -> T) -> T {
    // SAFETY: umask only swaps this process's mask.
    let previous = unsafe { libc::umask(umask) };
    let result = f();
    // SAFETY: as above.
    unsafe {
        libc::umask(previous);
    }
    result
}

fn check(result: libc::c_int) -> io::Result<i64> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(i64::from(result))
    }
}

fn check_long(result: libc::c_long) -> io::Result<i64> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RootKind;

    fn policy(base: &Path) -> EntryPolicy {
        let roots = [
            WritableRoot {
                path: base.join("ws"),
                kind: RootKind::Workspace,
            },
            WritableRoot {
                path: base.to_path_buf(),
                kind: RootKind::Temp,
            },
        ];
        EntryPolicy::new(&roots, &[])
    }

    #[test]
    fn entries_beneath_a_root_are_writable_except_the_protected_ones() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(base.join("ws/.git")).unwrap();
        let policy = policy(&base);
        let ws = base.join("ws");
        for (path, writable, movable) in [
            (ws.join("new"), true, true),
            (ws.join("src/lib.rs"), true, true),
            (ws.join(".git"), false, false),
            (ws.join(".git/config"), false, false),
            (ws.join(".git/hooks/pre-commit"), false, false),
            (ws.join(".duet"), false, false),
            (ws.join(".agents/skills"), false, false),
            (ws.join(".github"), true, true),
            (ws.join("sub/.git"), true, true),
            // The workspace is inside the temp root: writable there, but
            // neither it nor the temp root's own protected names move.
            (ws.clone(), true, false),
            (base.join(".git"), false, false),
            (base.join("other"), true, true),
            (base.clone(), false, false),
            (base.parent().unwrap().join("sibling"), false, false),
            (PathBuf::from("/etc/passwd"), false, false),
        ] {
            assert_eq!(
                (policy.writable(&path), policy.movable(&path)),
                (writable, movable),
                "{}",
                path.display()
            );
        }
    }

    #[test]
    fn a_path_is_split_into_a_directory_handle_and_a_name() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        std::fs::create_dir_all(base.join("a/b")).unwrap();
        std::os::unix::fs::symlink("a", base.join("link")).unwrap();
        let root = OwnedFd::from(std::fs::File::open("/").unwrap());
        let from = open_directory(&root, base.as_os_str().as_bytes()).unwrap();
        let found = |path: &[u8], directory: bool| {
            Located::find_from(&from, path, directory).map(|entry| entry.path)
        };
        assert_eq!(found(b"new", false), Some(base.join("new")));
        assert_eq!(found(b"a/b/new", false), Some(base.join("a/b/new")));
        assert_eq!(found(b"link/new", false), Some(base.join("a/new")));
        assert_eq!(found(b"a/../link/b/x", false), Some(base.join("a/b/x")));
        assert_eq!(found(b"a/b/", true), Some(base.join("a/b")));
        assert_eq!(found(b"a/b/", false), None);
        assert_eq!(found(b"a/..", false), None);
        assert_eq!(found(b"a/.", false), None);
        assert_eq!(found(b"", false), None);
        assert_eq!(found(b"missing/new", false), None);
        let absolute = base.join("a/new");
        assert_eq!(
            found(absolute.as_os_str().as_bytes(), false),
            Some(absolute.clone())
        );
    }

    #[test]
    fn proc_self_names_the_caller() {
        let task = Task {
            tid: 42,
            tgid: 42,
            umask: 0o22,
            filters: 1,
        };
        assert_eq!(task.own_proc(b"/proc/self/cwd/x"), b"/proc/42/cwd/x");
        assert_eq!(task.own_proc(b"/proc/self"), b"/proc/42");
        assert_eq!(
            task.own_proc(b"/proc/thread-self/fd/3"),
            b"/proc/42/task/42/fd/3"
        );
        assert_eq!(task.own_proc(b"/proc/selfish"), b"/proc/selfish");
        assert_eq!(task.own_proc(b"/dev/fd/63"), b"/proc/42/fd/63");
        assert_eq!(task.own_proc(b"proc/self/x"), b"proc/self/x");
    }

    #[test]
    fn strings_are_read_up_to_their_nul_across_pages() {
        let memory = Memory {
            tid: std::process::id(),
        };
        let text = b"hello/world\0rest".to_vec();
        let address = text.as_ptr() as u64;
        assert_eq!(read_string(&memory, address), Some(b"hello/world".to_vec()));
        let long = vec![b'x'; PATH_MAX + 10];
        assert_eq!(read_string(&memory, long.as_ptr() as u64), None);
        assert_eq!(read_string(&memory, 0), None);
    }
}
