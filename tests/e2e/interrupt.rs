//! Ctrl+C end to end: SIGINT to `duet exec` while a command runs, or while
//! the model is silent, ends the run with exit code 130 at once, kills the
//! command's whole process tree, and prints no `turn.completed`.

#![allow(clippy::disallowed_methods, clippy::print_stderr)]

use crate::common;

use common::{Workspace, process_alive, send_signal, usable_backends, wait_until};
use duet_test_support::responses_mock::{base_url, mount_sse_sequence, start_mock};
use duet_test_support::scripted::{ScriptedServer, Step};
use duet_test_support::sse::{
    ev_assistant_message, ev_function_call, ev_response_created, sse, sse_completed_turn,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use std::time::{Duration, Instant};

/// How long duet may take to exit after SIGINT.
const EXIT_LIMIT: Duration = Duration::from_secs(5);

fn event_types(events: &[Value]) -> Vec<String> {
    events
        .iter()
        .map(|event| event["type"].as_str().unwrap_or_default().to_owned())
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_mid_command_exits_130_and_kills_the_command_tree() {
    let server = start_mock().await;
    // A grandchild (the backgrounded sleep) records its pid, then the
    // command waits for it: killing only the shell would leave it running.
    let cmd = "sleep 30 & echo $! > child.pid; wait";
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call(
                "call_sleep",
                "exec_command",
                &json!({"cmd": cmd, "yield_time_ms": 30000}).to_string(),
            )]),
            sse_completed_turn(&[ev_assistant_message("msg_2", "never sent")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let pid_file = workspace.repo().join("child.pid");
    let running = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "danger-full-access", "sleep a while"])
        .spawn();
    let duet_pid = running.pid();

    let (outcome, grandchild, exited_after) = tokio::task::spawn_blocking(move || {
        let recorded = wait_until(Duration::from_secs(20), || {
            std::fs::read_to_string(&pid_file).is_ok_and(|text| text.ends_with('\n'))
        });
        if !recorded {
            let outcome = running.finish_within(Duration::from_secs(1));
            panic!("the command never wrote child.pid\n{}", outcome.describe());
        }
        let grandchild: i32 = std::fs::read_to_string(&pid_file)
            .expect("read child.pid")
            .trim()
            .parse()
            .expect("a pid");
        assert!(process_alive(grandchild), "the sleep runs before SIGINT");
        let signalled = Instant::now();
        send_signal(duet_pid, libc::SIGINT);
        let outcome = running.finish_within(EXIT_LIMIT);
        (outcome, grandchild, signalled.elapsed())
    })
    .await
    .expect("the waiting thread");

    assert_eq!(outcome.code, Some(130), "{}", outcome.describe());
    assert!(exited_after < EXIT_LIMIT, "took {exited_after:?}");
    assert!(
        wait_until(Duration::from_secs(1), || !process_alive(grandchild)),
        "the command's child {grandchild} survived duet's exit"
    );
    assert_eq!(
        event_types(&outcome.events()),
        ["thread.started", "turn.started", "item.started"],
        "{}",
        outcome.describe()
    );
    // The model was not asked again.
    assert_eq!(log.bodies().len(), 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn sigint_while_the_model_is_silent_exits_130() {
    let server = ScriptedServer::start(vec![vec![
        Step::text(sse(&[ev_response_created("resp_1")])),
        Step::Hang,
    ]])
    .await;
    let workspace = Workspace::new();
    let running = workspace
        .exec()
        .mock_provider(&server.url(), &[])
        .args(["--json", "wait for me"])
        .spawn();
    let duet_pid = running.pid();

    let probe = &server;
    let asked = tokio::time::timeout(Duration::from_secs(20), async {
        while probe.requests().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .is_ok();
    assert!(asked, "duet never sent its request");
    let outcome = tokio::task::spawn_blocking(move || {
        if asked {
            send_signal(duet_pid, libc::SIGINT);
        }
        running.finish_within(EXIT_LIMIT)
    })
    .await
    .expect("the waiting thread");

    assert_eq!(
        (outcome.code, event_types(&outcome.events())),
        (
            Some(130),
            vec!["thread.started".to_owned(), "turn.started".to_owned()]
        ),
        "{}",
        outcome.describe()
    );
}

/// Host processes whose command line contains `token` (pids inside a
/// bubblewrap sandbox are not the host's, so the tests look for a token).
fn processes_with(token: &str) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            String::from_utf8_lossy(&cmdline).contains(token) && process_alive(*pid)
        })
        .collect()
}

/// Issue 16, item 6: whatever ends `duet exec` (Ctrl+C, SIGTERM, even
/// SIGKILL, which duet cannot see), a confined command and what it started
/// in another session die with it, on every backend. SIGTERM is an
/// interrupt: exit 130, no `turn.completed`.
#[tokio::test(flavor = "multi_thread")]
async fn every_way_duet_ends_takes_the_confined_command_tree_with_it() {
    let backends = usable_backends(&Workspace::new());
    for backend in backends {
        for signal in [libc::SIGINT, libc::SIGTERM, libc::SIGKILL] {
            let token = format!("duet-outlive-{}-{backend}-{signal}", std::process::id());
            let server = start_mock().await;
            let cmd = format!("setsid sh -c 'sleep 30; : {token}' & wait");
            mount_sse_sequence(
                &server,
                vec![
                    sse_completed_turn(&[ev_function_call(
                        "call_sleep",
                        "exec_command",
                        &json!({"cmd": cmd, "yield_time_ms": 30000}).to_string(),
                    )]),
                    sse_completed_turn(&[ev_assistant_message("msg_2", "never sent")]),
                ],
            )
            .await;
            let workspace = Workspace::new();
            let running = workspace
                .exec()
                .mock(&base_url(&server))
                .args(["-c", &format!("sandbox_backend={backend}")])
                // No mount points in the shared /tmp: SIGKILL leaves them.
                .args(["-c", "sandbox_workspace_write.exclude_slash_tmp=true"])
                .args(["-c", "sandbox_workspace_write.exclude_tmpdir_env_var=true"])
                .args(["--json", "-s", "workspace-write", "sleep a while"])
                .spawn();
            let duet_pid = running.pid();
            let label = format!("{backend}, signal {signal}");
            let watched = token.clone();
            let outcome = tokio::task::spawn_blocking(move || {
                if !wait_until(Duration::from_secs(20), || {
                    !processes_with(&watched).is_empty()
                }) {
                    let outcome = running.finish_within(Duration::from_secs(1));
                    panic!("the command never started\n{}", outcome.describe());
                }
                // bubblewrap ties its namespace to duet only once it has
                // settled: a SIGKILL within the first milliseconds of a
                // command can still leave it (docs/sandbox.md, section 7).
                std::thread::sleep(Duration::from_millis(500));
                send_signal(duet_pid, signal);
                running.finish_within(EXIT_LIMIT)
            })
            .await
            .expect("the waiting thread");
            let expected_code = if signal == libc::SIGKILL {
                None
            } else {
                Some(130)
            };
            assert_eq!(
                outcome.code,
                expected_code,
                "{label}: {}",
                outcome.describe()
            );
            assert!(
                wait_until(Duration::from_secs(3), || processes_with(&token).is_empty()),
                "{label}: the command's child, in its own session, survived duet: {:?}",
                processes_with(&token)
            );
            if signal != libc::SIGKILL {
                assert_eq!(
                    event_types(&outcome.events()),
                    ["thread.started", "turn.started", "item.started"],
                    "{label}: {}",
                    outcome.describe()
                );
            }
        }
    }
}

/// Issue 16, item 13: after `kill -9` of duet under bubblewrap, the empty
/// mount points of the missing `.duet` and `.agents` stayed in the
/// repository. The next duet to run a command clears them.
#[tokio::test(flavor = "multi_thread")]
async fn mount_points_a_killed_run_left_are_cleared_by_the_next() {
    if !usable_backends(&Workspace::new()).contains(&"bwrap".to_string()) {
        return;
    }
    let workspace = Workspace::new();
    let token = format!("duet-leftover-{}", std::process::id());
    let server = start_mock().await;
    mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call(
                "c1",
                "exec_command",
                &json!({"cmd": format!("sleep 30; : {token}"), "yield_time_ms": 30000}).to_string(),
            )]),
            sse_completed_turn(&[ev_function_call(
                "c2",
                "exec_command",
                &json!({"cmd": "true"}).to_string(),
            )]),
            sse_completed_turn(&[ev_assistant_message("m", "done")]),
        ],
    )
    .await;
    let run = || {
        workspace
            .exec()
            .mock(&base_url(&server))
            .args(["-c", "sandbox_backend=bwrap"])
            .args(["-c", "sandbox_workspace_write.exclude_slash_tmp=true"])
            .args(["-c", "sandbox_workspace_write.exclude_tmpdir_env_var=true"])
            .args(["--json", "-s", "workspace-write", "go"])
    };
    let running = run().spawn();
    let pid = running.pid();
    let watched = token.clone();
    let killed = tokio::task::spawn_blocking(move || {
        assert!(
            wait_until(Duration::from_secs(20), || !processes_with(&watched)
                .is_empty()),
            "the command never started"
        );
        // Past bubblewrap's start-up window (see the test above).
        std::thread::sleep(Duration::from_millis(500));
        send_signal(pid, libc::SIGKILL);
        running.finish_within(EXIT_LIMIT)
    })
    .await
    .expect("the waiting thread");
    assert_eq!(killed.code, None, "{}", killed.describe());
    assert!(
        wait_until(Duration::from_secs(3), || processes_with(&token).is_empty()),
        "the command outlived duet"
    );
    let repo = workspace.repo();
    assert!(
        repo.join(".duet").is_dir() && repo.join(".agents").is_dir(),
        "the killed run left no mount point to clear (nothing to test)"
    );
    let next = run().run().await;
    assert_eq!(next.code, Some(0), "{}", next.describe());
    assert!(
        !repo.join(".duet").exists() && !repo.join(".agents").exists(),
        "the next run left the mount points: {:?}",
        std::fs::read_dir(repo)
            .unwrap()
            .map(|entry| entry.unwrap().file_name())
            .collect::<Vec<_>>()
    );
}
