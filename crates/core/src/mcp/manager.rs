//! The session's MCP servers: started in the background, in parallel, when
//! the session starts, and never in the way.
//!
//! - No request waits for a server, except for `required` ones, which
//!   every turn waits for before its first request (and fails without).
//! - A server's tools join the next request once it is ready
//!   ([`McpManager::tool_specs`]), and are listed again when it says they
//!   changed (`notifications/tools/list_changed`).
//! - A call to a tool of a server that is still starting waits for it (up
//!   to its startup timeout) instead of failing as an unknown tool.
//! - A server that fails or times out gives one warning naming it, why,
//!   and what to change; the session goes on without it.
//! - A stdio server that has died is started again on its next call, at
//!   most [`MAX_RESTARTS`] times per session.

use super::names;
use super::{McpConnection, McpTool, Notices, StartContext};
use crate::config::mcp::{McpServerConfig, McpTransport};
use crate::services::EventSender;
use duet_protocol::{EventMsg, McpServerState, McpServerStatus, McpToolInfo};
use serde_json::{Value, json};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::Instant;
use tokio::sync::watch;

/// How many times a dead stdio server is started again in one session.
pub(crate) const MAX_RESTARTS: u32 = 3;

/// The session's servers (the enabled ones, in name order).
pub(crate) struct McpManager {
    servers: Vec<Arc<Server>>,
}

/// One configured server and where it is in its life.
pub(crate) struct Server {
    pub config: McpServerConfig,
    /// What the names of its tools start with (unless cut and hashed).
    prefix: String,
    state: watch::Sender<State>,
    restarts: AtomicU32,
    start: StartContext,
    events: EventSender,
    /// The session has ended: a start still under way stops the server
    /// it reaches instead of keeping it.
    stopped: AtomicBool,
    /// The start under way, to abandon (and so stop its process) when the
    /// session ends first.
    starting: Mutex<Option<tokio::task::AbortHandle>>,
}

impl Server {
    /// Start (again) in the background, on the servers' own runtime.
    fn spawn_start(self: &Arc<Self>) {
        let task = server_runtime().spawn(run_start(Arc::clone(self)));
        if let Ok(mut starting) = self.starting.lock() {
            *starting = Some(task.abort_handle());
        }
    }
}

#[derive(Clone)]
enum State {
    Starting,
    Ready(Arc<Live>),
    Failed(String),
}

/// A connected server and the tools it offers the model.
pub(crate) struct Live {
    connection: McpConnection,
    tools: RwLock<Arc<Vec<ExposedTool>>>,
    /// It has resources (`list_mcp_resources`, `read_mcp_resource`).
    resources: bool,
}

/// A server's tool as the model sees it.
#[derive(Debug, Clone)]
pub(crate) struct ExposedTool {
    /// `mcp__<server>__<tool>`.
    pub qualified: String,
    pub tool: McpTool,
    /// The function definition sent with each request.
    spec: Value,
}

/// A call the model made to an MCP tool, found.
pub(crate) struct Target {
    pub server: Arc<Server>,
    pub live: Arc<Live>,
    pub tool: ExposedTool,
}

/// Why a call has no tool to go to.
pub(crate) enum Missing {
    /// No server has a tool by that name.
    Unknown,
    /// The name is one of `server`'s, but it is not running (the message
    /// says why) or has no such tool.
    Unavailable {
        server: String,
        tool: String,
        message: String,
    },
}

impl McpManager {
    /// Start every enabled server of `servers` in the background; returns
    /// at once (the servers start on their own thread, `server_runtime`).
    pub(crate) fn start(
        servers: &[McpServerConfig],
        start: StartContext,
        events: EventSender,
    ) -> Self {
        let servers: Vec<Arc<Server>> = servers
            .iter()
            .filter(|server| server.enabled)
            .map(|config| {
                Arc::new(Server {
                    prefix: names::server_prefix(&config.name),
                    config: config.clone(),
                    state: watch::Sender::new(State::Starting),
                    restarts: AtomicU32::new(0),
                    start: start.clone(),
                    events: events.clone(),
                    stopped: AtomicBool::new(false),
                    starting: Mutex::new(None),
                })
            })
            .collect();
        for server in &servers {
            server.spawn_start();
        }
        McpManager { servers }
    }

