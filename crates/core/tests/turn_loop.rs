//! The turn loop against a mock Responses server: the order of parallel tool
//! outputs, broken streams that keep finished items, and interrupts that
//! leave a valid history behind.

#![allow(clippy::unwrap_used)] // test helpers, not library code

mod support;
use duet_core::{SessionHandle, SessionOptions, spawn_session};
use duet_protocol::{AbortReason, EventMsg, Op, Reconnecting, UserInput, UserTurn};
use duet_test_support::responses_mock::{ResponsesLog, base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{
    ev_assistant_message, ev_completed, ev_function_call, ev_response_created, sse,
    sse_completed_turn,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::time::Duration;
use support::{mock_config, until_turn_end};

struct Fixture {
    _home: tempfile::TempDir,
    workdir: tempfile::TempDir,
    session: SessionHandle,
    log: ResponsesLog,
    _server: wiremock::MockServer,
}

async fn start(responses: Vec<String>) -> Fixture {
    let server = start_mock().await;
    let log = mount_sse_sequence(&server, responses).await;
    let home = tempfile::tempdir().unwrap();
    let workdir = tempfile::tempdir().unwrap();
    let mut config = mock_config(home.path(), workdir.path(), base_url(&server));
    config.ephemeral = true;
    let session = spawn_session(
        config,
        SessionOptions {
            originator: "duet_test".to_string(),
            ..SessionOptions::default()
        },
    )
    .unwrap();
    Fixture {
        _home: home,
        workdir,
        session,
        log,
        _server: server,
    }
}

fn submit(session: &SessionHandle, text: &str) {
    session
        .submit(Op::UserTurn(UserTurn {
            items: vec![UserInput::Text {
                text: text.to_string(),
            }],
            output_schema: None,
        }))
        .unwrap();
}

/// The items of the last request after the opening context messages and
/// the user prompt, reduced to what these tests compare.
fn conversation(body: &Value) -> Vec<Value> {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["type"] != "message" || item["role"] == "assistant")
        .map(|item| match item["type"].as_str().unwrap() {
            "function_call" => json!({"call": item["call_id"]}),
            "function_call_output" => {
                let output = item["output"].as_str().unwrap();
                json!({"output": item["call_id"], "last_line": output.lines().last().unwrap_or("")})
            }
            _ => json!({"type": item["type"]}),
        })
        .collect()
}

fn args(cmd: &str) -> String {
    json!({ "cmd": cmd, "login": false }).to_string()
}

#[tokio::test(flavor = "multi_thread")]
async fn parallel_calls_run_together_and_answer_in_call_order() {
    let mut fixture = start(vec![
        sse_completed_turn(&[
            ev_function_call("slow", "exec_command", &args("sleep 0.4; echo slow")),
            ev_function_call("fast", "exec_command", &args("echo fast")),
        ]),
        sse_completed_turn(&[ev_assistant_message("m1", "done")]),
    ])
    .await;
    submit(&fixture.session, "go");
    let started = std::time::Instant::now();
    let events = until_turn_end(&mut fixture.session).await;
    assert!(matches!(events.last(), Some(EventMsg::TurnCompleted(_))));
    // Both ran at once: the turn took about one sleep, not two commands in a row plus it.
    assert!(started.elapsed() < Duration::from_secs(3));

    let bodies = fixture.log.bodies();
    assert_eq!(bodies.len(), 2);
    assert_eq!(
        conversation(&bodies[1]),
        vec![
            json!({"call": "slow"}),
            json!({"call": "fast"}),
            json!({"output": "slow", "last_line": "slow"}),
            json!({"output": "fast", "last_line": "fast"}),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_broken_stream_keeps_finished_calls_and_asks_again() {
    // The first stream ends after a finished call but before `response.completed`.
    let cut = sse(&[
        ev_response_created("r1"),
        ev_function_call("c1", "exec_command", &args("echo kept")),
    ]);
    let mut fixture = start(vec![
        cut,
        sse_completed_turn(&[ev_assistant_message("m1", "done")]),
    ])
    .await;
    submit(&fixture.session, "go");
    let events = until_turn_end(&mut fixture.session).await;

    let retries: Vec<&Reconnecting> = events
        .iter()
        .filter_map(|event| match event {
            EventMsg::Reconnecting(retry) => Some(retry),
            _ => None,
        })
        .collect();
    assert_eq!(retries.len(), 1, "one reconnect notice: {events:?}");
    assert_eq!((retries[0].attempt, retries[0].max_attempts), (1, 5));
    assert!(
        retries[0]
            .reason
            .starts_with("stream disconnected before completion"),
        "{}",
        retries[0].reason
    );
    assert!(
        !events
            .iter()
            .any(|event| matches!(event, EventMsg::Error { .. }))
    );
    assert!(matches!(events.last(), Some(EventMsg::TurnCompleted(_))));

    let bodies = fixture.log.bodies();
    assert_eq!(
        conversation(&bodies[1]),
        vec![
            json!({"call": "c1"}),
            json!({"output": "c1", "last_line": "kept"})
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_interrupt_kills_the_command_and_the_next_turn_sees_a_valid_history() {
    let mut fixture = start(vec![
        sse_completed_turn(&[ev_function_call(
            "long",
            "exec_command",
            &args("echo $$ > pid; sleep 30"),
        )]),
        sse_completed_turn(&[ev_assistant_message("m2", "after")]),
    ])
    .await;
    submit(&fixture.session, "start something long");
    let pid_file = fixture.workdir.path().join("pid");
    for _ in 0..200 {
        if std::fs::read_to_string(&pid_file).is_ok_and(|text| text.ends_with('\n')) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap()
        .trim()
        .parse()
        .unwrap();
    fixture.session.submit(Op::Interrupt).unwrap();
    let events = until_turn_end(&mut fixture.session).await;
    assert_eq!(
        events.last(),
        Some(&EventMsg::TurnAborted {
            reason: AbortReason::Interrupted
        })
    );
    assert!(
        dead_within(pid, Duration::from_secs(2)).await,
        "the interrupted command is still running"
    );

    submit(&fixture.session, "next");
    let events = until_turn_end(&mut fixture.session).await;
    assert!(matches!(events.last(), Some(EventMsg::TurnCompleted(_))));
    let bodies = fixture.log.bodies();
    let input = bodies[1]["input"].as_array().unwrap();
    let tail: Vec<Value> = input[input.len() - 4..].to_vec();
    assert_eq!(tail[0]["type"], "function_call");
    assert_eq!(
        tail[1],
        json!({"type": "function_call_output", "call_id": "long", "output": "aborted"})
    );
    assert_eq!(
        tail[2]["content"][0]["text"]
            .as_str()
            .unwrap()
            .starts_with("<turn_aborted>"),
        true
    );
    assert_eq!(tail[3]["content"][0]["text"], "next");
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_ends_the_session_with_shutdown_complete() {
    let mut fixture = start(vec![sse_completed_turn(&[ev_completed("unused")])]).await;
    fixture.session.submit(Op::Shutdown).unwrap();
    let mut saw = Vec::new();
    while let Some(event) =
        tokio::time::timeout(Duration::from_secs(5), fixture.session.next_event())
            .await
            .unwrap()
    {
        saw.push(event.msg);
    }
    assert!(matches!(saw.first(), Some(EventMsg::ThreadStarted(_))));
    assert_eq!(saw.last(), Some(&EventMsg::ShutdownComplete));
    assert!(fixture.log.bodies().is_empty());
}

/// Whether `pid` is gone or a zombie (killed, waiting to be reaped) in time.
async fn dead_within(pid: i32, limit: Duration) -> bool {
    let deadline = std::time::Instant::now() + limit;
    loop {
        match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
            Err(_) => return true,
            // The state is the field after the parenthesised command name.
            Ok(stat)
                if stat
                    .rsplit(") ")
                    .next()
                    .is_some_and(|rest| rest.starts_with('Z')) =>
            {
                return true;
            }
            Ok(_) if std::time::Instant::now() > deadline => return false,
            Ok(_) => tokio::time::sleep(Duration::from_millis(20)).await,
        }
    }
}

/// Issue 16, item 10: a `workdir` that does not exist and a command over
/// 128 KiB (`E2BIG`) failed the whole turn. Each is a tool error the model
/// reads, and the turn goes on to its answer.
#[tokio::test(flavor = "multi_thread")]
async fn commands_that_cannot_start_are_tool_errors_not_failed_turns() {
    let long = format!("echo {}", "x".repeat(200 * 1024));
    let mut fixture = start(vec![
        sse_completed_turn(&[
            ev_function_call(
                "missing_dir",
                "exec_command",
                &json!({"cmd": "pwd", "workdir": "no/such/dir", "login": false}).to_string(),
            ),
            ev_function_call("too_long", "exec_command", &args(&long)),
        ]),
        sse_completed_turn(&[ev_assistant_message("m1", "done")]),
    ])
    .await;
    submit(&fixture.session, "go");
    let events = until_turn_end(&mut fixture.session).await;
    assert!(
        matches!(events.last(), Some(EventMsg::TurnCompleted(_))),
        "{events:?}"
    );
    let bodies = fixture.log.bodies();
    assert_eq!(bodies.len(), 2);
    let output = |call_id: &str| -> String {
        bodies[1]["input"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["type"] == "function_call_output" && item["call_id"] == call_id)
            .and_then(|item| item["output"].as_str())
            .unwrap()
            .to_string()
    };
    let missing = output("missing_dir");
    assert!(
        missing.contains("no/such/dir") && missing.contains("No such file or directory"),
        "{missing}"
    );
    let too_long = output("too_long");
    assert!(
        too_long.contains("the command is too long to start"),
        "{too_long}"
    );
}
