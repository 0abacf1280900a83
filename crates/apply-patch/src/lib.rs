//! The V4A patch language (`*** Begin Patch` … `*** End Patch`), which models
//! of the GPT-5 Codex family use to edit files: a parser and an applier over
//! a directory tree.
//!
//! It accepts exactly what the reference (Codex CLI 0.169.0) accepts and
//! reproduces its results, its messages and its exit codes, with four
//! deliberate improvements: a patch is atomic (all hunks are checked before
//! anything is written, and a failed write undoes the earlier ones);
//! consecutive `@@` headers narrow the search in order; `*** Move to:` the
//! same path is an in-place update; and a chunk that does not match is
//! reported with the closest region of the file. See docs/apply-patch.md.
//!
//! It is not an agent tool: it knows nothing of sandboxes, approvals or
//! models. It is synchronous (no async runtime, no dependency on other duet
//! crates); core decides where a patch may write, as a [`WriteScope`] that
//! [`Plan::commit_within`] enforces on real paths through directory handles
//! opened without following symlinks, so a concurrent change to the tree
//! cannot carry a write elsewhere.
//!
//! Main items: [`parse_patch`] → [`Patch`]; [`plan`] → [`Plan`] (checked,
//! nothing written) → [`Plan::commit`] → [`Applied`]; [`apply`] does both;
//! [`run_standalone`] is the `apply_patch` program.

mod chunks;
mod closest;
mod commit;
mod diff;
mod dir;
mod error;
mod parser;
mod scope;
mod seek;
mod staging;
mod standalone;
mod text;

pub use error::{Error, ParseError, Rollback};
pub use parser::{Chunk, ChunkLine, Hunk, Patch, parse_patch};
pub use scope::{WriteScope, resolve};
pub use standalone::run_standalone;

use chunks::{UpdateLabel, place_chunks};
use staging::{Content, Staging, State, normalise};
use std::fmt::Write;
use std::path::{Path, PathBuf};

/// What one hunk did (or will do, in a [`Plan`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppliedChange {
    /// The file the hunk names, resolved against the working directory
    /// (lexically: `.` and `..` folded); the source of a move.
    pub path: PathBuf,
    pub kind: ChangeKind,
    /// A unified diff of this hunk's effect on the file, with `a/` and `b/`
    /// headers on the paths as written in the patch (`/dev/null` for an
    /// added or deleted side).
    pub unified_diff: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ChangeKind {
    Add,
    Delete,
    /// `move_path` is the resolved destination of `*** Move to:`, if any
    /// (never equal to `path`: a move onto itself is a plain update).
    Update {
        move_path: Option<PathBuf>,
    },
}

/// A patch that was applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Applied {
    /// One per hunk, in patch order.
    pub changes: Vec<AppliedChange>,
    /// The reference's success text (`Success. Updated the following
    /// files:` then `A`, `M`, `D` lines), newline-terminated: the tool output.
    pub summary: String,
}

/// A patch checked against the tree, with every new content computed and
/// nothing written. Between [`plan`] and [`Plan::commit`] a front end can
/// show the diffs and ask for approval; if a file changes meanwhile, the
/// commit refuses ([`Error::ChangedOnDisk`]).
#[derive(Debug)]
pub struct Plan {
    staging: Staging,
    applied: Applied,
}

impl Plan {
    /// What the patch will do, one change per hunk, with diffs.
    pub fn changes(&self) -> &[AppliedChange] {
        &self.applied.changes
    }

    /// The summary the tool will print on success.
    pub fn summary(&self) -> &str {
        &self.applied.summary
    }

    /// Write the patch: every file or none.
    pub fn commit(self) -> Result<Applied, Error> {
        commit::commit(self.staging, None)?;
        Ok(self.applied)
    }

    /// [`Plan::commit`], writing each file only if `scope` allows its real
    /// location at the moment it is written (its directory is then held
    /// open, so the check cannot be raced); otherwise nothing is written
    /// ([`Error::OutsideScope`]).
    pub fn commit_within(self, scope: &WriteScope) -> Result<Applied, Error> {
        commit::commit(self.staging, Some(scope))?;
        Ok(self.applied)
    }
}

/// Check a patch against the tree under `cwd` and compute all new contents
/// and diffs. Nothing is written.
pub fn plan(patch: &Patch, cwd: &Path) -> Result<Plan, Error> {
    stage(patch, cwd, Diffs::Yes)
}

