//! MCP servers: connecting to them, and the session's servers
//! ([`manager`]) whose tools the model calls as `mcp__<server>__<tool>`.
//!
//! A stdio server is started through the sandbox crate's spawn path for
//! services (`Sandbox::spawn_service`): unconfined (the user configured it,
//! as the reference does), but supervised so that it and everything it
//! starts end with duet, even after `kill -9`. Its environment is built
//! like a command's (`shell_environment_policy`, so secrets are dropped)
//! plus its `env` and the variables its `env_vars` name. A streamable HTTP
//! server is reached with duet's own HTTP client ([`http`]). `rmcp` speaks
//! MCP over either.

pub(crate) mod content;
mod http;
pub(crate) mod manager;
pub(crate) mod names;
pub mod oauth;
pub(crate) mod resources;

use crate::config::Config;
use crate::config::mcp::{McpServerConfig, McpTransport};
use duet_sandbox::{CommandSpec, Sandbox, SandboxedChild, StdinMode};
use rmcp::ServiceExt;
use rmcp::model::{ClientCapabilities, ClientConfig, Implementation};
use rmcp::service::{MaybeSendFuture, NotificationContext, Peer, RoleClient, RunningService};
use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// One tool a server offers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct McpTool {
    pub name: String,
    pub description: Option<String>,
    /// The JSON schema of its arguments.
    pub input_schema: serde_json::Value,
    /// Annotated `readOnlyHint`: it changes nothing.
    pub read_only: bool,
}

/// What starting a server needs besides its own table.
#[derive(Clone)]
pub(crate) struct StartContext {
    /// The environment every server starts from, already filtered by
    /// `shell_environment_policy`.
    pub env: HashMap<String, String>,
    /// Where a server without `cwd` runs.
    pub cwd: PathBuf,
    /// For the helper that supervises stdio servers.
    pub sandbox: Sandbox,
    /// Where `duet mcp login` keeps HTTP servers' tokens.
    pub duet_home: PathBuf,
}

impl StartContext {
    pub(crate) fn new(config: &Config) -> Self {
        StartContext {
            env: config
                .shell_environment_policy
                .apply(std::env::vars())
                .into_iter()
                .collect(),
            cwd: config.cwd.clone(),
            sandbox: config.sandbox(),
            duet_home: config.duet_home.clone(),
        }
    }
}

/// What a server tells duet without being asked.
#[derive(Clone, Default)]
pub(crate) struct Notices {
    /// `notifications/tools/list_changed`.
    pub tools_changed: Option<Arc<dyn Fn() + Send + Sync>>,
    /// `notifications/progress`: the call's token and what to show.
    pub progress: Option<Arc<dyn Fn(String, String) + Send + Sync>>,
}

/// duet's side of the MCP conversation: who it is, and what it does with
/// a server's notifications.
struct Client {
    notices: Notices,
}

impl rmcp::ClientHandler for Client {
    fn get_info(&self) -> ClientConfig {
        ClientConfig::new(
            ClientCapabilities::default(),
            Implementation::new("duet", env!("CARGO_PKG_VERSION")),
        )
    }

    fn on_tool_list_changed(
        &self,
        _context: NotificationContext<RoleClient>,
    ) -> impl Future<Output = ()> + MaybeSendFuture + '_ {
        if let Some(changed) = &self.notices.tools_changed {
            changed();
        }
        std::future::ready(())
    }

    fn on_progress(
        &self,
        params: rmcp::model::ProgressNotificationParam,
        _context: NotificationContext<RoleClient>,
    ) -> impl Future<Output = ()> + MaybeSendFuture + '_ {
        if let Some(report) = &self.notices.progress {
            let token = match &params.progress_token.0 {
                rmcp::model::NumberOrString::String(token) => token.to_string(),
                rmcp::model::NumberOrString::Number(number) => number.to_string(),
            };
            let amount = match params.total {
                Some(total) => format!("{}/{}", params.progress, total),
                None => params.progress.to_string(),
            };
            let text = match params.message {
                Some(message) if !message.is_empty() => format!("{amount}: {message}"),
                _ => amount,
            };
            report(token, text);
        }
        std::future::ready(())
    }
}

