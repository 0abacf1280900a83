//! `duet mcp-server`: duet as an MCP server on stdio, so that another agent
//! or an editor can hand it a task.
//!
//! Two tools, as the reference's `codex mcp-server` had:
//! - `duet` starts a thread: `prompt`, and optionally `cwd`, `model`,
//!   `profile`, `sandbox`, `approval-policy` and `config` (an object of
//!   config keys);
//! - `duet-reply` continues one: `threadId` (or the older
//!   `conversationId`) and `prompt`.
//!
//! Each answers `{threadId, content}` (the final message), as structured
//! content and as text. While a turn runs its events go to the client as
//! `notifications/message` (logger `duet`, the event as data) and, when
//! the call carries a progress token, as `notifications/progress`. An
//! approval becomes an elicitation when the client supports elicitation;
//! otherwise it is declined and the model is told. The threads are
//! ordinary saved sessions: `duet resume` and `duet sessions` see them.
//!
//! This is a front end: it talks to core only through `spawn_session`,
//! `Op`s and `Event`s. How a call's settings become a configuration is the
//! command line's business ([`Resolve`]).

use duet_core::config::Config;
use duet_core::{ResumeTarget, SessionHandle, SessionOptions, spawn_session};
use duet_protocol::{EventMsg, ItemDetails, Op, ReviewDecision, UserInput, UserTurn};
use rmcp::handler::server::ServerHandler;
use rmcp::model::{
    CallToolRequestParams, CallToolResponse, CallToolResult, ContentBlock, ElicitRequestParams,
    ElicitationAction, ElicitationSchema, Implementation, ListToolsResult, PaginatedRequestParams,
    ProgressNotificationParam, ProgressToken, ServerCapabilities, ServerConfig, Tool,
};
use rmcp::service::{Peer, RequestContext, RoleServer};
use rmcp::{ErrorData, ServiceExt};
use serde_json::{Value, json};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Mutex;

/// How long the threads get to finish saving when the client goes away.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(5);

/// The settings a `duet` call asks for, before they become a
/// configuration.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct CallSettings {
    pub cwd: Option<PathBuf>,
    pub model: Option<String>,
    pub profile: Option<String>,
    /// `read-only`, `workspace-write` or `danger-full-access`.
    pub sandbox: Option<String>,
    /// `untrusted`, `on-failure`, `on-request` or `never`.
    pub approval_policy: Option<String>,
    /// Config keys as `-c key=value` would give them (nested objects as
    /// dotted keys).
    pub overrides: Vec<String>,
}

/// Turns a call's settings into a configuration (with its warnings), or
/// says why it cannot.
pub type Resolve = dyn Fn(&CallSettings) -> Result<(Config, Vec<String>), String> + Send + Sync;

/// Serve MCP on this process's stdin and stdout until the client closes
/// them; then every thread is shut down (its commands stopped, its
/// history saved).
pub async fn serve(resolve: Box<Resolve>) -> Result<(), String> {
    let server = DuetServer {
        resolve: Arc::from(resolve),
        threads: Arc::default(),
    };
    let threads = Arc::clone(&server.threads);
    let running = server
        .serve((tokio::io::stdin(), tokio::io::stdout()))
        .await
        .map_err(|error| format!("the MCP client did not complete the handshake: {error}"))?;
    let _ = running.waiting().await;
    let handles: Vec<Arc<Mutex<SessionHandle>>> = threads
        .lock()
        .await
        .drain()
        .map(|(_, handle)| handle)
        .collect();
    for handle in handles {
        let mut handle = handle.lock().await;
        duet_core::shutdown(&mut *handle, SHUTDOWN_GRACE, |_| {}).await;
    }
    Ok(())
}

#[derive(Clone)]
struct DuetServer {
    resolve: Arc<Resolve>,
    /// The threads started or continued here, by id; a call holds its
    /// thread's lock for its turn, so two calls on one thread take turns.
    threads: Arc<Mutex<HashMap<String, Arc<Mutex<SessionHandle>>>>>,
}

