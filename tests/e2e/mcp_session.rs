//! MCP servers in a session, against real servers from npm
//! (`server-everything`, and `tests/mcp/servers/scripted.mjs` on the
//! official SDK) and the mock model: calls and their items, results
//! (text, image, error) back in the next request, servers that are slow,
//! never start, are required, change their tools, die, or outlive a
//! killed duet, and what reaches a server's environment.

#![allow(clippy::disallowed_methods)]

use crate::common::{
    self, EVERYTHING, FILESYSTEM, SCRIPTED, Workspace, mcp_server, normalized_events,
};
use duet_test_support::responses_mock::{ResponsesLog, base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{ev_assistant_message, ev_function_call, sse_completed_turn};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::path::Path;
use std::time::Duration;

/// Write `servers` (TOML tables) as the workspace's config.
fn configure(workspace: &Workspace, servers: &str) {
    std::fs::write(workspace.home().join("config.toml"), servers).expect("write the config");
}

/// A `[mcp_servers.NAME]` table running `node SCRIPT ARGS…`, plus `extra`
/// lines.
fn node_server(name: &str, script: &Path, args: &[&str], extra: &str) -> String {
    let mut argv = vec![script.display().to_string()];
    argv.extend(args.iter().map(|arg| arg.to_string()));
    format!(
        "[mcp_servers.{name}]\ncommand = \"node\"\nargs = {}\n{extra}\n",
        serde_json::to_string(&argv).expect("argv as JSON")
    )
}

/// The names of the tools a request offered.
fn tool_names(body: &Value) -> Vec<String> {
    body["tools"]
        .as_array()
        .expect("a list of tools")
        .iter()
        .filter_map(|tool| tool["name"].as_str().map(str::to_string))
        .collect()
}

/// The output the model got for `call_id`.
fn output_for(bodies: &[Value], call_id: &str) -> Value {
    bodies
        .iter()
        .flat_map(|body| body["input"].as_array().cloned().unwrap_or_default())
        .find(|item| item["call_id"] == call_id && item["type"] == "function_call_output")
        .map(|item| item["output"].clone())
        .unwrap_or_else(|| panic!("no output for {call_id}"))
}

/// The `mcp_tool_call` items completed in a run, by id.
fn completed_calls(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .filter(|event| {
            event["type"] == "item.completed" && event["item"]["type"] == "mcp_tool_call"
        })
        .map(|event| event["item"].clone())
        .collect()
}

fn warnings(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .filter(|event| event["type"] == "item.completed" && event["item"]["type"] == "error")
        .filter_map(|event| event["item"]["message"].as_str().map(str::to_string))
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn a_call_reaches_the_server_and_its_result_the_next_request() {
    let Some(everything) = mcp_server(EVERYTHING) else {
        return;
    };
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[
                ev_function_call("c1", "mcp__everything__echo", r#"{"message":"hi"}"#),
                ev_function_call("c2", "mcp__everything__get-env", "{}"),
            ]),
            sse_completed_turn(&[ev_assistant_message("m1", "done")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    configure(
        &workspace,
        &node_server(
            "everything",
            &everything,
            &["stdio"],
            "default_tools_approval_mode = \"approve\"\nenv = { GIVEN = \"given-value\" }\nenv_vars = [\"PASSED_TOKEN\"]",
        ),
    );
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .env("MY_SECRET_TOKEN", "hunter2")
        .env("PASSED_TOKEN", "passed-value")
        .env("PLAIN_VAR", "plain-value")
        .args(["--json", "use the tools"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let events = normalized_events(&outcome, &workspace);
    // The echo call, started then completed, in the reference's shape.
    let echo_started = events
        .iter()
        .find(|event| event["type"] == "item.started" && event["item"]["tool"] == "echo")
        .unwrap();
    assert_eq!(
        echo_started["item"],
        json!({"id": echo_started["item"]["id"], "type": "mcp_tool_call", "server": "everything",
               "tool": "echo", "arguments": {"message": "hi"}, "result": null, "error": null,
               "status": "in_progress"})
    );
    let calls = completed_calls(&events);
    let echo = calls.iter().find(|item| item["tool"] == "echo").unwrap();
    assert_eq!(
        echo,
        &json!({"id": echo["id"], "type": "mcp_tool_call", "server": "everything", "tool": "echo",
                "arguments": {"message": "hi"},
                "result": {"content": [{"type": "text", "text": "Echo: hi"}], "structured_content": null},
                "error": null, "status": "completed"})
    );

    let bodies = log.bodies();
    assert_eq!(bodies.len(), 2);
    assert_eq!(output_for(&bodies, "c1"), json!("Echo: hi"));
    // The server's environment: its `env`, the variables `env_vars`
    // names and ordinary ones; never a secret that was not given to it.
    let env = output_for(&bodies, "c2").as_str().unwrap().to_string();
    for expected in ["given-value", "passed-value", "plain-value"] {
        assert!(env.contains(expected), "{expected} missing from {env}");
    }
    assert!(
        !env.contains("hunter2"),
        "a secret reached the server: {env}"
    );
    assert!(
        !env.contains("sk-test"),
        "the API key reached the server: {env}"
    );
    // Ready by the second request: its tools are offered, after duet's own.
    let names = tool_names(&bodies[1]);
    assert!(
        names.contains(&"mcp__everything__echo".to_string()),
        "{names:?}"
    );
    assert!(names.contains(&"mcp__everything__get-tiny-image".to_string()));
    assert_eq!(names[0], "exec_command");
    let echo_spec = bodies[1]["tools"]
        .as_array()
        .unwrap()
        .iter()
        .find(|tool| tool["name"] == "mcp__everything__echo")
        .unwrap()
        .clone();
    assert_eq!(echo_spec["type"], "function");
    assert_eq!(echo_spec["description"], "Echoes back the input string");
    assert_eq!(
        echo_spec["parameters"]["properties"]["message"]["type"],
        "string"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn images_reach_the_model_and_errors_fail_the_item() {
    let (Some(everything), Some(scripted)) = (mcp_server(EVERYTHING), mcp_server(SCRIPTED)) else {
        return;
    };
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[
                ev_function_call("img", "mcp__everything__get-tiny-image", "{}"),
                ev_function_call("bad", "mcp__scripted__fail", "{}"),
                ev_function_call("json", "mcp__everything__echo", r#"{"message":"#),
            ]),
            sse_completed_turn(&[ev_assistant_message("m1", "seen")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let approve = "default_tools_approval_mode = \"approve\"";
    configure(
        &workspace,
        &(node_server("everything", &everything, &["stdio"], approve)
            + &node_server("scripted", &scripted, &[], approve)),
    );
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "look"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let bodies = log.bodies();
    let image = output_for(&bodies, "img");
    let parts = image
        .as_array()
        .expect("an image output is a list of parts");
    let kinds: Vec<&str> = parts
        .iter()
        .map(|part| part["type"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"input_image"), "{image}");
    let url = parts
        .iter()
        .find(|part| part["type"] == "input_image")
        .unwrap()["image_url"]
        .as_str()
        .unwrap();
    assert!(url.starts_with("data:image/png;base64,iVBOR"), "{url}");
    assert_eq!(
        output_for(&bodies, "bad"),
        json!("The tool reported an error:\nthis tool always fails")
    );
    let unparsed = output_for(&bodies, "json");
    assert!(
        unparsed
            .as_str()
            .unwrap()
            .starts_with("failed to parse the arguments: EOF while parsing"),
        "{unparsed}"
    );
    let events = normalized_events(&outcome, &workspace);
    let failed = completed_calls(&events)
        .into_iter()
        .find(|item| item["tool"] == "fail")
        .unwrap();
    assert_eq!(
        failed,
        json!({"id": failed["id"], "type": "mcp_tool_call", "server": "scripted", "tool": "fail",
               "arguments": {},
               "result": {"content": [{"type": "text", "text": "this tool always fails"}], "structured_content": null},
               "error": null, "status": "failed"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_slow_server_joins_a_later_request_and_a_dead_one_only_warns() {
    let Some(scripted) = mcp_server(SCRIPTED) else {
        return;
    };
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call(
                "wait",
                "exec_command",
                r#"{"cmd":"sleep 3"}"#,
            )]),
            sse_completed_turn(&[ev_assistant_message("m1", "done")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    configure(
        &workspace,
        &(node_server("slow", &scripted, &["--delay-ms", "1500"], "")
            + "[mcp_servers.silent]\ncommand = \"sleep\"\nargs = [\"60\"]\nstartup_timeout_sec = 0.5\n"
            + "[mcp_servers.missing]\ncommand = \"/nonexistent/mcp-server\"\n"),
    );
    let started = std::time::Instant::now();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "danger-full-access", "wait a little"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let bodies = log.bodies();
    let first = tool_names(&bodies[0]);
    assert!(
        !first.iter().any(|name| name.starts_with("mcp__")),
        "the first request did not wait for the servers: {first:?}"
    );
    let second = tool_names(&bodies[1]);
    assert!(second.contains(&"mcp__slow__pid".to_string()), "{second:?}");
    assert!(
        started.elapsed() < Duration::from_secs(30),
        "a silent server must not hold the session"
    );
    let events = normalized_events(&outcome, &workspace);
    let mut warnings = warnings(&events);
    warnings.sort();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert_eq!(
        warnings[0],
        "MCP server `missing` did not start (`/nonexistent/mcp-server`): cannot run `/nonexistent/mcp-server`: No such file or directory (os error 2); check `mcp_servers.missing.command`; the session goes on without its tools"
    );
    assert_eq!(
        warnings[1],
        "MCP server `silent` was not ready within 0.5 s; raise `mcp_servers.silent.startup_timeout_sec` if it is slow to start (a first `npx` or `uvx` run downloads it); the session goes on without its tools"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_required_server_that_fails_stops_the_run_before_any_request() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![sse_completed_turn(&[ev_assistant_message("m1", "never")])],
    )
    .await;
    let workspace = Workspace::new();
    configure(
        &workspace,
        "[mcp_servers.tracker]\ncommand = \"/nonexistent/tracker-mcp\"\nrequired = true\n",
    );
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "triage"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(1), "{}", outcome.describe());
    assert!(log.bodies().is_empty(), "no request is sent without it");
    let events = normalized_events(&outcome, &workspace);
    let failed = events
        .iter()
        .find(|event| event["type"] == "turn.failed")
        .unwrap();
    let message = failed["error"]["message"].as_str().unwrap();
    assert_eq!(
        message,
        "MCP server `tracker` did not start (`/nonexistent/tracker-mcp`): cannot run `/nonexistent/tracker-mcp`: No such file or directory (os error 2); check `mcp_servers.tracker.command` (`mcp_servers.tracker` is `required = true`, so nothing runs without it; fix it, or set `required = false` to go on without it)"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn tools_the_server_adds_join_later_requests() {
    let Some(scripted) = mcp_server(SCRIPTED) else {
        return;
    };
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call("add", "mcp__scripted__add-tool", "{}")]),
            sse_completed_turn(&[ev_function_call(
                "wait",
                "exec_command",
                r#"{"cmd":"sleep 1"}"#,
            )]),
            sse_completed_turn(&[ev_function_call("late", "mcp__scripted__late", "{}")]),
            sse_completed_turn(&[ev_assistant_message("m1", "done")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    configure(
        &workspace,
        &node_server(
            "scripted",
            &scripted,
            &[],
            "default_tools_approval_mode = \"approve\"",
        ),
    );
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "danger-full-access", "grow"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let bodies = log.bodies();
    assert!(!tool_names(&bodies[0]).contains(&"mcp__scripted__late".to_string()));
    assert!(
        tool_names(&bodies[2]).contains(&"mcp__scripted__late".to_string()),
        "{:?}",
        tool_names(&bodies[2])
    );
    assert_eq!(output_for(&bodies, "late"), json!("late tool called"));
}

#[tokio::test(flavor = "multi_thread")]
async fn exec_declines_calls_that_need_approval_and_runs_read_only_ones() {
    let Some(scripted) = mcp_server(SCRIPTED) else {
        return;
    };
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[
                ev_function_call("f", "mcp__scripted__fail", "{}"),
                ev_function_call("p", "mcp__scripted__pid", "{}"),
            ]),
            sse_completed_turn(&[ev_assistant_message("m1", "ok")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    configure(&workspace, &node_server("scripted", &scripted, &[], ""));
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "try"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let declined = "MCP tool call requires approval, but approval policy is never; the user can allow it with `mcp_servers.scripted.tools.fail.approval_mode = \"approve\"` (or `default_tools_approval_mode = \"approve\"` for every tool of `scripted`)";
    let bodies = log.bodies();
    assert_eq!(output_for(&bodies, "f"), json!(declined));
    let pid = output_for(&bodies, "p");
    assert!(pid.as_str().unwrap().parse::<u32>().is_ok(), "{pid}");
    let events = normalized_events(&outcome, &workspace);
    let fail = completed_calls(&events)
        .into_iter()
        .find(|item| item["tool"] == "fail")
        .unwrap();
    assert_eq!(
        fail,
        json!({"id": fail["id"], "type": "mcp_tool_call", "server": "scripted", "tool": "fail",
               "arguments": {}, "result": null, "error": {"message": declined}, "status": "failed"})
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_server_that_dies_is_started_again_on_its_next_call() {
    let Some(scripted) = mcp_server(SCRIPTED) else {
        return;
    };
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call("p1", "mcp__scripted__pid", "{}")]),
            sse_completed_turn(&[ev_function_call(
                "wait",
                "exec_command",
                r#"{"cmd":"sleep 0.5"}"#,
            )]),
            sse_completed_turn(&[ev_function_call("p2", "mcp__scripted__pid", "{}")]),
            sse_completed_turn(&[ev_assistant_message("m1", "ok")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    configure(
        &workspace,
        &node_server("scripted", &scripted, &["--exit-after-calls", "1"], ""),
    );
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "danger-full-access", "twice"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let bodies = log.bodies();
    let first = output_for(&bodies, "p1");
    let second = output_for(&bodies, "p2");
    assert!(second.as_str().unwrap().parse::<u32>().is_ok(), "{second}");
    assert_ne!(first, second, "a new process answered the second call");
    // A finished run has stopped its servers before it exits.
    let second: i32 = second.as_str().unwrap().parse().unwrap();
    assert!(
        !common::process_alive(second),
        "MCP server {second} outlived a finished `duet exec`"
    );
}

/// The pid the scripted server reported, once the model has it.
fn reported_pid(log: &ResponsesLog) -> Option<i32> {
    output_for_opt(&log.bodies(), "p")?.as_str()?.parse().ok()
}

fn output_for_opt(bodies: &[Value], call_id: &str) -> Option<Value> {
    bodies
        .iter()
        .flat_map(|body| body["input"].as_array().cloned().unwrap_or_default())
        .find(|item| item["call_id"] == call_id && item["type"] == "function_call_output")
        .map(|item| item["output"].clone())
}

#[tokio::test(flavor = "multi_thread")]
async fn no_server_outlives_a_killed_duet() {
    let Some(scripted) = mcp_server(SCRIPTED) else {
        return;
    };
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call("p", "mcp__scripted__pid", "{}")]),
            sse_completed_turn(&[ev_function_call(
                "wait",
                "exec_command",
                r#"{"cmd":"sleep 60"}"#,
            )]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    configure(&workspace, &node_server("scripted", &scripted, &[], ""));
    let running = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "danger-full-access", "hold on"])
        .spawn();
    let mut pid = None;
    assert!(
        common::wait_until(Duration::from_secs(20), || {
            pid = reported_pid(&log);
            pid.is_some()
        }),
        "the server never reported its pid"
    );
    let pid = pid.unwrap();
    assert!(common::process_alive(pid));
    common::send_signal(running.pid(), libc::SIGKILL);
    let _ = running.finish();
    assert!(
        common::wait_until(Duration::from_secs(10), || !common::process_alive(pid)),
        "MCP server {pid} outlived duet"
    );
}

/// An MCP server serving streamable HTTP on 127.0.0.1, stopped when
/// dropped.
struct HttpServer {
    child: std::process::Child,
    url: String,
}

impl Drop for HttpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `scripted.mjs --http`: it says which port it took.
fn scripted_over_http(script: &Path) -> HttpServer {
    use std::io::BufRead;
    let mut child = std::process::Command::new("node")
        .arg(script)
        .arg("--http")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start node");
    let stdout = child.stdout.take().expect("piped stdout");
    let mut line = String::new();
    std::io::BufReader::new(stdout)
        .read_line(&mut line)
        .expect("read its port");
    let port = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    HttpServer {
        child,
        url: format!("http://127.0.0.1:{port}/mcp"),
    }
}

/// `server-everything streamableHttp` on a free port, once it listens.
fn everything_over_http(script: &Path) -> HttpServer {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port();
    let child = std::process::Command::new("node")
        .arg(script)
        .arg("streamableHttp")
        .env("PORT", port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start node");
    let server = HttpServer {
        child,
        url: format!("http://127.0.0.1:{port}/mcp"),
    };
    assert!(
        common::wait_until(Duration::from_secs(20), || {
            std::net::TcpStream::connect(("127.0.0.1", port)).is_ok()
        }),
        "server-everything did not listen on {port}"
    );
    server
}

#[tokio::test(flavor = "multi_thread")]
async fn streamable_http_servers_get_their_token_and_headers() {
    let (Some(everything), Some(scripted)) = (mcp_server(EVERYTHING), mcp_server(SCRIPTED)) else {
        return;
    };
    let web = scripted_over_http(&scripted);
    let stock = everything_over_http(&everything);
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[
                ev_function_call("h", "mcp__web__headers", "{}"),
                ev_function_call("e", "mcp__stock__echo", r#"{"message":"over http"}"#),
                ev_function_call("w", "exec_command", r#"{"cmd":"sleep 0.5"}"#),
            ]),
            sse_completed_turn(&[ev_assistant_message("m1", "done")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    configure(
        &workspace,
        &format!(
            "[mcp_servers.web]\nurl = \"{}\"\nbearer_token_env_var = \"WEB_TOKEN\"\n\
             http_headers = {{ \"X-Team\" = \"tools\" }}\nenv_http_headers = {{ \"X-Key\" = \"WEB_KEY\" }}\n\n\
             [mcp_servers.stock]\nurl = \"{}\"\n\n\
             [mcp_servers.down]\nurl = \"http://127.0.0.1:1/mcp\"\n",
            web.url, stock.url
        ),
    );
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .env("WEB_TOKEN", "tok-123")
        .env("WEB_KEY", "key-456")
        .args(["--json", "over the network"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let bodies = log.bodies();
    assert_eq!(
        output_for(&bodies, "h"),
        json!(r#"{"authorization":"Bearer tok-123","x-team":"tools","x-key":"key-456"}"#)
    );
    assert_eq!(output_for(&bodies, "e"), json!("Echo: over http"));
    let events = normalized_events(&outcome, &workspace);
    assert_eq!(
        warnings(&events),
        vec![
            "MCP server `down` did not answer at http://127.0.0.1:1/mcp: cannot connect (Connection refused (os error 111)); check the URL, and that the server is running; the session goes on without its tools"
                .to_string()
        ]
    );
}

/// `server-filesystem` annotates its reading tools `readOnlyHint`: under
/// `never` they run, and a write is declined without touching the file.
#[tokio::test(flavor = "multi_thread")]
async fn the_filesystem_server_reads_and_its_writes_wait_for_approval() {
    let Some(filesystem) = mcp_server(FILESYSTEM) else {
        return;
    };
    let workspace = Workspace::new();
    std::fs::write(workspace.repo().join("notes.txt"), "alpha\nbeta\n").unwrap();
    let read = json!({"path": workspace.repo().join("notes.txt")}).to_string();
    let write = json!({"path": workspace.repo().join("notes.txt"), "content": "gone"}).to_string();
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[
                ev_function_call("r", "mcp__fs__read_text_file", &read),
                ev_function_call("w", "mcp__fs__write_file", &write),
            ]),
            sse_completed_turn(&[ev_assistant_message("m1", "read it")]),
        ],
    )
    .await;
    configure(
        &workspace,
        &node_server("fs", &filesystem, &[workspace.repo().to_str().unwrap()], ""),
    );
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "read the notes"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let bodies = log.bodies();
    assert_eq!(output_for(&bodies, "r"), json!("alpha\nbeta\n"));
    assert!(
        output_for(&bodies, "w")
            .as_str()
            .unwrap()
            .starts_with("MCP tool call requires approval, but approval policy is never"),
    );
    assert_eq!(
        workspace.files(),
        vec![("notes.txt".to_string(), "alpha\nbeta\n".to_string())]
    );
}

/// A server with resources brings the tools that list and read them.
#[tokio::test(flavor = "multi_thread")]
async fn resources_are_listed_and_read() {
    let Some(everything) = mcp_server(EVERYTHING) else {
        return;
    };
    let uri = "demo://resource/static/document/features.md";
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[
                ev_function_call("l", "list_mcp_resources", r#"{"server":"everything"}"#),
                ev_function_call(
                    "r",
                    "read_mcp_resource",
                    &json!({"server": "everything", "uri": uri}).to_string(),
                ),
                ev_function_call(
                    "x",
                    "read_mcp_resource",
                    r#"{"server":"nope","uri":"a://b"}"#,
                ),
            ]),
            sse_completed_turn(&[ev_assistant_message("m1", "read")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    configure(
        &workspace,
        &node_server("everything", &everything, &["stdio"], ""),
    );
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "read the docs"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let bodies = log.bodies();
    let listing: Value = serde_json::from_str(output_for(&bodies, "l").as_str().unwrap()).unwrap();
    let features = listing["resources"]
        .as_array()
        .unwrap()
        .iter()
        .find(|resource| resource["uri"] == uri)
        .unwrap_or_else(|| panic!("{uri} not listed: {listing}"));
    assert_eq!(features["server"], "everything");
    assert_eq!(features["mimeType"], "text/markdown");
    let expected =
        std::fs::read_to_string(everything.parent().unwrap().join("docs/features.md")).unwrap();
    assert_eq!(
        output_for(&bodies, "r"),
        json!(format!("Resource {uri}:\n{expected}"))
    );
    assert_eq!(
        output_for(&bodies, "x"),
        json!("there is no MCP server `nope`; the servers are: `everything`")
    );
    let names = tool_names(&bodies[1]);
    for tool in [
        "list_mcp_resources",
        "list_mcp_resource_templates",
        "read_mcp_resource",
    ] {
        assert!(
            names.contains(&tool.to_string()),
            "{tool} not offered: {names:?}"
        );
    }
    let events = normalized_events(&outcome, &workspace);
    let read = completed_calls(&events)
        .into_iter()
        .find(|item| item["tool"] == "read_mcp_resource" && item["server"] == "everything")
        .unwrap();
    assert_eq!(read["status"], "completed");
    assert_eq!(read["result"]["content"][0]["resource"]["uri"], uri);
}
