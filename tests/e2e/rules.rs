//! `.rules` end to end: `duet exec` with rules in a real `$DUET_HOME` (and a
//! project's `.duet/rules`) against a mock model. A forbidden rule keeps a
//! command from running and tells the model why; a prompt rule cannot be
//! approved under exec; an allow rule runs the command in the sandbox; a
//! broken file stops duet before any request; a project's rules count only
//! when the project is trusted.

#![allow(clippy::disallowed_methods, clippy::print_stderr)]

use crate::common;

use common::{Outcome, Workspace, auto_backend, normalized_events};
use duet_test_support::responses_mock::{ResponsesLog, base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{ev_assistant_message, ev_function_call, sse_completed_turn};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::path::Path;

fn write(path: &Path, text: &str) {
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("mkdir");
    std::fs::write(path, text).expect("write");
}

/// `duet exec --json` (approval `never`, as always under exec) whose model
/// runs `cmd` once and then answers "done"; `sandbox` is the `-s` mode.
async fn run_one(workspace: &Workspace, sandbox: &str, cmd: &str) -> (Outcome, ResponsesLog) {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call(
                "call_1",
                "exec_command",
                &json!({ "cmd": cmd }).to_string(),
            )]),
            sse_completed_turn(&[ev_assistant_message("msg_2", "done")]),
        ],
    )
    .await;
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", sandbox, "run it"])
        .run()
        .await;
    (outcome, log)
}

/// The `output` of the `function_call_output` for `call_1` in the second
/// request.
fn tool_output(log: &ResponsesLog) -> String {
    let bodies = log.bodies();
    assert_eq!(bodies.len(), 2, "two requests");
    bodies[1]["input"]
        .as_array()
        .expect("input array")
        .iter()
        .find(|item| item["type"] == "function_call_output" && item["call_id"] == "call_1")
        .and_then(|item| item["output"].as_str())
        .expect("an output for call_1")
        .to_string()
}

/// The command item of a refused command, as `duet exec --json` prints it.
fn declined(command: &str) -> Value {
    json!({"type": "item.completed", "item": {
        "id": "item_0", "type": "command_execution", "command": command,
        "aggregated_output": "", "exit_code": null, "status": "declined"}})
}

