//! `duet mcp add|list|get|remove|import`: the `[mcp_servers]` of
//! `$DUET_HOME/config.toml`, edited in place (`toml_edit`: comments,
//! layout and every other key kept) and shown as duet reads them.

use crate::settings::{FrontEnd, SessionArgs, resolve};
use clap::{Args, Subcommand};
use duet_core::config::mcp::{McpServerConfig, McpTransport, parse_servers};
use std::path::Path;
use std::process::ExitCode;
use toml_edit::{DocumentMut, InlineTable, Item, Table, value};

#[derive(Debug, Clone, PartialEq, Eq, Subcommand)]
pub enum McpCommand {
    /// Add (or replace) a server: `duet mcp add NAME -- CMD [ARGS…]` for
    /// one duet starts, `duet mcp add NAME --url URL` for one it connects
    /// to.
    Add(AddArgs),
    /// List the configured servers.
    List {
        /// Print them as JSON.
        #[arg(long = "json")]
        json: bool,
    },
    /// Show one server's settings.
    Get {
        name: String,
        /// Print it as JSON.
        #[arg(long = "json")]
        json: bool,
    },
    /// Remove a server from the config.
    Remove { name: String },
    /// Start (or reach) a server, list its tools, and say how long each
    /// step took.
    Test {
        name: String,
        /// Then call this tool and print its result.
        #[arg(long = "call", value_name = "TOOL")]
        call: Option<String>,
        /// The call's arguments, a JSON object.
        #[arg(long = "arguments", value_name = "JSON", requires = "call")]
        arguments: Option<String>,
        /// Call it this many times and print how long the calls took.
        #[arg(
            long = "times",
            value_name = "N",
            default_value_t = 1,
            requires = "call"
        )]
        times: u32,
    },
    /// Log in to a streamable HTTP server that requires OAuth: approve duet
    /// in a browser; the tokens are kept in `$DUET_HOME` and refreshed.
    Login {
        name: String,
        /// The scopes to ask for (comma-separated; default: what the
        /// server offers).
        #[arg(long = "scopes", value_delimiter = ',')]
        scopes: Vec<String>,
        /// Print the address to open instead of opening a browser.
        #[arg(long = "no-browser")]
        no_browser: bool,
    },
    /// Forget the tokens `duet mcp login` saved for a server.
    Logout { name: String },
    /// Copy servers from Codex's config or Claude Code's `.mcp.json` /
    /// `~/.claude.json` into duet's.
    Import {
        #[arg(long = "from", value_name = "AGENT")]
        from: ImportSource,
        /// Replace servers duet already has under the same name.
        #[arg(long = "force")]
        force: bool,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, Args)]
pub struct AddArgs {
    /// The server's name (its tools are `mcp__NAME__TOOL`).
    pub name: String,
    /// A streamable HTTP server's URL, instead of a command.
    #[arg(long = "url", value_name = "URL", conflicts_with = "command")]
    pub url: Option<String>,
    /// The variable holding the bearer token of an HTTP server.
    #[arg(long = "bearer-token-env-var", value_name = "VAR", requires = "url")]
    pub bearer_token_env_var: Option<String>,
    /// A variable set for a command's server (repeatable).
    #[arg(long = "env", value_name = "KEY=VALUE", conflicts_with = "url")]
    pub env: Vec<String>,
    /// The command and its arguments, after `--`.
    #[arg(last = true, value_name = "COMMAND")]
    pub command: Vec<String>,
}

pub fn run(command: McpCommand) -> ExitCode {
    let result = match command {
        McpCommand::Add(args) => add(args),
        McpCommand::Remove { name } => remove(&name),
        McpCommand::List { json } => show(None, json),
        McpCommand::Get { name, json } => show(Some(&name), json),
        McpCommand::Import { from, force } => import(from, force),
        McpCommand::Login {
            name,
            scopes,
            no_browser,
        } => login(&name, &scopes, !no_browser),
        McpCommand::Logout { name } => logout(&name),
        McpCommand::Test {
            name,
            call,
            arguments,
            times,
        } => test(
            &name,
            call.as_deref()
                .map(|tool| (tool, arguments.as_deref(), times)),
        ),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("error: {message}");
            ExitCode::from(1)
        }
    }
}

