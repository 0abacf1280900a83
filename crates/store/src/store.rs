//! `Store`, the handle to the session database, and the writes: creating a
//! thread, appending its history, recording turns, usage and names.
//!
//! The store knows nothing of the model API: history items are opaque JSON
//! values, kept exactly and in order. It is synchronous; callers in async
//! code run it on a blocking thread.

use crate::error::{StoreError, sql_error};
use crate::item::{ItemHead, NewItem};
use crate::open::{Create, open_connection, sidecar};
use crate::record::{NewThread, PathParam, UsageTotals, count_to_sql};
use crate::title::title_from_raw;
use rusqlite::{Connection, TransactionBehavior, ffi, params};
use serde_json::Value;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{SystemTime, UNIX_EPOCH};

/// 1,000 pages of 4 KiB with their frame headers: where SQLite would
/// checkpoint by itself.
const LONG_LOG_BYTES: u64 = 1_000 * (4_096 + 24);

/// An open session database. Cheap to share between threads (`&Store` is
/// `Sync`); several stores, in one process or many, may use the same file.
pub struct Store {
    path: PathBuf,
    /// One connection, used by one call at a time.
    conn: Mutex<Connection>,
}

// Callers share one store between threads and move it into blocking tasks.
const _: fn() = || {
    fn shareable<T: Send + Sync>() {}
    shareable::<Store>();
};

