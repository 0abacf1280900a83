//! The session task and its handle. STUB: the API is the contract.

use crate::config::Config;
use duet_protocol::{Event, Op};
use tokio::sync::mpsc;

/// How the front end identifies itself and what it wants from the session.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// Sent as the `originator` header; `duet_exec` for `duet exec`.
    pub originator: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the session has ended")]
    Closed,
    #[error("{0}")]
    Startup(String),
}

/// The front end's side of a session. Dropping it shuts the session down
/// (running commands are killed).
pub struct SessionHandle {
    thread_id: String,
    ops: mpsc::UnboundedSender<Op>,
    events: mpsc::UnboundedReceiver<Event>,
}

impl SessionHandle {
    pub fn thread_id(&self) -> &str {
        &self.thread_id
    }

    /// Queue an op for the session.
    pub fn submit(&self, op: Op) -> Result<(), SessionError> {
        self.ops.send(op).map_err(|_| SessionError::Closed)
    }

    /// The next event; `None` once the session task has ended.
    pub async fn next_event(&mut self) -> Option<Event> {
        self.events.recv().await
    }
}

/// Start a session on the current tokio runtime. The first event is always
/// `ThreadStarted`. Fails if the model client cannot be built (for example
/// the provider's API key variable is unset).
pub fn spawn_session(config: Config, options: SessionOptions) -> Result<SessionHandle, SessionError> {
    let _ = (config, options);
    todo!("being written")
}
