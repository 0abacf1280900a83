//! Approvals under `untrusted` through a real session: which commands are
//! asked about, what the request offers to save, and what each answer does
//! (run, decline, remember for the session, save a rule to
//! `$DUET_HOME/rules/default.rules`).

#![allow(clippy::unwrap_used)] // test helpers, not library code

use duet_core::config::Config;
use duet_core::{SessionHandle, SessionOptions, spawn_session};
use duet_model::ProviderInfo;
use duet_protocol::{
    ApprovalPolicy, CommandStatus, EventMsg, ItemDetails, Op, ReviewDecision, SandboxMode,
    UserInput, UserTurn,
};
use duet_test_support::responses_mock::{ResponsesLog, base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{ev_assistant_message, ev_function_call, sse_completed_turn};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

struct Fixture {
    home: tempfile::TempDir,
    workdir: tempfile::TempDir,
    session: SessionHandle,
    log: ResponsesLog,
    _server: wiremock::MockServer,
}

/// A session under `untrusted` (no sandbox, so the test does not depend on
/// this host's backends) whose model answers with `responses` in turn.
async fn start(responses: Vec<String>) -> Fixture {
    let server = start_mock().await;
    let log = mount_sse_sequence(&server, responses).await;
    let home = tempfile::tempdir().unwrap();
    let workdir = tempfile::tempdir().unwrap();
    let mut config = Config::defaults(
        home.path().to_path_buf(),
        workdir.path().canonicalize().unwrap(),
    );
    let mut provider = ProviderInfo::openai(Some(base_url(&server)));
    provider.env_key = None;
    config.model_provider = provider;
    config.sandbox_mode = SandboxMode::DangerFullAccess;
    config.approval_policy = ApprovalPolicy::Untrusted;
    config.ephemeral = true;
    let session = spawn_session(config, SessionOptions::default()).unwrap();
    session
        .submit(Op::UserTurn(UserTurn {
            items: vec![UserInput::Text {
                text: "go".to_string(),
            }],
            output_schema: None,
        }))
        .unwrap();
    Fixture {
        home,
        workdir,
        session,
        log,
        _server: server,
    }
}

fn call(call_id: &str, cmd: &str) -> String {
    sse_completed_turn(&[ev_function_call(
        call_id,
        "exec_command",
        &json!({ "cmd": cmd, "login": false }).to_string(),
    )])
}

/// What the turn showed: each approval request as (command, proposed
/// rule), answered in order with `answers`, and the declined commands.
struct Seen {
    asked: Vec<(String, Option<Vec<String>>)>,
    declined: Vec<String>,
}

async fn run_turn(session: &mut SessionHandle, answers: &[ReviewDecision]) -> Seen {
    let mut answers = answers.iter();
    let mut seen = Seen {
        asked: Vec::new(),
        declined: Vec::new(),
    };
    loop {
        let event = tokio::time::timeout(Duration::from_secs(20), session.next_event())
            .await
            .expect("the turn ended in time")
            .expect("the session is alive");
        match event.msg {
            EventMsg::ExecApprovalRequest(request) => {
                seen.asked
                    .push((request.command.clone(), request.proposed_rule.clone()));
                let decision = *answers.next().expect("an answer for every request");
                session
                    .submit(Op::ExecApproval {
                        call_id: request.call_id,
                        decision,
                    })
                    .unwrap();
            }
            EventMsg::ItemCompleted { item } => {
                if let ItemDetails::CommandExecution {
                    command, status, ..
                } = item.details
                    && status == CommandStatus::Declined
                {
                    seen.declined.push(command);
                }
            }
            EventMsg::TurnCompleted(_) => return seen,
            EventMsg::TurnFailed { error } => panic!("turn failed: {}", error.message),
            _ => {}
        }
    }
}

/// Each tool output of the last request: (call id, its last line).
fn outputs(body: &Value) -> Vec<(String, String)> {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["type"] == "function_call_output")
        .map(|item| {
            let output = item["output"].as_str().unwrap();
            (
                item["call_id"].as_str().unwrap().to_string(),
                output.lines().last().unwrap_or("").to_string(),
            )
        })
        .collect()
}

fn shell(cmd: &str) -> String {
    format!("/bin/bash -c '{cmd}'")
}

fn files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

/// Known-safe commands run without a question; anything else waits for
/// the user. "For the session" saves nothing to disk.
#[tokio::test(flavor = "multi_thread")]
async fn untrusted_asks_about_all_but_known_safe_commands() {
    let mut fixture = start(vec![
        call("safe", "ls -a | grep -c . && echo listed"),
        call("yes", "touch yes.txt && echo ran"),
        call("no", "touch no.txt && echo never"),
        sse_completed_turn(&[ev_assistant_message("m1", "done")]),
    ])
    .await;
    let seen = run_turn(
        &mut fixture.session,
        &[ReviewDecision::ApprovedForSession, ReviewDecision::Denied],
    )
    .await;
    assert_eq!(
        seen.asked,
        vec![
            (
                shell("touch yes.txt && echo ran"),
                Some(vec!["touch".into()])
            ),
            (
                shell("touch no.txt && echo never"),
                Some(vec!["touch".into()])
            ),
        ]
    );
    assert_eq!(seen.declined, vec![shell("touch no.txt && echo never")]);
    assert_eq!(
        outputs(&fixture.log.bodies()[3]),
        [
            ("safe", "listed"),
            ("yes", "ran"),
            ("no", "the user declined to run this command"),
        ]
        .map(|(id, line)| (id.to_string(), line.to_string()))
    );
    assert_eq!(files(fixture.workdir.path()), vec!["yes.txt"]);
    assert!(!fixture.home.path().join("rules").exists());
}

/// "Approve and save the rule" appends the proposed prefix to
/// default.rules and applies it at once: the next `touch` runs unasked.
#[tokio::test(flavor = "multi_thread")]
async fn always_allow_saves_the_rule_and_stops_asking() {
    let mut fixture = start(vec![
        call("first", "touch made.txt && echo first"),
        call("again", "touch made.txt && echo again"),
        call("other", "touch other.txt && echo other"),
        sse_completed_turn(&[ev_assistant_message("m1", "done")]),
    ])
    .await;
    let seen = run_turn(&mut fixture.session, &[ReviewDecision::ApprovedAndSaveRule]).await;
    assert_eq!(
        seen.asked,
        vec![(
            shell("touch made.txt && echo first"),
            Some(vec!["touch".into()])
        )]
    );
    assert_eq!(seen.declined, Vec::<String>::new());
    assert_eq!(
        std::fs::read_to_string(fixture.home.path().join("rules/default.rules")).unwrap(),
        "prefix_rule(pattern=[\"touch\"], decision=\"allow\")\n"
    );
    assert_eq!(files(fixture.workdir.path()), vec!["made.txt", "other.txt"]);
    assert_eq!(
        outputs(&fixture.log.bodies()[3]),
        [("first", "first"), ("again", "again"), ("other", "other")]
            .map(|(id, line)| (id.to_string(), line.to_string()))
    );
}