fn config_path() -> Result<std::path::PathBuf, String> {
    let home = duet_core::config::duet_home(&|name| std::env::var(name).ok())
        .map_err(|error| error.to_string())?;
    Ok(home.join(duet_core::config::CONFIG_FILE_NAME))
}

fn add(args: AddArgs) -> Result<(), String> {
    let table = server_table(&args)?;
    let path = config_path()?;
    let text = read(&path)?;
    let (updated, replaced) = with_server(&text, &args.name, table)?;
    write(&path, &updated)?;
    let verb = if replaced { "replaced" } else { "added" };
    println!("{verb} MCP server `{}` in `{}`", args.name, path.display());
    Ok(())
}

fn remove(name: &str) -> Result<(), String> {
    let path = config_path()?;
    let text = read(&path)?;
    let updated = without_server(&text, name).ok_or_else(|| {
        format!(
            "no MCP server `{name}` in `{}`; `duet mcp list` shows the configured ones",
            path.display()
        )
    })?;
    write(&path, &updated)?;
    println!("removed MCP server `{name}` from `{}`", path.display());
    Ok(())
}

/// `list` (`name` is `None`) or `get NAME`, as the configuration resolves
/// them (profile and `-c` included).
fn show(name: Option<&str>, json: bool) -> Result<(), String> {
    let settings =
        resolve(&SessionArgs::default(), FrontEnd::Tool).map_err(|error| error.to_string())?;
    let servers: Vec<&McpServerConfig> = settings
        .config
        .mcp_servers
        .iter()
        .filter(|server| name.is_none_or(|name| server.name == name))
        .collect();
    if let Some(name) = name
        && servers.is_empty()
    {
        return Err(format!(
            "no MCP server `{name}` is configured; `duet mcp list` shows the configured ones"
        ));
    }
    if json {
        let text = match name {
            Some(_) => serde_json::to_string_pretty(servers[0]),
            None => serde_json::to_string_pretty(&servers),
        }
        .map_err(|error| error.to_string())?;
        println!("{text}");
        return Ok(());
    }
    if servers.is_empty() {
        println!("no MCP servers are configured; add one with `duet mcp add NAME -- COMMAND`");
        return Ok(());
    }
    for server in servers {
        let state = if server.enabled { "" } else { " (disabled)" };
        let how = match &server.transport {
            McpTransport::Stdio { command, args, .. } => {
                let mut line = command.clone();
                for arg in args {
                    line.push(' ');
                    line.push_str(arg);
                }
                line
            }
            McpTransport::StreamableHttp { url, .. } => url.clone(),
        };
        println!("{}{state}: {how}", server.name);
        if name.is_some() {
            println!(
                "  required: {}\n  startup timeout: {} s\n  tool timeout: {} s",
                server.required,
                server.startup_timeout.as_secs_f64(),
                server.tool_timeout.as_secs_f64()
            );
        }
    }
    Ok(())
}

/// `duet mcp login NAME`.
fn login(name: &str, scopes: &[String], open_browser: bool) -> Result<(), String> {
    let settings =
        resolve(&SessionArgs::default(), FrontEnd::Tool).map_err(|error| error.to_string())?;
    let config = settings.config;
    let server = configured(&config, name)?;
    let runtime = crate::current_thread_runtime().map_err(|_| "no runtime".to_string())?;
    let show = |address: &str| {
        println!("Open this address to let duet use `{name}`:\n{address}");
        let _ = std::io::Write::flush(&mut std::io::stdout());
    };
    runtime.block_on(duet_core::mcp::oauth::login(
        server,
        &config.duet_home,
        scopes,
        open_browser,
        &show,
    ))?;
    println!(
        "logged in to `{name}`; the tokens are in `{}`",
        config
            .duet_home
            .join(duet_core::mcp::oauth::CREDENTIALS_FILE)
            .display()
    );
    Ok(())
}

