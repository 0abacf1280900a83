//! STUB: being written in another branch (process sessions for `exec_command`).
#![allow(dead_code, unused_variables)]

use duet_sandbox::SandboxPolicy;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

pub(crate) type OutputSink = Arc<dyn Fn(&[u8]) + Send + Sync>;

pub(crate) struct ExecRequest {
    pub command: String,
    pub workdir: PathBuf,
    pub shell: PathBuf,
    pub login: bool,
    pub yield_time: Duration,
    pub max_output_tokens: usize,
    pub policy: SandboxPolicy,
    pub env: Arc<HashMap<String, String>>,
}

#[derive(Debug, Clone)]
pub(crate) struct ExecOutput {
    pub chunk_id: String,
    pub wall_time: Duration,
    pub exit_code: Option<i32>,
    pub session_id: Option<i32>,
    pub output: String,
    pub aggregated_output: String,
    pub original_token_count: usize,
}

impl ExecOutput {
    pub fn to_model_text(&self, max_output_tokens: usize) -> String {
        todo!()
    }
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum ExecError {
    #[error("{0}")]
    Sandbox(#[from] duet_sandbox::SandboxError),
    #[error("{0}")]
    Other(String),
    #[error("cancelled")]
    Cancelled,
}

#[derive(Default)]
pub(crate) struct ProcessManager {}

impl ProcessManager {
    pub fn new() -> Self {
        ProcessManager {}
    }
    pub async fn exec_command(
        &self,
        req: ExecRequest,
        on_output: OutputSink,
        cancel: &CancellationToken,
    ) -> Result<ExecOutput, ExecError> {
        todo!()
    }
    pub async fn write_stdin(
        &self,
        session_id: i32,
        chars: &str,
        yield_time: Duration,
        max_output_tokens: usize,
        cancel: &CancellationToken,
    ) -> Result<ExecOutput, ExecError> {
        todo!()
    }
    pub async fn kill_all(&self) {}
}

pub(crate) async fn capture_login_env(
    shell: &Path,
    base_env: &HashMap<String, String>,
) -> Result<HashMap<String, String>, ExecError> {
    todo!()
}
