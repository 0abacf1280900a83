use super::*;
use pretty_assertions::assert_eq;
use serde_json::json;

const T0: i64 = 1_795_166_102_000; // 2026-11-20T09:15:02Z

fn line(ordinal: i64, at_ms: i64, kind: &str, payload: Value) -> String {
    let timestamp = jiff::Timestamp::from_millisecond(T0 + at_ms).unwrap();
    json!({"timestamp": timestamp.to_string(), "ordinal": ordinal, "type": kind,
           "payload": payload})
    .to_string()
}

fn text(role: &str, kind: &str, text: &str) -> Value {
    json!({"type": "message", "role": role, "content": [{"type": kind, "text": text}]})
}

fn usage(input: u64, cached: u64, output: u64, reasoning: u64) -> UsageTotals {
    UsageTotals {
        input_tokens: input,
        cached_input_tokens: cached,
        output_tokens: output,
        reasoning_output_tokens: reasoning,
    }
}

fn token_count(input: u64, cached: u64, output: u64, reasoning: u64) -> Value {
    json!({"type": "token_count", "info": {"total_token_usage": {
        "input_tokens": input, "cached_input_tokens": cached, "output_tokens": output,
        "reasoning_output_tokens": reasoning, "total_tokens": input + output}}})
}

fn meta() -> Value {
    json!({"id": "0199A1B2-0000-7000-8000-00000000000A", "timestamp": "2026-11-20T09:15:02Z",
           "cwd": "/repo", "model_provider": "openai", "cli_version": "0.169.0",
           "base_instructions": {"text": "You are Codex."},
           "git": {"commit_hash": "abc123", "branch": "main"}})
}

fn turn(
    id: &str,
    status: TurnStatus,
    times: (i64, Option<i64>),
    usage: UsageTotals,
    items: Vec<Value>,
) -> ImportedTurn {
    ImportedTurn {
        record: TurnRecord {
            thread_id: "0199a1b2-0000-7000-8000-00000000000a".to_string(),
            turn_id: id.to_string(),
            status,
            error: None,
            started_at_ms: T0 + times.0,
            ended_at_ms: times.1.map(|at| T0 + at),
            usage,
        },
        items,
        display: Vec::new(),
    }
}

fn thread(model: &str, sandbox: &str, approval: &str) -> NewThread {
    NewThread {
        id: "0199a1b2-0000-7000-8000-00000000000a".to_string(),
        created_at_ms: T0,
        cwd: "/repo".into(),
        model: model.to_string(),
        provider: "openai".to_string(),
        sandbox_mode: sandbox.to_string(),
        approval_policy: approval.to_string(),
        git_branch: Some("main".to_string()),
        git_commit: Some("abc123".to_string()),
        git_origin: None,
        source: "codex".to_string(),
    }
}

#[test]
fn a_rollout_becomes_turns_of_exact_items_with_usage() {
    let call = json!({"type": "function_call", "call_id": "c1", "name": "shell",
                      "arguments": "{\"command\":[\"ls\"]}", "metadata": {"history_sequence": 3}});
    let rollout = [
        line(0, 0, "session_meta", meta()),
        line(
            1,
            10,
            "event_msg",
            json!({"type": "task_started", "turn_id": "t1"}),
        ),
        line(
            2,
            11,
            "turn_context",
            json!({"turn_id": "t1", "model": "gpt-5.5",
            "approval_policy": "never", "sandbox_policy": {"type": "workspace-write"}}),
        ),
        line(
            3,
            20,
            "response_item",
            text("user", "input_text", "list files"),
        ),
        line(4, 30, "response_item", call.clone()),
        "{\"timestamp\": broken".to_string(),
        line(6, 40, "response_item", json!({"type": "ghost_snapshot"})),
        line(
            7,
            50,
            "response_item",
            json!({"type": "function_call_output", "call_id": "c1", "output": "a\n"}),
        ),
        line(8, 60, "event_msg", token_count(100, 50, 10, 2)),
        line(
            9,
            70,
            "event_msg",
            json!({"type": "task_complete", "turn_id": "t1"}),
        ),
        String::new(),
        line(
            10,
            80,
            "event_msg",
            json!({"type": "task_started", "turn_id": "t2"}),
        ),
        line(11, 90, "response_item", text("user", "input_text", "again")),
        line(12, 95, "event_msg", token_count(250, 150, 30, 2)),
        line(
            13,
            99,
            "event_msg",
            json!({"type": "turn_aborted", "reason": "interrupted"}),
        ),
    ]
    .join("\n");

    let parsed = parse_codex_rollout(&rollout, "r.jsonl").unwrap();

    let mut replayed_call = call;
    replayed_call.as_object_mut().unwrap().remove("metadata");
    assert_eq!(
        parsed,
        ParsedRollout {
            thread: ImportedThread {
                thread: thread("gpt-5.5", "workspace-write", "never"),
                turns: vec![
                    turn(
                        "t1",
                        TurnStatus::Completed,
                        (10, Some(70)),
                        usage(100, 50, 10, 2),
                        vec![
                            text("developer", "input_text", "You are Codex."),
                            text("user", "input_text", "list files"),
                            replayed_call,
                            json!({"type": "function_call_output", "call_id": "c1", "output": "a\n"}),
                        ]
                    ),
                    turn(
                        "t2",
                        TurnStatus::Interrupted,
                        (80, Some(99)),
                        usage(150, 100, 20, 0),
                        vec![text("user", "input_text", "again"),]
                    ),
                ],
                usage: usage(250, 150, 30, 2),
                updated_at_ms: Some(T0 + 99),
            },
            warnings: vec![
                "r.jsonl:6: not valid JSON (expected value at line 1 column 15); line skipped"
                    .to_string(),
                "r.jsonl: 1 `ghost_snapshot` item(s) left out: not model input duet replays"
                    .to_string(),
            ],
            history_base: None,
            item_ordinals: vec![i64::MIN, 3, 4, 7, 11],
        }
    );
}

