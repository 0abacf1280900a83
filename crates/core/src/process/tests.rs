//! `ProcessManager` against real processes: exits, merged output, sessions
//! kept for `write_stdin`, cancellation, limits and bounded memory.

use super::manager::MAX_SESSIONS;
use super::*;
use duet_sandbox::SandboxPolicy;
use pretty_assertions::assert_eq;
use std::sync::Mutex;
use tokio_util::sync::CancellationToken;

struct Fixture {
    dir: tempfile::TempDir,
    manager: ProcessManager,
}

impl Fixture {
    fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            manager: ProcessManager::new(),
        }
    }

    fn request(&self, command: &str, yield_ms: u64) -> ExecRequest {
        ExecRequest {
            command: command.to_string(),
            workdir: self.dir.path().to_path_buf(),
            shell: PathBuf::from("/bin/bash"),
            login: false,
            yield_time: Duration::from_millis(yield_ms),
            sandbox: Sandbox::new(SandboxPolicy::DangerFullAccess),
            env: Arc::new(HashMap::from([
                ("PATH".to_string(), "/usr/bin:/bin".to_string()),
                ("HOME".to_string(), self.dir.path().display().to_string()),
                ("GREETING".to_string(), "hello".to_string()),
            ])),
        }
    }

    async fn run(&self, command: &str, yield_ms: u64) -> Result<ExecOutput, ExecError> {
        let sink: OutputSink = Arc::new(|_: &[u8]| {});
        self.manager
            .exec_command(
                self.request(command, yield_ms),
                sink,
                &CancellationToken::new(),
            )
            .await
    }

    async fn poll(
        &self,
        session_id: i32,
        chars: &str,
        yield_ms: u64,
    ) -> Result<ExecOutput, ExecError> {
        self.manager
            .write_stdin(
                session_id,
                chars,
                Duration::from_millis(yield_ms),
                &CancellationToken::new(),
            )
            .await
    }
}

/// The parts of an output that do not vary between runs.
fn summary(output: &ExecOutput) -> (Option<i32>, bool, &str, &str, usize) {
    (
        output.exit_code,
        output.session_id.is_some(),
        output.output.as_str(),
        output.aggregated_output.as_str(),
        output.original_token_count,
    )
}

fn process_alive(pid: i32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat")).is_ok_and(|stat| {
        !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z'))
    })
}

