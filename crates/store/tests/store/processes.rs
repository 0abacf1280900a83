//! Real processes on one database: a writer killed with SIGKILL mid-turn,
//! and two processes writing at once.
//!
//! Each test re-runs this test binary, filtered to itself, with an
//! environment variable that makes it play the child; the child writes
//! through the real [`Writer`] thread.

#![allow(clippy::unwrap_used)]
// test helpers, not library code

// The child is this very test binary; there is no sandbox policy to apply.
#![allow(clippy::disallowed_methods)]

use super::support::{TempHome, new_thread};
use duet_store::{NewItem, Store, TurnStart, TurnStatus, Write, Writer};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::path::Path;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

const CHILD_DB: &str = "DUET_STORE_TEST_CHILD_DB";
const CHILD_ROLE: &str = "DUET_STORE_TEST_CHILD_ROLE";

fn item(tag: &str, index: usize) -> Value {
    json!({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": format!("{tag} {index}")}]})
}

/// Runs `test` of this binary as a child with the given role.
fn spawn_child(test: &str, db: &Path, role: &str) -> Child {
    Command::new(std::env::current_exe().expect("the test binary's path"))
        .args(["--exact", test, "--nocapture", "--test-threads=1"])
        .env(CHILD_DB, db)
        .env(CHILD_ROLE, role)
        .spawn()
        .expect("start the child test process")
}

/// The child's part, when this process is one.
fn child_role() -> Option<(std::path::PathBuf, String)> {
    Some((
        std::env::var_os(CHILD_DB)?.into(),
        std::env::var(CHILD_ROLE).ok()?,
    ))
}

fn writer_for(path: &Path) -> Writer {
    let path = path.to_path_buf();
    Writer::spawn(
        move || Store::open(&path),
        |error| panic!("write failed: {error}"),
    )
    .expect("start the writer thread")
}

#[test]
fn a_writer_killed_mid_turn_keeps_its_items_and_the_turn_is_interrupted() {
    if let Some((db, _)) = child_role() {
        // Child: start a turn, append three items one by one, say so, hang.
        let writer = writer_for(&db);
        writer.send(Write::StartTurn(TurnStart {
            thread_id: "crash".to_string(),
            turn_id: "turn-1".to_string(),
            started_at_ms: 5,
        }));
        for index in 0..3 {
            writer.send(Write::Append {
                thread_id: "crash".to_string(),
                turn_id: "turn-1".to_string(),
                items: vec![NewItem::from(item("done", index))],
            });
        }
        writer.flush_blocking();
        std::fs::write(db.with_extension("ready"), b"ready").expect("signal the parent");
        loop {
            std::thread::sleep(Duration::from_secs(60));
        }
    }
    let home = TempHome::new();
    home.open()
        .create_thread(&new_thread("crash", 1, "/repo"))
        .unwrap();
    let ready = home.path.with_extension("ready");

    let mut child = spawn_child(
        "store::processes::a_writer_killed_mid_turn_keeps_its_items_and_the_turn_is_interrupted",
        &home.path,
        "crash",
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while !ready.exists() {
        assert!(Instant::now() < deadline, "the child never got ready");
        std::thread::sleep(Duration::from_millis(20));
    }
    // While the child lives, its turn is running, and opening leaves it so.
    let turns = home.open().turns("crash").unwrap();
    assert_eq!(turns[0].status, TurnStatus::Running);
    child.kill().expect("SIGKILL the child");
    child.wait().expect("reap the child");

    let store = home.open();

    assert_eq!(
        store.history("crash").unwrap(),
        (0..3).map(|index| item("done", index)).collect::<Vec<_>>()
    );
    let turns = store.turns("crash").unwrap();
    assert_eq!(
        turns
            .iter()
            .map(|turn| (turn.turn_id.as_str(), turn.status, turn.ended_at_ms))
            .collect::<Vec<_>>(),
        vec![("turn-1", TurnStatus::Interrupted, None)]
    );
}

const ITEMS_PER_CHILD: usize = 300;

#[test]
fn two_processes_write_one_database_at_once() {
    if let Some((db, role)) = child_role() {
        let writer = writer_for(&db);
        writer.send(Write::CreateThread(new_thread(&role, 1, "/repo")));
        writer.send(Write::StartTurn(TurnStart {
            thread_id: role.clone(),
            turn_id: "t".to_string(),
            started_at_ms: 1,
        }));
        for index in 0..ITEMS_PER_CHILD {
            writer.send(Write::Append {
                thread_id: role.clone(),
                turn_id: "t".to_string(),
                items: vec![NewItem::from(item(&role, index))],
            });
            writer.send(Write::Append {
                thread_id: "shared".to_string(),
                turn_id: role.clone(),
                items: vec![NewItem::from(item(&role, index))],
            });
        }
        writer.flush_blocking();
        return;
    }
    let home = TempHome::new();
    home.open()
        .create_thread(&new_thread("shared", 1, "/repo"))
        .unwrap();

    let test = "store::processes::two_processes_write_one_database_at_once";
    let children = [
        spawn_child(test, &home.path, "left"),
        spawn_child(test, &home.path, "right"),
    ];
    for mut child in children {
        let status = child.wait().expect("wait for the child");
        assert!(status.success(), "a child failed: {status}");
    }

    let store = home.open();
    for role in ["left", "right"] {
        let expected: Vec<Value> = (0..ITEMS_PER_CHILD)
            .map(|index| item(role, index))
            .collect();
        assert_eq!(store.history(role).unwrap(), expected);
        let shared: Vec<Value> = store
            .history("shared")
            .unwrap()
            .into_iter()
            .filter(|value| {
                value["content"][0]["text"]
                    .as_str()
                    .is_some_and(|text| text.starts_with(role))
            })
            .collect();
        assert_eq!(shared, expected);
    }
}

const LOG_PROCESSES: usize = 12;
const LOG_ITEMS_PER_PROCESS: usize = 40;

/// An item of about 32 KB, so a dozen short processes write several
/// times what SQLite's own checkpoint would let the log hold.
fn big_item(role: &str, index: usize) -> Value {
    json!({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": format!("{role} {index} {}", "x".repeat(32_000))}]})
}

#[test]
fn short_lived_writer_processes_keep_the_log_bounded() {
    if let Some((db, role)) = child_role() {
        // Child: write, wait for the writes, and exit at once without
        // closing the store, as `duet exec` does.
        let writer = writer_for(&db);
        for index in 0..LOG_ITEMS_PER_PROCESS {
            writer.send(Write::Append {
                thread_id: "log".to_string(),
                turn_id: role.clone(),
                items: vec![NewItem::from(big_item(&role, index))],
            });
        }
        writer.flush_blocking();
        std::process::exit(0);
    }
    let home = TempHome::new();
    home.open()
        .create_thread(&new_thread("log", 1, "/repo"))
        .unwrap();

    let test = "store::processes::short_lived_writer_processes_keep_the_log_bounded";
    for process in 0..LOG_PROCESSES {
        let status = spawn_child(test, &home.path, &format!("p{process}"))
            .wait()
            .expect("wait for the child");
        assert!(status.success(), "a child failed: {status}");
    }
    // Measured before this process opens the file (its close could
    // checkpoint): what the children left. SQLite's own threshold is
    // 1,000 pages; the log may hold that plus one child's writes.
    let mut log = home.path.clone().into_os_string();
    log.push("-wal");
    let log_bytes = std::fs::metadata(&log).map_or(0, |meta| meta.len());
    let written = (LOG_PROCESSES * LOG_ITEMS_PER_PROCESS * 32_000) as u64;
    assert!(
        log_bytes < 2 * 1_000 * (4_096 + 24) && log_bytes < written / 2,
        "the write-ahead log is {log_bytes} bytes after {written} bytes of items"
    );

    let expected: Vec<Value> = (0..LOG_PROCESSES)
        .flat_map(|process| {
            (0..LOG_ITEMS_PER_PROCESS).map(move |index| big_item(&format!("p{process}"), index))
        })
        .collect();
    assert_eq!(home.open().history("log").unwrap(), expected);
}
