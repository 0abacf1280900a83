//! MCP servers: connecting to one and asking it for its tools (issue 19,
//! in progress: sessions do not use servers yet; `duet mcp test` does).
//!
//! A stdio server is started through the sandbox crate's one spawn path,
//! unconfined (the user configured it, as the reference does), in a
//! process group of its own, with an environment built like a command's
//! (`shell_environment_policy`) plus its `env` and the variables its
//! `env_vars` name; `rmcp` speaks MCP over its stdin and stdout.

use crate::config::Config;
use crate::config::mcp::{McpServerConfig, McpTransport};
use duet_sandbox::{CommandSpec, Sandbox, SandboxPolicy, SandboxedChild, StdinMode};
use rmcp::ServiceExt;
use rmcp::service::{RoleClient, RunningService};
use std::time::{Duration, Instant};

/// One tool a server offers.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct McpTool {
    pub name: String,
    pub description: Option<String>,
    /// The JSON schema of its arguments.
    pub input_schema: serde_json::Value,
}

/// A live connection to a server.
pub struct McpConnection {
    service: RunningService<RoleClient, ()>,
    /// The server process (stdio); killed with its group when dropped.
    child: Option<SandboxedChild>,
    /// How long starting and the MCP handshake took.
    pub connected_in: Duration,
}

impl McpConnection {
    /// Start (or reach) `server` and complete the MCP handshake, within
    /// its `startup_timeout`.
    pub async fn connect(server: &McpServerConfig, config: &Config) -> Result<Self, String> {
        let started = Instant::now();
        let McpTransport::Stdio {
            command,
            args,
            env,
            env_vars,
            cwd,
        } = &server.transport
        else {
            return Err(format!(
                "MCP server `{}` is a streamable HTTP server; duet connects only to stdio servers so far",
                server.name
            ));
        };
        let mut environment = config.shell_environment_policy.apply(std::env::vars());
        for name in env_vars {
            if let Ok(value) = std::env::var(name) {
                environment.insert(name.clone(), value);
            }
        }
        environment.extend(env.iter().map(|(key, value)| (key.clone(), value.clone())));
        let spec = CommandSpec {
            program: command.into(),
            args: args.clone(),
            cwd: cwd.clone().unwrap_or_else(|| config.cwd.clone()),
            env: environment,
            stdin: StdinMode::Piped,
        };
        let mut child = Sandbox::new(SandboxPolicy::DangerFullAccess)
            .spawn(&spec)
            .map_err(|error| {
                format!(
                    "MCP server `{}` did not start (`{command}`): {error}; check `mcp_servers.{}.command`",
                    server.name, server.name
                )
            })?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            return Err(format!(
                "MCP server `{}` has no stdin or stdout",
                server.name
            ));
        };
        let handshake = ().serve((stdout, stdin));
        let service = match tokio::time::timeout(server.startup_timeout, handshake).await {
            Ok(Ok(service)) => service,
            Ok(Err(error)) => {
                child.kill_process_group();
                return Err(format!(
                    "MCP server `{}` failed its handshake: {error}; run `{command}` by hand to see why",
                    server.name
                ));
            }
            Err(_) => {
                child.kill_process_group();
                return Err(format!(
                    "MCP server `{}` did not answer within {} s; raise `mcp_servers.{}.startup_timeout_sec` if it is slow to start",
                    server.name,
                    server.startup_timeout.as_secs_f64(),
                    server.name
                ));
            }
        };
        Ok(McpConnection {
            service,
            child: Some(child),
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
            })
            .collect())
    }
}

impl Drop for McpConnection {
    fn drop(&mut self) {
        if let Some(child) = &mut self.child {
            child.kill_process_group();
        }
    }
}
