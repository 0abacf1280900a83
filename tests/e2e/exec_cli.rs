//! The `duet exec` command line end to end: `-o`, the prompt from stdin,
//! the git guard, usage errors, `--version`, completions and the human
//! output. Resume is in `resume.rs`.

#![allow(clippy::disallowed_methods)]

use crate::common;

use common::{Outcome, Workspace, normalized_events};
use duet_test_support::responses_mock::{
    base_url, mount_response_sequence, mount_sse_sequence, sse_response, start_mock,
};
use duet_test_support::sse::{
    ev_assistant_message, ev_function_call, ev_reasoning, sse_completed_turn,
};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};
use wiremock::ResponseTemplate;

fn answer(text: &str) -> String {
    sse_completed_turn(&[ev_assistant_message("msg_1", text)])
}

/// The text of the last user message of a request (the prompt).
fn prompt_text(body: &Value) -> String {
    let input = body["input"].as_array().expect("input array");
    let prompt = input
        .iter()
        .rev()
        .find(|item| item["role"] == "user")
        .expect("a user message");
    assert_eq!(
        prompt["content"].as_array().map(Vec::len),
        Some(1),
        "{prompt}"
    );
    prompt["content"][0]["text"]
        .as_str()
        .expect("text")
        .to_owned()
}

