//! `duet login --with-api-key`, `duet login status` and `duet logout`: a
//! key saved from stdin is sent when the environment has none, the
//! environment's wins, and `logout` forgets it.

use crate::common::Workspace;
use duet_test_support::responses_mock::{base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{ev_assistant_message, sse_completed_turn};
use pretty_assertions::assert_eq;
use std::os::unix::fs::PermissionsExt;

const SAVED: &str = "sk-saved-key-0123456789";

#[tokio::test(flavor = "multi_thread")]
async fn a_saved_key_is_sent_until_the_environment_has_one_or_it_is_forgotten() {
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_assistant_message("m1", "one")]),
            sse_completed_turn(&[ev_assistant_message("m2", "two")]),
        ],
    )
    .await;
    let workspace = Workspace::new();
    let home = workspace.home().display().to_string();
    let url = format!("openai_base_url=\"{}\"", base_url(&server));

    let login = workspace
        .duet()
        .args(["login", "--with-api-key"])
        .stdin(format!("{SAVED}\n"))
        .run()
        .await;
    assert_eq!(
        (login.code, login.stdout.as_str()),
        (
            Some(0),
            format!(
                "saved a key for provider `openai` (sk-s…6789) in `{home}/auth.json`; a key in the environment still wins\n"
            )
            .as_str()
        ),
        "{}",
        login.describe()
    );
    let mode = std::fs::metadata(workspace.home().join("auth.json"))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);

    let status = workspace.duet().args(["login", "status"]).run().await;
    assert_eq!(
        status.stdout,
        format!(
            "provider `openai`: key sk-s…6789 from `{home}/auth.json`\nsaved: `openai` sk-s…6789\n"
        )
    );

    // No key in the environment: the saved one is sent.
    let saved = workspace
        .exec()
        .args(["-c", &url, "--json", "go"])
        .run()
        .await;
    assert_eq!(saved.code, Some(0), "{}", saved.describe());
    // With one in the environment, that one is.
    let from_env = workspace
        .exec()
        .env("OPENAI_API_KEY", "sk-from-the-environment")
        .args(["-c", &url, "--json", "go"])
        .run()
        .await;
    assert_eq!(from_env.code, Some(0), "{}", from_env.describe());
    let sent: Vec<Option<String>> = log
        .requests()
        .iter()
        .map(|request| request.headers.get("authorization").cloned())
        .collect();
    assert_eq!(
        sent,
        [
            Some(format!("Bearer {SAVED}")),
            Some("Bearer sk-from-the-environment".to_string())
        ]
    );

    let logout = workspace.duet().arg("logout").run().await;
    assert_eq!(logout.stdout, "forgot the saved key of openai\n");
    let none = workspace
        .exec()
        .args(["-c", &url, "--json", "go"])
        .run()
        .await;
    assert_eq!(none.code, Some(1));
    assert!(
        none.stdout.contains(
            "or save a key for provider `openai` with `duet login --provider openai --with-api-key`"
        ),
        "{}",
        none.describe()
    );
    assert_eq!(log.requests().len(), 2, "nothing was sent without a key");
}

#[test]
fn no_key_on_stdin_or_no_with_api_key_is_an_error_that_says_what_to_do() {
    let workspace = Workspace::new();
    let empty = workspace
        .duet()
        .args(["login", "--with-api-key"])
        .stdin("")
        .run_blocking();
    let bare = workspace.duet().arg("login").run_blocking();
    assert_eq!(
        [(empty.code, empty.stderr), (bare.code, bare.stderr)],
        [
            (
                Some(1),
                "error: stdin held no key (or more than one word): pipe exactly the key\n".to_string()
            ),
            (
                Some(1),
                "error: duet has no sign-in flow: save an API key with `printf %s \"$KEY\" | duet login --with-api-key` (the key on stdin), or set the provider's key variable\n".to_string()
            ),
        ]
    );
    assert!(!workspace.home().join("auth.json").exists());
}

/// A refused saved key is named as such: the provider, the file, and the
/// command that replaces it.
#[tokio::test(flavor = "multi_thread")]
async fn a_refused_saved_key_names_the_file_and_the_command() {
    let server = start_mock().await;
    duet_test_support::responses_mock::mount_response_sequence(
        &server,
        vec![wiremock::ResponseTemplate::new(401).set_body_raw(
            r#"{"error":{"message":"Incorrect API key provided"}}"#,
            "application/json",
        )],
    )
    .await;
    let workspace = Workspace::new();
    let home = workspace.home().display().to_string();
    let login = workspace
        .duet()
        .args(["login", "--with-api-key"])
        .stdin(SAVED)
        .run()
        .await;
    assert_eq!(login.code, Some(0), "{}", login.describe());
    let refused = workspace
        .exec()
        .args([
            "-c",
            &format!("openai_base_url=\"{}\"", base_url(&server)),
            "go",
        ])
        .run()
        .await;
    assert_eq!(refused.code, Some(1));
    let expected = format!(
        "the model provider `openai` rejected the API key from `{home}/auth.json` (`duet login`) (401 Unauthorized): Incorrect API key provided: check that key (`DUET_API_KEY` or `CODEX_API_KEY` take precedence when set), or save another with `duet login --provider openai --with-api-key`"
    );
    assert!(refused.stderr.contains(&expected), "{}", refused.describe());
}

