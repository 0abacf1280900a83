//! The three wires end to end: `duet exec --json` runs the same tool loop
//! (a command, a patch, an answer) against a Responses, a Chat Completions
//! and an Anthropic Messages mock and prints the same items; a thread begun
//! on one wire resumes on another; `--oss` against a mock that answers like
//! Ollama checks the model and learns its context window.

#![allow(clippy::disallowed_methods)]

use crate::common;

use common::{Workspace, normalized_events};
use duet_test_support::responses_mock::{
    CHAT_PATH, MESSAGES_PATH, RESPONSES_PATH, ResponsesLog, base_url, mount_sequence_at,
    sse_response, start_mock,
};
use duet_test_support::sse::{ev_assistant_message, ev_function_call, sse_completed_turn};
use duet_test_support::wire_sse::{anthropic_answer, anthropic_calls, chat_answer, chat_calls};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const COMMAND: &str = "printf 'hi\\n' > a.txt && cat a.txt";
const PATCH: &str = "*** Begin Patch\n*** Add File: b.txt\n+bee\n*** End Patch\n";

#[derive(Clone, Copy, Debug)]
enum Wire {
    Responses,
    Chat,
    Anthropic,
}

impl Wire {
    fn name(self) -> &'static str {
        match self {
            Wire::Responses => "responses",
            Wire::Chat => "chat",
            Wire::Anthropic => "anthropic",
        }
    }

    fn path(self) -> &'static str {
        match self {
            Wire::Responses => RESPONSES_PATH,
            Wire::Chat => CHAT_PATH,
            Wire::Anthropic => MESSAGES_PATH,
        }
    }

    /// One answer that calls `(call_id, name, arguments)`.
    fn calls(self, calls: &[(&str, &str, &str)]) -> String {
        match self {
            Wire::Responses => {
                let events: Vec<Value> = calls
                    .iter()
                    .map(|(id, name, arguments)| ev_function_call(id, name, arguments))
                    .collect();
                sse_completed_turn(&events)
            }
            Wire::Chat => chat_calls(calls),
            Wire::Anthropic => anthropic_calls(calls),
        }
    }

    fn answer(self, text: &str) -> String {
        match self {
            Wire::Responses => sse_completed_turn(&[ev_assistant_message("msg_1", text)]),
            Wire::Chat => chat_answer(text),
            Wire::Anthropic => anthropic_answer(text),
        }
    }
}

/// A command, then a patch, then the answer.
async fn mount_tool_loop(server: &MockServer, wire: Wire) -> ResponsesLog {
    let command = json!({ "cmd": COMMAND }).to_string();
    let patch = json!({ "input": PATCH }).to_string();
    mount_sequence_at(
        server,
        wire.path(),
        vec![
            sse_response(wire.calls(&[("call_1", "exec_command", &command)])),
            sse_response(wire.calls(&[("call_2", "apply_patch", &patch)])),
            sse_response(wire.answer("Wrote a.txt and b.txt.")),
        ],
    )
    .await
}

