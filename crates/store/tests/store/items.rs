//! History items: exact round trips, order across turns, titles.

use super::support::{TempHome, new_thread, raw};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

fn user(text: &str) -> Value {
    json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
}

/// Items of the kinds a Responses API turn produces, with nesting, unicode,
/// escapes and numbers that must survive untouched.
fn first_turn() -> Vec<Value> {
    vec![
        json!({"type": "message", "role": "developer", "content": [
            {"type": "input_text", "text": "<permissions instructions>sandbox_mode is `workspace-write`</permissions instructions>"}
        ]}),
        user("<environment_context>\n  <cwd>/repo</cwd>\n</environment_context>"),
        user("Répare le test 🚑 qui échoue\n\"quoted\" \\ backslash\ttab"),
        json!({"type": "reasoning", "id": "rs_1", "summary": [{"type": "summary_text", "text": "思考中…"}],
               "encrypted_content": "gAAAAABo\u{0000}zero-byte-and-more=="}),
        json!({"type": "function_call", "id": "fc_1", "call_id": "call_1", "name": "exec_command",
               "arguments": "{\"cmd\":\"cargo test\",\"yield_time_ms\":1000}"}),
        json!({"type": "function_call_output", "call_id": "call_1", "output": {
            "nested": {"deeper": [1, -2, 3.25, 1e-7, 18446744073709551615u64, i64::MIN, null, true, {}, []]},
            "empty": "", "unicode": "\u{1F600}\u{00E9}\u{200B}"
        }}),
        json!({"type": "message", "role": "assistant", "id": "msg_1",
               "content": [{"type": "output_text", "text": "Fixed.", "annotations": []}]}),
    ]
}

