//! One process at a time per saved thread.
//!
//! Two `duet exec resume` of one thread at once would interleave its history
//! in the store (all prompts, then all answers). Each session that saves its
//! thread holds an exclusive lock on `$DUET_HOME/locks/<thread id>.lock`
//! (`flock`, released by the kernel when the process ends, however it ends)
//! for as long as it runs, and writes its pid into the file. A second process
//! is refused with that pid; a second session of the same process (the TUI
//! switching back to a thread whose old session is still shutting down)
//! waits a moment for the first to let go.

use std::fs::{File, OpenOptions, TryLockError};
use std::io::{Read, Seek, Write};
use std::path::Path;
use std::time::{Duration, Instant};

/// How long a session waits for another session of this same process.
const SAME_PROCESS_WAIT: Duration = Duration::from_secs(5);

/// Held while the session runs; dropping it releases the thread and
/// removes the lock file.
#[derive(Debug)]
pub(crate) struct ThreadLock {
    file: File,
    path: std::path::PathBuf,
}

impl Drop for ThreadLock {
    fn drop(&mut self) {
        // Removed while still locked: a process that opened the file just
        // before sees, once it gets the lock, that the path no longer
        // names it, and starts again with a new file (`acquire`).
        let _ = std::fs::remove_file(&self.path);
        let _ = self.file.unlock();
    }
}

/// Why the thread could not be locked.
#[derive(Debug, thiserror::Error)]
pub enum ThreadLockError {
    #[error(
        "session `{thread_id}` is in use by another duet (process {holder}); wait for it to \
         finish or stop it, then try again"
    )]
    InUse { thread_id: String, holder: String },
    #[error("cannot lock session `{thread_id}` in `{}`: {error}; check that `DUET_HOME` is writable", .path.display())]
    Io {
        thread_id: String,
        path: std::path::PathBuf,
        error: std::io::Error,
    },
}

impl ThreadLock {
    /// Lock `thread_id` under `duet_home`.
    pub(crate) fn acquire(
        duet_home: &Path,
        thread_id: &str,
    ) -> Result<ThreadLock, ThreadLockError> {
        let dir = duet_home.join("locks");
        let path = dir.join(format!("{thread_id}.lock"));
        let io = |error: std::io::Error| ThreadLockError::Io {
            thread_id: thread_id.to_string(),
            path: path.clone(),
            error,
        };
        std::fs::create_dir_all(&dir).map_err(io)?;
        let started = Instant::now();
        let mut file = open(&path).map_err(io)?;
        loop {
            match file.try_lock() {
                // Locked, but the file may have been removed by the holder
                // that just let go: then lock the path's new file instead.
                Ok(()) if !names(&path, &file) => {
                    file = open(&path).map_err(io)?;
                }
                Ok(()) => break,
                Err(TryLockError::WouldBlock) => {
                    let holder = holder_of(&mut file);
                    let ours = holder == std::process::id().to_string();
                    if !ours || started.elapsed() > SAME_PROCESS_WAIT {
                        return Err(ThreadLockError::InUse {
                            thread_id: thread_id.to_string(),
                            holder,
                        });
                    }
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(TryLockError::Error(error)) => return Err(io(error)),
            }
        }
        // Best effort: the pid only names the holder in the message above.
        let _ = file
            .set_len(0)
            .and_then(|()| file.rewind())
            .and_then(|()| write!(file, "{}", std::process::id()));
        Ok(ThreadLock { file, path })
    }
}

fn open(path: &Path) -> std::io::Result<File> {
    OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
}

/// Whether `path` still names the open `file`.
fn names(path: &Path, file: &File) -> bool {
    use std::os::unix::fs::MetadataExt;
    match (std::fs::metadata(path), file.metadata()) {
        (Ok(at_path), Ok(open)) => at_path.dev() == open.dev() && at_path.ino() == open.ino(),
        _ => false,
    }
}

/// The pid the holder wrote, or `unknown`.
fn holder_of(file: &mut File) -> String {
    let mut text = String::new();
    let _ = file.rewind().and_then(|()| file.read_to_string(&mut text));
    match text.trim() {
        "" => "unknown".to_string(),
        pid => pid.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn a_thread_is_held_by_one_session_at_a_time() {
        let home = tempfile::tempdir().unwrap();
        let first = ThreadLock::acquire(home.path(), "t1").unwrap();
        // Another thread is free.
        let other = ThreadLock::acquire(home.path(), "t2").unwrap();
        drop(other);
        // This process holds `t1`: a second session waits, then gives up
        // naming the holder (here, after the whole wait).
        let error = ThreadLock::acquire(home.path(), "t1").unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "session `t1` is in use by another duet (process {}); wait for it to finish or \
                 stop it, then try again",
                std::process::id()
            )
        );
        drop(first);
        // Released: the file is gone, and the thread can be locked again.
        assert!(!home.path().join("locks/t1.lock").exists());
        let again = ThreadLock::acquire(home.path(), "t1").unwrap();
        assert!(home.path().join("locks/t1.lock").exists());
        drop(again);
    }
}
