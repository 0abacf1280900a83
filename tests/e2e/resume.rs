//! `duet exec resume` end to end: `--last` and an explicit id continue the
//! saved thread (same id, whole history re-sent, usage cumulative); an
//! unknown id, or a thread run with `--ephemeral`, cannot be resumed.

#![allow(clippy::disallowed_methods)]

use crate::common;

use common::{Workspace, normalized_events};
use duet_test_support::responses_mock::{base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{ev_assistant_message, sse_completed_turn};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

fn answer(text: &str) -> String {
    sse_completed_turn(&[ev_assistant_message("msg_1", text)])
}

/// `turn.completed` with `n` times the default usage (10/0/5/0).
fn usage_times(n: u64) -> Value {
    json!({"type": "turn.completed", "usage": {
        "input_tokens": 10 * n, "cached_input_tokens": 0, "cache_write_input_tokens": 0,
        "output_tokens": 5 * n, "reasoning_output_tokens": 0, "cost_usd": null,
    }})
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_continues_the_thread_with_its_history_and_usage() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            answer("first answer"),
            answer("second answer"),
            answer("third answer"),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let exec = || workspace.exec().mock(&base_url(&server)).arg("--json");

    let first = exec().arg("first task").run().await;
    assert_eq!(first.code, Some(0), "{}", first.describe());
    let thread_id = first.thread_id();
    let second = exec().args(["resume", "--last", "second task"]).run().await;
    let third = exec()
        .args(["resume", &thread_id, "third task"])
        .run()
        .await;

    let message = |text: &str| {
        json!({"type": "item.completed",
               "item": {"id": "item_0", "type": "agent_message", "text": text}})
    };
    let started =
        json!({"type": "thread.started", "thread_id": "<THREAD>", "schema_version": "1.1"});
    let turn = json!({"type": "turn.started"});
    assert_eq!(
        (
            second.code,
            second.thread_id(),
            normalized_events(&second, &workspace)
        ),
        (
            Some(0),
            thread_id.clone(),
            vec![
                started.clone(),
                turn.clone(),
                message("second answer"),
                // Thread-cumulative, as the reference reports it.
                usage_times(2),
            ]
        ),
        "{}",
        second.describe()
    );
    assert_eq!(
        (
            third.code,
            third.thread_id(),
            normalized_events(&third, &workspace)
        ),
        (
            Some(0),
            thread_id.clone(),
            vec![started, turn, message("third answer"), usage_times(3)]
        ),
        "{}",
        third.describe()
    );

    // Each request re-sends the whole thread so far, then the new prompt.
    let bodies = log.bodies();
    assert_eq!(bodies.len(), 3);
    let assistant = |text: &str| {
        json!({"type": "message", "role": "assistant", "id": "msg_1",
               "content": [{"type": "output_text", "text": text}]})
    };
    let user = |text: &str| {
        json!({"type": "message", "role": "user",
               "content": [{"type": "input_text", "text": text}]})
    };
    let first_input = bodies[0]["input"].as_array().expect("input").clone();
    let mut expected_second = first_input.clone();
    expected_second.extend([assistant("first answer"), user("second task")]);
    let mut expected_third = expected_second.clone();
    expected_third.extend([assistant("second answer"), user("third task")]);
    assert_eq!(
        (
            bodies[1]["input"].as_array().expect("input").clone(),
            bodies[2]["input"].as_array().expect("input").clone()
        ),
        (expected_second, expected_third)
    );
    let cache_keys: Vec<&Value> = bodies
        .iter()
        .map(|body| &body["prompt_cache_key"])
        .collect();
    assert_eq!(cache_keys, vec![&json!(thread_id); 3]);
}

#[tokio::test(flavor = "multi_thread")]
async fn resume_of_an_unknown_or_ephemeral_session_fails() {
    let server = start_mock().await;
    let log = mount_sse_sequence(&server, vec![answer("not saved")]).await;
    let workspace = Workspace::new();

    let unknown = workspace
        .exec()
        .mock(&base_url(&server))
        .args([
            "--json",
            "resume",
            "0199ffff-0000-7000-8000-000000000000",
            "go on",
        ])
        .run()
        .await;
    let ephemeral = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "--ephemeral", "remember nothing"])
        .run()
        .await;
    let after_ephemeral = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "resume", "--last", "go on"])
        .run()
        .await;

    assert_eq!(ephemeral.code, Some(0), "{}", ephemeral.describe());
    assert_eq!(log.bodies().len(), 1);
    let repo = workspace.repo().display().to_string();
    let got: Vec<(Option<i32>, String, String)> = [&unknown, &after_ephemeral]
        .iter()
        .map(|outcome| outcome.ended_with(&repo))
        .collect();
    assert_eq!(
        got,
        vec![
            (
                Some(1),
                String::new(),
                "Reading additional input from stdin...\nerror: cannot start the session: no session matches `0199ffff-0000-7000-8000-000000000000`: give a session id, a unique id prefix of 4 or more characters, or a session name (`duet sessions list --all` lists them)\n".to_owned()
            ),
            (
                Some(1),
                String::new(),
                "Reading additional input from stdin...\nerror: cannot start the session: no session to resume in `<REPO>`: start one with `duet exec \"…\"`, or resume a session of another directory by its id\n".to_owned()
            ),
        ]
    );
}

/// The text of `body` between `start` and `end` (both excluded).
fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let from = body.find(start).expect("start marker") + start.len();
    let to = from + body[from..].find(end).expect("end marker");
    &body[from..to]
}

