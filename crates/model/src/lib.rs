//! A streaming client for the OpenAI Responses API.
//!
//! [`ModelClient::stream`] POSTs a [`ResponsesRequest`] to `{base_url}/responses`
//! and yields [`ResponseEvent`]s parsed from the server-sent events. Request-level
//! faults (HTTP 429 and 5xx, refused connections) are retried here with backoff;
//! a stream that breaks after it started is reported as a retryable
//! [`ModelError`] so the caller, which owns the conversation history, can keep
//! the items that completed and ask again.
//!
//! This crate knows nothing of tools, sessions or the sandbox.

mod client;
mod error;
mod items;
mod provider;
mod request;
mod sse;

pub use client::{ModelClient, ResponseEvent, ResponseStream, RetryNotice};
pub use error::ModelError;
pub use items::{ContentItem, FunctionCallOutput, ReasoningSummaryPart, ResponseItem};
pub use provider::{ProviderInfo, WireApi};
pub use request::{Reasoning, ResponsesRequest, TextControls, TextFormat};
pub use sse::TokenUsage;
