//! The interactive TUI end to end, in a real terminal: tmux runs the built
//! `duet` against the mock model; the test types a prompt, approves the
//! command the model asks for, waits for the answer, checks the screen
//! with `capture-pane`, rewinds to the prompt with Esc Esc, quits with
//! Ctrl+C (twice: the first clears the restored draft) and checks the
//! resume hint; then `duet resume --last` shows the thread again and
//! continues it.
//!
//! Without tmux the test says so and passes, unless `DUET_REQUIRE_TMUX=1`
//! (set by `.ci/run`), where a missing tmux is a failure.

#![allow(clippy::disallowed_methods)]

use crate::common;

use common::{TEST_KEY, Workspace};
use duet_test_support::responses_mock::{base_url, mount_sse_sequence, start_mock};
use duet_test_support::sse::{ev_assistant_message, ev_function_call, sse_completed_turn};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

/// A private tmux server (its own socket), killed on drop.
struct Tmux {
    socket: String,
}

impl Tmux {
    /// A private server named after `name` and this process, with an idle
    /// pane first, so `remain-on-exit` is set before duet can exit.
    fn start(name: &str) -> Tmux {
        let tmux = Tmux {
            socket: format!("duet-test-{name}-{}", std::process::id()),
        };
        tmux.run(&[
            "new-session",
            "-d",
            "-s",
            "duet",
            "-x",
            "100",
            "-y",
            "30",
            "cat",
        ]);
        tmux.run(&["set-option", "-t", "duet", "remain-on-exit", "on"]);
        tmux
    }

    /// Run `command` in the pane, in `cwd`, replacing what ran there.
    fn respawn(&self, cwd: &str, command: &str) {
        self.run(&["respawn-pane", "-k", "-t", "duet", "-c", cwd, command]);
    }

    fn available() -> bool {
        Command::new("tmux")
            .arg("-V")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|status| status.success())
    }

    fn run(&self, args: &[&str]) -> Output {
        let output = Command::new("tmux")
            .args(["-L", &self.socket, "-f", "/dev/null"])
            .args(args)
            .stdin(Stdio::null())
            .output()
            .expect("tmux runs");
        assert!(
            output.status.success(),
            "tmux {args:?} failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        output
    }

    /// The visible screen, or with `history` the scrollback too.
    fn capture(&self, history: bool) -> String {
        let mut args = vec!["capture-pane", "-p", "-t", "duet"];
        if history {
            args.extend(["-S", "-"]);
        }
        String::from_utf8_lossy(&self.run(&args).stdout).into_owned()
    }

    fn send_text(&self, text: &str) {
        self.run(&["send-keys", "-t", "duet", "-l", text]);
    }

    fn send_key(&self, key: &str) {
        self.run(&["send-keys", "-t", "duet", key]);
    }

    fn pane_dead(&self) -> bool {
        let out = self.run(&["display-message", "-p", "-t", "duet", "#{pane_dead}"]);
        String::from_utf8_lossy(&out.stdout).trim() == "1"
    }

    /// Wait until `expected` appear in order, each as a whole line: a frame
    /// reaches the terminal in several writes, so the line that says a
    /// screen has come can be drawn before the rest of it.
    fn wait_for_lines(&self, what: &str, expected: &[&str]) -> String {
        self.wait_for(what, |screen| has_lines_in_order(screen, expected))
    }

    /// Wait until `done` holds for the screen (scrollback included).
    fn wait_for(&self, what: &str, done: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let screen = self.capture(true);
            if done(&screen) {
                return screen;
            }
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; the screen was:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .args(["-L", &self.socket, "kill-server"])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
}

/// The screen's lines, trimmed, without blank ones.
fn lines(screen: &str) -> Vec<&str> {
    screen
        .lines()
        .map(str::trim_end)
        .filter(|l| !l.is_empty())
        .collect()
}

/// Whether `expected` appear in `screen`, in this order, each as a whole line.
fn has_lines_in_order(screen: &str, expected: &[&str]) -> bool {
    let all = lines(screen);
    let mut rest = all.iter();
    expected.iter().all(|want| rest.any(|line| line == want))
}

/// `expected` appear in `screen`, in this order, each as a whole line.
fn assert_lines_in_order(screen: &str, expected: &[&str]) {
    assert!(
        has_lines_in_order(screen, expected),
        "missing (or out of order) lines {expected:#?}; the screen was:\n{screen}"
    );
}

/// The shell command that runs the built `duet` with `args` in a clean
/// environment (the workspace's home, the mock model's key and address).
fn duet_command(workspace: &Workspace, url: &str, args: &str) -> String {
    format!(
        "env -i PATH='{path}' HOME='{home}' DUET_HOME='{home}' LANG=C.UTF-8 TERM=xterm-256color \
         OPENAI_API_KEY={TEST_KEY} '{duet}' -c 'openai_base_url=\"{url}\"' {args}",
        path = std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()),
        home = workspace.home().display(),
        duet = env!("CARGO_BIN_EXE_duet"),
    )
}

