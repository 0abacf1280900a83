//! The session saves each history item as it completes: a turn still
//! running already has its finished items in the store, and the facade in
//! `duet_core::sessions` reads, searches and forks them.

#![allow(clippy::unwrap_used)] // test helpers, not library code

mod support;
use duet_core::sessions::{SearchOptions, Sessions, TurnStatus};
use duet_core::{SessionOptions, spawn_session};
use duet_protocol::{ItemDetails, Op, UserInput, UserTurn};
use duet_test_support::responses_mock::{base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{ev_assistant_message, ev_function_call, sse_completed_turn};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::time::{Duration, Instant};
use support::{mock_config, shutdown, until_turn_end};

fn shape(items: &[Value]) -> Vec<(String, String)> {
    items
        .iter()
        .map(|item| {
            let kind = item["type"].as_str().unwrap_or("").to_string();
            let detail = item["role"]
                .as_str()
                .or(item["call_id"].as_str())
                .unwrap_or("")
                .to_string();
            (kind, detail)
        })
        .filter(|(kind, role)| !(kind == "message" && role == "developer"))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn completed_items_are_stored_before_the_turn_ends() {
    let server = start_mock().await;
    let _log = mount_sse_sequence(
        &server,
        vec![sse_completed_turn(&[
            ev_assistant_message("m1", "Looking at the giraffe first."),
            ev_function_call(
                "long",
                "exec_command",
                &json!({"cmd": "echo $$ > pid; sleep 30", "login": false}).to_string(),
            ),
        ])],
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let workdir = tempfile::tempdir().unwrap();
    let config = mock_config(home.path(), workdir.path(), base_url(&server));
    let mut session = spawn_session(config, SessionOptions::default()).unwrap();
    let thread_id = session.thread_id().to_string();
    session
        .submit(Op::UserTurn(UserTurn {
            items: vec![UserInput::Text {
                text: "find the giraffe".to_string(),
            }],
            output_schema: None,
        }))
        .unwrap();

    // The command runs (and would for 30 s): the turn is not over.
    let pid_file = workdir.path().join("pid");
    let deadline = Instant::now() + Duration::from_secs(20);
    while !pid_file.exists() {
        assert!(Instant::now() < deadline, "the command never started");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let sessions = Sessions::open_home(home.path()).unwrap();
    // The writer thread commits moments after the items are handed over.
    let mut transcript = sessions.show(&thread_id).unwrap();
    while transcript.turns[0].display.len() < 2 || transcript.turns[0].items.len() < 3 {
        assert!(
            Instant::now() < deadline,
            "the items never reached the store"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
        transcript = sessions.show(&thread_id).unwrap();
    }
    let turn = &transcript.turns[0];
    assert_eq!(turn.record.as_ref().unwrap().status, TurnStatus::Running);
    let after_context: Vec<Value> = turn
        .items
        .iter()
        .skip_while(|item| item["content"][0]["text"] != "find the giraffe")
        .cloned()
        .collect();
    assert_eq!(
        shape(&after_context),
        vec![
            ("message".to_string(), "user".to_string()),
            ("message".to_string(), "assistant".to_string()),
            ("function_call".to_string(), "long".to_string()),
        ]
    );
    let shown: Vec<ItemDetails> = turn
        .display
        .iter()
        .map(|item| item.details.clone())
        .collect();
    assert_eq!(
        shown[..2].to_vec(),
        vec![
            ItemDetails::UserMessage {
                text: "find the giraffe".to_string()
            },
            ItemDetails::AgentMessage {
                text: "Looking at the giraffe first.".to_string()
            },
        ]
    );
    let hits = sessions
        .search("giraffe", &SearchOptions::default())
        .unwrap();
    assert_eq!(
        hits.iter()
            .map(|hit| hit.thread.id.as_str())
            .collect::<Vec<_>>(),
        vec![thread_id.as_str()]
    );

    // Interrupted and shut down: the turn says so, the call has its output.
    session.submit(Op::Interrupt).unwrap();
    until_turn_end(&mut session).await;
    shutdown(session).await;
    let transcript = sessions.show(&thread_id).unwrap();
    let turn = &transcript.turns[0];
    assert_eq!(
        turn.record.as_ref().unwrap().status,
        TurnStatus::Interrupted
    );
    assert_eq!(
        shape(&turn.items[turn.items.len() - 2..]),
        vec![
            ("function_call_output".to_string(), "long".to_string()),
            ("message".to_string(), "user".to_string()),
        ]
    );
    // For drawing, the same turns and displayed items, without reading the
    // history (every turn has displayed items).
    let for_display = sessions.show_for_display(&thread_id).unwrap();
    assert_eq!(
        (
            for_display.turns[0].display.clone(),
            for_display.turns[0].items.len()
        ),
        (turn.display.clone(), 0)
    );

    // A fork at turn 1 has the same history and continues under its own id.
    let fork = sessions.fork(&thread_id, Some(1)).unwrap();
    assert_eq!(fork.parent_thread_id.as_deref(), Some(thread_id.as_str()));
    assert_eq!(sessions.show(&fork.id).unwrap().turns[0].items, turn.items);
}
