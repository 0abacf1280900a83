//! The records the store reads and writes: threads, turns, token usage, and
//! how each maps to a row.
//!
//! Plain data: no queries live here.

pub use duet_protocol::threads::{NewThread, ThreadRecord, TurnRecord, TurnStatus, UsageTotals};
use rusqlite::types::{ToSqlOutput, ValueRef};
use rusqlite::{Row, ToSql};
use std::path::{Path, PathBuf};

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
    let count = |index: usize| count_from_sql(row, first + index);
    Ok(UsageTotals {
        input_tokens: count(0)?,
        cached_input_tokens: count(1)?,
        output_tokens: count(2)?,
        reasoning_output_tokens: count(3)?,
    })
}

/// The count in column `index`. Counts are written from u64 and clamped
/// ([`count_to_sql`]), so a negative value can only come from outside
/// duet; it reads as zero.
pub(crate) fn count_from_sql(row: &Row<'_>, index: usize) -> rusqlite::Result<u64> {
    let value: i64 = row.get(index)?;
    Ok(u64::try_from(value).unwrap_or(0))
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