#[tokio::test(flavor = "multi_thread")]
async fn every_wire_runs_the_same_tool_loop_and_prints_the_same_items() {
    let mut printed = Vec::new();
    for wire in [Wire::Responses, Wire::Chat, Wire::Anthropic] {
        let server = start_mock().await;
        let log = mount_tool_loop(&server, wire).await;
        let workspace = Workspace::new();
        let wire_api = format!("\"{}\"", wire.name());
        let outcome = workspace
            .exec()
            .mock_provider(&base_url(&server), &[("wire_api", wire_api.as_str())])
            .args(["--json", "-s", "danger-full-access", "write the files"])
            .run()
            .await;
        assert_eq!(outcome.code, Some(0), "{wire:?}: {}", outcome.describe());
        assert_eq!(
            workspace.files(),
            vec![
                ("a.txt".to_owned(), "hi\n".to_owned()),
                ("b.txt".to_owned(), "bee\n".to_owned()),
            ],
            "{wire:?}"
        );
        let bodies = log.bodies();
        assert_eq!(bodies.len(), 3, "{wire:?}");
        // The last request carries both outputs, in the wire's own shape.
        let outputs: Vec<String> = match wire {
            Wire::Responses => bodies[2]["input"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|item| item["type"] == "function_call_output")
                .map(|item| item["call_id"].as_str().unwrap().to_owned())
                .collect(),
            Wire::Chat => bodies[2]["messages"]
                .as_array()
                .unwrap()
                .iter()
                .filter(|message| message["role"] == "tool")
                .map(|message| message["tool_call_id"].as_str().unwrap().to_owned())
                .collect(),
            Wire::Anthropic => bodies[2]["messages"]
                .as_array()
                .unwrap()
                .iter()
                .flat_map(|message| message["content"].as_array().unwrap().iter())
                .filter(|block| block["type"] == "tool_result")
                .map(|block| block["tool_use_id"].as_str().unwrap().to_owned())
                .collect(),
        };
        assert_eq!(outputs, ["call_1", "call_2"], "{wire:?}");
        printed.push(normalized_events(&outcome, &workspace));
    }
    let kinds: Vec<String> = printed[0]
        .iter()
        .map(|event| {
            format!(
                "{} {}",
                event["type"].as_str().unwrap(),
                event["item"]["type"].as_str().unwrap_or("")
            )
            .trim_end()
            .to_owned()
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "thread.started",
            "turn.started",
            "item.started command_execution",
            "item.completed command_execution",
            "item.started file_change",
            "item.completed file_change",
            "item.completed agent_message",
            "turn.completed",
        ]
    );
    assert_eq!(printed[1], printed[0], "chat differs from responses");
    assert_eq!(printed[2], printed[0], "anthropic differs from responses");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_thread_begun_on_chat_resumes_on_anthropic() {
    let chat = start_mock().await;
    let command = json!({ "cmd": "echo one" }).to_string();
    mount_sequence_at(
        &chat,
        CHAT_PATH,
        vec![
            sse_response(Wire::Chat.calls(&[("call_1", "exec_command", &command)])),
            sse_response(chat_answer("ran it")),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let first = workspace
        .exec()
        .mock_provider(&base_url(&chat), &[("wire_api", "\"chat\"")])
        .args(["-s", "danger-full-access", "run echo"])
        .run()
        .await;
    assert_eq!(first.code, Some(0), "{}", first.describe());

    let anthropic = start_mock().await;
    let log = mount_sequence_at(
        &anthropic,
        MESSAGES_PATH,
        vec![sse_response(anthropic_answer("it printed one"))],
    )
    .await;
    let second = workspace
        .exec()
        .mock_provider(&base_url(&anthropic), &[("wire_api", "\"anthropic\"")])
        .args(["resume", "--last", "what did it print?"])
        .run()
        .await;
    assert_eq!(second.code, Some(0), "{}", second.describe());
    assert_eq!(second.stdout, "it printed one\n");
    let body = &log.bodies()[0];
    // The chat thread, as Anthropic blocks: the prompt, the call, its
    // output, the answer, the new prompt.
    let messages: Vec<Value> = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|message| {
            let blocks: Vec<Value> = message["content"]
                .as_array()
                .unwrap()
                .iter()
                .map(|block| match block["type"].as_str().unwrap() {
                    "text" => json!(["text", block["text"].as_str().unwrap().lines().next()]),
                    "tool_use" => json!(["tool_use", block["id"], block["input"]]),
                    "tool_result" => json!(["tool_result", block["tool_use_id"]]),
                    other => json!([other]),
                })
                .collect();
            json!({"role": message["role"], "blocks": blocks})
        })
        .collect();
    let last_two: Vec<Value> = messages[messages.len() - 4..].to_vec();
    assert_eq!(
        last_two,
        [
            json!({"role": "assistant", "blocks": [["tool_use", "call_1", {"cmd": "echo one"}]]}),
            json!({"role": "user", "blocks": [["tool_result", "call_1"]]}),
            json!({"role": "assistant", "blocks": [["text", "ran it"]]}),
            json!({"role": "user", "blocks": [["text", "what did it print?"]]}),
        ]
    );
    assert_eq!(messages[0]["role"], "user");
    let tool_result = body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|message| message["content"].as_array().unwrap().iter())
        .find(|block| block["type"] == "tool_result")
        .unwrap();
    assert!(
        tool_result["content"].as_str().unwrap().contains("one"),
        "{tool_result}"
    );
}

/// A mock answering like Ollama: its model list, `/api/show` for `model`
/// with `num_ctx`, and the chat endpoint.
async fn ollama_mock(model: &str) -> (MockServer, ResponsesLog) {
    let server = start_mock().await;
    Mock::given(method("GET"))
        .and(path("/v1/models"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "object": "list",
            "data": [{"id": model, "object": "model", "owned_by": "library"},
                     {"id": "llama3.1:8b", "object": "model", "owned_by": "library"}],
        })))
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/api/show"))
        .respond_with(ResponseTemplate::new(200).set_body_json(json!({
            "parameters": "stop \"<|im_end|>\"\nnum_ctx 16384",
            "model_info": {"qwen3.context_length": 40960},
        })))
        .mount(&server)
        .await;
    let log = mount_sequence_at(&server, CHAT_PATH, vec![sse_response(chat_answer("hello"))]).await;
    (server, log)
}