/// Whether tmux can run here; without it the test says so and passes,
/// unless `DUET_REQUIRE_TMUX=1`.
#[allow(clippy::print_stderr)] // a skip must be visible
fn tmux_or_skip() -> bool {
    if !Tmux::available() {
        assert!(
            std::env::var("DUET_REQUIRE_TMUX").as_deref() != Ok("1"),
            "tmux is required here (DUET_REQUIRE_TMUX=1) but not installed: `apt-get install -y tmux`"
        );
        eprintln!("skipped: tmux is not installed (`apt-get install -y tmux` to run this test)");
        return false;
    }
    true
}

/// The interactive command takes the flags `duet exec` takes (issue 17):
/// `-p` (here a profile file), `--add-dir`, `-i` with a first message.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_interactive_command_takes_profile_add_dir_and_image() {
    if !tmux_or_skip() {
        return;
    }
    let workspace = Workspace::new();
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![sse_completed_turn(&[ev_assistant_message(
            "msg_1",
            "A red square.",
        )])],
    )
    .await;
    std::fs::write(
        workspace.home().join("work.config.toml"),
        "model = \"profile-model\"\nsandbox_mode = \"workspace-write\"\n",
    )
    .unwrap();
    let extra = workspace.home().join("extra-root");
    std::fs::create_dir_all(&extra).unwrap();
    let image = workspace.repo().join("shot.png");
    std::fs::write(&image, b"\x89PNG\r\n\x1a\nnot really").unwrap();
    let command = duet_command(
        &workspace,
        &base_url(&server),
        &format!(
            "-p work --add-dir '{}' -i shot.png 'what is in the picture?'",
            extra.display()
        ),
    );
    let tmux = Tmux::start("flags");
    tmux.respawn(&workspace.repo().display().to_string(), &command);
    tmux.wait_for("the answer", |s| s.contains("• A red square."));
    tmux.wait_for_lines(
        "the first message",
        &["› what is in the picture? [image: shot.png]"],
    );
    let body = &log.bodies()[0];
    assert_eq!(body["model"], "profile-model");
    let input = body["input"].as_array().expect("an input array");
    let user = input.last().expect("the user message");
    assert_eq!(
        user["content"][0]["text"],
        "what is in the picture? [image: shot.png]"
    );
    assert!(
        user["content"][1]["image_url"]
            .as_str()
            .is_some_and(|url| url.starts_with("data:image/png;base64,")),
        "{user}"
    );
    let text = body.to_string();
    assert!(
        text.contains(&extra.display().to_string()),
        "the extra root: {text}"
    );
    tmux.send_key("C-c");
    tmux.send_key("C-c");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn prompt_approve_answer_and_quit_in_a_real_terminal() {
    if !tmux_or_skip() {
        return;
    }
    let workspace = Workspace::new();
    let server = start_mock().await;
    let args = serde_json::json!({"cmd": "touch approved.txt"}).to_string();
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_function_call("call_1", "exec_command", &args)]),
            sse_completed_turn(&[ev_assistant_message(
                "msg_1",
                "All done: created `approved.txt`.",
            )]),
            sse_completed_turn(&[ev_assistant_message("msg_2", "Hello.")]),
            // Wide characters: each takes two columns, and the history
            // writer must not print the cell they cover.
            sse_completed_turn(&[ev_assistant_message("msg_3", "Still here: 你好，世界 ok.")]),
        ],
    )
    .await;

    let url = base_url(&server);
    let duet_command = |subcommand: &str| {
        duet_command(
            &workspace,
            &url,
            &format!("-a untrusted -s danger-full-access {subcommand}"),
        )
    };
    let command = duet_command("");
    let repo = workspace.repo().display().to_string();
    let tmux = Tmux::start("main");
    tmux.respawn(&repo, &command);

    tmux.wait_for("the composer", |s| s.contains("Ask duet to do anything"));
    tmux.send_text("create the file");
    tmux.send_key("Enter");
    tmux.wait_for_lines(
        "the approval modal",
        &[
            "› create the file",
            "Would you like to run the following command?",
            "$ touch approved.txt",
            &format!("  in {repo}"),
            "y  Yes, this time",
            "a  Yes, and don't ask again this session",
            "n  No, and tell duet what to do differently",
            "esc No, and stop the turn",
        ],
    );
    tmux.send_key("y");
    tmux.wait_for("the answer", |s| s.contains("Worked for"));
    let done = tmux.wait_for_lines(
        "the whole answer",
        &[
            "› create the file",
            "• You approved duet to run `touch approved.txt` this time",
            "• Ran touch approved.txt",
            "• All done: created approved.txt.",
        ],
    );
    assert!(workspace.repo().join("approved.txt").exists(), "{done}");
    assert_eq!(log.requests().len(), 2);

    // Esc Esc on the empty composer lists the earlier prompts; Enter on
    // the first rewinds the conversation to before it and puts it back.
    tmux.send_key("Escape");
    tmux.wait_for("the esc hint", |s| s.contains("press esc again"));
    tmux.send_key("Escape");
    tmux.wait_for_lines(
        "the rewind list",
        &[
            "  Rewind to before which message? ↑↓ choose · enter rewind · esc cancel",
            "  › 1. create the file",
        ],
    );
    tmux.send_key("Enter");
    tmux.wait_for_lines(
        "the rewind",
        &[
            "• All done: created approved.txt.",
            "• ↶ rewound to before “create the file”: edit the prompt and press enter",
            "› create the file",
        ],
    );
    // Ctrl+C clears the restored draft; another prompt goes in its place.
    tmux.send_key("C-c");
    tmux.wait_for("the cleared draft", |s| {
        s.contains("press ctrl+c again to quit")
    });
    tmux.send_text("say hi");
    tmux.send_key("Enter");
    tmux.wait_for("the second answer", |s| s.contains("• Hello."));

    tmux.send_key("C-c");
    tmux.send_key("C-c");
    let deadline = Instant::now() + Duration::from_secs(15);
    while !tmux.pane_dead() {
        assert!(
            Instant::now() < deadline,
            "duet did not exit:\n{}",
            tmux.capture(true)
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let after = tmux.capture(true);
    let hint = lines(&after)
        .into_iter()
        .find_map(|line| line.strip_prefix("To continue this session, run duet resume "))
        .unwrap_or_else(|| panic!("no resume hint; the screen was:\n{after}"));
    assert_eq!(
        (hint.len(), hint.chars().filter(|c| *c == '-').count()),
        (36, 4),
        "not a thread id: {hint:?}"
    );
    // The transcript stays in the terminal after exit: the answer is above the hint.
    assert_lines_in_order(
        &after,
        &[
            "• All done: created approved.txt.",
            "› say hi",
            "• Hello.",
            &format!("To continue this session, run duet resume {hint}"),
        ],
    );

    // `duet resume --last` on a cleared terminal: the turn that was kept is
    // drawn again (the rewound one is gone from the store too), and the
    // thread goes on with its whole history.
    tmux.run(&["clear-history", "-t", "duet"]);
    let resume = format!(
        "printf '\\033[H\\033[2J'; {}",
        duet_command("resume --last")
    );
    tmux.respawn(&repo, &resume);
    tmux.wait_for("the resumed session", |s| {
        s.contains("Resumed session") && s.contains("Ask duet to do anything")
    });
    let resumed = tmux.wait_for_lines("the resumed transcript", &["› say hi", "• Hello."]);
    assert!(!resumed.contains("create the file"), "{resumed}");
    tmux.send_text("still there?");
    tmux.send_key("Enter");
    tmux.wait_for("the resumed answer", |s| s.contains("Still here"));
    tmux.wait_for_lines(
        "the whole resumed answer",
        &["• Still here: 你好，世界 ok."],
    );
    let fourth = &log.bodies()[3];
    let texts: Vec<&str> = fourth["input"]
        .as_array()
        .expect("an input array")
        .iter()
        .filter_map(|item| item["content"][0]["text"].as_str())
        .collect();
    assert!(
        texts.contains(&"say hi")
            && texts.contains(&"still there?")
            && !texts.contains(&"create the file"),
        "{texts:?}"
    );
    tmux.send_key("C-c");
    tmux.send_key("C-c");
}

/// `/compact edit` opens the hand-off in `$EDITOR` before it is used: the
/// editor here is a script that rewrites a word, and the next request
/// carries the rewritten hand-off.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn compact_edit_opens_the_hand_off_in_the_editor_and_uses_the_edit() {
    if !tmux_or_skip() {
        return;
    }
    let workspace = Workspace::new();
    let server = start_mock().await;
    let log = mount_sse_sequence(
        &server,
        vec![
            sse_completed_turn(&[ev_assistant_message("m1", "Fixed the parser.")]),
            sse_completed_turn(&[ev_assistant_message(
                "m2",
                "The parser is fixed; keep the NEW API.",
            )]),
            sse_completed_turn(&[ev_assistant_message("m3", "Carrying on.")]),
        ],
    )
    .await;
    let editor = workspace.home().join("edit-hand-off.sh");
    std::fs::write(&editor, "#!/bin/sh\nsed -i 's/NEW API/OLD API/' \"$1\"\n").unwrap();
    let mut permissions = std::fs::metadata(&editor).unwrap().permissions();
    std::os::unix::fs::PermissionsExt::set_mode(&mut permissions, 0o755);
    std::fs::set_permissions(&editor, permissions).unwrap();
    let command = duet_command(&workspace, &base_url(&server), "").replacen(
        "env -i ",
        &format!("env -i EDITOR='{}' ", editor.display()),
        1,
    );
    let tmux = Tmux::start("compact-edit");
    tmux.respawn(&workspace.repo().display().to_string(), &command);
    tmux.wait_for("the composer", |s| s.contains("Ask duet to do anything"));
    tmux.send_text("fix the parser");
    tmux.send_key("Enter");
    // `/compact` waits for a running turn: let the first one end.
    tmux.wait_for("the end of the first turn", |s| {
        s.contains("• Fixed the parser.") && s.contains("Worked for")
    });
    tmux.send_text("/compact edit");
    tmux.send_key("Enter");
    tmux.wait_for("the compaction cell with the edited hand-off", |s| {
        s.contains("• Context compacted (asked for): 15 → ")
            && s.contains("  └ The parser is fixed; keep the OLD API.")
            && s.matches("Worked for").count() == 2
    });
    tmux.send_text("go on");
    tmux.send_key("Enter");
    tmux.wait_for("the next answer", |s| s.contains("• Carrying on."));
    let bodies = log.bodies();
    let texts: Vec<&str> = bodies[2]["input"]
        .as_array()
        .expect("an input array")
        .iter()
        .filter_map(|item| item["content"][0]["text"].as_str())
        .collect();
    assert!(
        texts
            .iter()
            .any(|text| text
                .contains("<summary>\nThe parser is fixed; keep the OLD API.\n</summary>")),
        "{texts:#?}"
    );
    tmux.send_key("C-c");
    tmux.send_key("C-c");
}