fn repo_files(workspace: &Workspace) -> Vec<String> {
    workspace
        .files()
        .into_iter()
        .map(|(name, _)| name)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_forbidden_rule_rejects_the_command_with_its_justification() {
    let workspace = Workspace::new();
    write(
        &workspace.home().join("rules/team.rules"),
        "prefix_rule([\"touch\"], \"forbidden\", justification = \"create files with apply_patch\")\n",
    );
    let (outcome, log) = run_one(
        &workspace,
        "danger-full-access",
        "echo start && touch made.txt",
    )
    .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    assert_eq!(
        tool_output(&log),
        "`echo start && touch made.txt` rejected: create files with apply_patch"
    );
    let events = normalized_events(&outcome, &workspace);
    assert_eq!(
        events[2],
        declined("/bin/bash -lc 'echo start && touch made.txt'")
    );
    assert_eq!(repo_files(&workspace), Vec::<String>::new());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_prompt_rule_cannot_be_approved_under_exec() {
    let workspace = Workspace::new();
    write(
        &workspace.home().join("rules/team.rules"),
        "prefix_rule([\"touch\"], \"prompt\", justification = \"new files need review\")\n",
    );
    let (outcome, log) = run_one(&workspace, "danger-full-access", "touch made.txt").await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    assert_eq!(
        tool_output(&log),
        "`touch made.txt` requires approval by a rule (new files need review), but the approval \
         policy is `never`, so it was not run; do the task another way or ask the user to run it"
    );
    let events = normalized_events(&outcome, &workspace);
    assert_eq!(events[2], declined("/bin/bash -lc 'touch made.txt'"));
    assert_eq!(repo_files(&workspace), Vec::<String>::new());
}

/// An explicit `allow` rule skips the question, not the sandbox.
#[tokio::test(flavor = "multi_thread")]
async fn an_allow_rule_runs_the_command_inside_the_sandbox() {
    let workspace = Workspace::new();
    let Some(backend) = auto_backend(&workspace) else {
        return;
    };
    std::fs::create_dir(workspace.repo().join("src")).expect("mkdir src");
    write(
        &workspace.home().join("rules/team.rules"),
        "prefix_rule([\"touch\"], \"allow\")\n",
    );
    let (outcome, log) = run_one(
        &workspace,
        "workspace-write",
        "touch src/made.txt && echo $DUET_SANDBOX",
    )
    .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let (header, body) = common::split_exec_output(&tool_output(&log));
    assert_eq!(
        (
            header
                .lines()
                .find(|line| line.starts_with("Process exited")),
            body
        ),
        (Some("Process exited with code 0"), format!("{backend}\n"))
    );
    assert_eq!(repo_files(&workspace), vec!["src/made.txt".to_string()]);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_rules_file_stops_duet_before_any_request() {
    let workspace = Workspace::new();
    let good = workspace.home().join("rules/a.rules");
    let bad = workspace.home().join("rules/b.rules");
    write(&good, "prefix_rule([\"ls\"], \"allow\")\n");
    write(
        &bad,
        "prefix_rule(\n    pattern = [\"gh\", \"pr\"],\n    match = [\"gh issue list\"],\n)\n",
    );
    let (outcome, log) = run_one(&workspace, "danger-full-access", "touch made.txt").await;
    assert_eq!(
        (
            outcome.code,
            outcome.stdout.as_str(),
            outcome.stderr.as_str()
        ),
        (
            Some(1),
            "",
            format!(
                "Reading additional input from stdin...\n\
                 error: cannot start the session: `{}`:1:1: the `match` example `gh issue list` \
                 does not match the pattern [\"gh\", \"pr\"]; fix the rule or move the file out \
                 of the rules folder\n",
                bad.display()
            )
            .as_str()
        )
    );
    assert_eq!(log.bodies().len(), 0, "no request reached the model");
    assert_eq!(repo_files(&workspace), Vec::<String>::new());
}

/// A project's `.duet/rules` apply when config.toml trusts the project (the
/// git root of the cwd), and are ignored when it does not.
#[tokio::test(flavor = "multi_thread")]
async fn project_rules_count_only_in_a_trusted_project() {
    for (trust, expected_output, expected_files) in [
        (
            Some("trusted"),
            Some("`touch made.txt` rejected: blocked by policy"),
            vec![".duet/rules/project.rules"],
        ),
        (
            Some("untrusted"),
            None,
            vec![".duet/rules/project.rules", "sub/made.txt"],
        ),
        (
            None,
            None,
            vec![".duet/rules/project.rules", "sub/made.txt"],
        ),
    ] {
        let workspace = Workspace::new();
        write(
            &workspace.repo().join(".duet/rules/project.rules"),
            "prefix_rule([\"touch\"], \"forbidden\")\n",
        );
        std::fs::create_dir(workspace.repo().join("sub")).expect("mkdir sub");
        if let Some(level) = trust {
            write(
                &workspace.home().join("config.toml"),
                &format!(
                    "[projects.\"{}\"]\ntrust_level = \"{level}\"\n",
                    workspace.repo().display()
                ),
            );
        }
        // From a subfolder: the project is the repository's root.
        let server = start_mock().await;
        let log = mount_sse_sequence(
            &server,
            vec![
                sse_completed_turn(&[ev_function_call(
                    "call_1",
                    "exec_command",
                    &json!({ "cmd": "touch made.txt" }).to_string(),
                )]),
                sse_completed_turn(&[ev_assistant_message("msg_2", "done")]),
            ],
        )
        .await;
        let outcome = workspace
            .exec()
            .cwd(&workspace.repo().join("sub"))
            .mock(&base_url(&server))
            .args(["--json", "-s", "danger-full-access", "run it"])
            .run()
            .await;
        assert_eq!(outcome.code, Some(0), "{trust:?}: {}", outcome.describe());
        let output = tool_output(&log);
        let rejected = output.starts_with('`').then_some(output.as_str());
        assert_eq!(rejected, expected_output, "{trust:?}");
        assert_eq!(repo_files(&workspace), expected_files, "{trust:?}");
    }
}

/// Issue 16, item 7: a command the model sends with 5,000 nested `$(`
/// (15 KB) aborted `duet exec` with a stack overflow (exit 134, the turn
/// left running). It is unanalysable, so under `never` it runs confined
/// like any command the rules cannot judge, and the turn completes.
#[tokio::test(flavor = "multi_thread")]
async fn a_command_nested_thousands_deep_is_judged_not_a_crash() {
    let workspace = Workspace::new();
    let cmd = format!("echo {}x{}", "$(".repeat(5000), ")".repeat(5000));
    let (outcome, log) = run_one(&workspace, "read-only", &cmd).await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    assert_eq!(log.bodies().len(), 2, "the model heard back");
    let types: Vec<Value> = normalized_events(&outcome, &workspace)
        .iter()
        .map(|event| event["type"].clone())
        .collect();
    assert_eq!(types.last(), Some(&json!("turn.completed")));
}
