//! What a notified call asks: decoding the system call, reading its
//! strings out of the caller's memory, and the caller's own state.
#![allow(unsafe_code)]

use super::{Answer, PATH_MAX};
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};

/// A call the service handles, with its arguments (addresses of strings in
/// the caller's memory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Request {
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
pub(super) enum Change {
    Mode(libc::mode_t),
    Owner(libc::uid_t, libc::gid_t),
}

impl Request {
    /// The answer when the service does not make the call itself: let the
    /// kernel continue it (Landlock judges it), except for metadata
    /// changes, which Landlock would not judge at all.
    pub(super) fn otherwise(&self) -> Answer {
        match self {
            Request::SetMeta { .. } | Request::SetMetaFd { .. } => {
                Answer::Done(Err(io::Error::from_raw_os_error(libc::EPERM)))
            }
            _ => Answer::Continue,
        }
    }
}

impl Request {
    pub(super) fn decode(nr: i64, args: &[u64; 6]) -> Option<Request> {
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
    pub(super) fn decode_at(nr: i64, args: &[u64; 6]) -> Option<Request> {
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
pub(super) struct Read {
    pub(super) first: Vec<u8>,
    pub(super) second: Vec<u8>,
}

/// The calling thread.
pub(super) struct Task {
    pub(super) tid: u32,
    /// From `/proc/TID/status`: its process, umask and number of seccomp
    /// filters.
    pub(super) tgid: libc::pid_t,
    pub(super) umask: libc::mode_t,
    pub(super) filters: u32,
}

/// The `name:` field of a `/proc/PID/status` text.
pub(super) fn status_field<'a>(status: &'a str, name: &str) -> Option<&'a str> {
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
    pub(super) fn read(tid: u32) -> Option<Task> {
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
    pub(super) fn read_request(&self, mut request: Request) -> Option<(Request, Read)> {
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
    pub(super) fn base(&self, dir: i32, path: &[u8]) -> Option<OwnedFd> {
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
    pub(super) fn descriptor(&self, fd: i32) -> Option<OwnedFd> {
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
    pub(super) fn umask(&self) -> Option<libc::mode_t> {
        Some(self.umask)
    }

    /// `path` with `/proc/self`, `/proc/thread-self` and `/dev/fd` naming
    /// the caller's, not the service's.
    pub(super) fn own_proc(&self, path: &[u8]) -> Vec<u8> {
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

/// Another process's memory, read with `process_vm_readv` (one call, no
/// descriptor; the same ptrace access as `/proc/PID/mem`).
pub(super) struct Memory {
    pub(super) tid: u32,
}

impl Memory {
    /// Read into `buffer` from `address`: how many bytes could be read
    /// (fewer when the range runs into an unmapped page), `None` when none.
    pub(super) fn read_at(&self, buffer: &mut [u8], address: u64) -> Option<usize> {
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
pub(super) fn read_string(memory: &Memory, address: u64) -> Option<Vec<u8>> {
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
