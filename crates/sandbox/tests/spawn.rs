//! `spawn` against the real kernel: exit codes, signals, the exact
//! environment, failing closed, and killing a whole process group.

use duet_protocol::SandboxMode;
use duet_sandbox::{
    Backend, BackendPreference, CommandSpec, Sandbox, SandboxError, SandboxPolicy, SandboxedChild,
    StdinMode, exit_code,
};
use pretty_assertions::assert_eq;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};

fn sh(script: &str, cwd: &Path) -> CommandSpec {
    CommandSpec {
        program: PathBuf::from("/bin/sh"),
        args: vec!["-c".to_string(), script.to_string()],
        cwd: cwd.to_path_buf(),
        env: HashMap::from([("PATH".to_string(), "/usr/bin:/bin".to_string())]),
        stdin: StdinMode::Null,
    }
}

fn spawn(spec: &CommandSpec, policy: &SandboxPolicy) -> Result<SandboxedChild, SandboxError> {
    Sandbox::new(policy.clone()).spawn(spec)
}

async fn read_all(child: &mut SandboxedChild) -> (String, String) {
    let mut stdout = String::new();
    let mut stderr = String::new();
    let mut out = child.stdout.take().expect("stdout is piped");
    let mut err = child.stderr.take().expect("stderr is piped");
    let (a, b) = tokio::join!(
        out.read_to_string(&mut stdout),
        err.read_to_string(&mut stderr)
    );
    a.expect("read stdout");
    b.expect("read stderr");
    (stdout, stderr)
}

fn process_exists(pid: i32) -> bool {
    // /proc/<pid> disappears once the process is reaped; a zombie still has
    // it, so also treat state `Z` as gone.
    match std::fs::read_to_string(format!("/proc/{pid}/stat")) {
        Ok(stat) => !stat
            .rsplit_once(')')
            .is_some_and(|(_, rest)| rest.trim_start().starts_with('Z')),
        Err(_) => false,
    }
}

#[tokio::test]
async fn full_access_runs_and_reports_the_exit_code() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = spawn(
        &sh("echo hi; echo oops >&2; exit 3", dir.path()),
        &SandboxPolicy::DangerFullAccess,
    )
    .expect("spawn");
    assert!(child.stdin.is_none());
    let output = read_all(&mut child).await;
    let status = child.wait().await.expect("wait");
    assert_eq!(
        (output, exit_code(status)),
        (("hi\n".to_string(), "oops\n".to_string()), 3)
    );
}

#[tokio::test]
async fn death_by_signal_is_128_plus_n() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = spawn(
        &sh("kill -TERM $$", dir.path()),
        &SandboxPolicy::DangerFullAccess,
    )
    .expect("spawn");
    let status = child.wait().await.expect("wait");
    assert_eq!(exit_code(status), 128 + libc::SIGTERM);
}

#[tokio::test]
async fn the_child_gets_exactly_the_given_environment() {
    let dir = tempfile::tempdir().expect("tempdir");
    let spec = CommandSpec {
        program: PathBuf::from("/usr/bin/env"),
        args: Vec::new(),
        cwd: dir.path().to_path_buf(),
        env: HashMap::from([
            ("ONLY".to_string(), "this".to_string()),
            ("AND".to_string(), "that=x".to_string()),
        ]),
        stdin: StdinMode::Null,
    };
    let mut child = spawn(&spec, &SandboxPolicy::DangerFullAccess).expect("spawn");
    let (stdout, _) = read_all(&mut child).await;
    child.wait().await.expect("wait");
    let mut lines: Vec<&str> = stdout.lines().collect();
    lines.sort();
    assert_eq!(lines, vec!["AND=that=x", "ONLY=this"]);
}

#[tokio::test]
async fn the_child_runs_in_the_given_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cwd = dir.path().canonicalize().expect("canonical tempdir");
    let mut child = spawn(&sh("pwd -P", &cwd), &SandboxPolicy::DangerFullAccess).expect("spawn");
    let (stdout, _) = read_all(&mut child).await;
    child.wait().await.expect("wait");
    assert_eq!(stdout, format!("{}\n", cwd.display()));
}

#[tokio::test]
async fn piped_stdin_reaches_the_child() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut spec = sh("read line; echo got $line", dir.path());
    spec.stdin = StdinMode::Piped;
    let mut child = spawn(&spec, &SandboxPolicy::DangerFullAccess).expect("spawn");
    let mut stdin = child.stdin.take().expect("stdin is piped");
    stdin.write_all(b"ping\n").await.expect("write stdin");
    drop(stdin);
    let (stdout, _) = read_all(&mut child).await;
    assert_eq!(exit_code(child.wait().await.expect("wait")), 0);
    assert_eq!(stdout, "got ping\n");
}

