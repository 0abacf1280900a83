//! `duet sessions` end to end on sessions made by `duet exec` against the
//! mock model: list (table and JSON), search, show, rename (and resuming
//! by name), archive, unarchive, delete, export as JSONL and Markdown, and
//! the errors for unknown and ambiguous sessions. Outputs are compared
//! whole, with ids, times and temp paths replaced by placeholders.

#![allow(clippy::disallowed_methods)]

use crate::common;

use common::{Outcome, Workspace};
use duet_test_support::responses_mock::{base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{ev_assistant_message, sse_completed_turn};
use pretty_assertions::assert_eq;
use serde_json::{Value, json};

fn answer(text: &str) -> String {
    sse_completed_turn(&[ev_assistant_message("msg_1", text)])
}

/// Exit code and both streams, with each `(from, to)` replaced.
fn output(run: &Outcome, replacements: &[(String, &str)]) -> (Option<i32>, String, String) {
    let mut streams = [run.stdout.clone(), run.stderr.clone()];
    for stream in &mut streams {
        for (from, to) in replacements {
            *stream = stream.replace(from.as_str(), to);
        }
    }
    let [stdout, stderr] = streams;
    (run.code, stdout, stderr)
}

fn ok(stdout: &str) -> (Option<i32>, String, String) {
    (Some(0), stdout.to_string(), String::new())
}

fn failed(stderr: &str) -> (Option<i32>, String, String) {
    (Some(1), String::new(), stderr.to_string())
}

#[tokio::test(flavor = "multi_thread")]
async fn list_search_rename_archive_delete_and_export() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            answer("The parser drops the last token."),
            answer("Added an LRU cache."),
            answer("Still the parser."),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let exec = || workspace.exec().mock(&base_url(&server)).arg("--json");
    let sessions = |args: &[&str]| workspace.duet().arg("sessions").args(args.to_vec()).run();

    let parser = exec().arg("fix the parser bug").run().await.thread_id();
    let cache = exec().arg("add a cache layer").run().await.thread_id();
    let repo = workspace.repo().display().to_string();
    let mut names = vec![
        (parser.clone(), "<PARSER>"),
        (cache.clone(), "<CACHE>"),
        (parser[..13].to_string(), "<PARSER-ID13>"),
        (cache[..13].to_string(), "<CACHE--ID13>"),
        (repo, "<REPO>"),
    ];

    let listed = sessions(&["list"]).await;
    let listed_json = sessions(&["list", "--json"]).await;
    let json: Value = serde_json::from_str(&listed_json.stdout).expect("list --json is JSON");
    let created = json[1]["created_at"].as_str().expect("a time").to_string();
    names.push((created, "<CREATED>"));
    let searched = sessions(&["search", "parser"]).await;
    let renamed = sessions(&["rename", &parser[..13], "parser-fix"]).await;
    let taken = sessions(&["rename", &cache, "parser-fix"]).await;
    let by_name = exec()
        .args(["resume", "parser-fix", "look again"])
        .run()
        .await;
    let archived = sessions(&["archive", "parser-fix"]).await;
    let after_archive = sessions(&["list"]).await;
    let archived_list = sessions(&["list", "--archived"]).await;
    let unarchived = sessions(&["unarchive", "parser-fix"]).await;
    let jsonl = sessions(&["export", "parser-fix", "--format", "jsonl"]).await;
    let markdown = sessions(&["export", "parser-fix", "--format", "markdown"]).await;
    let shown = sessions(&["show", "parser-fix"]).await;
    let file = workspace.home().join("parser.md");
    let to_file = sessions(&[
        "export",
        "parser-fix",
        "--format",
        "markdown",
        "-o",
        file.to_str().expect("a UTF-8 temp path"),
    ])
    .await;
    let ambiguous = sessions(&["show", &parser[..8]]).await;
    let deleted = sessions(&["delete", &cache]).await;
    let gone = sessions(&["show", &cache]).await;

    assert_eq!(by_name.thread_id(), parser, "{}", by_name.describe());
    assert_eq!(
        (
            to_file.code,
            to_file.stdout.as_str(),
            std::fs::read_to_string(&file).ok()
        ),
        (Some(0), "", Some(markdown.stdout.clone()))
    );
    // The JSONL export is exactly what the model saw: the last request's
    // input and the answer to it.
    let bodies = log.bodies();
    let mut model_saw = bodies[2]["input"].as_array().expect("input").clone();
    model_saw.push(
        json!({"type": "message", "role": "assistant", "id": "msg_1",
        "content": [{"type": "output_text", "text": "Still the parser."}]}),
    );
    let exported: Vec<Value> = jsonl
        .stdout
        .lines()
        .map(|line| serde_json::from_str(line).expect("a JSON line"))
        .collect();
    assert_eq!((jsonl.code, exported), (Some(0), model_saw));
    assert_eq!(
        output(&ambiguous, &names),
        failed(&format!(
            "error: `{}` matches 2 sessions: `<PARSER>` (fix the parser bug), `<CACHE>` (add a cache layer); give more of the id, or the session's name\n",
            &parser[..8]
        ))
    );
    // Every field, ids and times aside.
    let session = |id: &str, title: &str| {
        json!({"approval_policy": "never", "archived": false, "created_at": "<TIME>",
            "cwd": "<REPO>", "fork_point": null,
            "git": {"branch": "master", "commit": null, "origin": null},
            "id": id, "model": "gpt-5.5", "name": null, "parent_id": null,
            "provider": "openai", "sandbox_mode": "read-only", "source": "exec",
            "title": title, "turns": 1, "updated_at": "<TIME>",
            "usage": {"cached_input_tokens": 0, "input_tokens": 10, "output_tokens": 5,
                      "reasoning_output_tokens": 0}})
    };
    let replacements: Vec<(&str, &str)> = names
        .iter()
        .map(|(from, to)| (from.as_str(), *to))
        .collect();
    let mut listed_fields = common::redact(&json, &replacements);
    for entry in listed_fields.as_array_mut().expect("an array") {
        for field in ["created_at", "updated_at"] {
            let time = entry[field].as_str().unwrap_or_default();
            assert!(time == "<CREATED>" || time.ends_with('Z'), "{time}");
            entry[field] = json!("<TIME>");
        }
    }
    assert_eq!(
        (listed_json.code, listed_fields),
        (
            Some(0),
            json!([
                session("<CACHE>", "add a cache layer"),
                session("<PARSER>", "fix the parser bug")
            ])
        )
    );
    let got: Vec<(Option<i32>, String, String)> = [
        &listed,
        &searched,
        &renamed,
        &taken,
        &archived,
        &after_archive,
        &archived_list,
        &unarchived,
        &markdown,
        &shown,
        &deleted,
        &gone,
    ]
    .iter()
    .map(|run| output(run, &names))
    .collect();
    assert_eq!(
        got,
        vec![
            ok("ID             NAME  TITLE               UPDATED   TURNS\n\
                <CACHE--ID13>  -     add a cache layer   just now  1\n\
                <PARSER-ID13>  -     fix the parser bug  just now  1\n"),
            ok("<PARSER-ID13>  fix the parser bug  (just now)\n    user: fix the [parser] bug\n"),
            ok("renamed session `<PARSER>` to `parser-fix`\n"),
            failed(
                "error: the name `parser-fix` is already used by session `<PARSER>`; pick another name\n"
            ),
            ok(
                "archived session `<PARSER>` (parser-fix); `duet sessions unarchive <PARSER>` brings it back\n"
            ),
            ok("ID             NAME  TITLE              UPDATED   TURNS\n\
                <CACHE--ID13>  -     add a cache layer  just now  1\n"),
            ok(
                "ID             NAME        TITLE               UPDATED   TURNS\n\
                <PARSER-ID13>  parser-fix  fix the parser bug  just now  2\n"
            ),
            ok("unarchived session `<PARSER>` (parser-fix)\n"),
            ok(
                "# parser-fix\n\n- id: `<PARSER>`\n- directory: `<REPO>`\n- model: `gpt-5.5` (openai)\n\
                - created: <CREATED>\n\n## Turn 1 completed\n\n**User**\n\nfix the parser bug\n\n\
                **Agent**\n\nThe parser drops the last token.\n\n## Turn 2 completed\n\n**User**\n\n\
                look again\n\n**Agent**\n\nStill the parser.\n"
            ),
            ok(
                "session <PARSER>\nname: parser-fix\ndirectory: <REPO>\nmodel: gpt-5.5 (openai)\n\
                created: <CREATED>\n\n--- turn 1 (completed) ---\nuser: fix the parser bug\n\
                duet: The parser drops the last token.\n\n--- turn 2 (completed) ---\n\
                user: look again\nduet: Still the parser.\n"
            ),
            ok("deleted session `<CACHE>` (add a cache layer) and everything stored for it\n"),
            failed(
                "error: no session matches `<CACHE>`: give a session id, a unique id prefix of 4 or more characters, or a session name (`duet sessions list --all` lists them)\n"
            ),
        ]
    );
}
