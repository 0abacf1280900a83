//! [`ResponseStream`]: the events of one response, read chunk by chunk.
//!
//! A stream ends with `Completed` or with one error; after either, `next`
//! returns `None`. Silence longer than the provider's `stream_idle_timeout`,
//! a transport error, bad UTF-8 and an end without `response.completed` are
//! retryable errors; deciding to retry is the caller's business.

use crate::client::{ResponseEvent, error_chain};
use crate::error::ModelError;
use crate::sse::{SseFramer, frame_event};
use std::collections::VecDeque;
use std::time::Duration;

/// The events of one response. Dropping it closes the connection.
pub struct ResponseStream {
    response: reqwest::Response,
    framer: SseFramer,
    /// Events parsed but not yet returned.
    queued: VecDeque<Result<ResponseEvent, ModelError>>,
    idle_timeout: Duration,
    /// The body has ended; only `queued` is left.
    body_ended: bool,
    /// `Completed` or an error was returned: nothing more comes.
    finished: bool,
}

impl ResponseStream {
    pub(crate) fn new(response: reqwest::Response, idle_timeout: Duration) -> Self {
        ResponseStream {
            response,
            framer: SseFramer::default(),
            queued: VecDeque::new(),
            idle_timeout,
            body_ended: false,
            finished: false,
        }
    }

    /// The next event; `None` after `Completed`. A broken or idle stream gives
    /// an `Err` for which [`ModelError::is_retryable`] is true.
    pub async fn next(&mut self) -> Option<Result<ResponseEvent, ModelError>> {
        loop {
            if self.finished {
                return None;
            }
            if let Some(event) = self.queued.pop_front() {
                if matches!(event, Ok(ResponseEvent::Completed { .. }) | Err(_)) {
                    self.finish();
                }
                return Some(event);
            }
            if self.body_ended {
                self.finish();
                return Some(Err(ModelError::disconnected(
                    "stream closed before response.completed",
                )));
            }
            match tokio::time::timeout(self.idle_timeout, self.response.chunk()).await {
                Err(_elapsed) => {
                    self.finish();
                    return Some(Err(ModelError::Stream {
                        message: format!(
                            "stream idle for {} s, no data from the model",
                            self.idle_timeout.as_secs_f64()
                        ),
                    }));
                }
                Ok(Err(err)) => {
                    self.finish();
                    return Some(Err(ModelError::disconnected(error_chain(&err))));
                }
                Ok(Ok(Some(chunk))) => {
                    let frames = self.framer.feed(&chunk);
                    self.queued
                        .extend(frames.into_iter().filter_map(frame_event));
                }
                Ok(Ok(None)) => {
                    self.body_ended = true;
                    let frames = self.framer.finish();
                    self.queued
                        .extend(frames.into_iter().filter_map(frame_event));
                }
            }
        }
    }

    fn finish(&mut self) {
        self.finished = true;
        self.queued.clear();
    }
}
