//! A full context window, end to end: a request the model refuses as too
//! long is compacted (the turn in flight kept as it is) and sent again; a
//! summary request that is itself refused is cut down (old tool outputs
//! elided) until it is taken; a message larger than the window, or a
//! conversation still too long after compacting, fails with what to do.

#![allow(clippy::disallowed_methods)]

use crate::common;

use common::events::{concat, failed, started};
use common::{Workspace, normalized_events};
use duet_test_support::responses_mock::{
    base_url, mount_response_sequence, sse_response, start_mock,
};
use duet_test_support::sse::{
    ev_assistant_message, ev_function_call, ev_response_created, ev_response_failed, sse,
    sse_completed_turn,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

const CHECKPOINT: &str = "Your context window is about to be replaced by a checkpoint";

/// The model's refusal of a request as too long, as the Responses API
/// streams it.
fn too_long() -> ResponseTemplate {
    sse_response(sse(&[
        ev_response_created("resp_x"),
        ev_response_failed(
            "context_length_exceeded",
            "Your input exceeds the context window of this model.",
        ),
    ]))
}

fn answer(text: &str) -> ResponseTemplate {
    sse_response(sse_completed_turn(&[ev_assistant_message("m", text)]))
}

/// The text of the last message of a request's input.
fn last_text(body: &Value) -> String {
    body["input"]
        .as_array()
        .and_then(|input| input.last())
        .map(|item| {
            item["content"][0]["text"]
                .as_str()
                .unwrap_or_default()
                .to_string()
        })
        .unwrap_or_default()
}

/// The `context_compaction` items of a run.
fn compactions(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .filter(|event| event["item"]["type"] == "context_compaction")
        .map(|event| event["item"].clone())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_refused_request_is_compacted_and_sent_again_with_the_turns_tool_outputs() {
    let server = start_mock().await;
    let log = mount_response_sequence(
        &server,
        vec![
            sse_response(sse_completed_turn(&[ev_function_call(
                "c1",
                "exec_command",
                r#"{"cmd":"echo kept-output"}"#,
            )])),
            too_long(),
            answer("The user wants the files listed."),
            answer("done"),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "danger-full-access", "list the files"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let bodies = log.bodies();
    assert_eq!(bodies.len(), 4);
    // The summary request: no tools, the checkpoint prompt last.
    assert_eq!(bodies[2]["tools"], Value::Null);
    assert!(
        last_text(&bodies[2]).starts_with(CHECKPOINT),
        "{}",
        bodies[2]
    );
    // The retried request: the summary, then this turn as it was (the
    // prompt, the call and its output), nothing after.
    let input = bodies[3]["input"].as_array().unwrap();
    let summary_at = input
        .iter()
        .position(|item| {
            item["content"][0]["text"]
                .as_str()
                .is_some_and(|text| text.contains("<summary>\nThe user wants the files listed."))
        })
        .expect("the summary in the retried request");
    let after: Vec<Value> = input[summary_at + 1..]
        .iter()
        .map(|item| match item["type"].as_str() {
            Some("function_call_output") => {
                json!({"output_has_it": item["output"].as_str().unwrap().contains("kept-output")})
            }
            Some("function_call") => json!({"call": item["name"]}),
            _ => json!({"message": item["content"][0]["text"]}),
        })
        .collect();
    assert_eq!(
        after,
        vec![
            json!({"message": "list the files"}),
            json!({"call": "exec_command"}),
            json!({"output_has_it": true}),
        ]
    );
    let events = normalized_events(&outcome, &workspace);
    let compaction = compactions(&events);
    assert_eq!(compaction.len(), 1, "{events:#?}");
    assert_eq!(compaction[0]["trigger"], "overflow");
    assert_eq!(
        compaction[0]["summary"], "The user wants the files listed.",
        "no task state to add: no plan, no patch, no failure"
    );
    assert_eq!(
        (
            compaction[0]["elided_tool_outputs"].clone(),
            compaction[0]["omitted_turns"].clone()
        ),
        (json!(0), json!(0))
    );
    assert_eq!(events.last().unwrap()["type"], "turn.completed");
}

#[tokio::test(flavor = "multi_thread")]
async fn still_too_long_after_compacting_fails_once_and_says_what_to_do() {
    let server = start_mock().await;
    let log = mount_response_sequence(
        &server,
        vec![
            answer("first answer"),
            too_long(),
            answer("summary of the first turn"),
            too_long(),
            answer("never asked for"),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let first = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "hello"])
        .run()
        .await;
    assert_eq!(first.code, Some(0), "{}", first.describe());
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "resume", "--last", "and again"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(1), "{}", outcome.describe());
    assert_eq!(log.bodies().len(), 4, "one compaction, one retry, no more");
    let events = normalized_events(&outcome, &workspace);
    assert_eq!(compactions(&events).len(), 1);
    assert_eq!(
        events[events.len() - 2..].to_vec(),
        failed(
            "the conversation is still too long for `gpt-5.5` after compacting it; if its window is smaller than 272000 tokens, set `model_context_window`; the session is saved, and `duet resume` continues it"
        )
    );
    // It is: the next run carries the compacted history.
    let again = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "resume", "--last", "third try"])
        .run()
        .await;
    assert_eq!(again.code, Some(0), "{}", again.describe());
    let last = &log.bodies()[4];
    let texts: Vec<String> = last["input"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|item| item["content"][0]["text"].as_str().map(str::to_string))
        .collect();
    assert!(
        texts
            .iter()
            .any(|text| text.contains("<summary>\nsummary of the first turn")),
        "{texts:#?}"
    );
    assert_eq!(texts.last().map(String::as_str), Some("third try"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_message_larger_than_the_window_is_refused_with_what_to_do() {
    let server = start_mock().await;
    let log = mount_response_sequence(&server, vec![too_long(), answer("never")]).await;
    let workspace = Workspace::new();
    let prompt = "word ".repeat(4_000);
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-c", "model_context_window=2000"])
        .arg(prompt)
        .run()
        .await;
    assert_eq!(outcome.code, Some(1), "{}", outcome.describe());
    assert_eq!(log.bodies().len(), 1, "nothing to gain from compacting");
    let events = normalized_events(&outcome, &workspace);
    let message = events.last().unwrap()["error"]["message"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(
        message.starts_with("your message is too long for `gpt-5.5`: about 50")
            && message.ends_with(
                " tokens, and its context window is 2000; shorten it, or save it to a file and ask for the parts that matter to be read"
            ),
        "{message}"
    );
    assert_eq!(events[..2].to_vec(), concat(vec![started()]));
}

/// A summary request the model refuses too is cut down: the previous
/// turn's large tool output is elided (a line says how large it was and
/// which command made it) and the request is sent again.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_summary_request_is_cut_down_until_it_is_taken() {
    let server = start_mock().await;
    let log = mount_response_sequence(
        &server,
        vec![
            sse_response(sse_completed_turn(&[ev_function_call(
                "big",
                "exec_command",
                r#"{"cmd":"head -c 30000 /dev/zero | tr '\\0' a"}"#,
            )])),
            answer("read it"),
            too_long(),
            too_long(),
            answer("summary without the big output"),
            answer("done"),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let window = ["-c", "model_context_window=16000"];
    let first = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "danger-full-access"])
        .args(window)
        .arg("read the big file")
        .run()
        .await;
    assert_eq!(first.code, Some(0), "{}", first.describe());
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json"])
        .args(window)
        .args(["resume", "--last", "go on"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let bodies = log.bodies();
    assert_eq!(bodies.len(), 6);
    let output_of = |body: &Value| -> String {
        body["input"]
            .as_array()
            .unwrap()
            .iter()
            .find(|item| item["type"] == "function_call_output" && item["call_id"] == "big")
            .map(|item| item["output"].as_str().unwrap().to_string())
            .unwrap_or_default()
    };
    // First summary request: whole; the second: the output elided.
    assert!(last_text(&bodies[3]).starts_with(CHECKPOINT));
    assert!(output_of(&bodies[3]).contains(&"a".repeat(1_000)));
    assert!(last_text(&bodies[4]).starts_with(CHECKPOINT));
    assert_eq!(
        output_of(&bodies[4]),
        "[output elided to fit the context window: 29.4 KiB of it, from `head -c 30000 /dev/zero | tr '\\0' a`]"
    );
    let events = normalized_events(&outcome, &workspace);
    let compaction = compactions(&events);
    assert_eq!(compaction.len(), 1);
    assert_eq!(
        (
            compaction[0]["trigger"].clone(),
            compaction[0]["elided_tool_outputs"].clone()
        ),
        (json!("overflow"), json!(1))
    );
    assert!(
        compaction[0]["summary"]
            .as_str()
            .unwrap()
            .starts_with("summary without the big output"),
        "{}",
        compaction[0]
    );
}

/// The body's fields as the bytes that were sent.
fn raw_fields(body: &[u8]) -> std::collections::BTreeMap<String, String> {
    let fields: std::collections::BTreeMap<String, Box<serde_json::value::RawValue>> =
        serde_json::from_slice(body).expect("a JSON body");
    fields
        .into_iter()
        .map(|(key, value)| (key, value.get().to_string()))
        .collect()
}

/// Cache-friendly requests: over 20 tool calls in two runs of one thread
/// (the second resumed, with a compaction in its middle), every request's
/// input is the previous one's, byte for byte, with items appended; the
/// other fields do not change (the summary request alone offers no
/// tools); `prompt_cache_key` is the thread id throughout. Only the request
/// after the compaction starts afresh.
#[tokio::test(flavor = "multi_thread")]
async fn every_request_extends_the_one_before_byte_for_byte_but_across_the_compaction() {
    let server = start_mock().await;
    let call = |n: usize| {
        sse_response(sse_completed_turn(&[ev_function_call(
            &format!("c{n}"),
            "exec_command",
            &json!({ "cmd": format!("echo step {n}") }).to_string(),
        )]))
    };
    let mut script: Vec<ResponseTemplate> = (1..=10).map(call).collect();
    script.push(answer("first half done"));
    script.extend((11..=14).map(call));
    // The 15th call's response says the context is nearly full: the next
    // request compacts first.
    script.push(sse_response(sse(&[
        ev_response_created("r15"),
        ev_function_call("c15", "exec_command", r#"{"cmd":"echo step 15"}"#),
        duet_test_support::sse::ev_completed_with_usage("r15", 250_000, 0, 100, 0),
    ])));
    script.push(answer("Summary: fifteen steps echoed."));
    script.extend((16..=20).map(call));
    script.push(answer("all done"));
    let log = mount_response_sequence(&server, script).await;
    let workspace = Workspace::new();
    let first = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "danger-full-access", "echo ten steps"])
        .run()
        .await;
    assert_eq!(first.code, Some(0), "{}", first.describe());
    let second = workspace
        .exec()
        .mock(&base_url(&server))
        .args([
            "--json",
            "-s",
            "danger-full-access",
            "resume",
            "--last",
            "ten more",
        ])
        .run()
        .await;
    assert_eq!(second.code, Some(0), "{}", second.describe());
    let thread = first.thread_id();

    let bodies: Vec<_> = log
        .raw_bodies()
        .iter()
        .map(|body| raw_fields(body))
        .collect();
    assert_eq!(bodies.len(), 23);
    let summary_request = 16;
    assert!(
        log.bodies()[summary_request]["input"]
            .as_array()
            .unwrap()
            .last()
            .is_some_and(|item| item["content"][0]["text"]
                .as_str()
                .is_some_and(|text| text.starts_with(CHECKPOINT))),
        "request {summary_request} is the summary request"
    );
    let mut breaks = Vec::new();
    for (index, pair) in bodies.windows(2).enumerate() {
        let (before, after) = (&pair[0], &pair[1]);
        let open = before["input"].trim_end_matches(']');
        if !after["input"].starts_with(open) || after["input"].len() <= before["input"].len() {
            breaks.push(index + 1);
        }
        for key in before.keys().chain(after.keys()) {
            if key == "input"
                || (key == "tools" && (index == summary_request || index + 1 == summary_request))
            {
                continue;
            }
            assert_eq!(
                before.get(key),
                after.get(key),
                "`{key}` changed between requests {index} and {}",
                index + 1
            );
        }
        assert_eq!(before["prompt_cache_key"], format!("\"{thread}\""));
    }
    assert_eq!(
        breaks,
        [summary_request + 1],
        "only the request after the compaction starts afresh"
    );
}
