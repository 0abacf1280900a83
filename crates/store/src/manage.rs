//! Changing whole threads: archiving, deleting, forking.

use crate::error::{StoreError, sql_error};
use crate::record::{THREAD_COLUMNS, ThreadRecord, thread_from_row};
use crate::store::Store;
use rusqlite::{OptionalExtension, TransactionBehavior, params};

/// A fork to make: the new thread's id and time, and where to cut.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForkRequest {
    /// A fresh UUIDv7.
    pub new_id: String,
    pub created_at_ms: i64,
    /// Keep the turns up to and including this one (1-based, in the
    /// parent's order of turns); `None` keeps them all.
    pub at_turn: Option<u32>,
}

impl Store {
    /// Archives (`true`) or unarchives a thread. Archived threads are left
    /// out of [`Store::last_thread`] and of default listings and searches.
    pub fn set_archived(&self, thread_id: &str, archived: bool) -> Result<(), StoreError> {
        let action = if archived {
            "archive a session"
        } else {
            "unarchive a session"
        };
        let conn = self.conn();
        let touched = conn
            .prepare_cached("UPDATE threads SET archived = ?2 WHERE id = ?1")
            .and_then(|mut statement| statement.execute(params![thread_id, archived]))
            .map_err(sql_error(self.path(), action))?;
        if touched == 0 {
            return Err(StoreError::UnknownThread {
                id: thread_id.to_string(),
                action,
            });
        }
        Ok(())
    }

    /// Deletes a thread with its turns, items, transcript and search
    /// entries. Its forks stay, without a parent.
    pub fn delete_thread(&self, thread_id: &str) -> Result<(), StoreError> {
        const ACTION: &str = "delete a session";
        let conn = self.conn();
        let deleted = conn
            .prepare_cached("DELETE FROM threads WHERE id = ?1")
            .and_then(|mut statement| statement.execute([thread_id]))
            .map_err(sql_error(self.path(), ACTION))?;
        if deleted == 0 {
            return Err(StoreError::UnknownThread {
                id: thread_id.to_string(),
                action: ACTION,
            });
        }
        Ok(())
    }