/// The saved keys (and MCP servers' OAuth tokens) are out of a confined
/// command's reach: a model that runs `cat $DUET_HOME/auth.json` gets
/// nothing of the key back.
#[tokio::test(flavor = "multi_thread")]
async fn a_confined_command_cannot_read_the_saved_keys() {
    use duet_test_support::sse::ev_function_call;
    let workspace = Workspace::new();
    let Some(backend) = crate::common::auto_backend(&workspace) else {
        return;
    };
    let server = start_mock().await;
    let keys = workspace.home().join("auth.json");
    // And the tokens `duet mcp login` saved.
    let tokens = workspace.home().join("mcp-credentials.json");
    std::fs::write(&tokens, r#"{"docs": {"access_token": "mcp-token-secret"}}"#).unwrap();
    let cmd = format!("cat {} {} ; echo done", keys.display(), tokens.display());
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call(
                "call_1",
                "exec_command",
                &serde_json::json!({ "cmd": cmd }).to_string(),
            )]),
            sse_completed_turn(&[ev_assistant_message("m1", "ok")]),
        ],
    )
    .await;
    let login = workspace
        .duet()
        .args(["login", "--with-api-key"])
        .stdin(format!("{SAVED}\n"))
        .run()
        .await;
    assert_eq!(login.code, Some(0), "{}", login.describe());
    let outcome = workspace
        .exec()
        .arg("-c")
        .arg(format!("openai_base_url=\"{}\"", base_url(&server)))
        .arg("-c")
        .arg(format!("sandbox_backend=\"{backend}\""))
        .arg("read the keys")
        .run()
        .await;
    assert_eq!(outcome.code, Some(0), "{}", outcome.describe());
    let bodies = log.bodies();
    let output = bodies[1]["input"]
        .as_array()
        .unwrap()
        .iter()
        .find(|item| item["type"] == "function_call_output")
        .map(|item| item["output"].to_string())
        .unwrap();
    assert!(output.contains("done"), "{output}");
    assert!(
        !output.contains("sk-saved"),
        "{backend}: the key leaked: {output}"
    );
    assert!(
        !output.contains("mcp-token-secret"),
        "{backend}: an MCP token leaked: {output}"
    );
    // duet itself still reads them: the requests carried the key.
    assert_eq!(
        log.requests()[0].headers["authorization"],
        format!("Bearer {SAVED}")
    );
}

/// Where Landlock cannot hide the saved keys (inside a writable folder:
/// here `$DUET_HOME` is under `/tmp`, writable in workspace-write), the
/// session says so at its start, and what to do.
#[tokio::test(flavor = "multi_thread")]
async fn saved_keys_landlock_cannot_hide_are_reported() {
    let workspace = Workspace::new();
    // Skipped (said so) where Landlock does not work, unless it is required.
    let report = crate::common::doctor_report(&workspace);
    if !crate::common::usable_in(&report).contains(&"landlock".to_string()) {
        return;
    }
    let server = start_mock().await;
    mount_sse_sequence(
        &server,
        vec![sse_completed_turn(&[ev_assistant_message("m1", "ok")])],
    )
    .await;
    let login = workspace
        .duet()
        .args(["login", "--with-api-key"])
        .stdin(format!("{SAVED}\n"))
        .run()
        .await;
    assert_eq!(login.code, Some(0), "{}", login.describe());
    let run = |backend: &'static str| {
        workspace
            .exec()
            .arg("-c")
            .arg(format!("openai_base_url=\"{}\"", base_url(&server)))
            .arg("-c")
            .arg(format!("sandbox_backend=\"{backend}\""))
            .args(["-s", "workspace-write", "hi"])
    };
    let outcome = run("landlock").run().await;
    let keys = workspace.home().join("auth.json").canonicalize().unwrap();
    assert!(
        outcome.stderr.contains(&format!(
            "warning: the API keys `duet login` saved ({}) are inside the writable folder",
            keys.display()
        )),
        "{}",
        outcome.describe()
    );
}
