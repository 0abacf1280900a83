//! Real servers, not mocks: llama.cpp's `llama-server` running
//! SmolLM2-135M-Instruct, on all three wires; LiteLLM's proxy in front of
//! duet's scripted model, on the Chat Completions and Responses wires.
//!
//! `bash .ci/real-servers` builds them into `.real-servers/` (outside the
//! cargo target directory). Without them each test says it was skipped and
//! how to build them, unless `DUET_REQUIRE_REAL_SERVERS=1` (set by
//! `.ci/run`), where a missing server is a failure.

#![allow(clippy::disallowed_methods)]

use crate::common;

use common::Workspace;
use duet_test_support::mock_script::{Script, ScriptState};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `.real-servers/<name>`, or `None` (the test is skipped) when it was not
/// built; a failure instead under `DUET_REQUIRE_REAL_SERVERS=1`.
#[allow(clippy::print_stderr)] // a skip must be visible
fn built(name: &str) -> Option<PathBuf> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(".real-servers")
        .join(name);
    if path.exists() {
        return Some(path);
    }
    assert!(
        std::env::var("DUET_REQUIRE_REAL_SERVERS").as_deref() != Ok("1"),
        "{} is required here (DUET_REQUIRE_REAL_SERVERS=1) but missing: run `bash .ci/real-servers`",
        path.display()
    );
    eprintln!(
        "skipped: {} is missing; `bash .ci/real-servers` builds the real servers (about ten minutes)",
        path.display()
    );
    None
}

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free local port")
        .port()
}

/// A server process, killed when dropped.
struct Server {
    child: Child,
    log: PathBuf,
}

