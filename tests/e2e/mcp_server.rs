//! `duet mcp-server` driven by the official MCP TypeScript SDK client
//! (`tests/mcp/clients/drive-duet.mjs`): it lists the two tools, starts a
//! thread with `duet` (an approval answered as an elicitation, progress and
//! log notifications on the way), continues it with `duet-reply`, and the
//! thread is an ordinary saved session.

#![allow(clippy::disallowed_methods)]

use crate::common::{Workspace, mcp_server};
use duet_test_support::responses_mock::{base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{ev_assistant_message, ev_function_call, sse_completed_turn};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::process::{Command, Stdio};

/// Run `drive-duet.mjs` against the mock at `url` in `workspace`, with
/// `extra` arguments; what the client saw.
async fn drive(
    script: std::path::PathBuf,
    workspace: &Workspace,
    url: String,
    extra: &[&str],
) -> Value {
    let repo = workspace.repo().to_path_buf();
    let home = workspace.home().to_path_buf();
    let extra: Vec<String> = extra.iter().map(|arg| arg.to_string()).collect();
    let output = tokio::task::spawn_blocking(move || {
        Command::new("node")
            .arg(&script)
            .arg(env!("CARGO_BIN_EXE_duet"))
            .arg(&repo)
            .arg(&url)
            .args(&extra)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap_or_default())
            .env("HOME", &home)
            .env("DUET_HOME", &home)
            .env("OPENAI_API_KEY", "sk-test")
            .stdin(Stdio::null())
            .output()
            .expect("run node")
    })
    .await
    .expect("the node thread");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "node failed: {}\n{stdout}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(stdout.trim()).expect("the client's report")
}

/// A client that cannot be asked (no elicitation): the approval is
/// declined, the model told, and nothing runs.
#[tokio::test(flavor = "multi_thread")]
async fn without_elicitation_approvals_are_declined() {
    let Some(script) = mcp_server("clients/drive-duet.mjs") else {
        return;
    };
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call(
                "c1",
                "exec_command",
                r#"{"cmd":"touch approved.txt"}"#,
            )]),
            sse_completed_turn(&[ev_assistant_message("m1", "could not")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let seen = drive(script, &workspace, base_url(&server), &["--no-elicitation"]).await;
    assert_eq!(seen["elicitations"], json!([]));
    assert_eq!(seen["first"]["structuredContent"]["content"], "could not");
    assert!(!workspace.repo().join("approved.txt").exists());
    let bodies = log.bodies();
    let output = bodies[1]["input"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["type"] == "function_call_output")
        .unwrap()["output"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        output.contains("the user declined to run this command"),
        "{output}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sdk_client_starts_and_continues_a_thread() {
    let Some(script) = mcp_server("clients/drive-duet.mjs") else {
        return;
    };
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call(
                "c1",
                "exec_command",
                r#"{"cmd":"touch approved.txt"}"#,
            )]),
            sse_completed_turn(&[ev_assistant_message("m1", "made it")]),
            sse_completed_turn(&[ev_assistant_message("m2", "you are welcome")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let seen = drive(script, &workspace, base_url(&server), &[]).await;
    assert_eq!(seen["tools"], json!(["duet", "duet-reply"]));
    let thread_id = seen["first"]["structuredContent"]["threadId"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(
        seen["first"]["structuredContent"],
        json!({"threadId": thread_id, "content": "made it"})
    );
    assert_eq!(
        seen["first"]["content"],
        json!([{"type": "text", "text": "made it"}])
    );
    assert_eq!(
        seen["second"]["structuredContent"],
        json!({"threadId": thread_id, "content": "you are welcome"})
    );
    assert_eq!(seen["unknown"]["isError"], true);
    assert!(
        seen["unknown"]["content"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("no session matches `no-such-thread`"),
        "{}",
        seen["unknown"]
    );
    // The approval was asked as an elicitation, accepted, and the command ran.
    let elicitations = seen["elicitations"].as_array().unwrap();
    assert_eq!(elicitations.len(), 1, "{elicitations:?}");
    assert!(
        elicitations[0]
            .as_str()
            .unwrap()
            .starts_with("duet wants to run `/bin/bash -lc 'touch approved.txt'`"),
        "{elicitations:?}"
    );
    assert!(workspace.repo().join("approved.txt").exists());
    // Progress for the completed items (what the SDK client received in
    // time, plus what it reported as come after the answer: it handles
    // notifications a moment later than responses); every event logged.
    let mut progress: Vec<String> = seen["progress"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .map(str::to_string)
        .collect();
    for late in seen["clientErrors"].as_array().unwrap() {
        let late = late.as_str().unwrap();
        let json = late
            .split_once("unknown token: ")
            .map(|(_, json)| json)
            .unwrap_or_else(|| panic!("a client error that is not late progress: {late}"));
        let notification: Value = serde_json::from_str(json).unwrap();
        progress.push(
            notification["params"]["message"]
                .as_str()
                .unwrap()
                .to_string(),
        );
    }
    assert!(
        progress.contains(&"ran /bin/bash -lc 'touch approved.txt'".to_string()),
        "{progress:?} in {seen}"
    );
    let logged: Vec<&str> = seen["logged"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    for kind in [
        "thread_started",
        "turn_started",
        "item_completed",
        "turn_completed",
    ] {
        assert!(logged.contains(&kind), "{kind} not logged: {logged:?}");
    }
    // The reply went to the same thread: its request carries the first turn.
    let bodies = log.bodies();
    assert_eq!(bodies.len(), 3);
    let replayed = serde_json::to_string(&bodies[2]["input"]).unwrap();
    assert!(replayed.contains("make the file") && replayed.contains("made it"));
    // And it is an ordinary saved session.
    let listed = workspace
        .duet()
        .args(["sessions", "list", "--json"])
        .run()
        .await;
    assert!(listed.stdout.contains(&thread_id), "{}", listed.describe());
}
