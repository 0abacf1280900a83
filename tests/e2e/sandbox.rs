//! The sandbox end to end: `duet exec` with a mock model whose commands run
//! under `read-only` and `workspace-write` on whichever backend this host
//! has (bubblewrap or Landlock; skipped with the reason when neither
//! works), and `duet sandbox` / `duet doctor` themselves.

#![allow(clippy::disallowed_methods, clippy::print_stderr)]

use crate::common;

use common::{Workspace, auto_backend, normalized_events, usable_backends};
use duet_test_support::responses_mock::{base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{ev_assistant_message, ev_function_call, sse_completed_turn};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::path::Path;

/// How a write refused by the sandbox reads: a read-only mount under
/// bubblewrap, a Landlock denial otherwise.
fn denial(backend: &str) -> &'static str {
    if backend == "bwrap" {
        "Read-only file system"
    } else {
        "Permission denied"
    }
}

/// The `output` text of the `function_call_output` for `call_id`.
fn function_call_output(body: &Value, call_id: &str) -> String {
    body["input"]
        .as_array()
        .expect("input array")
        .iter()
        .find(|item| item["type"] == "function_call_output" && item["call_id"] == call_id)
        .and_then(|item| item["output"].as_str())
        .unwrap_or_else(|| panic!("no output for {call_id} in {body}"))
        .to_string()
}

/// The command output part of an exec result and its exit code line.
fn result_of(output: &str) -> (String, String) {
    let (header, body) = common::split_exec_output(output);
    let code_line = header
        .lines()
        .find(|line| line.starts_with("Process exited"))
        .unwrap_or("no exit line")
        .to_string();
    (code_line, body)
}

#[tokio::test(flavor = "multi_thread")]
async fn workspace_write_allows_the_workspace_denies_outside_and_escalation() {
    let probe = Workspace::new();
    for backend in usable_backends(&probe) {
        workspace_write_on(&backend).await;
    }
}

async fn workspace_write_on(backend: &str) {
    let workspace = Workspace::new();
    // Landlock cannot let new entries appear directly in a workspace root
    // (see crates/sandbox/src/landlock.rs), so the model writes into `src`.
    std::fs::create_dir(workspace.repo().join("src")).expect("mkdir src");
    std::fs::write(workspace.repo().join("src/.keep"), "").expect("write .keep");
    let outside = workspace.home().join("outside.txt");
    let outside_cmd = format!("echo no > {}", outside.display());
    let escalate = json!({
        "cmd": "echo escaped > /etc/duet-escape",
        "sandbox_permissions": "require_escalated",
        "justification": "needs /etc",
    })
    .to_string();

    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[
                ev_function_call(
                    "call_in",
                    "exec_command",
                    &json!({"cmd": "echo yes > src/inside.txt && echo $DUET_SANDBOX"}).to_string(),
                ),
                ev_function_call(
                    "call_out",
                    "exec_command",
                    &json!({"cmd": outside_cmd}).to_string(),
                ),
                ev_function_call("call_esc", "exec_command", &escalate),
            ]),
            sse_completed_turn(&[ev_assistant_message("msg_2", "done")]),
        ],
    )
    .await;
    // /tmp holds the home: keep it out of the writable roots.
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args([
            "--json",
            "-s",
            "workspace-write",
            "-c",
            "sandbox_workspace_write.exclude_slash_tmp=true",
            "-c",
            "sandbox_workspace_write.exclude_tmpdir_env_var=true",
            "-c",
            &format!("sandbox_backend={backend}"),
            "write the files",
        ])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{backend}: {}", outcome.describe());

    let second = &log.bodies()[1];
    let inside = result_of(&function_call_output(second, "call_in"));
    let outside_result = result_of(&function_call_output(second, "call_out"));
    let escalation = function_call_output(second, "call_esc");
    assert_eq!(
        (inside, outside_result, escalation.as_str()),
        (
            (
                "Process exited with code 0".to_string(),
                format!("{backend}\n")
            ),
            (
                "Process exited with code 1".to_string(),
                format!(
                    "/bin/bash: line 1: {}: {}\n",
                    outside.display(),
                    denial(backend)
                )
            ),
            "escalation rejected: the approval policy is `never`, so commands cannot run \
             outside the sandbox; do the task within the sandbox's limits"
        ),
        "{backend}"
    );
    assert_eq!(
        workspace.files(),
        vec![
            ("src/.keep".to_string(), String::new()),
            ("src/inside.txt".to_string(), "yes\n".to_string())
        ]
    );
    assert!(!outside.exists());
    assert!(!Path::new("/etc/duet-escape").exists());
    for name in [".duet", ".agents"] {
        assert!(
            !workspace.repo().join(name).exists(),
            "the empty mount point {name} was left behind"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_read_only_default_runs_commands_confined() {
    let workspace = Workspace::new();
    let Some(backend) = auto_backend(&workspace) else {
        return;
    };
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call(
                "call_1",
                "exec_command",
                r#"{"cmd":"touch made.txt"}"#,
            )]),
            sse_completed_turn(&[ev_assistant_message("msg_2", "it is read-only")]),
        ],
    )
    .await;
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "make a file"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let message = format!("touch: cannot touch 'made.txt': {}\n", denial(&backend));
    let command = |output: &str, exit_code: Value, status: &str| {
        json!({"id": "item_0", "type": "command_execution",
               "command": "/bin/bash -lc 'touch made.txt'",
               "aggregated_output": output, "exit_code": exit_code, "status": status})
    };
    let events = normalized_events(&outcome, &workspace);
    assert_eq!(
        events[..5].to_vec(),
        vec![
            json!({"type": "thread.started", "thread_id": "<THREAD>", "schema_version": "1.1"}),
            json!({"type": "turn.started"}),
            json!({"type": "item.started", "item": command("", Value::Null, "in_progress")}),
            json!({"type": "item.completed", "item": command(&message, json!(1), "failed")}),
            json!({"type": "item.completed", "item": {
                "id": "item_1", "type": "agent_message", "text": "it is read-only"}}),
        ]
    );
    assert_eq!(
        result_of(&function_call_output(&log.bodies()[1], "call_1")),
        ("Process exited with code 1".to_string(), message)
    );
    assert_eq!(workspace.files(), Vec::<(String, String)>::new());
}

