//! Directory handles for writing a patch: a directory is opened by its real
//! path without following any symlink on the way, and every file is then
//! created, renamed or removed relative to that handle.
//!
//! Why: a path checked against the writable roots and then written by name
//! can be redirected in between (a concurrent command swaps a directory on
//! the way for a symlink to somewhere else). Opened this way, a symlink
//! anywhere on the path fails the open instead (`openat2` with
//! `RESOLVE_NO_SYMLINKS` where the kernel has it, else one `O_NOFOLLOW`
//! step per component), and what the handle names can no longer change.
//!
//! This is not a general filesystem API: only what `commit.rs` needs.

use rustix::fs::{AtFlags, CWD, Mode, OFlags};
use std::ffi::{OsStr, OsString};
use std::fs::File;
use std::io;
use std::os::fd::OwnedFd;
use std::path::{Component, Path};
use std::sync::Arc;

/// An open directory.
#[derive(Debug, Clone)]
pub(crate) struct Dir {
    fd: Arc<OwnedFd>,
}

/// How a directory is opened: only as a handle to work in (`O_PATH` where
/// Linux has it), never through a final symlink.
#[cfg(target_os = "linux")]
const DIR_FLAGS: OFlags = OFlags::PATH
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);
#[cfg(not(target_os = "linux"))]
const DIR_FLAGS: OFlags = OFlags::RDONLY
    .union(OFlags::DIRECTORY)
    .union(OFlags::NOFOLLOW)
    .union(OFlags::CLOEXEC);

impl Dir {
    /// Open the directory at `real_path` (absolute), creating the missing
    /// ones at its end; each directory created is pushed to `created` (its
    /// parent and name) so it can be removed again. Fails with `ELOOP` or
    /// `ENOTDIR` when a component is a symlink.
    pub(crate) fn open_creating(
        real_path: &Path,
        created: &mut Vec<(Dir, OsString)>,
    ) -> io::Result<Dir> {
        let mut missing: Vec<&OsStr> = Vec::new();
        let mut existing = real_path;
        let mut dir = loop {
            match Dir::open(existing) {
                Ok(dir) => break dir,
                Err(error) if error.kind() == io::ErrorKind::NotFound => {
                    let (Some(parent), Some(name)) = (existing.parent(), existing.file_name())
                    else {
                        return Err(error);
                    };
                    missing.push(name);
                    existing = parent;
                }
                Err(error) => return Err(error),
            }
        };
        for name in missing.into_iter().rev() {
            match rustix::fs::mkdirat(&*dir.fd, name, Mode::from_raw_mode(0o777)) {
                Ok(()) => created.push((dir.clone(), name.to_os_string())),
                // Made meanwhile: use it if it is a real directory.
                Err(rustix::io::Errno::EXIST) => {}
                Err(error) => return Err(error.into()),
            }
            dir = dir.child(name)?;
        }
        Ok(dir)
    }

    /// Open the directory at `real_path` (absolute, no symlink in it).
    pub(crate) fn open(real_path: &Path) -> io::Result<Dir> {
        #[cfg(target_os = "linux")]
        {
            use rustix::fs::ResolveFlags;
            let resolve = ResolveFlags::NO_SYMLINKS | ResolveFlags::NO_MAGICLINKS;
            // EAGAIN: a rename raced with the lookup; try again.
            for _ in 0..8 {
                match rustix::fs::openat2(CWD, real_path, DIR_FLAGS, Mode::empty(), resolve) {
                    Ok(fd) => return Ok(Dir { fd: Arc::new(fd) }),
                    Err(rustix::io::Errno::AGAIN) => continue,
                    // An older kernel, or a seccomp profile that refuses
                    // the call: walk one component at a time instead.
                    Err(rustix::io::Errno::NOSYS | rustix::io::Errno::PERM) => break,
                    Err(error) => return Err(error.into()),
                }
            }
        }
        let mut dir = Dir {
            fd: Arc::new(rustix::fs::openat(CWD, "/", DIR_FLAGS, Mode::empty())?),
        };
        for component in real_path.components() {
            match component {
                Component::RootDir => {}
                Component::Normal(name) => dir = dir.child(name)?,
                _ => {
                    return Err(io::Error::new(
                        io::ErrorKind::InvalidInput,
                        "the path is not absolute and resolved",
                    ));
                }
            }
        }
        Ok(dir)
    }

