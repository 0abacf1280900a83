//! Compaction: `Op::Compact` asks the model for a summary with duet's
//! compaction prompt; the next request carries the summary and the recent
//! prompts instead of the old history; a resumed thread starts from the
//! compacted history; `model_auto_compact_token_limit` compacts by itself.
//! Also `Op::OverrideTurnContext`: the next request uses the new model.

#![allow(clippy::unwrap_used)] // test helpers, not library code

mod support;
use duet_core::{ResumeTarget, SessionOptions, spawn_session};
use duet_protocol::{
    EventMsg, Op, ReasoningEffort, Reconnecting, TurnOverrides, UserInput, UserTurn,
};
use duet_test_support::responses_mock::{
    base_url, mount_response_sequence, mount_sse_sequence, sse_response, start_mock,
};
use duet_test_support::sse::{
    ev_assistant_message, ev_completed_with_usage, ev_custom_tool_call, ev_function_call,
    ev_response_created, sse, sse_completed_turn,
};
use pretty_assertions::assert_eq;
use serde_json::Value;
use support::{mock_config, shutdown, until_turn_end};

const SUMMARY: &str = "The user wants the parser fixed; the parser is fixed.";

fn turn(text: &str) -> Op {
    Op::UserTurn(UserTurn {
        items: vec![UserInput::Text { text: text.into() }],
        output_schema: None,
    })
}

