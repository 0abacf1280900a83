//! The queries behind `duet sessions`: list, search, transcript, archive,
//! delete, fork.

#![allow(clippy::unwrap_used)] // test helpers, not library code

use super::support::{TempHome, new_thread, raw};
use duet_store::{
    ForkRequest, ListOptions, NewItem, SearchOptions, SearchRole, SearchText, Store, StoreError,
    TurnRecord, TurnStart, TurnStatus, UsageTotals,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::path::PathBuf;

fn prompt(text: &str) -> NewItem {
    NewItem::from_value(
        &json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]}),
        Some(SearchText {
            role: SearchRole::User,
            text: text.to_string(),
        }),
    )
}

fn answer(text: &str) -> NewItem {
    NewItem::from_value(
        &json!({"type": "message", "role": "assistant", "content": [{"type": "output_text", "text": text}]}),
        Some(SearchText {
            role: SearchRole::Agent,
            text: text.to_string(),
        }),
    )
}

fn reasoning() -> NewItem {
    NewItem::from(
        json!({"type": "reasoning", "id": "r", "summary": [], "encrypted_content": "gAAAA=="}),
    )
}

/// A whole turn as core writes it: start, items, display, end.
fn turn(store: &Store, thread: &str, turn: &str, items: &[NewItem], tokens: u64) {
    store
        .start_turn(&TurnStart {
            thread_id: thread.to_string(),
            turn_id: turn.to_string(),
            started_at_ms: 10,
        })
        .unwrap();
    for item in items {
        store
            .append(thread, turn, std::slice::from_ref(item))
            .unwrap();
    }
    store
        .append_display(
            thread,
            turn,
            &json!({"id": turn, "type": "agent_message", "text": "shown"}),
        )
        .unwrap();
    let usage = UsageTotals {
        input_tokens: tokens,
        ..UsageTotals::default()
    };
    store
        .end_turn(&record(thread, turn, usage), &usage)
        .unwrap();
}

fn record(thread: &str, turn: &str, usage: UsageTotals) -> TurnRecord {
    TurnRecord {
        thread_id: thread.to_string(),
        turn_id: turn.to_string(),
        status: TurnStatus::Completed,
        error: None,
        started_at_ms: 10,
        ended_at_ms: Some(20),
        usage,
    }
}

fn ids(summaries: &[duet_store::ThreadSummary]) -> Vec<(&str, u64)> {
    summaries
        .iter()
        .map(|summary| (summary.thread.id.as_str(), summary.turn_count))
        .collect()
}

/// Three threads: two in /repo (b newer), one in /other; b has two turns.
fn three(store: &Store) {
    for (id, cwd) in [("a", "/repo"), ("b", "/repo"), ("c", "/other")] {
        store.create_thread(&new_thread(id, 1, cwd)).unwrap();
    }
    turn(store, "a", "a1", &[prompt("fix the parser")], 5);
    turn(store, "c", "c1", &[prompt("parser in other repo")], 5);
    turn(
        store,
        "b",
        "b1",
        &[prompt("write docs"), reasoning(), answer("docs written")],
        7,
    );
    turn(
        store,
        "b",
        "b2",
        &[prompt("and the parser tests"), answer("tests added")],
        11,
    );
}

#[test]
fn list_is_newest_first_by_directory_archive_and_limit() {
    let home = TempHome::new();
    let store = home.open();
    three(&store);
    let in_repo = ListOptions {
        cwd: Some(PathBuf::from("/repo")),
        ..ListOptions::default()
    };

    assert_eq!(
        ids(&store.list_threads(&in_repo).unwrap()),
        vec![("b", 2), ("a", 1)]
    );
    assert_eq!(
        ids(&store.list_threads(&ListOptions::default()).unwrap()),
        vec![("b", 2), ("c", 1), ("a", 1)]
    );
    let one = ListOptions {
        limit: Some(1),
        ..ListOptions::default()
    };
    assert_eq!(ids(&store.list_threads(&one).unwrap()), vec![("b", 2)]);

    store.set_archived("b", true).unwrap();
    assert_eq!(ids(&store.list_threads(&in_repo).unwrap()), vec![("a", 1)]);
    let archived = ListOptions {
        archived: true,
        ..ListOptions::default()
    };
    assert_eq!(ids(&store.list_threads(&archived).unwrap()), vec![("b", 2)]);
    assert_eq!(
        store
            .last_thread(&PathBuf::from("/repo"))
            .unwrap()
            .unwrap()
            .id,
        "a"
    );

    store.set_archived("b", false).unwrap();
    assert_eq!(
        ids(&store.list_threads(&in_repo).unwrap()),
        vec![("b", 2), ("a", 1)]
    );
    assert_eq!(
        store.set_archived("zzz", true).unwrap_err().to_string(),
        "no session with id `zzz` to archive a session; create the session before writing to it"
    );
}

