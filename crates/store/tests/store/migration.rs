//! A database written by schema v1 is upgraded in place: its rows kept, its
//! messages and commands made searchable.

#![allow(clippy::unwrap_used)] // test helpers, not library code

use super::support::{TempHome, raw};
use duet_store::{SCHEMA_VERSION, SearchOptions, SearchRole};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

/// Schema v1 as it shipped (a frozen copy: migrations are never edited).
const V1: &str = "
CREATE TABLE threads (id TEXT PRIMARY KEY NOT NULL, created_at_ms INTEGER NOT NULL,
    updated_at_ms INTEGER NOT NULL, cwd TEXT NOT NULL, model TEXT NOT NULL,
    provider TEXT NOT NULL, sandbox_mode TEXT NOT NULL, approval_policy TEXT NOT NULL,
    name TEXT UNIQUE, title TEXT, archived INTEGER NOT NULL DEFAULT 0,
    parent_thread_id TEXT REFERENCES threads (id) ON DELETE SET NULL, fork_point INTEGER,
    git_branch TEXT, git_commit TEXT, git_origin TEXT, source TEXT NOT NULL,
    input_tokens INTEGER NOT NULL DEFAULT 0, cached_input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0, reasoning_output_tokens INTEGER NOT NULL DEFAULT 0);
CREATE INDEX threads_cwd_updated ON threads (cwd, updated_at_ms, id);
CREATE TABLE turns (thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE,
    turn_id TEXT NOT NULL, seq INTEGER NOT NULL, status TEXT NOT NULL, error TEXT,
    started_at_ms INTEGER NOT NULL, ended_at_ms INTEGER,
    input_tokens INTEGER NOT NULL DEFAULT 0, cached_input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0, reasoning_output_tokens INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (thread_id, turn_id), UNIQUE (thread_id, seq));
CREATE TABLE items (id INTEGER PRIMARY KEY,
    thread_id TEXT NOT NULL REFERENCES threads (id) ON DELETE CASCADE, seq INTEGER NOT NULL,
    turn_id TEXT NOT NULL, kind TEXT, json TEXT NOT NULL, UNIQUE (thread_id, seq));
PRAGMA journal_mode = wal;
PRAGMA user_version = 1;
";

fn v1_items() -> Vec<Value> {
    vec![
        json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": "<environment_context>zebra</environment_context>"}]}),
        json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": "rename the zebra module"}]}),
        json!({"type": "function_call", "call_id": "c1", "name": "exec_command", "arguments": "{\"cmd\":\"git mv zebra.rs okapi.rs\"}"}),
        json!({"type": "function_call_output", "call_id": "c1", "output": "zebra"}),
        json!({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": "The zebra is now an okapi."}]}),
    ]
}

#[test]
fn a_v1_file_is_upgraded_in_place_and_searchable() {
    let home = TempHome::new();
    std::fs::create_dir_all(home.path.parent().unwrap()).unwrap();
    {
        let conn = raw(&home.path);
        conn.execute_batch(V1).unwrap();
        conn.execute(
            "INSERT INTO threads (id, created_at_ms, updated_at_ms, cwd, model, provider, \
             sandbox_mode, approval_policy, title, source) VALUES ('old', 1, 2, '/repo', 'm', \
             'openai', 'read-only', 'never', 'rename the zebra module', 'exec')",
            [],
        )
        .unwrap();
        conn.execute(
            "INSERT INTO turns (thread_id, turn_id, seq, status, started_at_ms, ended_at_ms) \
             VALUES ('old', 't1', 0, 'completed', 1, 2)",
            [],
        )
        .unwrap();
        for (seq, item) in v1_items().iter().enumerate() {
            conn.execute(
                "INSERT INTO items (thread_id, seq, turn_id, kind, json) VALUES ('old', ?1, 't1', ?2, ?3)",
                rusqlite::params![seq as i64, item["type"].as_str(), item.to_string()],
            )
            .unwrap();
        }
    }

    let store = home.open();

    let version: i64 = raw(&home.path)
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .unwrap();
    assert_eq!(version, SCHEMA_VERSION);
    assert_eq!(store.history("old").unwrap(), v1_items());
    let hits = store.search("zebra", &SearchOptions::default()).unwrap();
    assert_eq!(hits.len(), 1);
    assert_eq!(
        (
            hits[0].thread.id.as_str(),
            hits[0].role,
            hits[0].snippet.as_str()
        ),
        ("old", SearchRole::User, "rename the [zebra] module")
    );
    let roles: Vec<(SearchRole, String)> = ["now okapi", "mv"]
        .iter()
        .map(|word| {
            let hit = &store.search(word, &SearchOptions::default()).unwrap()[0];
            (hit.role, hit.snippet.clone())
        })
        .collect();
    assert_eq!(
        roles,
        vec![
            (
                SearchRole::Agent,
                "The zebra is [now] an [okapi].".to_string()
            ),
            (
                SearchRole::Command,
                "git [mv] zebra.rs okapi.rs".to_string()
            ),
        ]
    );
}