async fn wait_gone(pid: i32) -> bool {
    for _ in 0..100 {
        if !process_alive(pid) {
            return true;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    false
}

#[tokio::test]
async fn a_quick_command_returns_its_output_and_exit() {
    let fixture = Fixture::new();
    let output = fixture.run("echo $GREETING", 5_000).await.expect("run");
    assert_eq!(summary(&output), (Some(0), false, "hello\n", "hello\n", 2));
    assert_eq!(output.chunk_id.len(), 6);
    assert!(output.chunk_id.chars().all(|c| c.is_ascii_hexdigit()));
    assert!(output.wall_time < Duration::from_secs(2));
    assert_eq!(fixture.manager.session_count(), 0);
}

#[tokio::test]
async fn stderr_is_merged_in_arrival_order_and_exit_codes_pass_through() {
    let fixture = Fixture::new();
    let output = fixture
        .run("echo out; sleep 0.05; echo err >&2; exit 3", 5_000)
        .await
        .expect("run");
    assert_eq!(
        summary(&output),
        (Some(3), false, "out\nerr\n", "out\nerr\n", 2)
    );
}

#[tokio::test]
async fn death_by_signal_is_128_plus_n() {
    let fixture = Fixture::new();
    let output = fixture.run("kill -KILL $$", 5_000).await.expect("run");
    assert_eq!(summary(&output), (Some(137), false, "", "", 0));
}

#[tokio::test]
async fn a_slow_command_becomes_a_session_that_write_stdin_finishes() {
    let fixture = Fixture::new();
    let first = fixture
        .run("echo early; sleep 0.3; echo late", 100)
        .await
        .expect("run");
    assert_eq!(summary(&first), (None, true, "early\n", "early\n", 2));
    let session_id = first.session_id.expect("still running");
    assert!((1000..100_000).contains(&session_id));
    assert_eq!(fixture.manager.session_count(), 1);

    let second = fixture.poll(session_id, "", 5_000).await.expect("poll");
    assert_eq!(
        summary(&second),
        (Some(0), false, "late\n", "early\nlate\n", 2)
    );
    assert!(
        second.wall_time < Duration::from_secs(2),
        "returned when the process exited"
    );
    assert_eq!(fixture.manager.session_count(), 0);

    let error = fixture
        .poll(session_id, "", 250)
        .await
        .expect_err("session is gone");
    assert_eq!(
        error.to_string(),
        format!(
            "no running command has session ID {session_id}; it may have exited already (its \
             final output was returned by the call that saw it exit); start it again with \
             `exec_command`"
        )
    );
}

#[tokio::test]
async fn write_stdin_feeds_a_running_cat() {
    let fixture = Fixture::new();
    let first = fixture.run("cat", 100).await.expect("run");
    let session_id = first.session_id.expect("cat waits for input");
    let echoed = fixture
        .poll(session_id, "ping\n", 300)
        .await
        .expect("write");
    assert_eq!(summary(&echoed), (None, true, "ping\n", "ping\n", 2));
    let again = fixture
        .poll(session_id, "pong\n", 300)
        .await
        .expect("write");
    assert_eq!(summary(&again), (None, true, "pong\n", "ping\npong\n", 2));

    fixture.manager.kill_all().await;
    assert_eq!(fixture.manager.session_count(), 0);
}

#[tokio::test]
async fn write_stdin_answers_a_prompt_and_sees_the_exit() {
    let fixture = Fixture::new();
    let first = fixture
        .run("read -r name; echo \"hi $name\"", 100)
        .await
        .expect("run");
    let session_id = first.session_id.expect("waits for input");
    let answer = fixture
        .poll(session_id, "duet\n", 5_000)
        .await
        .expect("write");
    assert_eq!(
        summary(&answer),
        (Some(0), false, "hi duet\n", "hi duet\n", 2)
    );
}

#[tokio::test]
async fn cancellation_kills_the_group_promptly() {
    let fixture = Fixture::new();
    let seen = Arc::new(Mutex::new(Vec::<u8>::new()));
    let sink_seen = Arc::clone(&seen);
    let sink: OutputSink = Arc::new(move |bytes: &[u8]| {
        sink_seen.lock().expect("lock").extend_from_slice(bytes);
    });
    let cancel = CancellationToken::new();
    let canceller = cancel.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        canceller.cancel();
    });
    let started = std::time::Instant::now();
    let result = fixture
        .manager
        .exec_command(
            fixture.request("sleep 100 & echo $!; sleep 100", 30_000),
            sink,
            &cancel,
        )
        .await;
    assert!(matches!(result, Err(ExecError::Cancelled)), "{result:?}");
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "took {:?}",
        started.elapsed()
    );
    let grandchild: i32 = String::from_utf8_lossy(&seen.lock().expect("lock"))
        .trim()
        .parse()
        .expect("the sink saw the grandchild's pid");
    assert!(
        wait_gone(grandchild).await,
        "grandchild {grandchild} survived cancellation"
    );
    assert_eq!(fixture.manager.session_count(), 0);
}

#[tokio::test]
async fn kill_all_ends_a_waiting_call_with_the_kill_exit_code() {
    let fixture = Fixture::new();
    let manager = fixture.manager.clone();
    tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(200)).await;
        manager.kill_all().await;
    });
    let output = fixture.run("sleep 100", 30_000).await.expect("run");
    assert_eq!(summary(&output), (Some(137), false, "", "", 0));
}

#[tokio::test]
async fn the_oldest_session_is_killed_beyond_the_limit() {
    let fixture = Fixture::new();
    let mut ids = Vec::new();
    for _ in 0..=MAX_SESSIONS {
        let output = fixture.run("sleep 100", 1).await.expect("run");
        ids.push(output.session_id.expect("running"));
    }
    assert_eq!(fixture.manager.session_count(), MAX_SESSIONS);
    let error = fixture
        .poll(ids[0], "", 250)
        .await
        .expect_err("oldest was evicted");
    assert!(matches!(error, ExecError::UnknownSession { session_id } if session_id == ids[0]));
    let newest = fixture
        .poll(ids[MAX_SESSIONS], "", 250)
        .await
        .expect("newest is kept");
    assert_eq!(newest.session_id, Some(ids[MAX_SESSIONS]));
    fixture.manager.kill_all().await;
}

