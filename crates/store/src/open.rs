//! Opening the database file: connection settings, the schema check, and
//! moving a file that is not a database out of the way.
//!
//! Opening a current database does no DDL and reads one PRAGMA, because
//! every `duet exec` pays for it before its first request.

use crate::error::{StoreError, is_corruption};
use crate::schema;
use rusqlite::config::DbConfig;
use rusqlite::{Connection, OpenFlags};
use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// How long a statement waits for another connection's write lock.
pub(crate) const BUSY_TIMEOUT: Duration = Duration::from_secs(5);

/// Whether opening may create the file (and its directory).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Create {
    Yes,
    No,
}

/// Opens the database at `path` (creating it if `create` says so) and
/// brings its schema up to date.
pub(crate) fn open_connection(path: &Path, create: Create) -> Result<Connection, StoreError> {
    if create == Create::Yes
        && let Some(dir) = path.parent().filter(|dir| !dir.as_os_str().is_empty())
    {
        std::fs::create_dir_all(dir).map_err(|cause| StoreError::CreateDir {
            dir: dir.to_path_buf(),
            cause,
        })?;
    }
    let open_error = |cause| StoreError::Open {
        path: path.to_path_buf(),
        cause,
    };
    let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    if create == Create::Yes {
        flags |= OpenFlags::SQLITE_OPEN_CREATE;
    }
    let mut conn = Connection::open_with_flags(path, flags).map_err(open_error)?;

    // Per-connection settings, then the schema version. Preparing any
    // statement reads the file header, so a file that is not a database
    // shows itself here.
    let version = configure(&conn).and_then(|()| schema::user_version(&conn));
    let version = match version {
        Ok(version) => version,
        Err(error) if is_corruption(&error) => {
            drop(conn);
            return Err(move_aside(path, &error));
        }
        Err(error) => return Err(open_error(error)),
    };
    schema::migrate(&mut conn, path, version)?;
    Ok(conn)
}

/// Settings that belong to a connection rather than to the file.
///
/// No connection checkpoints when it closes: for the last one to close
/// SQLite would copy the whole write-ahead log back first, on the way out
/// of `duet sessions list` (tens of milliseconds) or cut off by the exit of
/// `duet exec`. The writer thread checkpoints instead (see `writer.rs`),
/// which keeps the log bounded.
fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, true)?;
    conn.pragma_update(None, "foreign_keys", true)
}

/// Renames an unreadable database (and its write-ahead log) to
/// `<path>.corrupt-<unix seconds>` so that the next open starts afresh, and
/// returns the error that tells the user where it went.
fn move_aside(path: &Path, error: &rusqlite::Error) -> StoreError {
    let reason = error.to_string();
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |since| since.as_secs());
    let backup = backup_path(path, seconds);
    if let Err(cause) = std::fs::rename(path, &backup) {
        return StoreError::CorruptNotMoved {
            path: path.to_path_buf(),
            backup,
            reason,
            cause,
        };
    }
    // The log belongs with the file it logs; the shared-memory index is a
    // cache that SQLite rebuilds. Both may well not exist.
    let _ = std::fs::rename(sidecar(path, "-wal"), sidecar(&backup, "-wal"));
    let _ = std::fs::remove_file(sidecar(path, "-shm"));
    StoreError::Corrupt {
        path: path.to_path_buf(),
        backup,
        reason,
    }
}

/// `<path>.corrupt-<unix seconds>`, with `-1`, `-2`, ... appended if an
/// earlier backup from the same second is in the way.
fn backup_path(path: &Path, seconds: u64) -> PathBuf {
    let base = sidecar(path, &format!(".corrupt-{seconds}"));
    let mut candidate = base.clone();
    let mut counter = 0;
    while candidate.exists() {
        counter += 1;
        candidate = sidecar(&base, &format!("-{counter}"));
    }
    candidate
}

/// `path` with `suffix` appended to its file name.
pub(crate) fn sidecar(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.as_os_str().to_owned();
    name.push(suffix);
    PathBuf::from(name)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn backup_path_skips_taken_names() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("sessions.sqlite");
        let first = backup_path(&path, 1_700_000_000);
        assert_eq!(first, dir.path().join("sessions.sqlite.corrupt-1700000000"));
        std::fs::write(&first, b"x").expect("write first backup");
        let second = backup_path(&path, 1_700_000_000);
        assert_eq!(
            second,
            dir.path().join("sessions.sqlite.corrupt-1700000000-1")
        );
    }
}
