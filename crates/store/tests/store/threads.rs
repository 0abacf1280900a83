//! Threads: creation, lookup by id, prefix and name, the last thread of a
//! directory, usage, turns.

use super::support::{TempHome, new_thread, raw};
use duet_store::{Candidate, Store, StoreError, ThreadRecord, TurnRecord, TurnStatus, UsageTotals};
use pretty_assertions::assert_eq;
use serde_json::json;
use std::path::{Path, PathBuf};

fn created(store: &Store, id: &str, created_at_ms: i64, cwd: &str) {
    store
        .create_thread(&new_thread(id, created_at_ms, cwd))
        .expect("create thread");
}

fn prompt(text: &str) -> serde_json::Value {
    json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
}

#[test]
fn a_new_thread_reads_back_whole() {
    let home = TempHome::new();
    let store = home.open();
    created(
        &store,
        "0197a1b2-0000-7000-8000-000000000001",
        1_700_000_000_000,
        "/work/repo",
    );

    let thread = store
        .thread("0197a1b2-0000-7000-8000-000000000001")
        .unwrap();

    assert_eq!(
        thread,
        ThreadRecord {
            id: "0197a1b2-0000-7000-8000-000000000001".to_string(),
            created_at_ms: 1_700_000_000_000,
            updated_at_ms: 1_700_000_000_000,
            cwd: PathBuf::from("/work/repo"),
            model: "gpt-5.1-codex".to_string(),
            provider: "openai".to_string(),
            sandbox_mode: "workspace-write".to_string(),
            approval_policy: "never".to_string(),
            name: None,
            title: None,
            archived: false,
            usage: UsageTotals::default(),
            parent_thread_id: None,
            fork_point: None,
            git_branch: Some("main".to_string()),
            git_commit: Some("0123abcd".to_string()),
            git_origin: None,
            source: "exec".to_string(),
        }
    );
}

#[test]
fn a_duplicate_id_is_refused() {
    let home = TempHome::new();
    let store = home.open();
    created(&store, "t1", 1, "/repo");

    let error = store
        .create_thread(&new_thread("t1", 2, "/other"))
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        "a session with id `t1` already exists; start the new session with a fresh id"
    );
    assert_eq!(store.thread("t1").unwrap().created_at_ms, 1);
}

#[test]
fn last_thread_is_the_newest_unarchived_one_in_that_directory() {
    let home = TempHome::new();
    let store = home.open();
    created(&store, "a-old", 1_000, "/repo");
    created(&store, "a-new", 2_000, "/repo");
    created(&store, "b", 3_000, "/repo/sub");

    let last = |cwd: &str| {
        store
            .last_thread(Path::new(cwd))
            .unwrap()
            .map(|thread| thread.id)
    };
    assert_eq!(last("/repo").as_deref(), Some("a-new"));
    assert_eq!(last("/repo/sub").as_deref(), Some("b"));
    assert_eq!(last("/elsewhere"), None);

    // Appending makes a thread the most recently updated one.
    store
        .append_items("a-old", "turn-2", &[prompt("again")])
        .unwrap();
    assert_eq!(last("/repo").as_deref(), Some("a-old"));

    raw(&home.path)
        .execute("UPDATE threads SET archived = 1 WHERE id = 'a-old'", [])
        .unwrap();
    assert_eq!(last("/repo").as_deref(), Some("a-new"));
}

#[cfg(unix)]
#[test]
fn a_cwd_that_is_not_utf8_matches_exactly() {
    use std::os::unix::ffi::OsStrExt;
    let home = TempHome::new();
    let store = home.open();
    let cwd = PathBuf::from(std::ffi::OsStr::from_bytes(b"/repo/\xff\xfe"));
    let mut thread = new_thread("t1", 1, "/unused");
    thread.cwd = cwd.clone();
    store.create_thread(&thread).unwrap();
    created(&store, "t2", 2, &cwd.to_string_lossy());

    let last = store
        .last_thread(&cwd)
        .unwrap()
        .expect("the thread is found");

    assert_eq!((last.id.as_str(), last.cwd), ("t1", cwd));
}

fn three_threads(store: &Store) {
    created(store, "0197aaaa-0001", 1_000, "/repo");
    created(store, "0197aaaa-0002", 2_000, "/repo");
    created(store, "0197bbbb-0003", 3_000, "/repo");
    store
        .append_items("0197aaaa-0001", "turn-1", &[prompt("fix the build")])
        .expect("append the first prompt");
}

#[test]
fn a_unique_prefix_finds_the_thread() {
    let home = TempHome::new();
    let store = home.open();
    three_threads(&store);

    assert_eq!(store.thread("0197b").unwrap().id, "0197bbbb-0003");
    assert_eq!(store.thread("0197aaaa-0002").unwrap().id, "0197aaaa-0002");
}

#[test]
fn an_ambiguous_prefix_lists_the_candidates_newest_first() {
    let home = TempHome::new();
    let store = home.open();
    three_threads(&store);

    let error = store.thread("0197a").unwrap_err();

    let StoreError::Ambiguous {
        query,
        candidates,
        total,
    } = &error
    else {
        panic!("expected StoreError::Ambiguous, got {error:?}");
    };
    assert_eq!(
        (query.as_str(), candidates.as_slice(), *total),
        (
            "0197a",
            &[
                Candidate {
                    id: "0197aaaa-0001".to_string(),
                    title: Some("fix the build".to_string())
                },
                Candidate {
                    id: "0197aaaa-0002".to_string(),
                    title: None
                },
            ][..],
            2
        )
    );
    assert_eq!(
        error.to_string(),
        "`0197a` matches 2 sessions: `0197aaaa-0001` (fix the build), `0197aaaa-0002` (untitled); give more of the id, or the session's name"
    );
}

