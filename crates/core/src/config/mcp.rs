//! `[mcp_servers.<name>]`: the MCP servers a session may use, in Codex's
//! keys (reference §7.1), type-checked into [`McpServerConfig`].
//!
//! A server is stdio (`command`, `args`, `env`, `env_vars`, `cwd`) or
//! streamable HTTP (`url`, `bearer_token_env_var`, `http_headers`,
//! `env_http_headers`); the other keys are common. One table with both a
//! command and a URL, or neither, is an error naming it.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Duration;

/// Default time for a server to start (initialize and list its tools).
pub const DEFAULT_STARTUP_TIMEOUT: Duration = Duration::from_secs(10);
/// Default time a tool call may take.
pub const DEFAULT_TOOL_TIMEOUT: Duration = Duration::from_secs(60);

/// How a server is reached.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "transport", rename_all = "snake_case")]
pub enum McpTransport {
    /// A child process speaking MCP on its stdin and stdout.
    Stdio {
        command: String,
        args: Vec<String>,
        /// Variables set for the server.
        env: BTreeMap<String, String>,
        /// Names of duet's own variables passed through to it.
        env_vars: Vec<String>,
        cwd: Option<PathBuf>,
    },
    /// A streamable HTTP endpoint.
    StreamableHttp {
        url: String,
        /// The variable holding a bearer token.
        bearer_token_env_var: Option<String>,
        http_headers: BTreeMap<String, String>,
        /// Header name → variable.
        env_http_headers: BTreeMap<String, String>,
    },
}

/// Whether a tool's calls need the user's approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum McpApprovalMode {
    /// The default: a tool annotated `readOnlyHint` runs without asking;
    /// others ask (declined where nobody can be asked: `never`), except
    /// under `never` with `danger-full-access`, where nothing asks.
    Auto,
    /// Always ask (declined under `never`).
    Prompt,
    /// Approved in advance: runs without asking.
    Approve,
}

/// One `[mcp_servers.<name>]` table, checked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct McpServerConfig {
    pub name: String,
    #[serde(flatten)]
    pub transport: McpTransport,
    pub enabled: bool,
    /// The session does not start without it.
    pub required: bool,
    #[serde(serialize_with = "seconds")]
    pub startup_timeout: Duration,
    #[serde(serialize_with = "seconds")]
    pub tool_timeout: Duration,
    /// Only these tools, when set.
    pub enabled_tools: Option<Vec<String>>,
    /// Never these tools.
    pub disabled_tools: Vec<String>,
    pub default_tools_approval_mode: Option<McpApprovalMode>,
    /// `tools.<tool>.approval_mode`.
    pub tool_approval_modes: BTreeMap<String, McpApprovalMode>,
}

fn seconds<S: serde::Serializer>(duration: &Duration, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_f64(duration.as_secs_f64())
}

