//! The opt-in log: off unless asked, what a run leaves in
//! `$DUET_HOME/log/duet.log` when it is on, and that no secret gets there.

use crate::common::{Workspace, auto_backend};
use duet_test_support::responses_mock::{base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{ev_assistant_message, ev_function_call, sse_completed_turn};
use pretty_assertions::assert_eq;

const SECRET: &str = "s3cr3t-value-for-the-log-test";

fn turn_with_a_command() -> Vec<String> {
    let command = format!(r#"{{"cmd":"echo {SECRET}","yield_time_ms":5000}}"#);
    vec![
        sse_completed_turn(&[ev_function_call("c1", "exec_command", &command)]),
        sse_completed_turn(&[ev_assistant_message("m1", "done")]),
    ]
}

/// The lines of the log without their time and pid.
fn log_lines(workspace: &Workspace) -> Vec<String> {
    let text = std::fs::read_to_string(workspace.home().join("log/duet.log")).expect("a log");
    text.lines()
        .map(|line| {
            let mut fields = line.splitn(3, ' ');
            let (_time, _pid) = (fields.next(), fields.next());
            fields.next().unwrap_or_default().to_string()
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn without_rust_log_or_log_level_nothing_is_written() {
    let server = start_mock().await;
    mount_sse_sequence(&server, turn_with_a_command()).await;
    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "danger-full-access", "go"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    assert!(!workspace.home().join("log").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn rust_log_records_the_run_and_redacts_secrets() {
    let workspace = Workspace::new();
    let Some(backend) = auto_backend(&workspace) else {
        return;
    };
    let server = start_mock().await;
    mount_sse_sequence(&server, turn_with_a_command()).await;
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .env("RUST_LOG", "debug")
        .env("DEPLOY_TOKEN", SECRET)
        .args(["--json", "-s", "workspace-write", "go"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let lines = log_lines(&workspace);
    let text = lines.join("\n");
    assert!(!text.contains(SECRET), "a secret reached the log:\n{text}");
    // What a bug report needs, in order: the start, the request, the tool
    // call and its command, the turn's end.
    let wanted = [
        "INFO  duet: duet ",
        "INFO  duet_core::session: session ",
        "INFO  duet_core::turn: turn ",
        "DEBUG duet_model::client: POST ",
        "INFO  duet_model::client: ",
        "DEBUG duet_core::tools: tool call c1: `exec_command`",
        "DEBUG duet_sandbox::spawn: confining `/bin/",
        "INFO  duet_core::tools::shell: command `",
        "INFO  duet_core::tools: tool call c1: `exec_command` answered in ",
        "INFO  duet_core::turn: turn ",
    ];
    let mut at = 0;
    for want in wanted {
        let found = lines[at..]
            .iter()
            .position(|line| line.starts_with(want))
            .unwrap_or_else(|| panic!("no `{want}` after line {at} ({backend:?}):\n{text}"));
        at += found + 1;
    }
    assert!(
        text.contains("command `/bin/bash -lc 'echo [redacted]'` exited 0")
            || text.contains("command `/bin/sh -lc 'echo [redacted]'` exited 0"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn log_level_in_the_config_turns_it_on_and_a_bad_rust_log_is_a_warning() {
    let server = start_mock().await;
    mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_assistant_message("m1", "one")]),
            sse_completed_turn(&[ev_assistant_message("m2", "two")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    std::fs::write(
        workspace.home().join("config.toml"),
        "log_level = \"info\"\n",
    )
    .unwrap();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "go"])
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let lines = log_lines(&workspace);
    assert!(
        lines.iter().all(|line| !line.starts_with("DEBUG")),
        "{lines:?}"
    );
    assert!(lines[0].starts_with("INFO  duet: duet "), "{lines:?}");

    let bad = workspace
        .exec()
        .mock(&base_url(&server))
        .env("RUST_LOG", "loud")
        .args(["go"])
        .run()
        .await;
    assert_eq!(bad.code, Some(0), "{}", bad.describe());
    assert!(
        bad.stderr.starts_with(
            "warning: no log is written: `loud` in `RUST_LOG` is not a level or `target=level` \
             (levels: off, error, warn, info, debug)\n"
        ),
        "{}",
        bad.stderr
    );
}