impl ServerHandler for DuetServer {
    #[allow(deprecated)] // logging: see `tell`
    fn get_info(&self) -> ServerConfig {
        let mut info = ServerConfig::default();
        info.capabilities = ServerCapabilities::builder()
            .enable_tools()
            .enable_logging()
            .build();
        info.server_info = Implementation::new("duet", env!("CARGO_PKG_VERSION"));
        info.instructions = Some(
            "Give duet a coding task with the `duet` tool; continue the same thread with `duet-reply` and the `threadId` it answered.".to_string(),
        );
        info
    }

    async fn list_tools(
        &self,
        _request: Option<PaginatedRequestParams>,
        _context: RequestContext<RoleServer>,
    ) -> Result<ListToolsResult, ErrorData> {
        Ok(ListToolsResult::with_all_items(tools()))
    }

    async fn call_tool(
        &self,
        request: CallToolRequestParams,
        context: RequestContext<RoleServer>,
    ) -> Result<CallToolResponse, ErrorData> {
        let arguments = Value::Object(request.arguments.unwrap_or_default());
        let result = match request.name.as_ref() {
            "duet" => self.start_thread(&arguments, &context).await,
            "duet-reply" => self.reply(&arguments, &context).await,
            other => {
                return Err(ErrorData::invalid_params(
                    format!("unknown tool `{other}`: the tools are `duet` and `duet-reply`"),
                    None,
                ));
            }
        };
        Ok(CallToolResponse::Complete(match result {
            Ok(answer) => answer,
            Err(message) => CallToolResult::error(vec![ContentBlock::text(message)]),
        }))
    }
}

/// The tool definitions.
fn tools() -> Vec<Tool> {
    let object = |value: Value| match value {
        Value::Object(map) => Arc::new(map),
        _ => Arc::new(serde_json::Map::new()),
    };
    let output = object(json!({
        "type": "object",
        "properties": {
            "threadId": {"type": "string", "description": "The thread, for `duet-reply` (and `duet resume`)."},
            "content": {"type": "string", "description": "duet's final message."}
        },
        "required": ["threadId", "content"]
    }));
    let mut start = Tool::new(
        "duet",
        "Run duet, a coding agent, on a task in a repository: it reads and edits files and runs commands there (in its sandbox) until the task is done, then answers. Continue the thread with `duet-reply`.",
        object(json!({
            "type": "object",
            "properties": {
                "prompt": {"type": "string", "description": "The task."},
                "cwd": {"type": "string", "description": "The repository to work in (default: the server's working directory)."},
                "model": {"type": "string", "description": "The model to use."},
                "profile": {"type": "string", "description": "A configuration profile."},
                "sandbox": {"type": "string", "enum": ["read-only", "workspace-write", "danger-full-access"], "description": "What commands may change."},
                "approval-policy": {"type": "string", "enum": ["untrusted", "on-failure", "on-request", "never"], "description": "When duet asks before running a command."},
                "config": {"type": "object", "description": "Config keys to set, as in config.toml (`{\"model_reasoning_effort\": \"high\"}`)."}
            },
            "required": ["prompt"]
        })),
    );
    start.output_schema = Some(Arc::clone(&output));
    let mut reply = Tool::new(
        "duet-reply",
        "Continue a duet thread with another message; it answers as `duet` does.",
        object(json!({
            "type": "object",
            "properties": {
                "threadId": {"type": "string", "description": "The `threadId` a `duet` call answered."},
                "conversationId": {"type": "string", "description": "The older name of `threadId`."},
                "prompt": {"type": "string", "description": "The next message."}
            },
            "required": ["prompt"]
        })),
    );
    reply.output_schema = Some(output);
    vec![start, reply]
}

