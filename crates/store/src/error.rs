//! `StoreError`, the one error type of this crate, and the mapping from
//! SQLite's error codes to it.
//!
//! Every message names the database file or the session it is about and
//! says what the user can do next.

use rusqlite::ErrorCode;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

/// A session that an ambiguous id prefix matched.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub id: String,
    pub title: Option<String>,
}

/// Everything that can go wrong in the store.
///
/// Each message already contains its cause (the `cause` fields), so the
/// cause is deliberately not exposed as `source()`: a front end printing
/// the error chain with `{:#}` shows it once, before the advice.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error(
        "could not create `{}` for the session database: {cause}; check its permissions or set DUET_HOME to another directory",
        dir.display()
    )]
    CreateDir { dir: PathBuf, cause: std::io::Error },

    #[error(
        "could not open the session database `{}`: {cause}; check that it is readable and writable or set DUET_HOME to another directory",
        path.display()
    )]
    Open {
        path: PathBuf,
        cause: rusqlite::Error,
    },

    #[error(
        "`{}` was written by a newer duet (schema v{found}, this build knows up to v{known}); upgrade duet or set DUET_HOME to another directory",
        path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        known: i64,
    },

    #[error(
        "`{}` is not a readable session database ({reason}); it was moved aside to `{}` and the next run starts a fresh one",
        path.display(), backup.display()
    )]
    Corrupt {
        path: PathBuf,
        backup: PathBuf,
        reason: String,
    },

    #[error(
        "`{}` is not a readable session database ({reason}) and could not be moved aside to `{}`: {cause}; move or delete it by hand, or set DUET_HOME to another directory",
        path.display(), backup.display()
    )]
    CorruptNotMoved {
        path: PathBuf,
        backup: PathBuf,
        reason: String,
        cause: std::io::Error,
    },

    #[error(
        "could not {action}: `{}` is damaged ({cause}); move it aside so that duet starts a fresh one, or set DUET_HOME to another directory",
        path.display()
    )]
    Damaged {
        path: PathBuf,
        action: &'static str,
        cause: rusqlite::Error,
    },

    #[error(
        "could not {action}: `{}` stayed locked by another duet process for 5 s; try again when that process is done",
        path.display()
    )]
    Busy { path: PathBuf, action: &'static str },

    #[error(
        "`{}` cannot use write-ahead logging (journal mode is `{mode}`); put DUET_HOME on a local disk",
        path.display()
    )]
    NoWal { path: PathBuf, mode: String },

    #[error(
        "could not {action} in `{}`: {cause}; if this persists, move the file aside or set DUET_HOME to another directory",
        path.display()
    )]
    Sqlite {
        path: PathBuf,
        action: &'static str,
        cause: rusqlite::Error,
    },

    #[error(
        "no session matches `{query}`: give a session id, a unique id prefix of 4 or more characters, or a session name"
    )]
    NotFound { query: String },

    #[error("{}", ambiguous_message(query, candidates, *total))]
    Ambiguous {
        query: String,
        candidates: Vec<Candidate>,
        total: usize,
    },

    #[error("a session with id `{id}` already exists; start the new session with a fresh id")]
    ThreadExists { id: String },

    #[error("no session with id `{id}` to {action}; create the session before writing to it")]
    UnknownThread { id: String, action: &'static str },

    #[error("the name `{name}` is already used by session `{holder}`; pick another name")]
    NameTaken { name: String, holder: String },

    #[error(
        "session `{thread_id}` has {turns} turns, so there is no turn {turn}; give a turn number from 1 to {turns}"
    )]
    NoSuchTurn {
        thread_id: String,
        turn: u32,
        turns: u64,
    },

    #[error("a session name cannot be empty; give at least one visible character")]
    EmptyName,

    #[error(
        "item {seq} of session `{thread_id}` in `{}` is not valid JSON ({cause}); the database is damaged, move it aside so that duet starts a fresh one",
        path.display()
    )]
    BadItem {
        path: PathBuf,
        thread_id: String,
        seq: i64,
        cause: serde_json::Error,
    },
}

/// How many candidates an ambiguous lookup reports.
pub(crate) const MAX_CANDIDATES: usize = 10;

fn ambiguous_message(query: &str, candidates: &[Candidate], total: usize) -> String {
    let mut message = format!("`{query}` matches {total} sessions: ");
    for (index, candidate) in candidates.iter().enumerate() {
        if index > 0 {
            message.push_str(", ");
        }
        match &candidate.title {
            Some(title) => write!(message, "`{}` ({title})", candidate.id),
            None => write!(message, "`{}` (untitled)", candidate.id),
        }
        .expect("writing to a String cannot fail");
    }
    if total > candidates.len() {
        write!(message, " and {} more", total - candidates.len())
            .expect("writing to a String cannot fail");
    }
    message.push_str("; give more of the id, or the session's name");
    message
}

/// Maps a SQLite error met while doing `action` on the database at `path`.
pub(crate) fn sql_error(
    path: &Path,
    action: &'static str,
) -> impl FnOnce(rusqlite::Error) -> StoreError {
    move |source| {
        let path = path.to_path_buf();
        match source.sqlite_error_code() {
            Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked) => {
                StoreError::Busy { path, action }
            }
            Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase) => StoreError::Damaged {
                path,
                action,
                cause: source,
            },
            _ => StoreError::Sqlite {
                path,
                action,
                cause: source,
            },
        }
    }
}

/// Whether an error means the file is not a usable SQLite database at all.
pub(crate) fn is_corruption(error: &rusqlite::Error) -> bool {
    matches!(
        error.sqlite_error_code(),
        Some(ErrorCode::DatabaseCorrupt | ErrorCode::NotADatabase)
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn candidate(id: &str, title: Option<&str>) -> Candidate {
        Candidate {
            id: id.to_string(),
            title: title.map(str::to_string),
        }
    }

    #[test]
    fn ambiguous_lists_every_candidate() {
        let error = StoreError::Ambiguous {
            query: "0197".to_string(),
            candidates: vec![
                candidate("0197aa", Some("fix the build")),
                candidate("0197bb", None),
            ],
            total: 2,
        };
        assert_eq!(
            error.to_string(),
            "`0197` matches 2 sessions: `0197aa` (fix the build), `0197bb` (untitled); give more of the id, or the session's name"
        );
    }

    #[test]
    fn ambiguous_counts_the_candidates_left_out() {
        let error = StoreError::Ambiguous {
            query: "0197".to_string(),
            candidates: vec![candidate("0197aa", Some("a"))],
            total: 12,
        };
        assert_eq!(
            error.to_string(),
            "`0197` matches 12 sessions: `0197aa` (a) and 11 more; give more of the id, or the session's name"
        );
    }
}
