//! Dev-only helpers for duet's tests:
//!
//! - [`sse`]: Responses API server-sent events, shaped like the real API's;
//! - [`responses_mock`]: a wiremock `POST /v1/responses` that answers from a
//!   list and records every request;
//! - [`scripted`]: a raw HTTP server for byte-level faults (resets, cut
//!   bodies, silence) that wiremock cannot make;
//! - [`mock_script`] and [`mock_server`]: the JSON-scripted server behind the
//!   `duet-mock-responses` binary (benchmarks, the SDK test), usable in-process;
//! - [`wire_sse`]: Chat Completions and Anthropic Messages events;
//! - [`wire`]: the minimal HTTP/1.1 request reader the two raw servers share.
//!
//! Nothing here is used by duet itself, and nothing listens beyond 127.0.0.1.

pub mod mock_script;
pub mod mock_server;
pub mod responses_mock;
pub mod scripted;
pub mod sse;
pub mod wire;
pub mod wire_sse;