impl DuetServer {
    async fn start_thread(
        &self,
        arguments: &Value,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, String> {
        let prompt = text_field(arguments, "prompt")?;
        let settings = call_settings(arguments)?;
        let (thread_id, handle) = self.open_thread(&settings, None).await?;
        run_turn(&handle, &thread_id, &prompt, context).await
    }

    /// Start a session with `settings` (continuing `resume`, when given)
    /// and keep it for later calls; its thread id and handle.
    async fn open_thread(
        &self,
        settings: &CallSettings,
        resume: Option<ResumeTarget>,
    ) -> Result<(String, Arc<Mutex<SessionHandle>>), String> {
        let (config, warnings) = (self.resolve)(settings)?;
        for warning in warnings {
            log::warn!("{warning}");
        }
        let handle = spawn_session(
            config,
            SessionOptions {
                originator: "duet_mcp_server".to_string(),
                source: "mcp".to_string(),
                resume,
                review_compactions: false,
            },
        )
        .map_err(|error| error.to_string())?;
        let thread_id = handle.thread_id().to_string();
        let handle = Arc::new(Mutex::new(handle));
        self.threads
            .lock()
            .await
            .insert(thread_id.clone(), Arc::clone(&handle));
        Ok((thread_id, handle))
    }

    async fn reply(
        &self,
        arguments: &Value,
        context: &RequestContext<RoleServer>,
    ) -> Result<CallToolResult, String> {
        let prompt = text_field(arguments, "prompt")?;
        let thread_id = arguments
            .get("threadId")
            .or_else(|| arguments.get("conversationId"))
            .and_then(Value::as_str)
            .ok_or("`threadId` is missing: give the `threadId` a `duet` call answered")?
            .to_string();
        let live = self.threads.lock().await.get(&thread_id).cloned();
        let (thread_id, handle) = match live {
            Some(handle) => (thread_id, handle),
            // A thread of an earlier server (or of the terminal): resumed
            // from the saved sessions, in its own directory.
            None => {
                let (base, _) = (self.resolve)(&CallSettings::default())?;
                let sessions = duet_core::sessions::Sessions::open_home_existing(&base.duet_home)
                    .map_err(|error| error.to_string())?;
                let record = sessions
                    .find(&thread_id)
                    .map_err(|error| error.to_string())?;
                let settings = CallSettings {
                    cwd: Some(record.cwd.clone()),
                    ..CallSettings::default()
                };
                let resume = ResumeTarget::Thread(record.id.clone());
                self.open_thread(&settings, Some(resume)).await?
            }
        };
        run_turn(&handle, &thread_id, &prompt, context).await
    }
}

/// Run one turn of `handle`'s thread and answer with its last message.
async fn run_turn(
    handle: &Mutex<SessionHandle>,
    thread_id: &str,
    prompt: &str,
    context: &RequestContext<RoleServer>,
) -> Result<CallToolResult, String> {
    let mut session = handle.lock().await;
    session
        .submit(Op::UserTurn(UserTurn {
            items: vec![UserInput::Text {
                text: prompt.to_string(),
            }],
            output_schema: None,
        }))
        .map_err(|error| error.to_string())?;
    let progress = context.meta.get_progress_token();
    let peer = context.peer.clone();
    let elicits = peer
        .peer_info()
        .is_some_and(|info| info.capabilities.elicitation.is_some());
    let mut last_message = None;
    let mut step = 0u32;
    loop {
        let event = tokio::select! {
            _ = context.ct.cancelled() => {
                // The client gave up on the call: stop the turn.
                let _ = session.submit(Op::Interrupt);
                return Err("cancelled by the client".to_string());
            }
            event = session.next_event() => event,
        };
        let Some(event) = event else {
            return Err("the session ended before the turn did".to_string());
        };
        tell(&peer, &event.msg, progress.as_ref(), &mut step).await;
        match event.msg {
            EventMsg::ItemCompleted { item } => {
                if let ItemDetails::AgentMessage { text } = item.details {
                    last_message = Some(text);
                }
            }
            EventMsg::ExecApprovalRequest(request) => {
                let question = format!(
                    "duet wants to run `{}` in {}{}. Allow it?",
                    request.command,
                    request.cwd.display(),
                    request
                        .justification
                        .map(|why| format!(" ({why})"))
                        .unwrap_or_default()
                );
                let decision = ask(&peer, elicits, question).await;
                let _ = session.submit(Op::ExecApproval {
                    call_id: request.call_id,
                    decision,
                });
            }
            EventMsg::PatchApprovalRequest(request) => {
                let files: Vec<&str> = request
                    .changes
                    .iter()
                    .map(|change| change.path.as_str())
                    .collect();
                let question = format!("duet wants to edit {}. Allow it?", files.join(", "));
                let decision = ask(&peer, elicits, question).await;
                let _ = session.submit(Op::PatchApproval {
                    call_id: request.call_id,
                    decision,
                });
            }
            EventMsg::McpApprovalRequest(request) => {
                let question = format!(
                    "duet wants to call the tool `{}` of the MCP server `{}` with {}. Allow it?",
                    request.tool, request.server, request.arguments
                );
                let decision = ask(&peer, elicits, question).await;
                let _ = session.submit(Op::McpApproval {
                    call_id: request.call_id,
                    decision,
                });
            }
            EventMsg::TurnCompleted(completed) => {
                let content = completed
                    .last_agent_message
                    .or(last_message)
                    .unwrap_or_default();
                let mut result = CallToolResult::success(vec![ContentBlock::text(content.clone())]);
                result.structured_content =
                    Some(json!({"threadId": thread_id, "content": content}));
                return Ok(result);
            }
            // What the turn did so far, and why it stopped: a reply on the
            // thread goes on with a new allowance.
            EventMsg::TurnStopped(stopped) => {
                let content = match last_message {
                    Some(text) => format!("{text}\n\n({})", stopped.message),
                    None => stopped.message,
                };
                let mut result = CallToolResult::success(vec![ContentBlock::text(content.clone())]);
                result.structured_content =
                    Some(json!({"threadId": thread_id, "content": content}));
                return Ok(result);
            }
            EventMsg::TurnFailed { error } => {
                let mut result =
                    CallToolResult::error(vec![ContentBlock::text(error.message.clone())]);
                result.structured_content =
                    Some(json!({"threadId": thread_id, "content": error.message}));
                return Ok(result);
            }
            EventMsg::TurnAborted { .. } => {
                return Err("the turn was interrupted".to_string());
            }
            _ => {}
        }
    }
}

/// Pass an event on to the client: as a log message, and as progress when
/// the call asked for it. (MCP's logging is deprecated from protocol
/// 2026-07-28, but the clients of today still show it.)
#[allow(deprecated)]
async fn tell(
    peer: &Peer<RoleServer>,
    msg: &EventMsg,
    progress: Option<&ProgressToken>,
    step: &mut u32,
) {
    let summary = match msg {
        EventMsg::ItemCompleted { item } => Some(match &item.details {
            ItemDetails::AgentMessage { .. } => "answered".to_string(),
            ItemDetails::Reasoning { .. } => "thought".to_string(),
            ItemDetails::CommandExecution { command, .. } => format!("ran {command}"),
            ItemDetails::FileChange { changes, .. } => format!("edited {} files", changes.len()),
            ItemDetails::McpToolCall { server, tool, .. } => format!("called {server}.{tool}"),
            ItemDetails::TodoList { .. } => "updated the plan".to_string(),
            ItemDetails::WebSearch { query } => format!("searched for {query}"),
            ItemDetails::Error { message } => message.clone(),
            ItemDetails::ContextCompaction { .. } => {
                item.details.compaction_line().unwrap_or_default()
            }
            ItemDetails::UserMessage { .. } => "read the prompt".to_string(),
        }),
        EventMsg::ItemStarted { .. } | EventMsg::TurnStarted => None,
        // Deltas would flood the client; the completed items carry the text.
        EventMsg::AgentMessageDelta { .. }
        | EventMsg::ReasoningDelta { .. }
        | EventMsg::CommandOutputDelta { .. } => return,
        _ => None,
    };
    let data = serde_json::to_value(msg).unwrap_or(Value::Null);
    let mut message =
        rmcp::model::LoggingMessageNotificationParam::new(rmcp::model::LoggingLevel::Info, data);
    message.logger = Some("duet".to_string());
    let _ = peer.notify_logging_message(message).await;
    if let (Some(token), Some(summary)) = (progress, summary) {
        *step += 1;
        let mut update = ProgressNotificationParam::new(token.clone(), f64::from(*step));
        update.message = Some(summary);
        let _ = peer.notify_progress(update).await;
    }
}

/// Ask the client's user (an elicitation) when it can be asked; otherwise
/// decline.
async fn ask(peer: &Peer<RoleServer>, elicits: bool, question: String) -> ReviewDecision {
    if !elicits {
        return ReviewDecision::Denied;
    }
    let request = ElicitRequestParams::FormElicitationParams {
        meta: None,
        message: question,
        requested_schema: ElicitationSchema::new(Default::default()),
    };
    match peer.create_elicitation(request).await {
        Ok(answer) if answer.action == ElicitationAction::Accept => ReviewDecision::Approved,
        Ok(_) => ReviewDecision::Denied,
        Err(error) => {
            log::warn!("the MCP client did not answer an approval request: {error}");
            ReviewDecision::Denied
        }
    }
}

fn text_field(arguments: &Value, name: &str) -> Result<String, String> {
    arguments
        .get(name)
        .and_then(Value::as_str)
        .map(str::to_string)
        .ok_or_else(|| format!("`{name}` is missing or not a string"))
}

/// A `duet` call's settings.
fn call_settings(arguments: &Value) -> Result<CallSettings, String> {
    let optional = |name: &str| -> Result<Option<String>, String> {
        match arguments.get(name) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(format!("`{name}` must be a string, not `{other}`")),
        }
    };
    let mut overrides = Vec::new();
    match arguments.get("config") {
        None | Some(Value::Null) => {}
        Some(Value::Object(keys)) => flatten("", keys, &mut overrides),
        Some(other) => {
            return Err(format!(
                "`config` must be an object of config keys, not `{other}`"
            ));
        }
    }
    Ok(CallSettings {
        cwd: optional("cwd")?.map(PathBuf::from),
        model: optional("model")?,
        profile: optional("profile")?,
        sandbox: optional("sandbox")?,
        approval_policy: optional("approval-policy")?,
        overrides,
    })
}

