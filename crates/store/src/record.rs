//! The records the store reads and writes: threads, turns, token usage, and
//! how each maps to a row.
//!
//! Plain data: no queries live here.

use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Row, ToSql};
use std::path::{Path, PathBuf};

/// A thread as it is created, before any turn.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewThread {
    /// A UUIDv7, so that ids sort by creation time.
    pub id: String,
    pub created_at_ms: i64,
    /// The working directory, as the caller wants it matched by
    /// [`Store::last_thread`](crate::Store::last_thread) (canonicalise first).
    pub cwd: PathBuf,
    pub model: String,
    pub provider: String,
    pub sandbox_mode: String,
    pub approval_policy: String,
    pub git_branch: Option<String>,
    pub git_commit: Option<String>,
    pub git_origin: Option<String>,
    /// Which front end started it, e.g. `exec`.
    pub source: String,
}

/// A stored thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ThreadRecord {
    pub id: String,
    pub created_at_ms: i64,
    /// When an item was last appended (at least `created_at_ms`).
    pub updated_at_ms: i64,
    pub cwd: PathBuf,
    pub model: String,
    pub provider: String,
    pub sandbox_mode: String,
    pub approval_policy: String,
    /// A unique name the user gave the thread.
    pub name: Option<String>,
    /// The first line of the first prompt, set by the first append that has one.
    pub title: Option<String>,
    pub archived: bool,
    /// Thread-cumulative token usage.
    pub usage: UsageTotals,
    /// The thread this one was forked from (`None` once that is deleted).
    pub parent_thread_id: Option<String>,
    /// For a fork: how many of the parent's history items it started with.
    pub fork_point: Option<i64>,
    pub git_branch: Option<String>,
    pub git_commit: Option<String>,
    pub git_origin: Option<String>,
    pub source: String,
}

/// Token counts, either for one turn or cumulative for a thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UsageTotals {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
}

/// Where a turn is: still `Running`, or how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TurnStatus {
    /// Started and not ended yet. A turn whose process died is found and
    /// marked [`TurnStatus::Interrupted`] by the next [`Store::open`](crate::Store::open).
    Running,
    Completed,
    Failed,
    Interrupted,
}

/// One turn of a thread: written as `Running` when it starts
/// ([`Store::start_turn`](crate::Store::start_turn)), rewritten when it ends.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnRecord {
    pub thread_id: String,
    pub turn_id: String,
    pub status: TurnStatus,
    /// What went wrong, for a failed turn.
    pub error: Option<String>,
    pub started_at_ms: i64,
    /// `None` while running, and for a turn whose process died.
    pub ended_at_ms: Option<i64>,
    /// The tokens of this turn alone.
    pub usage: UsageTotals,
}

impl TurnStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TurnStatus::Running => "running",
            TurnStatus::Completed => "completed",
            TurnStatus::Failed => "failed",
            TurnStatus::Interrupted => "interrupted",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<TurnStatus> {
        match text {
            "running" => Some(TurnStatus::Running),
            "completed" => Some(TurnStatus::Completed),
            "failed" => Some(TurnStatus::Failed),
            "interrupted" => Some(TurnStatus::Interrupted),
            _ => None,
        }
    }
}

/// The columns [`thread_from_row`] reads, in order.
pub(crate) const THREAD_COLUMNS: &str = "id, created_at_ms, updated_at_ms, cwd, model, provider, \
     sandbox_mode, approval_policy, name, title, archived, parent_thread_id, git_branch, \
     git_commit, git_origin, source, input_tokens, cached_input_tokens, output_tokens, \
     reasoning_output_tokens, fork_point";

pub(crate) fn thread_from_row(row: &Row<'_>) -> rusqlite::Result<ThreadRecord> {
    Ok(ThreadRecord {
        id: row.get(0)?,
        created_at_ms: row.get(1)?,
        updated_at_ms: row.get(2)?,
        cwd: path_from_sql(row.get_ref(3)?, 3)?,
        model: row.get(4)?,
        provider: row.get(5)?,
        sandbox_mode: row.get(6)?,
        approval_policy: row.get(7)?,
        name: row.get(8)?,
        title: row.get(9)?,
        archived: row.get(10)?,
        parent_thread_id: row.get(11)?,
        git_branch: row.get(12)?,
        git_commit: row.get(13)?,
        git_origin: row.get(14)?,
        source: row.get(15)?,
        usage: usage_from_row(row, 16)?,
        fork_point: row.get(20)?,
    })
}

/// Reads the four usage columns starting at `first`.
pub(crate) fn usage_from_row(row: &Row<'_>, first: usize) -> rusqlite::Result<UsageTotals> {
    let count = |index: usize| -> rusqlite::Result<u64> {
        let value: i64 = row.get(first + index)?;
        // Counts are written from u64 and clamped, so a negative value can
        // only come from outside duet; read it as zero.
        Ok(u64::try_from(value).unwrap_or(0))
    };
    Ok(UsageTotals {
        input_tokens: count(0)?,
        cached_input_tokens: count(1)?,
        output_tokens: count(2)?,
        reasoning_output_tokens: count(3)?,
    })
}

/// SQLite integers are signed; a count past `i64::MAX` is stored as the maximum.
pub(crate) fn count_to_sql(count: u64) -> i64 {
    i64::try_from(count).unwrap_or(i64::MAX)
}

/// A path as a column value: UTF-8 text when it is, raw bytes otherwise, so
/// that equality with a later lookup is exact.
pub(crate) fn path_to_sql(path: &Path) -> ToSqlOutput<'_> {
    match path.to_str() {
        Some(text) => ToSqlOutput::Borrowed(ValueRef::Text(text.as_bytes())),
        None => path_bytes(path),
    }
}

#[cfg(unix)]
fn path_bytes(path: &Path) -> ToSqlOutput<'_> {
    use std::os::unix::ffi::OsStrExt;
    ToSqlOutput::Borrowed(ValueRef::Blob(path.as_os_str().as_bytes()))
}

#[cfg(not(unix))]
fn path_bytes(path: &Path) -> ToSqlOutput<'_> {
    // Only Unix paths can be arbitrary bytes; elsewhere keep the lossy text.
    ToSqlOutput::Owned(rusqlite::types::Value::Text(
        path.to_string_lossy().into_owned(),
    ))
}

/// A [`path_to_sql`] value bound as a statement parameter.
pub(crate) struct PathParam<'a>(pub &'a Path);

impl ToSql for PathParam<'_> {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(path_to_sql(self.0))
    }
}

fn path_from_sql(value: ValueRef<'_>, column: usize) -> rusqlite::Result<PathBuf> {
    match value {
        ValueRef::Text(bytes) => match std::str::from_utf8(bytes) {
            Ok(text) => Ok(PathBuf::from(text)),
            Err(error) => Err(rusqlite::Error::Utf8Error(column, error)),
        },
        ValueRef::Blob(bytes) => Ok(path_from_bytes(bytes)),
        other => Err(rusqlite::Error::InvalidColumnType(
            column,
            "cwd".to_string(),
            other.data_type(),
        )),
    }
}

#[cfg(unix)]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    use std::os::unix::ffi::OsStrExt;
    PathBuf::from(std::ffi::OsStr::from_bytes(bytes))
}

#[cfg(not(unix))]
fn path_from_bytes(bytes: &[u8]) -> PathBuf {
    PathBuf::from(String::from_utf8_lossy(bytes).into_owned())
}
