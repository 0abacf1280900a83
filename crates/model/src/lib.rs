//! A streaming client for model APIs: OpenAI Responses, Chat Completions and
//! Anthropic Messages.
//!
//! [`ModelClient::stream`] POSTs a [`ResponsesRequest`] to the provider's
//! endpoint, translated to its wire (`wire.rs`), and yields [`ResponseEvent`]s
//! of the Responses shape parsed from the server-sent events, whatever the wire. Request-level
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
mod quickack;
mod request;
mod retry;
pub use retry::backoff;
mod sse;
mod stream;
mod wire;
pub use wire::body as request_body;

pub use client::{
    DEFAULT_ORIGINATOR, ModelClient, ProviderAnswer, ResponseEvent, ResponseStream, RetryNotice,
    ServedModel, user_agent,
};
pub use error::ModelError;
pub use items::{ContentItem, FunctionCallOutput, ReasoningSummaryPart, ResponseItem, StoredItem};
pub use provider::{
    API_KEY_OVERRIDE_VARS, DEFAULT_OPENAI_BASE_URL, DEFAULT_REQUEST_MAX_RETRIES,
    DEFAULT_STREAM_IDLE_TIMEOUT, DEFAULT_STREAM_MAX_RETRIES, ProviderInfo, WireApi,
};
pub use request::{Reasoning, ResponsesRequest, TextControls, TextFormat};
pub use sse::TokenUsage;