#[test]
fn duet_sandbox_passes_the_status_through_and_reports_failures() {
    let workspace = Workspace::new();
    let Some(backend) = auto_backend(&workspace) else {
        return;
    };
    let run = |args: &[&str]| {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_duet"))
            .arg("sandbox")
            .args(args)
            .current_dir(workspace.repo())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("DUET_HOME", workspace.home())
            .env("HOME", workspace.home())
            .env("MY_PASSWORD", "hunter2")
            .output()
            .expect("duet sandbox runs");
        (
            output.status.code(),
            String::from_utf8_lossy(&output.stdout).into_owned(),
            String::from_utf8_lossy(&output.stderr).into_owned(),
        )
    };
    assert_eq!(
        run(&[
            "--",
            "sh",
            "-c",
            "echo $DUET_SANDBOX $DUET_SANDBOX_NETWORK_DISABLED ${MY_PASSWORD:-hidden}; exit 7"
        ]),
        (Some(7), format!("{backend} 1 hidden\n"), String::new())
    );
    assert_eq!(
        run(&["--", "sh", "-c", "kill -KILL $$"]),
        (Some(137), String::new(), String::new())
    );
    assert_eq!(
        run(&[
            "-s",
            "workspace-write",
            "-c",
            "sandbox_workspace_write.network_access=true",
            "--",
            "sh",
            "-c",
            "echo ${DUET_SANDBOX_NETWORK_DISABLED:-on}"
        ]),
        (Some(0), "on\n".to_string(), String::new())
    );
    let forced_other = if backend == "bwrap" {
        "landlock"
    } else {
        "bwrap"
    };
    let (code, _, _) = run(&[
        "-c",
        &format!("sandbox_backend={forced_other}"),
        "--",
        "true",
    ]);
    // The other backend may or may not work here; either it runs `true` or
    // it fails closed with status 1 and a reason.
    assert!(code == Some(0) || code == Some(1), "{code:?}");
    assert_eq!(
        run(&["-c", "sandbox_backend=seatbelt", "--", "true"]),
        (
            Some(1),
            String::new(),
            "error: cannot load the configuration: invalid `-c` override `sandbox_backend`: \
             unknown variant `seatbelt`, expected one of `auto`, `bwrap`, `landlock`\n"
                .to_string()
        )
    );
}