#[tokio::test(flavor = "multi_thread")]
async fn oss_checks_the_model_and_learns_the_window_from_ollama() {
    let (server, log) = ollama_mock("qwen3:8b").await;
    let workspace = Workspace::new();
    let oss_url = base_url(&server);
    let outcome = workspace
        .exec()
        .env("CODEX_OSS_BASE_URL", &oss_url)
        .env("RUST_LOG", "duet_core=info")
        .args(["--oss", "-m", "qwen3:8b", "hi"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    assert_eq!(outcome.stdout, "hello\n");
    assert!(
        !outcome.stderr.contains("warning"),
        "no warning expected: {}",
        outcome.stderr
    );
    assert_eq!(log.bodies()[0]["model"], "qwen3:8b");
    let logged = std::fs::read_to_string(workspace.home().join("log/duet.log")).unwrap();
    assert!(
        logged.contains("ollama at http://127.0.0.1:")
            && logged.contains("reports a context window of 16384 tokens for `qwen3:8b`"),
        "{logged}"
    );

    // `duet models` shows the served models with the windows Ollama reports.
    let listed = workspace
        .duet()
        .env("CODEX_OSS_BASE_URL", &oss_url)
        .args(["models", "--oss", "-m", "qwen3:8b", "--json"])
        .run()
        .await;
    assert_eq!(listed.code, Some(0), "{}", listed.describe());
    let list: Value = serde_json::from_str(&listed.stdout).unwrap();
    let rows: Vec<Value> = list["models"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|entry| entry["served"] == true)
        .map(|entry| {
            json!([
                entry["id"],
                entry["context_window"],
                entry["context_window_from"]
            ])
        })
        .collect();
    assert_eq!(
        rows,
        [
            json!(["qwen3:8b", 16384, "ollama"]),
            json!(["llama3.1:8b", 16384, "ollama"]),
        ]
    );

    // A model Ollama does not have, and an Ollama that is not running.
    let missing = workspace
        .exec()
        .env("CODEX_OSS_BASE_URL", &oss_url)
        .args(["--oss", "hi"])
        .run()
        .await;
    assert_eq!(missing.code, Some(1));
    let root = oss_url.trim_end_matches("/v1");
    assert_eq!(
        missing.stderr,
        format!(
            "error: model `gpt-oss:20b` is not in Ollama at {root} (it has qwen3:8b, llama3.1:8b): pull it with `ollama pull gpt-oss:20b`, or pick one with `-m`\n"
        )
    );
    // Nothing listens on a port just freed (wiremock's servers are pooled,
    // so dropping one does not close it).
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let root = format!("http://127.0.0.1:{port}");
    let down = workspace
        .exec()
        .env("CODEX_OSS_BASE_URL", &format!("{root}/v1"))
        .args(["--oss", "hi"])
        .run()
        .await;
    assert_eq!(down.code, Some(1));
    assert!(
        down.stderr.starts_with(&format!("error: Ollama is not running at {root} ("))
            && down.stderr.ends_with("): start it with `ollama serve`, or set `model_providers.ollama.base_url` to where it runs\n"),
        "{}",
        down.stderr
    );
}

/// A stream cut before its end, on the Chat and Anthropic wires: the turn
/// says it is reconnecting, asks again, and completes with the answer.
#[tokio::test(flavor = "multi_thread")]
async fn a_cut_stream_is_asked_again_on_every_wire() {
    use duet_test_support::wire_sse::{
        an_message_start, an_text, anthropic_sse, chat_sse_without_done, chat_text,
    };
    for wire in [Wire::Chat, Wire::Anthropic] {
        let cut = match wire {
            Wire::Chat => chat_sse_without_done(&[chat_text("half an ans")]),
            // The block's start and deltas, not its stop: cut mid-answer.
            _ => {
                let mut block = an_text(0, "half an ans").as_array().unwrap().clone();
                block.pop();
                anthropic_sse(&[an_message_start(10, 0, 0), Value::Array(block)])
            }
        };
        let server = start_mock().await;
        let log = mount_sequence_at(
            &server,
            wire.path(),
            vec![
                sse_response(cut),
                sse_response(wire.answer("the whole answer")),
            ],
        )
        .await;
        let workspace = Workspace::new();
        let wire_api = format!("\"{}\"", wire.name());
        let outcome = workspace
            .exec()
            .mock_provider(&base_url(&server), &[("wire_api", wire_api.as_str())])
            .args(["--json", "go"])
            .run()
            .await;
        assert_eq!(outcome.code, Some(0), "{wire:?}: {}", outcome.describe());
        assert_eq!(log.bodies().len(), 2, "{wire:?}");
        let events = normalized_events(&outcome, &workspace);
        let kinds: Vec<&str> = events
            .iter()
            .map(|event| event["type"].as_str().unwrap())
            .collect();
        assert!(
            kinds.contains(&"error") || kinds.iter().any(|kind| kind.contains("item")),
            "{events:#?}"
        );
        let answers: Vec<&str> = events
            .iter()
            .filter(|event| {
                event["type"] == "item.completed" && event["item"]["type"] == "agent_message"
            })
            .map(|event| event["item"]["text"].as_str().unwrap())
            .collect();
        assert_eq!(answers, ["the whole answer"], "{wire:?}: {events:#?}");
        assert_eq!(kinds.last(), Some(&"turn.completed"), "{wire:?}");
    }
}
