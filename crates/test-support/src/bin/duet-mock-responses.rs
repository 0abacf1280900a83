//! `duet-mock-responses`: a small, fast stand-in for the Responses API, for
//! benchmarks (`benches/`) and the `@openai/codex-sdk` test.
//!
//! ```text
//! duet-mock-responses --script FILE.json [--port N] [--port-file F] [--log FILE.jsonl]
//! ```
//!
//! It listens on 127.0.0.1 (port `N`, default any free port), writes the port
//! to `--port-file` once listening (written whole, via a rename), and answers
//! `POST /v1/responses` from the script; any other request gets a 404. With
//! `--log`, each request body is appended as one JSON line. It runs until it
//! is killed. The script format is documented in
//! `duet_test_support::mock_script`; in short:
//!
//! ```json
//! {"responses": [[{"function_call": {"name": "exec_command", "arguments": {"cmd": "true"}}}],
//!                [{"message": "done"}]],
//!  "loop": false, "repeat_last": false, "per_thread": false}
//! ```
//!
//! One tokio current-thread runtime; HTTP/1.1 keep-alive; chunked SSE bodies.

#![allow(clippy::print_stderr, reason = "a command-line tool reports on stderr")]

use duet_test_support::mock_script::{Script, ScriptState};
use duet_test_support::mock_server::serve;
use std::path::PathBuf;
use std::process::ExitCode;
use tokio::net::TcpListener;

const USAGE: &str =
    "usage: duet-mock-responses --script FILE.json [--port N] [--port-file F] [--log FILE.jsonl]";

struct Options {
    script: PathBuf,
    port: u16,
    port_file: Option<PathBuf>,
    log: Option<PathBuf>,
}

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("duet-mock-responses: {message}");
            ExitCode::from(2)
        }
    }
}

fn run() -> Result<(), String> {
    let options = parse_args(std::env::args().skip(1))?;
    let text = std::fs::read_to_string(&options.script)
        .map_err(|err| format!("cannot read `{}`: {err}", options.script.display()))?;
    let script: Script = serde_json::from_str(&text)
        .map_err(|err| format!("invalid script `{}`: {err}", options.script.display()))?;
    let state = ScriptState::new(script)
        .map_err(|err| format!("invalid script `{}`: {err}", options.script.display()))?;
    let log = match &options.log {
        Some(path) => Some(
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .map_err(|err| format!("cannot open log `{}`: {err}", path.display()))?,
        ),
        None => None,
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|err| format!("cannot start the runtime: {err}"))?;
    runtime.block_on(listen(options, state, log))
}

fn parse_args(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut script = None;
    let mut port = 0;
    let mut port_file = None;
    let mut log = None;
    while let Some(arg) = args.next() {
        let mut value = || args.next().ok_or(format!("`{arg}` needs a value\n{USAGE}"));
        match arg.as_str() {
            "--script" => script = Some(PathBuf::from(value()?)),
            "--port" => {
                port = value()?
                    .parse()
                    .map_err(|err| format!("invalid `--port`: {err}"))?
            }
            "--port-file" => port_file = Some(PathBuf::from(value()?)),
            "--log" => log = Some(PathBuf::from(value()?)),
            "-h" | "--help" => return Err(USAGE.to_string()),
            other => return Err(format!("unknown argument `{other}`\n{USAGE}")),
        }
    }
    Ok(Options {
        script: script.ok_or(format!("`--script` is required\n{USAGE}"))?,
        port,
        port_file,
        log,
    })
}

async fn listen(
    options: Options,
    state: ScriptState,
    log: Option<std::fs::File>,
) -> Result<(), String> {
    let listener = TcpListener::bind(("127.0.0.1", options.port))
        .await
        .map_err(|err| format!("cannot listen on 127.0.0.1:{}: {err}", options.port))?;
    let port = listener
        .local_addr()
        .map_err(|err| format!("no local address: {err}"))?
        .port();
    if let Some(path) = &options.port_file {
        write_port_file(path, port)
            .map_err(|err| format!("cannot write `{}`: {err}", path.display()))?;
    }
    eprintln!("duet-mock-responses: listening on http://127.0.0.1:{port}/v1");
    let err = serve(listener, state, log).await;
    Err(format!("accept failed: {err}"))
}

/// Write `port` to a temporary file, then rename it: readers never see half a number.
fn write_port_file(path: &std::path::Path, port: u16) -> std::io::Result<()> {
    let temporary = path.with_extension("tmp");
    std::fs::write(&temporary, port.to_string())?;
    std::fs::rename(&temporary, path)
}