/// The table as written; every key optional, unknown ones kept to report.
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct McpServerToml {
    command: Option<String>,
    args: Option<Vec<String>>,
    env: Option<BTreeMap<String, String>>,
    env_vars: Option<Vec<String>>,
    cwd: Option<PathBuf>,
    url: Option<String>,
    bearer_token_env_var: Option<String>,
    http_headers: Option<BTreeMap<String, String>>,
    env_http_headers: Option<BTreeMap<String, String>>,
    enabled: Option<bool>,
    required: Option<bool>,
    startup_timeout_sec: Option<f64>,
    /// The reference's alias, in milliseconds.
    startup_timeout_ms: Option<u64>,
    tool_timeout_sec: Option<f64>,
    enabled_tools: Option<Vec<String>>,
    disabled_tools: Option<Vec<String>>,
    default_tools_approval_mode: Option<McpApprovalMode>,
    tools: Option<BTreeMap<String, ToolToml>>,
    /// Accepted for Codex's parallel-call hint; duet calls a server's
    /// tools concurrently whenever the model asks for several.
    supports_parallel_tool_calls: Option<bool>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
struct ToolToml {
    approval_mode: Option<McpApprovalMode>,
    #[serde(flatten)]
    unknown: BTreeMap<String, toml::Value>,
}

/// The servers of an `mcp_servers` table, and the warnings for keys no
/// server uses. A table that is not a server (wrong types, both or neither
/// of `command` and `url`) is an error naming it.
pub fn parse_servers(table: &toml::Value) -> Result<(Vec<McpServerConfig>, Vec<String>), String> {
    let toml::Value::Table(servers) = table else {
        return Err("`mcp_servers` must be a table of servers, `[mcp_servers.NAME]`".to_string());
    };
    let mut parsed = Vec::new();
    let mut warnings = Vec::new();
    for (name, value) in servers {
        let raw: McpServerToml = value.clone().try_into().map_err(|error: toml::de::Error| {
            format!("`mcp_servers.{name}`: {}", error.message().trim_end())
        })?;
        for key in raw.unknown.keys() {
            warnings.push(format!("unknown key `mcp_servers.{name}.{key}` (ignored)"));
        }
        for (tool, settings) in raw.tools.iter().flatten() {
            for key in settings.unknown.keys() {
                warnings.push(format!(
                    "unknown key `mcp_servers.{name}.tools.{tool}.{key}` (ignored)"
                ));
            }
        }
        parsed.push(server(name, raw)?);
    }
    Ok((parsed, warnings))
}

fn server(name: &str, raw: McpServerToml) -> Result<McpServerConfig, String> {
    let transport = match (raw.command, raw.url) {
        (Some(command), None) => McpTransport::Stdio {
            command,
            args: raw.args.unwrap_or_default(),
            env: raw.env.unwrap_or_default(),
            env_vars: raw.env_vars.unwrap_or_default(),
            cwd: raw.cwd,
        },
        (None, Some(url)) => McpTransport::StreamableHttp {
            url,
            bearer_token_env_var: raw.bearer_token_env_var,
            http_headers: raw.http_headers.unwrap_or_default(),
            env_http_headers: raw.env_http_headers.unwrap_or_default(),
        },
        (Some(_), Some(_)) => {
            return Err(format!(
                "`mcp_servers.{name}` sets both `command` and `url`: a server is a command (stdio) or a URL (streamable HTTP); keep one"
            ));
        }
        (None, None) => {
            return Err(format!(
                "`mcp_servers.{name}` has neither `command` nor `url`: set `command` for a server duet starts, or `url` for one it connects to"
            ));
        }
    };
    let seconds = |value: Option<f64>, key: &str, default: Duration| match value {
        None => Ok(default),
        Some(value) if value.is_finite() && value > 0.0 => Ok(Duration::from_secs_f64(value)),
        Some(value) => Err(format!(
            "`mcp_servers.{name}.{key}` is {value}: give a positive number of seconds"
        )),
    };
    let startup_timeout = match raw.startup_timeout_ms {
        Some(millis) if raw.startup_timeout_sec.is_none() => Duration::from_millis(millis),
        _ => seconds(
            raw.startup_timeout_sec,
            "startup_timeout_sec",
            DEFAULT_STARTUP_TIMEOUT,
        )?,
    };
    let _ = raw.supports_parallel_tool_calls;
    Ok(McpServerConfig {
        name: name.to_string(),
        transport,
        enabled: raw.enabled.unwrap_or(true),
        required: raw.required.unwrap_or(false),
        startup_timeout,
        tool_timeout: seconds(
            raw.tool_timeout_sec,
            "tool_timeout_sec",
            DEFAULT_TOOL_TIMEOUT,
        )?,
        enabled_tools: raw.enabled_tools,
        disabled_tools: raw.disabled_tools.unwrap_or_default(),
        default_tools_approval_mode: raw.default_tools_approval_mode,
        tool_approval_modes: raw
            .tools
            .unwrap_or_default()
            .into_iter()
            .filter_map(|(tool, settings)| Some((tool, settings.approval_mode?)))
            .collect(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn parse(text: &str) -> Result<(Vec<McpServerConfig>, Vec<String>), String> {
        let table: toml::Table = toml::from_str(text).unwrap();
        parse_servers(&table["mcp_servers"])
    }

    #[test]
    fn stdio_and_http_servers_with_every_key() {
        let (servers, warnings) = parse(
            r#"
[mcp_servers.docs]
command = "npx"
args = ["-y", "@modelcontextprotocol/server-everything"]
env = { TOKEN = "t" }
env_vars = ["GITHUB_TOKEN"]
cwd = "/srv"
required = true
startup_timeout_ms = 2500
tool_timeout_sec = 5.5
enabled_tools = ["echo"]
disabled_tools = ["add"]
default_tools_approval_mode = "prompt"
tools.echo.approval_mode = "auto"
colour = "blue"

[mcp_servers.remote]
url = "https://mcp.example.test/mcp"
bearer_token_env_var = "REMOTE_TOKEN"
http_headers = { "X-Team" = "tools" }
env_http_headers = { "X-Key" = "REMOTE_KEY" }
enabled = false
"#,
        )
        .unwrap();
        assert_eq!(
            servers,
            vec![
                McpServerConfig {
                    name: "docs".into(),
                    transport: McpTransport::Stdio {
                        command: "npx".into(),
                        args: vec![
                            "-y".into(),
                            "@modelcontextprotocol/server-everything".into()
                        ],
                        env: BTreeMap::from([("TOKEN".into(), "t".into())]),
                        env_vars: vec!["GITHUB_TOKEN".into()],
                        cwd: Some("/srv".into()),
                    },
                    enabled: true,
                    required: true,
                    startup_timeout: Duration::from_millis(2500),
                    tool_timeout: Duration::from_secs_f64(5.5),
                    enabled_tools: Some(vec!["echo".into()]),
                    disabled_tools: vec!["add".into()],
                    default_tools_approval_mode: Some(McpApprovalMode::Prompt),
                    tool_approval_modes: BTreeMap::from([("echo".into(), McpApprovalMode::Auto)]),
                },
                McpServerConfig {
                    name: "remote".into(),
                    transport: McpTransport::StreamableHttp {
                        url: "https://mcp.example.test/mcp".into(),
                        bearer_token_env_var: Some("REMOTE_TOKEN".into()),
                        http_headers: BTreeMap::from([("X-Team".into(), "tools".into())]),
                        env_http_headers: BTreeMap::from([("X-Key".into(), "REMOTE_KEY".into())]),
                    },
                    enabled: false,
                    required: false,
                    startup_timeout: DEFAULT_STARTUP_TIMEOUT,
                    tool_timeout: DEFAULT_TOOL_TIMEOUT,
                    enabled_tools: None,
                    disabled_tools: vec![],
                    default_tools_approval_mode: None,
                    tool_approval_modes: BTreeMap::new(),
                },
            ]
        );
        assert_eq!(
            warnings,
            vec!["unknown key `mcp_servers.docs.colour` (ignored)".to_string()]
        );
    }

    #[test]
    fn a_table_that_is_not_a_server_is_an_error_naming_it() {
        assert_eq!(
            parse("[mcp_servers.x]\ncommand = \"a\"\nurl = \"http://b\"\n").unwrap_err(),
            "`mcp_servers.x` sets both `command` and `url`: a server is a command (stdio) or a URL (streamable HTTP); keep one"
        );
        assert_eq!(
            parse("[mcp_servers.x]\nargs = []\n").unwrap_err(),
            "`mcp_servers.x` has neither `command` nor `url`: set `command` for a server duet starts, or `url` for one it connects to"
        );
        assert_eq!(
            parse("[mcp_servers.x]\ncommand = 5\n").unwrap_err(),
            "`mcp_servers.x`: invalid type: integer `5`, expected a string"
        );
        assert_eq!(
            parse("[mcp_servers.x]\ncommand = \"a\"\ntool_timeout_sec = -1\n").unwrap_err(),
            "`mcp_servers.x.tool_timeout_sec` is -1: give a positive number of seconds"
        );
    }
}