/// `{"a": {"b": 1}}` as `a.b=1`: what `-c` takes.
fn flatten(prefix: &str, keys: &serde_json::Map<String, Value>, into: &mut Vec<String>) {
    for (key, value) in keys {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        match value {
            Value::Object(inner) => flatten(&path, inner, into),
            // JSON strings, numbers, booleans and arrays of them are TOML
            // literals as written.
            other => into.push(format!("{path}={other}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn a_call_becomes_settings() {
        let settings = call_settings(&json!({
            "prompt": "fix it",
            "cwd": "/repo",
            "model": "gpt-5.5",
            "sandbox": "workspace-write",
            "approval-policy": "never",
            "config": {"model_reasoning_effort": "high", "tools": {"view_image": false}, "writable_roots": ["/a", "/b"]}
        }))
        .unwrap();
        assert_eq!(
            settings,
            CallSettings {
                cwd: Some("/repo".into()),
                model: Some("gpt-5.5".into()),
                profile: None,
                sandbox: Some("workspace-write".into()),
                approval_policy: Some("never".into()),
                overrides: vec![
                    "model_reasoning_effort=\"high\"".into(),
                    "tools.view_image=false".into(),
                    "writable_roots=[\"/a\",\"/b\"]".into(),
                ],
            }
        );
        assert_eq!(
            call_settings(&json!({"prompt": "x", "model": 5})).unwrap_err(),
            "`model` must be a string, not `5`"
        );
    }
}