/// The texts of the user and assistant messages of a request's input,
/// after the opening context (developer messages and the environment).
fn conversation(body: &Value) -> Vec<String> {
    body["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|item| item["type"] == "message" && item["role"] != "developer")
        .map(|item| {
            let text = item["content"][0]["text"].as_str().unwrap_or_default();
            format!("{}: {}", item["role"].as_str().unwrap(), text)
        })
        .filter(|line| !line.starts_with("user: <environment_context>"))
        .collect()
}

fn summary_message() -> String {
    format!(
        "user: Earlier turns of this conversation were compacted to free the context window. \
         This is the summary you wrote of them; the user's recent messages are above it.\n\n\
         <summary>\n{SUMMARY}\n</summary>"
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn compact_replaces_the_history_and_a_resume_starts_from_it() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_assistant_message("m1", "Fixed the parser.")]),
            sse_completed_turn(&[ev_assistant_message("m2", SUMMARY)]),
            sse_completed_turn(&[ev_assistant_message("m3", "Tests pass.")]),
            sse_completed_turn(&[ev_assistant_message("m4", "Done.")]),
        ],
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let workdir = tempfile::tempdir().unwrap();
    let config = mock_config(home.path(), workdir.path(), base_url(&server));
    let mut session = spawn_session(config.clone(), SessionOptions::default()).unwrap();
    let thread_id = session.thread_id().to_string();

    session.submit(turn("fix the parser")).unwrap();
    until_turn_end(&mut session).await;
    session.submit(Op::Compact).unwrap();
    let compact_events = until_turn_end(&mut session).await;
    session.submit(turn("now run the tests")).unwrap();
    until_turn_end(&mut session).await;
    shutdown(session).await;

    let mut resumed = spawn_session(
        config,
        SessionOptions {
            resume: Some(ResumeTarget::Thread(thread_id)),
            ..SessionOptions::default()
        },
    )
    .unwrap();
    resumed.submit(turn("and commit")).unwrap();
    until_turn_end(&mut resumed).await;
    shutdown(resumed).await;

    assert_eq!(
        compact_events
            .iter()
            .filter(|msg| !matches!(msg, EventMsg::TokenCount(_)))
            .map(|msg| serde_json::to_value(msg).unwrap()["type"].clone())
            .collect::<Vec<_>>(),
        [
            "turn_started",
            "item_completed",
            "context_compacted",
            "turn_completed"
        ]
        .map(Value::from)
        .to_vec()
    );
    let bodies = log.bodies();
    let compaction_request = &bodies[1];
    assert_eq!(compaction_request["tools"], Value::Null);
    let compaction_conversation = conversation(compaction_request);
    assert_eq!(
        compaction_conversation[..2].to_vec(),
        ["user: fix the parser", "assistant: Fixed the parser."]
    );
    assert!(
        compaction_conversation[2].starts_with(
            "user: Your context window is about to be replaced by a checkpoint that you write now;"
        ),
        "{compaction_conversation:?}"
    );
    assert_eq!(
        conversation(&bodies[2]),
        [
            "user: fix the parser".to_string(),
            summary_message(),
            "user: now run the tests".to_string(),
        ]
    );
    // After a resume: the compacted history, the turn after it, the new prompt.
    assert_eq!(
        conversation(&bodies[3]),
        [
            "user: fix the parser".to_string(),
            summary_message(),
            "user: now run the tests".to_string(),
            "assistant: Tests pass.".to_string(),
            "user: and commit".to_string(),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_retried_compaction_request_says_so_like_a_turn_does() {
    let server = start_mock().await;
    let busy = wiremock::ResponseTemplate::new(503)
        .insert_header("retry-after-ms", "10")
        .set_body_raw(r#"{"error":{"message":"overloaded"}}"#, "application/json");
    let log = mount_response_sequence(
        &server,
        vec![
            sse_response(sse_completed_turn(&[ev_assistant_message("m1", "Fixed.")])),
            busy,
            sse_response(sse_completed_turn(&[ev_assistant_message("m2", SUMMARY)])),
        ],
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let workdir = tempfile::tempdir().unwrap();
    let config = mock_config(home.path(), workdir.path(), base_url(&server));
    let mut session = spawn_session(config, SessionOptions::default()).unwrap();
    session.submit(turn("fix the parser")).unwrap();
    until_turn_end(&mut session).await;
    session.submit(Op::Compact).unwrap();
    let events = until_turn_end(&mut session).await;
    shutdown(session).await;

    let retries: Vec<&Reconnecting> = events
        .iter()
        .filter_map(|event| match event {
            EventMsg::Reconnecting(retry) => Some(retry),
            _ => None,
        })
        .collect();
    assert_eq!(retries.len(), 1, "{events:?}");
    assert_eq!(
        (retries[0].attempt, retries[0].delay_ms),
        (1, 10),
        "{:?}",
        retries[0]
    );
    assert!(
        matches!(events.last(), Some(EventMsg::TurnCompleted(_))),
        "{events:?}"
    );
    assert!(events.contains(&EventMsg::ContextCompacted), "{events:?}");
    assert_eq!(log.requests().len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_token_limit_compacts_before_the_next_request_and_overrides_apply() {
    let server = start_mock().await;
    let big_turn = sse(&[
        ev_response_created("resp_1"),
        ev_assistant_message("m1", "Read everything."),
        ev_completed_with_usage("resp_1", 9_000, 0, 2_000, 0),
    ]);
    let log = mount_sse_sequence(
        &server,
        vec![
            big_turn,
            sse_completed_turn(&[ev_assistant_message("m2", SUMMARY)]),
            sse_completed_turn(&[ev_assistant_message("m3", "Next.")]),
            sse_completed_turn(&[ev_assistant_message("m4", "Done.")]),
        ],
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let workdir = tempfile::tempdir().unwrap();
    let mut config = mock_config(home.path(), workdir.path(), base_url(&server));
    config.model_auto_compact_token_limit = Some(10_000);
    let mut session = spawn_session(config, SessionOptions::default()).unwrap();

    session.submit(turn("read the code")).unwrap();
    until_turn_end(&mut session).await;
    session
        .submit(Op::OverrideTurnContext(TurnOverrides {
            model: Some("gpt-5.4-mini".into()),
            reasoning_effort: Some(ReasoningEffort::Low),
            ..TurnOverrides::default()
        }))
        .unwrap();
    session.submit(turn("what next")).unwrap();
    let events = until_turn_end(&mut session).await;
    // Back to the model's own effort: none is sent, the model stays.
    session
        .submit(Op::OverrideTurnContext(TurnOverrides {
            default_reasoning_effort: true,
            ..TurnOverrides::default()
        }))
        .unwrap();
    session.submit(turn("and now")).unwrap();
    until_turn_end(&mut session).await;
    shutdown(session).await;

    assert!(events.contains(&EventMsg::ContextCompacted), "{events:?}");
    let bodies = log.bodies();
    assert_eq!(
        (
            bodies[1]["model"].clone(),
            conversation(&bodies[1]).last().unwrap()[..29].to_string()
        ),
        (
            Value::from("gpt-5.4-mini"),
            "user: Your context window is ".to_string()
        )
    );
    assert_eq!(
        (
            bodies[2]["model"].clone(),
            bodies[2]["reasoning"]["effort"].clone(),
            conversation(&bodies[2])
        ),
        (
            Value::from("gpt-5.4-mini"),
            Value::from("low"),
            vec![
                "user: read the code".to_string(),
                "user: what next".to_string(),
                summary_message(),
            ]
        )
    );
    assert_eq!(
        (
            bodies[3]["model"].clone(),
            bodies[3]["reasoning"].get("effort").cloned()
        ),
        (Value::from("gpt-5.4-mini"), None)
    );
}

/// With no `model_auto_compact_token_limit`, a thread compacts once the
/// last response used 90% of the model's window (the catalogue's 272,000
/// for the default model: from 244,800 tokens); `0` turns it off.
#[tokio::test(flavor = "multi_thread")]
async fn by_default_a_full_window_compacts_and_zero_turns_it_off() {
    for (limit, requests) in [(None, 4), (Some(0), 3)] {
        let server = start_mock().await;
        let nearly_full = sse(&[
            ev_response_created("resp_1"),
            ev_assistant_message("m1", "Read everything."),
            ev_completed_with_usage("resp_1", 240_000, 0, 4_800, 0),
        ]);
        let log = mount_sse_sequence(
            &server,
            vec![
                nearly_full,
                sse_completed_turn(&[ev_assistant_message("m2", SUMMARY)]),
                sse_completed_turn(&[ev_assistant_message("m3", "Next.")]),
                sse_completed_turn(&[ev_assistant_message("m4", "Spare.")]),
            ],
        )
        .await;
        let home = tempfile::tempdir().unwrap();
        let workdir = tempfile::tempdir().unwrap();
        let mut config = mock_config(home.path(), workdir.path(), base_url(&server));
        config.model_auto_compact_token_limit = limit;
        assert_eq!(config.context_window(), Some(272_000));
        let mut session = spawn_session(config, SessionOptions::default()).unwrap();
        session.submit(turn("read the code")).unwrap();
        until_turn_end(&mut session).await;
        session.submit(turn("what next")).unwrap();
        let events = until_turn_end(&mut session).await;
        session.submit(turn("and then")).unwrap();
        until_turn_end(&mut session).await;
        shutdown(session).await;
        assert_eq!(
            events.contains(&EventMsg::ContextCompacted),
            limit.is_none(),
            "{limit:?}: {events:?}"
        );
        assert_eq!(log.bodies().len(), requests, "{limit:?}");
    }
}

/// No response has said how full a resumed thread's context is: duet
/// estimates it from the history's length, shows it before the first
/// prompt, and compacts before the first request when it is over the limit.
#[tokio::test(flavor = "multi_thread")]
async fn a_resumed_thread_over_the_limit_compacts_before_its_first_request() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_assistant_message("m1", &"Read it all. ".repeat(2_000))]),
            sse_completed_turn(&[ev_assistant_message("m2", SUMMARY)]),
            sse_completed_turn(&[ev_assistant_message("m3", "Next.")]),
        ],
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let workdir = tempfile::tempdir().unwrap();
    let mut config = mock_config(home.path(), workdir.path(), base_url(&server));
    let mut session = spawn_session(config.clone(), SessionOptions::default()).unwrap();
    let thread_id = session.thread_id().to_string();
    let fresh = opening_count(&mut session).await;
    assert_eq!(
        (
            fresh.context_tokens,
            fresh.context_window,
            fresh.context_left_percent()
        ),
        (0, 272_000, 100)
    );
    session.submit(turn("read the code")).unwrap();
    until_turn_end(&mut session).await;
    shutdown(session).await;

    // 2,000 sentences of 13 characters: over 6,500 tokens by the estimate.
    config.model_auto_compact_token_limit = Some(6_000);
    let mut resumed = spawn_session(
        config,
        SessionOptions {
            resume: Some(ResumeTarget::Thread(thread_id)),
            ..SessionOptions::default()
        },
    )
    .unwrap();
    let estimated = opening_count(&mut resumed).await;
    assert!(
        (6_500..9_000).contains(&estimated.context_tokens),
        "{estimated:?}"
    );
    resumed.submit(turn("what next")).unwrap();
    let events = until_turn_end(&mut resumed).await;
    shutdown(resumed).await;
    assert!(events.contains(&EventMsg::ContextCompacted), "{events:?}");
    let bodies = log.bodies();
    assert_eq!(bodies.len(), 3);
    assert!(
        conversation(&bodies[1])
            .last()
            .unwrap()
            .starts_with("user: Your context window is about to be replaced"),
        "the first request of the resumed thread asks for the summary"
    );
    assert_eq!(
        conversation(&bodies[2]),
        // The prompt had joined the history: it is one of the recent
        // messages kept above the summary.
        [
            "user: read the code".to_string(),
            "user: what next".to_string(),
            summary_message(),
        ]
    );
}

/// The context a session reports right after it has started.
async fn opening_count(session: &mut duet_core::SessionHandle) -> duet_protocol::TokenCount {
    let mut seen = Vec::new();
    loop {
        match support::next_event(session).await {
            EventMsg::TokenCount(count) => return count,
            EventMsg::TurnStarted => panic!("no context count before the first turn: {seen:?}"),
            other => seen.push(other),
        }
    }
}

/// The hand-off keeps what duet knows exactly: the plan, the files a patch
/// changed and the last failing command go into a task-state block that
/// the summary request shows the model and the new history carries as is,
/// and the compaction is an item with the whole hand-off.
#[tokio::test(flavor = "multi_thread")]
async fn the_hand_off_carries_the_plan_the_changed_files_and_the_last_failure() {
    let server = start_mock().await;
    let plan = serde_json::json!({"plan": [
        {"step": "Add the module", "status": "completed"},
        {"step": "Make the tests pass", "status": "in_progress"}
    ]})
    .to_string();
    let patch = "*** Begin Patch\n*** Add File: src/lexer.rs\n+pub fn lex() {}\n*** End Patch\n";
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call("p1", "update_plan", &plan)]),
            sse_completed_turn(&[ev_custom_tool_call("a1", "apply_patch", patch)]),
            sse_completed_turn(&[ev_function_call(
                "c1",
                "exec_command",
                r#"{"cmd":"exit 3"}"#,
            )]),
            sse_completed_turn(&[ev_assistant_message("m1", "The tests fail.")]),
            sse_completed_turn(&[ev_assistant_message("m2", SUMMARY)]),
            sse_completed_turn(&[ev_assistant_message("m3", "Next.")]),
        ],
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let workdir = tempfile::tempdir().unwrap();
    let config = mock_config(home.path(), workdir.path(), base_url(&server));
    let mut session = spawn_session(config, SessionOptions::default()).unwrap();
    session.submit(turn("add a lexer")).unwrap();
    until_turn_end(&mut session).await;
    session.submit(Op::Compact).unwrap();
    let compacted = until_turn_end(&mut session).await;
    session.submit(turn("go on")).unwrap();
    until_turn_end(&mut session).await;
    shutdown(session).await;
    assert_eq!(
        std::fs::read_to_string(workdir.path().join("src/lexer.rs")).unwrap(),
        "pub fn lex() {}\n"
    );

    let block = "<task_state>\nduet wrote this block from the session's record; it is exact.\n\
        \nCurrent plan:\n- [x] Add the module\n- [~] Make the tests pass\n\
        \nFiles changed in this session:\n- src/lexer.rs\n\
        \nLast failing command: `exit 3` (exit code 3)\n</task_state>";
    let bodies = log.bodies();
    let prompt = conversation(&bodies[4]).pop().unwrap();
    assert!(
        prompt.ends_with(&format!(
            "duet keeps the following block next to your checkpoint as it is; do not repeat it.\n\n{block}"
        )),
        "{prompt}"
    );
    let hand_off = format!("{SUMMARY}\n\n{block}");
    assert_eq!(
        conversation(&bodies[5]),
        [
            "user: add a lexer".to_string(),
            format!(
                "user: Earlier turns of this conversation were compacted to free the context window. \
                 This is the summary you wrote of them; the user's recent messages are above it.\n\n\
                 <summary>\n{hand_off}\n</summary>"
            ),
            "user: go on".to_string(),
        ]
    );
    let item = compacted
        .iter()
        .find_map(|msg| match msg {
            EventMsg::ItemCompleted { item } => Some(serde_json::to_value(item).unwrap()),
            _ => None,
        })
        .expect("the compaction item");
    let tokens_after = item["tokens_after"].as_u64().unwrap();
    assert!(tokens_after > 0, "{item}");
    assert_eq!(
        item,
        serde_json::json!({
            "id": item["id"],
            "type": "context_compaction",
            "trigger": "manual",
            "summary": hand_off,
            "tokens_before": 15,
            "tokens_after": tokens_after,
            "elided_tool_outputs": 0,
            "omitted_turns": 0,
        })
    );
}