    /// Wait for the `required` servers to be ready; the first that failed
    /// is the error, naming it, the cause and the fix.
    pub(crate) async fn wait_required(&self) -> Result<(), String> {
        for server in self.servers.iter().filter(|server| server.config.required) {
            if let Err(message) = server.settled().await {
                return Err(format!(
                    "{message} (`mcp_servers.{name}` is `required = true`, so nothing runs without it; fix it, or set `required = false` to go on without it)",
                    name = server.config.name
                ));
            }
        }
        Ok(())
    }

    /// The function definitions of every ready server's tools, servers in
    /// name order and each server's tools in its own order; then, when a
    /// ready server has resources, the tools that list and read them.
    pub(crate) fn tool_specs(&self) -> Vec<Value> {
        let mut specs = Vec::new();
        let mut resources = false;
        for server in &self.servers {
            if let State::Ready(live) = &*server.state.borrow() {
                specs.extend(live.tools().iter().map(|tool| tool.spec.clone()));
                resources |= live.resources;
            }
        }
        if resources {
            specs.extend(super::resources::specs());
        }
        specs
    }

    /// Whether any server is configured (the resource tools answer then).
    pub(crate) fn has_servers(&self) -> bool {
        !self.servers.is_empty()
    }

    /// The server named `name`, once it has started; why not, if it did not.
    pub(crate) async fn ready(&self, name: &str) -> Result<Arc<Live>, String> {
        let server = self
            .servers
            .iter()
            .find(|server| server.config.name == name)
            .ok_or_else(|| {
                format!(
                    "there is no MCP server `{name}`; the servers are: {}",
                    self.servers
                        .iter()
                        .map(|server| format!("`{}`", server.config.name))
                        .collect::<Vec<_>>()
                        .join(", ")
                )
            })?;
        server.settled().await
    }

    /// The servers that have resources, with their names, once every
    /// server has started (or failed).
    pub(crate) async fn resource_servers(&self) -> Vec<(String, Arc<Live>)> {
        let mut found = Vec::new();
        for server in &self.servers {
            if let Ok(live) = server.settled().await
                && live.resources
            {
                found.push((server.config.name.clone(), live));
            }
        }
        found
    }

    /// Whether `name` is an MCP tool's name (it may still be unknown).
    pub(crate) fn claims(&self, name: &str) -> bool {
        name.starts_with(names::PREFIX) && !self.servers.is_empty()
    }

    /// The tool `qualified` names, waiting for its server if it is still
    /// starting, and starting it again if it died.
    pub(crate) async fn find(&self, qualified: &str) -> Result<Target, Missing> {
        // A ready server that has it, else the servers its name could be of.
        let ready = self.servers.iter().find_map(|server| {
            let State::Ready(live) = &*server.state.borrow() else {
                return None;
            };
            let tool = live.tool(qualified)?;
            Some((Arc::clone(server), Arc::clone(live), tool))
        });
        if let Some((server, live, tool)) = ready {
            return self.alive(server, live, tool).await;
        }
        let candidates: Vec<&Arc<Server>> = self
            .servers
            .iter()
            .filter(|server| qualified.starts_with(&server.prefix))
            .collect();
        // The longest prefix wins (`a` and `a__b` both match `mcp__a__b__c`).
        let Some(server) = candidates
            .into_iter()
            .max_by_key(|server| server.prefix.len())
        else {
            return Err(Missing::Unknown);
        };
        let tool_part = qualified[server.prefix.len()..].to_string();
        match server.settled().await {
            Ok(live) => match live.tool(qualified) {
                Some(tool) => self.alive(Arc::clone(server), live, tool).await,
                None => Err(Missing::Unavailable {
                    server: server.config.name.clone(),
                    message: format!(
                        "MCP server `{}` has no tool `{tool_part}`; its tools are: {}",
                        server.config.name,
                        live.tools()
                            .iter()
                            .map(|tool| format!("`{}`", tool.qualified))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ),
                    tool: tool_part,
                }),
            },
            Err(message) => Err(Missing::Unavailable {
                server: server.config.name.clone(),
                tool: tool_part,
                message,
            }),
        }
    }

