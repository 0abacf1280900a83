//! The HTTP side: one request, its retries, and the event stream it returns.
//!
//! STUB: the signatures are the contract core is written against; the bodies
//! are being written.

use crate::error::ModelError;
use crate::items::ResponseItem;
use crate::provider::ProviderInfo;
use crate::request::ResponsesRequest;
use crate::sse::TokenUsage;
use std::time::Duration;

/// What the client tells its caller before it retries a request.
#[derive(Debug, Clone, PartialEq)]
pub struct RetryNotice {
    /// 1-based number of this retry.
    pub attempt: u32,
    pub max_attempts: u32,
    /// Why: "429 Too Many Requests", "500 Internal Server Error", "connection refused", …
    pub reason: String,
    pub delay: Duration,
}

/// One event of a response stream, in arrival order.
#[derive(Debug, Clone, PartialEq)]
pub enum ResponseEvent {
    Created {
        response_id: String,
    },
    /// An output item started (`response.output_item.added`).
    OutputItemAdded(ResponseItem),
    /// Text of the assistant message being written.
    OutputTextDelta {
        item_id: Option<String>,
        delta: String,
    },
    /// Text of a reasoning summary being written.
    ReasoningSummaryDelta {
        item_id: Option<String>,
        delta: String,
    },
    /// An output item is complete (`response.output_item.done`): the only event
    /// that makes an item part of the history.
    OutputItemDone(ResponseItem),
    /// The response finished. Always the last event of a good stream.
    Completed {
        response_id: String,
        usage: Option<TokenUsage>,
    },
    /// A line of the stream could not be parsed and was skipped.
    Warning(String),
}

/// A client for one provider, reused for every request of a session.
#[derive(Debug, Clone)]
pub struct ModelClient {
    provider: ProviderInfo,
    api_key: Option<String>,
}

impl ModelClient {
    /// `api_key` as resolved by [`ProviderInfo::resolve_api_key`].
    pub fn new(provider: ProviderInfo, api_key: Option<String>) -> Result<Self, ModelError> {
        Ok(ModelClient { provider, api_key })
    }

    pub fn provider(&self) -> &ProviderInfo {
        &self.provider
    }

    /// Send the request, retrying 429/5xx/connection failures with backoff
    /// (each retry is reported through `on_retry` first), and return the stream.
    /// `thread_id` goes into the `session-id`/`thread-id` headers.
    pub async fn stream(
        &self,
        _request: &ResponsesRequest,
        _thread_id: &str,
        _on_retry: &mut (dyn FnMut(RetryNotice) + Send),
    ) -> Result<ResponseStream, ModelError> {
        let _ = &self.api_key;
        todo!("being written")
    }
}

/// The events of one response. Dropping it closes the connection.
pub struct ResponseStream {}

impl ResponseStream {
    /// The next event; `None` after `Completed`. A broken or idle stream gives
    /// an `Err` for which [`ModelError::is_retryable`] is true.
    pub async fn next(&mut self) -> Option<Result<ResponseEvent, ModelError>> {
        todo!("being written")
    }
}

impl ModelClient {
    /// STUB
    pub fn with_originator(self, _originator: String) -> Self {
        self
    }
}
