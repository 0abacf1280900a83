//! Writing a staged patch: all or nothing, and only where it may write.
//!
//! Each file's directory is opened by its real path without following any
//! symlink (`dir.rs`), after that real path was checked against the
//! caller's [`WriteScope`]; everything after that is relative to the open
//! directory, so nothing done to the tree meanwhile (a directory swapped for
//! a symlink) can carry a write elsewhere.
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

use crate::dir::Dir;
use crate::error::{Error, Rollback};
use crate::scope::{WriteScope, resolve};
use crate::staging::{Content, Entry, Original, Staging, Stamp, State};
use std::ffi::{OsStr, OsString};
use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Names temporary files uniquely within this process.
static NEXT_TEMP: AtomicUsize = AtomicUsize::new(0);

/// A directory entry: the open directory, the name in it, and the path it
/// had when opened (for messages).
struct Place {
    dir: Dir,
    name: OsString,
    path: PathBuf,
}

/// One step taken, and how to take it back.
enum Undo {
    /// The last step: nothing follows that could fail.
    Nothing,
    /// The target did not exist: remove it.
    Remove(Place),
    /// The old file is at `kept` in the same directory: rename it back.
    Restore { target: Place, kept: OsString },
}

/// Check that no file changed since it was staged, then write everything,
/// each path only if `scope` (when given) allows its real location.
pub(crate) fn commit(staging: Staging, scope: Option<&WriteScope>) -> Result<(), Error> {
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
    let mut journal = Journal {
        scope,
        undo: Vec::new(),
        created_dirs: Vec::new(),
    };
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
                | Error::DeleteFile { rollback: slot, .. }
                | Error::OutsideScope { rollback: slot, .. } => *slot = rollback,
                _ => {}
            }
            return Err(error);
        }
    }
    journal.finish();
    Ok(())
}

struct Journal<'a> {
    scope: Option<&'a WriteScope>,
    undo: Vec<Undo>,
    created_dirs: Vec<(Dir, OsString)>,
}

impl Journal<'_> {
    /// Open the directory that holds `target` for a write there, after
    /// checking the scope on its real path; missing directories are made.
    fn place(&mut self, entry: &Entry, target: &Path) -> Result<Result<Place, io::Error>, Error> {
        let (Some(parent), Some(name)) = (target.parent(), target.file_name()) else {
            return Ok(Err(io::Error::other("the path has no parent directory")));
        };
        let real_parent = resolve(parent);
        let real = real_parent.join(name);
        if let Some(scope) = self.scope
            && !scope.allows(&real)
        {
            return Err(Error::OutsideScope {
                path: entry.path.clone(),
                real,
                rollback: Rollback::default(),
            });
        }
        Ok(
            Dir::open_creating(&real_parent, &mut self.created_dirs).map(|dir| Place {
                dir,
                name: name.to_os_string(),
                path: real,
            }),
        )
    }

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
        let place = self.place(entry, &target)?.map_err(fail)?;
        let temp = sibling(&place.name, "tmp");
        if let Err(error) = write_temp(&place.dir, &temp, content, &entry.original) {
            let _ = place.dir.remove_file(&temp);
            return Err(fail(error));
        }
        // The old file is moved aside before the new one takes its name,
        // rather than renamed over: ext4 flushes a file renamed over another
        // (its `auto_da_alloc` guard), which costs milliseconds. The price
        // is an instant in which the path does not exist.
        let kept = match &entry.original {
            Original::Absent => None,
            Original::File(_) => {
                let kept = sibling(&place.name, "orig");
                if let Err(error) = place.dir.rename(&place.name, &kept) {
                    let _ = place.dir.remove_file(&temp);
                    return Err(fail(error));
                }
                Some(kept)
            }
        };
        if let Err(error) = place.dir.rename(&temp, &place.name) {
            let _ = place.dir.remove_file(&temp);
            if let Some(kept) = &kept {
                let _ = place.dir.rename(kept, &place.name);
            }
            return Err(fail(error));
        }
        self.undo.push(match kept {
            None => Undo::Remove(place),
            Some(kept) if keep => Undo::Restore {
                target: place,
                kept,
            },
            Some(kept) => {
                // The last step: nothing can fail after it.
                let _ = place.dir.remove_file(&kept);
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
        let place = self.place(entry, &entry.path)?.map_err(fail)?;
        if !keep {
            return place.dir.remove_file(&place.name).map_err(fail);
        }
        let kept = sibling(&place.name, "orig");
        place.dir.rename(&place.name, &kept).map_err(fail)?;
        self.undo.push(Undo::Restore {
            target: place,
            kept,
        });
        Ok(())
    }

    /// Take back every step, newest first.
    fn undo(self) -> Rollback {
        let mut rollback = Rollback::default();
        for undo in self.undo.into_iter().rev() {
            let (target, result) = match undo {
                Undo::Nothing => continue,
                Undo::Remove(target) => {
                    let result = target.dir.remove_file(&target.name);
                    (target.path, result)
                }
                Undo::Restore { target, kept } => {
                    let result = target.dir.rename(&kept, &target.name);
                    (target.path, result)
                }
            };
            match result {
                Ok(()) => rollback.restored += 1,
                Err(error) => rollback.failed.push((target, error)),
            }
        }
        for (parent, name) in self.created_dirs.iter().rev() {
            // Only if still empty; a failure leaves an empty directory behind.
            let _ = parent.remove_dir(name);
        }
        rollback
    }

    /// Drop the kept copies of replaced and deleted files.
    fn finish(self) {
        for undo in self.undo {
            if let Undo::Restore { target, kept } = undo {
                // A leftover copy is harmless; the patch is applied.
                let _ = target.dir.remove_file(&kept);
            }
        }
    }
}

fn write_temp(dir: &Dir, temp: &OsStr, content: &Content, original: &Original) -> io::Result<()> {
    let file = dir.create_new(temp)?;
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

/// A hidden name beside `name`, unique in this process.
fn sibling(name: &OsStr, suffix: &str) -> OsString {
    let serial = NEXT_TEMP.fetch_add(1, Ordering::Relaxed);
    OsString::from(format!(
        ".{}.duet-{}-{serial}.{suffix}",
        name.to_string_lossy(),
        std::process::id()
    ))
}