/// A live connection to a server.
pub struct McpConnection {
    service: RunningService<RoleClient, Client>,
    /// The server process (stdio); stopped with everything it started
    /// by [`McpConnection::stop`], or when dropped.
    child: std::sync::Mutex<Option<SandboxedChild>>,
    /// How long starting and the MCP handshake took.
    pub connected_in: Duration,
}

impl McpConnection {
    /// Start (or reach) `server` and complete the MCP handshake, within
    /// its `startup_timeout`.
    pub async fn connect(server: &McpServerConfig, config: &Config) -> Result<Self, String> {
        Self::open(server, &StartContext::new(config), Notices::default()).await
    }

    /// [`McpConnection::connect`] with the session's start context and
    /// what to do with the server's notices.
    pub(crate) async fn open(
        server: &McpServerConfig,
        start: &StartContext,
        notices: Notices,
    ) -> Result<Self, String> {
        let started = Instant::now();
        let client = Client { notices };
        let name = &server.name;
        let mut stderr_tail = None;
        let (handshake, mut child, fix) = match &server.transport {
            McpTransport::Stdio {
                command,
                args,
                env,
                env_vars,
                cwd,
            } => {
                let mut environment = start.env.clone();
                for variable in env_vars {
                    if let Ok(value) = std::env::var(variable) {
                        environment.insert(variable.clone(), value);
                    }
                }
                environment.extend(env.iter().map(|(key, value)| (key.clone(), value.clone())));
                let spec = CommandSpec {
                    program: command.into(),
                    args: args.clone(),
                    cwd: cwd.clone().unwrap_or_else(|| start.cwd.clone()),
                    env: environment,
                    stdin: StdinMode::Piped,
                };
                let mut child = start.sandbox.spawn_service(&spec).map_err(|error| {
                    format!(
                        "MCP server `{name}` did not start (`{command}`): {error}; check `mcp_servers.{name}.command`"
                    )
                })?;
                let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
                    return Err(format!("MCP server `{name}` has no stdin or stdout"));
                };
                // What it prints on stderr goes to duet's log, a line at a
                // time; the last lines also explain a failed start.
                if let Some(stderr) = child.stderr.take() {
                    let tail = StderrTail::default();
                    tokio::spawn(log_stderr(name.clone(), stderr, tail.clone()));
                    stderr_tail = Some(tail);
                }
                (
                    Box::pin(client.serve((stdout, stdin)))
                        as std::pin::Pin<Box<dyn Future<Output = _> + Send>>,
                    Some(child),
                    format!("run `{command}` by hand to see why"),
                )
            }
            McpTransport::StreamableHttp { .. } => {
                let login = oauth::access_token(server, &start.duet_home).await;
                let transport = http::transport(server, login)?;
                (
                    Box::pin(client.serve(transport))
                        as std::pin::Pin<Box<dyn Future<Output = _> + Send>>,
                    None,
                    "check the URL, and that the server is running".to_string(),
                )
            }
        };
        let service = match tokio::time::timeout(server.startup_timeout, handshake).await {
            Ok(Ok(service)) => service,
            Ok(Err(error)) => {
                let (exited, said) = match (child.as_mut(), &stderr_tail) {
                    (Some(child), Some(tail)) => why_it_ended(child, tail).await,
                    _ => (None, String::new()),
                };
                if let Some(child) = child.as_mut() {
                    child.stop(STOP_WAIT).await;
                }
                return Err(match (exited, &server.transport) {
                    (Some(duet_sandbox::EXIT_NOT_STARTED), McpTransport::Stdio { command, .. }) => {
                        let reason = said
                            .lines()
                            .last()
                            .map(|line| {
                                line.trim_start_matches("duet-linux-sandbox: ")
                                    .trim_end_matches("; check the command name and `PATH`")
                                    .to_string()
                            })
                            .unwrap_or_else(|| "it was not found".to_string());
                        format!(
                            "MCP server `{name}` did not start (`{command}`): {reason}; check `mcp_servers.{name}.command`"
                        )
                    }
                    (Some(code), _) => format!(
                        "MCP server `{name}` exited with code {code} before it answered{}; {fix}",
                        quoted(&said)
                    ),
                    (None, McpTransport::StreamableHttp { url, .. })
                        if root_cause(&error) == "Auth required" =>
                    {
                        format!(
                            "MCP server `{name}` at {url} requires authorisation: run `duet mcp login {name}` (or give it a token with `mcp_servers.{name}.bearer_token_env_var`)"
                        )
                    }
                    (None, McpTransport::StreamableHttp { url, .. }) => format!(
                        "MCP server `{name}` did not answer at {url}: {}; {fix}",
                        root_cause(&error)
                    ),
                    (None, _) => format!(
                        "MCP server `{name}` failed its handshake: {}{}; {fix}",
                        root_cause(&error),
                        quoted(&said)
                    ),
                });
            }
            Err(_) => {
                if let Some(child) = child.as_mut() {
                    child.stop(STOP_WAIT).await;
                }
                return Err(not_ready_message(server));
            }
        };
        Ok(McpConnection {
            service,
            child: std::sync::Mutex::new(child),
            connected_in: started.elapsed(),
        })
    }

    /// Every tool the server offers (all pages).
    pub async fn list_tools(&self) -> Result<Vec<McpTool>, String> {
        let tools = self
            .service
            .list_all_tools()
            .await
            .map_err(|error| format!("listing the tools failed: {error}"))?;
        Ok(tools
            .into_iter()
            .map(|tool| McpTool {
                name: tool.name.to_string(),
                description: tool.description.map(|text| text.to_string()),
                input_schema: serde_json::Value::Object((*tool.input_schema).clone()),
                read_only: tool
                    .annotations
                    .and_then(|annotations| annotations.read_only_hint)
                    .unwrap_or(false),
            })
            .collect())
    }

    /// Call `tool` of `server` with `arguments` within its
    /// `tool_timeout`, its progress reported under `progress_token`: the
    /// result as JSON, or why there is none (a refusal, a broken
    /// connection, the timeout), for the model.
    pub async fn call(
        &self,
        server: &McpServerConfig,
        tool: &str,
        arguments: Option<serde_json::Map<String, serde_json::Value>>,
        progress_token: Option<&str>,
    ) -> Result<serde_json::Value, String> {
        let mut request = rmcp::model::CallToolRequestParams::new(tool.to_string());
        if let Some(arguments) = arguments {
            request = request.with_arguments(arguments);
        }
        if let Some(token) = progress_token {
            request.meta = Some(rmcp::model::RequestMetaObject::with_progress_token(
                rmcp::model::ProgressToken(rmcp::model::NumberOrString::String(token.into())),
            ));
        }
        let name = &server.name;
        let call = self.service.peer().call_tool(request);
        match tokio::time::timeout(server.tool_timeout, call).await {
            Err(_) => Err(format!(
                "MCP tool `{tool}` of server `{name}` did not answer within {} s; raise `mcp_servers.{name}.tool_timeout_sec` if it needs longer",
                server.tool_timeout.as_secs_f64()
            )),
            Ok(Ok(result)) => serde_json::to_value(result)
                .map_err(|error| format!("the result of MCP tool `{tool}` is unreadable: {error}")),
            Ok(Err(rmcp::ServiceError::McpError(error))) => Err(format!(
                "MCP server `{name}` refused the call of `{tool}`: {}",
                error.message
            )),
            Ok(Err(error)) if self.is_closed() => Err(format!(
                "MCP server `{name}` exited during the call of `{tool}` ({error}); it is started again on the next call"
            )),
            Ok(Err(error)) => Err(format!(
                "the call of MCP tool `{tool}` of server `{name}` failed: {error}"
            )),
        }
    }

    /// A handle for requests, usable by several calls at once.
    pub(crate) fn peer(&self) -> Peer<RoleClient> {
        self.service.peer().clone()
    }

    /// Whether the server said it has resources to list and read.
    pub(crate) fn has_resources(&self) -> bool {
        self.service
            .peer_info()
            .is_some_and(|info| info.capabilities.resources.is_some())
    }

    /// Whether the server has gone (its process exited, its stream ended).
    pub(crate) fn is_closed(&self) -> bool {
        self.service.is_closed() || self.service.peer().is_transport_closed()
    }
}

