//! The database schema and its migrations.
//!
//! The schema version lives in `PRAGMA user_version`: 0 is an empty file,
//! `n` means the first `n` entries of [`MIGRATIONS`] have been applied. A
//! migration is only ever appended, never edited, so a database written by any
//! earlier build can be brought up to date. This module is not the query layer:
//! it knows the tables, not how they are used.

use crate::error::{StoreError, sql_error};
use rusqlite::{Connection, TransactionBehavior};
use std::path::Path;

/// The schema version this build writes and understands.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

/// Each entry moves the schema from version `index` to `index + 1`.
const MIGRATIONS: &[&str] = &[V1, V2, V3];

/// Threads, their turns and their history items.
///
/// - `threads.updated_at_ms` orders sessions, ties broken by `id`;
///   `threads_cwd_updated` serves "the newest session in this directory",
///   and the primary key serves lookups by id prefix.
/// - `threads.cwd` holds UTF-8 text, or the raw bytes as a BLOB for a path
///   that is not UTF-8, so that equality is exact either way.
/// - `threads.name` is unique when set; `NULL`s do not collide.
/// - `threads.fork_point` is the parent's item `seq` (exclusive) a fork was
///   taken at; it and `parent_thread_id` are set only by forks.
/// - `items.id` is an explicit rowid alias so that it stays stable across
///   `VACUUM`; a later full-text index can use it as its content rowid.
/// - `turns.status` is text checked by the code, not by a `CHECK`
///   constraint, so a new status needs no table rebuild.
/// - Usage columns are cumulative for a thread and per turn for a turn.
const V1: &str = "
CREATE TABLE threads (
    id TEXT PRIMARY KEY NOT NULL,
    created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL,
    cwd TEXT NOT NULL,
    model TEXT NOT NULL,
    provider TEXT NOT NULL,
    sandbox_mode TEXT NOT NULL,
    approval_policy TEXT NOT NULL,
    name TEXT UNIQUE,
    title TEXT,
    archived INTEGER NOT NULL DEFAULT 0,
    parent_thread_id TEXT REFERENCES threads (id) ON DELETE SET NULL,
    fork_point INTEGER,
    git_branch TEXT,
    git_commit TEXT,
    git_origin TEXT,
    source TEXT NOT NULL,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    cached_input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_output_tokens INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX threads_cwd_updated ON threads (cwd, updated_at_ms, id);

CREATE TABLE turns (
    thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    turn_id TEXT NOT NULL,
    seq INTEGER NOT NULL,
    status TEXT NOT NULL,
    error TEXT,
    started_at_ms INTEGER NOT NULL,
    ended_at_ms INTEGER,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    cached_input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    reasoning_output_tokens INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (thread_id, turn_id),
    UNIQUE (thread_id, seq)
);

CREATE TABLE items (
    id INTEGER PRIMARY KEY,
    thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    turn_id TEXT NOT NULL,
    kind TEXT,
    json TEXT NOT NULL,
    UNIQUE (thread_id, seq)
);
";

/// Durability, search and the transcript.
///
/// - `turns.writer` names the process that runs a `running` turn
///   (`<boot id> <pid> <start time>` on Linux, `NULL` elsewhere), so that a
///   later open can tell a turn whose process died (marked `interrupted`)
///   from one still running; `turns_running` keeps that check one lookup in
///   a nearly empty index.
/// - `items.search_role` (`user`, `agent`, `command`) and `items.search_text`
///   are what the caller wants found of an item; `items_fts` indexes that
///   text with `items` as its external content, kept in step by triggers
///   (cascading deletes fire them too). Rows written by v1 are filled from
///   their JSON here, the same way core fills new ones.
/// - `display_items` are the displayed items of each turn (the protocol's
///   `Item` JSON), in order, for redrawing a transcript; the exact Responses
///   items stay in `items` for rebuilding the model input.
/// - `threads_updated` serves listing every thread newest first.
const V2: &str = "
ALTER TABLE turns ADD COLUMN writer TEXT;
CREATE INDEX turns_running ON turns (status) WHERE status = 'running';

ALTER TABLE items ADD COLUMN search_role TEXT;
ALTER TABLE items ADD COLUMN search_text TEXT;
UPDATE items SET search_role = 'user', search_text = json_extract(json, '$.content[0].text')
    WHERE kind = 'message' AND json_extract(json, '$.role') = 'user'
    AND json_type(json, '$.content[0].text') = 'text'
    AND substr(ltrim(json_extract(json, '$.content[0].text')), 1, 1) <> '<'
    AND substr(ltrim(json_extract(json, '$.content[0].text')), 1, 11) <> '# AGENTS.md';
UPDATE items SET search_role = 'agent', search_text = json_extract(json, '$.content[0].text')
    WHERE kind = 'message' AND json_extract(json, '$.role') = 'assistant'
    AND json_type(json, '$.content[0].text') = 'text';
UPDATE items SET search_role = 'command',
    search_text = json_extract(json_extract(json, '$.arguments'), '$.cmd')
    WHERE kind = 'function_call' AND json_extract(json, '$.name') = 'exec_command'
    AND json_valid(json_extract(json, '$.arguments'))
    AND json_type(json_extract(json, '$.arguments'), '$.cmd') = 'text';

CREATE VIRTUAL TABLE items_fts USING fts5 (
    search_text, content = 'items', content_rowid = 'id',
    tokenize = 'unicode61 remove_diacritics 2'
);
INSERT INTO items_fts (items_fts) VALUES ('rebuild');
CREATE TRIGGER items_fts_insert AFTER INSERT ON items WHEN new.search_text IS NOT NULL BEGIN
    INSERT INTO items_fts (rowid, search_text) VALUES (new.id, new.search_text);
END;
CREATE TRIGGER items_fts_delete AFTER DELETE ON items WHEN old.search_text IS NOT NULL BEGIN
    INSERT INTO items_fts (items_fts, rowid, search_text) VALUES ('delete', old.id, old.search_text);
END;

CREATE TABLE display_items (
    id INTEGER PRIMARY KEY,
    thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    turn_id TEXT NOT NULL,
    json TEXT NOT NULL,
    UNIQUE (thread_id, seq)
);

CREATE INDEX threads_updated ON threads (updated_at_ms, id);
CREATE INDEX threads_parent ON threads (parent_thread_id) WHERE parent_thread_id IS NOT NULL;
";

/// The cost ledger: one row per model request, and their sums by hour.
///
/// - `requests`: token columns are the request's own (not cumulative);
///   input includes the cached and cache-written tokens. `cost_pico` is the
///   price in millionths of a millionth of a US dollar (integers, so sums
///   are exact); `NULL` when no price was known. `provider` and `model` are
///   what the request was sent to. A fork copies the rows of the turns it
///   keeps: they count in the fork's cost.
/// - `request_hours`: the same requests summed by thread, UTC hour
///   (`at_ms / 3,600,000`) and model, kept with each request; `duet usage`
///   reads these (a session makes one or a few rows), never every request;
///   `cwd` is the thread's, copied so that grouping by directory needs no
///   join.
///   A fork's copies are not added here, so `duet usage` counts each
///   request once.
const V3: &str = "
CREATE TABLE requests (
    id INTEGER PRIMARY KEY,
    thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    turn_id TEXT NOT NULL,
    at_ms INTEGER NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    cached_input_tokens INTEGER NOT NULL,
    cache_write_input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    reasoning_output_tokens INTEGER NOT NULL,
    cost_pico INTEGER
);
CREATE INDEX requests_thread ON requests (thread_id, id);

CREATE TABLE request_hours (
    thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    hour INTEGER NOT NULL,
    provider TEXT NOT NULL,
    model TEXT NOT NULL,
    cwd TEXT NOT NULL,
    requests INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    cached_input_tokens INTEGER NOT NULL,
    cache_write_input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    reasoning_output_tokens INTEGER NOT NULL,
    cost_pico INTEGER NOT NULL,
    unpriced INTEGER NOT NULL,
    PRIMARY KEY (thread_id, hour, provider, model)
) WITHOUT ROWID;
CREATE INDEX request_hours_hour ON request_hours (hour);
";

/// Brings the database at `path` to [`SCHEMA_VERSION`], given the version
/// read when it was opened. A current database costs nothing here.
pub(crate) fn migrate(conn: &mut Connection, path: &Path, found: i64) -> Result<(), StoreError> {
    if found == SCHEMA_VERSION {
        return Ok(());
    }
    check_not_newer(path, found)?;

    // WAL is a property of the file, so it is set once, here, and not on
    // every open. It cannot be changed inside a transaction.
    // Two processes opening a fresh file at once can both try; SQLite then
    // answers one of them "busy" at once, without waiting (each holds a
    // lock the other needs), so that one tries again.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(5);
    let mode: String = loop {
        match conn.pragma_update_and_check(None, "journal_mode", "wal", |row| row.get(0)) {
            Ok(mode) => break mode,
            Err(error)
                if matches!(
                    error.sqlite_error_code(),
                    Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
                ) && std::time::Instant::now() < deadline =>
            {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
            Err(error) => return Err(sql_error(path, "switch to write-ahead logging")(error)),
        }
    };
    if !mode.eq_ignore_ascii_case("wal") {
        return Err(StoreError::NoWal {
            path: path.to_path_buf(),
            mode,
        });
    }

    // Another process may be migrating the same file right now: the
    // immediate transaction serialises us behind it, and the version is read
    // again inside it so that we apply only what is still missing.
    let tx = conn
        .transaction_with_behavior(TransactionBehavior::Immediate)
        .map_err(sql_error(path, "start the schema migration"))?;
    let current = user_version(&tx).map_err(sql_error(path, "read the schema version"))?;
    check_not_newer(path, current)?;
    let start = usize::try_from(current).unwrap_or(0);
    for migration in &MIGRATIONS[start..] {
        tx.execute_batch(migration)
            .map_err(sql_error(path, "apply the schema migration"))?;
    }
    tx.pragma_update(None, "user_version", SCHEMA_VERSION)
        .map_err(sql_error(path, "record the schema version"))?;
    tx.commit()
        .map_err(sql_error(path, "commit the schema migration"))
}

/// The schema version stored in the file header.
pub(crate) fn user_version(conn: &Connection) -> rusqlite::Result<i64> {
    conn.pragma_query_value(None, "user_version", |row| row.get(0))
}

fn check_not_newer(path: &Path, found: i64) -> Result<(), StoreError> {
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_path_buf(),
            found,
            known: SCHEMA_VERSION,
        });
    }
    Ok(())
}
