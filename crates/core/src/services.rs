//! What a turn runs with, split by lifetime: [`SessionServices`] live as
//! long as the session and are shared by every turn (the model client, the
//! event channel, the process table, the recorder, approvals and rules);
//! [`TurnSettings`] are a plain value the session clones into each turn
//! when it starts (the config with `Op::OverrideTurnContext` applied, and
//! the [`Sandbox`] commands run in). A change of settings between turns
//! changes the session's copy only, so a running turn keeps the settings it
//! started with by construction.
//!
//! This is the bottom floor of the session's modules: it imports none of
//! `session`, `turn` or `tools`, which all import it.

use crate::config::Config;
use crate::process::ProcessManager;
use crate::recorder::Recorder;
use duet_model::ModelClient;
use duet_protocol::{Event, EventMsg, ReviewDecision};
use duet_sandbox::Sandbox;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, RwLock};
use tokio::sync::{OnceCell, mpsc, oneshot};

/// What every turn of a session shares, for the session's life.
pub(crate) struct SessionServices {
    pub thread_id: String,
    /// The `originator` header of every model client the session makes.
    pub originator: String,
    pub events: EventSender,
    pub processes: ProcessManager,
    pub pending_approvals: PendingApprovals,
    /// The compaction waiting for the front end's [`Op::CompactionReviewed`].
    pub pending_review: Mutex<Option<oneshot::Sender<String>>>,
    /// Every compaction waits for the front end's review.
    pub review_compactions: bool,
    /// What the thread's requests have cost (the cost ledger's sum).
    pub cost: Mutex<ThreadCost>,
    /// The shell commands run in.
    pub shell: PathBuf,
    /// The environment of children before the login profile is applied,
    /// already filtered by `shell_environment_policy`.
    pub plain_env: Arc<HashMap<String, String>>,
    /// Applied to the login environment when it is captured.
    shell_environment_policy: duet_sandbox::ShellEnvironmentPolicy,
    /// The login shell's environment, captured once on the first command.
    login_env: OnceCell<Option<Arc<HashMap<String, String>>>>,
    /// The `.rules` loaded at session start, plus the rules saved by
    /// "always allow" answers since.
    pub exec_policy: RwLock<duet_execpolicy::Policy>,
    /// Commands the user approved for the rest of the session.
    pub approved_for_session: Mutex<HashSet<String>>,
    /// Still-running `exec_command` sessions and the items that show them.
    pub running_commands: Mutex<HashMap<i32, RunningCommand>>,
    /// Where history and transcript go as they complete.
    pub recorder: Recorder,
    /// The MCP servers, starting in the background from the session's start.
    pub mcp: crate::mcp::manager::McpManager,
    /// The directory of `apply_patch` links put first on children's `PATH`.
    helper_bin: Option<PathBuf>,
    /// Context windows a local server reported, by model (`None`: it did
    /// not say, and the user was told).
    detected_windows: tokio::sync::Mutex<HashMap<String, Option<u64>>>,
}

/// How long a local server may take to say what its model's window is.
const DETECT_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(3);

/// What the session starts its services from.
pub(crate) struct ServicesInit {
    pub thread_id: String,
    pub originator: String,
    pub events: EventSender,
    pub exec_policy: duet_execpolicy::Policy,
    pub recorder: Recorder,
    pub mcp: crate::mcp::manager::McpManager,
    pub review_compactions: bool,
    /// A resumed thread's cost so far.
    pub cost: ThreadCost,
}

/// What a thread's requests have cost: a sum of picodollars, unknown once
/// one request had no price (never a guess).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ThreadCost {
    pub pico: i64,
    pub unknown: bool,
}

impl ThreadCost {
    /// Add one request's cost (`None`: it had no price).
    pub(crate) fn add(&mut self, cost: Option<i64>) {
        match cost {
            Some(pico) => self.pico = self.pico.saturating_add(pico),
            None => self.unknown = true,
        }
    }

    pub(crate) fn usd(&self) -> Option<f64> {
        (!self.unknown).then(|| duet_store::pico_to_usd(self.pico))
    }
}

