//! The session database itself, end to end: read commands on a `DUET_HOME`
//! without one create nothing; a corrupt database and one written by a
//! newer duet are errors that name the file (and, for corruption, where it
//! was moved); another process holding the write lock for a moment delays
//! `duet exec`'s writes but fails neither.

#![allow(clippy::disallowed_methods)]

use crate::common;

use common::{Workspace, normalized_events};
use duet_test_support::responses_mock::{base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{ev_assistant_message, sse_completed_turn};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn answer(text: &str) -> String {
    sse_completed_turn(&[ev_assistant_message("msg_1", text)])
}

/// The names of the files in `dir`, sorted.
fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .expect("read dir")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .into_owned()
        })
        .collect();
    names.sort();
    names
}

/// The backups of corrupt databases in `dir`.
fn backups(dir: &Path) -> Vec<String> {
    file_names(dir)
        .into_iter()
        .filter(|name| name.starts_with("sessions.sqlite.corrupt-"))
        .collect()
}

fn database(workspace: &Workspace) -> PathBuf {
    workspace.home().join("sessions.sqlite")
}

#[tokio::test(flavor = "multi_thread")]
async fn read_commands_on_a_missing_database_create_nothing() {
    let workspace = Workspace::new();
    let sessions = |args: &[&str]| workspace.duet().arg("sessions").args(args.to_vec()).run();
    let runs = [
        sessions(&["list"]).await,
        sessions(&["list", "--all", "--json"]).await,
        sessions(&["search", "parser"]).await,
        sessions(&["show", "abcd"]).await,
        sessions(&["export", "abcd", "--format", "jsonl"]).await,
        sessions(&["rename", "abcd", "name"]).await,
        sessions(&["archive", "abcd"]).await,
        sessions(&["delete", "abcd"]).await,
        workspace.duet().args(["fork", "abcd"]).run().await,
    ];
    let repo = workspace.repo().display().to_string();
    let got: Vec<(Option<i32>, String, String)> =
        runs.iter().map(|run| run.ended_with(&repo)).collect();
    let not_found = (
        Some(1),
        String::new(),
        "error: no session matches `abcd`: give a session id, a unique id prefix of 4 or more characters, or a session name (`duet sessions list --all` lists them)\n".to_string(),
    );
    assert_eq!(
        got,
        vec![
            (
                Some(0),
                String::new(),
                "no sessions in `<REPO>`; `duet sessions list --all` lists every directory's\n"
                    .to_string()
            ),
            (Some(0), "[]\n".to_string(), String::new()),
            (
                Some(0),
                String::new(),
                "no session matches `parser` in this directory; `--all` searches every directory\n"
                    .to_string()
            ),
            not_found.clone(),
            not_found.clone(),
            not_found.clone(),
            not_found.clone(),
            not_found.clone(),
            not_found,
        ]
    );
    assert_eq!(file_names(workspace.home()), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_corrupt_database_is_moved_aside_and_the_error_names_both_files() {
    let server = start_mock().await;
    let log = mount_sse_sequence(&server, vec![answer("fresh")]).await;
    let workspace = Workspace::new();
    let garbage = "this is not a database, just some bytes ".repeat(200);
    let home = workspace.home().display().to_string();

    std::fs::write(database(&workspace), &garbage).expect("write garbage");
    let listed = workspace.duet().args(["sessions", "list"]).run().await;
    let first_backups = backups(workspace.home());

    std::fs::write(database(&workspace), &garbage).expect("write garbage again");
    let resumed = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "resume", "--last", "go on"])
        .run()
        .await;

    // Each error names the database and the backup it was moved to, which
    // holds the bytes as they were.
    let backups = backups(workspace.home());
    assert_eq!((first_backups.len(), backups.len()), (1, 2), "{backups:?}");
    let second_backup = backups
        .iter()
        .find(|name| !first_backups.contains(name))
        .expect("a second backup");
    for backup in &backups {
        assert_eq!(
            std::fs::read_to_string(workspace.home().join(backup)).expect("backup"),
            garbage
        );
    }
    let message = |backup: &str| {
        format!(
            "`{home}/sessions.sqlite` is not a readable session database (file is not a database); it was moved aside to `{home}/{backup}` and the next run starts a fresh one"
        )
    };
    assert_eq!(
        [
            (listed.code, listed.stdout.clone(), listed.stderr.clone()),
            (resumed.code, resumed.stdout.clone(), resumed.stderr.clone()),
        ],
        [
            (
                Some(1),
                String::new(),
                format!("error: {}\n", message(&first_backups[0]))
            ),
            (
                Some(1),
                String::new(),
                format!(
                    "Reading additional input from stdin...\nerror: cannot start the session: {}\n",
                    message(second_backup)
                )
            ),
        ]
    );
    assert_eq!(log.bodies().len(), 0);

    // The next run starts a fresh database.
    let fresh = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "start over"])
        .run()
        .await;
    let listed = workspace
        .duet()
        .args(["sessions", "list", "--json"])
        .run()
        .await;
    let listed: Value = serde_json::from_str(&listed.stdout).expect("JSON");
    assert_eq!(
        (
            fresh.code,
            listed[0]["title"].clone(),
            listed.as_array().map(Vec::len)
        ),
        (Some(0), json!("start over"), Some(1)),
        "{}",
        fresh.describe()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_database_from_a_newer_duet_is_refused_and_left_alone() {
    let server = start_mock().await;
    let log = mount_sse_sequence(&server, vec![answer("unused")]).await;
    let workspace = Workspace::new();
    {
        let conn = rusqlite::Connection::open(database(&workspace)).expect("create");
        conn.pragma_update(None, "user_version", 99)
            .expect("set version");
    }
    let listed = workspace.duet().args(["sessions", "list"]).run().await;
    let resumed = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "resume", "--last", "go on"])
        .run()
        .await;

    let home = workspace.home().display().to_string();
    let message = format!(
        "`{home}/sessions.sqlite` was written by a newer duet (schema v99, this build knows up to v3); upgrade duet or set DUET_HOME to another directory"
    );
    assert_eq!(
        [
            (listed.code, listed.stdout.clone(), listed.stderr.clone()),
            (resumed.code, resumed.stdout.clone(), resumed.stderr.clone()),
        ],
        [
            (Some(1), String::new(), format!("error: {message}\n")),
            (
                Some(1),
                String::new(),
                format!(
                    "Reading additional input from stdin...\nerror: cannot start the session: {message}\n"
                )
            ),
        ]
    );
    let version: i64 = rusqlite::Connection::open(database(&workspace))
        .expect("open")
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .expect("read version");
    assert_eq!((version, log.bodies().len()), (99, 0));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_write_lock_held_by_another_process_delays_exec_but_fails_neither() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![answer("first answer"), answer("second answer")],
    )
    .await;
    let workspace = Workspace::new();
    let exec = || workspace.exec().mock(&base_url(&server)).arg("--json");
    let first = exec().arg("first task").run().await;
    assert_eq!(first.code, Some(0), "{}", first.describe());

    // Another process (this test) takes the write lock and keeps it for a
    // second while `duet exec` runs a turn and saves it.
    let path = database(&workspace);
    let (locked_tx, locked_rx) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        let mut conn = rusqlite::Connection::open(&path).expect("open");
        let tx = conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .expect("take the write lock");
        tx.execute("UPDATE threads SET name = 'held'", [])
            .expect("write under the lock");
        locked_tx.send(()).expect("signal");
        std::thread::sleep(Duration::from_secs(1));
        let releasing = Instant::now();
        tx.commit().expect("commit");
        releasing
    });
    locked_rx.recv().expect("the lock is held");
    let second = exec().args(["resume", "--last", "second task"]).run().await;
    let finished = Instant::now();
    let released = holder.join().expect("holder thread");

    assert!(
        finished > released,
        "exec finished before the lock was released, so it never waited"
    );
    let listed = workspace
        .duet()
        .args(["sessions", "list", "--json"])
        .run()
        .await;
    let listed: Value = serde_json::from_str(&listed.stdout).expect("JSON");
    let thread = &listed[0];
    assert_eq!(
        (
            second.code,
            normalized_events(&second, &workspace),
            thread["name"].clone(),
            thread["turns"].clone(),
            log.bodies().len(),
        ),
        (
            Some(0),
            vec![
                json!({"type": "thread.started", "thread_id": "<THREAD>", "schema_version": "1.1"}),
                json!({"type": "turn.started"}),
                json!({"type": "item.completed",
                       "item": {"id": "item_0", "type": "agent_message", "text": "second answer"}}),
                json!({"type": "turn.completed", "usage": {
                    "input_tokens": 20, "cached_input_tokens": 0, "cache_write_input_tokens": 0,
                    "output_tokens": 10, "reasoning_output_tokens": 0, "cost_usd": null}}),
            ],
            json!("held"),
            json!(2),
            2,
        ),
        "{}",
        second.describe()
    );
    // Both turns were saved: a third request would carry them.
    let exported = workspace
        .duet()
        .args(["sessions", "export", "held", "--format", "jsonl"])
        .run()
        .await;
    let texts: Vec<Value> = exported
        .stdout
        .lines()
        .map(|line| serde_json::from_str::<Value>(line).expect("JSON line"))
        .filter(|item| item["role"] == json!("assistant"))
        .map(|item| item["content"][0]["text"].clone())
        .collect();
    assert_eq!(texts, vec![json!("first answer"), json!("second answer")]);
}
