//! The session task and its handle.
//!
//! One task owns the session: it receives `Op`s, starts turns, and forwards
//! approval answers. A running turn is a second task that owns the history
//! while it runs and hands it back when it ends, so the history never has two
//! writers. Interrupt and shutdown reach the turn through its cancellation
//! token.

use crate::config::Config;
use crate::recorder::{Recorder, StoreSource};
use crate::services::{
    EventSender, ModelAccess, ServicesInit, SessionServices, TurnSettings, now_ms,
};
use crate::thread_lock::ThreadLock;
use crate::turn::{TurnInput, TurnResult, Work, run_turn};
use duet_model::ResponseItem;
use duet_protocol::{Event, EventMsg, Op, ThreadStarted, TurnOverrides, Usage};
use duet_store::{NewThread, Store, TurnRecord};
use std::collections::VecDeque;
use std::sync::Arc;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

/// How the front end identifies itself and what it wants from the session.
#[derive(Debug, Clone, Default)]
pub struct SessionOptions {
    /// Sent as the `originator` header; `duet_exec` for `duet exec`.
    pub originator: String,
    /// Which front end started the thread (`exec`, `tui`), as stored.
    pub source: String,
    /// Continue a stored thread instead of starting a new one.
    pub resume: Option<ResumeTarget>,
    /// Show every compaction's hand-off to the front end before it is used
    /// ([`EventMsg::CompactionReview`]; the TUI's `tui.edit_compaction`).
    pub review_compactions: bool,
}

/// Which stored thread to continue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResumeTarget {
    /// An id, a unique id prefix, or a name.
    Thread(String),
    /// The newest thread of the session's working directory.
    Last,
}

#[derive(Debug, thiserror::Error)]
pub enum SessionError {
    #[error("the session has ended")]
    Closed,
    #[error(transparent)]
    Model(#[from] duet_model::ModelError),
    #[error(transparent)]
    Store(#[from] duet_store::StoreError),
    /// A `.rules` file does not load; the message names it, with line and
    /// column, and says what to do.
    #[error(transparent)]
    Rules(#[from] duet_execpolicy::Error),
    #[error(
        "no session matches `{query}`: give a session id, a unique id prefix of 4 or more characters, or a session name (`duet sessions list --all` lists them)"
    )]
    NotFound { query: String },
    #[error(
        "cannot read the Codex sessions directory `{}`: {cause}; give the directory that holds the `rollout-*.jsonl` files: `duet sessions import --from codex DIR`",
        .dir.display()
    )]
    ImportDir {
        dir: std::path::PathBuf,
        cause: std::io::Error,
    },
    #[error("no session to resume in `{}`: start one with `duet exec \"…\"`, or resume a session of another directory by its id", .cwd.display())]
    NoSessionInCwd { cwd: std::path::PathBuf },
    #[error(
        "cannot resume with `--ephemeral`: an ephemeral session reads and writes no saved sessions"
    )]
    EphemeralResume,
    #[error(transparent)]
    Locked(#[from] crate::thread_lock::ThreadLockError),
    #[error(
        "the saved history of session `{thread_id}` is damaged (item {index}: {reason}); start a new session"
    )]
    DamagedHistory {
        thread_id: String,
        index: usize,
        reason: String,
    },
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

/// What a front end drives a session through: [`SessionHandle`], or a
/// test's scripted stand-in.
pub trait SessionIo {
    fn submit(&self, op: Op) -> Result<(), SessionError>;
    fn next_event(&mut self) -> impl Future<Output = Option<Event>>;
}

impl SessionIo for SessionHandle {
    fn submit(&self, op: Op) -> Result<(), SessionError> {
        SessionHandle::submit(self, op)
    }

    fn next_event(&mut self) -> impl Future<Output = Option<Event>> {
        SessionHandle::next_event(self)
    }
}

/// Ask `session` to finish and wait until it has (`ShutdownComplete`, or
/// its events end), at most `grace`; every event it sends meanwhile goes
/// to `seen` (a save that failed while it finished writing arrives as a
/// warning the user must hear).
pub async fn shutdown(
    session: &mut impl SessionIo,
    grace: std::time::Duration,
    mut seen: impl FnMut(&Event),
) {
    if session.submit(Op::Shutdown).is_err() {
        return;
    }
    let wait = async {
        while let Some(event) = session.next_event().await {
            if event.msg == EventMsg::ShutdownComplete {
                break;
            }
            seen(&event);
        }
    };
    let _ = tokio::time::timeout(grace, wait).await;
}

