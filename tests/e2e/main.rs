//! The end-to-end tests: the built `duet` binary run as a user would run
//! it (against the mock model, a real SQLite file, the real sandboxes, a
//! real terminal), one module per area. One test binary, so the workspace
//! is linked once for all of them; nextest still runs each test in a
//! process of its own. Shared helpers are in `common/`.

mod common;

mod apply_patch;
mod budget;
mod config_import;
mod context;
mod cost;
mod exec_cli;
mod exec_json;
mod faults;
mod fork;
mod interrupt;
mod logging;
mod login;
mod mcp_cli;
mod mcp_server;
mod mcp_session;
mod real_servers;
mod request_bodies;
mod resume;
mod rules;
mod sandbox;
mod sdk_dropin;
mod sessions;
mod sessions_database;
mod sessions_import;
mod stream_faults;
mod tui_tmux;
mod wires;
