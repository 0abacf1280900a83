//! The calls the service makes itself: each judged by the policy, then
//! made through a handle on the resolved directory.
#![allow(unsafe_code)]

use super::fs::{
    Kind, Located, apply_change, check, check_long, clear_nonblocking, fd_path, follow_links,
    fstat, open_at, open_directory, open_regular, with_umask,
};
use super::request::{Change, Read, Request, Task};
use super::{Answer, EntryService, RENAME_EXCHANGE, RENAME_NOREPLACE, install_fd, send};
use std::ffi::CString;
use std::io;
use std::os::fd::AsRawFd;

impl EntryService {
    /// Make the call if the policy allows it; `None` to continue it.
    pub(super) fn perform(
        &self,
        task: &Task,
        id: u64,
        request: Request,
        read: &Read,
    ) -> Option<Answer> {
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
    pub(super) fn open_fifo(
        &self,
        id: u64,
        entry: Located,
        flags: i32,
        cloexec: bool,
    ) -> Option<Answer> {
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

    pub(super) fn open(
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
        // The umask was read with the caller's state; the kernel applies it
        // only if the file is created.
        let opened = with_umask(task.umask()?, || {
            open_regular(&entry.dir, &entry.name, flags, mode)
        });
        let file = match opened {
            Ok(file) => file?,
            Err(error) => return Some(Answer::Done(Err(error))),
        };
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
    pub(super) fn openable(
        &self,
        entry: Located,
        follow: bool,
        create: bool,
    ) -> Option<(Located, Kind)> {
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
    pub(super) fn set_metadata(
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
    pub(super) fn set_metadata_fd(&self, task: &Task, fd: i32, change: Change) -> Option<Answer> {
        let ours = task.descriptor(fd)?;
        if !self.policy.writable_directory(&fd_path(&ours)?) {
            return None;
        }
        Some(Answer::Done(apply_change(&ours, change)))
    }

    /// `truncate(2)` by path: the file is opened here and truncated.
    pub(super) fn truncate(&self, task: &Task, path: &[u8], length: u64) -> Option<Answer> {
        let entry = Located::find(task, libc::AT_FDCWD, path, false)?;
        let (entry, Kind::Regular) = self.openable(entry, true, false)? else {
            return None;
        };
        let file = match open_regular(&entry.dir, &entry.name, libc::O_WRONLY, 0) {
            Ok(file) => file?,
            Err(error) => return Some(Answer::Done(Err(error))),
        };
        // SAFETY: ftruncate on a descriptor we own.
        Some(Answer::Done(check(unsafe {
            libc::ftruncate(file.as_raw_fd(), length as libc::off_t)
        })))
    }
}