/// [`plan`] then [`Plan::commit`].
pub fn apply(patch: &Patch, cwd: &Path) -> Result<Applied, Error> {
    plan(patch, cwd)?.commit()
}

/// Every path the patch would write or delete (Add, Delete and Update
/// paths, move destinations), resolved against `cwd` and folded lexically,
/// without duplicates, in patch order: what a sandbox check must allow.
pub fn affected_paths(patch: &Patch, cwd: &Path) -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = Vec::new();
    for hunk in &patch.hunks {
        let move_path = match hunk {
            Hunk::Update { move_path, .. } => move_path.as_ref(),
            _ => None,
        };
        for path in std::iter::once(hunk.path()).chain(move_path) {
            let path = normalise(&cwd.join(path));
            if !paths.contains(&path) {
                paths.push(path);
            }
        }
    }
    paths
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Diffs {
    Yes,
    /// The standalone tool prints no diff; skipping them keeps a large
    /// file's new text out of memory until it is streamed to disk.
    No,
}

pub(crate) fn stage(patch: &Patch, cwd: &Path, diffs: Diffs) -> Result<Plan, Error> {
    if patch.hunks.is_empty() {
        return Err(Error::NoHunks);
    }
    let mut staging = Staging::default();
    let mut changes = Vec::with_capacity(patch.hunks.len());
    let (mut added, mut modified, mut deleted) = (Vec::new(), Vec::new(), Vec::new());
    for hunk in &patch.hunks {
        let resolved = cwd.join(hunk.path());
        let (kind, unified_diff) = match hunk {
            Hunk::Add { path, contents } => {
                staging.check_writable(&resolved)?;
                let diff =
                    (diffs == Diffs::Yes).then(|| diff::unified(None, Some(path), "", contents));
                staging.set(&resolved, State::Written(Content::Text(contents.clone())));
                added.push(path);
                (ChangeKind::Add, diff)
            }
            Hunk::Delete { path } => {
                staging.check_deletable(&resolved)?;
                let diff = (diffs == Diffs::Yes).then(|| {
                    let old = staging.current_text(&resolved);
                    diff::unified(Some(path), None, &old, "")
                });
                staging.set(&resolved, State::Deleted);
                deleted.push(path);
                (ChangeKind::Delete, diff)
            }
            Hunk::Update {
                path,
                move_path,
                chunks,
            } => {
                let source = staging.read_for_update(&resolved)?;
                let old = (diffs == Diffs::Yes).then(|| source.clone());
                let label = UpdateLabel {
                    resolved: &resolved,
                    written: path,
                };
                let edited = place_chunks(source, chunks, &label)?;
                let content = match diffs {
                    Diffs::Yes => Content::Text(edited.render_to_string()),
                    Diffs::No => Content::Edited(edited),
                };
                // A move onto the same file is an update in place.
                let destination = move_path
                    .as_ref()
                    .filter(|dest| normalise(&cwd.join(dest)) != normalise(&resolved));
                let shown = destination.unwrap_or(path);
                let diff = match (&old, &content) {
                    (Some(old), Content::Text(new)) => {
                        Some(diff::unified(Some(path), Some(shown), old.text(), new))
                    }
                    _ => None,
                };
                let move_resolved = match destination {
                    None => {
                        staging.set(&resolved, State::Written(content));
                        None
                    }
                    Some(dest) => {
                        let dest_resolved = cwd.join(dest);
                        staging.check_writable(&dest_resolved)?;
                        staging.set(&dest_resolved, State::Written(content));
                        staging.set(&resolved, State::Deleted);
                        Some(normalise(&dest_resolved))
                    }
                };
                modified.push(shown);
                (
                    ChangeKind::Update {
                        move_path: move_resolved,
                    },
                    diff,
                )
            }
        };
        changes.push(AppliedChange {
            path: normalise(&resolved),
            kind,
            unified_diff: unified_diff.unwrap_or_default(),
        });
    }
    let mut summary = String::from("Success. Updated the following files:\n");
    for (letter, paths) in [("A", added), ("M", modified), ("D", deleted)] {
        for path in paths {
            let _ = writeln!(summary, "{letter} {}", path.display());
        }
    }
    Ok(Plan {
        staging,
        applied: Applied { changes, summary },
    })
}