impl Store {
    /// Opens the database at `path`, creating it and its parent directories
    /// if needed and migrating an older schema.
    ///
    /// A database from a newer duet is refused. A file that is not a
    /// database is renamed to `<path>.corrupt-<unix seconds>` and reported
    /// as [`StoreError::Corrupt`]; opening again then starts a fresh one.
    ///
    /// Turns left `running` by a process that no longer exists are marked
    /// [`TurnStatus::Interrupted`](crate::TurnStatus::Interrupted) (one
    /// lookup in a partial index when there are none).
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        Store::open_with(path, Create::Yes)
    }

    /// [`Store::open`] for readers: a database that does not exist is
    /// `None`, and no file or directory is created.
    pub fn open_existing(path: &Path) -> Result<Option<Store>, StoreError> {
        if !path.exists() {
            return Ok(None);
        }
        Store::open_with(path, Create::No).map(Some)
    }

    fn open_with(path: &Path, create: Create) -> Result<Store, StoreError> {
        let conn = open_connection(path, create)?;
        crate::turns::mark_interrupted(&conn, path)?;
        Ok(Store {
            path: path.to_path_buf(),
            conn: Mutex::new(conn),
        })
    }

    /// The database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    pub fn create_thread(&self, thread: &NewThread) -> Result<(), StoreError> {
        let conn = self.conn();
        let inserted = conn
            .prepare_cached(
                "INSERT INTO threads (id, created_at_ms, updated_at_ms, cwd, model, provider, \
                 sandbox_mode, approval_policy, git_branch, git_commit, git_origin, source) \
                 VALUES (?1, ?2, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    thread.id,
                    thread.created_at_ms,
                    PathParam(&thread.cwd),
                    thread.model,
                    thread.provider,
                    thread.sandbox_mode,
                    thread.approval_policy,
                    thread.git_branch,
                    thread.git_commit,
                    thread.git_origin,
                    thread.source,
                ])
            });
        match inserted {
            Ok(_) => Ok(()),
            Err(error) if constraint(&error) == Some(ffi::SQLITE_CONSTRAINT_PRIMARYKEY) => {
                Err(StoreError::ThreadExists {
                    id: thread.id.clone(),
                })
            }
            Err(error) => Err(sql_error(&self.path, "create a session")(error)),
        }
    }

    /// Appends `items` (in order) to the history of a thread, as part of
    /// turn `turn_id`, in one transaction, none of them searchable. See
    /// [`Store::append`].
    pub fn append_items(
        &self,
        thread_id: &str,
        turn_id: &str,
        items: &[Value],
    ) -> Result<(), StoreError> {
        let items: Vec<NewItem> = items
            .iter()
            .map(|json| NewItem::from_value(json, None))
            .collect();
        self.append(thread_id, turn_id, &items)
    }

    /// Appends `items` (in order) to the history of a thread, as part of
    /// turn `turn_id`, in one transaction, indexing their search text. Also
    /// moves the thread's `updated_at_ms` to now and sets its title from the
    /// first prompt among them if it has none yet. Appending nothing does
    /// nothing.
    pub fn append(
        &self,
        thread_id: &str,
        turn_id: &str,
        items: &[NewItem],
    ) -> Result<(), StoreError> {
        if items.is_empty() {
            return Ok(());
        }
        const ACTION: &str = "append items to a session";
        let to_error = || sql_error(&self.path, ACTION);
        let mut conn = self.conn();
        let tx = write_tx(&mut conn).map_err(to_error())?;
        let heads: Vec<ItemHead> = items.iter().map(|item| ItemHead::of(&item.json)).collect();
        let title = title_from_raw(items.iter().map(|item| &*item.json).zip(&heads));
        let touched = tx
            .prepare_cached(
                "UPDATE threads SET updated_at_ms = max(updated_at_ms, ?2), \
                 title = coalesce(title, ?3) WHERE id = ?1",
            )
            .and_then(|mut statement| statement.execute(params![thread_id, now_ms(), title]))
            .map_err(to_error())?;
        if touched == 0 {
            return Err(StoreError::UnknownThread {
                id: thread_id.to_string(),
                action: ACTION,
            });
        }
        let next_seq: i64 = tx
            .prepare_cached("SELECT coalesce(max(seq) + 1, 0) FROM items WHERE thread_id = ?1")
            .and_then(|mut statement| statement.query_row([thread_id], |row| row.get(0)))
            .map_err(to_error())?;
        {
            let mut insert = tx
                .prepare_cached(
                    "INSERT INTO items (thread_id, seq, turn_id, kind, json, search_role, \
                     search_text) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                )
                .map_err(to_error())?;
            for ((seq, item), head) in (next_seq..).zip(items).zip(&heads) {
                let kind = head.kind.as_deref();
                let json = item.json.get();
                let role = item.search.as_ref().map(|search| search.role.as_str());
                let text = item.search.as_ref().map(|search| search.text.as_str());
                insert
                    .execute(params![thread_id, seq, turn_id, kind, json, role, text])
                    .map_err(to_error())?;
            }
        }
        tx.commit().map_err(to_error())
    }

    /// Appends one displayed item (the protocol's `Item` as JSON) to the
    /// transcript of a thread, as part of turn `turn_id`.
    pub fn append_display(
        &self,
        thread_id: &str,
        turn_id: &str,
        item: &Value,
    ) -> Result<(), StoreError> {
        const ACTION: &str = "append to the transcript of a session";
        let json = serde_json::to_string(item)
            .expect("a JSON value has string keys and always serialises");
        let conn = self.conn();
        let appended = conn
            .prepare_cached(
                "INSERT INTO display_items (thread_id, seq, turn_id, json) VALUES (?1, \
                 (SELECT coalesce(max(seq) + 1, 0) FROM display_items WHERE thread_id = ?1), \
                 ?2, ?3)",
            )
            .and_then(|mut statement| statement.execute(params![thread_id, turn_id, json]));
        match appended {
            Ok(_) => Ok(()),
            Err(error) if constraint(&error) == Some(ffi::SQLITE_CONSTRAINT_FOREIGNKEY) => {
                Err(StoreError::UnknownThread {
                    id: thread_id.to_string(),
                    action: ACTION,
                })
            }
            Err(error) => Err(sql_error(&self.path, ACTION)(error)),
        }
    }

    /// Sets the thread-cumulative token usage.
    pub fn set_usage(&self, thread_id: &str, usage: &UsageTotals) -> Result<(), StoreError> {
        const ACTION: &str = "update the token usage of a session";
        let conn = self.conn();
        let touched = conn
            .prepare_cached(
                "UPDATE threads SET input_tokens = ?2, cached_input_tokens = ?3, \
                 output_tokens = ?4, reasoning_output_tokens = ?5 WHERE id = ?1",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    thread_id,
                    count_to_sql(usage.input_tokens),
                    count_to_sql(usage.cached_input_tokens),
                    count_to_sql(usage.output_tokens),
                    count_to_sql(usage.reasoning_output_tokens),
                ])
            })
            .map_err(sql_error(&self.path, ACTION))?;
        if touched == 0 {
            return Err(StoreError::UnknownThread {
                id: thread_id.to_string(),
                action: ACTION,
            });
        }
        Ok(())
    }

    /// Sets when a thread was last updated, for threads written from
    /// elsewhere (an import) whose last activity is not now.
    pub fn set_updated_at(&self, thread_id: &str, updated_at_ms: i64) -> Result<(), StoreError> {
        const ACTION: &str = "set the update time of a session";
        let conn = self.conn();
        let touched = conn
            .prepare_cached("UPDATE threads SET updated_at_ms = ?2 WHERE id = ?1")
            .and_then(|mut statement| statement.execute(params![thread_id, updated_at_ms]))
            .map_err(sql_error(&self.path, ACTION))?;
        if touched == 0 {
            return Err(StoreError::UnknownThread {
                id: thread_id.to_string(),
                action: ACTION,
            });
        }
        Ok(())
    }

    /// Names a thread (`None` removes its name). Names are unique.
    pub fn set_name(&self, thread_id: &str, name: Option<&str>) -> Result<(), StoreError> {
        const ACTION: &str = "name a session";
        if name.is_some_and(|name| name.trim().is_empty()) {
            return Err(StoreError::EmptyName);
        }
        let conn = self.conn();
        let renamed = conn
            .prepare_cached("UPDATE threads SET name = ?2 WHERE id = ?1")
            .and_then(|mut statement| statement.execute(params![thread_id, name]));
        match (renamed, name) {
            (Ok(0), _) => Err(StoreError::UnknownThread {
                id: thread_id.to_string(),
                action: ACTION,
            }),
            (Ok(_), _) => Ok(()),
            (Err(error), Some(name))
                if constraint(&error) == Some(ffi::SQLITE_CONSTRAINT_UNIQUE) =>
            {
                let holder = conn
                    .query_row("SELECT id FROM threads WHERE name = ?1", [name], |row| {
                        row.get(0)
                    })
                    .map_err(sql_error(&self.path, ACTION))?;
                Err(StoreError::NameTaken {
                    name: name.to_string(),
                    holder,
                })
            }
            (Err(error), _) => Err(sql_error(&self.path, ACTION)(error)),
        }
    }

    /// Makes checkpoints this connection's owner's business (the writer
    /// thread's): none inside the commit that crosses SQLite's threshold
    /// (and, as for every connection, none at close). The owner calls
    /// [`Store::checkpoint`] when it has time, and at open when
    /// [`Store::log_is_long`]; after a complete checkpoint the next write
    /// starts the log afresh and truncates its file, so the file's size
    /// says how much is left to copy.
    pub(crate) fn defer_checkpoints(&self) {
        // Best effort: a connection that keeps checkpointing by itself is
        // only slower now and then.
        let conn = self.conn();
        let _ = conn.pragma_update(None, "wal_autocheckpoint", 0);
        let _ = conn.pragma_update(None, "journal_size_limit", 0);
    }

    /// Whether the write-ahead log holds about as much as SQLite's own
    /// automatic checkpoint would let it (1,000 pages).
    pub(crate) fn log_is_long(&self) -> bool {
        std::fs::metadata(sidecar(&self.path, "-wal"))
            .is_ok_and(|meta| meta.len() >= LONG_LOG_BYTES)
    }

    /// Copies what it can of the write-ahead log into the database without
    /// waiting for other connections (a passive checkpoint). A failure
    /// leaves the log as it was, for the next checkpoint.
    pub(crate) fn checkpoint(&self) {
        let _ = self
            .conn()
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()));
    }

    /// The connection, for one call. A panic in another call cannot leave
    /// it half-used: an open transaction rolls back when it is dropped.
    pub(crate) fn conn(&self) -> MutexGuard<'_, Connection> {
        self.conn.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Run `writes` (calls of this store's write methods) in one immediate
    /// transaction, each write in a savepoint of its own: one commit for
    /// all, and a write that fails is rolled back alone (its error is in
    /// `writes`' result) while the others commit. Fails only if the
    /// transaction cannot start (another process holds the database past
    /// the busy timeout) or commit; then nothing was written.
    pub fn batch<T>(&self, writes: impl FnOnce() -> T) -> Result<T, StoreError> {
        const ACTION: &str = "save a batch of writes";
        self.conn()
            .execute_batch("BEGIN IMMEDIATE")
            .map_err(sql_error(&self.path, ACTION))?;
        let result = writes();
        let committed = self.conn().execute_batch("COMMIT");
        if let Err(error) = committed {
            let _ = self.conn().execute_batch("ROLLBACK");
            return Err(sql_error(&self.path, ACTION)(error));
        }
        Ok(result)
    }
}

