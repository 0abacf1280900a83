//! `duet sessions import --from codex`: finding Codex rollout files under a
//! directory and writing each as a duet thread.
//!
//! A rollout keeps its Codex session id as the duet thread id, so importing
//! the same files again skips what is already there. A fork that points
//! into its parent's rollout (`history_base`) gets the parent's items up
//! to the fork point when the parent is among the files. Reading one file
//! is `codex_rollout.rs`.

use super::Sessions;
use super::codex_rollout::{ParsedRollout, parse_codex_rollout};
use crate::SessionError;
use duet_protocol::threads::{ImportedTurn, ThreadRecord};
use std::collections::HashMap;
use std::path::{Path, PathBuf};

/// What an import did, file by file.
#[derive(Debug)]
pub struct CodexImport {
    /// Every rollout file found, in the order they were imported.
    pub rollouts: Vec<ImportedRollout>,
    /// Directories that could not be read.
    pub warnings: Vec<String>,
}

/// One rollout file and what became of it.
#[derive(Debug)]
pub struct ImportedRollout {
    pub file: PathBuf,
    pub outcome: ImportOutcome,
    /// Lines or items left out, each naming `file:line` where it has one.
    pub warnings: Vec<String>,
}

#[derive(Debug)]
pub enum ImportOutcome {
    Imported {
        thread: Box<ThreadRecord>,
        turns: usize,
        items: usize,
    },
    /// Not imported, and why (already imported, not a rollout, empty).
    Skipped { reason: String },
}

/// Where Codex keeps its sessions: `$CODEX_HOME/sessions`, else
/// `$HOME/.codex/sessions`. `None` without either variable.
pub fn codex_sessions_dir(env: &dyn Fn(&str) -> Option<String>) -> Option<PathBuf> {
    crate::config::codex_home(env).map(|home| home.join("sessions"))
}

impl Sessions {
    /// Imports every `rollout-*.jsonl` file under `dir` (recursively).
    /// Threads already in the database are skipped, not duplicated.
    pub fn import_codex(&self, dir: &Path) -> Result<CodexImport, SessionError> {
        let mut warnings = Vec::new();
        let files = rollout_files(dir, &mut warnings)?;
        // One rollout in memory at a time (and its parent, for a fork), so
        // the peak is bounded by the largest session, not by them all: a
        // first pass keeps only what orders the files, the second parses
        // each again and imports it.
        let mut order: Vec<(PathBuf, Result<OrderKey, String>)> = files
            .into_iter()
            .map(|file| {
                let key = read_rollout(&file).map(|rollout| {
                    (
                        rollout.thread.thread.created_at_ms,
                        rollout.thread.thread.id,
                    )
                });
                (file, key)
            })
            .collect();
        // Parents before their forks; otherwise oldest first.
        order.sort_by(|(a_file, a), (b_file, b)| {
            let created = |key: &Result<OrderKey, String>| {
                key.as_ref().map_or(i64::MIN, |(created, _)| *created)
            };
            (created(a), a_file).cmp(&(created(b), b_file))
        });
        let by_id: HashMap<String, PathBuf> = order
            .iter()
            .filter_map(|(file, key)| Some((key.as_ref().ok()?.1.clone(), file.clone())))
            .collect();
        let mut rollouts = Vec::with_capacity(order.len());
        for (file, key) in order {
            let parsed = key.and_then(|_| read_rollout(&file));
            let mut rollout = match parsed {
                Ok(rollout) => rollout,
                Err(reason) => {
                    rollouts.push(ImportedRollout {
                        file,
                        outcome: ImportOutcome::Skipped { reason },
                        warnings: Vec::new(),
                    });
                    continue;
                }
            };
            if let Some((parent_id, end)) = rollout.history_base.clone() {
                match by_id.get(&parent_id).map(|parent| read_rollout(parent)) {
                    Some(Ok(parent)) => prepend_parent(&mut rollout, &parent, end),
                    _ => rollout.warnings.push(format!(
                        "forked from `{parent_id}`, whose rollout is not under `{}`: the history before the fork is missing",
                        dir.display()
                    )),
                }
            }
            let outcome = match self.import(&rollout.thread) {
                Ok(thread) => ImportOutcome::Imported {
                    thread: Box::new(thread),
                    turns: rollout.thread.turns.len(),
                    items: rollout
                        .thread
                        .turns
                        .iter()
                        .map(|turn| turn.items.len())
                        .sum(),
                },
                Err(SessionError::Store(duet_store::StoreError::ThreadExists { id })) => {
                    ImportOutcome::Skipped {
                        reason: format!("already imported as `{id}`"),
                    }
                }
                Err(error) => return Err(error),
            };
            rollouts.push(ImportedRollout {
                file,
                outcome,
                warnings: rollout.warnings,
            });
        }
        Ok(CodexImport { rollouts, warnings })
    }
}

/// What orders a rollout before the import: when it was created, its id.
type OrderKey = (i64, String);

/// Read and parse one rollout file; `Err` says why it is not imported.
fn read_rollout(file: &Path) -> Result<ParsedRollout, String> {
    let shown = file.display().to_string();
    std::fs::read(file)
        .map_err(|error| format!("cannot read it: {error}"))
        .and_then(|bytes| parse_codex_rollout(&String::from_utf8_lossy(&bytes), &shown))
}

