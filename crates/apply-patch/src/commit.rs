//! Writing a staged patch: all or nothing.
//!
//! Each new file is written to a temporary file in its own directory and
//! renamed to the target's name, so a reader never sees half a file. Before
//! a file is replaced or deleted, the old one is renamed aside in the same
//! directory; if any later step fails, every step already taken is undone in
//! reverse order and directories we created are removed. On success the
//! kept copies are dropped. The last step keeps nothing: nothing follows it
//! that could fail.
//!
//! Not handled: a crash of the process midway leaves the kept copies
//! (`.NAME.duet-PID-N.orig`) beside the files; nothing in duet cleans them.

use crate::error::{Error, Rollback};
use crate::staging::{Content, Entry, Original, Staging, Stamp, State};
use std::fs::{self, File, OpenOptions};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Names temporary files uniquely within this process.
static NEXT_TEMP: AtomicUsize = AtomicUsize::new(0);

/// One step taken, and how to take it back.
enum Undo {
    /// The last step: nothing follows that could fail.
    Nothing,
    /// The target did not exist: remove it.
    Remove(PathBuf),
    /// The old file is at `kept`: rename it back to `target`.
    Restore { target: PathBuf, kept: PathBuf },
}

/// Check that no file changed since it was staged, then write everything.
pub(crate) fn commit(staging: Staging) -> Result<(), Error> {
    for entry in &staging.entries {
        let touched = !matches!(entry.state, State::Unchanged);
        if let (Original::File(stamp), true) = (&entry.original, touched)
            && Stamp::read(&entry.path).ok().as_ref() != Some(stamp)
        {
            return Err(Error::ChangedOnDisk {
                path: entry.path.clone(),
            });
        }
    }
    let mut journal = Journal::default();
    // Nothing can fail after the last step, so it needs no way back.
    let last = staging
        .entries
        .iter()
        .rposition(|entry| !matches!(entry.state, State::Unchanged));
    for (index, entry) in staging.entries.iter().enumerate() {
        let keep = Some(index) != last;
        let step = match &entry.state {
            State::Unchanged => Ok(()),
            State::Written(content) => journal.write(entry, content, keep),
            State::Deleted => journal.delete(entry, keep),
        };
        if let Err(mut error) = step {
            let rollback = journal.undo();
            match &mut error {
                Error::WriteFile { rollback: slot, .. }
                | Error::DeleteFile { rollback: slot, .. } => *slot = rollback,
                _ => {}
            }
            return Err(error);
        }
    }
    journal.finish();
    Ok(())
}

#[derive(Default)]
struct Journal {
    undo: Vec<Undo>,
    created_dirs: Vec<PathBuf>,
}

impl Journal {
    /// Write one file; `keep` the old one for an undo.
    fn write(&mut self, entry: &Entry, content: &Content, keep: bool) -> Result<(), Error> {
        let fail = |source: io::Error| Error::WriteFile {
            path: entry.path.clone(),
            source: Some(source),
            rollback: Rollback::default(),
        };
        // Write through a symbolic link, as a plain write would.
        let target = match (&entry.original, fs::read_link(&entry.path)) {
            (Original::File(_), Ok(_)) => fs::canonicalize(&entry.path).map_err(fail)?,
            _ => entry.path.clone(),
        };
        let dir = target
            .parent()
            .ok_or_else(|| fail(io::Error::other("the path has no parent directory")))?;
        self.create_dirs(dir).map_err(fail)?;
        let temp = sibling(&target, "tmp");
        if let Err(error) = write_temp(&temp, content, &entry.original) {
            let _ = fs::remove_file(&temp);
            return Err(fail(error));
        }
        // The old file is moved aside before the new one takes its name,
        // rather than renamed over: ext4 flushes a file renamed over another
        // (its `auto_da_alloc` guard), which costs milliseconds. The price
        // is an instant in which the path does not exist.
        let kept = match &entry.original {
            Original::Absent => None,
            Original::File(_) => {
                let kept = sibling(&target, "orig");
                if let Err(error) = fs::rename(&target, &kept) {
                    let _ = fs::remove_file(&temp);
                    return Err(fail(error));
                }
                Some(kept)
            }
        };
        if let Err(error) = fs::rename(&temp, &target) {
            let _ = fs::remove_file(&temp);
            if let Some(kept) = &kept {
                let _ = fs::rename(kept, &target);
            }
            return Err(fail(error));
        }
        self.undo.push(match kept {
            None => Undo::Remove(target),
            Some(kept) if keep => Undo::Restore { target, kept },
            Some(kept) => {
                // The last step: nothing can fail after it.
                let _ = fs::remove_file(kept);
                Undo::Nothing
            }
        });
        Ok(())
    }