/// A write's own transaction, or, inside [`Store::batch`], a savepoint of
/// the batch's transaction; either commits with [`WriteTx::commit`] and
/// rolls back when dropped.
pub(crate) enum WriteTx<'c> {
    Own(rusqlite::Transaction<'c>),
    InBatch(rusqlite::Savepoint<'c>),
}

impl std::ops::Deref for WriteTx<'_> {
    type Target = Connection;

    fn deref(&self) -> &Connection {
        match self {
            WriteTx::Own(tx) => tx,
            WriteTx::InBatch(savepoint) => savepoint,
        }
    }
}

impl WriteTx<'_> {
    pub(crate) fn commit(self) -> rusqlite::Result<()> {
        match self {
            WriteTx::Own(tx) => tx.commit(),
            WriteTx::InBatch(savepoint) => savepoint.commit(),
        }
    }
}

/// The transaction of one write: immediate (the write lock is taken up
/// front, waiting under the busy timeout, instead of failing when a read
/// turns into a write), or a savepoint when a batch already holds it.
pub(crate) fn write_tx(conn: &mut Connection) -> rusqlite::Result<WriteTx<'_>> {
    if conn.is_autocommit() {
        conn.transaction_with_behavior(TransactionBehavior::Immediate)
            .map(WriteTx::Own)
    } else {
        conn.savepoint().map(WriteTx::InBatch)
    }
}

/// The extended code of a constraint violation.
pub(crate) fn constraint(error: &rusqlite::Error) -> Option<i32> {
    match error {
        rusqlite::Error::SqliteFailure(failure, _)
            if failure.code == rusqlite::ErrorCode::ConstraintViolation =>
        {
            Some(failure.extended_code)
        }
        _ => None,
    }
}

pub(crate) fn now_ms() -> i64 {
    let since_epoch = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    i64::try_from(since_epoch.as_millis()).unwrap_or(i64::MAX)
}