#[tokio::test]
async fn an_unenforceable_policy_fails_closed_without_running_anything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical tempdir");
    // A protected name that is a dangling symlink cannot be kept read-only
    // by bubblewrap (the command could create its target), so nothing runs.
    std::os::unix::fs::symlink(root.join("missing"), root.join(".git")).expect("symlink");
    let marker = root.join("ran");
    let spec = sh(&format!("touch {}", marker.display()), &root);
    let policy = SandboxPolicy::WorkspaceWrite {
        writable_roots: vec![root.clone()],
        network_access: false,
        exclude_tmpdir_env_var: true,
        exclude_slash_tmp: true,
    };
    let result = Sandbox {
        backend: BackendPreference::Bwrap,
        helper: Some(PathBuf::from(env!("CARGO_BIN_EXE_duet-linux-sandbox"))),
        hidden: Vec::new(),
        ..Sandbox::new(policy)
    }
    .spawn(&spec);
    let Err(SandboxError::Unenforceable { mode, reason }) = result else {
        panic!("expected Unenforceable, got {result:?}");
    };
    // Give a wrongly started child time to create the marker.
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(mode, SandboxMode::WorkspaceWrite);
    let bwrap_works = duet_sandbox::probe_backends(None)
        .iter()
        .any(|report| report.backend == Backend::Bwrap && report.is_available());
    if bwrap_works {
        assert_eq!(
            reason,
            format!(
                "`{}/.git` is a symlink to a missing path, which a command could create and \
                 write; remove the symlink or create its target",
                root.display()
            )
        );
    } else {
        assert!(
            reason.starts_with("`sandbox_backend = \"bwrap\"` is set; bwrap: "),
            "{reason}"
        );
    }
    assert!(
        !marker.exists(),
        "a fail-closed mode must not run the command"
    );
}

#[tokio::test]
async fn kill_process_group_kills_grandchildren() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = spawn(
        &sh("sleep 100 & echo $!; wait", dir.path()),
        &SandboxPolicy::DangerFullAccess,
    )
    .expect("spawn");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut first_line = String::new();
    BufReader::new(stdout)
        .read_line(&mut first_line)
        .await
        .expect("read grandchild pid");
    let grandchild: i32 = first_line.trim().parse().expect("a pid");
    assert!(
        process_exists(grandchild),
        "the grandchild should be running"
    );

    child.kill_process_group();
    let status = child.wait().await.expect("wait");
    assert_eq!(exit_code(status), 128 + libc::SIGKILL);
    // The grandchild is reparented to init (or a subreaper), which reaps it
    // soon after the kill; allow it a moment.
    let mut gone = false;
    for _ in 0..100 {
        if !process_exists(grandchild) {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(gone, "grandchild {grandchild} survived kill_process_group");
}

#[tokio::test]
async fn dropping_a_running_child_kills_its_group() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut child = spawn(
        &sh("sleep 100 & echo $!; wait", dir.path()),
        &SandboxPolicy::DangerFullAccess,
    )
    .expect("spawn");
    let stdout = child.stdout.take().expect("stdout is piped");
    let mut first_line = String::new();
    BufReader::new(stdout)
        .read_line(&mut first_line)
        .await
        .expect("read grandchild pid");
    let grandchild: i32 = first_line.trim().parse().expect("a pid");
    drop(child);
    let mut gone = false;
    for _ in 0..100 {
        if !process_exists(grandchild) {
            gone = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    assert!(
        gone,
        "grandchild {grandchild} survived dropping its SandboxedChild"
    );
}

#[tokio::test]
async fn a_missing_program_is_a_spawn_error_naming_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut spec = sh("", dir.path());
    spec.program = PathBuf::from("/nonexistent/prog");
    let error = spawn(&spec, &SandboxPolicy::DangerFullAccess).expect_err("must fail");
    assert_eq!(
        error.to_string(),
        format!(
            "could not start `/nonexistent/prog` in `{}`: No such file or directory (os error 2); \
             check that the program exists and the directory is accessible",
            dir.path().display()
        )
    );
}

/// A service (an MCP server): unconfined whatever the policy, talking over
/// its pipes, and gone with everything it started when its child is
/// dropped, even a grandchild that left its process group.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn a_service_runs_unconfined_and_ends_with_its_child() {
    let dir = tempfile::tempdir().expect("tempdir");
    let outside = tempfile::tempdir().expect("tempdir");
    let marker = outside.path().join("written");
    let script = format!(
        "setsid sleep 100 & echo $!; touch {}; echo \"sandbox=${{DUET_SANDBOX:-none}}\"; \
         read line; echo \"got $line\"; wait",
        marker.display()
    );
    let mut spec = sh(&script, dir.path());
    spec.stdin = StdinMode::Piped;
    let child = Sandbox {
        helper: Some(PathBuf::from(env!("CARGO_BIN_EXE_duet-linux-sandbox"))),
        ..Sandbox::new(SandboxPolicy::ReadOnly)
    }
    .spawn_service(&spec)
    .expect("spawn");
    let mut child = child;
    let mut stdin = child.stdin.take().expect("stdin is piped");
    let mut lines = BufReader::new(child.stdout.take().expect("stdout is piped")).lines();
    let grandchild: i32 = lines
        .next_line()
        .await
        .expect("read")
        .expect("a line")
        .parse()
        .expect("a pid");
    assert_eq!(
        lines.next_line().await.expect("read"),
        Some("sandbox=none".to_string())
    );
    stdin.write_all(b"ping\n").await.expect("write");
    assert_eq!(
        lines.next_line().await.expect("read"),
        Some("got ping".to_string())
    );
    assert!(marker.exists(), "a service is not confined");
    assert!(process_exists(grandchild));
    drop(child);
    for _ in 0..100 {
        if !process_exists(grandchild) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    panic!("the grandchild {grandchild} outlived the service");
}