    /// Copies a thread, up to and including turn `at_turn`, into a new
    /// thread whose parent is the original, in one transaction.
    ///
    /// The fork keeps the parent's settings, title, history items (with
    /// their search text), turns and transcript up to the cut; it has no
    /// name (names are unique), its `fork_point` is how many history items
    /// it took, and its usage is the sum of the turns it took (all of the
    /// parent's when nothing is cut). A turn still running in the parent is
    /// copied as interrupted.
    pub fn fork_thread(
        &self,
        parent_id: &str,
        fork: &ForkRequest,
    ) -> Result<ThreadRecord, StoreError> {
        const ACTION: &str = "fork a session";
        let to_error = || sql_error(self.path(), ACTION);
        let mut conn = self.conn();
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(to_error())?;
        let parent_sql = format!("SELECT {THREAD_COLUMNS} FROM threads WHERE id = ?1");
        let parent = tx
            .query_row(&parent_sql, [parent_id], thread_from_row)
            .optional()
            .map_err(to_error())?
            .ok_or_else(|| StoreError::NotFound {
                query: parent_id.to_string(),
            })?;
        let turn_count: i64 = tx
            .query_row(
                "SELECT count(*) FROM turns WHERE thread_id = ?1",
                [parent_id],
                |row| row.get(0),
            )
            .map_err(to_error())?;
        // The cut: the last turn kept (by its seq), and the first item left out.
        let (last_turn_seq, fork_point): (i64, i64) = match fork.at_turn {
            None => {
                let items: i64 = tx
                    .query_row(
                        "SELECT coalesce(max(seq) + 1, 0) FROM items WHERE thread_id = ?1",
                        [parent_id],
                        |row| row.get(0),
                    )
                    .map_err(to_error())?;
                (i64::MAX, items)
            }
            Some(turn) if turn == 0 || i64::from(turn) > turn_count => {
                return Err(StoreError::NoSuchTurn {
                    thread_id: parent_id.to_string(),
                    turn,
                    turns: u64::try_from(turn_count).unwrap_or(0),
                });
            }
            Some(turn) => {
                let turn_seq: i64 = tx
                    .query_row(
                        "SELECT seq FROM turns WHERE thread_id = ?1 \
                         ORDER BY seq LIMIT 1 OFFSET ?2",
                        params![parent_id, i64::from(turn) - 1],
                        |row| row.get(0),
                    )
                    .map_err(to_error())?;
                // Items of the kept turns end where the chosen turn's last
                // item is; a turn with no item yet keeps what came before.
                let point: i64 = tx
                    .query_row(
                        "SELECT coalesce((SELECT max(seq) + 1 FROM items \
                         WHERE thread_id = ?1 AND turn_id IN (SELECT turn_id FROM turns \
                         WHERE thread_id = ?1 AND seq <= ?2)), 0)",
                        params![parent_id, turn_seq],
                        |row| row.get(0),
                    )
                    .map_err(to_error())?;
                (turn_seq, point)
            }
        };
        tx.execute(
            "INSERT INTO threads (id, created_at_ms, updated_at_ms, cwd, model, provider, \
             sandbox_mode, approval_policy, title, parent_thread_id, fork_point, git_branch, \
             git_commit, git_origin, source) \
             SELECT ?2, ?3, ?3, cwd, model, provider, sandbox_mode, approval_policy, title, id, \
             ?4, git_branch, git_commit, git_origin, source FROM threads WHERE id = ?1",
            params![parent_id, fork.new_id, fork.created_at_ms, fork_point],
        )
        .map_err(|error| match crate::store::constraint(&error) {
            Some(rusqlite::ffi::SQLITE_CONSTRAINT_PRIMARYKEY) => StoreError::ThreadExists {
                id: fork.new_id.clone(),
            },
            _ => to_error()(error),
        })?;
        tx.execute(
            "INSERT INTO turns (thread_id, turn_id, seq, status, error, started_at_ms, \
             ended_at_ms, input_tokens, cached_input_tokens, output_tokens, \
             reasoning_output_tokens) \
             SELECT ?2, turn_id, seq, CASE status WHEN 'running' THEN 'interrupted' \
             ELSE status END, error, started_at_ms, ended_at_ms, input_tokens, \
             cached_input_tokens, output_tokens, reasoning_output_tokens \
             FROM turns WHERE thread_id = ?1 AND seq <= ?3",
            params![parent_id, fork.new_id, last_turn_seq],
        )
        .map_err(to_error())?;
        tx.execute(
            "INSERT INTO items (thread_id, seq, turn_id, kind, json, search_role, search_text) \
             SELECT ?2, seq, turn_id, kind, json, search_role, search_text FROM items \
             WHERE thread_id = ?1 AND seq < ?3 ORDER BY seq",
            params![parent_id, fork.new_id, fork_point],
        )
        .map_err(to_error())?;
        // The kept turns' requests: the fork's cost includes them. Their
        // hourly sums are not copied, so `duet usage` counts them once.
        tx.execute(
            "INSERT INTO requests (thread_id, turn_id, at_ms, provider, model, input_tokens, \
             cached_input_tokens, cache_write_input_tokens, output_tokens, \
             reasoning_output_tokens, cost_pico) \
             SELECT ?2, turn_id, at_ms, provider, model, input_tokens, cached_input_tokens, \
             cache_write_input_tokens, output_tokens, reasoning_output_tokens, cost_pico \
             FROM requests WHERE thread_id = ?1 \
             AND turn_id IN (SELECT turn_id FROM turns WHERE thread_id = ?2) ORDER BY id",
            params![parent_id, fork.new_id],
        )
        .map_err(to_error())?;
        tx.execute(
            "INSERT INTO display_items (thread_id, seq, turn_id, json) \
             SELECT ?2, seq, turn_id, json FROM display_items WHERE thread_id = ?1 \
             AND turn_id IN (SELECT turn_id FROM turns WHERE thread_id = ?2) ORDER BY seq",
            params![parent_id, fork.new_id],
        )
        .map_err(to_error())?;
        // Usage: all of the parent's when nothing is cut (imports may carry
        // usage without per-turn figures), else the sum of the kept turns.
        if fork.at_turn.is_none() {
            tx.execute(
                "UPDATE threads SET input_tokens = ?2, cached_input_tokens = ?3, \
                 output_tokens = ?4, reasoning_output_tokens = ?5 WHERE id = ?1",
                params![
                    fork.new_id,
                    crate::record::count_to_sql(parent.usage.input_tokens),
                    crate::record::count_to_sql(parent.usage.cached_input_tokens),
                    crate::record::count_to_sql(parent.usage.output_tokens),
                    crate::record::count_to_sql(parent.usage.reasoning_output_tokens),
                ],
            )
        } else {
            tx.execute(
                "UPDATE threads SET (input_tokens, cached_input_tokens, output_tokens, \
                 reasoning_output_tokens) = (SELECT coalesce(sum(input_tokens), 0), \
                 coalesce(sum(cached_input_tokens), 0), coalesce(sum(output_tokens), 0), \
                 coalesce(sum(reasoning_output_tokens), 0) FROM turns WHERE thread_id = ?1) \
                 WHERE id = ?1",
                [&fork.new_id],
            )
        }
        .map_err(to_error())?;
        let forked = tx
            .query_row(&parent_sql, [&fork.new_id], thread_from_row)
            .map_err(to_error())?;
        tx.commit().map_err(to_error())?;
        Ok(forked)
    }
}