/// Start a session on the current tokio runtime. The first event is always
/// `ThreadStarted`. Fails if the model client cannot be built (for example
/// the provider's API key variable is unset).
pub fn spawn_session(
    config: Config,
    options: SessionOptions,
) -> Result<SessionHandle, SessionError> {
    // Before anything else: a broken rules file must stop the session
    // before any request is sent.
    let exec_policy = crate::rules::load(&config)?;
    let env = |name: &str| std::env::var(name).ok();
    let originator = if options.originator.is_empty() {
        "duet".to_string()
    } else {
        options.originator
    };
    let model = ModelAccess::new(&config, &originator, &env)?;
    let store_path = config.duet_home.join(crate::recorder::STORE_FILE_NAME);
    let resumed = match (&options.resume, config.ephemeral) {
        (None, _) => None,
        (Some(_), true) => return Err(SessionError::EphemeralResume),
        (Some(target), false) => Some(load_thread(
            &store_path,
            &config.duet_home,
            target,
            &config.cwd,
        )?),
    };
    let thread_id = match &resumed {
        Some(resumed) => resumed.thread_id.clone(),
        None => uuid::Uuid::now_v7().to_string(),
    };
    // One process at a time per saved thread (a resumed one is locked
    // before its history is read).
    let lock = match &resumed {
        _ if config.ephemeral => None,
        Some(_) => None,
        None => Some(ThreadLock::acquire(&config.duet_home, &thread_id)?),
    };

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
            writable_roots: crate::services::writable_roots(&config.sandbox_policy()),
            reasoning_effort: config.model_reasoning_effort,
            reasoning_summary: config.model_reasoning_summary,
        }),
    );
    if let Some(message) = saved_keys_exposed(&config) {
        events.send(None, EventMsg::Warning { message });
    }
    let mut resumed = resumed;
    let resumed_lock = resumed.as_mut().and_then(|resumed| resumed.lock.take());
    let cost = resumed
        .as_ref()
        .map(|resumed| resumed.cost)
        .unwrap_or_default();
    let (recorder, saved) = match resumed {
        _ if config.ephemeral => (Recorder::ephemeral(), SavedThread::default()),
        Some(mut resumed) => {
            // Resumed elsewhere: the model hears the new directory before
            // the next prompt (saved with that turn, like any new item).
            if let Some(moved) = crate::context::moved_context(
                &config,
                &crate::services::default_shell(),
                &resumed.history,
            ) {
                resumed.history.push(moved);
            }
            (
                Recorder::start(
                    StoreSource::Open(resumed.store),
                    thread_id.clone(),
                    None,
                    warner(&events),
                ),
                SavedThread {
                    saved: resumed.stored_items,
                    history: resumed.history,
                    usage: resumed.usage,
                    turns: resumed.turns,
                },
            )
        }
        None => (
            Recorder::start(
                StoreSource::Path(store_path),
                thread_id.clone(),
                Some(new_thread_record(&config, &thread_id, &options.source)),
                warner(&events),
            ),
            SavedThread::default(),
        ),
    };
    // Completed items reach the transcript in the store as they are shown.
    let events = events.with_recorder(recorder.clone());
    // Servers start now, in the background; no request waits for them
    // but those of a `required` one.
    let mcp = crate::mcp::manager::McpManager::start(
        &config.mcp_servers,
        crate::mcp::StartContext::new(&config),
        events.clone(),
    );
    let services = SessionServices::new(
        &config,
        ServicesInit {
            thread_id: thread_id.clone(),
            originator,
            events,
            exec_policy,
            recorder,
            mcp,
            review_compactions: options.review_compactions,
            cost,
        },
    );
    let lock = lock.or(resumed_lock);
    log::info!(
        "session {thread_id}: {}, store {}",
        if options.resume.is_some() {
            "resumed"
        } else {
            "new"
        },
        if config.ephemeral {
            "off (--ephemeral)"
        } else {
            "on"
        }
    );
    tokio::spawn(run_session(
        Arc::new(services),
        TurnSettings::new(config, model),
        saved,
        op_rx,
        lock,
    ));
    Ok(SessionHandle {
        thread_id,
        ops: op_tx,
        events: event_rx,
    })
}

