//! `duet mcp add|list|get|remove` on a real `$DUET_HOME/config.toml`: the
//! servers round-trip, the rest of the file (comments included) stays as
//! written, and the servers load as the session will read them.

use crate::common::{self, Workspace};
use pretty_assertions::assert_eq;
use serde_json::json;

#[tokio::test(flavor = "multi_thread")]
async fn servers_round_trip_without_touching_the_rest_of_the_config() {
    let workspace = Workspace::new();
    let config = workspace.home().join("config.toml");
    let original = "# mine\nmodel = \"gpt-5.5\"  # keep this comment\n";
    std::fs::write(&config, original).unwrap();

    let added = workspace
        .duet()
        .args([
            "mcp",
            "add",
            "everything",
            "--env",
            "TOKEN=t",
            "--",
            "npx",
            "-y",
            "@modelcontextprotocol/server-everything",
        ])
        .run()
        .await;
    assert_eq!(added.code, Some(0), "{}", added.describe());
    let remote = workspace
        .duet()
        .args([
            "mcp",
            "add",
            "remote",
            "--url",
            "https://mcp.test/mcp",
            "--bearer-token-env-var",
            "MCP_TOKEN",
        ])
        .run()
        .await;
    assert_eq!(remote.code, Some(0), "{}", remote.describe());
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(text.starts_with(original), "{text}");

    let listed = workspace.duet().args(["mcp", "list"]).run().await;
    assert_eq!(
        listed.stdout,
        "everything: npx -y @modelcontextprotocol/server-everything\nremote: https://mcp.test/mcp\n"
    );
    let got = workspace
        .duet()
        .args(["mcp", "get", "remote", "--json"])
        .run()
        .await;
    let got: serde_json::Value = serde_json::from_str(&got.stdout).unwrap();
    assert_eq!(
        got,
        json!({
            "name": "remote", "transport": "streamable_http", "url": "https://mcp.test/mcp",
            "bearer_token_env_var": "MCP_TOKEN", "http_headers": {}, "env_http_headers": {},
            "enabled": true, "required": false, "startup_timeout": 10.0, "tool_timeout": 60.0,
            "enabled_tools": null, "disabled_tools": [], "default_tools_approval_mode": null,
            "tool_approval_modes": {},
        })
    );

    for name in ["remote", "everything"] {
        let removed = workspace.duet().args(["mcp", "remove", name]).run().await;
        assert_eq!(removed.code, Some(0), "{}", removed.describe());
    }
    assert_eq!(std::fs::read_to_string(&config).unwrap(), original);
    let missing = workspace
        .duet()
        .args(["mcp", "remove", "remote"])
        .run()
        .await;
    assert_eq!(missing.code, Some(1));
    assert_eq!(
        missing.stderr,
        format!(
            "error: no MCP server `remote` in `{}`; `duet mcp list` shows the configured ones\n",
            config.display()
        )
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn servers_are_imported_from_codex_and_claude_code() {
    let workspace = Workspace::new();
    let codex = workspace.home().join("codex-home");
    std::fs::create_dir_all(&codex).unwrap();
    std::fs::write(
        codex.join("config.toml"),
        "model = \"o3\"\n\n[mcp_servers.docs]\n# the docs server\ncommand = \"docs-mcp\"\nstartup_timeout_sec = 20\n",
    )
    .unwrap();
    std::fs::write(
        workspace.repo().join(".mcp.json"),
        r#"{"mcpServers": {"tracker": {"type": "http", "url": "https://tracker.test/mcp"},
                           "old": {"type": "sse", "url": "https://old.test/sse"}}}"#,
    )
    .unwrap();
    std::fs::write(
        workspace.home().join(".claude.json"),
        r#"{"mcpServers": {"docs": {"command": "other-docs"}}}"#,
    )
    .unwrap();
    let codex_run = workspace
        .duet()
        .env("CODEX_HOME", codex.to_str().unwrap())
        .args(["mcp", "import", "--from", "codex"])
        .run()
        .await;
    let config = workspace.home().join("config.toml");
    assert_eq!(
        codex_run.stdout,
        format!(
            "imported `docs` ({})\nsaved in `{}`\n",
            codex.join("config.toml").display(),
            config.display()
        )
    );
    let claude_run = workspace
        .duet()
        .args(["mcp", "import", "--from", "claude"])
        .run()
        .await;
    assert_eq!(claude_run.code, Some(0), "{}", claude_run.describe());
    let mcp_json = workspace.repo().join(".mcp.json");
    let claude_json = workspace.home().join(".claude.json");
    assert_eq!(
        claude_run.stdout,
        format!(
            "imported `tracker` ({})\nskipped `old` ({}): an SSE server: duet speaks streamable HTTP (MCP's current transport), not the older SSE one\nskipped `docs` ({}): already configured; `--force` replaces it\nsaved in `{}`\n",
            mcp_json.display(),
            mcp_json.display(),
            claude_json.display(),
            config.display()
        )
    );
    let text = std::fs::read_to_string(&config).unwrap();
    assert!(
        text.contains("# the docs server\ncommand = \"docs-mcp\"\nstartup_timeout_sec = 20\n"),
        "{text}"
    );
    let listed = workspace.duet().args(["mcp", "list"]).run().await;
    assert_eq!(
        listed.stdout,
        "docs: docs-mcp\ntracker: https://tracker.test/mcp\n"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn test_reaches_a_real_server_and_says_why_others_fail() {
    let Some(server) = crate::common::mcp_server(common::EVERYTHING) else {
        return;
    };
    let workspace = Workspace::new();
    let added = workspace
        .duet()
        .args(["mcp", "add", "everything", "--", "node"])
        .arg(server.to_str().unwrap())
        .arg("stdio")
        .run()
        .await;
    assert_eq!(added.code, Some(0), "{}", added.describe());
    let tested = workspace
        .duet()
        .args(["mcp", "test", "everything"])
        .run()
        .await;
    assert_eq!(tested.code, Some(0), "{}", tested.describe());
    let lines: Vec<&str> = tested.stdout.lines().collect();
    assert!(
        lines[0].starts_with("connected to `everything` in ") && lines[0].ends_with(" ms"),
        "{}",
        tested.stdout
    );
    assert!(
        lines.contains(&"  echo  Echoes back the input string")
            && lines.contains(&"  get-tiny-image  Returns a tiny MCP logo image."),
        "{}",
        tested.stdout
    );

    // A command that is not there, and one that never speaks MCP.
    let config = workspace.home().join("config.toml");
    std::fs::write(
        &config,
        "[mcp_servers.missing]\ncommand = \"/nonexistent/mcp-server\"\n\n[mcp_servers.silent]\ncommand = \"sleep\"\nargs = [\"29.987\"]\nstartup_timeout_sec = 0.5\n",
    )
    .unwrap();
    let missing = workspace
        .duet()
        .args(["mcp", "test", "missing"])
        .run()
        .await;
    assert_eq!(missing.code, Some(1));
    assert_eq!(
        missing.stderr,
        "error: MCP server `missing` did not start (`/nonexistent/mcp-server`): cannot run `/nonexistent/mcp-server`: No such file or directory (os error 2); check `mcp_servers.missing.command`\n"
    );
    let silent = workspace.duet().args(["mcp", "test", "silent"]).run().await;
    assert_eq!(silent.code, Some(1));
    assert_eq!(
        silent.stderr,
        "error: MCP server `silent` was not ready within 0.5 s; raise `mcp_servers.silent.startup_timeout_sec` if it is slow to start (a first `npx` or `uvx` run downloads it)\n"
    );
    // The server that never answered is gone with duet.
    let survivors: Vec<String> = std::fs::read_dir("/proc")
        .unwrap()
        .filter_map(Result::ok)
        .filter(|entry| {
            std::fs::read(entry.path().join("cmdline"))
                .is_ok_and(|cmdline| cmdline == b"sleep\x0029.987\0")
        })
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(
        survivors,
        Vec::<String>::new(),
        "a `sleep 29.987` server outlived duet"
    );
}

/// A free port on 127.0.0.1 (closed again for the server to take).
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free port")
        .port()
}

/// `duet mcp login` against an MCP server that requires OAuth (the SDK's
/// auth support and demo authorization server): before, the server is
/// refused with what to run; the login registers duet, sends the browser
/// (here `fetch`) to approve, takes the redirect, saves the tokens (mode
/// 600, hidden from sandboxed commands); after, calls go through as the
/// client duet registered; `logout` forgets it.
#[tokio::test(flavor = "multi_thread")]
#[allow(clippy::disallowed_methods)] // the servers and the browser are processes of the test
async fn login_gets_a_token_for_an_oauth_server() {
    use std::io::BufRead;
    let Some(script) = crate::common::mcp_server("servers/oauth.mjs") else {
        return;
    };
    let (mcp_port, auth_port) = (free_port(), free_port());
    let mut server = std::process::Command::new("node")
        .arg(&script)
        .env("MCP_PORT", mcp_port.to_string())
        .env("MCP_AUTH_PORT", auth_port.to_string())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start node");
    assert!(common::wait_until(
        std::time::Duration::from_secs(20),
        || {
            [mcp_port, auth_port]
                .iter()
                .all(|port| std::net::TcpStream::connect(("127.0.0.1", *port)).is_ok())
        }
    ));
    let workspace = Workspace::new();
    std::fs::write(
        workspace.home().join("config.toml"),
        format!("[mcp_servers.secure]\nurl = \"http://localhost:{mcp_port}/mcp\"\n"),
    )
    .unwrap();
    let refused = workspace.duet().args(["mcp", "test", "secure"]).run().await;
    assert_eq!(refused.code, Some(1));
    assert_eq!(
        refused.stderr,
        format!(
            "error: MCP server `secure` at http://localhost:{mcp_port}/mcp requires authorisation: run `duet mcp login secure` (or give it a token with `mcp_servers.secure.bearer_token_env_var`)\n"
        )
    );

    let home = workspace.home().to_path_buf();
    let mut login = std::process::Command::new(env!("CARGO_BIN_EXE_duet"))
        .args(["mcp", "login", "secure", "--no-browser"])
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("HOME", &home)
        .env("DUET_HOME", &home)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("start duet mcp login");
    let mut lines = std::io::BufReader::new(login.stdout.take().unwrap()).lines();
    assert_eq!(
        lines.next().unwrap().unwrap(),
        "Open this address to let duet use `secure`:"
    );
    let address = lines.next().unwrap().unwrap();
    assert!(
        address.starts_with(&format!(
            "http://localhost:{auth_port}/authorize?response_type=code&client_id="
        )) && address.contains("&code_challenge_method=S256&")
            && address.contains(&format!(
                "&resource=http%3A%2F%2Flocalhost%3A{mcp_port}%2Fmcp"
            )),
        "{address}"
    );
    // The "browser": follows the authorization server's redirect to duet.
    let page = std::process::Command::new("node")
        .args([
            "-e",
            "fetch(process.argv[1]).then(r => r.text()).then(t => process.stdout.write(t))",
        ])
        .arg(&address)
        .output()
        .expect("run node");
    assert_eq!(
        String::from_utf8_lossy(&page.stdout),
        "<!doctype html><title>duet</title><p>duet is logged in. You can close this window.</p>\n"
    );
    let credentials = home.join("mcp-credentials.json");
    assert_eq!(
        lines.next().unwrap().unwrap(),
        format!(
            "logged in to `secure`; the tokens are in `{}`",
            credentials.display()
        )
    );
    assert!(login.wait().unwrap().success());
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(
        std::fs::metadata(&credentials)
            .unwrap()
            .permissions()
            .mode()
            & 0o777,
        0o600
    );
    let saved: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&credentials).unwrap()).unwrap();
    let client_id = saved["secure"]["client_id"].as_str().unwrap().to_string();
    assert!(
        saved["secure"]["access_token"]
            .as_str()
            .is_some_and(|token| !token.is_empty())
    );

    let called = workspace
        .duet()
        .args(["mcp", "test", "secure", "--call", "whoami"])
        .run()
        .await;
    assert_eq!(called.code, Some(0), "{}", called.describe());
    assert!(
        called
            .stdout
            .contains(&format!("\"text\": \"client {client_id}\"")),
        "{}",
        called.stdout
    );
    let out = workspace
        .duet()
        .args(["mcp", "logout", "secure"])
        .run()
        .await;
    assert_eq!(out.stdout, "forgot the login of `secure`\n");
    let again = workspace.duet().args(["mcp", "test", "secure"]).run().await;
    assert_eq!(again.code, Some(1));
    let _ = server.kill();
    let _ = server.wait();
}