#[test]
fn list_shows_whole_summaries() {
    let home = TempHome::new();
    let store = home.open();
    three(&store);
    let summary = &store.list_threads(&ListOptions::default()).unwrap()[0];
    assert_eq!(summary.thread.title.as_deref(), Some("write docs"));
    assert_eq!(summary.thread.usage.input_tokens, 11);
    assert_eq!(summary.turn_count, 2);
}

#[test]
fn search_finds_the_best_item_of_each_thread_with_a_snippet() {
    let home = TempHome::new();
    let store = home.open();
    three(&store);

    let hits = store.search("parser", &SearchOptions::default()).unwrap();
    let found: Vec<(&str, &str, SearchRole, &str)> = hits
        .iter()
        .map(|hit| {
            (
                hit.thread.id.as_str(),
                hit.turn_id.as_str(),
                hit.role,
                hit.snippet.as_str(),
            )
        })
        .collect();
    let mut sorted = found.clone();
    sorted.sort();
    assert_eq!(
        sorted,
        vec![
            ("a", "a1", SearchRole::User, "fix the [parser]"),
            ("b", "b2", SearchRole::User, "and the [parser] tests"),
            ("c", "c1", SearchRole::User, "[parser] in other repo"),
        ]
    );
    assert_eq!(
        hits.iter()
            .find(|hit| hit.thread.id == "b")
            .unwrap()
            .item_seq,
        3
    );

    let only_repo = SearchOptions {
        cwd: Some(PathBuf::from("/other")),
        highlight: ("<b>".to_string(), "</b>".to_string()),
        ..SearchOptions::default()
    };
    let hits = store.search("parser", &only_repo).unwrap();
    assert_eq!(
        hits.iter()
            .map(|hit| hit.snippet.as_str())
            .collect::<Vec<_>>(),
        vec!["<b>parser</b> in other repo"]
    );
    let limited = SearchOptions {
        limit: 2,
        ..SearchOptions::default()
    };
    assert_eq!(store.search("parser", &limited).unwrap().len(), 2);
    // Every word must appear.
    let both = store
        .search("docs written", &SearchOptions::default())
        .unwrap();
    assert_eq!(
        both.iter()
            .map(|hit| (hit.role, hit.snippet.as_str()))
            .collect::<Vec<_>>(),
        vec![(SearchRole::Agent, "[docs] [written]")]
    );
}

#[test]
fn search_ranks_only_the_newest_matches() {
    let home = TempHome::new();
    let store = home.open();
    for (id, created_at_ms) in [("old", 1), ("new", 2)] {
        store
            .create_thread(&new_thread(id, created_at_ms, "/repo"))
            .unwrap();
    }
    // The best match is old; RANKED_MATCHES weaker ones come after it.
    store
        .append("old", "o1", &[prompt("zebra zebra zebra")])
        .unwrap();
    let weak: Vec<NewItem> = (0..duet_store::RANKED_MATCHES)
        .map(|index| {
            answer(&format!(
                "a zebra and {index} other animals in a long sentence"
            ))
        })
        .collect();
    store.append("new", "n1", &weak).unwrap();
    store.append("old", "o2", &[prompt("zebra zebra")]).unwrap();

    let hits = store.search("zebra", &SearchOptions::default()).unwrap();

    // The old thread is found by its newer match, not its best one.
    let found: Vec<(&str, &str, &str)> = hits
        .iter()
        .map(|hit| {
            (
                hit.thread.id.as_str(),
                hit.turn_id.as_str(),
                hit.snippet.as_str(),
            )
        })
        .collect();
    assert_eq!(found[0], ("old", "o2", "[zebra] [zebra]"));
    assert_eq!((found.len(), found[1].0, found[1].1), (2, "new", "n1"));
}

