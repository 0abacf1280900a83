//! Two stores on one file, as two duet processes would have: no "database
//! is locked", nothing lost, every append whole.

use super::support::{TempHome, new_thread};
use duet_store::Store;
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::sync::{Arc, Barrier};

const BATCHES: usize = 150;
const BATCH_ITEMS: usize = 3;

fn item(writer: usize, batch: usize, part: usize) -> Value {
    json!({"type": "message", "role": "user", "content": format!("{writer}/{batch}/{part}")})
}

#[test]
fn two_stores_append_to_one_file_at_once() {
    let home = TempHome::new();
    {
        let store = home.open();
        store
            .create_thread(&new_thread("shared", 1, "/repo"))
            .unwrap();
        store
            .create_thread(&new_thread("own-0", 2, "/repo"))
            .unwrap();
        store
            .create_thread(&new_thread("own-1", 3, "/repo"))
            .unwrap();
    }
    let barrier = Arc::new(Barrier::new(2));

    let writers: Vec<_> = (0..2)
        .map(|writer| {
            let path = home.path.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || -> Result<(), duet_store::StoreError> {
                let store = Store::open(&path)?;
                barrier.wait();
                for batch in 0..BATCHES {
                    let items: Vec<Value> = (0..BATCH_ITEMS)
                        .map(|part| item(writer, batch, part))
                        .collect();
                    store.append_items("shared", &format!("turn-{writer}"), &items)?;
                    store.append_items(&format!("own-{writer}"), "turn", &items[..1])?;
                }
                Ok(())
            })
        })
        .collect();
    for writer in writers {
        writer
            .join()
            .expect("writer thread panicked")
            .expect("every append succeeds");
    }

    let store = home.open();
    let shared = store.history("shared").unwrap();
    assert_eq!(shared.len(), 2 * BATCHES * BATCH_ITEMS);
    // Each append is whole and in place: batches never interleave.
    for chunk in shared.chunks(BATCH_ITEMS) {
        let tag = chunk[0]["content"].as_str().unwrap();
        let (writer, rest) = tag.split_once('/').unwrap();
        let batch: usize = rest.split_once('/').unwrap().0.parse().unwrap();
        let writer: usize = writer.parse().unwrap();
        let expected: Vec<Value> = (0..BATCH_ITEMS)
            .map(|part| item(writer, batch, part))
            .collect();
        assert_eq!(chunk, expected.as_slice());
    }
    for writer in 0..2 {
        let mine: Vec<Value> = shared
            .iter()
            .filter(|value| {
                value["content"]
                    .as_str()
                    .unwrap()
                    .starts_with(&format!("{writer}/"))
            })
            .cloned()
            .collect();
        let expected: Vec<Value> = (0..BATCHES)
            .flat_map(|batch| (0..BATCH_ITEMS).map(move |part| item(writer, batch, part)))
            .collect();
        assert_eq!(mine, expected);
        let own: Vec<Value> = (0..BATCHES).map(|batch| item(writer, batch, 0)).collect();
        assert_eq!(store.history(&format!("own-{writer}")).unwrap(), own);
    }
}

#[test]
fn two_stores_create_one_fresh_file_at_once() {
    let home = TempHome::new();
    let barrier = Arc::new(Barrier::new(2));

    let openers: Vec<_> = (0..2)
        .map(|opener| {
            let path = home.path.clone();
            let barrier = Arc::clone(&barrier);
            std::thread::spawn(move || -> Result<(), duet_store::StoreError> {
                barrier.wait();
                let store = Store::open(&path)?;
                store.create_thread(&new_thread(&format!("t{opener}"), opener, "/repo"))
            })
        })
        .collect();
    for opener in openers {
        opener
            .join()
            .expect("opener thread panicked")
            .expect("both opens succeed");
    }

    let store = home.open();
    assert_eq!(
        (
            store.thread("t0").unwrap().id,
            store.thread("t1").unwrap().id
        ),
        ("t0".to_string(), "t1".to_string())
    );
}

#[test]
fn the_writer_checkpoints_when_idle_not_inside_a_commit() {
    use duet_store::{NewItem, Write, Writer};
    let home = TempHome::new();
    home.open()
        .create_thread(&new_thread("t1", 1, "/repo"))
        .unwrap();
    let size = || std::fs::metadata(&home.path).expect("database file").len();
    let before = size();
    let path = home.path.clone();
    let writer = Writer::spawn(move || Store::open(&path), |error| panic!("{error}"))
        .expect("writer thread");
    let append = |index: usize| Write::Append {
        thread_id: "t1".to_string(),
        turn_id: "turn-1".to_string(),
        items: vec![NewItem::from(json!({"type": "message", "role": "user",
            "content": format!("item {index} {}", "x".repeat(20_000))}))],
    };

    // Queued back to back: the writer is never idle, and a commit never
    // checkpoints (these writes fill well over SQLite's 1,000-page
    // threshold), so everything stays in the log.
    for index in 0..150 {
        writer.send(append(index));
    }
    writer.flush_blocking();
    let after_burst = size();
    // Past the threshold, with the queue empty, it checkpoints.
    for index in 150..250 {
        writer.send(append(index));
        writer.flush_blocking();
    }
    let grew = (0..500).any(|_| {
        std::thread::sleep(std::time::Duration::from_millis(10));
        size() > before
    });

    assert_eq!((after_burst, grew), (before, true));
    drop(writer);
}

/// `Store::batch`, as the writer thread uses it for the writes waiting in
/// its queue: one commit for all of them, and a write that fails is rolled
/// back alone while the others are kept.
#[test]
fn a_batch_commits_its_writes_together_and_a_failed_one_alone() {
    let home = TempHome::new();
    let store = home.open();
    let results = store
        .batch(|| {
            vec![
                store.create_thread(&new_thread("t1", 1, "/w")),
                // A second thread with the same id fails, by itself.
                store.create_thread(&new_thread("t1", 2, "/w")),
                store.append_items("t1", "turn-1", &[json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": "kept"}]})]),
                // Appending to a thread that does not exist fails and
                // leaves no row behind.
                store.append_items("nope", "turn-1", &[json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": "lost"}]})]),
            ]
        })
        .expect("the batch commits");
    let outcome: Vec<bool> = results.iter().map(Result::is_ok).collect();
    assert_eq!(outcome, [true, false, true, false]);
    // Seen from another connection: committed.
    let items: i64 = super::support::raw(&home.path)
        .query_row("SELECT count(*) FROM items", [], |row| row.get(0))
        .unwrap();
    let threads: i64 = super::support::raw(&home.path)
        .query_row("SELECT count(*) FROM threads", [], |row| row.get(0))
        .unwrap();
    assert_eq!((threads, items), (1, 1));
    // Outside a batch, a write is its own transaction again.
    store
        .append_items("t1", "turn-2", &[json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": "later"}]})])
        .unwrap();
    let items: i64 = super::support::raw(&home.path)
        .query_row("SELECT count(*) FROM items", [], |row| row.get(0))
        .unwrap();
    assert_eq!(items, 2);
}