impl Server {
    /// Start `command` (output to a log file) and wait until `GET
    /// http://127.0.0.1:{port}{health}` answers 200.
    fn start(
        mut command: Command,
        port: u16,
        health: &str,
        log: PathBuf,
        within: Duration,
    ) -> Server {
        let file = std::fs::File::create(&log).expect("the server's log file");
        let child = command
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("the server's log file, again"))
            .stderr(file)
            .spawn()
            .unwrap_or_else(|error| panic!("cannot start {command:?}: {error}"));
        let mut server = Server { child, log };
        let started = Instant::now();
        loop {
            if let Ok(Some(status)) = server.child.try_wait() {
                panic!(
                    "the server exited ({status}) before answering:\n{}",
                    server.output()
                );
            }
            if http_status(port, health) == Some(200) {
                return server;
            }
            assert!(
                started.elapsed() < within,
                "the server did not answer {health} within {within:?}:\n{}",
                server.output()
            );
            std::thread::sleep(Duration::from_millis(200));
        }
    }

    fn output(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The status of a plain `GET`, or `None` when nothing answers.
fn http_status(port: u16, path: &str) -> Option<u16> {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(("127.0.0.1", port)).ok()?;
    stream.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 16];
    stream.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

/// The events of a `--json` run, checked to be a completed turn: the
/// agent's message and the usage.
fn completed_turn(events: &[Value]) -> (String, Value) {
    let answer = events
        .iter()
        .rev()
        .filter(|event| {
            event["type"] == "item.completed" && event["item"]["type"] == "agent_message"
        })
        .find_map(|event| event["item"]["text"].as_str())
        .unwrap_or_else(|| panic!("no answer in {events:#?}"))
        .to_owned();
    let usage = events
        .iter()
        .find(|event| event["type"] == "turn.completed")
        .unwrap_or_else(|| panic!("the turn did not complete: {events:#?}"))["usage"]
        .clone();
    (answer, usage)
}

#[tokio::test(flavor = "multi_thread")]
async fn llama_server_answers_on_every_wire() {
    let (Some(server_bin), Some(gguf)) = (built("llama-server"), built("smollm2.gguf")) else {
        return;
    };
    let port = free_port();
    let workspace = Workspace::new();
    let mut command = Command::new(&server_bin);
    command.args(["-m"]).arg(&gguf).args([
        "--host",
        "127.0.0.1",
        "--port",
        &port.to_string(),
        "--ctx-size",
        "8192",
        "--parallel",
        "1",
        "--threads",
        "2",
        "--temp",
        "0",
        "--seed",
        "1",
        "--jinja",
        "--no-webui",
    ]);
    let server = Server::start(
        command,
        port,
        "/health",
        workspace.home().join("llama-server.log"),
        Duration::from_secs(120),
    );
    let base = format!("http://127.0.0.1:{port}/v1");
    // A 135M model lost in duet's whole prompt rambles until its window is
    // full; short instructions, as one would give a small local model.
    let brief = workspace.home().join("brief.md");
    std::fs::write(
        &brief,
        "You are a helpful assistant. Answer in one short sentence.\n",
    )
    .unwrap();
    for wire in ["responses", "chat", "anthropic"] {
        let outcome = workspace
            .exec()
            .arg("-c")
            .arg(format!("model_instructions_file=\"{}\"", brief.display()))
            .args(["-c", "include_permissions_instructions=false"])
            .args(["-c", "include_environment_context=false"])
            .args(["-c", "model_provider=llama"])
            .arg("-c")
            .arg(format!("model_providers.llama.base_url=\"{base}\""))
            .arg("-c")
            .arg(format!("model_providers.llama.wire_api=\"{wire}\""))
            .args(["-c", "model_providers.llama.stream_idle_timeout_ms=120000"])
            .args(["-c", "model_providers.llama.request_max_retries=0"])
            .args(["-m", "smollm2-135m-instruct", "--json", "--ephemeral"])
            .arg("Reply with one short sentence that greets me.")
            .run()
            .await;
        assert_eq!(
            outcome.code,
            Some(0),
            "{wire}: {}\nserver:\n{}",
            outcome.describe(),
            server.output()
        );
        let (answer, usage) = completed_turn(&outcome.events());
        assert!(!answer.trim().is_empty(), "{wire}: an empty answer");
        assert!(
            usage["input_tokens"].as_u64().unwrap_or(0) > 10
                && usage["output_tokens"].as_u64().unwrap_or(0) > 0,
            "{wire}: usage {usage}"
        );
    }
}

/// duet's scripted model in-process: per request, a call of `echo hi`,
/// then an answer, looped.
async fn scripted_model() -> u16 {
    let script: Script = serde_json::from_value(json!({"loop": true, "responses": [
        [{"function_call": {"name": "exec_command", "arguments": {"cmd": "echo hi"}}}],
        [{"message": "it said hi"}, {"usage": {"input_tokens": 40, "output_tokens": 4}}],
    ]}))
    .expect("a valid script");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("a local port");
    let port = listener.local_addr().expect("a local port").port();
    tokio::spawn(duet_test_support::mock_server::serve(
        listener,
        ScriptState::new(script).expect("a valid script"),
        None,
    ));
    port
}

#[tokio::test(flavor = "multi_thread")]
async fn litellm_proxies_a_tool_loop_on_the_chat_and_responses_wires() {
    let Some(litellm) = built("litellm") else {
        return;
    };
    let model_port = scripted_model().await;
    let workspace = Workspace::new();
    let config = workspace.home().join("litellm.yaml");
    std::fs::write(
        &config,
        format!(
            "model_list:\n  - model_name: scripted\n    litellm_params:\n      model: openai/scripted\n      api_base: http://127.0.0.1:{model_port}/v1\n      api_key: sk-model\ngeneral_settings:\n  master_key: sk-litellm\n"
        ),
    )
    .unwrap();
    let port = free_port();
    let mut command = Command::new(&litellm);
    command
        .arg("--config")
        .arg(&config)
        .args([
            "--host",
            "127.0.0.1",
            "--port",
            &port.to_string(),
            "--num_workers",
            "1",
        ])
        .env("HOME", workspace.home())
        // No network: the price map from the package, no telemetry.
        .env("LITELLM_LOCAL_MODEL_COST_MAP", "True")
        .env("LITELLM_TELEMETRY", "False")
        .env("NO_PROXY", "*");
    let server = Server::start(
        command,
        port,
        "/health/liveliness",
        workspace.home().join("litellm.log"),
        Duration::from_secs(180),
    );
    let base = format!("http://127.0.0.1:{port}/v1");
    for wire in ["chat", "responses"] {
        let outcome = workspace
            .exec()
            .args(["-c", "model_provider=litellm"])
            .arg("-c")
            .arg(format!("model_providers.litellm.base_url=\"{base}\""))
            .arg("-c")
            .arg(format!("model_providers.litellm.wire_api=\"{wire}\""))
            .args(["-c", "model_providers.litellm.env_key=LITELLM_KEY"])
            .args(["-c", "model_providers.litellm.request_max_retries=0"])
            .args(["-c", "model_context_window=128000"])
            .env("LITELLM_KEY", "sk-litellm")
            .args([
                "-m",
                "scripted",
                "--json",
                "-s",
                "danger-full-access",
                "run echo hi",
            ])
            .run()
            .await;
        assert_eq!(
            outcome.code,
            Some(0),
            "{wire}: {}\nlitellm:\n{}",
            outcome.describe(),
            server.output()
        );
        let events = outcome.events();
        let command_output: Vec<&str> = events
            .iter()
            .filter(|event| {
                event["type"] == "item.completed" && event["item"]["type"] == "command_execution"
            })
            .filter_map(|event| event["item"]["aggregated_output"].as_str())
            .collect();
        assert_eq!(command_output, ["hi\n"], "{wire}: {events:#?}");
        let (answer, usage) = completed_turn(&events);
        assert_eq!(answer, "it said hi", "{wire}");
        assert!(
            usage["input_tokens"].as_u64().unwrap_or(0) >= 40,
            "{wire}: {usage}"
        );
    }
}