/// Why the keys `duet login` saved (or the tokens `duet mcp login` saved)
/// can be read by confined commands, when they can: they lie inside a
/// writable root and Landlock is the backend (it grants reads by listing
/// what is beside them, which cannot be done inside a root; bubblewrap
/// hides them anywhere).
fn saved_keys_exposed(config: &Config) -> Option<String> {
    let saved = [
        (
            crate::auth::AUTH_FILE,
            "the API keys `duet login` saved",
            "give the key in an environment variable instead and `duet logout`",
        ),
        (
            crate::mcp::oauth::CREDENTIALS_FILE,
            "the MCP tokens `duet mcp login` saved",
            "`duet mcp logout` and give the servers tokens through `bearer_token_env_var`",
        ),
    ];
    let (keys, what, instead) = saved.into_iter().find_map(|(file, what, instead)| {
        let keys = config.duet_home.join(file).canonicalize().ok()?;
        Some((keys, what, instead))
    })?;
    let policy = config.sandbox_policy();
    let root = crate::services::writable_roots(&policy)
        .into_iter()
        .find(|root| keys.starts_with(root))?;
    let backend = config.sandbox().backend().ok()??;
    (backend == duet_sandbox::Backend::Landlock).then(|| {
        format!(
            "{what} ({}) are inside the writable folder {}, where the Landlock sandbox cannot hide them from commands (bubblewrap can): {instead}, or work in a folder that does not hold {}",
            keys.display(),
            root.display(),
            config.duet_home.display()
        )
    })
}

/// `config` moved to provider `id` (and `model`, else the provider's
/// default model, else the model in use), with its client; or why not (an
/// unknown provider, no key for it), for an error event.
fn switch_provider(
    services: &SessionServices,
    config: &Config,
    id: &str,
    model: Option<&str>,
) -> Result<(Config, ModelAccess), String> {
    let Some(provider) = config.providers.get(id) else {
        let known: Vec<String> = config
            .providers
            .keys()
            .map(|id| format!("`{id}`"))
            .collect();
        return Err(format!(
            "cannot switch to provider `{id}`: it is not defined (known: {}); add `[model_providers.{id}]` to the config",
            known.join(", ")
        ));
    };
    let mut switched = config.clone();
    switched.model_provider = provider.clone();
    switched.model = model
        .map(str::to_string)
        .or_else(|| crate::config::default_model(id).map(str::to_string))
        .unwrap_or_else(|| config.model.clone());
    let env = |name: &str| std::env::var(name).ok();
    let access = ModelAccess::new(&switched, &services.originator, &env)
        .map_err(|error| format!("cannot switch to provider `{id}`: {error}"))?;
    if let Some(missing) = &access.missing_key {
        return Err(format!("cannot switch to provider `{id}`: {missing}"));
    }
    log::info!("switched to provider `{id}`, model `{}`", switched.model);
    Ok((switched, access))
}

/// A stored thread read back for resuming.
struct ResumedThread {
    store: Store,
    thread_id: String,
    history: Vec<ResponseItem>,
    /// How many of `history`'s items are stored (the rest were added on
    /// loading, to answer calls a killed process left open).
    stored_items: usize,
    usage: Usage,
    /// What its requests cost, from the ledger.
    cost: crate::services::ThreadCost,
    /// Each stored turn with the index of its first history item.
    turns: Vec<(String, usize)>,
    /// This process's hold on the thread, for the session's life.
    lock: Option<ThreadLock>,
}

/// What the session starts from: the saved history (empty for a new thread).
#[derive(Default)]
struct SavedThread {
    history: Vec<ResponseItem>,
    saved: usize,
    usage: Usage,
    turns: Vec<(String, usize)>,
}

