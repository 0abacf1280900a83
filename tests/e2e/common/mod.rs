//! Shared helpers of the end-to-end tests: a temporary workspace (a git
//! repository and a home directory), a builder that runs the built `duet`
//! binary in it with a bounded wait, and filters that make its output
//! comparable as whole values.
//!
//! This is not a mock server: the tests use `duet_test_support` for that.
//! Every run gets a cleared environment (only `PATH`, `HOME`, `DUET_HOME`,
//! `LANG` and what the test adds), so nothing of the developer's own
//! environment (an `OPENAI_API_KEY`, an `OPENAI_BASE_URL`) leaks in.

// Each test binary uses a different part of this module.
#![allow(dead_code, unused_imports, clippy::disallowed_methods)]

pub mod events;
mod normalize;
mod process;

pub use normalize::{normalized_events, redact, split_exec_output, workspace_replacements};
pub use process::{process_alive, run_measuring_peak_rss, send_signal, wait_until};

use serde_json::Value;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};
use tempfile::TempDir;

/// `duet doctor --json` run with `workspace`'s home: which sandbox backends
/// work on this host.
pub fn doctor_report(workspace: &Workspace) -> Value {
    let output = Command::new(env!("CARGO_BIN_EXE_duet"))
        .args(["doctor", "--json"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("DUET_HOME", workspace.home())
        .output()
        .expect("duet doctor runs");
    serde_json::from_slice(&output.stdout).expect("doctor prints JSON")
}

/// Every sandbox backend that works here; the others are printed as
/// skipped, and a test fails when `DUET_REQUIRE_SANDBOX_BACKENDS` names one
/// of them (CI requires both).
#[allow(clippy::print_stderr)]
pub fn usable_backends(workspace: &Workspace) -> Vec<String> {
    usable_in(&doctor_report(workspace))
}

/// The backend `auto` picks on this host, or `None` (printed as skipped)
/// when no backend works here; a failure, like [`usable_backends`], when
/// `DUET_REQUIRE_SANDBOX_BACKENDS` names a backend that cannot run.
#[allow(clippy::print_stderr)]
pub fn auto_backend(workspace: &Workspace) -> Option<String> {
    let report = doctor_report(workspace);
    usable_in(&report);
    let backend = report["auto"].as_str().map(str::to_string);
    if backend.is_none() {
        eprintln!("SKIPPED: no sandbox backend works on this host: {report}");
    }
    backend
}

#[allow(clippy::print_stderr)]
pub fn usable_in(report: &Value) -> Vec<String> {
    let required = std::env::var("DUET_REQUIRE_SANDBOX_BACKENDS").unwrap_or_default();
    let mut usable = Vec::new();
    for backend in report["backends"].as_array().expect("a list") {
        let name = backend["backend"].as_str().expect("a name").to_string();
        if backend["status"] == "available" {
            usable.push(name);
        } else {
            assert!(
                !required.split(',').any(|wanted| wanted.trim() == name),
                "DUET_REQUIRE_SANDBOX_BACKENDS requires `{name}`: {backend}"
            );
            eprintln!("SKIPPED backend {name}: {backend}");
        }
    }
    usable
}

/// The longest any single duet run may take before the test fails.
pub const RUN_TIMEOUT: Duration = Duration::from_secs(30);

/// The API key given to duet through `OPENAI_API_KEY` by [`DuetRun::mock`].
pub const TEST_KEY: &str = "sk-test";

/// A temporary git repository (the session's cwd) and a temporary home
/// (`HOME` and `DUET_HOME`). Both are removed on drop.
pub struct Workspace {
    repo: TempDir,
    home: TempDir,
    /// The canonical paths (a temp dir may sit behind a symlink).
    repo_path: PathBuf,
    home_path: PathBuf,
}

impl Workspace {
    /// A workspace whose repo is an initialised, empty git repository.
    pub fn new() -> Workspace {
        let workspace = Workspace::without_git();
        let status = Command::new("git")
            .args(["init", "-q"])
            .current_dir(workspace.repo())
            .env("HOME", workspace.home())
            .stdin(Stdio::null())
            .status()
            .expect("git runs");
        assert!(status.success(), "git init failed: {status}");
        workspace
    }

    /// A workspace whose repo directory is not a git repository.
    pub fn without_git() -> Workspace {
        let repo = tempfile::tempdir().expect("temp repo dir");
        let home = tempfile::tempdir().expect("temp home dir");
        Workspace {
            repo_path: repo.path().canonicalize().expect("canonical repo path"),
            home_path: home.path().canonicalize().expect("canonical home path"),
            repo,
            home,
        }
    }

    pub fn repo(&self) -> &Path {
        &self.repo_path
    }

    pub fn home(&self) -> &Path {
        &self.home_path
    }

    /// `duet exec` in this workspace, with `args` after `exec`.
    pub fn exec(&self) -> DuetRun {
        DuetRun::new(self).arg("exec")
    }

    /// `duet` in this workspace with no subcommand yet.
    pub fn duet(&self) -> DuetRun {
        DuetRun::new(self)
    }

    /// The repo's files (not `.git`), relative paths sorted, with contents.
    pub fn files(&self) -> Vec<(String, String)> {
        let mut files = Vec::new();
        collect_files(self.repo(), self.repo(), &mut files);
        files.sort();
        files
    }
}

fn collect_files(root: &Path, dir: &Path, files: &mut Vec<(String, String)>) {
    for entry in std::fs::read_dir(dir).expect("read repo dir") {
        let path = entry.expect("dir entry").path();
        if path.file_name().is_some_and(|name| name == ".git") {
            continue;
        }
        if path.is_dir() {
            collect_files(root, &path, files);
        } else {
            let relative = path.strip_prefix(root).expect("under root");
            let content = std::fs::read_to_string(&path).unwrap_or_else(|_| "<binary>".into());
            files.push((relative.display().to_string(), content));
        }
    }
}

/// One run of the `duet` binary, built up then started with [`DuetRun::run`].
pub struct DuetRun {
    cwd: PathBuf,
    home: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<Vec<u8>>,
    timeout: Duration,
}

impl DuetRun {
    fn new(workspace: &Workspace) -> DuetRun {
        DuetRun {
            cwd: workspace.repo().to_path_buf(),
            home: workspace.home().to_path_buf(),
            args: Vec::new(),
            env: Vec::new(),
            stdin: None,
            timeout: RUN_TIMEOUT,
        }
    }

    pub fn arg(mut self, arg: impl Into<String>) -> DuetRun {
        self.args.push(arg.into());
        self
    }

    pub fn args<I, S>(mut self, args: I) -> DuetRun
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.args.extend(args.into_iter().map(Into::into));
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> DuetRun {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    /// Write these bytes to stdin, then close it (default: `/dev/null`).
    pub fn stdin(mut self, bytes: impl Into<Vec<u8>>) -> DuetRun {
        self.stdin = Some(bytes.into());
        self
    }

    pub fn cwd(mut self, dir: &Path) -> DuetRun {
        self.cwd = dir.to_path_buf();
        self
    }

    /// The built-in `openai` provider pointed at `base_url` (`…/v1`), with
    /// `OPENAI_API_KEY=sk-test`.
    pub fn mock(self, base_url: &str) -> DuetRun {
        self.arg("-c")
            .arg(format!("openai_base_url=\"{base_url}\""))
            .env("OPENAI_API_KEY", TEST_KEY)
    }

    /// A custom provider `mock` at `base_url` with key variable `MOCK_KEY`
    /// set to `sk-test`, plus `model_providers.mock.<key>=<value>` knobs
    /// (e.g. `("request_max_retries", "0")`).
    pub fn mock_provider(self, base_url: &str, knobs: &[(&str, &str)]) -> DuetRun {
        let mut run = self
            .args(["-c", "model_provider=mock"])
            .args(["-c", "model_providers.mock.name=mock"])
            .arg("-c")
            .arg(format!("model_providers.mock.base_url=\"{base_url}\""))
            .args(["-c", "model_providers.mock.env_key=MOCK_KEY"])
            .env("MOCK_KEY", TEST_KEY);
        for (key, value) in knobs {
            run = run
                .arg("-c")
                .arg(format!("model_providers.mock.{key}={value}"));
        }
        run
    }

    /// The configured command, not yet started.
    fn command(&self) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_duet"));
        command
            .args(&self.args)
            .current_dir(&self.cwd)
            .env_clear()
            .env(
                "PATH",
                std::env::var("PATH").unwrap_or_else(|_| "/usr/bin:/bin".into()),
            )
            .env("HOME", &self.home)
            .env("DUET_HOME", &self.home)
            .env("LANG", "C.UTF-8")
            .envs(self.env.iter().map(|(name, value)| (name, value)))
            .stdin(if self.stdin.is_some() {
                Stdio::piped()
            } else {
                Stdio::null()
            })
            .stdout(Stdio::piped())
            .stderr(Stdio::piped());
        command
    }

    /// Start the process; stdin, if any, is written and closed. The caller
    /// must wait for it (see [`Running::finish`]).
    pub fn spawn(self) -> Running {
        let mut child = self.command().spawn().expect("start duet");
        if let Some(bytes) = &self.stdin {
            let mut stdin = child.stdin.take().expect("piped stdin");
            // duet may exit without reading stdin (an error before the
            // prompt): a broken pipe here is not the test's concern.
            let _ = stdin.write_all(bytes);
        }
        let stdout = reader_thread(child.stdout.take().expect("piped stdout"));
        let stderr = reader_thread(child.stderr.take().expect("piped stderr"));
        Running {
            child,
            stdout: Some(stdout),
            stderr: Some(stderr),
            timeout: self.timeout,
            args: self.args,
        }
    }

    /// Run to the end on this thread (bounded by [`RUN_TIMEOUT`]).
    pub fn run_blocking(self) -> Outcome {
        self.spawn().finish()
    }

    /// Run to the end on a blocking thread, so an in-process mock on this
    /// runtime keeps serving.
    pub async fn run(self) -> Outcome {
        tokio::task::spawn_blocking(move || self.run_blocking())
            .await
            .expect("the duet run thread panicked")
    }
}

fn reader_thread(mut pipe: impl Read + Send + 'static) -> std::thread::JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = pipe.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

/// A started duet process. Dropping it kills the process, so a failing
/// test leaves nothing behind.
pub struct Running {
    child: Child,
    stdout: Option<std::thread::JoinHandle<String>>,
    stderr: Option<std::thread::JoinHandle<String>>,
    timeout: Duration,
    args: Vec<String>,
}

impl Running {
    pub fn pid(&self) -> i32 {
        i32::try_from(self.child.id()).expect("pid fits in i32")
    }

    /// Wait for the exit, killing the process and failing the test if it
    /// takes longer than the run's timeout.
    pub fn finish(self) -> Outcome {
        let limit = self.timeout;
        self.finish_within(limit)
    }

    pub fn finish_within(mut self, limit: Duration) -> Outcome {
        let stdout = self.stdout.take().expect("stdout reader");
        let stderr = self.stderr.take().expect("stderr reader");
        let started = Instant::now();
        let status = loop {
            if let Some(status) = self.child.try_wait().expect("wait for duet") {
                break status;
            }
            if started.elapsed() > limit {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let stderr = stderr.join().unwrap_or_default();
                panic!(
                    "duet {:?} did not exit within {limit:?}; stderr:\n{stderr}",
                    self.args
                );
            }
            std::thread::sleep(Duration::from_millis(5));
        };
        Outcome {
            code: status.code(),
            stdout: stdout.join().expect("stdout reader"),
            stderr: stderr.join().expect("stderr reader"),
            elapsed: started.elapsed(),
        }
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        // Already reaped by `finish_within` in the normal case: then both
        // calls are no-ops.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// How a run ended.
#[derive(Debug, Clone)]
pub struct Outcome {
    /// The exit code; `None` if a signal killed the process.
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
    pub elapsed: Duration,
}

impl Outcome {
    /// stdout as JSON lines; panics (with both streams) on a non-JSON line.
    pub fn events(&self) -> Vec<Value> {
        self.stdout
            .lines()
            .map(|line| {
                serde_json::from_str(line).unwrap_or_else(|error| {
                    panic!(
                        "stdout line is not JSON ({error}): {line:?}\nstderr:\n{}",
                        self.stderr
                    )
                })
            })
            .collect()
    }

    /// The `thread_id` of the first event, which must be `thread.started`.
    pub fn thread_id(&self) -> String {
        let events = self.events();
        let first = events.first().unwrap_or_else(|| {
            panic!("no events on stdout; stderr:\n{}", self.stderr);
        });
        assert_eq!(first["type"], "thread.started", "{first}");
        first["thread_id"]
            .as_str()
            .expect("thread_id is a string")
            .to_owned()
    }

    /// Exit code, stdout and stderr, with `repo` written `<REPO>` in
    /// stderr: for comparing whole outcomes of runs in a temp directory.
    pub fn ended_with(&self, repo: &str) -> (Option<i32>, String, String) {
        (
            self.code,
            self.stdout.clone(),
            self.stderr.replace(repo, "<REPO>"),
        )
    }

    /// Exit code, stdout and stderr in one string, for assertion messages.
    pub fn describe(&self) -> String {
        format!(
            "exit code {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code, self.stdout, self.stderr
        )
    }
}

/// A run's stdout or stderr with what changes from run to run replaced,
/// for a snapshot: the workspace's paths (`<REPO>`, `<HOME>`), the session
/// id (`<THREAD>`, from a `session id: …` line) and millisecond durations
/// (`in 12ms` → `in <MS>ms`).
pub fn snapshot_text(text: &str, workspace: Option<&Workspace>) -> String {
    let mut text = text.to_string();
    if let Some(id) = text
        .lines()
        .find_map(|line| line.strip_prefix("session id: "))
        .map(str::to_owned)
    {
        text = text.replace(&id, "<THREAD>");
    }
    if let Some(workspace) = workspace {
        for (path, name) in [(workspace.repo(), "<REPO>"), (workspace.home(), "<HOME>")] {
            text = text.replace(path.to_str().expect("utf-8 temp path"), name);
        }
    }
    let mut out = String::with_capacity(text.len());
    let mut rest = text.as_str();
    while let Some(at) = rest.find(" in ") {
        let (head, tail) = rest.split_at(at + 4);
        out.push_str(head);
        let digits = tail.bytes().take_while(u8::is_ascii_digit).count();
        if digits > 0 && tail[digits..].starts_with("ms") {
            out.push_str("<MS>");
            rest = &tail[digits..];
        } else {
            rest = tail;
        }
    }
    out.push_str(rest);
    out
}

/// Assert a snapshot (insta, in `tests/e2e/snapshots/`) of a run's output
/// made comparable by [`snapshot_text`]:
/// `assert_run_snapshot!("name", &outcome.stderr, Some(&workspace))`.
#[macro_export]
macro_rules! assert_run_snapshot {
    ($name:expr, $text:expr, $workspace:expr) => {
        insta::assert_snapshot!($name, $crate::common::snapshot_text($text, $workspace))
    };
}

/// `server-everything`'s entry point in `tests/mcp` (started with `stdio`).
pub const EVERYTHING: &str = "node_modules/@modelcontextprotocol/server-everything/dist/index.js";
/// `server-filesystem`'s entry point (started with the allowed folders).
pub const FILESYSTEM: &str = "node_modules/@modelcontextprotocol/server-filesystem/dist/index.js";
/// Our own scripted server on the MCP SDK (`tests/mcp/servers/scripted.mjs`).
pub const SCRIPTED: &str = "servers/scripted.mjs";

/// A file of `tests/mcp` (an MCP server from npm, installed by `.ci/run`),
/// or `None` (the test says it was skipped) unless
/// `DUET_REQUIRE_MCP_SERVERS=1`, which makes its absence a failure.
#[allow(clippy::print_stderr)] // a skip must be visible
pub fn mcp_server(relative: &str) -> Option<PathBuf> {
    let mcp = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/mcp");
    let path = mcp.join(relative);
    let installed = mcp.join("node_modules/@modelcontextprotocol/sdk").is_dir();
    if path.is_file() && installed {
        return Some(path);
    }
    assert!(
        std::env::var("DUET_REQUIRE_MCP_SERVERS").as_deref() != Ok("1"),
        "{} is required here (DUET_REQUIRE_MCP_SERVERS=1): run `npm ci --prefix tests/mcp`",
        path.display()
    );
    eprintln!(
        "skipped: {} is missing; `npm ci --prefix tests/mcp` installs it",
        path.display()
    );
    None
}