#[test]
fn an_ambiguous_prefix_counts_all_matches_but_lists_ten() {
    let home = TempHome::new();
    let store = home.open();
    for index in 0..12 {
        created(
            &store,
            &format!("0197cccc-{index:04}"),
            1_000 + index,
            "/repo",
        );
    }

    let error = store.thread("0197cccc").unwrap_err();

    let StoreError::Ambiguous {
        candidates, total, ..
    } = &error
    else {
        panic!("expected StoreError::Ambiguous, got {error:?}");
    };
    let ids: Vec<&str> = candidates
        .iter()
        .map(|candidate| candidate.id.as_str())
        .collect();
    let expected: Vec<String> = (2..12)
        .rev()
        .map(|index| format!("0197cccc-{index:04}"))
        .collect();
    assert_eq!(
        (ids, *total),
        (expected.iter().map(String::as_str).collect(), 12)
    );
    assert!(
        error
            .to_string()
            .ends_with(" and 2 more; give more of the id, or the session's name")
    );
}

#[test]
fn short_prefixes_and_unknown_ids_are_not_found() {
    let home = TempHome::new();
    let store = home.open();
    three_threads(&store);

    for query in ["019", "zzzz", "0197*", ""] {
        let error = store.thread(query).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "no session matches `{query}`: give a session id, a unique id prefix of 4 or more characters, or a session name"
            ),
        );
    }
}

#[test]
fn names_find_threads_and_are_unique() {
    let home = TempHome::new();
    let store = home.open();
    three_threads(&store);
    store.set_name("0197aaaa-0002", Some("deploy-fix")).unwrap();
    // A name that is also a prefix of other ids: the name wins.
    store.set_name("0197bbbb-0003", Some("0197aaaa")).unwrap();

    assert_eq!(store.thread("deploy-fix").unwrap().id, "0197aaaa-0002");
    assert_eq!(
        store.thread("deploy-fix").unwrap().name.as_deref(),
        Some("deploy-fix")
    );
    assert_eq!(store.thread("0197aaaa").unwrap().id, "0197bbbb-0003");

    let taken = store
        .set_name("0197aaaa-0001", Some("deploy-fix"))
        .unwrap_err();
    assert_eq!(
        taken.to_string(),
        "the name `deploy-fix` is already used by session `0197aaaa-0002`; pick another name"
    );
    assert_eq!(
        store
            .set_name("0197aaaa-0001", Some("  "))
            .unwrap_err()
            .to_string(),
        "a session name cannot be empty; give at least one visible character"
    );

    store.set_name("0197aaaa-0002", None).unwrap();
    assert_eq!(
        store.thread("deploy-fix").unwrap_err().to_string(),
        "no session matches `deploy-fix`: give a session id, a unique id prefix of 4 or more characters, or a session name"
    );
}

#[test]
fn usage_is_set_whole() {
    let home = TempHome::new();
    let store = home.open();
    created(&store, "t1", 1, "/repo");
    let usage = UsageTotals {
        input_tokens: 12_000,
        cached_input_tokens: 8_000,
        output_tokens: 900,
        reasoning_output_tokens: 300,
    };

    store.set_usage("t1", &usage).unwrap();

    assert_eq!(store.thread("t1").unwrap().usage, usage);
    assert_eq!(
        store.set_usage("missing", &usage).unwrap_err().to_string(),
        "no session with id `missing` to update the token usage of a session; create the session before writing to it"
    );
}

#[test]
fn the_update_time_can_be_set_for_imports() {
    let home = TempHome::new();
    let store = home.open();
    created(&store, "t1", 1_000, "/repo");

    store.set_updated_at("t1", 5_000).unwrap();

    assert_eq!(
        (
            store.thread("t1").unwrap().updated_at_ms,
            store.set_updated_at("missing", 1).unwrap_err().to_string()
        ),
        (
            5_000,
            "no session with id `missing` to set the update time of a session; create the session before writing to it".to_string()
        )
    );
}

#[test]
fn turns_are_kept_in_order_and_rerecording_replaces() {
    let home = TempHome::new();
    let store = home.open();
    created(&store, "t1", 1, "/repo");
    let first = TurnRecord {
        thread_id: "t1".to_string(),
        turn_id: "turn-1".to_string(),
        status: TurnStatus::Interrupted,
        error: None,
        started_at_ms: 10,
        ended_at_ms: Some(20),
        usage: UsageTotals {
            input_tokens: 5,
            ..UsageTotals::default()
        },
    };
    let second = TurnRecord {
        turn_id: "turn-2".to_string(),
        status: TurnStatus::Failed,
        error: Some("stream disconnected before completion".to_string()),
        started_at_ms: 30,
        ended_at_ms: Some(40),
        usage: UsageTotals {
            input_tokens: 7,
            cached_input_tokens: 3,
            output_tokens: 2,
            reasoning_output_tokens: 1,
        },
        ..first.clone()
    };
    store.record_turn(&first).unwrap();
    store.record_turn(&second).unwrap();
    let first_again = TurnRecord {
        status: TurnStatus::Completed,
        ended_at_ms: Some(25),
        ..first
    };
    store.record_turn(&first_again).unwrap();

    assert_eq!(
        store.turns("t1").unwrap(),
        vec![first_again, second.clone()]
    );

    let orphan = TurnRecord {
        thread_id: "missing".to_string(),
        ..second
    };
    assert_eq!(
        store.record_turn(&orphan).unwrap_err().to_string(),
        "no session with id `missing` to record a turn; create the session before writing to it"
    );
    assert_eq!(
        store.turns("missing").unwrap_err().to_string(),
        "no session matches `missing`: give a session id, a unique id prefix of 4 or more characters, or a session name"
    );
}