/// `duet sandbox` itself confines on every backend this host has (under
/// Landlock it plays the helper's part in its own process rather than
/// starting duet again): the workspace is writable, a sibling directory and
/// `.git` are not, the network is off, and what the command leaves running
/// is killed when it ends.
#[test]
fn duet_sandbox_confines_on_every_backend() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a loopback port");
    let port = listener.local_addr().expect("its address").port();
    for backend in usable_backends(&Workspace::new()) {
        let workspace = Workspace::new();
        std::fs::create_dir(workspace.repo().join("src")).expect("mkdir src");
        let outside = workspace.home().join("outside.txt");
        let script = format!(
            "echo in > src/in.txt; \
             (echo out > {outside}) 2>/dev/null || echo out-denied; \
             touch .git/z 2>/dev/null || echo git-denied; \
             (exec 3<>/dev/tcp/127.0.0.1/{port}) 2>/dev/null && echo net-open || echo net-denied; \
             (sleep 1; echo late > src/late.txt) & \
             echo done",
            outside = outside.display()
        );
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_duet"))
            .args([
                "sandbox",
                "-s",
                "workspace-write",
                "-c",
                &format!("sandbox_backend={backend}"),
                "-c",
                "sandbox_workspace_write.exclude_slash_tmp=true",
                "-c",
                "sandbox_workspace_write.exclude_tmpdir_env_var=true",
                "--",
                "bash",
                "-c",
                &script,
            ])
            .current_dir(workspace.repo())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("DUET_HOME", workspace.home())
            .env("HOME", workspace.home())
            .output()
            .expect("duet sandbox runs");
        assert_eq!(
            (
                output.status.code(),
                String::from_utf8_lossy(&output.stdout).into_owned(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            ),
            (
                Some(0),
                "out-denied\ngit-denied\nnet-denied\ndone\n".to_string(),
                String::new()
            ),
            "backend {backend}"
        );
        // The background writer would have written by now had it survived.
        std::thread::sleep(std::time::Duration::from_millis(1500));
        assert_eq!(
            workspace.files(),
            vec![("src/in.txt".to_string(), "in\n".to_string())],
            "backend {backend}"
        );
        assert!(!outside.exists(), "backend {backend}");
    }
}

/// Issue 16, items 4 and 5: `duet sandbox` hands the command neither a
/// descriptor it inherited (here fd 7, a directory, opened by the shell
/// that starts duet) nor a secret of its own environment: not in the
/// command's environment, and not through `/proc` of the process that
/// waits beside it (under Landlock, `duet sandbox` itself).
#[test]
fn duet_sandbox_hands_the_command_no_descriptor_and_no_secret() {
    let secret = "sk-canary-5f0c1e";
    for backend in usable_backends(&Workspace::new()) {
        let workspace = Workspace::new();
        let script = "ls /proc/self/fd | tr '\\n' ' '; echo; \
                      cat /proc/$PPID/environ 2>/dev/null | tr '\\0' '\\n' | grep -c canary; \
                      cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c canary; true";
        let output = std::process::Command::new("/bin/bash")
            .args(["-c", "exec 7< /; exec \"$@\"", "bash"])
            .arg(env!("CARGO_BIN_EXE_duet"))
            .args([
                "sandbox",
                "-c",
                &format!("sandbox_backend={backend}"),
                "--",
                "sh",
                "-c",
                script,
            ])
            .current_dir(workspace.repo())
            .env_clear()
            .env("PATH", "/usr/bin:/bin")
            .env("DUET_HOME", workspace.home())
            .env("HOME", workspace.home())
            .env("OPENAI_API_KEY", secret)
            .output()
            .expect("duet sandbox runs");
        assert_eq!(
            (
                output.status.code(),
                String::from_utf8_lossy(&output.stdout).into_owned(),
                String::from_utf8_lossy(&output.stderr).into_owned(),
            ),
            (Some(0), "0 1 2 3 \n0\n0\n".to_string(), String::new()),
            "backend {backend}"
        );
    }
}

