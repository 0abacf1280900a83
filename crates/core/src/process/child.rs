//! One running command: its supervisor task, its bounded output, its exit.
//!
//! A [`Child`] starts the process through `duet_sandbox::spawn` and hands it
//! to a supervisor task that reads stdout and stderr (merged in arrival
//! order), feeds the live sink, and records the exit code. Dropping the last
//! handle to a session aborts the supervisor, which kills a process group that
//! is still running. Child ids, limits and the tool calls live in
//! `manager.rs`.

use super::buffer::HeadTailBuffer;
use super::{ExecError, ExecRequest, OutputSink};
use duet_sandbox::{
    CommandSpec, ProcessGroup, SandboxedChild, StdinMode, exit_code as shell_exit_code,
};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::process::{ChildStderr, ChildStdin, ChildStdout};
use tokio::sync::watch;
use tokio::task::JoinHandle;
use tokio::time::Instant;

/// Bytes kept at each end of a session's output (aggregated, and per call).
const OUTPUT_HEAD_CAP: usize = 1024 * 1024;
const OUTPUT_TAIL_CAP: usize = 1024 * 1024;

/// How long to keep reading after the process exited, for output still in
/// the pipes. A background grandchild holding the pipes open must not keep a
/// finished command "running", so reading stops after this.
const DRAIN_GRACE: Duration = Duration::from_millis(100);

const READ_CHUNK: usize = 64 * 1024;

/// A started command.
pub(crate) struct Child {
    pub(crate) id: i32,
    /// Start order within the manager; the smallest is the oldest.
    pub(crate) order: u64,
    stdin: tokio::sync::Mutex<Option<ChildStdin>>,
    output: Arc<Mutex<SessionOutput>>,
    exit: watch::Receiver<Option<i32>>,
    group: ProcessGroup,
    _supervisor: AbortOnDrop,
}

/// Output taken by one tool call.
pub(crate) struct TakenOutput {
    pub(crate) output: String,
    pub(crate) aggregated_output: String,
    pub(crate) bytes: usize,
    pub(crate) lines: usize,
}

struct SessionOutput {
    /// Since the last call took it.
    pending: HeadTailBuffer,
    /// Since the start.
    aggregated: HeadTailBuffer,
}

impl Child {
    /// Spawn `request` under its sandbox policy with piped stdin.
    pub(crate) fn start(
        id: i32,
        order: u64,
        request: &ExecRequest,
        on_output: OutputSink,
    ) -> Result<Self, ExecError> {
        let shell_flag = if request.login { "-lc" } else { "-c" };
        let spec = CommandSpec {
            program: request.shell.clone(),
            args: vec![shell_flag.to_string(), request.command.clone()],
            cwd: request.workdir.clone(),
            env: (*request.env).clone(),
            stdin: StdinMode::Piped,
        };
        let mut child = request.sandbox.spawn(&spec)?;
        let stdin = child.stdin.take();
        let stdout = child.stdout.take().expect("spawn always pipes stdout");
        let stderr = child.stderr.take().expect("spawn always pipes stderr");
        let group = child.process_group();
        let output = Arc::new(Mutex::new(SessionOutput {
            pending: HeadTailBuffer::new(OUTPUT_HEAD_CAP, OUTPUT_TAIL_CAP),
            aggregated: HeadTailBuffer::new(OUTPUT_HEAD_CAP, OUTPUT_TAIL_CAP),
        }));
        let (exit_tx, exit) = watch::channel(None);
        let supervisor = tokio::spawn(supervise(
            child,
            stdout,
            stderr,
            Arc::clone(&output),
            on_output,
            exit_tx,
        ));
        Ok(Self {
            id,
            order,
            stdin: tokio::sync::Mutex::new(stdin),
            output,
            exit,
            group,
            _supervisor: AbortOnDrop(supervisor),
        })
    }

    /// SIGKILL the whole process group.
    pub(crate) fn kill(&self) {
        self.group.kill();
    }

    /// The exit code, once the process has exited and its output is drained.
    pub(crate) fn exit_code(&self) -> Option<i32> {
        *self.exit.borrow()
    }

    /// Resolves when [`Self::exit_code`] becomes known.
    pub(crate) async fn wait_exit(&self) {
        let mut exit = self.exit.clone();
        // An error means the supervisor is gone (aborted): nothing more to wait for.
        let _ = exit.wait_for(Option::is_some).await;
    }

    /// Write `bytes` to the process's stdin. A process that closed its stdin
    /// (or exited) makes this fail; the caller still collects its output.
    pub(crate) async fn write_stdin(&self, bytes: &[u8]) -> std::io::Result<()> {
        let mut stdin = self.stdin.lock().await;
        let Some(pipe) = stdin.as_mut() else {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        };
        pipe.write_all(bytes).await?;
        pipe.flush().await
    }

    /// Take what arrived since the last take, plus a copy of everything.
    pub(crate) fn take_output(&self, still_running: bool) -> TakenOutput {
        let mut state = self.output.lock().expect("output lock is never poisoned");
        let bytes = state.pending.total_bytes();
        let lines = state.pending.total_lines();
        TakenOutput {
            output: state.pending.take_string(still_running),
            aggregated_output: state.aggregated.to_string_lossy(),
            bytes,
            lines,
        }
    }
}

/// Aborts the task when dropped, so a forgotten session cannot leak it.
struct AbortOnDrop(JoinHandle<()>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

/// Read both pipes until the process exits and the pipes close (or the drain
/// grace ends), then publish the exit code. Owning `child` here means an
/// aborted supervisor drops it, which kills a still-running group.
async fn supervise(
    mut child: SandboxedChild,
    mut stdout: ChildStdout,
    mut stderr: ChildStderr,
    output: Arc<Mutex<SessionOutput>>,
    on_output: OutputSink,
    exit_tx: watch::Sender<Option<i32>>,
) {
    let record = |bytes: &[u8]| {
        {
            let mut state = output.lock().expect("output lock is never poisoned");
            state.pending.push(bytes);
            state.aggregated.push(bytes);
        }
        on_output(bytes);
    };
    let mut stdout_buf = vec![0u8; READ_CHUNK];
    let mut stderr_buf = vec![0u8; READ_CHUNK];
    let (mut stdout_open, mut stderr_open) = (true, true);
    let mut status: Option<i32> = None;
    let mut drain_deadline = Instant::now();
    while status.is_none() || stdout_open || stderr_open {
        tokio::select! {
            read = stdout.read(&mut stdout_buf), if stdout_open => match read {
                Ok(0) | Err(_) => stdout_open = false,
                Ok(n) => record(&stdout_buf[..n]),
            },
            read = stderr.read(&mut stderr_buf), if stderr_open => match read {
                Ok(0) | Err(_) => stderr_open = false,
                Ok(n) => record(&stderr_buf[..n]),
            },
            waited = child.wait(), if status.is_none() => {
                status = Some(waited.map_or(-1, shell_exit_code));
                drain_deadline = Instant::now() + DRAIN_GRACE;
            },
            () = tokio::time::sleep_until(drain_deadline), if status.is_some() => break,
        }
    }
    exit_tx.send_replace(status);
}
