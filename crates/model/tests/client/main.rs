//! Integration tests of the model client against local mock servers:
//! the request as sent, HTTP faults and retries, and broken streams.

mod common;
mod http_faults;
mod request;
mod stream_faults;