fn load_thread(
    store_path: &std::path::Path,
    duet_home: &std::path::Path,
    target: &ResumeTarget,
    cwd: &std::path::Path,
) -> Result<ResumedThread, SessionError> {
    let store = Store::open(store_path)?;
    let record = match target {
        ResumeTarget::Thread(query) => crate::sessions::find_thread(&store, query)?,
        ResumeTarget::Last => {
            store
                .last_thread(cwd)?
                .ok_or_else(|| SessionError::NoSessionInCwd {
                    cwd: cwd.to_path_buf(),
                })?
        }
    };
    let lock = ThreadLock::acquire(duet_home, &record.id)?;
    // Kept as the stored text (what follows the last compaction), with
    // outputs for calls a killed process left open.
    let history = crate::stored_history::load(&store, &record.id)?;
    // Known only if every request has a price and the ledger covers all
    // the thread's tokens (threads from before the ledger do not).
    let total = store.thread_total(&record.id)?;
    let cost = crate::services::ThreadCost {
        pico: total.cost_pico,
        unknown: total.unpriced > 0 || total.tokens.input_tokens < record.usage.input_tokens,
    };
    Ok(ResumedThread {
        cost,
        lock: Some(lock),
        stored_items: history.stored,
        turns: history.turns,
        thread_id: record.id.clone(),
        usage: crate::recorder::usage_from_totals(&record.usage),
        history: history.items,
        store,
    })
}

fn new_thread_record(config: &Config, thread_id: &str, source: &str) -> NewThread {
    let git = crate::git_info::read(&config.cwd);
    NewThread {
        id: thread_id.to_string(),
        created_at_ms: now_ms(),
        cwd: config.cwd.clone(),
        model: config.model.clone(),
        provider: config.model_provider.id.clone(),
        sandbox_mode: config.sandbox_mode.as_str().to_string(),
        approval_policy: config.approval_policy.as_str().to_string(),
        git_branch: git.branch,
        git_commit: git.commit,
        git_origin: git.origin,
        source: if source.is_empty() {
            "exec".to_string()
        } else {
            source.to_string()
        },
    }
}

/// Warnings of the recorder (a store that cannot be written) as events.
fn warner(events: &EventSender) -> impl Fn(String) + Send + Clone + 'static {
    let events = events.clone();
    move |message| {
        log::warn!("{message}");
        events.send(None, EventMsg::Warning { message })
    }
}

struct RunningTurn {
    turn_id: String,
    started_at_ms: i64,
    cancel: CancellationToken,
    task: JoinHandle<TurnResult>,
}