/// `duet mcp logout NAME`.
fn logout(name: &str) -> Result<(), String> {
    let home = duet_core::config::duet_home(&|variable| std::env::var(variable).ok())
        .map_err(|error| error.to_string())?;
    if duet_core::mcp::oauth::logout(&home, name)? {
        println!("forgot the login of `{name}`");
    } else {
        println!("no login of `{name}` was saved");
    }
    Ok(())
}

/// The configured server `name`.
fn configured<'a>(
    config: &'a duet_core::config::Config,
    name: &str,
) -> Result<&'a duet_core::config::mcp::McpServerConfig, String> {
    config
        .mcp_servers
        .iter()
        .find(|server| server.name == name)
        .ok_or_else(|| {
            format!(
                "no MCP server `{name}` is configured; `duet mcp list` shows the configured ones"
            )
        })
}

/// `duet mcp test NAME [--call TOOL [--arguments JSON] [--times N]]`.
fn test(name: &str, call: Option<(&str, Option<&str>, u32)>) -> Result<(), String> {
    let settings =
        resolve(&SessionArgs::default(), FrontEnd::Tool).map_err(|error| error.to_string())?;
    let config = settings.config;
    let server = configured(&config, name)?;
    let runtime = crate::current_thread_runtime().map_err(|_| "no runtime".to_string())?;
    runtime.block_on(async {
        let connection = duet_core::mcp::McpConnection::connect(server, &config).await?;
        let tested = exercise(&connection, server, name, call).await;
        connection.stop().await;
        tested
    })
}

/// What `duet mcp test` prints about a connected server: its tools, and
/// the calls asked for with their times.
async fn exercise(
    connection: &duet_core::mcp::McpConnection,
    server: &McpServerConfig,
    name: &str,
    call: Option<(&str, Option<&str>, u32)>,
) -> Result<(), String> {
    println!(
        "connected to `{name}` in {} ms",
        connection.connected_in.as_millis()
    );
    let started = std::time::Instant::now();
    let tools = connection.list_tools().await?;
    println!(
        "{} tools listed in {} ms:",
        tools.len(),
        started.elapsed().as_millis()
    );
    for tool in tools {
        let description = tool
            .description
            .as_deref()
            .and_then(|text| text.lines().next())
            .unwrap_or_default();
        println!("  {}  {description}", tool.name);
    }
    let Some((tool, arguments, times)) = call else {
        return Ok(());
    };
    let arguments = match arguments {
        None => None,
        Some(text) => match serde_json::from_str(text) {
            Ok(serde_json::Value::Object(map)) => Some(map),
            _ => return Err(format!("`--arguments` must be a JSON object, not `{text}`")),
        },
    };
    let mut took = Vec::with_capacity(times as usize);
    let mut result = serde_json::Value::Null;
    for _ in 0..times.max(1) {
        let started = std::time::Instant::now();
        result = connection
            .call(server, tool, arguments.clone(), None)
            .await?;
        took.push(started.elapsed());
    }
    println!(
        "{}",
        serde_json::to_string_pretty(&result).unwrap_or_default()
    );
    took.sort();
    let micros = |at: usize| took[at.min(took.len() - 1)].as_micros();
    println!(
        "{} calls of `{tool}`: median {} µs, p90 {} µs, min {} µs",
        took.len(),
        micros(took.len() / 2),
        micros(took.len() * 9 / 10),
        micros(0)
    );
    Ok(())
}

/// The `[mcp_servers.NAME]` table for `args`.
fn server_table(args: &AddArgs) -> Result<Table, String> {
    let mut table = Table::new();
    match (&args.url, args.command.split_first()) {
        (Some(url), None) => {
            table.insert("url", value(url.as_str()));
            if let Some(var) = &args.bearer_token_env_var {
                table.insert("bearer_token_env_var", value(var.as_str()));
            }
        }
        (None, Some((command, rest))) => {
            table.insert("command", value(command.as_str()));
            if !rest.is_empty() {
                let mut list = toml_edit::Array::new();
                list.extend(rest.iter().map(String::as_str));
                table.insert("args", value(list));
            }
            if !args.env.is_empty() {
                let mut env = InlineTable::new();
                for pair in &args.env {
                    let (key, val) = pair
                        .split_once('=')
                        .ok_or_else(|| format!("`--env {pair}` is not KEY=VALUE"))?;
                    env.insert(key, val.into());
                }
                table.insert("env", value(env));
            }
        }
        _ => {
            return Err(format!(
                "give the server's command after `--` (`duet mcp add {} -- npx -y some-server`) or its `--url`",
                args.name
            ));
        }
    }
    Ok(table)
}

