//! Rewinding a thread: dropping a turn and every later one, with their
//! history items and displayed items, so that the thread reads as it did
//! before that turn (the TUI's Esc Esc, core's `Op::Rollback`).
//!
//! Not a fork: the thread keeps its id, name and usage (the tokens were
//! spent); only what comes from the cut on is deleted.

use crate::error::{StoreError, sql_error};
use crate::store::Store;
use rusqlite::params;

impl Store {
    /// Deletes turn `from_turn_id` of a thread and every turn after it (in
    /// the thread's order of turns), the history items from the first item
    /// of those turns on, and their displayed items, in one transaction.
    /// Returns how many history items were deleted. A turn id the thread
    /// does not have deletes nothing; an unknown thread is an error.
    pub fn rewind_thread(&self, thread_id: &str, from_turn_id: &str) -> Result<usize, StoreError> {
        const ACTION: &str = "rewind a session";
        let to_error = || sql_error(self.path(), ACTION);
        let mut conn = self.conn();
        let tx = crate::store::write_tx(&mut conn).map_err(to_error())?;
        let known: i64 = tx
            .query_row(
                "SELECT count(*) FROM threads WHERE id = ?1",
                [thread_id],
                |row| row.get(0),
            )
            .map_err(to_error())?;
        if known == 0 {
            return Err(StoreError::UnknownThread {
                id: thread_id.to_string(),
                action: ACTION,
            });
        }
        // The cut turns, by their place in the thread's order.
        const CUT_TURNS: &str = "SELECT turn_id FROM turns WHERE thread_id = ?1 AND seq >= \
             (SELECT seq FROM turns WHERE thread_id = ?1 AND turn_id = ?2)";
        let first_item: Option<i64> = tx
            .query_row(
                &format!(
                    "SELECT min(seq) FROM items WHERE thread_id = ?1 AND turn_id IN ({CUT_TURNS})"
                ),
                params![thread_id, from_turn_id],
                |row| row.get(0),
            )
            .map_err(to_error())?;
        let deleted_items = match first_item {
            Some(first) => tx
                .execute(
                    "DELETE FROM items WHERE thread_id = ?1 AND seq >= ?2",
                    params![thread_id, first],
                )
                .map_err(to_error())?,
            None => 0,
        };
        tx.execute(
            &format!("DELETE FROM display_items WHERE thread_id = ?1 AND turn_id IN ({CUT_TURNS})"),
            params![thread_id, from_turn_id],
        )
        .map_err(to_error())?;
        tx.execute(
            &format!("DELETE FROM turns WHERE thread_id = ?1 AND turn_id IN ({CUT_TURNS})"),
            params![thread_id, from_turn_id],
        )
        .map_err(to_error())?;
        tx.commit().map_err(to_error())?;
        Ok(deleted_items)
    }
}

/// The turns of a history whose items came from `turn_ids` (in history
/// order, as [`Store::history_raw`] gives them), each with the index of its
/// first item: where the history would be cut to rewind to just before it.
pub fn turn_starts<'a>(turn_ids: impl IntoIterator<Item = &'a str>) -> Vec<(String, usize)> {
    let mut turns: Vec<(String, usize)> = Vec::new();
    for (index, turn_id) in turn_ids.into_iter().enumerate() {
        if turns.last().is_none_or(|(last, _)| last != turn_id) {
            turns.push((turn_id.to_string(), index));
        }
    }
    turns
}

#[cfg(test)]
mod tests {
    use crate::{NewThread, Store, StoreError, TurnStart};
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn thread(store: &Store, id: &str) {
        store
            .create_thread(&NewThread {
                id: id.to_string(),
                created_at_ms: 1,
                cwd: "/repo".into(),
                model: "m".to_string(),
                provider: "p".to_string(),
                sandbox_mode: "read-only".to_string(),
                approval_policy: "never".to_string(),
                git_branch: None,
                git_commit: None,
                git_origin: None,
                source: "tui".to_string(),
            })
            .unwrap();
    }

    fn turn(store: &Store, thread_id: &str, turn_id: &str, texts: &[&str]) {
        store
            .start_turn(&TurnStart {
                thread_id: thread_id.to_string(),
                turn_id: turn_id.to_string(),
                started_at_ms: 2,
            })
            .unwrap();
        let items: Vec<_> = texts
            .iter()
            .map(|text| json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}))
            .collect();
        store.append_items(thread_id, turn_id, &items).unwrap();
        store
            .append_display(thread_id, turn_id, &json!({"id": turn_id}))
            .unwrap();
    }

    #[test]
    fn rewinding_drops_the_turn_and_everything_after_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("s.sqlite")).unwrap();
        thread(&store, "t");
        thread(&store, "other");
        turn(&store, "t", "a", &["one", "two"]);
        turn(&store, "t", "b", &["three"]);
        turn(&store, "t", "c", &["four", "five"]);
        turn(&store, "other", "b", &["kept"]);

        let rows = store.history_raw("t").unwrap();
        assert_eq!(
            super::turn_starts(rows.iter().map(|row| row.turn_id.as_str())),
            vec![
                ("a".to_string(), 0),
                ("b".to_string(), 2),
                ("c".to_string(), 3)
            ]
        );
        assert_eq!(store.rewind_thread("t", "b").unwrap(), 3);
        assert_eq!(store.rewind_thread("t", "missing").unwrap(), 0);

        let texts = |id: &str| -> Vec<String> {
            store
                .history(id)
                .unwrap()
                .iter()
                .map(|item| item["content"][0]["text"].as_str().unwrap().to_string())
                .collect()
        };
        let turns = |id: &str| -> Vec<String> {
            store
                .turns(id)
                .unwrap()
                .into_iter()
                .map(|turn| turn.turn_id)
                .collect()
        };
        let shown = |id: &str| -> Vec<String> {
            store
                .display_items(id)
                .unwrap()
                .into_iter()
                .map(|item| item.turn_id)
                .collect()
        };
        assert_eq!(
            (texts("t"), turns("t"), shown("t")),
            (
                vec!["one".into(), "two".into()],
                vec!["a".into()],
                vec!["a".into()]
            )
        );
        assert_eq!(texts("other"), vec!["kept".to_string()]);
        // Appending after a rewind continues right after the cut.
        turn(&store, "t", "d", &["six"]);
        assert_eq!(
            (texts("t"), turns("t")),
            (
                vec!["one".into(), "two".into(), "six".into()],
                vec!["a".into(), "d".into()]
            )
        );
        assert!(matches!(
            store.rewind_thread("nobody", "a"),
            Err(StoreError::UnknownThread { .. })
        ));
    }
}