/// `duet doctor --json` with `args` (after `doctor` unless `before`),
/// the mock key in `OPENAI_API_KEY` when `key`.
fn doctor_with(
    workspace: &Workspace,
    before: &[&str],
    args: &[&str],
    key: bool,
) -> (Option<i32>, Value) {
    let mut command = std::process::Command::new(env!("CARGO_BIN_EXE_duet"));
    command
        .args(before)
        .arg("doctor")
        .arg("--json")
        .args(args)
        .current_dir(workspace.repo())
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DUET_HOME", workspace.home())
        .env("HOME", workspace.home());
    if key {
        command.env("OPENAI_API_KEY", common::TEST_KEY);
    }
    let output = command.output().expect("duet doctor runs");
    let report = serde_json::from_slice(&output.stdout).expect("doctor prints JSON");
    (output.status.code(), report)
}

/// Issue 16, item 21: `duet doctor` ignored the configured backend (`-c
/// sandbox_backend=landlock` still said bwrap) and refused `-c` after the
/// subcommand. It reports the backend commands would run under with its
/// limits, whether the config loads, the provider and its key, and whether
/// the provider answers.
#[tokio::test(flavor = "multi_thread")]
async fn doctor_reports_the_configured_backend_the_config_and_the_provider() {
    let workspace = Workspace::new();
    for backend in usable_backends(&workspace) {
        for (before, after) in [
            (
                vec!["-c".to_string(), format!("sandbox_backend={backend}")],
                vec![],
            ),
            (
                vec![],
                vec!["-c".to_string(), format!("sandbox_backend={backend}")],
            ),
        ] {
            let before: Vec<&str> = before.iter().map(String::as_str).collect();
            let mut after: Vec<&str> = after.iter().map(String::as_str).collect();
            after.push("--offline");
            let (code, report) = doctor_with(&workspace, &before, &after, false);
            assert_eq!(code, Some(0), "{report}");
            assert_eq!(
                (
                    &report["configured_backend"],
                    &report["selected"],
                    &report["config"]["ok"],
                    &report["provider_check"],
                ),
                (
                    &json!(backend),
                    &json!({"backend": backend}),
                    &json!(true),
                    &json!({"status": "not_checked", "reason": "`--offline`"}),
                ),
                "{report}"
            );
            let limits = report["limits"].as_array().expect("limits");
            assert!(!limits.is_empty(), "{report}");
        }
    }
    // A broken config is reported, not a crash; the exit code says so.
    let (code, report) = doctor_with(
        &workspace,
        &[],
        &["-c", "sandbox_mode=sideways", "--offline"],
        false,
    );
    assert_eq!(code, Some(1), "{report}");
    assert_eq!(report["config"]["ok"], json!(false), "{report}");
    assert!(
        report["config"]["error"]
            .as_str()
            .unwrap_or_default()
            .contains("sandbox_mode"),
        "{report}"
    );

    // The provider: no key, a key it takes, a key it refuses.
    let (_, report) = doctor_with(&workspace, &[], &[], false);
    assert_eq!(
        (
            &report["provider"]["key_from"],
            &report["provider"]["wire_api"],
            &report["provider_check"]["status"]
        ),
        (&Value::Null, &json!("responses"), &json!("not_checked")),
        "{report}"
    );
    // A built-in provider of another wire says which.
    let (_, report) = doctor_with(&workspace, &[], &["-c", "model_provider=anthropic"], false);
    assert_eq!(
        (
            &report["provider"]["base_url"],
            &report["provider"]["wire_api"],
            &report["provider"]["model"]
        ),
        (
            &json!("https://api.anthropic.com/v1"),
            &json!("anthropic"),
            &json!("claude-sonnet-4-5")
        ),
        "{report}"
    );
    for (status, expected) in [(200, "answers"), (401, "key_refused")] {
        let server = wiremock::MockServer::start().await;
        wiremock::Mock::given(wiremock::matchers::method("GET"))
            .and(wiremock::matchers::path("/v1/models"))
            .and(wiremock::matchers::header(
                "authorization",
                format!("Bearer {}", common::TEST_KEY).as_str(),
            ))
            .respond_with(wiremock::ResponseTemplate::new(status))
            .mount(&server)
            .await;
        let url = format!("openai_base_url=\"{}/v1\"", server.uri());
        let (_, report) = doctor_with(&workspace, &[], &["-c", &url], true);
        assert_eq!(
            (
                &report["provider"]["key_from"],
                &report["provider_check"]["status"],
                &report["provider_check"]["http_status"],
            ),
            (&json!("OPENAI_API_KEY"), &json!(expected), &json!(status)),
            "{report}"
        );
    }
}