/// `text` with `[mcp_servers.NAME]` set to `table`, and whether one was
/// replaced. The result is checked to load as a server.
fn with_server(text: &str, name: &str, table: Table) -> Result<(String, bool), String> {
    let mut doc: DocumentMut = text
        .parse()
        .map_err(|error| format!("the config does not parse: {error}"))?;
    let servers = doc
        .entry("mcp_servers")
        .or_insert_with(|| {
            let mut servers = Table::new();
            servers.set_implicit(true);
            Item::Table(servers)
        })
        .as_table_mut()
        .ok_or("`mcp_servers` in the config is not a table")?;
    let replaced = servers.insert(name, Item::Table(table)).is_some();
    let updated = doc.to_string();
    let parsed: toml::Table = toml::from_str(&updated)
        .map_err(|error| format!("the edited config does not parse: {error}"))?;
    if let Some(table) = parsed.get("mcp_servers") {
        parse_servers(table)?;
    }
    Ok((updated, replaced))
}

/// `text` without `[mcp_servers.NAME]`, or `None` when it has none.
fn without_server(text: &str, name: &str) -> Option<String> {
    let mut doc: DocumentMut = text.parse().ok()?;
    let servers = doc.get_mut("mcp_servers")?.as_table_like_mut()?;
    servers.remove(name)?;
    if servers.is_empty() {
        doc.remove("mcp_servers");
    }
    Some(doc.to_string())
}

fn read(path: &Path) -> Result<String, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Ok(text),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(String::new()),
        Err(error) => Err(format!("cannot read `{}`: {error}", path.display())),
    }
}

/// Replace `path` whole (a temporary file renamed over it).
fn write(path: &Path, text: &str) -> Result<(), String> {
    let fail = |error: std::io::Error| format!("cannot write `{}`: {error}", path.display());
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).map_err(fail)?;
    }
    let temporary = path.with_extension("toml.tmp");
    std::fs::write(&temporary, text).map_err(fail)?;
    std::fs::rename(&temporary, path).map_err(fail)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    const CONFIG: &str = "# my settings\nmodel = \"gpt-5.5\" # the default\n\n[tui]\nvim = true\n";

    fn add_args(name: &str, command: &[&str]) -> AddArgs {
        AddArgs {
            name: name.to_string(),
            url: None,
            bearer_token_env_var: None,
            env: vec!["TOKEN=abc".to_string()],
            command: command.iter().map(|part| part.to_string()).collect(),
        }
    }

    #[test]
    fn add_then_remove_keeps_everything_else_as_written() {
        let table =
            server_table(&add_args("everything", &["npx", "-y", "server-everything"])).unwrap();
        let (added, replaced) = with_server(CONFIG, "everything", table).unwrap();
        assert!(!replaced);
        assert_eq!(
            added,
            format!(
                "{CONFIG}\n[mcp_servers.everything]\ncommand = \"npx\"\nargs = [\"-y\", \"server-everything\"]\nenv = {{ TOKEN = \"abc\" }}\n"
            )
        );
        let http = server_table(&AddArgs {
            url: Some("https://mcp.test/mcp".to_string()),
            bearer_token_env_var: Some("MCP_TOKEN".to_string()),
            env: vec![],
            ..add_args("remote", &[])
        })
        .unwrap();
        let (both, _) = with_server(&added, "remote", http).unwrap();
        assert!(both.ends_with(
            "[mcp_servers.remote]\nurl = \"https://mcp.test/mcp\"\nbearer_token_env_var = \"MCP_TOKEN\"\n"
        ));
        let one = without_server(&both, "remote").unwrap();
        assert_eq!(one, added);
        assert_eq!(without_server(&one, "everything").unwrap(), CONFIG);
        assert_eq!(without_server(CONFIG, "nothing"), None);
    }

    #[test]
    fn adding_again_replaces_and_bad_input_is_refused() {
        let table = || server_table(&add_args("x", &["a"])).unwrap();
        let (once, _) = with_server("", "x", table()).unwrap();
        let (twice, replaced) = with_server(&once, "x", table()).unwrap();
        assert!(replaced);
        assert_eq!(once, twice);
        assert_eq!(
            server_table(&add_args("x", &[])).unwrap_err(),
            "give the server's command after `--` (`duet mcp add x -- npx -y some-server`) or its `--url`"
        );
        assert_eq!(
            with_server("mcp_servers = 3\n", "x", table()).unwrap_err(),
            "`mcp_servers` in the config is not a table"
        );
    }
}