    /// `live`, or, when its process has died, the server started again.
    async fn alive(
        &self,
        server: Arc<Server>,
        live: Arc<Live>,
        tool: ExposedTool,
    ) -> Result<Target, Missing> {
        if !live.connection.is_closed() {
            return Ok(Target { server, live, tool });
        }
        let unavailable = |message: String| Missing::Unavailable {
            server: server.config.name.clone(),
            tool: tool.tool.name.clone(),
            message,
        };
        if !matches!(server.config.transport, McpTransport::Stdio { .. }) {
            return Err(unavailable(format!(
                "MCP server `{}` closed the connection; check that it is still running",
                server.config.name
            )));
        }
        let restarted = server.restarts.load(Ordering::Relaxed);
        if restarted >= MAX_RESTARTS {
            return Err(unavailable(format!(
                "MCP server `{}` exited and was started again {MAX_RESTARTS} times already; duet stops trying in this session (its log is in duet's log file)",
                server.config.name
            )));
        }
        // Only the first caller to see it dead starts it again.
        let ours = server.state.send_if_modified(|state| match state {
            State::Ready(current) if Arc::ptr_eq(current, &live) => {
                *state = State::Starting;
                true
            }
            _ => false,
        });
        if ours {
            server.restarts.fetch_add(1, Ordering::Relaxed);
            log::warn!(
                "MCP server `{}` exited; starting it again",
                server.config.name
            );
            server.spawn_start();
        }
        match server.settled().await {
            Ok(live) => match live.tool(&tool.qualified) {
                Some(tool) => Ok(Target { server, live, tool }),
                None => Err(unavailable(format!(
                    "MCP server `{}` started again without the tool `{}`",
                    server.config.name, tool.tool.name
                ))),
            },
            Err(message) => Err(unavailable(message)),
        }
    }

    /// Stop every running server process and wait until they are gone
    /// (each a moment at most, all at once): the session is ending, and
    /// none of them may outlive duet.
    pub(crate) async fn stop_all(&self) {
        // First, so that a start finishing meanwhile stops its server too.
        for server in &self.servers {
            server.stopped.store(true, Ordering::SeqCst);
            // A start under way is dropped, its process with it.
            if let Some(start) = server
                .starting
                .lock()
                .ok()
                .and_then(|mut start| start.take())
            {
                start.abort();
            }
        }
        let stopping: Vec<_> = self
            .servers
            .iter()
            .filter_map(|server| match &*server.state.borrow() {
                State::Ready(live) => Some(Arc::clone(live)),
                _ => None,
            })
            .map(|live| server_runtime().spawn(async move { live.connection.stop().await }))
            .collect();
        for stop in stopping {
            let _ = stop.await;
        }
    }

    /// Every server's state and tools, for `/mcp`.
    pub(crate) fn statuses(&self) -> Vec<McpServerStatus> {
        self.servers
            .iter()
            .map(|server| {
                let (state, error, tools) = match &*server.state.borrow() {
                    State::Starting => (McpServerState::Starting, None, Vec::new()),
                    State::Failed(message) => {
                        (McpServerState::Failed, Some(message.clone()), Vec::new())
                    }
                    State::Ready(live) => (
                        McpServerState::Ready,
                        None,
                        live.tools()
                            .iter()
                            .map(|tool| McpToolInfo {
                                name: tool.tool.name.clone(),
                                qualified_name: tool.qualified.clone(),
                                description: tool.tool.description.clone(),
                                read_only: tool.tool.read_only,
                            })
                            .collect(),
                    ),
                };
                McpServerStatus {
                    name: server.config.name.clone(),
                    state,
                    error,
                    tools,
                }
            })
            .collect()
    }
}

impl Server {
    /// Once it is no longer starting: the live server, or why it failed.
    async fn settled(&self) -> Result<Arc<Live>, String> {
        let mut receiver = self.state.subscribe();
        // The sender lives as long as `self`, so the wait cannot fail.
        let settled = receiver
            .wait_for(|state| !matches!(state, State::Starting))
            .await
            .map(|state| state.clone());
        match settled {
            Ok(State::Ready(live)) => Ok(live),
            Ok(State::Failed(message)) => Err(message),
            Ok(State::Starting) | Err(_) => Err("the MCP manager has stopped".to_string()),
        }
    }
}

impl Live {
    fn tools(&self) -> Arc<Vec<ExposedTool>> {
        self.tools
            .read()
            .map(|tools| Arc::clone(&tools))
            .unwrap_or_default()
    }

    fn tool(&self, qualified: &str) -> Option<ExposedTool> {
        self.tools()
            .iter()
            .find(|tool| tool.qualified == qualified)
            .cloned()
    }

    /// Whether it has resources.
    pub(crate) fn has_resources(&self) -> bool {
        self.resources
    }

    /// The connection, for requests beyond tool calls.
    pub(crate) fn peer(&self) -> rmcp::service::Peer<rmcp::RoleClient> {
        self.connection.peer()
    }

