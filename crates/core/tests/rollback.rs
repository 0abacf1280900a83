//! `Op::Rollback` and `Op::RunUserShellCommand`: a rewound thread sends
//! (and, resumed, keeps sending) the history without the dropped turns;
//! a command the user ran reaches the next request as a user message.

#![allow(clippy::unwrap_used)] // test helpers, not library code

mod support;
use duet_core::{ResumeTarget, SessionHandle, SessionOptions, spawn_session};
use duet_protocol::{CommandStatus, EventMsg, ItemDetails, Op, UserInput, UserTurn};
use duet_test_support::responses_mock::{base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{ev_assistant_message, sse_completed_turn};
use pretty_assertions::assert_eq;
use serde_json::Value;
use support::{mock_config, next_event, shutdown};

/// Events until the turn (or the op) is answered.
async fn until_done(session: &mut SessionHandle) -> Vec<EventMsg> {
    let mut events = Vec::new();
    loop {
        let msg = next_event(session).await;
        let done = matches!(
            msg,
            EventMsg::TurnCompleted(_)
                | EventMsg::TurnFailed { .. }
                | EventMsg::TurnAborted { .. }
                | EventMsg::ThreadRolledBack { .. }
                | EventMsg::Error { .. }
        );
        events.push(msg);
        if done {
            return events;
        }
    }
}

async fn say(session: &mut SessionHandle, text: &str) {
    session
        .submit(Op::UserTurn(UserTurn {
            items: vec![UserInput::Text {
                text: text.to_string(),
            }],
            output_schema: None,
        }))
        .unwrap();
    until_done(session).await;
}

/// The user messages of a request body, context messages left out.
fn user_texts(body: &Value) -> Vec<String> {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["role"] == "user")
        .filter_map(|item| item["content"][0]["text"].as_str())
        .filter(|text| {
            !text.starts_with("<environment_context>") && !text.starts_with("# AGENTS.md")
        })
        .map(str::to_string)
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rollback_drops_the_turns_and_a_resumed_session_stays_rewound() {
    let server = start_mock().await;
    let answer = |text: &str| sse_completed_turn(&[ev_assistant_message("m", text)]);
    let log = mount_sse_sequence(
        &server,
        vec![
            answer("one"),
            answer("two"),
            answer("three"),
            answer("four"),
            answer("five"),
        ],
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let workdir = tempfile::tempdir().unwrap();
    let config = mock_config(home.path(), workdir.path(), base_url(&server));
    let mut session = spawn_session(config.clone(), SessionOptions::default()).unwrap();
    let thread_id = session.thread_id().to_string();
    say(&mut session, "first").await;
    say(&mut session, "second").await;

    session.submit(Op::Rollback { num_turns: 3 }).unwrap();
    assert_eq!(
        until_done(&mut session).await.last(),
        Some(&EventMsg::Error {
            message: "cannot rewind 3 turns: the session has 2; pick one of its prompts"
                .to_string()
        })
    );
    session.submit(Op::Rollback { num_turns: 1 }).unwrap();
    assert_eq!(
        until_done(&mut session).await,
        vec![EventMsg::ThreadRolledBack { num_turns: 1 }]
    );
    say(&mut session, "third").await;
    shutdown(session).await;

    let resume = SessionOptions {
        resume: Some(ResumeTarget::Thread(thread_id)),
        ..SessionOptions::default()
    };
    let mut resumed = spawn_session(config.clone(), resume.clone()).unwrap();
    say(&mut resumed, "fourth").await;
    // Rolling back past the resume point works on the stored turns too,
    // and the next resume starts from the rewound thread.
    resumed.submit(Op::Rollback { num_turns: 2 }).unwrap();
    assert_eq!(
        until_done(&mut resumed).await,
        vec![EventMsg::ThreadRolledBack { num_turns: 2 }]
    );
    shutdown(resumed).await;
    let mut again = spawn_session(config, resume).unwrap();
    say(&mut again, "fifth").await;
    shutdown(again).await;

    let bodies = log.bodies();
    let users: Vec<Vec<String>> = bodies.iter().map(user_texts).collect();
    assert_eq!(
        users,
        vec![
            vec!["first".to_string()],
            vec!["first".to_string(), "second".to_string()],
            vec!["first".to_string(), "third".to_string()],
            vec![
                "first".to_string(),
                "third".to_string(),
                "fourth".to_string()
            ],
            vec!["first".to_string(), "fifth".to_string()],
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_user_shell_command_is_shown_and_reaches_the_next_request() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![sse_completed_turn(&[ev_assistant_message("m", "seen")])],
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let workdir = tempfile::tempdir().unwrap();
    std::fs::write(workdir.path().join("notes.txt"), "giraffe\n").unwrap();
    let config = mock_config(home.path(), workdir.path(), base_url(&server));
    let mut session = spawn_session(config, SessionOptions::default()).unwrap();
    session
        .submit(Op::RunUserShellCommand {
            command: "cat notes.txt".to_string(),
        })
        .unwrap();
    let events = until_done(&mut session).await;
    let commands: Vec<(String, String, Option<i32>, CommandStatus)> = events
        .iter()
        .filter_map(|msg| match msg {
            EventMsg::ItemCompleted { item } => match &item.details {
                ItemDetails::CommandExecution {
                    command,
                    aggregated_output,
                    exit_code,
                    status,
                } => Some((
                    command.clone(),
                    aggregated_output.clone(),
                    *exit_code,
                    *status,
                )),
                _ => None,
            },
            _ => None,
        })
        .collect();
    let shell = if std::path::Path::new("/bin/bash").exists() {
        "/bin/bash"
    } else {
        "/bin/sh"
    };
    assert_eq!(
        commands,
        vec![(
            format!("{shell} -lc 'cat notes.txt'"),
            "giraffe\n".to_string(),
            Some(0),
            CommandStatus::Completed
        )]
    );
    assert!(matches!(events.last(), Some(EventMsg::TurnCompleted(_))));
    say(&mut session, "what did it print?").await;
    shutdown(session).await;

    let users = user_texts(&log.bodies()[0]);
    assert_eq!(users.len(), 2);
    let ran = users[0].replace(|c: char| c.is_ascii_digit(), "N");
    assert_eq!(
        (ran.as_str(), users[1].as_str()),
        (
            "<user_shell_command>\n<command>\ncat notes.txt\n</command>\n<result>\nExit code: N\n\
             Duration: N.NNNN seconds\nOutput:\ngiraffe\n\n</result>\n</user_shell_command>",
            "what did it print?"
        )
    );
}