#[tokio::test(flavor = "multi_thread")]
async fn output_last_message_writes_the_answer_or_empties_the_file() {
    let server = start_mock().await;
    let log = mount_response_sequence(
        &server,
        vec![
            sse_response(answer("the answer")),
            ResponseTemplate::new(401)
                .set_body_raw(r#"{"error":{"message":"bad key"}}"#, "application/json"),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let done = workspace.home().join("done.txt");
    let failed = workspace.home().join("failed.txt");
    std::fs::write(&failed, "stale").expect("write stale file");

    let first = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["-o", done.to_str().expect("utf-8"), "answer"])
        .run()
        .await;
    let second = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "-o", failed.to_str().expect("utf-8"), "answer"])
        .run()
        .await;

    assert_eq!(log.bodies().len(), 2);
    assert_eq!(
        (
            first.code,
            first.stdout.as_str(),
            std::fs::read_to_string(&done)
                .expect("read -o file")
                .as_str()
        ),
        (Some(0), "the answer\n", "the answer"),
        "{}",
        first.describe()
    );
    assert_eq!(
        (
            second.code,
            std::fs::read_to_string(&failed)
                .expect("read -o file")
                .as_str()
        ),
        (Some(1), ""),
        "{}",
        second.describe()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_prompt_comes_from_stdin_the_argument_or_both() {
    let server = start_mock().await;
    let log = mount_sse_sequence(&server, vec![answer("ok"); 4]).await;
    let workspace = Workspace::new();
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut run = workspace
            .exec()
            .mock(&base_url(&server))
            .arg("--json")
            .args(args.iter().copied());
        if let Some(stdin) = stdin {
            run = run.stdin(stdin);
        }
        run.run_blocking()
    };

    let outcomes: Vec<Outcome> = tokio::task::block_in_place(|| {
        vec![
            run(&[], Some("fix the bug\n")),
            run(&["-"], Some("from dash\n")),
            run(&["summarise"], Some("line one\nline two\n")),
            // /dev/null: nothing piped, the argument alone.
            run(&["just this"], None),
        ]
    });

    let got: Vec<(Option<i32>, String)> = outcomes
        .iter()
        .map(|outcome| (outcome.code, outcome.stderr.clone()))
        .collect();
    assert_eq!(
        got,
        vec![
            (Some(0), "Reading prompt from stdin...\n".to_owned()),
            (Some(0), "Reading prompt from stdin...\n".to_owned()),
            (
                Some(0),
                "Reading additional input from stdin...\n".to_owned()
            ),
            (
                Some(0),
                "Reading additional input from stdin...\n".to_owned()
            ),
        ]
    );
    let prompts: Vec<String> = log.bodies().iter().map(prompt_text).collect();
    assert_eq!(
        prompts,
        vec![
            // The trailing newline is kept, as the reference keeps it.
            "fix the bug\n",
            "from dash\n",
            "summarise\n\n<stdin>\nline one\nline two\n</stdin>",
            "just this",
        ]
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn empty_stdin_without_a_prompt_is_an_error() {
    let server = start_mock().await;
    let log = mount_sse_sequence(&server, Vec::new()).await;
    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .arg("--json")
        .stdin("  \n")
        .run()
        .await;
    assert_eq!(
        (
            outcome.code,
            outcome.stdout.as_str(),
            outcome.stderr.as_str(),
            log.bodies().len()
        ),
        (
            Some(1),
            "",
            "Reading prompt from stdin...\nerror: no prompt provided via stdin: pipe a non-empty prompt or pass it as an argument\n",
            0
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn outside_a_git_repository_needs_skip_git_repo_check() {
    let server = start_mock().await;
    let log = mount_sse_sequence(&server, vec![answer("ran anyway")]).await;
    let workspace = Workspace::without_git();

    let refused = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "go"])
        .run()
        .await;
    assert_eq!(
        (
            refused.code,
            refused.stdout.as_str(),
            refused.stderr.as_str(),
            log.bodies().len()
        ),
        (
            Some(1),
            "",
            "error: not inside a git repository: run duet in a repository or pass --skip-git-repo-check\n",
            0
        )
    );

    let allowed = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["--json", "--skip-git-repo-check", "go"])
        .run()
        .await;
    assert_eq!(allowed.code, Some(0), "{}", allowed.describe());
    assert_eq!(
        normalized_events(&allowed, &workspace)[2],
        json!({"type": "item.completed",
               "item": {"id": "item_0", "type": "agent_message", "text": "ran anyway"}})
    );
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    let workspace = Workspace::new();
    let outcome = workspace.exec().args(["--bogus-flag", "go"]).run_blocking();
    assert_eq!(
        (outcome.code, outcome.stdout.as_str()),
        (Some(2), ""),
        "{}",
        outcome.describe()
    );
    assert!(
        outcome
            .stderr
            .starts_with("error: unexpected argument '--bogus-flag' found\n"),
        "{}",
        outcome.stderr
    );
}

/// Issue 17: `-m` before `exec` was parsed and dropped; every shared flag
/// given before the subcommand now counts, the one after it winning.
#[tokio::test(flavor = "multi_thread")]
async fn shared_flags_before_exec_count_and_the_later_one_wins() {
    let server = start_mock().await;
    let log = mount_sse_sequence(&server, vec![answer("one"), answer("two")]).await;
    let workspace = Workspace::new();
    let before = workspace
        .duet()
        .args(["-m", "model-before"])
        .arg("exec")
        .mock(&base_url(&server))
        .args(["--json", "go"])
        .run()
        .await;
    assert_eq!(before.code, Some(0), "{}", before.describe());
    let both = workspace
        .duet()
        .args(["-m", "model-before"])
        .arg("exec")
        .mock(&base_url(&server))
        .args(["-m", "model-after", "--json", "go"])
        .run()
        .await;
    assert_eq!(both.code, Some(0), "{}", both.describe());
    let models: Vec<Value> = log
        .bodies()
        .iter()
        .map(|body| body["model"].clone())
        .collect();
    assert_eq!(models, [json!("model-before"), json!("model-after")]);
}

/// A flag given before a subcommand that does not use it is refused, not
/// silently dropped.
#[test]
fn flags_before_a_subcommand_that_ignores_them_are_usage_errors() {
    let workspace = Workspace::new();
    let outcomes: Vec<(Option<i32>, String)> = [
        &["-m", "m1", "sessions", "list"][..],
        &["-a", "never", "exec", "go"],
        &["--ephemeral", "-i", "a.png", "doctor"],
        &["-c", "a=1", "completion"],
    ]
    .iter()
    .map(|argv| {
        let outcome = workspace.duet().args(argv.iter().copied()).run_blocking();
        (outcome.code, outcome.stderr)
    })
    .collect();
    assert_eq!(
        outcomes,
        [
            (
                Some(2),
                "error: `duet sessions` does not take `--model` given before it; drop it, or see `duet sessions --help`\n".to_string()
            ),
            (
                Some(2),
                "error: `duet exec` does not take `--ask-for-approval` given before it; drop it, or see `duet exec --help`\n".to_string()
            ),
            (
                Some(2),
                "error: `duet doctor` does not take `--image`, `--ephemeral` given before it; drop them, or see `duet doctor --help`\n".to_string()
            ),
            (
                Some(2),
                "error: `duet completion` does not take `--config` given before it; drop it, or see `duet completion --help`\n".to_string()
            ),
        ]
    );
}

#[test]
fn version_and_completion() {
    let workspace = Workspace::new();
    let version = workspace.duet().arg("--version").run_blocking();
    assert_eq!(
        (
            version.code,
            version.stdout.as_str(),
            version.stderr.as_str()
        ),
        (
            Some(0),
            concat!("duet ", env!("CARGO_PKG_VERSION"), "\n"),
            ""
        )
    );

    let completion = workspace.duet().args(["completion", "bash"]).run_blocking();
    assert_eq!(
        (completion.code, completion.stderr.as_str()),
        (Some(0), ""),
        "{}",
        completion.describe()
    );
    assert!(
        completion.stdout.starts_with("_duet() {") && completion.stdout.contains("exec"),
        "not a bash completion for duet: {}",
        completion.stdout
    );
}

/// Human stderr with the run's variable parts replaced: the session id,
/// the workspace paths, and the millisecond durations of commands.
fn normalized_stderr(stderr: &str, workspace: &Workspace) -> String {
    let session_id = stderr
        .lines()
        .find_map(|line| line.strip_prefix("session id: "))
        .expect("a session id line")
        .to_owned();
    let text = stderr
        .replace(&session_id, "<THREAD>")
        .replace(workspace.repo().to_str().expect("utf-8"), "<REPO>");
    text.lines()
        .map(|line| match line.rsplit_once(" in ") {
            Some((head, tail))
                if tail.ends_with("ms:")
                    && tail[..tail.len() - 3].bytes().all(|b| b.is_ascii_digit()) =>
            {
                format!("{head} in <MS>ms:\n")
            }
            _ => format!("{line}\n"),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn human_mode_prints_the_answer_on_stdout_and_the_transcript_on_stderr() {
    let server = start_mock().await;
    let plan = json!({"plan": [
        {"step": "Look", "status": "completed"},
        {"step": "Run", "status": "in_progress"},
        {"step": "Report", "status": "pending"},
    ]});
    let _log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[
                ev_reasoning("rs_1", "**Looking**"),
                ev_function_call("call_plan", "update_plan", &plan.to_string()),
            ]),
            sse_completed_turn(&[ev_function_call(
                "call_exec",
                "exec_command",
                r#"{"cmd":"echo hi; exit 2"}"#,
            )]),
            sse_completed_turn(&[ev_assistant_message("msg_3", "All done.\nTwo lines.")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let outcome = workspace
        .exec()
        .mock(&base_url(&server))
        .args(["-s", "danger-full-access", "do the task"])
        .run()
        .await;

    assert_eq!(
        (outcome.code, outcome.stdout.as_str()),
        (Some(0), "All done.\nTwo lines.\n"),
        "{}",
        outcome.describe()
    );
    assert_eq!(
        normalized_stderr(&outcome.stderr, &workspace),
        concat!(
            "Reading additional input from stdin...\n",
            "duet v0.1.0\n",
            "--------\n",
            "workdir: <REPO>\n",
            "model: gpt-5.5\n",
            "provider: openai\n",
            "approval: never\n",
            "sandbox: danger-full-access\n",
            "reasoning effort: none\n",
            "reasoning summaries: none\n",
            "session id: <THREAD>\n",
            "--------\n",
            "user\n",
            "do the task\n",
            "**Looking**\n",
            "plan\n",
            "  ✓ Look\n",
            "  • Run\n",
            "  • Report\n",
            "exec\n",
            "/bin/bash -lc 'echo hi; exit 2' in <REPO>\n",
            " exited 2 in <MS>ms:\n",
            "hi\n",
            "duet\n",
            "All done.\n",
            "Two lines.\n",
            "tokens used\n",
            "45\n",
            "context left: 100% of 272,000\n",
            "cost: unknown (no price for `openai/gpt-5.5`: set `[model_prices.\"openai/gpt-5.5\"]`) · 0% of input from cache\n",
        )
    );
}

/// `duet --help` as a user first sees it: the interactive command's flags,
/// the shared ones (`-p`, `-i`, `--add-dir`, `--ephemeral`,
/// `--strict-config`) included, and the subcommands.
#[test]
fn the_help_shows_the_shared_flags_and_the_commands() {
    let help = std::process::Command::new(env!("CARGO_BIN_EXE_duet"))
        .arg("--help")
        .env_clear()
        .output()
        .expect("duet runs");
    assert_eq!(help.status.code(), Some(0));
    crate::assert_run_snapshot!("duet_help", &String::from_utf8_lossy(&help.stdout), None);
}

/// What a snapshot of a run's output leaves out: the session id, the
/// workspace's paths and millisecond durations.
#[test]
fn snapshot_text_replaces_what_changes_between_runs() {
    let workspace = Workspace::new();
    let text = format!(
        "session id: 0199-abc\nresume 0199-abc in {}\nran in 123ms: ok\nin 3s, in ms\n{}\n",
        workspace.repo().display(),
        workspace.home().display()
    );
    assert_eq!(
        crate::common::snapshot_text(&text, Some(&workspace)),
        "session id: <THREAD>\nresume <THREAD> in <REPO>\nran in <MS>ms: ok\nin 3s, in ms\n<HOME>\n"
    );
}
