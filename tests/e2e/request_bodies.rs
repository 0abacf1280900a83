//! What `duet exec` sends to the Responses API: the first request's fields,
//! tools, instructions and headers; the history replayed in the next
//! request; AGENTS.md; `--output-schema`; and what the model is told about
//! calls it got wrong.

#![allow(clippy::disallowed_methods)]

use crate::common;

use common::{Workspace, redact, split_exec_output, workspace_replacements};
use duet_test_support::responses_mock::{ResponsesLog, base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{
    ev_assistant_message, ev_function_call, ev_reasoning, function_call_item, reasoning_item,
    sse_completed_turn,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::collections::BTreeMap;

const BASE_INSTRUCTIONS: &str = include_str!("../../crates/core/src/prompt/base_instructions.md");

/// `<name>…</name>` in `text` with its content replaced by `<NAME>` in caps,
/// for the parts of the environment context that depend on the day and machine.
fn mask_element(text: &str, name: &str) -> String {
    let open = format!("<{name}>");
    let close = format!("</{name}>");
    let start = text
        .find(&open)
        .unwrap_or_else(|| panic!("no {open} in {text:?}"))
        + open.len();
    let end = start
        + text[start..]
            .find(&close)
            .unwrap_or_else(|| panic!("no {close} in {text:?}"));
    format!(
        "{}<{}>{}",
        &text[..start],
        name.to_uppercase(),
        &text[end..]
    )
}

/// The headers that matter, from a recorded request.
fn key_headers(headers: &BTreeMap<String, String>) -> BTreeMap<String, String> {
    [
        "accept",
        "authorization",
        "content-type",
        "originator",
        "session-id",
        "thread-id",
        "x-client-request-id",
    ]
    .iter()
    .map(|name| {
        (
            (*name).to_owned(),
            headers
                .get(*name)
                .cloned()
                .unwrap_or_else(|| "<absent>".into()),
        )
    })
    .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_first_request_then_the_replayed_history() {
    let server = start_mock().await;
    let call_arguments = r#"{"cmd":"printf 'one\ntwo\n'","yield_time_ms":5000}"#;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[
                ev_reasoning("rs_1", "**Looking**\n\nlist first"),
                ev_function_call("call_1", "exec_command", call_arguments),
            ]),
            sse_completed_turn(&[ev_assistant_message("msg_2", "two lines")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    std::fs::write(
        workspace.repo().join("AGENTS.md"),
        "# Rules\nAlways be brief.\n",
    )
    .expect("write AGENTS.md");

    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "danger-full-access", "print two lines"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let thread_id = outcome.thread_id();
    let requests = log.requests();
    assert_eq!(requests.len(), 2);
    let first = &requests[0].body;

    // Top-level fields.
    let fields: BTreeMap<&str, Value> = [
        "model",
        "store",
        "stream",
        "parallel_tool_calls",
        "tool_choice",
        "include",
        "prompt_cache_key",
        "instructions",
        "previous_response_id",
    ]
    .into_iter()
    .map(|name| (name, first.get(name).cloned().unwrap_or(json!("<absent>"))))
    .collect();
    assert_eq!(
        fields,
        BTreeMap::from([
            ("model", json!("gpt-5.5")),
            ("store", json!(false)),
            ("stream", json!(true)),
            ("parallel_tool_calls", json!(true)),
            ("tool_choice", json!("auto")),
            ("include", json!(["reasoning.encrypted_content"])),
            ("prompt_cache_key", json!(thread_id)),
            // The base prompt is an input message, and the whole history is re-sent.
            ("instructions", json!("<absent>")),
            ("previous_response_id", json!("<absent>")),
        ])
    );

    // Tools: names, kinds and required parameters.
    let tools: Vec<(String, String, Value)> = first["tools"]
        .as_array()
        .expect("tools array")
        .iter()
        .map(|tool| {
            (
                tool["name"].as_str().unwrap_or_default().to_owned(),
                tool["type"].as_str().unwrap_or_default().to_owned(),
                tool["parameters"]["required"].clone(),
            )
        })
        .collect();
    assert_eq!(
        tools,
        vec![
            ("exec_command".into(), "function".into(), json!(["cmd"])),
            (
                "write_stdin".into(),
                "function".into(),
                json!(["session_id"])
            ),
            ("apply_patch".into(), "custom".into(), Value::Null),
            ("update_plan".into(), "function".into(), json!(["plan"])),
            ("view_image".into(), "function".into(), json!(["path"])),
        ]
    );
    let exec_params: Vec<&String> = first["tools"][0]["parameters"]["properties"]
        .as_object()
        .expect("exec_command properties")
        .keys()
        .collect();
    assert_eq!(
        exec_params,
        [
            "cmd",
            "justification",
            "login",
            "max_output_tokens",
            "prefix_rule",
            "sandbox_permissions",
            "shell",
            "tty",
            "workdir",
            "yield_time_ms"
        ]
    );

    // Input of a new thread: base instructions, permissions, AGENTS.md and
    // environment context, the prompt.
    let input = first["input"].as_array().expect("input array");
    assert_eq!(input.len(), 4, "{input:#?}");
    assert_eq!(
        input[0],
        json!({"type": "message", "role": "developer",
               "content": [{"type": "input_text", "text": BASE_INSTRUCTIONS}]})
    );
    assert_eq!(
        (&input[1]["type"], &input[1]["role"]),
        (&json!("message"), &json!("developer"))
    );
    let context = redact(&input[2], &workspace_replacements(&workspace, &thread_id));
    let environment = context["content"][1]["text"]
        .as_str()
        .expect("environment context text");
    let environment = mask_element(&mask_element(environment, "current_date"), "timezone");
    assert_eq!(
        (context["role"].clone(), context["content"][0].clone(), environment),
        (
            json!("user"),
            json!({"type": "input_text",
                   "text": "# AGENTS.md instructions for <REPO>\n\n<INSTRUCTIONS>\n# Rules\nAlways be brief.\n\n</INSTRUCTIONS>"}),
            "<environment_context>\n  <cwd><REPO></cwd>\n  <shell>bash</shell>\n  <current_date><CURRENT_DATE></current_date>\n  <timezone><TIMEZONE></timezone>\n  <sandbox_mode>danger-full-access</sandbox_mode>\n  <network_access>enabled</network_access>\n  <approval_policy>never</approval_policy>\n</environment_context>"
                .to_owned(),
        )
    );
    assert_eq!(
        input[3],
        json!({"type": "message", "role": "user",
               "content": [{"type": "input_text", "text": "print two lines"}]})
    );

    // Headers: the key, who we are, and the thread id.
    assert_eq!(
        key_headers(&requests[0].headers),
        BTreeMap::from(
            [
                ("accept", "text/event-stream"),
                ("authorization", "Bearer sk-test"),
                ("content-type", "application/json"),
                ("originator", "duet_exec"),
                ("session-id", thread_id.as_str()),
                ("thread-id", thread_id.as_str()),
                ("x-client-request-id", thread_id.as_str()),
            ]
            .map(|(name, value)| (name.to_owned(), value.to_owned()))
        )
    );

    // The second request: the same prefix, then the model's items exactly
    // as it sent them, then the command's output.
    let second = &requests[1].body;
    let replayed = second["input"].as_array().expect("input array");
    assert_eq!(replayed.len(), 7, "{replayed:#?}");
    assert_eq!(replayed[..4], input[..]);
    let mut reasoning = reasoning_item("rs_1", "**Looking**\n\nlist first");
    reasoning["content"] = Value::Null;
    assert_eq!(
        replayed[4..6].to_vec(),
        vec![
            reasoning,
            function_call_item("call_1", "exec_command", call_arguments)
        ]
    );
    let output = replayed[6]["output"].as_str().expect("output text");
    let (header, body) = split_exec_output(output);
    let mut output_item = replayed[6].clone();
    output_item["output"] = json!(format!("{header}{body}"));
    assert_eq!(
        output_item,
        json!({
            "type": "function_call_output",
            "call_id": "call_1",
            "output": "Chunk ID: <CHUNK>\nWall time: <WALL> seconds\nProcess exited with code 0\nOriginal token count: <TOKENS>\nOutput:\none\ntwo\n",
        })
    );
    // Everything else about the request stays the same across the turn.
    let mut first_rest = first.clone();
    let mut second_rest = second.clone();
    first_rest["input"] = Value::Null;
    second_rest["input"] = Value::Null;
    assert_eq!(second_rest, first_rest);
    assert_eq!(
        key_headers(&requests[1].headers),
        key_headers(&requests[0].headers)
    );
}

/// `duet exec --json --output-schema FILE`, the file holding `schema_text`,
/// against a model that answers `answer`; the outcome and the requests.
async fn exec_with_schema(schema_text: &str, answer: &str) -> (common::Outcome, ResponsesLog) {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![sse_completed_turn(&[ev_assistant_message("msg_1", answer)])],
    )
    .await;
    let workspace = Workspace::new();
    let schema_file = workspace.home().join("schema.json");
    std::fs::write(&schema_file, schema_text).expect("write schema");
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "--output-schema"])
        .arg(schema_file.display().to_string())
        .arg("answer in JSON")
        .run()
        .await;
    (outcome, log)
}