impl SessionServices {
    pub(crate) fn new(config: &Config, init: ServicesInit) -> Self {
        // Without the links, `apply_patch` typed in a shell is simply not
        // found; the `apply_patch` tool itself does not need them.
        let helper_bin = crate::helper_bin::ensure_links(&config.duet_home).ok();
        let mut plain_env = config.shell_environment_policy.apply(std::env::vars());
        if let Some(dir) = &helper_bin {
            crate::helper_bin::prepend_to_path(&mut plain_env, dir);
        }
        SessionServices {
            thread_id: init.thread_id,
            originator: init.originator,
            events: init.events,
            processes: ProcessManager::new(),
            pending_approvals: Arc::default(),
            pending_review: Mutex::default(),
            review_compactions: init.review_compactions,
            cost: Mutex::new(init.cost),
            shell: default_shell(),
            plain_env: Arc::new(plain_env),
            shell_environment_policy: config.shell_environment_policy.clone(),
            login_env: OnceCell::new(),
            exec_policy: RwLock::new(init.exec_policy),
            approved_for_session: Mutex::default(),
            running_commands: Mutex::default(),
            recorder: init.recorder,
            mcp: init.mcp,
            helper_bin,
            detected_windows: tokio::sync::Mutex::default(),
        }
    }

    /// The model's context window: configured or from the catalogue, else,
    /// for a server on this machine, what it reports (asked once per model
    /// and session). When no one knows, the user is told once how to set it.
    pub(crate) async fn context_window(
        &self,
        settings: &TurnSettings,
        turn_id: &str,
    ) -> Option<u64> {
        let config = &settings.config;
        if let Some(window) = config.context_window() {
            return Some(window);
        }
        let provider = &config.model_provider;
        if !provider.is_local() || provider.id == "openai" {
            return None;
        }
        let mut detected = self.detected_windows.lock().await;
        if let Some(window) = detected.get(&config.model) {
            return *window;
        }
        let found = settings
            .model
            .client
            .detect_context_window(&config.model, DETECT_TIMEOUT)
            .await;
        match found {
            Some((window, server)) => {
                log::info!(
                    "{server} at {} reports a context window of {window} tokens for `{}`",
                    provider.base_url,
                    config.model
                );
            }
            None => self.events.send(
                Some(turn_id),
                EventMsg::Warning {
                    message: format!(
                        "the server at {} did not say how long `{}`'s context window is; set `model_context_window` in the config so the context meter and compaction can use it",
                        provider.base_url, config.model
                    ),
                },
            ),
        }
        let window = found.map(|(window, _)| window);
        detected.insert(config.model.clone(), window);
        window
    }

    /// The login environment, captured on first use and filtered by
    /// `shell_environment_policy`. `None` if the login shell failed (the user
    /// is told once).
    pub(crate) async fn login_env(&self, turn_id: &str) -> Option<Arc<HashMap<String, String>>> {
        self.login_env
            .get_or_init(|| async {
                let base: HashMap<String, String> = std::env::vars().collect();
                match crate::process::capture_login_env(&self.shell, &base).await {
                    Ok(captured) => {
                        let mut env = self.shell_environment_policy.apply(captured);
                        if let Some(dir) = &self.helper_bin {
                            crate::helper_bin::prepend_to_path(&mut env, dir);
                        }
                        Some(Arc::new(env))
                    }
                    Err(error) => {
                        self.events.send(
                            Some(turn_id),
                            EventMsg::Warning {
                                message: format!(
                                    "could not read the login environment of `{}` ({error}); \
                                     commands run with duet's own environment",
                                    self.shell.display()
                                ),
                            },
                        );
                        None
                    }
                }
            })
            .await
            .clone()
    }

    /// Add one request's cost to the thread's.
    pub(crate) fn add_cost(&self, cost: Option<i64>) {
        self.cost
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .add(cost);
    }

