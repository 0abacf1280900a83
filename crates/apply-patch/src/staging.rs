//! The tree as the patch leaves it, held in memory before anything is
//! written.
//!
//! Every hunk runs against this overlay in patch order, so a later hunk sees
//! what an earlier one did (Add then Update, Delete then Add), exactly as the
//! reference's one-hunk-at-a-time writes would show it. Reads fall through
//! to the disk the first time a path is touched; what the path was then is
//! remembered, so the commit can check nothing changed meanwhile and can put
//! it back if a later write fails. Failures the reference would only meet
//! while writing (a directory in the way, a parent that is a file, a missing
//! file to delete) are found here, before any write.

use crate::error::Error;
use crate::text::{EditedText, SourceText};
use std::collections::HashMap;
use std::fs::{self, File, Metadata, Permissions};
use std::io::{self, Read};
use std::path::{Component, Path, PathBuf};
use std::sync::Arc;
use std::time::SystemTime;

/// The overlay: touched paths in the order first touched.
#[derive(Debug, Default)]
pub(crate) struct Staging {
    pub(crate) entries: Vec<Entry>,
    index: HashMap<PathBuf, usize>,
}

#[derive(Debug)]
pub(crate) struct Entry {
    /// The working directory joined with the path as first written.
    pub(crate) path: PathBuf,
    pub(crate) original: Original,
    pub(crate) state: State,
}

/// What was on disk when the path was first touched.
#[derive(Debug)]
pub(crate) enum Original {
    Absent,
    File(Stamp),
}

/// Enough of a file's metadata to notice it changed, and to recreate it.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Stamp {
    pub(crate) len: u64,
    pub(crate) modified: Option<SystemTime>,
    pub(crate) permissions: Permissions,
}

impl Stamp {
    /// The stamp of the file `path` names (through a symbolic link; of the
    /// link itself when it dangles).
    pub(crate) fn read(path: &Path) -> io::Result<Stamp> {
        fs::metadata(path)
            .or_else(|_| fs::symlink_metadata(path))
            .map(|metadata| Stamp::of(&metadata))
    }

    pub(crate) fn of(metadata: &Metadata) -> Stamp {
        Stamp {
            len: metadata.len(),
            modified: metadata.modified().ok(),
            permissions: metadata.permissions(),
        }
    }
}

#[derive(Debug)]
pub(crate) enum State {
    Unchanged,
    Written(Content),
    Deleted,
}

#[derive(Debug)]
pub(crate) enum Content {
    Text(String),
    Edited(EditedText),
}

impl Content {
    pub(crate) fn to_text(&self) -> String {
        match self {
            Content::Text(text) => text.clone(),
            Content::Edited(edited) => edited.render_to_string(),
        }
    }
}

impl Staging {
    /// The text an Update starts from: the overlay's, or the file's.
    pub(crate) fn read_for_update(&mut self, path: &Path) -> Result<Arc<SourceText>, Error> {
        let not_found = || Error::ReadFile {
            path: path.to_owned(),
            source: io::Error::from_raw_os_error(2),
        };
        if let Some(entry) = self.get_mut(path) {
            return match &mut entry.state {
                State::Written(Content::Text(text)) => {
                    Ok(Arc::new(SourceText::new(std::mem::take(text))))
                }
                State::Written(Content::Edited(edited)) => {
                    Ok(Arc::new(SourceText::new(edited.render_to_string())))
                }
                State::Deleted => Err(not_found()),
                State::Unchanged => match entry.original {
                    Original::Absent => Err(not_found()),
                    Original::File(_) => read_file(path).map(|(text, _)| Arc::new(text)),
                },
            };
        }
        let (text, stamp) = read_file(path)?;
        self.insert(path, Original::File(stamp));
        Ok(Arc::new(text))
    }

    /// Fail now if writing `path` would fail for a reason we can see: it is
    /// a directory, or one of its parents is a file.
    pub(crate) fn check_writable(&mut self, path: &Path) -> Result<(), Error> {
        let write_error = || Error::WriteFile {
            path: path.to_owned(),
            source: None,
            rollback: Default::default(),
        };
        if self.get_mut(path).is_none() {
            match fs::symlink_metadata(path) {
                Ok(metadata) if metadata.is_dir() => return Err(write_error()),
                Ok(_) => match Stamp::read(path) {
                    Ok(stamp) => self.insert(path, Original::File(stamp)),
                    Err(_) => self.insert(path, Original::Absent),
                },
                Err(_) => self.insert(path, Original::Absent),
            };
        }
        for parent in path.ancestors().skip(1) {
            if parent.as_os_str().is_empty() {
                break;
            }
            if let Some(entry) = self.get_mut(parent) {
                match (&entry.state, &entry.original) {
                    (State::Written(_), _) | (State::Unchanged, Original::File(_)) => {
                        return Err(write_error());
                    }
                    _ => continue,
                }
            }
            match fs::metadata(parent) {
                Ok(metadata) if metadata.is_dir() => break,
                Ok(_) => return Err(write_error()),
                Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
                // Let the write itself report it.
                Err(_) => break,
            }
        }
        Ok(())
    }