#[test]
fn items_round_trip_exactly_and_in_order() {
    let home = TempHome::new();
    let store = home.open();
    store.create_thread(&new_thread("t1", 1, "/repo")).unwrap();
    let second_turn = vec![
        user("now run clippy"),
        json!({"role": "user", "content": "no type field"}),
    ];

    store.append_items("t1", "turn-1", &first_turn()).unwrap();
    store.append_items("t1", "turn-2", &second_turn).unwrap();

    let mut expected = first_turn();
    expected.extend(second_turn);
    assert_eq!(store.history("t1").unwrap(), expected);
    // And after reopening the file.
    drop(store);
    assert_eq!(home.open().history("t1").unwrap(), expected);

    let conn = raw(&home.path);
    let mut statement = conn
        .prepare("SELECT seq, turn_id, kind FROM items WHERE thread_id = 't1' ORDER BY seq")
        .unwrap();
    let rows: Vec<(i64, String, Option<String>)> = statement
        .query_map([], |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    let expected_rows: Vec<(i64, String, Option<String>)> = [
        (0, "turn-1", Some("message")),
        (1, "turn-1", Some("message")),
        (2, "turn-1", Some("message")),
        (3, "turn-1", Some("reasoning")),
        (4, "turn-1", Some("function_call")),
        (5, "turn-1", Some("function_call_output")),
        (6, "turn-1", Some("message")),
        (7, "turn-2", Some("message")),
        (8, "turn-2", None),
    ]
    .into_iter()
    .map(|(seq, turn, kind)| (seq, turn.to_string(), kind.map(str::to_string)))
    .collect();
    assert_eq!(rows, expected_rows);
}

#[test]
fn histories_of_threads_are_separate() {
    let home = TempHome::new();
    let store = home.open();
    store.create_thread(&new_thread("t1", 1, "/repo")).unwrap();
    store.create_thread(&new_thread("t2", 2, "/repo")).unwrap();
    store
        .create_thread(&new_thread("empty", 3, "/repo"))
        .unwrap();

    store.append_items("t1", "a", &[user("one")]).unwrap();
    store.append_items("t2", "b", &[user("two")]).unwrap();
    store.append_items("t1", "c", &[user("three")]).unwrap();
    store.append_items("t1", "d", &[]).unwrap();

    assert_eq!(
        store.history("t1").unwrap(),
        vec![user("one"), user("three")]
    );
    assert_eq!(store.history("t2").unwrap(), vec![user("two")]);
    assert_eq!(store.history("empty").unwrap(), Vec::<Value>::new());
    assert_eq!(
        store.history("missing").unwrap_err().to_string(),
        "no session matches `missing`: give a session id, a unique id prefix of 4 or more characters, or a session name"
    );
}

#[test]
fn the_title_is_the_first_prompt_and_stays() {
    let home = TempHome::new();
    let store = home.open();
    store.create_thread(&new_thread("t1", 1, "/repo")).unwrap();

    // Context only: no title yet.
    store
        .append_items("t1", "turn-1", &first_turn()[..2])
        .unwrap();
    assert_eq!(store.thread("t1").unwrap().title, None);

    store
        .append_items("t1", "turn-1", &first_turn()[2..])
        .unwrap();
    store
        .append_items("t1", "turn-2", &[user("a later prompt")])
        .unwrap();

    assert_eq!(
        store.thread("t1").unwrap().title.as_deref(),
        Some("Répare le test 🚑 qui échoue")
    );
}

#[test]
fn appending_moves_updated_at_forward() {
    let home = TempHome::new();
    let store = home.open();
    store
        .create_thread(&new_thread("t1", 1_000, "/repo"))
        .unwrap();
    let before_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;

    store.append_items("t1", "turn-1", &[user("hi")]).unwrap();

    let updated = store.thread("t1").unwrap().updated_at_ms;
    assert!(
        updated >= before_ms,
        "updated_at_ms {updated} is before the append at {before_ms}"
    );
}

#[test]
fn appending_to_an_unknown_thread_writes_nothing() {
    let home = TempHome::new();
    let store = home.open();

    let error = store
        .append_items("missing", "turn-1", &[user("hi")])
        .unwrap_err();

    assert_eq!(
        error.to_string(),
        "no session with id `missing` to append items to a session; create the session before writing to it"
    );
    let count: i64 = raw(&home.path)
        .query_row("SELECT count(*) FROM items", [], |row| row.get(0))
        .unwrap();
    assert_eq!(count, 0);
}

#[test]
fn history_raw_gives_back_the_exact_text_appended() {
    let home = TempHome::new();
    let store = home.open();
    store.create_thread(&new_thread("t1", 1, "/repo")).unwrap();
    // Not the order or spacing serde_json would write: kept as given.
    let texts = [
        r#"{"type":"message","role":"user","content":[{"type":"input_text","text":"fix it"}]}"#,
        r#"{"type": "reasoning",  "id":"rs_1","summary":[],"encrypted_content":"gAAA"}"#,
        r#"{"role":"user","content":"no type field"}"#,
    ];
    let items: Vec<duet_store::NewItem> = texts
        .iter()
        .map(|text| duet_store::NewItem {
            json: serde_json::value::RawValue::from_string(text.to_string()).unwrap(),
            search: None,
        })
        .collect();
    store.append("t1", "turn-1", &items).unwrap();

    let raw_items: Vec<(Option<String>, String)> = store
        .history_raw("t1")
        .unwrap()
        .into_iter()
        .map(|item| (item.kind, item.json))
        .collect();
    assert_eq!(
        raw_items,
        vec![
            (Some("message".to_string()), texts[0].to_string()),
            (Some("reasoning".to_string()), texts[1].to_string()),
            (None, texts[2].to_string()),
        ]
    );
    assert_eq!(store.thread("t1").unwrap().title.as_deref(), Some("fix it"));
    assert_eq!(
        store.history_raw("missing").unwrap_err().to_string(),
        "no session matches `missing`: give a session id, a unique id prefix of 4 or more characters, or a session name"
    );
}