    /// Delete one file; `keep` it aside for an undo.
    fn delete(&mut self, entry: &Entry, keep: bool) -> Result<(), Error> {
        if matches!(entry.original, Original::Absent) {
            // Added and deleted by the same patch: nothing on disk.
            return Ok(());
        }
        let fail = |source| Error::DeleteFile {
            path: entry.path.clone(),
            source: Some(source),
            rollback: Rollback::default(),
        };
        if !keep {
            return fs::remove_file(&entry.path).map_err(fail);
        }
        let kept = sibling(&entry.path, "orig");
        fs::rename(&entry.path, &kept).map_err(fail)?;
        self.undo.push(Undo::Restore {
            target: entry.path.clone(),
            kept,
        });
        Ok(())
    }

    /// `create_dir_all`, remembering which directories were new.
    fn create_dirs(&mut self, dir: &Path) -> io::Result<()> {
        let missing: Vec<&Path> = dir
            .ancestors()
            .take_while(|ancestor| !ancestor.as_os_str().is_empty() && !ancestor.exists())
            .collect();
        for ancestor in missing.into_iter().rev() {
            fs::create_dir(ancestor)?;
            self.created_dirs.push(ancestor.to_owned());
        }
        Ok(())
    }

    /// Take back every step, newest first.
    fn undo(self) -> Rollback {
        let mut rollback = Rollback::default();
        for undo in self.undo.into_iter().rev() {
            let (target, result) = match undo {
                Undo::Nothing => continue,
                Undo::Remove(target) => {
                    let result = fs::remove_file(&target);
                    (target, result)
                }
                Undo::Restore { target, kept } => {
                    let result = fs::rename(&kept, &target);
                    (target, result)
                }
            };
            match result {
                Ok(()) => rollback.restored += 1,
                Err(error) => rollback.failed.push((target, error)),
            }
        }
        for dir in self.created_dirs.iter().rev() {
            // Only if still empty; a failure leaves an empty directory behind.
            let _ = fs::remove_dir(dir);
        }
        rollback
    }

    /// Drop the kept copies of replaced and deleted files.
    fn finish(self) {
        for undo in self.undo {
            if let Undo::Restore { kept, .. } = undo {
                // A leftover copy is harmless; the patch is applied.
                let _ = fs::remove_file(kept);
            }
        }
    }
}

fn write_temp(temp: &Path, content: &Content, original: &Original) -> io::Result<()> {
    let file = OpenOptions::new().write(true).create_new(true).open(temp)?;
    let mut out = BufWriter::with_capacity(1 << 18, file);
    match content {
        Content::Text(text) => out.write_all(text.as_bytes())?,
        Content::Edited(edited) => edited.render(&mut out)?,
    }
    let file: File = out.into_inner().map_err(io::IntoInnerError::into_error)?;
    if let Original::File(stamp) = original {
        file.set_permissions(stamp.permissions.clone())?;
    }
    Ok(())
}

/// A hidden name beside `path`, unique in this process.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let serial = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(
        ".{name}.duet-{}-{serial}.{suffix}",
        std::process::id()
    ))
}
