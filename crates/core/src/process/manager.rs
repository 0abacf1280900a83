//! The per-session table of running commands behind `exec_command` and
//! `write_stdin`.
//!
//! A call starts (or finds) a [`Child`], waits until the process exits, the
//! yield time passes, or the call is cancelled, and returns what arrived
//! meanwhile. Commands still running are kept under a session id for
//! `write_stdin`; at most [`MAX_SESSIONS`] are kept, the oldest is killed to
//! make room. This module does not format text for the model (`output.rs`)
//! nor decide approvals or sandbox modes (the caller does).

use super::child::Child;
use super::output::{ExecOutput, approx_token_count, new_chunk_id};
use super::{ExecError, ExecRequest, OutputSink};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Running commands kept at once; starting one more kills the oldest.
pub(crate) const MAX_SESSIONS: usize = 16;

/// Child ids are drawn from this range, so they do not look like counts.
const SESSION_ID_RANGE: std::ops::Range<i32> = 1000..100_000;

/// The running commands of one duet session. Cheap to clone: clones share
/// the table. Dropping the last clone kills every command still running.
#[derive(Clone, Default)]
pub(crate) struct ProcessManager {
    table: Arc<Mutex<SessionTable>>,
}

#[derive(Default)]
struct SessionTable {
    by_id: HashMap<i32, Arc<Child>>,
    started: u64,
}

impl ProcessManager {
    pub fn new() -> Self {
        Self::default()
    }

    /// Start the command; wait until it exits, `request.yield_time` passes,
    /// or `cancel` fires.
    ///
    /// `on_output` receives each raw chunk as it arrives, for the whole life
    /// of the process (also between and during later `write_stdin` calls).
    /// On cancellation the process group is killed and
    /// [`ExecError::Cancelled`] is returned at once.
    pub async fn exec_command(
        &self,
        request: ExecRequest,
        on_output: OutputSink,
        cancel: &CancellationToken,
    ) -> Result<ExecOutput, ExecError> {
        let started = Instant::now();
        if cancel.is_cancelled() {
            return Err(ExecError::Cancelled);
        }
        let session = self.start(&request, on_output)?;
        self.collect(&session, started, started + request.yield_time, cancel)
            .await
    }

    /// Write `chars` to a running command's stdin, then wait until it exits,
    /// `yield_time` passes, or `cancel` fires, and return what arrived.
    ///
    /// Empty `chars` only polls. A process that closed its stdin is not an
    /// error: its output (and exit, if any) is returned as usual.
    pub async fn write_stdin(
        &self,
        session_id: i32,
        chars: &str,
        yield_time: Duration,
        cancel: &CancellationToken,
    ) -> Result<ExecOutput, ExecError> {
        let started = Instant::now();
        let deadline = started + yield_time;
        let session = self
            .get(session_id)
            .ok_or(ExecError::UnknownSession { session_id })?;
        if !chars.is_empty() {
            tokio::select! {
                biased;
                () = cancel.cancelled() => {
                    self.kill_session(&session);
                    return Err(ExecError::Cancelled);
                }
                // A failed write is reported through the output that follows.
                _ = session.write_stdin(chars.as_bytes()) => {}
                () = tokio::time::sleep_until(deadline) => {}
            }
        }
        self.collect(&session, started, deadline, cancel).await
    }

    /// Kill every running command's process group and forget them all
    /// (interrupt, shutdown). Calls waiting on them return promptly.
    pub async fn kill_all(&self) {
        let sessions: Vec<Arc<Child>> = {
            let mut table = self
                .table
                .lock()
                .expect("session table lock is never poisoned");
            table.by_id.drain().map(|(_, session)| session).collect()
        };
        for session in sessions {
            session.kill();
        }
    }

    /// How many commands are kept running.
    #[cfg(test)]
    pub(crate) fn session_count(&self) -> usize {
        self.table
            .lock()
            .expect("session table lock is never poisoned")
            .by_id
            .len()
    }

    fn start(&self, request: &ExecRequest, on_output: OutputSink) -> Result<Arc<Child>, ExecError> {
        let mut table = self
            .table
            .lock()
            .expect("session table lock is never poisoned");
        if table.by_id.len() >= MAX_SESSIONS {
            let oldest = table
                .by_id
                .values()
                .min_by_key(|session| session.order)
                .map(|s| s.id);
            if let Some(oldest) = oldest.and_then(|id| table.by_id.remove(&id)) {
                oldest.kill();
            }
        }
        let id = loop {
            let candidate = fastrand::i32(SESSION_ID_RANGE);
            if !table.by_id.contains_key(&candidate) {
                break candidate;
            }
        };
        table.started += 1;
        let session = Arc::new(Child::start(id, table.started, request, on_output)?);
        table.by_id.insert(id, Arc::clone(&session));
        Ok(session)
    }

    fn get(&self, session_id: i32) -> Option<Arc<Child>> {
        let table = self
            .table
            .lock()
            .expect("session table lock is never poisoned");
        table.by_id.get(&session_id).cloned()
    }

    fn remove(&self, session_id: i32) {
        let mut table = self
            .table
            .lock()
            .expect("session table lock is never poisoned");
        table.by_id.remove(&session_id);
    }

    fn kill_session(&self, session: &Child) {
        session.kill();
        self.remove(session.id);
    }

    async fn collect(
        &self,
        session: &Arc<Child>,
        started: Instant,
        deadline: Instant,
        cancel: &CancellationToken,
    ) -> Result<ExecOutput, ExecError> {
        tokio::select! {
            biased;
            () = cancel.cancelled() => {
                self.kill_session(session);
                return Err(ExecError::Cancelled);
            }
            () = session.wait_exit() => {}
            () = tokio::time::sleep_until(deadline) => {}
        }
        let exit_code = session.exit_code();
        if exit_code.is_some() {
            self.remove(session.id);
        }
        let taken = session.take_output(exit_code.is_none());
        Ok(ExecOutput {
            chunk_id: new_chunk_id(),
            wall_time: started.elapsed(),
            exit_code,
            session_id: exit_code.is_none().then_some(session.id),
            output: taken.output,
            aggregated_output: taken.aggregated_output,
            original_token_count: approx_token_count(taken.bytes),
            original_line_count: taken.lines,
        })
    }
}