#[tokio::test]
async fn a_read_only_command_writes_nothing() {
    // Whatever this host can enforce (here the helper is this test binary,
    // which cannot act as one, so the command may not start at all), a
    // read-only command must never create the marker.
    let fixture = Fixture::new();
    let marker = fixture.dir.path().join("ran");
    let mut request = fixture.request(&format!("touch {}", marker.display()), 1_000);
    request.sandbox.policy = SandboxPolicy::ReadOnly;
    let sink: OutputSink = Arc::new(|_: &[u8]| {});
    let result = fixture
        .manager
        .exec_command(request, sink, &CancellationToken::new())
        .await;
    match result {
        Ok(output) => assert_ne!(output.exit_code, Some(0)),
        Err(error) => assert!(matches!(
            error,
            ExecError::Sandbox(SandboxError::Unenforceable { .. })
        )),
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(!marker.exists());
}

#[tokio::test]
async fn huge_output_stays_bounded_and_is_counted_whole() {
    let fixture = Fixture::new();
    let total: usize = 5_000_000;
    let output = fixture
        .run(&format!("yes | head -c {total}"), 30_000)
        .await
        .expect("run");
    let half = "y\n".repeat(512 * 1024); // exactly 1 MiB
    let expected = format!("{half}…{} bytes omitted…\n{half}", total - 2 * half.len());
    assert_eq!(
        (
            output.exit_code,
            output.original_token_count,
            output.original_line_count
        ),
        (Some(0), total / 4, total / 2)
    );
    assert_eq!(output.aggregated_output.len(), expected.len());
    assert!(
        output.aggregated_output == expected,
        "aggregated output is head + marker + tail"
    );
    assert!(
        output.output == expected,
        "this call's output is bounded the same way"
    );
    assert!(output.to_model_text(10_000).len() < 40_400);
}

#[tokio::test]
async fn thirty_thousand_lines_are_truncated_for_the_model() {
    let fixture = Fixture::new();
    let output = fixture.run("seq 1 30000", 10_000).await.expect("run");
    let full: String = (1..=30_000).map(|i| format!("{i}\n")).collect();
    assert!(output.output == full);
    let tokens = full.len().div_ceil(4);
    assert_eq!(output.original_token_count, tokens);
    let text = output.to_model_text(10_000);
    let header_end = text.find("1\n2\n3\n").expect("the head follows the header");
    assert_eq!(
        text[..header_end]
            .split_once("Process exited")
            .map(|(_, rest)| rest),
        Some(
            format!(
                " with code 0\nOriginal token count: {tokens}\nOutput:\nWarning: truncated output \
                 (original token count: {tokens})\nTotal output lines: 30000\n\n"
            )
            .as_str()
        )
    );
    assert!(text.ends_with("29999\n30000\n"));
    assert_eq!(text.matches("tokens truncated…\n").count(), 1);
    assert!(
        text.len() - header_end <= 40_000 + 40,
        "{}",
        text.len() - header_end
    );
}

#[tokio::test]
async fn binary_output_is_lossy_utf8() {
    let fixture = Fixture::new();
    let output = fixture
        .run(r"printf '\377\376ok'", 5_000)
        .await
        .expect("run");
    assert_eq!(
        summary(&output),
        (
            Some(0),
            false,
            "\u{fffd}\u{fffd}ok",
            "\u{fffd}\u{fffd}ok",
            1
        )
    );
}

#[tokio::test]
async fn login_runs_the_profile() {
    let fixture = Fixture::new();
    std::fs::write(
        fixture.dir.path().join(".bash_profile"),
        "export FROM_PROFILE=yes\n",
    )
    .expect("write profile");
    let mut request = fixture.request("echo ${FROM_PROFILE:-no}", 5_000);
    let sink: OutputSink = Arc::new(|_: &[u8]| {});
    let plain = fixture
        .manager
        .exec_command(
            request.clone(),
            Arc::clone(&sink),
            &CancellationToken::new(),
        )
        .await
        .expect("run");
    request.login = true;
    let login = fixture
        .manager
        .exec_command(request, sink, &CancellationToken::new())
        .await
        .expect("run");
    assert_eq!(
        (plain.output.as_str(), login.output.as_str()),
        ("no\n", "yes\n")
    );
}

#[tokio::test]
async fn dropping_the_manager_kills_running_commands() {
    let fixture = Fixture::new();
    let first = fixture
        .run("sleep 100 & echo $!; sleep 100", 200)
        .await
        .expect("run");
    let grandchild: i32 = first.output.trim().parse().expect("the grandchild's pid");
    assert!(process_alive(grandchild));
    drop(fixture);
    assert!(
        wait_gone(grandchild).await,
        "grandchild {grandchild} outlived the manager"
    );
}

#[tokio::test]
async fn a_background_child_holding_the_pipes_does_not_keep_the_command_running() {
    let fixture = Fixture::new();
    let output = fixture
        .run("sleep 2 & echo done", 10_000)
        .await
        .expect("run");
    assert_eq!(summary(&output), (Some(0), false, "done\n", "done\n", 2));
    assert!(
        output.wall_time < Duration::from_secs(1),
        "took {:?}",
        output.wall_time
    );
}
