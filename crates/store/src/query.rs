//! The reads behind `duet sessions`: listing threads, full-text search, and
//! a thread's stored items and transcript.
//!
//! Every query is answered from an index: listing from `threads_cwd_updated`
//! or `threads_updated`, search from `items_fts`, a thread's rows from their
//! `(thread_id, seq)` keys.

use crate::error::{StoreError, sql_error};
use crate::item::{SearchRole, StoredItem};
use crate::record::{PathParam, THREAD_COLUMNS, ThreadRecord, thread_from_row};
use crate::store::Store;
pub use duet_protocol::threads::{ListOptions, SearchHit, SearchOptions, ThreadSummary};
use rusqlite::types::Type;
use rusqlite::{OptionalExtension, params};
use serde_json::Value;
use std::collections::HashMap;

/// A displayed item of a turn (the protocol's `Item` JSON), for redrawing
/// a transcript.
#[derive(Debug, Clone, PartialEq)]
pub struct DisplayItem {
    pub seq: i64,
    pub turn_id: String,
    pub json: Value,
}

/// How many of the newest matching items a search ranks.
pub const RANKED_MATCHES: i64 = 10_000;

/// How many words a snippet holds.
const SNIPPET_WORDS: i64 = 12;

impl Store {
    /// Threads newest first (by last update, ties by id), with their turn counts.
    pub fn list_threads(&self, options: &ListOptions) -> Result<Vec<ThreadSummary>, StoreError> {
        let filter = if options.cwd.is_some() {
            "cwd = ?1 AND archived = ?2"
        } else {
            "?1 IS NULL AND archived = ?2"
        };
        let sql = format!(
            "SELECT {THREAD_COLUMNS}, \
             (SELECT count(*) FROM turns WHERE turns.thread_id = threads.id) \
             FROM threads WHERE {filter} ORDER BY updated_at_ms DESC, id DESC LIMIT ?3"
        );
        let limit = options
            .limit
            .map_or(-1, |limit| i64::try_from(limit).unwrap_or(i64::MAX));
        let cwd = options.cwd.as_deref().map(PathParam);
        let conn = self.conn();
        conn.prepare_cached(&sql)
            .and_then(|mut statement| {
                statement
                    .query_map(params![cwd, options.archived, limit], |row| {
                        let count: i64 = row.get(21)?;
                        Ok(ThreadSummary {
                            thread: thread_from_row(row)?,
                            turn_count: u64::try_from(count).unwrap_or(0),
                        })
                    })?
                    .collect()
            })
            .map_err(sql_error(self.path(), "list sessions"))
    }

    /// Full-text search over the searchable text of items (prompts, agent
    /// messages, commands): the best match of each thread, best first.
    ///
    /// Any text is a valid query: it is split on whitespace and every word
    /// must appear (a word with punctuation, like `foo-bar`, as a phrase).
    /// Text with no word in it finds nothing. Only the newest
    /// [`RANKED_MATCHES`] matching items are ranked, so that a word found
    /// everywhere costs the same at any database size.
    pub fn search(
        &self,
        query: &str,
        options: &SearchOptions,
    ) -> Result<Vec<SearchHit>, StoreError> {
        let Some(fts_query) = fts_query(query) else {
            return Ok(Vec::new());
        };
        let to_error = || sql_error(self.path(), "search sessions");
        let conn = self.conn();
        // Ranking (bm25) costs per matching row, and a word found in most
        // items would rank them all: only the newest RANKED_MATCHES matches
        // are ranked (every match, for all but the commonest words). Item
        // ids grow with time, and the newest matches are found from the
        // end of the index without ranking.
        let floor: i64 = conn
            .prepare_cached(
                "SELECT rowid FROM items_fts WHERE items_fts MATCH ?1 \
                 ORDER BY rowid DESC LIMIT 1 OFFSET ?2",
            )
            .and_then(|mut statement| {
                statement
                    .query_row(params![fts_query, RANKED_MATCHES - 1], |row| row.get(0))
                    .optional()
            })
            .map_err(to_error())?
            .unwrap_or(i64::MIN);
        // First the best item of each thread, without snippets: the rank
        // order is all the index needs, and snippets cost per row.
        let mut best: Vec<(i64, ThreadRecord)> = Vec::new();
        let mut seen: HashMap<String, bool> = HashMap::new();
        {
            let mut statement = conn
                .prepare_cached(
                    "SELECT items_fts.rowid, items.thread_id FROM items_fts \
                     JOIN items ON items.id = items_fts.rowid \
                     WHERE items_fts MATCH ?1 AND items_fts.rowid >= ?2 ORDER BY rank",
                )
                .map_err(to_error())?;
            let mut rows = statement
                .query(params![fts_query, floor])
                .map_err(to_error())?;
            let thread_sql = format!("SELECT {THREAD_COLUMNS} FROM threads WHERE id = ?1");
            while best.len() < options.limit {
                let Some(row) = rows.next().map_err(to_error())? else {
                    break;
                };
                let rowid: i64 = row.get(0).map_err(to_error())?;
                let thread_id: String = row.get(1).map_err(to_error())?;
                if seen.contains_key(&thread_id) {
                    continue;
                }
                let thread = conn
                    .prepare_cached(&thread_sql)
                    .and_then(|mut statement| {
                        statement
                            .query_row([&thread_id], thread_from_row)
                            .optional()
                    })
                    .map_err(to_error())?;
                let wanted = thread.as_ref().is_some_and(|thread| {
                    (options.include_archived || !thread.archived)
                        && options.cwd.as_ref().is_none_or(|cwd| &thread.cwd == cwd)
                });
                seen.insert(thread_id, wanted);
                if let (true, Some(thread)) = (wanted, thread) {
                    best.push((rowid, thread));
                }
            }
        }
        let mut hits = Vec::with_capacity(best.len());
        let mut statement = conn
            .prepare_cached(
                "SELECT snippet(items_fts, 0, ?3, ?4, '…', ?5), items.seq, items.turn_id, \
                 items.search_role FROM items_fts JOIN items ON items.id = items_fts.rowid \
                 WHERE items_fts MATCH ?1 AND items_fts.rowid = ?2",
            )
            .map_err(to_error())?;
        for (rowid, thread) in best {
            let hit = statement
                .query_row(
                    params![
                        fts_query,
                        rowid,
                        options.highlight.0,
                        options.highlight.1,
                        SNIPPET_WORDS
                    ],
                    |row| {
                        let role: String = row.get(3)?;
                        let role = SearchRole::parse(&role).ok_or_else(|| {
                            rusqlite::Error::FromSqlConversionFailure(
                                3,
                                Type::Text,
                                format!("unknown search role `{role}`").into(),
                            )
                        })?;
                        Ok(SearchHit {
                            snippet: row.get(0)?,
                            item_seq: row.get(1)?,
                            turn_id: row.get(2)?,
                            role,
                            thread,
                        })
                    },
                )
                .map_err(to_error())?;
            hits.push(hit);
        }
        Ok(hits)
    }