#[test]
fn search_leaves_out_archived_threads_unless_asked() {
    let home = TempHome::new();
    let store = home.open();
    three(&store);
    store.set_archived("a", true).unwrap();
    let ids_of = |options: &SearchOptions| {
        let mut ids: Vec<String> = store
            .search("fix", options)
            .unwrap()
            .into_iter()
            .map(|hit| hit.thread.id)
            .collect();
        ids.sort();
        ids
    };
    assert_eq!(ids_of(&SearchOptions::default()), Vec::<String>::new());
    let all = SearchOptions {
        include_archived: true,
        ..SearchOptions::default()
    };
    assert_eq!(ids_of(&all), vec!["a".to_string()]);
}

#[test]
fn awkward_search_text_never_errors() {
    let home = TempHome::new();
    let store = home.open();
    store.create_thread(&new_thread("t", 1, "/repo")).unwrap();
    turn(
        &store,
        "t",
        "t1",
        &[prompt("run foo-bar \"x\" with NEAR(a b) OR c*")],
        1,
    );

    let snippets = |query: &str| -> Vec<String> {
        store
            .search(query, &SearchOptions::default())
            .unwrap_or_else(|error| panic!("`{query}` failed: {error}"))
            .into_iter()
            .map(|hit| hit.snippet)
            .collect()
    };
    let expected = vec!["run [foo-bar] \"x\" with NEAR(a b) OR c*".to_string()];
    assert_eq!(snippets("foo-bar"), expected);
    assert_eq!(
        snippets("foo-bar \"x"),
        vec!["run [foo-bar] \"[x]\" with NEAR(a b) OR c*".to_string()]
    );
    assert_eq!(
        snippets("NEAR("),
        vec!["run foo-bar \"x\" with [NEAR](a b) OR c*".to_string()]
    );
    assert_eq!(
        snippets("c* OR"),
        vec!["run foo-bar \"x\" with NEAR(a b) [OR] [c]*".to_string()]
    );
    assert_eq!(snippets("\"\" - * ( )"), Vec::<String>::new());
    assert_eq!(snippets(""), Vec::<String>::new());
    assert_eq!(snippets("nothing-like-this"), Vec::<String>::new());
}

