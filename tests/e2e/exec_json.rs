//! `duet exec --json` end to end: the built binary against an in-process
//! mock Responses server, the JSONL stream checked event by event as whole
//! values, and the file tree afterwards. Confined runs (the read-only
//! default, workspace-write) are in `tests/e2e/sandbox.rs`.

#![allow(clippy::disallowed_methods)]

use crate::common;

use common::{Workspace, normalized_events};
use duet_test_support::responses_mock::{base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{
    ev_assistant_message, ev_completed, ev_completed_with_usage, ev_function_call, ev_reasoning,
    ev_response_created, sse, sse_completed_turn,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

/// The arguments of an `exec_command` call running `cmd`.
fn exec_args(cmd: &str) -> String {
    json!({ "cmd": cmd }).to_string()
}

/// How duet reports a command it ran through `bash -lc`, as the reference
/// does: single quotes when the command has none, else double quotes with
/// `\`, `"`, `$` and `` ` `` escaped.
fn shown_command(cmd: &str) -> String {
    if cmd.contains('\'') {
        let mut quoted = String::from("\"");
        for ch in cmd.chars() {
            if matches!(ch, '\\' | '"' | '$' | '`') {
                quoted.push('\\');
            }
            quoted.push(ch);
        }
        quoted.push('"');
        format!("/bin/bash -lc {quoted}")
    } else {
        format!("/bin/bash -lc '{cmd}'")
    }
}

fn command_item(id: &str, cmd: &str, output: &str, exit_code: Option<i64>, status: &str) -> Value {
    json!({
        "id": id,
        "type": "command_execution",
        "command": shown_command(cmd),
        "aggregated_output": output,
        "exit_code": exit_code,
        "status": status,
    })
}

fn todo_item(id: &str, items: &[(&str, bool)]) -> Value {
    let items: Vec<Value> = items
        .iter()
        .map(|(text, completed)| json!({"text": text, "completed": completed}))
        .collect();
    json!({"id": id, "type": "todo_list", "items": items})
}

fn thread_started() -> Value {
    json!({"type": "thread.started", "thread_id": "<THREAD>", "schema_version": "1.1"})
}

#[tokio::test(flavor = "multi_thread")]
async fn a_multi_step_task_streams_every_event_and_writes_the_file() {
    let server = start_mock().await;
    let cmd = "printf 'alpha\\nbeta\\n' > notes.txt && cat notes.txt";
    // The reference's own rendering of this command (codex-behavior.md §4.2).
    assert_eq!(
        shown_command(cmd),
        r#"/bin/bash -lc "printf 'alpha\\nbeta\\n' > notes.txt && cat notes.txt""#
    );
    let first_plan = json!({
        "explanation": "two steps",
        "plan": [
            {"step": "Write notes", "status": "in_progress"},
            {"step": "Report", "status": "pending"},
        ],
    });
    let done_plan = json!({
        "plan": [
            {"step": "Write notes", "status": "completed"},
            {"step": "Report", "status": "completed"},
        ],
    });
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[
                ev_reasoning("rs_1", "**Planning**\n\nWrite the notes first."),
                ev_function_call("call_plan_1", "update_plan", &first_plan.to_string()),
                ev_function_call("call_exec_1", "exec_command", &exec_args(cmd)),
            ]),
            sse_completed_turn(&[ev_function_call(
                "call_plan_2",
                "update_plan",
                &done_plan.to_string(),
            )]),
            sse(&[
                ev_response_created("resp_3"),
                ev_assistant_message("msg_3", "Wrote notes.txt with two lines."),
                ev_completed_with_usage("resp_3", 1000, 400, 50, 20),
            ]),
        ],
    )
    .await;

    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "danger-full-access", "write the notes"])
        .run()
        .await;

    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    assert_eq!(log.bodies().len(), 3);
    let plan_open = [("Write notes", false), ("Report", false)];
    let plan_done = [("Write notes", true), ("Report", true)];
    assert_eq!(
        normalized_events(&outcome, &workspace),
        vec![
            thread_started(),
            json!({"type": "turn.started"}),
            json!({"type": "item.completed", "item": {
                "id": "item_0", "type": "reasoning",
                "text": "**Planning**\n\nWrite the notes first.",
            }}),
            json!({"type": "item.started", "item": todo_item("item_1", &plan_open)}),
            json!({"type": "item.started",
                   "item": command_item("item_2", cmd, "", None, "in_progress")}),
            json!({"type": "item.completed",
                   "item": command_item("item_2", cmd, "alpha\nbeta\n", Some(0), "completed")}),
            json!({"type": "item.updated", "item": todo_item("item_1", &plan_done)}),
            json!({"type": "item.completed", "item": {
                "id": "item_3", "type": "agent_message",
                "text": "Wrote notes.txt with two lines.",
            }}),
            json!({"type": "item.completed", "item": todo_item("item_1", &plan_done)}),
            // Thread-cumulative: 10/0/5/0 twice (the default usage), then 1000/400/50/20.
            json!({"type": "turn.completed", "usage": {
                "input_tokens": 1020,
                "cached_input_tokens": 400,
                "cache_write_input_tokens": 0,
                "output_tokens": 60,
                "reasoning_output_tokens": 20, "cost_usd": null,
            }}),
        ]
    );
    assert_eq!(
        workspace.files(),
        vec![("notes.txt".to_owned(), "alpha\nbeta\n".to_owned())]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_command_is_reported_failed_with_its_exit_code() {
    let server = start_mock().await;
    let cmd = "echo to-stderr >&2; exit 3";
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call(
                "call_fail",
                "exec_command",
                &exec_args(cmd),
            )]),
            sse_completed_turn(&[ev_assistant_message("msg_2", "It failed with 3.")]),
        ],
    )
    .await;

    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "danger-full-access", "run it"])
        .run()
        .await;

    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    assert_eq!(
        normalized_events(&outcome, &workspace),
        vec![
            thread_started(),
            json!({"type": "turn.started"}),
            json!({"type": "item.started",
                   "item": command_item("item_0", cmd, "", None, "in_progress")}),
            json!({"type": "item.completed",
                   "item": command_item("item_0", cmd, "to-stderr\n", Some(3), "failed")}),
            json!({"type": "item.completed", "item": {
                "id": "item_1", "type": "agent_message", "text": "It failed with 3.",
            }}),
            json!({"type": "turn.completed", "usage": {
                "input_tokens": 20,
                "cached_input_tokens": 0,
                "cache_write_input_tokens": 0,
                "output_tokens": 10,
                "reasoning_output_tokens": 0, "cost_usd": null,
            }}),
        ]
    );
    // The model is told the exit code too.
    let second = &log.bodies()[1];
    let output = function_call_output(second, "call_fail");
    let (header, body) = common::split_exec_output(&output);
    assert_eq!(
        (header.as_str(), body.as_str()),
        (
            "Chunk ID: <CHUNK>\nWall time: <WALL> seconds\nProcess exited with code 3\nOriginal token count: <TOKENS>\nOutput:\n",
            "to-stderr\n"
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_calls_both_run_and_both_outputs_come_back_in_call_order() {
    let server = start_mock().await;
    // The first call waits for the second one's file, so they must run at
    // the same time, and the first finishes last: output order (call
    // order) then differs from finish order.
    let slow = "while [ ! -f b.done ]; do sleep 0.01; done; sleep 0.2; echo first";
    let fast = "echo second; touch b.done";
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[
                ev_function_call("call_a", "exec_command", &exec_args(slow)),
                ev_function_call("call_b", "exec_command", &exec_args(fast)),
            ]),
            sse_completed_turn(&[ev_assistant_message("msg_2", "both ran")]),
        ],
    )
    .await;

    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "danger-full-access", "run both"])
        .run()
        .await;

    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let events = normalized_events(&outcome, &workspace);
    // Both start before either completes; completions come in finish order.
    assert_eq!(
        events[2..6].to_vec(),
        vec![
            json!({"type": "item.started",
                   "item": command_item("item_0", slow, "", None, "in_progress")}),
            json!({"type": "item.started",
                   "item": command_item("item_1", fast, "", None, "in_progress")}),
            json!({"type": "item.completed",
                   "item": command_item("item_1", fast, "second\n", Some(0), "completed")}),
            json!({"type": "item.completed",
                   "item": command_item("item_0", slow, "first\n", Some(0), "completed")}),
        ]
    );
    let bodies = log.bodies();
    assert_eq!(bodies.len(), 2);
    // The replayed calls then both outputs, in call order, after both calls.
    let input = bodies[1]["input"].as_array().expect("input array");
    let tail: Vec<(String, String)> = input[input.len() - 4..]
        .iter()
        .map(|item| {
            (
                item["type"].as_str().unwrap_or_default().to_owned(),
                item["call_id"].as_str().unwrap_or_default().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        tail,
        [
            ("function_call", "call_a"),
            ("function_call", "call_b"),
            ("function_call_output", "call_a"),
            ("function_call_output", "call_b"),
        ]
        .map(|(kind, id)| (kind.to_owned(), id.to_owned()))
    );
    let outputs: Vec<String> = ["call_a", "call_b"]
        .iter()
        .map(|call_id| common::split_exec_output(&function_call_output(&bodies[1], call_id)).1)
        .collect();
    assert_eq!(outputs, ["first\n", "second\n"]);
}

/// The `output` text of the `function_call_output` for `call_id` in a request body.
fn function_call_output(body: &Value, call_id: &str) -> String {
    body["input"]
        .as_array()
        .expect("input array")
        .iter()
        .find(|item| item["type"] == "function_call_output" && item["call_id"] == call_id)
        .and_then(|item| item["output"].as_str())
        .unwrap_or_else(|| panic!("no output for {call_id} in {body}"))
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_plain_answer_is_one_message_and_usage() {
    let server = start_mock().await;
    let _log = mount_sse_sequence(
        &server,
        vec![sse(&[
            ev_response_created("resp_1"),
            ev_assistant_message("msg_1", "hello"),
            ev_completed("resp_1"),
        ])],
    )
    .await;
    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "say hello"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    assert_eq!(
        normalized_events(&outcome, &workspace),
        vec![
            thread_started(),
            json!({"type": "turn.started"}),
            json!({"type": "item.completed",
                   "item": {"id": "item_0", "type": "agent_message", "text": "hello"}}),
            json!({"type": "turn.completed", "usage": {
                "input_tokens": 10, "cached_input_tokens": 0, "cache_write_input_tokens": 0,
                "output_tokens": 5, "reasoning_output_tokens": 0, "cost_usd": null,
            }}),
        ]
    );
    assert_eq!(workspace.files(), Vec::<(String, String)>::new());
}