    /// Every history item of a thread with its place and turn, in order.
    pub fn items(&self, thread_id: &str) -> Result<Vec<StoredItem>, StoreError> {
        let rows = self.json_rows(
            thread_id,
            "SELECT seq, turn_id, json FROM items WHERE thread_id = ?1 ORDER BY seq",
            "read the history of a session",
        )?;
        Ok(rows
            .into_iter()
            .map(|(seq, turn_id, json)| StoredItem { seq, turn_id, json })
            .collect())
    }

    /// The displayed items of a thread, in order.
    pub fn display_items(&self, thread_id: &str) -> Result<Vec<DisplayItem>, StoreError> {
        let rows = self.json_rows(
            thread_id,
            "SELECT seq, turn_id, json FROM display_items WHERE thread_id = ?1 ORDER BY seq",
            "read the transcript of a session",
        )?;
        Ok(rows
            .into_iter()
            .map(|(seq, turn_id, json)| DisplayItem { seq, turn_id, json })
            .collect())
    }

    /// `(seq, turn_id, parsed json)` rows of one thread; an unknown thread
    /// is [`StoreError::NotFound`].
    fn json_rows(
        &self,
        thread_id: &str,
        sql: &str,
        action: &'static str,
    ) -> Result<Vec<(i64, String, Value)>, StoreError> {
        let to_error = || sql_error(self.path(), action);
        let conn = self.conn();
        let mut statement = conn.prepare_cached(sql).map_err(to_error())?;
        let mut rows = statement.query([thread_id]).map_err(to_error())?;
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(to_error())? {
            let seq: i64 = row.get(0).map_err(to_error())?;
            let turn_id: String = row.get(1).map_err(to_error())?;
            let text = row
                .get_ref(2)
                .and_then(|value| Ok(value.as_str()?))
                .map_err(to_error())?;
            let json = serde_json::from_str(text).map_err(|cause| StoreError::BadItem {
                path: self.path().to_path_buf(),
                thread_id: thread_id.to_string(),
                seq,
                cause,
            })?;
            out.push((seq, turn_id, json));
        }
        drop(rows);
        drop(statement);
        if out.is_empty() && !crate::lookup::thread_exists(&conn, thread_id).map_err(to_error())? {
            return Err(StoreError::NotFound {
                query: thread_id.to_string(),
            });
        }
        Ok(out)
    }
}

/// The FTS5 query for user text: each whitespace-separated word that has a
/// letter or digit becomes a quoted phrase (quotes doubled), all required.
/// `None` when no word is left.
pub(crate) fn fts_query(text: &str) -> Option<String> {
    let phrases: Vec<String> = text
        .split_whitespace()
        .filter(|word| word.chars().any(char::is_alphanumeric))
        .map(|word| format!("\"{}\"", word.replace('"', "\"\"")))
        .collect();
    if phrases.is_empty() {
        None
    } else {
        Some(phrases.join(" "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn check(text: &str, expected: Option<&str>) {
        assert_eq!(fts_query(text), expected.map(str::to_string));
    }

    #[test]
    fn plain_words_are_quoted() {
        check("fix build", Some("\"fix\" \"build\""));
    }

    #[test]
    fn quotes_are_doubled_and_punctuation_kept_in_the_phrase() {
        check("foo-bar \"x", Some("\"foo-bar\" \"\"\"x\""));
    }

    #[test]
    fn operators_are_words() {
        check("a OR b NEAR(", Some("\"a\" \"OR\" \"b\" \"NEAR(\""));
    }

    #[test]
    fn punctuation_alone_is_no_query() {
        check("  - \" * ", None);
    }
}