    /// What the thread's requests have cost so far.
    pub(crate) fn thread_cost(&self) -> ThreadCost {
        *self
            .cost
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Hand the front end's reviewed hand-off to the compaction waiting
    /// for it (none waiting: it is dropped).
    pub(crate) fn answer_review(&self, summary: String) {
        let sender = self
            .pending_review
            .lock()
            .ok()
            .and_then(|mut pending| pending.take());
        if let Some(sender) = sender {
            let _ = sender.send(summary);
        }
    }

    /// Hand the front end's answer to the request waiting for it.
    pub(crate) fn answer_approval(&self, call_id: &str, decision: ReviewDecision) {
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

/// The settings a turn runs with, fixed when it starts.
#[derive(Clone)]
pub(crate) struct TurnSettings {
    /// The session's config with the overrides received so far applied.
    pub config: Arc<Config>,
    /// `config`'s sandbox: the one value every command is started with.
    pub sandbox: Sandbox,
    /// The client of `config`'s provider (a change of provider makes another).
    pub model: ModelAccess,
}

/// How a turn reaches its provider.
#[derive(Clone)]
pub(crate) struct ModelAccess {
    pub client: ModelClient,
    /// Why no request can be sent (the provider's key is missing); every
    /// turn fails with it.
    pub missing_key: Option<String>,
}

impl ModelAccess {
    /// The client for `config`'s provider, its key found the one way
    /// (`auth::resolve_key`). A missing key is kept as the message each
    /// turn fails with (with `error` and `turn.failed` events, as the
    /// reference does) rather than an error here, so JSONL consumers see
    /// why.
    pub(crate) fn new(
        config: &Config,
        originator: &str,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<ModelAccess, duet_model::ModelError> {
        let (api_key, key_from, missing_key) = match crate::auth::resolve_key(config, env) {
            Ok(resolved) => (resolved.key, resolved.source.describe(), None),
            Err(message) => (None, None, Some(message)),
        };
        let mut client =
            ModelClient::new(config.model_provider.clone(), api_key)?.with_originator(originator);
        if let Some(key_from) = key_from {
            client = client.with_key_from(key_from);
        }
        Ok(ModelAccess {
            client,
            missing_key,
        })
    }
}

impl TurnSettings {
    pub(crate) fn new(config: Config, model: ModelAccess) -> Self {
        TurnSettings {
            sandbox: config.sandbox(),
            config: Arc::new(config),
            model,
        }
    }

    /// Change the config for later turns (turns already running keep their
    /// copy) and derive the sandbox from it again.
    pub(crate) fn update(&mut self, change: impl FnOnce(&mut Config)) {
        change(Arc::make_mut(&mut self.config));
        self.sandbox = self.config.sandbox();
    }
}

/// An `exec_command` still running after its call returned, and the item
/// that shows it.
#[derive(Debug, Clone)]
pub(crate) struct RunningCommand {
    pub item_id: String,
    pub command: String,
}

/// What a tool call runs with: the session's services and the settings of
/// the turn it belongs to.
#[derive(Clone, Copy)]
pub(crate) struct ToolContext<'a> {
    pub services: &'a SessionServices,
    pub settings: &'a TurnSettings,
}

/// Why a turn stopped early.
pub(crate) enum TurnError {
    Cancelled,
    /// The turn cannot go on; the message is for the user.
    Fatal(String),
    /// A budget limit is reached: the turn ends cleanly before its next
    /// request; the message says which limit and how far it got.
    Stopped(duet_protocol::BudgetLimit, String),
}

/// Events out of the session, with the id counter for items.
#[derive(Clone)]
pub(crate) struct EventSender {
    tx: mpsc::UnboundedSender<Event>,
    next_item: Arc<std::sync::atomic::AtomicU64>,
    /// Where completed items are saved for the transcript.
    recorder: Recorder,
}

impl EventSender {
    pub(crate) fn new(tx: mpsc::UnboundedSender<Event>) -> Self {
        EventSender {
            tx,
            next_item: Arc::new(std::sync::atomic::AtomicU64::new(0)),
            recorder: Recorder::ephemeral(),
        }
    }

    /// The same sender, also saving every completed item of a turn.
    pub(crate) fn with_recorder(self, recorder: Recorder) -> Self {
        EventSender { recorder, ..self }
    }

    pub(crate) fn send(&self, turn_id: Option<&str>, msg: EventMsg) {
        if let (Some(turn_id), EventMsg::ItemCompleted { item }) = (turn_id, &msg) {
            self.recorder.display(turn_id, item);
        }
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

pub(crate) fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|elapsed| elapsed.as_millis() as i64)
        .unwrap_or_default()
}

/// The directories a command may write under `policy` (canonical, existing
/// ones only, as the sandbox backends bind them): for display and for patch
/// checks.
pub(crate) fn writable_roots(policy: &duet_sandbox::SandboxPolicy) -> Vec<PathBuf> {
    let tmpdir = std::env::var_os("TMPDIR").map(PathBuf::from);
    policy
        .resolved_writable_roots(tmpdir.as_deref())
        .into_iter()
        .map(|root| root.path)
        .collect()
}

/// Commands run in bash when it is there, else in `sh`.
pub(crate) fn default_shell() -> PathBuf {
    let bash = PathBuf::from("/bin/bash");
    if bash.exists() {
        bash
    } else {
        PathBuf::from("/bin/sh")
    }
}