    /// Call `tool` with `arguments` ([`McpConnection::call`]).
    pub(crate) async fn call(
        &self,
        server: &McpServerConfig,
        tool: &str,
        arguments: Option<serde_json::Map<String, Value>>,
        progress_token: &str,
    ) -> Result<Value, String> {
        self.connection
            .call(server, tool, arguments, Some(progress_token))
            .await
    }
}

/// Where servers are started and spoken to: a thread of their own, with
/// its own runtime, for the process's life. Starting three servers (three
/// processes, three handshakes) then never delays a turn on the session's
/// runtime, even a single-threaded one (`duet exec`); and the supervising
/// helpers' parent-death signal, which follows the thread that started
/// them, fires only when duet itself ends. Without a thread (none can be
/// made), the caller's runtime.
fn server_runtime() -> tokio::runtime::Handle {
    static RUNTIME: std::sync::OnceLock<Option<tokio::runtime::Handle>> =
        std::sync::OnceLock::new();
    let dedicated = RUNTIME.get_or_init(|| {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .ok()?;
        let handle = runtime.handle().clone();
        std::thread::Builder::new()
            .name("duet-mcp".to_string())
            .spawn(move || runtime.block_on(std::future::pending::<()>()))
            .ok()?;
        Some(handle)
    });
    dedicated
        .clone()
        .unwrap_or_else(tokio::runtime::Handle::current)
}

/// Connect to `server` and list its tools within its startup timeout;
/// then it is ready, or failed with one warning.
async fn run_start(server: Arc<Server>) {
    let started = Instant::now();
    let config = &server.config;
    let weak = Arc::downgrade(&server);
    let events = server.events.clone();
    let notices = Notices {
        tools_changed: Some(Arc::new(move || {
            if let Some(server) = weak.upgrade() {
                server_runtime().spawn(refresh_tools(server));
            }
        })),
        // A call's progress token is its item's id.
        progress: Some(Arc::new(move |item_id, message| {
            events.send(None, EventMsg::McpToolCallProgress { item_id, message });
        })),
    };
    let attempt = async {
        let connection = McpConnection::open(config, &server.start, notices).await?;
        let tools = connection
            .list_tools()
            .await
            .map_err(|error| format!("MCP server `{}` started, but {error}", config.name))?;
        Ok::<_, String>((connection, tools))
    };
    let outcome = match tokio::time::timeout(config.startup_timeout, attempt).await {
        Ok(outcome) => outcome,
        Err(_) => Err(super::not_ready_message(config)),
    };
    match outcome {
        Ok((connection, tools)) => {
            let tools = expose(config, tools);
            log::info!(
                "MCP server `{}` ready in {} ms with {} tools",
                config.name,
                started.elapsed().as_millis(),
                tools.len()
            );
            let live = Arc::new(Live {
                resources: connection.has_resources(),
                connection,
                tools: RwLock::new(Arc::new(tools)),
            });
            server.state.send_replace(State::Ready(Arc::clone(&live)));
            // The session ended while this server started: it goes too.
            if server.stopped.load(Ordering::SeqCst) {
                live.connection.stop().await;
            }
        }
        Err(message) => {
            log::warn!("{message}");
            // A required server's failure is the turn's error instead.
            if !config.required {
                server.events.send(
                    None,
                    EventMsg::Warning {
                        message: format!("{message}; the session goes on without its tools"),
                    },
                );
            }
            server.state.send_replace(State::Failed(message));
        }
    }
}

/// List a ready server's tools again (it said they changed).
async fn refresh_tools(server: Arc<Server>) {
    let State::Ready(live) = server.state.borrow().clone() else {
        return;
    };
    match live.connection.list_tools().await {
        Ok(tools) => {
            let tools = expose(&server.config, tools);
            log::info!(
                "MCP server `{}` changed its tools: {} now",
                server.config.name,
                tools.len()
            );
            if let Ok(mut current) = live.tools.write() {
                *current = Arc::new(tools);
            }
            // Wake anyone watching (a `/mcp` listing reads it fresh anyway).
            server.state.send_modify(|_| {});
        }
        Err(error) => log::warn!(
            "MCP server `{}` said its tools changed, but {error}",
            server.config.name
        ),
    }
}