#[test]
fn items_and_transcript_come_back_in_order_with_their_turns() {
    let home = TempHome::new();
    let store = home.open();
    three(&store);
    let items: Vec<(i64, String, String)> = store
        .items("b")
        .unwrap()
        .into_iter()
        .map(|item| {
            (
                item.seq,
                item.turn_id,
                item.json["type"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    let expected: Vec<(i64, String, String)> = [
        (0, "b1", "message"),
        (1, "b1", "reasoning"),
        (2, "b1", "message"),
        (3, "b2", "message"),
        (4, "b2", "message"),
    ]
    .into_iter()
    .map(|(seq, turn, kind)| (seq, turn.to_string(), kind.to_string()))
    .collect();
    assert_eq!(items, expected);
    let display: Vec<(i64, String, Value)> = store
        .display_items("b")
        .unwrap()
        .into_iter()
        .map(|item| (item.seq, item.turn_id, item.json))
        .collect();
    assert_eq!(
        display,
        vec![
            (
                0,
                "b1".to_string(),
                json!({"id": "b1", "type": "agent_message", "text": "shown"})
            ),
            (
                1,
                "b2".to_string(),
                json!({"id": "b2", "type": "agent_message", "text": "shown"})
            ),
        ]
    );
    assert_eq!(
        store.display_items("nope").unwrap_err().to_string(),
        "no session matches `nope`: give a session id, a unique id prefix of 4 or more characters, or a session name"
    );
}

#[test]
fn delete_removes_everything_including_search_entries() {
    let home = TempHome::new();
    let store = home.open();
    three(&store);
    let fork = store
        .fork_thread("b", &fork_request("fork-of-b", None))
        .unwrap();

    store.delete_thread("b").unwrap();

    let conn = raw(&home.path);
    let count = |sql: &str| -> i64 { conn.query_row(sql, [], |row| row.get(0)).unwrap() };
    assert_eq!(
        [
            count("SELECT count(*) FROM items WHERE thread_id = 'b'"),
            count("SELECT count(*) FROM turns WHERE thread_id = 'b'"),
            count("SELECT count(*) FROM display_items WHERE thread_id = 'b'"),
            // The fork's copies are all that match now.
            count("SELECT count(*) FROM items_fts WHERE items_fts MATCH 'docs'"),
        ],
        [0, 0, 0, 2]
    );
    let hits = store.search("docs", &SearchOptions::default()).unwrap();
    assert_eq!(
        hits.iter()
            .map(|hit| hit.thread.id.as_str())
            .collect::<Vec<_>>(),
        vec![fork.id.as_str()]
    );
    // The fork stays, without its parent.
    assert_eq!(store.thread("fork-of-b").unwrap().parent_thread_id, None);
    assert_eq!(
        store.delete_thread("b").unwrap_err().to_string(),
        "no session with id `b` to delete a session; create the session before writing to it"
    );
    // FTS integrity: the index agrees with its content table.
    conn.execute(
        "INSERT INTO items_fts (items_fts) VALUES ('integrity-check')",
        [],
    )
    .unwrap();
}

fn fork_request(id: &str, at_turn: Option<u32>) -> ForkRequest {
    ForkRequest {
        new_id: id.to_string(),
        created_at_ms: 100,
        at_turn,
    }
}

#[test]
fn a_fork_at_a_turn_copies_that_much_and_links_its_parent() {
    let home = TempHome::new();
    let store = home.open();
    three(&store);
    store.set_name("b", Some("docs work")).unwrap();

    let fork = store
        .fork_thread("b", &fork_request("f1", Some(1)))
        .unwrap();

    let parent = store.thread("b").unwrap();
    assert_eq!(
        fork,
        duet_store::ThreadRecord {
            id: "f1".to_string(),
            created_at_ms: 100,
            updated_at_ms: 100,
            name: None,
            parent_thread_id: Some("b".to_string()),
            fork_point: Some(3),
            usage: UsageTotals {
                input_tokens: 7,
                ..UsageTotals::default()
            },
            ..parent.clone()
        }
    );
    let parent_items = store.history("b").unwrap();
    assert_eq!(store.history("f1").unwrap(), parent_items[..3].to_vec());
    assert_eq!(
        store.turns("f1").unwrap(),
        vec![TurnRecord {
            thread_id: "f1".to_string(),
            ..record(
                "b",
                "b1",
                UsageTotals {
                    input_tokens: 7,
                    ..UsageTotals::default()
                }
            )
        }]
    );
    assert_eq!(store.display_items("f1").unwrap().len(), 1);

    let whole = store.fork_thread("b", &fork_request("f2", None)).unwrap();
    assert_eq!((whole.fork_point, whole.usage), (Some(5), parent.usage));
    assert_eq!(store.history("f2").unwrap(), parent_items);
    assert_eq!(store.turns("f2").unwrap().len(), 2);
}

#[test]
fn a_fork_past_the_last_turn_or_of_nothing_is_an_error() {
    let home = TempHome::new();
    let store = home.open();
    three(&store);
    let error = store
        .fork_thread("b", &fork_request("f", Some(3)))
        .unwrap_err();
    assert_eq!(
        error.to_string(),
        "session `b` has 2 turns, so there is no turn 3; give a turn number from 1 to 2"
    );
    assert!(matches!(
        store
            .fork_thread("b", &fork_request("f", Some(0)))
            .unwrap_err(),
        StoreError::NoSuchTurn {
            turn: 0,
            turns: 2,
            ..
        }
    ));
    assert!(matches!(
        store
            .fork_thread("missing", &fork_request("f", None))
            .unwrap_err(),
        StoreError::NotFound { .. }
    ));
    assert!(matches!(
        store
            .fork_thread("b", &fork_request("a", None))
            .unwrap_err(),
        StoreError::ThreadExists { .. }
    ));
    // Nothing half-made is left behind.
    assert_eq!(
        store.thread("f").unwrap_err().to_string(),
        "no session matches `f`: give a session id, a unique id prefix of 4 or more characters, or a session name"
    );
}

#[test]
fn a_taken_name_says_who_has_it() {
    let home = TempHome::new();
    let store = home.open();
    three(&store);
    store.set_name("a", Some("parser")).unwrap();
    assert_eq!(
        store.set_name("b", Some("parser")).unwrap_err().to_string(),
        "the name `parser` is already used by session `a`; pick another name"
    );
}