/// `/new` ends the session: an MCP server still starting goes with it,
/// not left running in the TUI's process until it exits.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_stops_the_mcp_servers_of_the_session_it_ends() {
    if !tmux_or_skip() {
        return;
    }
    let workspace = Workspace::new();
    let pidfile = workspace.home().join("server.pid");
    std::fs::write(
        workspace.home().join("config.toml"),
        format!(
            "[mcp_servers.slow]\ncommand = \"sh\"\nargs = [\"-c\", \"echo $$ > '{}'; exec sleep 60\"]\nstartup_timeout_sec = 120\n",
            pidfile.display()
        ),
    )
    .unwrap();
    let command = duet_command(&workspace, "http://127.0.0.1:9/v1", "");
    let tmux = Tmux::start("new-stops-servers");
    tmux.respawn(&workspace.repo().display().to_string(), &command);
    tmux.wait_for("the composer", |s| s.contains("Ask duet to do anything"));
    let mut pid = None;
    assert!(
        common::wait_until(Duration::from_secs(20), || {
            pid = std::fs::read_to_string(&pidfile)
                .ok()
                .and_then(|text| text.trim().parse::<i32>().ok());
            pid.is_some()
        }),
        "the server never started"
    );
    let pid = pid.unwrap();
    assert!(common::process_alive(pid));
    std::fs::remove_file(&pidfile).unwrap();
    tmux.send_text("/new");
    tmux.send_key("Enter");
    tmux.wait_for("the new session", |s| s.contains("Starting a new session"));
    assert!(
        common::wait_until(Duration::from_secs(10), || !common::process_alive(pid)),
        "the first session's starting server {pid} outlived it"
    );
    // The new session starts its own.
    assert!(
        common::wait_until(Duration::from_secs(20), || pidfile.exists()),
        "the new session's server never started"
    );
    tmux.send_key("C-c");
    tmux.send_key("C-c");
}
