//! The reads: finding a thread by id, id prefix or name, the newest thread
//! of a directory, a thread's history and its turns.

use crate::error::{Candidate, MAX_CANDIDATES, StoreError, sql_error};
use crate::item::RawHistoryItem;
use crate::record::{
    PathParam, THREAD_COLUMNS, ThreadRecord, TurnRecord, TurnStatus, thread_from_row,
    usage_from_row,
};
use crate::store::Store;
use rusqlite::types::Type;
use rusqlite::{Connection, OptionalExtension};
use serde_json::Value;
use std::path::Path;

/// The shortest id prefix that is looked up as a prefix.
pub const MIN_PREFIX_CHARS: usize = 4;

impl Store {
    /// The thread `id_or_name` names: an exact id, else an exact name, else
    /// the one thread whose id starts with it (at least
    /// [`MIN_PREFIX_CHARS`] characters). Archived threads are found too.
    pub fn thread(&self, id_or_name: &str) -> Result<ThreadRecord, StoreError> {
        let to_error = || sql_error(self.path(), "look up a session");
        let conn = self.conn();
        for column in ["id", "name"] {
            if let Some(thread) = thread_where(&conn, column, id_or_name).map_err(to_error())? {
                return Ok(thread);
            }
        }
        let not_found = || StoreError::NotFound {
            query: id_or_name.to_string(),
        };
        if id_or_name.chars().count() < MIN_PREFIX_CHARS || id_or_name.contains(['*', '?', '[']) {
            return Err(not_found());
        }
        // GLOB is case-sensitive like ids, and a bound pattern without a
        // leading wildcard is answered from the primary key index.
        let pattern = format!("{id_or_name}*");
        let candidates = conn
            .prepare_cached(
                "SELECT id, title FROM threads WHERE id GLOB ?1 \
                 ORDER BY updated_at_ms DESC, id DESC LIMIT ?2",
            )
            .and_then(|mut statement| {
                statement
                    .query_map(rusqlite::params![pattern, MAX_CANDIDATES as i64], |row| {
                        Ok(Candidate {
                            id: row.get(0)?,
                            title: row.get(1)?,
                        })
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(to_error())?;
        match candidates.as_slice() {
            [] => Err(not_found()),
            [only] => thread_where(&conn, "id", &only.id)
                .map_err(to_error())?
                .ok_or_else(not_found),
            _ => {
                let total = if candidates.len() < MAX_CANDIDATES {
                    candidates.len()
                } else {
                    conn.prepare_cached("SELECT count(*) FROM threads WHERE id GLOB ?1")
                        .and_then(|mut statement| {
                            statement.query_row([&pattern], |row| row.get::<_, i64>(0))
                        })
                        .map_err(to_error())?
                        .try_into()
                        .unwrap_or(usize::MAX)
                };
                Err(StoreError::Ambiguous {
                    query: id_or_name.to_string(),
                    candidates,
                    total,
                })
            }
        }
    }

    /// The most recently updated thread that is not archived and whose cwd
    /// is exactly `cwd`.
    pub fn last_thread(&self, cwd: &Path) -> Result<Option<ThreadRecord>, StoreError> {
        let sql = format!(
            "SELECT {THREAD_COLUMNS} FROM threads WHERE cwd = ?1 AND archived = 0 \
             ORDER BY updated_at_ms DESC, id DESC LIMIT 1"
        );
        let conn = self.conn();
        conn.prepare_cached(&sql)
            .and_then(|mut statement| {
                statement
                    .query_row([PathParam(cwd)], thread_from_row)
                    .optional()
            })
            .map_err(sql_error(self.path(), "find the last session"))
    }

    /// Every history item of a thread, in the order appended.
    pub fn history(&self, thread_id: &str) -> Result<Vec<Value>, StoreError> {
        self.history_as(thread_id)
    }

    /// [`Store::history`] read straight into the caller's item type, with
    /// no intermediate JSON tree (resuming a large thread parses tens of
    /// megabytes). An item that does not parse as `T` is
    /// [`StoreError::BadItem`].
    pub fn history_as<T: serde::de::DeserializeOwned>(
        &self,
        thread_id: &str,
    ) -> Result<Vec<T>, StoreError> {
        self.history_rows(thread_id, "seq, json", |seq, row| {
            let json = row
                .get_ref(1)
                .and_then(|value| Ok(value.as_str()?))
                .map_err(sql_error(self.path(), "read the history of a session"))?;
            serde_json::from_str(json).map_err(|cause| self.bad_item(thread_id, seq, cause))
        })
    }

    /// Every history item of a thread, in order, as its exact stored text:
    /// what a resume sends back. Not parsed (the store wrote each from a
    /// JSON value, and a long thread is tens of megabytes); a text that is
    /// not braced like an object is [`StoreError::BadItem`].
    pub fn history_raw(&self, thread_id: &str) -> Result<Vec<RawHistoryItem>, StoreError> {
        self.history_rows(thread_id, "seq, kind, turn_id, json", |seq, row| {
            let to_error = || sql_error(self.path(), "read the history of a session");
            let kind: Option<String> = row.get(1).map_err(to_error())?;
            let turn_id: String = row.get(2).map_err(to_error())?;
            let json: String = row.get(3).map_err(to_error())?;
            match not_an_object(&json) {
                Some(cause) => Err(self.bad_item(thread_id, seq, cause)),
                None => Ok(RawHistoryItem {
                    kind,
                    turn_id,
                    json,
                }),
            }
        })
    }

    /// The history rows of a thread in order (`columns` start with `seq`),
    /// each made into an item by `read`; a thread with no rows that does
    /// not exist is [`StoreError::NotFound`].
    fn history_rows<T>(
        &self,
        thread_id: &str,
        columns: &str,
        mut read: impl FnMut(i64, &rusqlite::Row<'_>) -> Result<T, StoreError>,
    ) -> Result<Vec<T>, StoreError> {
        let to_error = || sql_error(self.path(), "read the history of a session");
        let conn = self.conn();
        let sql = format!("SELECT {columns} FROM items WHERE thread_id = ?1 ORDER BY seq");
        let mut statement = conn.prepare_cached(&sql).map_err(to_error())?;
        let mut rows = statement.query([thread_id]).map_err(to_error())?;
        let mut items = Vec::new();
        while let Some(row) = rows.next().map_err(to_error())? {
            let seq: i64 = row.get(0).map_err(to_error())?;
            items.push(read(seq, row)?);
        }
        drop(rows);
        drop(statement);
        if items.is_empty() && !thread_exists(&conn, thread_id).map_err(to_error())? {
            return Err(StoreError::NotFound {
                query: thread_id.to_string(),
            });
        }
        Ok(items)
    }

    fn bad_item(&self, thread_id: &str, seq: i64, cause: serde_json::Error) -> StoreError {
        StoreError::BadItem {
            path: self.path().to_path_buf(),
            thread_id: thread_id.to_string(),
            seq,
            cause,
        }
    }

    /// The recorded turns of a thread, in the order they were first recorded.
    pub fn turns(&self, thread_id: &str) -> Result<Vec<TurnRecord>, StoreError> {
        let to_error = || sql_error(self.path(), "read the turns of a session");
        let conn = self.conn();
        let turns = conn
            .prepare_cached(
                "SELECT thread_id, turn_id, status, error, started_at_ms, ended_at_ms, \
                 input_tokens, cached_input_tokens, output_tokens, reasoning_output_tokens \
                 FROM turns WHERE thread_id = ?1 ORDER BY seq",
            )
            .and_then(|mut statement| {
                statement
                    .query_map([thread_id], turn_from_row)?
                    .collect::<rusqlite::Result<Vec<_>>>()
            })
            .map_err(to_error())?;
        if turns.is_empty() && !thread_exists(&conn, thread_id).map_err(to_error())? {
            return Err(StoreError::NotFound {
                query: thread_id.to_string(),
            });
        }
        Ok(turns)
    }
}

/// Why `json` cannot be a stored item, judged by its first and last
/// characters only (a cut or damaged text); the error comes from parsing it.
fn not_an_object(json: &str) -> Option<serde_json::Error> {
    if json.starts_with('{') && json.ends_with('}') {
        return None;
    }
    serde_json::from_str::<serde_json::Map<String, Value>>(json).err()
}

/// The thread whose `column` (a fixed, unique column name) equals `value`.
fn thread_where(
    conn: &Connection,
    column: &str,
    value: &str,
) -> rusqlite::Result<Option<ThreadRecord>> {
    let sql = format!("SELECT {THREAD_COLUMNS} FROM threads WHERE {column} = ?1");
    conn.prepare_cached(&sql)?
        .query_row([value], thread_from_row)
        .optional()
}

pub(crate) fn thread_exists(conn: &Connection, thread_id: &str) -> rusqlite::Result<bool> {
    conn.prepare_cached("SELECT 1 FROM threads WHERE id = ?1")?
        .query_row([thread_id], |_| Ok(()))
        .optional()
        .map(|found| found.is_some())
}

fn turn_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<TurnRecord> {
    let status: String = row.get(2)?;
    let status = TurnStatus::parse(&status).ok_or_else(|| {
        rusqlite::Error::FromSqlConversionFailure(
            2,
            Type::Text,
            format!("unknown turn status `{status}`").into(),
        )
    })?;
    Ok(TurnRecord {
        thread_id: row.get(0)?,
        turn_id: row.get(1)?,
        status,
        error: row.get(3)?,
        started_at_ms: row.get(4)?,
        ended_at_ms: row.get(5)?,
        usage: usage_from_row(row, 6)?,
    })
}