/// Puts the parent's turns, cut at rollout ordinal `end` (exclusive),
/// before the fork's own.
fn prepend_parent(fork: &mut ParsedRollout, parent: &ParsedRollout, end: i64) {
    let mut ordinals = parent.item_ordinals.iter();
    let mut base: Vec<ImportedTurn> = Vec::new();
    for turn in &parent.thread.turns {
        let items: Vec<serde_json::Value> = turn
            .items
            .iter()
            .filter(|_| ordinals.next().is_some_and(|ordinal| *ordinal < end))
            .cloned()
            .collect();
        if items.is_empty() {
            continue;
        }
        let mut record = turn.record.clone();
        record.thread_id = fork.thread.thread.id.clone();
        base.push(ImportedTurn {
            record,
            items,
            display: Vec::new(),
        });
    }
    let own = std::mem::take(&mut fork.thread.turns);
    let own_ids: std::collections::HashSet<&str> = own
        .iter()
        .map(|turn| turn.record.turn_id.as_str())
        .collect();
    // A turn of the parent continued in the fork keeps one row.
    base.retain(|turn| !own_ids.contains(turn.record.turn_id.as_str()));
    fork.thread.turns = base.into_iter().chain(own).collect();
}

/// Every `rollout-*.jsonl` under `dir`, sorted. An unreadable `dir` is an
/// error; an unreadable directory below it is a warning.
fn rollout_files(dir: &Path, warnings: &mut Vec<String>) -> Result<Vec<PathBuf>, SessionError> {
    let entries = std::fs::read_dir(dir).map_err(|cause| SessionError::ImportDir {
        dir: dir.to_path_buf(),
        cause,
    })?;
    let mut files = Vec::new();
    let mut pending: Vec<(PathBuf, std::fs::ReadDir)> = vec![(dir.to_path_buf(), entries)];
    while let Some((_, entries)) = pending.pop() {
        for entry in entries.flatten() {
            let path = entry.path();
            let Ok(kind) = entry.file_type() else {
                continue;
            };
            if kind.is_dir() {
                match std::fs::read_dir(&path) {
                    Ok(entries) => pending.push((path, entries)),
                    Err(error) => warnings.push(format!(
                        "cannot read `{}`: {error}; its rollouts were not imported",
                        path.display()
                    )),
                }
            } else if is_rollout_name(&path) {
                files.push(path);
            }
        }
    }
    files.sort();
    Ok(files)
}

fn is_rollout_name(path: &Path) -> bool {
    path.file_name()
        .and_then(|name| name.to_str())
        .is_some_and(|name| name.starts_with("rollout-") && name.ends_with(".jsonl"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use serde_json::json;

    fn line(ordinal: i64, kind: &str, payload: serde_json::Value) -> String {
        json!({"timestamp": "2026-11-20T09:15:02Z", "ordinal": ordinal, "type": kind,
               "payload": payload})
        .to_string()
    }

    fn prompt(text: &str) -> serde_json::Value {
        json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
    }

    fn turn_ids_and_items(
        rollout: &ParsedRollout,
    ) -> Vec<(String, String, Vec<serde_json::Value>)> {
        rollout
            .thread
            .turns
            .iter()
            .map(|turn| {
                (
                    turn.record.thread_id.clone(),
                    turn.record.turn_id.clone(),
                    turn.items.clone(),
                )
            })
            .collect()
    }

    #[test]
    fn a_fork_gets_its_parents_items_before_the_fork_point() {
        let meta =
            |id: &str| json!({"id": id, "cwd": "/repo", "timestamp": "2026-11-20T09:15:02Z"});
        let parent = [
            line(0, "session_meta", meta("parent")),
            line(
                1,
                "event_msg",
                json!({"type": "task_started", "turn_id": "t1"}),
            ),
            line(2, "response_item", prompt("one")),
            line(3, "event_msg", json!({"type": "task_complete"})),
            line(
                4,
                "event_msg",
                json!({"type": "task_started", "turn_id": "t2"}),
            ),
            line(5, "response_item", prompt("two")),
            line(6, "event_msg", json!({"type": "task_complete"})),
        ]
        .join("\n");
        let mut fork_meta = meta("fork");
        fork_meta["history_base"] = json!({"thread_id": "parent", "end_ordinal_exclusive": 4});
        let fork = [
            line(7, "session_meta", fork_meta),
            line(
                8,
                "event_msg",
                json!({"type": "task_started", "turn_id": "t3"}),
            ),
            line(9, "response_item", prompt("three")),
        ]
        .join("\n");
        let parent = parse_codex_rollout(&parent, "p").unwrap();
        let mut fork = parse_codex_rollout(&fork, "f").unwrap();

        prepend_parent(&mut fork, &parent, 4);

        assert_eq!(
            turn_ids_and_items(&fork),
            vec![
                ("fork".to_string(), "t1".to_string(), vec![prompt("one")]),
                ("fork".to_string(), "t3".to_string(), vec![prompt("three")]),
            ]
        );
    }
}