impl McpConnection {
    /// Stop the server process and everything it started, and wait (a
    /// moment at most) until it is gone, so that none outlives duet's
    /// exit. A remote server is left alone.
    pub async fn stop(&self) {
        let child = self.child.lock().ok().and_then(|mut child| child.take());
        if let Some(mut child) = child {
            child.stop(STOP_WAIT).await;
        }
    }
}

/// How long stopping a server waits for it to be gone.
const STOP_WAIT: Duration = Duration::from_secs(2);

/// Why a server that did not start in time is not there, and what to do.
pub(crate) fn not_ready_message(server: &McpServerConfig) -> String {
    format!(
        "MCP server `{name}` was not ready within {} s; raise `mcp_servers.{name}.startup_timeout_sec` if it is slow to start (a first `npx` or `uvx` run downloads it)",
        server.startup_timeout.as_secs_f64(),
        name = server.name
    )
}

/// The last lines a server printed on stderr, and whether it has closed it.
#[derive(Clone, Default)]
struct StderrTail {
    lines: Arc<std::sync::Mutex<std::collections::VecDeque<String>>>,
    closed: Arc<tokio::sync::Notify>,
}

/// How many of a server's last stderr lines are kept to explain a failure.
const STDERR_LINES: usize = 5;

/// Copy a server's stderr into duet's log, keeping its last lines.
async fn log_stderr(server: String, stderr: tokio::process::ChildStderr, tail: StderrTail) {
    use tokio::io::AsyncBufReadExt;
    let mut lines = tokio::io::BufReader::new(stderr).lines();
    while let Ok(Some(line)) = lines.next_line().await {
        log::debug!("MCP server `{server}`: {line}");
        if let Ok(mut kept) = tail.lines.lock() {
            if kept.len() == STDERR_LINES {
                kept.pop_front();
            }
            kept.push_back(line);
        }
    }
    tail.closed.notify_one();
}

