//! Dev-only helpers for duet's tests: Responses API SSE builders ([`sse`]), a
//! wiremock server that answers from a script and records requests
//! ([`responses_mock`]), and a raw HTTP server for byte-level faults
//! ([`scripted`]). The `duet-mock-responses` binary serves a JSON script for
//! benchmarks and the SDK test.
//!
//! Nothing here is used by duet itself; it never touches the network beyond
//! 127.0.0.1.

pub mod mock_script;
pub mod mock_server;
pub mod responses_mock;
pub mod scripted;
pub mod sse;
pub mod wire;
