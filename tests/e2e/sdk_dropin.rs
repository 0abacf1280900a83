//! The drop-in promise: the official TypeScript SDK (`@openai/codex-sdk`),
//! pointed at `duet` with `codexPathOverride`, runs a streamed turn and a
//! resumed second turn with an output schema against the mock, and sees
//! what it would see from `codex exec`.
//!
//! `tests/sdk/dropin.mjs` drives the SDK and prints what it saw as one JSON
//! object; this test starts the mock, runs the script with node, and checks
//! both the SDK's view and the requests the mock received. The SDK must be
//! installed first: `npm ci --prefix tests/sdk --omit=optional`.

#![allow(clippy::disallowed_methods)]

use crate::common;

use common::{Workspace, redact, workspace_replacements};
use duet_test_support::responses_mock::{base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{
    ev_assistant_message, ev_completed_with_usage, ev_function_call, ev_response_created, sse,
    sse_completed_turn,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const SCRIPT_TIMEOUT: Duration = Duration::from_secs(60);

fn sdk_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/sdk")
}

/// Run `node tests/sdk/dropin.mjs`; (exit code, stdout, stderr).
fn run_script(envs: &[(&str, String)]) -> (Option<i32>, String, String) {
    let mut child = Command::new("node")
        .arg(sdk_dir().join("dropin.mjs"))
        .current_dir(sdk_dir())
        .env_clear()
        .env(
            "PATH",
            std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()),
        )
        .envs(envs.iter().map(|(name, value)| (name, value)))
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("start node (is Node.js installed?)");
    let started = Instant::now();
    while child.try_wait().expect("wait for node").is_none() {
        if started.elapsed() > SCRIPT_TIMEOUT {
            let _ = child.kill();
            let output = child.wait_with_output().expect("collect node output");
            panic!(
                "dropin.mjs did not finish within {SCRIPT_TIMEOUT:?}; stderr:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        std::thread::sleep(Duration::from_millis(10));
    }
    let output = child.wait_with_output().expect("collect node output");
    (
        output.status.code(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn the_typescript_sdk_drives_duet_like_codex_exec() {
    assert!(
        sdk_dir().join("node_modules/@openai/codex-sdk").is_dir(),
        "the SDK is not installed: run `npm ci --prefix tests/sdk --omit=optional` first"
    );
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            // Turn 1: a command, then the answer.
            sse_completed_turn(&[ev_function_call(
                "call_ls",
                "exec_command",
                r#"{"cmd":"ls"}"#,
            )]),
            sse(&[
                ev_response_created("resp_2"),
                ev_assistant_message("msg_listed", "one file: hello.txt"),
                ev_completed_with_usage("resp_2", 100, 20, 10, 2),
            ]),
            // Turn 2: a JSON answer.
            sse(&[
                ev_response_created("resp_3"),
                ev_assistant_message("msg_json", r#"{"answer":"42"}"#),
                ev_completed_with_usage("resp_3", 200, 100, 8, 0),
            ]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    std::fs::write(workspace.repo().join("hello.txt"), "hi\n").expect("write hello.txt");

    let envs = vec![
        ("DUET_BIN", env!("CARGO_BIN_EXE_duet").to_owned()),
        ("MOCK_BASE_URL", base_url(&server)),
        ("WORKDIR", workspace.repo().display().to_string()),
        ("DUET_HOME", workspace.home().display().to_string()),
    ];
    let (code, stdout, stderr) = tokio::task::spawn_blocking(move || run_script(&envs))
        .await
        .expect("the node thread");
    assert_eq!(code, Some(0), "stdout:\n{stdout}\nstderr:\n{stderr}");
    let seen: Value = serde_json::from_str(stdout.trim())
        .unwrap_or_else(|error| panic!("not JSON ({error}): {stdout}\nstderr:\n{stderr}"));

    let thread_id = seen["threadIdAfterFirst"]
        .as_str()
        .expect("a thread id after the first turn")
        .to_owned();
    assert_eq!(seen["threadIdAfterSecond"], json!(thread_id));
    let seen = redact(&seen, &workspace_replacements(&workspace, &thread_id));
    let command = json!({"id": "item_0", "type": "command_execution",
                         "command": "/bin/bash -lc ls", "aggregated_output": "hello.txt\n",
                         "exit_code": 0, "status": "completed"});
    assert_eq!(
        seen["events"],
        json!([
            {"type": "thread.started", "thread_id": "<THREAD>", "schema_version": "1.1"},
            {"type": "turn.started"},
            {"type": "item.started", "item": {"id": "item_0", "type": "command_execution",
             "command": "/bin/bash -lc ls", "aggregated_output": "", "exit_code": null,
             "status": "in_progress"}},
            {"type": "item.completed", "item": command},
            {"type": "item.completed", "item": {"id": "item_1", "type": "agent_message",
             "text": "one file: hello.txt"}},
            {"type": "turn.completed", "usage": {"input_tokens": 110, "cached_input_tokens": 20,
             "cache_write_input_tokens": 0, "output_tokens": 15, "reasoning_output_tokens": 2, "cost_usd": null}},
        ])
    );
    assert_eq!(
        seen["second"],
        json!({
            "items": [{"id": "item_0", "type": "agent_message", "text": "{\"answer\":\"42\"}"}],
            "finalResponse": "{\"answer\":\"42\"}",
            // Thread-cumulative across both runs.
            "usage": {"input_tokens": 310, "cached_input_tokens": 120,
                      "cache_write_input_tokens": 0, "output_tokens": 23,
                      "reasoning_output_tokens": 2, "cost_usd": null},
        })
    );

    // What the mock saw: the SDK's identity and key on every request, the
    // second turn replaying the first, and the schema.
    let requests = log.requests();
    assert_eq!(requests.len(), 3);
    let identities: Vec<(Option<&str>, Option<&str>)> = requests
        .iter()
        .map(|request| {
            (
                request.headers.get("originator").map(String::as_str),
                request.headers.get("authorization").map(String::as_str),
            )
        })
        .collect();
    assert_eq!(
        identities,
        vec![(Some("codex_sdk_ts"), Some("Bearer sk-sdk-test")); 3]
    );
    let turn_one = requests[1].body["input"].as_array().expect("input").clone();
    let turn_two = requests[2].body["input"].as_array().expect("input").clone();
    assert_eq!(
        turn_two[..turn_one.len()].to_vec(),
        turn_one,
        "the second turn starts with the first turn's whole history"
    );
    assert_eq!(
        turn_two[turn_one.len()..].to_vec(),
        vec![
            json!({"type": "message", "role": "assistant", "id": "msg_listed",
                   "content": [{"type": "output_text", "text": "one file: hello.txt"}]}),
            json!({"type": "message", "role": "user",
                   "content": [{"type": "input_text", "text": "answer in JSON"}]}),
        ]
    );
    assert_eq!(
        requests[2].body["text"]["format"],
        json!({"type": "json_schema", "strict": true, "name": "duet_output_schema",
               "schema": {"type": "object", "properties": {"answer": {"type": "string"}},
                          "required": ["answer"], "additionalProperties": false}})
    );
    assert_eq!(
        requests
            .iter()
            .map(|request| request.body["prompt_cache_key"].clone())
            .collect::<Vec<_>>(),
        vec![json!(thread_id); 3]
    );
}
