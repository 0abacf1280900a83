//! MCP call cost for docs/performance.md ("MCP"): a `server-everything`
//! `echo` round trip through duet's client (`duet mcp test … --call echo
//! --times N`: the connection as sessions make it, the helper-supervised
//! process, duet's call path with its timeout and result conversion to
//! JSON) against a bare `rmcp` client on a plain child process, in the same
//! run, alternating.
//!
//! `cargo bench -p duet-core --bench mcp_echo` after `cargo build
//! --release` and `npm ci --prefix tests/mcp`; `DUET_BIN` names another
//! duet binary.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    clippy::disallowed_methods // a bench starts its own processes
)]

use rmcp::ServiceExt;
use rmcp::model::CallToolRequestParams;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

const CALLS: usize = 300;
const ROUNDS: usize = 5;

fn main() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("../..");
    let server =
        root.join("tests/mcp/node_modules/@modelcontextprotocol/server-everything/dist/index.js");
    assert!(server.is_file(), "run `npm ci --prefix tests/mcp` first");
    let duet = std::env::var_os("DUET_BIN")
        .map(PathBuf::from)
        .unwrap_or_else(|| root.join("target/release/duet"));
    assert!(
        duet.is_file(),
        "build duet first (`cargo build --release`) or set DUET_BIN"
    );
    let home = tempfile::tempdir().unwrap();
    std::fs::write(
        home.path().join("config.toml"),
        format!(
            "[mcp_servers.everything]\ncommand = \"node\"\nargs = [\"{}\", \"stdio\"]\n",
            server.display()
        ),
    )
    .unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (mut bare, mut ours) = (Vec::new(), Vec::new());
    for _ in 0..ROUNDS {
        bare.push(runtime.block_on(bare_median(&server)));
        ours.push(duet_median(&duet, home.path()));
    }
    bare.sort();
    ours.sort();
    let (bare, ours) = (bare[ROUNDS / 2], ours[ROUNDS / 2]);
    println!(
        "echo round trip, median of {ROUNDS} rounds of {CALLS} calls: bare rmcp {} µs, duet {} µs ({:.2}x)",
        bare.as_micros(),
        ours.as_micros(),
        ours.as_secs_f64() / bare.as_secs_f64()
    );
}

/// A bare `rmcp` client on `node server stdio`: the median of `CALLS` echo
/// calls.
async fn bare_median(server: &Path) -> Duration {
    let mut child = tokio::process::Command::new("node")
        .arg(server)
        .arg("stdio")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .unwrap();
    let (stdin, stdout) = (child.stdin.take().unwrap(), child.stdout.take().unwrap());
    let client = ().serve((stdout, stdin)).await.unwrap();
    let mut took = Vec::with_capacity(CALLS);
    for _ in 0..CALLS {
        let arguments = serde_json::json!({"message": "x"});
        let request = CallToolRequestParams::new("echo")
            .with_arguments(arguments.as_object().unwrap().clone());
        let started = Instant::now();
        client.call_tool(request).await.unwrap();
        took.push(started.elapsed());
    }
    drop(client);
    let _ = child.kill().await;
    took.sort();
    took[CALLS / 2]
}

/// The median `duet mcp test everything --call echo --times CALLS` reports.
fn duet_median(duet: &Path, home: &Path) -> Duration {
    let output = std::process::Command::new(duet)
        .args(["mcp", "test", "everything", "--call", "echo"])
        .args([
            "--arguments",
            r#"{"message":"x"}"#,
            "--times",
            &CALLS.to_string(),
        ])
        .env("DUET_HOME", home)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let line = stdout
        .lines()
        .find(|line| line.contains(" calls of `echo`: median "))
        .unwrap_or_else(|| panic!("no timing in: {stdout}"));
    let micros: u64 = line
        .split("median ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .and_then(|number| number.parse().ok())
        .unwrap();
    Duration::from_micros(micros)
}
