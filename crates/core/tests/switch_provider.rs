//! A session that moves to another provider between turns
//! (`TurnOverrides::provider`): the next request goes to the new provider,
//! on its wire, with the whole history translated; a provider that is not
//! defined, or has no key, is refused with an error and the session stays.

#![allow(clippy::unwrap_used)] // test helpers, not library code

mod support;
use duet_core::{SessionOptions, spawn_session};
use duet_model::{ProviderInfo, WireApi};
use duet_protocol::{EventMsg, Op, TurnOverrides, UserInput, UserTurn};
use duet_test_support::responses_mock::{
    MESSAGES_PATH, base_url, mount_sequence_at, mount_sse_sequence, sse_response, start_mock,
};
use duet_test_support::sse::{ev_assistant_message, sse_completed_turn};
use duet_test_support::wire_sse::anthropic_answer;
use pretty_assertions::assert_eq;
use support::{mock_config, until_turn_end};

fn prompt(text: &str) -> Op {
    Op::UserTurn(UserTurn {
        items: vec![UserInput::Text {
            text: text.to_string(),
        }],
        output_schema: None,
    })
}

#[tokio::test]
async fn a_session_moves_to_another_provider_and_wire_between_turns() {
    let openai = start_mock().await;
    let first = mount_sse_sequence(
        &openai,
        vec![sse_completed_turn(&[ev_assistant_message(
            "msg_1",
            "from openai",
        )])],
    )
    .await;
    let claude = start_mock().await;
    let second = mount_sequence_at(
        &claude,
        MESSAGES_PATH,
        vec![sse_response(anthropic_answer("from claude"))],
    )
    .await;
    let home = tempfile::tempdir().unwrap();
    let workdir = tempfile::tempdir().unwrap();
    let mut config = mock_config(home.path(), workdir.path(), base_url(&openai));
    config.ephemeral = true;
    let mut local_claude = ProviderInfo::openai(Some(base_url(&claude)));
    local_claude.id = "claude".to_string();
    local_claude.env_key = None;
    local_claude.wire_api = WireApi::Anthropic;
    config.providers.insert("claude".to_string(), local_claude);
    let mut session = spawn_session(config, SessionOptions::default()).unwrap();

    session.submit(prompt("one")).unwrap();
    until_turn_end(&mut session).await;
    // Unknown: refused, and the session stays where it was.
    session
        .submit(Op::OverrideTurnContext(TurnOverrides {
            provider: Some("nowhere".to_string()),
            model: Some("x".to_string()),
            ..TurnOverrides::default()
        }))
        .unwrap();
    session
        .submit(Op::OverrideTurnContext(TurnOverrides {
            provider: Some("claude".to_string()),
            model: Some("claude-haiku-4-5".to_string()),
            ..TurnOverrides::default()
        }))
        .unwrap();
    session.submit(prompt("two")).unwrap();
    let events = until_turn_end(&mut session).await;
    let errors: Vec<&EventMsg> = events
        .iter()
        .filter(|event| matches!(event, EventMsg::Error { .. }))
        .collect();
    assert_eq!(errors.len(), 1, "{events:#?}");
    let EventMsg::Error { message } = errors[0] else {
        unreachable!()
    };
    assert!(
        message.starts_with("cannot switch to provider `nowhere`: it is not defined (known: `anthropic`, `claude`, `lmstudio`,"),
        "{message}"
    );
    assert!(
        events
            .iter()
            .any(|event| matches!(event, EventMsg::TurnCompleted(_))),
        "{events:#?}"
    );
    assert_eq!(first.bodies().len(), 1);
    let body = &second.bodies()[0];
    assert_eq!(body["model"], "claude-haiku-4-5");
    // The whole thread, on the Anthropic wire: the first prompt and its
    // answer from OpenAI, then the new prompt.
    let texts: Vec<(String, String)> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|message| {
            let role = message["role"].as_str().unwrap().to_string();
            message["content"]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(move |block| Some((role.clone(), block["text"].as_str()?.to_string())))
        })
        .filter(|(_, text)| !text.starts_with('<') && !text.starts_with('#'))
        .collect();
    let tail: Vec<(String, String)> = texts[texts.len() - 3..].to_vec();
    assert_eq!(
        tail,
        [
            ("user".to_string(), "one".to_string()),
            ("assistant".to_string(), "from openai".to_string()),
            ("user".to_string(), "two".to_string()),
        ]
    );
    assert!(
        body["system"]
            .as_array()
            .is_some_and(|blocks| !blocks.is_empty())
    );
}