/// Where `duet mcp import` reads servers from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ImportSource {
    /// `[mcp_servers]` of `$CODEX_HOME/config.toml` (`~/.codex`).
    Codex,
    /// `mcpServers` of Claude Code's `.mcp.json` (this directory) and
    /// `~/.claude.json`.
    Claude,
}

/// One server found in another agent's files: its table for duet, or why
/// it cannot be brought over.
struct Found {
    name: String,
    from: String,
    table: Result<Table, String>,
}

fn import(from: ImportSource, force: bool) -> Result<(), String> {
    let env = |name: &str| std::env::var(name).ok();
    let found = match from {
        ImportSource::Codex => {
            let home = duet_core::config::codex_home(&env)
                .ok_or("cannot find Codex's home: set `CODEX_HOME` or `HOME`")?;
            from_codex(&home.join("config.toml"))?
        }
        ImportSource::Claude => {
            let mut found = Vec::new();
            if let Ok(cwd) = std::env::current_dir() {
                found.extend(from_claude(&cwd.join(".mcp.json"))?);
            }
            if let Some(home) = env("HOME").filter(|home| !home.is_empty()) {
                found.extend(from_claude(&Path::new(&home).join(".claude.json"))?);
            }
            found
        }
    };
    if found.is_empty() {
        println!("no MCP servers found to import");
        return Ok(());
    }
    let path = config_path()?;
    let mut text = read(&path)?;
    let existing: Vec<String> = toml::from_str::<toml::Table>(&text)
        .ok()
        .and_then(|table| table.get("mcp_servers")?.as_table().cloned())
        .map(|servers| servers.keys().cloned().collect())
        .unwrap_or_default();
    let mut changed = false;
    for server in found {
        let name = &server.name;
        match server.table {
            Err(why) => println!("skipped `{name}` ({}): {why}", server.from),
            Ok(_) if existing.contains(name) && !force => println!(
                "skipped `{name}` ({}): already configured; `--force` replaces it",
                server.from
            ),
            Ok(table) => {
                let (updated, replaced) = with_server(&text, name, table)?;
                text = updated;
                changed = true;
                let verb = if replaced { "replaced" } else { "imported" };
                println!("{verb} `{name}` ({})", server.from);
            }
        }
    }
    if changed {
        write(&path, &text)?;
        println!("saved in `{}`", path.display());
    }
    Ok(())
}

/// The `[mcp_servers]` tables of a Codex config, copied as written (its
/// keys are duet's).
fn from_codex(path: &Path) -> Result<Vec<Found>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(format!("cannot read `{}`: {error}", path.display())),
    };
    let doc: DocumentMut = text
        .parse()
        .map_err(|error| format!("`{}` does not parse: {error}", path.display()))?;
    let Some(servers) = doc.get("mcp_servers").and_then(Item::as_table_like) else {
        return Ok(Vec::new());
    };
    let from = path.display().to_string();
    Ok(servers
        .iter()
        .map(|(name, item)| Found {
            name: name.to_string(),
            from: from.clone(),
            table: match item {
                Item::Table(table) => Ok(table.clone()),
                Item::Value(toml_edit::Value::InlineTable(inline)) => {
                    Ok(inline.clone().into_table())
                }
                _ => Err("not a table".to_string()),
            },
        })
        .collect())
}