/// `history.prune_tool_outputs_after_turns`: a request carries a line for
/// each tool output older than the last N turns; the history (and the
/// store) keep the output, so a session without the setting sends it again.
#[tokio::test(flavor = "multi_thread")]
async fn old_tool_outputs_leave_requests_but_not_the_history() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call(
                "c1",
                "exec_command",
                r#"{"cmd":"echo first-output"}"#,
            )]),
            sse_completed_turn(&[ev_assistant_message("m1", "one")]),
            sse_completed_turn(&[ev_function_call(
                "c2",
                "exec_command",
                r#"{"cmd":"echo second-output"}"#,
            )]),
            sse_completed_turn(&[ev_assistant_message("m2", "two")]),
            sse_completed_turn(&[ev_assistant_message("m3", "three")]),
        ],
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let workdir = tempfile::tempdir().unwrap();
    let mut config = mock_config(home.path(), workdir.path(), base_url(&server));
    config.prune_tool_outputs_after_turns = Some(1);
    let mut session = spawn_session(config.clone(), SessionOptions::default()).unwrap();
    let thread_id = session.thread_id().to_string();
    for prompt in ["first", "second"] {
        session.submit(turn(prompt)).unwrap();
        until_turn_end(&mut session).await;
    }
    shutdown(session).await;
    config.prune_tool_outputs_after_turns = None;
    let mut resumed = spawn_session(
        config,
        SessionOptions {
            resume: Some(ResumeTarget::Thread(thread_id)),
            ..SessionOptions::default()
        },
    )
    .unwrap();
    resumed.submit(turn("third")).unwrap();
    until_turn_end(&mut resumed).await;
    shutdown(resumed).await;

    let outputs = |body: &Value| -> Vec<String> {
        body["input"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|item| item["type"] == "function_call_output")
            .map(|item| {
                let output = item["output"].as_str().unwrap();
                if output.starts_with("[output pruned") {
                    output.to_string()
                } else {
                    output.lines().last().unwrap_or_default().to_string()
                }
            })
            .collect()
    };
    let pruned_first = "[output pruned from this request (it is older than the last turn; run the command again if you need it): 115 bytes of it, from `echo first-output`]";
    let bodies = log.bodies();
    assert_eq!(
        bodies.iter().map(outputs).collect::<Vec<_>>(),
        vec![
            vec![],
            vec!["first-output".to_string()],
            vec![pruned_first.to_string()],
            vec![pruned_first.to_string(), "second-output".to_string()],
            vec!["first-output".to_string(), "second-output".to_string()],
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn compact_prompt_replaces_the_checkpoint_prompt() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_assistant_message("m1", "Bonjour.")]),
            sse_completed_turn(&[ev_assistant_message("m2", SUMMARY)]),
        ],
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let workdir = tempfile::tempdir().unwrap();
    let mut config = mock_config(home.path(), workdir.path(), base_url(&server));
    config.compact_prompt = Some("Résume la conversation.".to_string());
    let mut session = spawn_session(config, SessionOptions::default()).unwrap();
    session.submit(turn("salut")).unwrap();
    until_turn_end(&mut session).await;
    session.submit(Op::Compact).unwrap();
    until_turn_end(&mut session).await;
    shutdown(session).await;
    assert_eq!(
        conversation(&log.bodies()[1]),
        [
            "user: salut",
            "assistant: Bonjour.",
            "user: Résume la conversation."
        ]
    );
}

