//! Integration tests of the model client against local mock servers:
//! the request as sent, HTTP faults and retries, broken streams, and the
//! scripted server behind `duet-mock-responses`.

mod anthropic;
mod chat;
mod common;
mod http_faults;
mod mock_server;
mod request;
mod stream_faults;
