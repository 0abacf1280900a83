//! Patches end to end: the mock model edits files with the freeform
//! `apply_patch` tool, with a heredoc `apply_patch` sent through
//! `exec_command`, and with the JSON-function form; the files change, the
//! `file_change` items appear in `--json`, and the model gets the
//! reference's output. Patches that write outside the writable roots are
//! refused under `approval_policy = "never"`.

#![allow(clippy::disallowed_methods)]

use crate::common;

use common::{Workspace, normalized_events};
use duet_test_support::responses_mock::{base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{
    ev_assistant_message, ev_custom_tool_call, ev_function_call, sse_completed_turn,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

const ADD_AND_UPDATE: &str = "*** Begin Patch\n*** Add File: hello.txt\n+Hello, world!\n*** Update File: notes.txt\n@@\n alpha\n-beta\n+BETA\n gamma\n*** End Patch";

fn heredoc(patch: &str) -> String {
    json!({ "cmd": format!("apply_patch <<'EOF'\n{patch}\nEOF\n") }).to_string()
}

/// The output the model got for `call_id` in the request bodies.
fn output_for(bodies: &[Value], call_id: &str) -> String {
    bodies
        .iter()
        .flat_map(|body| body["input"].as_array().cloned().unwrap_or_default())
        .find(|item| {
            item["call_id"] == call_id
                && matches!(
                    item["type"].as_str(),
                    Some("custom_tool_call_output" | "function_call_output")
                )
        })
        .and_then(|item| item["output"].as_str().map(str::to_string))
        .unwrap_or_else(|| panic!("no output for {call_id}"))
}

/// `Wall time: 0.0 seconds` varies; the rest of the output must not.
fn without_wall_time(output: &str) -> String {
    output
        .lines()
        .map(|line| {
            if line.starts_with("Wall time: ") {
                "Wall time: <T>"
            } else {
                line
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// The `apply_patch` tool definition offered in a request body.
fn offered_apply_patch(body: &Value) -> Value {
    body["tools"]
        .as_array()
        .and_then(|tools| tools.iter().find(|tool| tool["name"] == "apply_patch"))
        .cloned()
        .unwrap_or_else(|| panic!("no apply_patch tool offered: {body}"))
}

fn file_change(id: &str, status: &str, changes: &[(&str, &str)]) -> Value {
    let changes: Vec<Value> = changes
        .iter()
        .map(|(path, kind)| json!({"path": path, "kind": kind}))
        .collect();
    json!({"id": id, "type": "file_change", "changes": changes, "status": status})
}

/// Items of the events with the per-file diffs taken out (checked apart).
fn without_diffs(mut events: Vec<Value>) -> Vec<Value> {
    for event in &mut events {
        if let Some(changes) = event
            .pointer_mut("/item/changes")
            .and_then(Value::as_array_mut)
        {
            for change in changes {
                if let Some(object) = change.as_object_mut() {
                    object.remove("diff");
                }
            }
        }
    }
    events
}

#[tokio::test(flavor = "multi_thread")]
async fn freeform_and_heredoc_patches_edit_files_and_report_file_changes() {
    let server = start_mock().await;
    let second = "*** Begin Patch\n*** Update File: hello.txt\n-Hello, world!\n+Hello, duet!\n*** Delete File: notes.txt\n*** End Patch";
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_custom_tool_call("p1", "apply_patch", ADD_AND_UPDATE)]),
            sse_completed_turn(&[ev_function_call("p2", "exec_command", &heredoc(second))]),
            sse_completed_turn(&[ev_assistant_message("m1", "edited")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    std::fs::write(workspace.repo().join("notes.txt"), "alpha\nbeta\ngamma\n").unwrap();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "workspace-write", "edit the files"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());

    let events = normalized_events(&outcome, &workspace);
    assert_eq!(
        without_diffs(events[2..events.len() - 1].to_vec()),
        vec![
            json!({"type": "item.started", "item": file_change("item_0", "in_progress",
                &[("<REPO>/hello.txt", "add"), ("<REPO>/notes.txt", "update")])}),
            json!({"type": "item.completed", "item": file_change("item_0", "completed",
                &[("<REPO>/hello.txt", "add"), ("<REPO>/notes.txt", "update")])}),
            json!({"type": "item.started", "item": file_change("item_1", "in_progress",
                &[("<REPO>/hello.txt", "update"), ("<REPO>/notes.txt", "delete")])}),
            json!({"type": "item.completed", "item": file_change("item_1", "completed",
                &[("<REPO>/hello.txt", "update"), ("<REPO>/notes.txt", "delete")])}),
            json!({"type": "item.completed", "item": {"id": "item_2", "type": "agent_message", "text": "edited"}}),
        ]
    );
    // The completed item carries each file's unified diff.
    assert_eq!(
        events[3]["item"]["changes"][1]["diff"],
        "--- a/notes.txt\n+++ b/notes.txt\n@@ -1,3 +1,3 @@\n alpha\n-beta\n+BETA\n gamma\n"
    );
    assert_eq!(
        workspace.files(),
        vec![("hello.txt".to_string(), "Hello, duet!\n".to_string())]
    );

    let bodies = log.bodies();
    assert_eq!(
        without_wall_time(&output_for(&bodies, "p1")),
        "Exit code: 0\nWall time: <T>\nOutput:\nSuccess. Updated the following files:\nA hello.txt\nM notes.txt"
    );
    assert_eq!(
        without_wall_time(&output_for(&bodies, "p2")),
        "Exit code: 0\nWall time: <T>\nOutput:\nSuccess. Updated the following files:\nM hello.txt\nD notes.txt"
    );
    // The freeform tool is offered with its grammar.
    let tool = offered_apply_patch(&bodies[0]);
    assert_eq!(
        (tool["type"].as_str(), tool["format"]["syntax"].as_str()),
        (Some("custom"), Some("lark"))
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_failing_patch_changes_nothing_and_tells_the_model_why() {
    let server = start_mock().await;
    // The second file's context does not match: the first file must not be created.
    let patch = "*** Begin Patch\n*** Add File: created.txt\n+new\n*** Update File: notes.txt\n@@\n-no such line\n+x\n*** End Patch";
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_custom_tool_call("p1", "apply_patch", patch)]),
            sse_completed_turn(&[ev_assistant_message("m1", "gave up")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    std::fs::write(workspace.repo().join("notes.txt"), "alpha\nbeta\n").unwrap();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "workspace-write", "edit"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    assert_eq!(
        workspace.files(),
        vec![("notes.txt".to_string(), "alpha\nbeta\n".to_string())]
    );
    let output = output_for(&log.bodies(), "p1");
    assert!(
        output.starts_with("apply_patch verification failed: "),
        "the model is told what failed: {output}"
    );
    assert!(output.contains("no such line"), "{output}");
    // Like the reference, a patch that does not verify shows no file_change item.
    let kinds: Vec<Value> = normalized_events(&outcome, &workspace)
        .iter()
        .filter_map(|event| event.pointer("/item/type").cloned())
        .collect();
    assert_eq!(kinds, vec![json!("agent_message")]);
}

#[tokio::test(flavor = "multi_thread")]
async fn writes_outside_the_writable_roots_are_refused_without_approval() {
    let server = start_mock().await;
    let workspace = Workspace::new();
    // A name no other test or run shares: the file would land beside the repo.
    let repo_name = workspace
        .repo()
        .file_name()
        .unwrap()
        .to_string_lossy()
        .into_owned();
    let escaped_name = format!("{repo_name}-escaped.txt");
    let patch = format!("*** Begin Patch\n*** Add File: ../{escaped_name}\n+x\n*** End Patch");
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_custom_tool_call("p1", "apply_patch", &patch)]),
            sse_completed_turn(&[ev_assistant_message("m1", "ok")]),
        ],
    )
    .await;
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        // The test repository lives under /tmp, itself a writable root by default.
        .args(["-c", "sandbox_workspace_write.exclude_slash_tmp=true"])
        .args(["--json", "-s", "workspace-write", "escape"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let escaped = workspace.repo().parent().unwrap().join(&escaped_name);
    assert!(
        !escaped.exists(),
        "the patch wrote outside the workspace: {}",
        output_for(&log.bodies(), "p1")
    );
    let output = output_for(&log.bodies(), "p1");
    assert!(
        output.starts_with("patch rejected: it writes outside the writable roots"),
        "{output}"
    );
}

/// Issue 16, item 1: with the workspace inside another writable root (the
/// test repository is under `/tmp`, itself a root), a patch could write the
/// workspace's `.git`, `.duet` and `.agents`, directly or through a symlink,
/// because the outer root's permission won.
#[tokio::test(flavor = "multi_thread")]
async fn patches_never_write_protected_folders_of_a_nested_workspace() {
    let workspace = Workspace::new();
    std::os::unix::fs::symlink(".git", workspace.repo().join("g")).unwrap();
    let config_before = std::fs::read(workspace.repo().join(".git/config")).unwrap();
    let patches = [
        "*** Update File: .git/config\n@@\n+[core]\n+\tfsmonitor = \"touch /tmp/pwned\"",
        "*** Add File: .git/hooks/post-checkout\n+#!/bin/sh\n+touch /tmp/pwned",
        "*** Add File: g/hooks/pre-commit\n+#!/bin/sh",
        "*** Add File: .duet/config.toml\n+approval_policy = \"never\"",
        "*** Add File: .agents/skills/x/SKILL.md\n+x",
    ];
    let server = start_mock().await;
    let mut calls = Vec::new();
    for (index, body) in patches.iter().enumerate() {
        let patch = format!("*** Begin Patch\n{body}\n*** End Patch");
        calls.push(sse_completed_turn(&[ev_custom_tool_call(
            &format!("p{index}"),
            "apply_patch",
            &patch,
        )]));
    }
    calls.push(sse_completed_turn(&[ev_assistant_message("m1", "ok")]));
    let log = mount_sse_sequence(&server, calls).await;
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "workspace-write", "escape"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let bodies = log.bodies();
    for index in 0..patches.len() {
        let output = output_for(&bodies, &format!("p{index}"));
        assert!(
            output.starts_with("patch rejected: it writes outside the writable roots"),
            "patch {index}: {output}"
        );
    }
    assert_eq!(
        std::fs::read(workspace.repo().join(".git/config")).unwrap(),
        config_before
    );
    for path in [
        ".git/hooks/post-checkout",
        ".git/hooks/pre-commit",
        ".duet",
        ".agents",
    ] {
        assert!(!workspace.repo().join(path).exists(), "{path} was written");
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn providers_without_custom_tools_get_a_json_function() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call(
                "p1",
                "apply_patch",
                &json!({"input": "*** Begin Patch\n*** Add File: f.txt\n+f\n*** End Patch"})
                    .to_string(),
            )]),
            sse_completed_turn(&[ev_assistant_message("m1", "ok")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock_provider(&base_url(&server), &[])
        .args(["--json", "-s", "workspace-write", "add"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    assert_eq!(
        workspace.files(),
        vec![("f.txt".to_string(), "f\n".to_string())]
    );
    let bodies = log.bodies();
    let tool = offered_apply_patch(&bodies[0]);
    assert_eq!(tool["type"], "function");
    assert_eq!(tool["parameters"]["required"], json!(["input"]));
    assert!(
        output_for(&bodies, "p1").ends_with("Success. Updated the following files:\nA f.txt\n")
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn apply_patch_typed_in_a_pipeline_runs_the_real_binary_from_path() {
    // Not a bare heredoc, so not intercepted: the shell finds `apply_patch`
    // on PATH (a link to duet) and the command applies the patch itself.
    let server = start_mock().await;
    let patch = "*** Begin Patch\n*** Add File: piped.txt\n+piped\n*** End Patch";
    let cmd = format!("printf '%s\\n' '{patch}' | apply_patch && echo applied");
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call(
                "c1",
                "exec_command",
                &json!({ "cmd": cmd, "login": false }).to_string(),
            )]),
            sse_completed_turn(&[ev_assistant_message("m1", "ok")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "danger-full-access", "pipe a patch"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    assert_eq!(
        workspace.files(),
        vec![("piped.txt".to_string(), "piped\n".to_string())]
    );
    let output = output_for(&log.bodies(), "c1");
    assert!(
        output.ends_with("Success. Updated the following files:\nA piped.txt\napplied\n"),
        "{output}"
    );
}