    /// Fail now if `path` is not a file that can be deleted.
    pub(crate) fn check_deletable(&mut self, path: &Path) -> Result<(), Error> {
        let delete_error = |source| Error::DeleteFile {
            path: path.to_owned(),
            source,
            rollback: Default::default(),
        };
        if let Some(entry) = self.get_mut(path) {
            return match (&entry.state, &entry.original) {
                (State::Written(_), _) | (State::Unchanged, Original::File(_)) => Ok(()),
                _ => Err(delete_error(None)),
            };
        }
        match fs::symlink_metadata(path) {
            Ok(metadata) if metadata.is_dir() => Err(delete_error(None)),
            Ok(metadata) => {
                let stamp = Stamp::read(path).unwrap_or_else(|_| Stamp::of(&metadata));
                self.insert(path, Original::File(stamp));
                Ok(())
            }
            Err(error) => Err(delete_error(Some(error))),
        }
    }

    /// The current text of a path, for a diff (lossy for non-UTF-8 files).
    pub(crate) fn current_text(&mut self, path: &Path) -> String {
        match self.get_mut(path).map(|entry| &entry.state) {
            Some(State::Written(content)) => content.to_text(),
            Some(State::Deleted) => String::new(),
            _ => fs::read(path)
                .map(|bytes| String::from_utf8_lossy(&bytes).into_owned())
                .unwrap_or_default(),
        }
    }

    /// Set the new state of a path already touched by a check or a read.
    pub(crate) fn set(&mut self, path: &Path, state: State) {
        match self.get_mut(path) {
            Some(entry) => entry.state = state,
            None => {
                // Every caller checks or reads first; an untouched path is
                // taken as absent, which makes the commit create it.
                let at = self.insert(path, Original::Absent);
                self.entries[at].state = state;
            }
        }
    }

    fn get_mut(&mut self, path: &Path) -> Option<&mut Entry> {
        let at = *self.index.get(&normalise(path))?;
        self.entries.get_mut(at)
    }

    fn insert(&mut self, path: &Path, original: Original) -> usize {
        let at = self.entries.len();
        self.entries.push(Entry {
            path: path.to_owned(),
            original,
            state: State::Unchanged,
        });
        self.index.insert(normalise(path), at);
        at
    }
}

/// Read a file to update: it must be a UTF-8 regular file.
fn read_file(path: &Path) -> Result<(SourceText, Stamp), Error> {
    let read_error = |source| Error::ReadFile {
        path: path.to_owned(),
        source,
    };
    let mut file = File::open(path).map_err(read_error)?;
    let metadata = file.metadata().map_err(read_error)?;
    if !metadata.is_file() {
        return Err(Error::NotAFile {
            path: path.to_owned(),
        });
    }
    let mut bytes = Vec::with_capacity(usize::try_from(metadata.len()).unwrap_or(0) + 1);
    file.read_to_end(&mut bytes).map_err(read_error)?;
    let text = String::from_utf8(bytes).map_err(|_| {
        read_error(io::Error::new(
            io::ErrorKind::InvalidData,
            "stream did not contain valid UTF-8",
        ))
    })?;
    Ok((SourceText::new(text), Stamp::of(&metadata)))
}

/// `path` with `.` dropped and `..` taken lexically: the key under which a
/// path is one entry however it was spelled, and the form of
/// [`crate::affected_paths`].
pub(crate) fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::CurDir => {}
            Component::ParentDir => match out.components().next_back() {
                Some(Component::Normal(_)) => {
                    out.pop();
                }
                // `/..` is `/`.
                Some(Component::RootDir | Component::Prefix(_)) => {}
                _ => out.push(component),
            },
            other => out.push(other),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn normalise_drops_dots_and_folds_parents() {
        assert_eq!(
            [
                normalise(Path::new("/w/./a/../b.txt")),
                normalise(Path::new("/w/../../x")),
                normalise(Path::new("a/./b")),
                normalise(Path::new("../a/../../b")),
            ],
            [
                PathBuf::from("/w/b.txt"),
                PathBuf::from("/x"),
                PathBuf::from("a/b"),
                PathBuf::from("../../b"),
            ]
        );
    }
}
