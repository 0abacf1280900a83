//! Forking end to end: `duet exec fork` (whole, or `--at` a turn) and
//! `duet fork --at` followed by `duet exec resume`. The fork's request
//! carries exactly the history up to the fork point; the parent is left
//! as it was; `--last` where there is no session is an error.

#![allow(clippy::disallowed_methods)]

use crate::common;

use common::Workspace;
use duet_test_support::responses_mock::{base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{ev_assistant_message, sse_completed_turn};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

fn answer(text: &str) -> String {
    sse_completed_turn(&[ev_assistant_message("msg_1", text)])
}

fn user(text: &str) -> Value {
    json!({"type": "message", "role": "user", "content": [{"type": "input_text", "text": text}]})
}

fn assistant(text: &str) -> Value {
    json!({"type": "message", "role": "assistant", "id": "msg_1",
           "content": [{"type": "output_text", "text": text}]})
}

fn input(body: &Value) -> Vec<Value> {
    body["input"].as_array().expect("input is an array").clone()
}

#[tokio::test(flavor = "multi_thread")]
async fn forks_carry_the_history_up_to_the_fork_point() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            answer("first answer"),
            answer("second answer"),
            answer("forked at one"),
            answer("forked whole"),
            answer("continued fork"),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let exec = || workspace.exec().mock(&base_url(&server)).arg("--json");

    let first = exec().arg("first task").run().await;
    assert_eq!(first.code, Some(0), "{}", first.describe());
    let parent = first.thread_id();
    let second = exec().args(["resume", "--last", "second task"]).run().await;
    assert_eq!(second.thread_id(), parent, "{}", second.describe());
    let at_one = exec()
        .args(["fork", &parent, "--at", "1", "another second task"])
        .run()
        .await;
    let whole = exec()
        .args(["fork", &parent[..13], "third task"])
        .run()
        .await;
    // `duet fork` prints the new id on stdout and how to go on on stderr.
    let forked = workspace
        .duet()
        .args(["fork", &parent, "--at", "1"])
        .run()
        .await;
    assert_eq!(forked.code, Some(0), "{}", forked.describe());
    let fork_id = forked.stdout.trim().to_string();
    let continued = exec()
        .args(["resume", &fork_id, "continue the fork"])
        .run()
        .await;

    let ids = [at_one.thread_id(), whole.thread_id(), continued.thread_id()];
    assert_eq!(
        (
            [at_one.code, whole.code, continued.code],
            ids.iter().all(|id| id != &parent),
            ids[2] == fork_id,
            forked.stderr.replace(&parent, "<PARENT>").replace(&fork_id, "<FORK>"),
        ),
        (
            [Some(0); 3],
            true,
            true,
            "forked session `<PARENT>` (up to turn 1) into `<FORK>`; run `duet resume <FORK>` in a terminal to continue it, or headless:\n  duet exec resume <FORK> \"<next prompt>\"\n".to_string(),
        ),
        "{}\n{}\n{}",
        at_one.describe(),
        whole.describe(),
        continued.describe()
    );

    let bodies = log.bodies();
    assert_eq!(bodies.len(), 5);
    let first_input = input(&bodies[0]);
    let with =
        |extra: &[Value]| -> Vec<Value> { first_input.iter().chain(extra).cloned().collect() };
    // Turn 2 replays turn 1 exactly; the fork at turn 1 lacks turn 2; the
    // whole fork has both; the `duet fork --at 1` thread lacks turn 2 too.
    assert_eq!(
        bodies[1..].iter().map(input).collect::<Vec<_>>(),
        vec![
            with(&[assistant("first answer"), user("second task")]),
            with(&[assistant("first answer"), user("another second task")]),
            with(&[
                assistant("first answer"),
                user("second task"),
                assistant("second answer"),
                user("third task"),
            ]),
            with(&[assistant("first answer"), user("continue the fork")]),
        ]
    );
    // A fork is its own thread: its own prompt cache key.
    let keys: Vec<&Value> = bodies
        .iter()
        .map(|body| &body["prompt_cache_key"])
        .collect();
    assert_eq!(
        keys,
        vec![
            &json!(parent),
            &json!(parent),
            &json!(ids[0]),
            &json!(ids[1]),
            &json!(ids[2]),
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn last_without_a_session_here_is_an_error() {
    let workspace = Workspace::new();
    let repo = workspace.repo().display().to_string();

    let runs = [
        workspace.duet().args(["resume", "--last"]).run().await,
        workspace.duet().args(["fork", "--last"]).run().await,
        workspace
            .exec()
            .args(["fork", "nope", "go on"])
            .env("OPENAI_API_KEY", "k")
            .run()
            .await,
        workspace.duet().args(["fork"]).run().await,
    ];

    let got: Vec<(Option<i32>, String, String)> =
        runs.iter().map(|run| run.ended_with(&repo)).collect();
    let no_session = "error: no session to resume in `<REPO>`: start one with `duet exec \"…\"`, or resume a session of another directory by its id\n";
    assert_eq!(
        got,
        vec![
            (Some(1), String::new(), no_session.to_string()),
            (Some(1), String::new(), no_session.to_string()),
            (
                Some(1),
                String::new(),
                "Reading additional input from stdin...\nerror: cannot fork the session: no session matches `nope`: give a session id, a unique id prefix of 4 or more characters, or a session name (`duet sessions list --all` lists them)\n".to_string()
            ),
            (
                Some(2),
                String::new(),
                "error: the following required arguments were not provided:\n  <SESSION>\n\nUsage: duet fork <SESSION>\n\nFor more information, try '--help'.\n".to_string()
            ),
        ]
    );
}
