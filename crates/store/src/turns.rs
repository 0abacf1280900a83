//! Turns: written as `running` when they start, rewritten when they end,
//! and the check on open that marks turns of dead processes `interrupted`.

use crate::error::{StoreError, sql_error};
use crate::liveness::{current_writer, writer_is_gone};
use crate::record::{TurnRecord, UsageTotals, count_to_sql};
use crate::store::{Store, constraint};
use rusqlite::{Connection, ffi, params};
use std::path::Path;

/// A turn as it starts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TurnStart {
    pub thread_id: String,
    pub turn_id: String,
    pub started_at_ms: i64,
}

impl Store {
    /// Records that a turn started, as `running` and written by this
    /// process; [`Store::record_turn`] rewrites it when the turn ends.
    pub fn start_turn(&self, turn: &TurnStart) -> Result<(), StoreError> {
        const ACTION: &str = "record the start of a turn";
        let conn = self.conn();
        let started = conn
            .prepare_cached(
                "INSERT INTO turns (thread_id, turn_id, seq, status, started_at_ms, writer) \
                 VALUES (?1, ?2, (SELECT coalesce(max(seq) + 1, 0) FROM turns WHERE thread_id = ?1), \
                 'running', ?3, ?4) \
                 ON CONFLICT (thread_id, turn_id) DO UPDATE SET status = 'running', \
                 started_at_ms = excluded.started_at_ms, ended_at_ms = NULL, \
                 writer = excluded.writer",
            )
            .and_then(|mut statement| {
                statement.execute(params![
                    turn.thread_id,
                    turn.turn_id,
                    turn.started_at_ms,
                    current_writer(),
                ])
            });
        match started {
            Ok(_) => Ok(()),
            Err(error) if constraint(&error) == Some(ffi::SQLITE_CONSTRAINT_FOREIGNKEY) => {
                Err(StoreError::UnknownThread {
                    id: turn.thread_id.clone(),
                    action: ACTION,
                })
            }
            Err(error) => Err(sql_error(self.path(), ACTION)(error)),
        }
    }

    /// Records how a turn ended (or, for an import, a whole turn). Recording
    /// a turn again replaces the earlier record but keeps its place in the
    /// thread's order of turns.
    pub fn record_turn(&self, turn: &TurnRecord) -> Result<(), StoreError> {
        record_turn_on(&self.conn(), self.path(), turn)
    }

    /// Records how a turn ended and the thread's cumulative usage after it,
    /// in one transaction.
    pub fn end_turn(
        &self,
        turn: &TurnRecord,
        thread_usage: &UsageTotals,
    ) -> Result<(), StoreError> {
        const ACTION: &str = "record the end of a turn";
        let to_error = || sql_error(self.path(), ACTION);
        let mut conn = self.conn();
        let tx = crate::store::write_tx(&mut conn).map_err(to_error())?;
        record_turn_on(&tx, self.path(), turn)?;
        tx.prepare_cached(
            "UPDATE threads SET input_tokens = ?2, cached_input_tokens = ?3, \
             output_tokens = ?4, reasoning_output_tokens = ?5 WHERE id = ?1",
        )
        .and_then(|mut statement| {
            statement.execute(params![
                turn.thread_id,
                count_to_sql(thread_usage.input_tokens),
                count_to_sql(thread_usage.cached_input_tokens),
                count_to_sql(thread_usage.output_tokens),
                count_to_sql(thread_usage.reasoning_output_tokens),
            ])
        })
        .map_err(to_error())?;
        tx.commit().map_err(to_error())
    }
}

fn record_turn_on(conn: &Connection, path: &Path, turn: &TurnRecord) -> Result<(), StoreError> {
    const ACTION: &str = "record a turn";
    let recorded = conn
        .prepare_cached(
            "INSERT INTO turns (thread_id, turn_id, seq, status, error, started_at_ms, \
             ended_at_ms, input_tokens, cached_input_tokens, output_tokens, \
             reasoning_output_tokens, writer) \
             VALUES (?1, ?2, (SELECT coalesce(max(seq) + 1, 0) FROM turns WHERE thread_id = ?1), \
             ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11) \
             ON CONFLICT (thread_id, turn_id) DO UPDATE SET status = excluded.status, \
             error = excluded.error, started_at_ms = excluded.started_at_ms, \
             ended_at_ms = excluded.ended_at_ms, input_tokens = excluded.input_tokens, \
             cached_input_tokens = excluded.cached_input_tokens, \
             output_tokens = excluded.output_tokens, \
             reasoning_output_tokens = excluded.reasoning_output_tokens, \
             writer = excluded.writer",
        )
        .and_then(|mut statement| {
            let running = turn.status == crate::TurnStatus::Running;
            statement.execute(params![
                turn.thread_id,
                turn.turn_id,
                turn.status.as_str(),
                turn.error,
                turn.started_at_ms,
                turn.ended_at_ms,
                count_to_sql(turn.usage.input_tokens),
                count_to_sql(turn.usage.cached_input_tokens),
                count_to_sql(turn.usage.output_tokens),
                count_to_sql(turn.usage.reasoning_output_tokens),
                running.then(current_writer).flatten(),
            ])
        });
    match recorded {
        Ok(_) => Ok(()),
        Err(error) if constraint(&error) == Some(ffi::SQLITE_CONSTRAINT_FOREIGNKEY) => {
            Err(StoreError::UnknownThread {
                id: turn.thread_id.clone(),
                action: ACTION,
            })
        }
        Err(error) => Err(sql_error(path, ACTION)(error)),
    }
}

/// Marks `interrupted` every `running` turn whose writer process is gone.
/// Reads one partial index; writes only when there is something to mark.
pub(crate) fn mark_interrupted(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let to_error = || sql_error(path, "mark interrupted turns");
    let running: Vec<(String, String, Option<String>)> = conn
        .prepare_cached("SELECT thread_id, turn_id, writer FROM turns WHERE status = 'running'")
        .and_then(|mut statement| {
            statement
                .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))?
                .collect()
        })
        .map_err(to_error())?;
    for (thread_id, turn_id, writer) in running {
        let Some(writer) = writer else { continue };
        if !writer_is_gone(&writer) {
            continue;
        }
        // The writer check in the statement keeps a turn that was restarted
        // meanwhile by a live process untouched.
        conn.prepare_cached(
            "UPDATE turns SET status = 'interrupted', writer = NULL \
             WHERE thread_id = ?1 AND turn_id = ?2 AND status = 'running' AND writer = ?3",
        )
        .and_then(|mut statement| statement.execute(params![thread_id, turn_id, writer]))
        .map_err(to_error())?;
    }
    Ok(())
}
