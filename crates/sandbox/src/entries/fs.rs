//! Finding entries as the caller names them, and the file-system calls
//! the service makes on handles.
#![allow(unsafe_code)]

use super::request::{Change, Task};
use super::{MAX_SYMLINKS, PATH_MAX};
use std::ffi::{CString, OsStr};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;

/// An entry found for a call: a handle on its directory, its name there,
/// and its real path (the directory's, as the kernel reports it, joined
/// with the name).
pub(super) struct Located {
    pub(super) dir: OwnedFd,
    pub(super) name: CString,
    pub(super) path: PathBuf,
}

impl Located {
    /// Find `path` as the caller names it (relative to its `dir`). A path
    /// ending in `/` is accepted only for a directory (`directory`).
    pub(super) fn find(task: &Task, dir: i32, path: &[u8], directory: bool) -> Option<Located> {
        let path = task.own_proc(path);
        let base = task.base(dir, &path)?;
        Self::find_from(&base, &path, directory)
    }

    /// Find `path` relative to `base` (absolute paths ignore it).
    pub(super) fn find_from(base: &OwnedFd, path: &[u8], directory: bool) -> Option<Located> {
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
pub(super) enum Kind {
    Regular,
    Fifo,
    Missing,
    Other,
}

/// The entry `entry` leads to, through symlinks when `follow` (at most
/// [`MAX_SYMLINKS`]), and what it is there. `None` for a symlink loop or a
/// target that cannot be found.
pub(super) fn follow_links(mut entry: Located, follow: bool) -> Option<(Located, Kind)> {
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
pub(super) fn apply_change(fd: &OwnedFd, change: Change) -> io::Result<i64> {
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
pub(super) fn clear_nonblocking(file: &OwnedFd, flags: i32) {
    let status = flags & (libc::O_APPEND | libc::O_ASYNC | libc::O_DIRECT | libc::O_NOATIME);
    // SAFETY: fcntl on a descriptor we own.
    unsafe {
        libc::fcntl(file.as_raw_fd(), libc::F_SETFL, status);
    }
}

/// An `O_PATH` handle on the directory `path` names from `base`, following
/// symlinks as the kernel does.
pub(super) fn open_directory(base: &OwnedFd, path: &[u8]) -> Option<OwnedFd> {
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
pub(super) fn fd_path(fd: &OwnedFd) -> Option<PathBuf> {
    let path = std::fs::read_link(format!("/proc/self/fd/{}", fd.as_raw_fd())).ok()?;
    let bytes = path.as_os_str().as_bytes();
    (bytes.first() == Some(&b'/') && !bytes.ends_with(b" (deleted)")).then_some(path)
}

/// `name` in `dir` opened with `flags` and never through a final symlink,
/// never blocking (`O_NOFOLLOW | O_NONBLOCK`, close-on-exec here); `None`
/// when it is not a regular file after all (swapped meanwhile). The caller
/// clears `O_NONBLOCK` if it must ([`clear_nonblocking`]).
pub(super) fn open_regular(
    dir: &OwnedFd,
    name: &std::ffi::CStr,
    flags: i32,
    mode: u64,
) -> io::Result<Option<OwnedFd>> {
    let ours = flags | libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC;
    let file = open_at(dir, name, ours, mode)?;
    let regular = fstat(&file).is_ok_and(|stat| stat.st_mode & libc::S_IFMT == libc::S_IFREG);
    Ok(regular.then_some(file))
}

pub(super) fn open_at(
    dir: &OwnedFd,
    name: &std::ffi::CStr,
    flags: i32,
    mode: u64,
) -> io::Result<OwnedFd> {
    // SAFETY: openat with a valid descriptor and C string; checked result.
    let fd = unsafe { libc::openat(dir.as_raw_fd(), name.as_ptr(), flags, mode as libc::c_uint) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a new descriptor nothing else owns.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

pub(super) fn stat_at(dir: &OwnedFd, name: &std::ffi::CStr) -> io::Result<libc::stat> {
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

pub(super) fn fstat(fd: &OwnedFd) -> io::Result<libc::stat> {
    // SAFETY: fstat writes one `stat` into the zeroed local.
    unsafe {
        let mut stat: libc::stat = std::mem::zeroed();
        if libc::fstat(fd.as_raw_fd(), &mut stat) != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(stat)
    }
}

pub(super) fn read_link_at(dir: &OwnedFd, name: &std::ffi::CStr) -> Option<Vec<u8>> {
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

/// Run `f` with this process's umask set to the caller's, so the kernel
/// applies it exactly as for the caller (or not, under a default ACL). The
/// supervisor is single-threaded.
pub(super) fn with_umask<T>(umask: libc::mode_t, f: impl FnOnce() -> T) -> T {
    // SAFETY: umask only swaps this process's mask.
    let previous = unsafe { libc::umask(umask) };
    let result = f();
    // SAFETY: as above.
    unsafe {
        libc::umask(previous);
    }
    result
}

pub(super) fn check(result: libc::c_int) -> io::Result<i64> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(i64::from(result))
    }
}

pub(super) fn check_long(result: libc::c_long) -> io::Result<i64> {
    if result < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(result)
    }
}