#[tokio::test(flavor = "multi_thread")]
async fn output_schema_becomes_a_strict_json_schema_text_format() {
    let schema = json!({
        "type": "object",
        "properties": {"answer": {"type": "string"}},
        "required": ["answer"],
        "additionalProperties": false,
    });
    let (outcome, log) = exec_with_schema(&schema.to_string(), r#"{"answer":"42"}"#).await;

    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let bodies = log.bodies();
    assert_eq!(bodies.len(), 1);
    assert_eq!(
        bodies[0]["text"]["format"],
        json!({"type": "json_schema", "strict": true, "schema": schema, "name": "duet_output_schema"})
    );
    assert_eq!(
        outcome.events()[2],
        json!({"type": "item.completed",
               "item": {"id": "item_0", "type": "agent_message", "text": r#"{"answer":"42"}"#}})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_missing_output_schema_file_fails_before_any_request() {
    let server = start_mock().await;
    let log = mount_sse_sequence(&server, Vec::new()).await;
    let workspace = Workspace::new();
    let missing = workspace.home().join("missing.json");
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "--output-schema"])
        .arg(missing.display().to_string())
        .arg("answer")
        .run()
        .await;
    assert_eq!(
        (outcome.code, outcome.stdout.as_str(), log.bodies().len()),
        (Some(1), "", 0),
        "{}",
        outcome.describe()
    );
    assert_eq!(
        outcome.stderr,
        format!(
            "error: cannot read the output schema file `{}`: No such file or directory (os error 2)\n",
            missing.display()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_tool_calls_are_answered_with_errors_and_the_turn_goes_on() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[
                ev_function_call("call_bad_json", "exec_command", "{not json"),
                ev_function_call("call_unknown", "frobnicate", r#"{"x":1}"#),
            ]),
            sse_completed_turn(&[ev_assistant_message("msg_2", "sorry")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "danger-full-access", "try things"])
        .run()
        .await;

    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let bodies = log.bodies();
    assert_eq!(bodies.len(), 2);
    let input = bodies[1]["input"].as_array().expect("input array");
    assert_eq!(
        input[input.len() - 4..].to_vec(),
        vec![
            function_call_item("call_bad_json", "exec_command", "{not json"),
            function_call_item("call_unknown", "frobnicate", r#"{"x":1}"#),
            json!({"type": "function_call_output", "call_id": "call_bad_json",
                   "output": BAD_JSON_OUTPUT}),
            json!({"type": "function_call_output", "call_id": "call_unknown",
                   "output": "unsupported call: frobnicate"}),
        ]
    );
    // Nothing ran, so no command item; just the answer.
    let items: Vec<Value> = outcome
        .events()
        .into_iter()
        .filter(|event| {
            event["type"]
                .as_str()
                .is_some_and(|t| t.starts_with("item."))
        })
        .collect();
    assert_eq!(
        items,
        vec![json!({"type": "item.completed",
                    "item": {"id": "item_0", "type": "agent_message", "text": "sorry"}})]
    );
}

/// What the model is told when its `exec_command` arguments are not JSON.
const BAD_JSON_OUTPUT: &str = "failed to parse the arguments of `exec_command`: key must be a string at line 1 column 2; send a JSON object that matches the tool's schema";

/// Issue 16, item 16: the schema was sent with its keys sorted, so an
/// answer that should reason first (`reasoning` before `answer`) came out
/// in the other order, and the official SDK's check of the request failed.
/// The file's key order is kept, at every level.
#[tokio::test(flavor = "multi_thread")]
async fn output_schema_keeps_the_files_key_order() {
    let schema_text = r#"{"type":"object","properties":{"reasoning":{"type":"string"},"answer":{"type":"string"}},"required":["reasoning","answer"],"additionalProperties":false}"#;
    let (outcome, log) = exec_with_schema(schema_text, r#"{"reasoning":"r","answer":"a"}"#).await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    // Bodies are parsed keeping key order (serde_json's `preserve_order`).
    let bodies = log.bodies();
    assert_eq!(bodies.len(), 1);
    assert_eq!(
        serde_json::to_string(&bodies[0]["text"]["format"]["schema"]).expect("serialise"),
        schema_text
    );
}