#[tokio::test(flavor = "multi_thread")]
async fn a_resumed_request_starts_with_the_bytes_of_the_last_one() {
    let server = start_mock().await;
    let _log = mount_sse_sequence(
        &server,
        vec![answer("first answer"), answer("second answer")],
    )
    .await;
    let workspace = Workspace::new();
    let exec = || workspace.exec().mock(&base_url(&server)).arg("--json");

    let first = exec().arg("first task").run().await;
    let second = exec().args(["resume", "--last", "second task"]).run().await;

    assert_eq!((first.code, second.code), (Some(0), Some(0)));
    let bodies: Vec<String> = server
        .received_requests()
        .await
        .expect("requests are recorded")
        .into_iter()
        .map(|request| String::from_utf8(request.body).expect("UTF-8 body"))
        .collect();
    let input = |body: &str| between(body, "\"input\":[", "],\"tools\":").to_string();
    // The stored items go back byte for byte (so the provider's prompt
    // cache matches), then the answer and the new prompt.
    assert_eq!(
        input(&bodies[1]),
        format!(
            "{},{},{}",
            input(&bodies[0]),
            r#"{"type":"message","id":"msg_1","role":"assistant","content":[{"type":"output_text","text":"first answer"}]}"#,
            r#"{"type":"message","role":"user","content":[{"type":"input_text","text":"second task"}]}"#
        )
    );
}

/// Issue 16, item 19: a thread resumed in another directory never told the
/// model where it now was. The next request carries a new environment
/// context with the new directory, right before the new prompt, and it is
/// saved with the thread (a later resume sends it again).
#[tokio::test(flavor = "multi_thread")]
async fn resuming_in_another_directory_tells_the_model_where_it_is() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![answer("first"), answer("second"), answer("third")],
    )
    .await;
    let workspace = Workspace::new();
    let elsewhere = workspace.repo().join("sub");
    std::fs::create_dir(&elsewhere).unwrap();
    let first = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "first task"])
        .run()
        .await;
    assert_eq!(first.code, Some(0), "{}", first.describe());
    let thread_id = first.thread_id();
    for prompt in ["second task", "third task"] {
        let resumed = workspace
            .exec()
            .mock(&base_url(&server))
            .cwd(&elsewhere)
            .args(["--json", "resume", &thread_id, prompt])
            .run()
            .await;
        assert_eq!(resumed.code, Some(0), "{}", resumed.describe());
    }
    let user_texts = |body: &Value| -> Vec<String> {
        body["input"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|item| item["role"] == "user")
            .map(|item| {
                item["content"][0]["text"]
                    .as_str()
                    .unwrap_or_default()
                    .to_owned()
            })
            .map(|text| {
                if text.contains("<environment_context>") {
                    let cwd = text
                        .split("<cwd>")
                        .nth(1)
                        .and_then(|rest| rest.split("</cwd>").next())
                        .unwrap_or_default();
                    format!("context in {cwd}")
                } else {
                    text
                }
            })
            .collect()
    };
    let bodies = log.bodies();
    let repo = workspace.repo().display().to_string();
    let sub = elsewhere.display().to_string();
    assert_eq!(
        user_texts(&bodies[1]),
        vec![
            format!("context in {repo}"),
            "first task".to_string(),
            format!("context in {sub}"),
            "second task".to_string(),
        ]
    );
    // Saved: the third request replays it, and adds no second one (the
    // newest context already names this directory).
    assert_eq!(
        user_texts(&bodies[2]),
        vec![
            format!("context in {repo}"),
            "first task".to_string(),
            format!("context in {sub}"),
            "second task".to_string(),
            "third task".to_string(),
        ]
    );
}

/// Issue 16, item 12: two `exec resume` of one thread at once interleaved
/// its history. While one process runs the thread, another is refused with
/// a message naming the process; once the first has ended, it resumes.
#[tokio::test(flavor = "multi_thread")]
async fn a_thread_in_use_by_another_process_is_not_resumed() {
    let server = start_mock().await;
    // Runs until the test lets it go, however slow the machine.
    let cmd = "touch started; while [ ! -e release ]; do sleep 0.05; done";
    let log = mount_sse_sequence(
        &server,
        vec![
            duet_test_support::sse::sse_completed_turn(&[
                duet_test_support::sse::ev_function_call(
                    "c1",
                    "exec_command",
                    &json!({"cmd": cmd, "yield_time_ms": 10000}).to_string(),
                ),
            ]),
            answer("first done"),
            answer("second done"),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let running = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-s", "danger-full-access", "first task"])
        .spawn();
    let started = workspace.repo().join("started");
    assert!(
        common::wait_until(std::time::Duration::from_secs(20), || started.exists()),
        "the first run's command never started"
    );
    let pid = running.pid();
    let refused = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "resume", "--last", "second task"])
        .run()
        .await;
    std::fs::write(workspace.repo().join("release"), "").expect("let the first run go");
    let first = tokio::task::spawn_blocking(move || {
        running.finish_within(std::time::Duration::from_secs(20))
    })
    .await
    .expect("the waiting thread");
    assert_eq!(first.code, Some(0), "{}", first.describe());
    assert_eq!(refused.code, Some(1), "{}", refused.describe());
    let thread_id = first.thread_id();
    assert!(
        refused.stderr.contains(&format!(
            "session `{thread_id}` is in use by another duet (process {pid}); wait for it to \
             finish or stop it, then try again"
        )),
        "{}",
        refused.describe()
    );
    // Now free: it resumes, and the history holds one turn after the other.
    let second = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "resume", "--last", "second task"])
        .run()
        .await;
    assert_eq!(second.code, Some(0), "{}", second.describe());
    assert_eq!(log.bodies().len(), 3);
}