/// After a failed handshake: the server's exit code, if it has exited
/// (waited for briefly), and what it last said on stderr.
async fn why_it_ended(child: &mut SandboxedChild, tail: &StderrTail) -> (Option<i32>, String) {
    let settle = Duration::from_millis(500);
    let exited = match tokio::time::timeout(settle, child.wait()).await {
        Ok(Ok(status)) => Some(duet_sandbox::exit_code(status)),
        _ => None,
    };
    if exited.is_some() {
        let _ = tokio::time::timeout(settle, tail.closed.notified()).await;
    }
    let said = tail
        .lines
        .lock()
        .map(|lines| lines.iter().cloned().collect::<Vec<_>>().join("\n"))
        .unwrap_or_default();
    (exited, said)
}

/// `said` (a server's last stderr lines) for an error message.
fn quoted(said: &str) -> String {
    let said = said.trim();
    if said.is_empty() {
        String::new()
    } else {
        format!(" (it said: {})", said.replace('\n', " / "))
    }
}

/// What went wrong, without the layers of transport names `rmcp` puts
/// around it (`Send message error Transport [...] error: …, when send
/// initialize request`).
fn root_cause(error: &(dyn std::error::Error + 'static)) -> String {
    let mut cause = error;
    while let Some(source) = cause.source() {
        cause = source;
    }
    let text = cause.to_string();
    let text = match text.find("] error: ") {
        Some(at) => &text[at + "] error: ".len()..],
        None => &text,
    };
    let text = text.split(", when ").next().unwrap_or(text);
    text.trim_start_matches("Client error: ")
        .trim_start_matches("unexpected server response: ")
        .to_string()
}
