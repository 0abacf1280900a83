//! [`ResponseStream`]: the events of one response, read chunk by chunk.
//!
//! A stream ends with `Completed` or with one error; after either, `next`
//! returns `None`. Silence longer than the provider's `stream_idle_timeout`,
//! a transport error, bad UTF-8 and an end without `response.completed` are
//! retryable errors; deciding to retry is the caller's business.

use crate::client::{ResponseEvent, error_chain};
use crate::error::ModelError;
use crate::sse::SseFramer;
use crate::wire::{Decoder, Queue};
use std::time::Duration;

/// The events of one response. Dropping it closes the connection.
pub struct ResponseStream {
    /// `None` for a response read whole before streaming began.
    response: Option<reqwest::Response>,
    framer: SseFramer,
    /// Turns the wire's events into [`ResponseEvent`]s.
    decoder: Decoder,
    /// Events parsed but not yet returned.
    queued: Queue,
    idle_timeout: Duration,
    /// The body has ended; only `queued` is left.
    body_ended: bool,
    /// `Completed` or an error was returned: nothing more comes.
    finished: bool,
}

impl ResponseStream {
    pub(crate) fn new(
        response: reqwest::Response,
        decoder: Decoder,
        idle_timeout: Duration,
    ) -> Self {
        ResponseStream {
            response: Some(response),
            framer: SseFramer::default(),
            decoder,
            queued: Queue::new(),
            idle_timeout,
            body_ended: false,
            finished: false,
        }
    }

    /// The events of a response that came whole, not as a stream.
    pub(crate) fn ready(events: Queue) -> Self {
        ResponseStream {
            response: None,
            framer: SseFramer::default(),
            decoder: Decoder::Responses,
            queued: events,
            idle_timeout: Duration::ZERO,
            body_ended: true,
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
            let Some(response) = self.response.as_mut() else {
                self.body_ended = true;
                continue;
            };
            match tokio::time::timeout(self.idle_timeout, response.chunk()).await {
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
                    for frame in self.framer.feed(&chunk) {
                        self.decoder.frame(frame, &mut self.queued);
                    }
                }
                Ok(Ok(None)) => {
                    self.body_ended = true;
                    for frame in self.framer.finish() {
                        self.decoder.frame(frame, &mut self.queued);
                    }
                    self.decoder.end(&mut self.queued);
                }
            }
        }
    }

    fn finish(&mut self) {
        self.finished = true;
        self.queued.clear();
    }
}
