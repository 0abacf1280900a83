//! The session task and its handle.
//!
//! One task owns the session: it receives `Op`s, starts turns, and forwards
//! approval answers. A running turn is a second task that owns the history
//! while it runs and hands it back when it ends, so the history never has two
//! writers. Interrupt and shutdown reach the turn through its cancellation
//! token.

use crate::config::Config;
use crate::turn::{TurnContext, TurnInput, run_turn};
use duet_model::{ModelClient, ResponseItem};
use duet_protocol::{Event, EventMsg, Op, ReviewDecision, ThreadStarted, Usage, UserTurn};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

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
    #[error(transparent)]
    Model(#[from] duet_model::ModelError),
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
pub fn spawn_session(
    config: Config,
    options: SessionOptions,
) -> Result<SessionHandle, SessionError> {
    let env = |name: &str| std::env::var(name).ok();
    let api_key = config.model_provider.resolve_api_key(&env)?;
    let originator = if options.originator.is_empty() {
        "duet".to_string()
    } else {
        options.originator
    };
    let client =
        ModelClient::new(config.model_provider.clone(), api_key)?.with_originator(originator);
    let thread_id = uuid::Uuid::now_v7().to_string();

    let (op_tx, op_rx) = mpsc::unbounded_channel();
    let (event_tx, event_rx) = mpsc::unbounded_channel();
    let events = EventSender::new(event_tx);
    events.send(
        None,
        EventMsg::ThreadStarted(ThreadStarted {
            thread_id: thread_id.clone(),
            model: config.model.clone(),
            provider: config.model_provider.id.clone(),
            cwd: config.cwd.clone(),
            sandbox: config.sandbox_mode,
            approval: config.approval_policy,
            writable_roots: crate::turn::writable_roots(&config),
            reasoning_effort: config.model_reasoning_effort,
            reasoning_summary: config.model_reasoning_summary,
        }),
    );
    let context = Arc::new(TurnContext::new(config, client, thread_id.clone(), events));
    tokio::spawn(run_session(context, op_rx));
    Ok(SessionHandle {
        thread_id,
        ops: op_tx,
        events: event_rx,
    })
}

/// Events out of the session, with the id counter for items.
#[derive(Clone)]
pub(crate) struct EventSender {
    tx: mpsc::UnboundedSender<Event>,
    next_item: Arc<std::sync::atomic::AtomicU64>,
}

impl EventSender {
    fn new(tx: mpsc::UnboundedSender<Event>) -> Self {
        EventSender {
            tx,
            next_item: Arc::new(std::sync::atomic::AtomicU64::new(0)),
        }
    }

    pub(crate) fn send(&self, turn_id: Option<&str>, msg: EventMsg) {
        // The front end may have gone away; the session then just winds down.
        let _ = self.tx.send(Event {
            turn_id: turn_id.map(str::to_string),
            msg,
        });
    }

    /// A fresh item id, unique in this session.
    pub(crate) fn item_id(&self) -> String {
        let n = self
            .next_item
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        format!("item_{n}")
    }
}

/// Approval answers waiting for their request, keyed by call id.
pub(crate) type PendingApprovals = Arc<Mutex<HashMap<String, oneshot::Sender<ReviewDecision>>>>;

/// What a finished turn hands back to the session.
pub(crate) struct TurnResult {
    pub history: Vec<ResponseItem>,
    pub usage: Usage,
}

struct RunningTurn {
    cancel: CancellationToken,
    task: JoinHandle<TurnResult>,
}

async fn run_session(context: Arc<TurnContext>, mut ops: mpsc::UnboundedReceiver<Op>) {
    let mut history: Option<Vec<ResponseItem>> = Some(Vec::new());
    let mut usage = Usage::default();
    let mut queued: VecDeque<UserTurn> = VecDeque::new();
    let mut running: Option<RunningTurn> = None;
    let mut turn_number: u64 = 0;

    loop {
        // Start the next queued turn when idle.
        if running.is_none()
            && let Some(user_turn) = queued.pop_front()
        {
            turn_number += 1;
            let cancel = CancellationToken::new();
            let input = TurnInput {
                turn_id: format!("turn_{turn_number}"),
                user_turn,
                history: history.take().unwrap_or_default(),
                usage,
            };
            let task = tokio::spawn(run_turn(Arc::clone(&context), input, cancel.clone()));
            running = Some(RunningTurn { cancel, task });
        }

        tokio::select! {
            op = ops.recv() => match op {
                Some(Op::UserTurn(user_turn)) => queued.push_back(user_turn),
                Some(Op::Interrupt) => {
                    if let Some(turn) = &running {
                        turn.cancel.cancel();
                    }
                }
                Some(Op::ExecApproval { call_id, decision })
                | Some(Op::PatchApproval { call_id, decision }) => {
                    context.answer_approval(&call_id, decision);
                }
                op @ (Some(Op::Shutdown) | None) => {
                    let front_end_gone = op.is_none();
                    if let Some(turn) = running.take() {
                        turn.cancel.cancel();
                        let _ = turn.task.await;
                    }
                    context.processes.kill_all().await;
                    if !front_end_gone {
                        context.events.send(None, EventMsg::ShutdownComplete);
                    }
                    return;
                }
            },
            result = async {
                match running.as_mut() {
                    Some(turn) => (&mut turn.task).await,
                    None => std::future::pending().await,
                }
            } => {
                running = None;
                match result {
                    Ok(turn) => {
                        history = Some(turn.history);
                        usage = turn.usage;
                    }
                    Err(join_error) => {
                        // A panic in a turn must not take the session down silently.
                        context.events.send(None, EventMsg::Error {
                            message: format!("internal error: the turn task failed: {join_error}"),
                        });
                        context.events.send(None, EventMsg::TurnFailed {
                            error: duet_protocol::ErrorInfo {
                                message: "internal error: the turn task failed".to_string(),
                            },
                        });
                        history = Some(Vec::new());
                    }
                }
            }
        }
    }
}

impl TurnContext {
    fn answer_approval(&self, call_id: &str, decision: ReviewDecision) {
        let sender = self
            .pending_approvals
            .lock()
            .ok()
            .and_then(|mut map| map.remove(call_id));
        if let Some(sender) = sender {
            let _ = sender.send(decision);
        }
    }
}