#[test]
fn without_turn_markers_each_prompt_after_an_answer_starts_a_turn() {
    // The oldest layout: a bare meta object, then bare items.
    let rollout = [
        json!({"id": "0199a1b2-0000-7000-8000-00000000000a", "timestamp": "2026-11-20T09:15:02Z",
               "cwd": "/repo", "git": {"commit_hash": "abc123", "branch": "main"}})
        .to_string(),
        json!({"record_type": "state"}).to_string(),
        text(
            "user",
            "input_text",
            "<environment_context></environment_context>",
        )
        .to_string(),
        text("user", "input_text", "first").to_string(),
        text("assistant", "output_text", "one").to_string(),
        text("user", "input_text", "second").to_string(),
        text("assistant", "output_text", "two").to_string(),
    ]
    .join("\n");

    let parsed = parse_codex_rollout(&rollout, "old.jsonl").unwrap();

    let id = "0199a1b2-0000-7000-8000-00000000000a";
    assert_eq!(
        (parsed.thread.thread, parsed.thread.turns, parsed.warnings),
        (
            thread("unknown", "read-only", "on-request"),
            vec![
                turn(
                    &format!("{id}-1"),
                    TurnStatus::Completed,
                    (0, None),
                    UsageTotals::default(),
                    vec![
                        text(
                            "user",
                            "input_text",
                            "<environment_context></environment_context>"
                        ),
                        text("user", "input_text", "first"),
                        text("assistant", "output_text", "one"),
                    ]
                ),
                turn(
                    &format!("{id}-2"),
                    TurnStatus::Completed,
                    (0, None),
                    UsageTotals::default(),
                    vec![
                        text("user", "input_text", "second"),
                        text("assistant", "output_text", "two"),
                    ]
                ),
            ],
            Vec::<String>::new()
        )
    );
}

#[test]
fn a_compaction_replaces_the_history_before_it() {
    let summary = text("user", "input_text", "summary of the work so far");
    let rollout = [
        line(0, 0, "session_meta", meta()),
        line(
            1,
            1,
            "event_msg",
            json!({"type": "task_started", "turn_id": "t1"}),
        ),
        line(
            2,
            2,
            "response_item",
            text("user", "input_text", "long task"),
        ),
        line(
            3,
            3,
            "response_item",
            text("assistant", "output_text", "long answer"),
        ),
        line(4, 4, "event_msg", json!({"type": "task_complete"})),
        line(
            5,
            5,
            "event_msg",
            json!({"type": "task_started", "turn_id": "t2"}),
        ),
        line(
            6,
            6,
            "compacted",
            json!({"message": "", "replacement_history": [summary.clone()]}),
        ),
        line(7, 7, "response_item", text("user", "input_text", "go on")),
    ]
    .join("\n");

    let parsed = parse_codex_rollout(&rollout, "c.jsonl").unwrap();

    let items: Vec<(String, Vec<Value>)> = parsed
        .thread
        .turns
        .into_iter()
        .map(|turn| (turn.record.turn_id, turn.items))
        .collect();
    assert_eq!(
        items,
        vec![(
            "t2".to_string(),
            vec![
                text("developer", "input_text", "You are Codex."),
                summary,
                text("user", "input_text", "go on")
            ]
        )]
    );
}

#[test]
fn files_that_cannot_be_imported_say_why() {
    let no_meta = text("user", "input_text", "hi").to_string();
    let empty = line(0, 0, "session_meta", meta());
    let no_cwd = line(
        0,
        0,
        "session_meta",
        json!({"id": "x", "timestamp": "2026-11-20T09:15:02Z"}),
    );
    let got: Vec<Result<usize, String>> = [no_meta, empty, no_cwd]
        .iter()
        .map(|text| parse_codex_rollout(text, "f").map(|parsed| parsed.thread.turns.len()))
        .collect();
    assert_eq!(
        got,
        vec![
            Err("no `session_meta` line: not a Codex rollout".to_string()),
            Err("it holds no conversation".to_string()),
            Err("its `session_meta` has no working directory (`cwd`)".to_string()),
        ]
    );
}

#[test]
fn a_fork_names_its_history_base() {
    let mut fork_meta = meta();
    fork_meta["forked_from_id"] = json!("parent-id");
    fork_meta["history_base"] = json!({"thread_id": "parent-id", "end_ordinal_exclusive": 57});
    let rollout = [
        line(57, 0, "session_meta", fork_meta),
        line(
            58,
            1,
            "response_item",
            text("user", "input_text", "branch off"),
        ),
    ]
    .join("\n");

    let parsed = parse_codex_rollout(&rollout, "f").unwrap();

    assert_eq!(
        (parsed.history_base, parsed.item_ordinals),
        (Some(("parent-id".to_string(), 57)), vec![58])
    );
}
