//! Why a patch was not applied.
//!
//! The first line of each message is the reference's wording, byte for byte,
//! because models are trained on it and tools grep for it; that is why these
//! messages are capitalised and some end with a period, unlike the rest of
//! duet. What follows the first line (for context that was not found) is
//! ours: where the search ran and the closest region of the file.

use std::io;
use std::path::PathBuf;
use thiserror::Error;

/// The patch text is not V4A. Nothing was read or written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ParseError {
    #[error("Invalid patch: The first line of the patch must be '*** Begin Patch'")]
    FirstLine,
    #[error("Invalid patch: The last line of the patch must be '*** End Patch'")]
    LastLine,
    /// `line` is 1-based over the trimmed patch text (`*** Begin Patch` is 1).
    #[error("Invalid patch hunk on line {line}: {message}")]
    Hunk { line: usize, message: String },
}

/// Why a patch was not applied. Whatever the variant, the tree is as it was
/// before (see [`Error::WriteFile`] for the one exception, spelled out in
/// its message). `Display` is the text for the model.
///
/// Paths are the resolved ones (the working directory joined with the path
/// written in the patch), as the reference prints them.
#[derive(Debug, Error)]
pub enum Error {
    #[error(transparent)]
    Parse(#[from] ParseError),

    #[error("No files were modified.")]
    NoHunks,

    /// A `@@ text` header matched no line at or after the search position.
    /// `detail` starts with a newline: where the search ran, the closest lines.
    #[error("Failed to find context '{context}' in {}{detail}", path.display())]
    ContextNotFound {
        path: PathBuf,
        context: String,
        detail: String,
    },

    /// The old lines of a chunk (context and `-` lines) are not in the file.
    /// `detail` starts with a newline: which chunk, the closest region.
    #[error("Failed to find expected lines in {}:\n{expected}{detail}", path.display())]
    LinesNotFound {
        path: PathBuf,
        /// The old lines joined with `\n`.
        expected: String,
        detail: String,
    },

    #[error("Failed to read file to update {}: {source}", path.display())]
    ReadFile { path: PathBuf, source: io::Error },

    #[error("Failed to read file to update {}: path `{}` is not a file", path.display(), path.display())]
    NotAFile { path: PathBuf },

    /// The file to delete is missing or is a directory, or removing it failed.
    #[error("Failed to delete file {}{rollback}", path.display())]
    DeleteFile {
        path: PathBuf,
        source: Option<io::Error>,
        rollback: Rollback,
    },

    /// Writing failed (the path is a directory, a parent is a file, no
    /// permission, disk full). Files written before it were restored.
    #[error("Failed to write file {}{rollback}", path.display())]
    WriteFile {
        path: PathBuf,
        source: Option<io::Error>,
        rollback: Rollback,
    },

    /// The real location of a path (symlinks resolved when it was about to
    /// be written) is outside the caller's [`crate::WriteScope`]. Files
    /// written before it were restored.
    #[error(
        "Refusing to write {}: its real location `{}` is outside the writable roots or inside a protected folder{rollback}",
        path.display(),
        real.display()
    )]
    OutsideScope {
        path: PathBuf,
        real: PathBuf,
        rollback: Rollback,
    },

    /// Between checking the patch and writing it, the file changed on disk.
    #[error(
        "`{}` changed on disk after the patch was checked: nothing was written; read the file again and send a new patch",
        path.display()
    )]
    ChangedOnDisk { path: PathBuf },
}

/// What happened to the files written before a write failed.
#[derive(Debug, Default)]
pub struct Rollback {
    /// Files of this patch that had been written and were put back.
    pub restored: usize,
    /// Paths that could not be put back, with why.
    pub failed: Vec<(PathBuf, io::Error)>,
}

impl std::fmt::Display for Rollback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.restored > 0 && self.failed.is_empty() {
            write!(
                f,
                "\nthe {} file(s) already written by this patch were restored: no file was changed",
                self.restored
            )?;
        }
        for (path, error) in &self.failed {
            write!(
                f,
                "\ncould not restore `{}` after the failure: {error}; check it by hand",
                path.display()
            )?;
        }
        Ok(())
    }
}