    /// The subdirectory `name`, which must not be a symlink.
    fn child(&self, name: &OsStr) -> io::Result<Dir> {
        let fd = rustix::fs::openat(&*self.fd, name, DIR_FLAGS, Mode::empty())?;
        Ok(Dir { fd: Arc::new(fd) })
    }

    /// Create the new file `name` (it must not exist, and is never a
    /// symlink's target), open for writing.
    pub(crate) fn create_new(&self, name: &OsStr) -> io::Result<File> {
        let flags =
            OFlags::WRONLY | OFlags::CREATE | OFlags::EXCL | OFlags::NOFOLLOW | OFlags::CLOEXEC;
        let fd = rustix::fs::openat(&*self.fd, name, flags, Mode::from_raw_mode(0o666))?;
        Ok(File::from(fd))
    }

    /// Rename the entry `from` to `to`, both in this directory.
    pub(crate) fn rename(&self, from: &OsStr, to: &OsStr) -> io::Result<()> {
        Ok(rustix::fs::renameat(&*self.fd, from, &*self.fd, to)?)
    }

    /// Remove the entry `name` (a symlink itself, never its target).
    pub(crate) fn remove_file(&self, name: &OsStr) -> io::Result<()> {
        Ok(rustix::fs::unlinkat(&*self.fd, name, AtFlags::empty())?)
    }

    /// Remove the empty directory `name`.
    pub(crate) fn remove_dir(&self, name: &OsStr) -> io::Result<()> {
        Ok(rustix::fs::unlinkat(&*self.fd, name, AtFlags::REMOVEDIR)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn a_symlink_anywhere_on_the_path_fails_the_open() {
        let temp = tempfile::tempdir().unwrap();
        let base = temp.path().canonicalize().unwrap();
        std::fs::create_dir_all(base.join("real/sub")).unwrap();
        std::os::unix::fs::symlink(base.join("real"), base.join("link")).unwrap();
        assert!(Dir::open(&base.join("real/sub")).is_ok());
        let error = Dir::open(&base.join("link/sub")).unwrap_err();
        assert!(
            // ELOOP (openat2) or ENOTDIR (the component walk).
            matches!(error.raw_os_error(), Some(40 | 20)),
            "{error}"
        );
        let mut created = Vec::new();
        let error = Dir::open_creating(&base.join("link/new/deeper"), &mut created).unwrap_err();
        assert!(error.raw_os_error().is_some(), "{error}");
        assert!(created.is_empty());
        assert!(!base.join("real/new").exists());
    }

    #[test]
    fn missing_directories_are_created_and_recorded() {
        let temp = tempfile::tempdir().unwrap();
        let base = temp.path().canonicalize().unwrap();
        let mut created = Vec::new();
        let dir = Dir::open_creating(&base.join("a/b"), &mut created).unwrap();
        drop(dir.create_new(OsStr::new("f")).unwrap());
        assert!(base.join("a/b/f").is_file());
        let names: Vec<OsString> = created.iter().map(|(_, name)| name.clone()).collect();
        assert_eq!(names, vec![OsString::from("a"), OsString::from("b")]);
        // A symlink in the place of the new file is not followed.
        std::os::unix::fs::symlink("/etc/passwd", base.join("a/b/l")).unwrap();
        assert_eq!(
            dir.create_new(OsStr::new("l")).unwrap_err().kind(),
            io::ErrorKind::AlreadyExists
        );
    }
}