/// `_lock` is the session's hold on its saved thread, released when the
/// session ends.
async fn run_session(
    services: Arc<SessionServices>,
    mut settings: TurnSettings,
    saved: SavedThread,
    mut ops: mpsc::UnboundedReceiver<Op>,
    _lock: Option<ThreadLock>,
) {
    // How full the context is, estimated for a resumed thread (no
    // response has said yet), shown before the first prompt.
    let context_tokens = crate::compact::estimated_tokens(&saved.history);
    services.events.send(
        None,
        EventMsg::TokenCount(duet_protocol::TokenCount {
            last: duet_protocol::Usage::default(),
            total: saved.usage,
            context_tokens,
            context_window: settings
                .config
                .context_window()
                .unwrap_or(crate::turn::UNKNOWN_WINDOW),
            cost_usd: services.thread_cost().usd(),
        }),
    );
    let mut state = SessionState {
        persisted: saved.saved,
        history: Some(saved.history),
        usage: saved.usage,
        turns: saved.turns,
        context_tokens,
        prelude: Vec::new(),
    };
    let mut queued: VecDeque<Queued> = VecDeque::new();
    // Settings changes wait for the running turn to end.
    let mut overrides: Option<TurnOverrides> = None;
    let mut running: Option<RunningTurn> = None;
    let mut turn_number: u64 = 0;

    loop {
        if running.is_none()
            && let Some(changes) = overrides.take()
        {
            state.apply_overrides(&services, &mut settings, changes);
        }
        // Start the next queued turn when idle; rollbacks queued behind a
        // turn apply in order, before whatever was queued after them.
        while running.is_none()
            && let Some(next) = queued.pop_front()
        {
            let next = match next {
                Queued::Rollback(num_turns) => {
                    state.rollback(&services, num_turns);
                    continue;
                }
                work => work,
            };
            turn_number += 1;
            let cancel = CancellationToken::new();
            let turn_id = format!("{}-{turn_number}", uuid::Uuid::now_v7());
            let history = state.history.take().unwrap_or_default();
            state.turns.push((turn_id.clone(), history.len()));
            let Queued::Work(work) = next else {
                unreachable!("rollbacks are applied above")
            };
            // A user's shell command sends no request: the permissions
            // note waits for the next one that does.
            let prelude = match work {
                Work::Shell(_) => Vec::new(),
                _ => std::mem::take(&mut state.prelude),
            };
            let input = TurnInput {
                turn_id: turn_id.clone(),
                work,
                history,
                prelude,
                context_tokens: state.context_tokens,
                saved: state.persisted,
                usage: state.usage,
            };
            let task = tokio::spawn(run_turn(
                Arc::clone(&services),
                settings.clone(),
                input,
                cancel.clone(),
            ));
            running = Some(RunningTurn {
                turn_id,
                started_at_ms: now_ms(),
                cancel,
                task,
            });
        }

        tokio::select! {
            op = ops.recv() => match op {
                Some(Op::UserTurn(user_turn)) => {
                    queued.push_back(Queued::Work(Work::User(user_turn)));
                }
                Some(Op::Compact) => {
                    queued.push_back(Queued::Work(Work::Compact { review: false }));
                }
                Some(Op::CompactAndReview) => {
                    queued.push_back(Queued::Work(Work::Compact { review: true }));
                }
                Some(Op::CompactionReviewed { summary }) => services.answer_review(summary),
                Some(Op::OverrideTurnContext(changes)) => {
                    overrides = Some(overrides.take().unwrap_or_default().merged(changes));
                }
                Some(Op::RunUserShellCommand { command }) => {
                    queued.push_back(Queued::Work(Work::Shell(command)));
                }
                // Applied once the running and queued turns are over (a front
                // end sees `TurnCompleted` before the session has the
                // history back, so "idle" here can lag by a moment).
                Some(Op::Rollback { num_turns }) => queued.push_back(Queued::Rollback(num_turns)),
                Some(Op::ListModels) => {
                    // The model a pending `/model` chose, if any.
                    let mut config = (*settings.config).clone();
                    if let Some(model) = overrides.as_ref().and_then(|changes| changes.model.clone()) {
                        config.model = model;
                    }
                    let events = services.events.clone();
                    tokio::spawn(async move {
                        let list = crate::models::list_models(&config, &|name| std::env::var(name).ok()).await;
                        events.send(None, EventMsg::ModelList(list));
                    });
                }
                Some(Op::Interrupt) => {
                    if let Some(turn) = &running {
                        turn.cancel.cancel();
                    }
                }
                Some(Op::ListMcpServers) => {
                    services.events.send(None, EventMsg::McpServers { servers: services.mcp.statuses() });
                }
                Some(Op::ExecApproval { call_id, decision })
                | Some(Op::PatchApproval { call_id, decision })
                | Some(Op::McpApproval { call_id, decision }) => {
                    services.answer_approval(&call_id, decision);
                }
                op @ (Some(Op::Shutdown) | None) => {
                    if let Some(mut turn) = running.take() {
                        turn.cancel.cancel();
                        let result = (&mut turn.task).await;
                        state.turn_ended(&services, &turn, result);
                    }
                    services.processes.kill_all().await;
                    services.mcp.stop_all().await;
                    services.recorder.flush().await;
                    if op.is_some() {
                        services.events.send(None, EventMsg::ShutdownComplete);
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
                if let Some(turn) = running.take() {
                    state.turn_ended(&services, &turn, result);
                }
            }
        }
    }
}

/// Work waiting for the running turn to end.
enum Queued {
    /// A user turn, a compaction or a user's shell command.
    Work(Work),
    Rollback(u32),
}

/// The session's own state between turns.
struct SessionState {
    /// Every turn of the thread that is in the history (user turns and
    /// user shell commands alike), oldest first, with the history's length
    /// just before it: where to cut to roll it back.
    turns: Vec<(String, usize)>,
    /// `None` while a turn owns it.
    history: Option<Vec<ResponseItem>>,
    /// Thread-cumulative usage.
    usage: Usage,
    /// How many history items are already saved.
    persisted: usize,
    /// Input plus output tokens of the last response.
    context_tokens: u64,
    /// Items for the next turn to add before its prompt.
    prelude: Vec<ResponseItem>,
}

impl SessionState {
    /// `Op::Rollback`: cut the history to just before the `num_turns`-th
    /// turn from the end, here and in the store.
    fn rollback(&mut self, context: &SessionServices, num_turns: u32) {
        let count = usize::try_from(num_turns).unwrap_or(usize::MAX);
        let problem = if count == 0 || count > self.turns.len() {
            Some(format!(
                "cannot rewind {num_turns} turns: the session has {}; pick one of its prompts",
                self.turns.len()
            ))
        } else {
            None
        };
        if let Some(message) = problem {
            context.events.send(None, EventMsg::Error { message });
            return;
        }
        let cut = self.turns.len() - count;
        let (from_turn_id, history_len) = self.turns[cut].clone();
        self.turns.truncate(cut);
        if let Some(history) = self.history.as_mut() {
            history.truncate(history_len);
        }
        self.persisted = self.persisted.min(history_len);
        context.recorder.rewind(&from_turn_id);
        context
            .events
            .send(None, EventMsg::ThreadRolledBack { num_turns });
    }

    /// Take back the history from a finished turn (whose items the turn
    /// has already saved) and record how it ended.
    fn turn_ended(
        &mut self,
        context: &SessionServices,
        running: &RunningTurn,
        result: Result<TurnResult, tokio::task::JoinError>,
    ) {
        match result {
            Ok(turn) => {
                self.persisted = turn.history.len();
                context.recorder.turn_ended(turn.record, &turn.usage);
                self.history = Some(turn.history);
                self.usage = turn.usage;
                self.context_tokens = turn.context_tokens;
                if turn.compacted {
                    self.turns.clear();
                }
            }
            Err(join_error) => {
                // A panic in a turn must not take the session down silently;
                // the history it held is lost, so the thread starts over.
                let message = format!("internal error: the turn task failed: {join_error}");
                context.events.send(
                    None,
                    EventMsg::Error {
                        message: message.clone(),
                    },
                );
                context.recorder.turn_ended(
                    TurnRecord {
                        thread_id: context.thread_id.clone(),
                        turn_id: running.turn_id.clone(),
                        status: duet_store::TurnStatus::Failed,
                        error: Some(message.clone()),
                        started_at_ms: running.started_at_ms,
                        ended_at_ms: Some(now_ms()),
                        usage: duet_store::UsageTotals::default(),
                    },
                    &self.usage,
                );
                context.events.send(
                    None,
                    EventMsg::TurnFailed {
                        error: duet_protocol::ErrorInfo { message },
                    },
                );
                self.history = Some(Vec::new());
                self.persisted = 0;
                self.turns.clear();
            }
        }
    }
}

impl SessionState {
    /// Change the settings of later turns (a running turn keeps its own
    /// copy). A change of permissions is told to the model before the next
    /// prompt.
    fn apply_overrides(
        &mut self,
        services: &SessionServices,
        settings: &mut TurnSettings,
        changes: TurnOverrides,
    ) {
        let config = &settings.config;
        let permissions_before = (config.sandbox_mode, config.approval_policy);
        let mut model = changes.model.clone();
        if let Some(id) = changes
            .provider
            .as_ref()
            .filter(|id| **id != config.model_provider.id)
        {
            match switch_provider(services, config, id, model.as_deref()) {
                Ok((switched, access)) => {
                    model = Some(switched.model.clone());
                    settings.model = access;
                    settings.update(|config| *config = switched);
                }
                Err(message) => {
                    // The provider stays; so does the model meant for the other one.
                    model = None;
                    services.events.send(None, EventMsg::Error { message });
                }
            }
        }
        settings.update(|config| {
            config.model_reasoning_effort = changes.effort_after(config.model_reasoning_effort);
            if let Some(model) = model {
                config.model = model;
            }
            if let Some(sandbox) = changes.sandbox {
                config.sandbox_mode = sandbox;
            }
            if let Some(approval) = changes.approval {
                config.approval_policy = approval;
            }
        });
        let config = &settings.config;
        if (config.sandbox_mode, config.approval_policy) != permissions_before
            && config.include_permissions_instructions
        {
            self.prelude.retain(
                |item| !matches!(item, ResponseItem::Message { role, .. } if role == "developer"),
            );
            self.prelude.push(ResponseItem::developer_text(
                crate::instructions::permissions_instructions(config),
            ));
        }
    }
}