/// The tools of `config`'s server the model may call: `enabled_tools`
/// (when set), minus `disabled_tools`, each once under its qualified name.
fn expose(config: &McpServerConfig, tools: Vec<McpTool>) -> Vec<ExposedTool> {
    let mut exposed: Vec<ExposedTool> = Vec::with_capacity(tools.len());
    for tool in tools {
        let allowed = config
            .enabled_tools
            .as_ref()
            .is_none_or(|enabled| enabled.contains(&tool.name))
            && !config.disabled_tools.contains(&tool.name);
        if !allowed {
            continue;
        }
        let qualified = names::qualified(&config.name, &tool.name);
        if exposed.iter().any(|other| other.qualified == qualified) {
            log::warn!(
                "MCP server `{}`: tool `{}` has the same name as another once sanitised (`{qualified}`); only the first is offered",
                config.name,
                tool.name
            );
            continue;
        }
        exposed.push(ExposedTool {
            spec: function_spec(&qualified, &config.name, &tool),
            qualified,
            tool,
        });
    }
    exposed
}

/// The function definition of one tool: its schema as the server gave
/// it (without `$schema`), made an object schema with `properties` where it
/// lacked them (the APIs refuse one without), keys sorted so requests stay
/// byte-stable.
fn function_spec(qualified: &str, server: &str, tool: &McpTool) -> Value {
    let mut parameters = match &tool.input_schema {
        Value::Object(schema) => schema.clone(),
        _ => serde_json::Map::new(),
    };
    // The dialect marker some SDKs add (`draft-07`) is no parameter; some
    // APIs refuse a keyword they do not know at the top.
    parameters.remove("$schema");
    parameters
        .entry("type")
        .or_insert_with(|| Value::String("object".to_string()));
    if parameters.get("type") == Some(&Value::String("object".to_string())) {
        parameters
            .entry("properties")
            .or_insert_with(|| Value::Object(serde_json::Map::new()));
    }
    let description = tool
        .description
        .clone()
        .filter(|text| !text.trim().is_empty())
        .unwrap_or_else(|| format!("The `{}` tool of the MCP server `{server}`.", tool.name));
    let mut spec = json!({
        "type": "function",
        "name": qualified,
        "description": description,
        "strict": false,
        "parameters": Value::Object(parameters),
    });
    crate::tools::sort_keys(&mut spec);
    spec
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::mcp::{DEFAULT_STARTUP_TIMEOUT, DEFAULT_TOOL_TIMEOUT};
    use pretty_assertions::assert_eq;

    fn config(enabled_tools: Option<Vec<&str>>, disabled: Vec<&str>) -> McpServerConfig {
        McpServerConfig {
            name: "docs".into(),
            transport: McpTransport::Stdio {
                command: "true".into(),
                args: vec![],
                env: Default::default(),
                env_vars: vec![],
                cwd: None,
            },
            enabled: true,
            required: false,
            startup_timeout: DEFAULT_STARTUP_TIMEOUT,
            tool_timeout: DEFAULT_TOOL_TIMEOUT,
            enabled_tools: enabled_tools.map(|tools| tools.into_iter().map(String::from).collect()),
            disabled_tools: disabled.into_iter().map(String::from).collect(),
            default_tools_approval_mode: None,
            tool_approval_modes: Default::default(),
        }
    }

    fn tool(name: &str, schema: Value) -> McpTool {
        McpTool {
            name: name.into(),
            description: None,
            input_schema: schema,
            read_only: false,
        }
    }

    #[test]
    fn tools_are_filtered_named_and_given_object_schemas() {
        let tools = vec![
            tool(
                "search",
                json!({"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}),
            ),
            tool("get.page", json!({"type": "object"})),
            tool("get_page", json!({})),
            tool("delete", json!({})),
            tool("hidden", json!({})),
        ];
        let exposed = expose(
            &config(
                Some(vec!["search", "get.page", "get_page", "delete"]),
                vec!["delete"],
            ),
            tools,
        );
        let specs: Vec<Value> = exposed.iter().map(|tool| tool.spec.clone()).collect();
        assert_eq!(
            specs,
            vec![
                json!({
                    "type": "function", "name": "mcp__docs__search", "strict": false,
                    "description": "The `search` tool of the MCP server `docs`.",
                    "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]}
                }),
                json!({
                    "type": "function", "name": "mcp__docs__get_page", "strict": false,
                    "description": "The `get.page` tool of the MCP server `docs`.",
                    "parameters": {"type": "object", "properties": {}}
                }),
            ],
            "`get_page` sanitises like `get.page` and is dropped; `delete` is disabled; `hidden` not enabled"
        );
    }
}