/// The `mcpServers` of a Claude Code file (`.mcp.json`, `~/.claude.json`).
fn from_claude(path: &Path) -> Result<Vec<Found>, String> {
    let text = match std::fs::read_to_string(path) {
        Ok(text) => text,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(Vec::new()),
        Err(error) => return Err(format!("cannot read `{}`: {error}", path.display())),
    };
    let json: serde_json::Value = serde_json::from_str(&text)
        .map_err(|error| format!("`{}` is not JSON: {error}", path.display()))?;
    let Some(servers) = json
        .get("mcpServers")
        .and_then(serde_json::Value::as_object)
    else {
        return Ok(Vec::new());
    };
    let from = path.display().to_string();
    Ok(servers
        .iter()
        .map(|(name, server)| Found {
            name: name.clone(),
            from: from.clone(),
            table: claude_server(server),
        })
        .collect())
}

/// A Claude Code server (`{command, args, env}` or `{type: "http", url,
/// headers}`) as a duet table. `${VAR}` values of `env` whose variable has
/// the key's own name become `env_vars` (passed through from duet's
/// environment, as Claude Code expands them).
fn claude_server(server: &serde_json::Value) -> Result<Table, String> {
    let text = |field: &str| server.get(field).and_then(serde_json::Value::as_str);
    let strings = |field: &str| -> Vec<(String, String)> {
        server
            .get(field)
            .and_then(serde_json::Value::as_object)
            .into_iter()
            .flatten()
            .filter_map(|(key, value)| Some((key.clone(), value.as_str()?.to_string())))
            .collect()
    };
    let mut table = Table::new();
    match (
        text("type").unwrap_or("stdio"),
        text("command"),
        text("url"),
    ) {
        ("stdio", Some(command), _) => {
            table.insert("command", value(command));
            let args: Vec<&str> = server
                .get("args")
                .and_then(serde_json::Value::as_array)
                .into_iter()
                .flatten()
                .filter_map(serde_json::Value::as_str)
                .collect();
            if !args.is_empty() {
                let mut list = toml_edit::Array::new();
                list.extend(args);
                table.insert("args", value(list));
            }
            let mut env = InlineTable::new();
            let mut env_vars = toml_edit::Array::new();
            for (key, val) in strings("env") {
                if val == format!("${{{key}}}") {
                    env_vars.push(key);
                } else {
                    env.insert(&key, val.into());
                }
            }
            if !env.is_empty() {
                table.insert("env", value(env));
            }
            if !env_vars.is_empty() {
                table.insert("env_vars", value(env_vars));
            }
        }
        ("http", _, Some(url)) => {
            table.insert("url", value(url));
            let headers = strings("headers");
            if !headers.is_empty() {
                let mut inline = InlineTable::new();
                for (key, val) in headers {
                    inline.insert(&key, val.into());
                }
                table.insert("http_headers", value(inline));
            }
        }
        ("sse", _, _) => {
            return Err(
                "an SSE server: duet speaks streamable HTTP (MCP's current transport), not the older SSE one"
                    .to_string(),
            );
        }
        (kind, _, _) => return Err(format!("a `{kind}` server without its command or URL")),
    }
    Ok(table)
}

#[cfg(test)]
mod import_tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn claude_servers_become_duet_tables() {
        let table = |json: serde_json::Value| claude_server(&json).map(|table| table.to_string());
        assert_eq!(
            table(serde_json::json!({"command": "npx", "args": ["-y", "srv"],
                                     "env": {"GITHUB_TOKEN": "${GITHUB_TOKEN}", "MODE": "fast"}})),
            Ok("command = \"npx\"\nargs = [\"-y\", \"srv\"]\nenv = { MODE = \"fast\" }\nenv_vars = [\"GITHUB_TOKEN\"]\n".to_string())
        );
        assert_eq!(
            table(
                serde_json::json!({"type": "http", "url": "https://mcp.test/mcp",
                                     "headers": {"Authorization": "Bearer x"}})
            ),
            Ok(
                "url = \"https://mcp.test/mcp\"\nhttp_headers = { Authorization = \"Bearer x\" }\n"
                    .to_string()
            )
        );
        assert_eq!(
            table(serde_json::json!({"type": "sse", "url": "https://old.test/sse"})),
            Err("an SSE server: duet speaks streamable HTTP (MCP's current transport), not the older SSE one".to_string())
        );
    }
}