/// `Op::CompactAndReview`: the hand-off goes to the front end first; what
/// it answers is what the next request carries, and an empty answer
/// cancels the compaction (the history stays as it was).
#[tokio::test(flavor = "multi_thread")]
async fn a_reviewed_hand_off_is_the_one_used_and_an_empty_one_cancels() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_assistant_message("m1", "Fixed the parser.")]),
            sse_completed_turn(&[ev_assistant_message("m2", SUMMARY)]),
            sse_completed_turn(&[ev_assistant_message("m3", "Another summary.")]),
            sse_completed_turn(&[ev_assistant_message("m4", "Next.")]),
        ],
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let workdir = tempfile::tempdir().unwrap();
    let config = mock_config(home.path(), workdir.path(), base_url(&server));
    let mut session = spawn_session(config, SessionOptions::default()).unwrap();
    session.submit(turn("fix the parser")).unwrap();
    until_turn_end(&mut session).await;

    // Cancelled: the review is answered with nothing.
    session.submit(Op::CompactAndReview).unwrap();
    loop {
        if let EventMsg::CompactionReview { summary } = support::next_event(&mut session).await {
            assert_eq!(summary, SUMMARY);
            break;
        }
    }
    session
        .submit(Op::CompactionReviewed {
            summary: "  \n".into(),
        })
        .unwrap();
    let cancelled = until_turn_end(&mut session).await;
    assert!(
        cancelled.contains(&EventMsg::Warning {
            message: "compaction cancelled: the hand-off was left empty; the history is unchanged"
                .into()
        }),
        "{cancelled:?}"
    );
    assert!(!cancelled.contains(&EventMsg::ContextCompacted));

    // Edited: the edit is what the history carries.
    session.submit(Op::CompactAndReview).unwrap();
    loop {
        if let EventMsg::CompactionReview { summary } = support::next_event(&mut session).await {
            assert_eq!(summary, "Another summary.");
            break;
        }
    }
    session
        .submit(Op::CompactionReviewed {
            summary: "The parser is fixed. Keep the old API.".into(),
        })
        .unwrap();
    let edited = until_turn_end(&mut session).await;
    assert!(edited.contains(&EventMsg::ContextCompacted), "{edited:?}");
    session.submit(turn("what next")).unwrap();
    until_turn_end(&mut session).await;
    shutdown(session).await;
    let bodies = log.bodies();
    assert_eq!(
        conversation(&bodies[3]),
        [
            "user: fix the parser".to_string(),
            "user: Earlier turns of this conversation were compacted to free the context window. \
             This is the summary you wrote of them; the user's recent messages are above it.\n\n\
             <summary>\nThe parser is fixed. Keep the old API.\n</summary>"
                .to_string(),
            "user: what next".to_string(),
        ]
    );
}
