//! What the core integration tests share: a session configuration against
//! the mock model, and waiting for a session's events with a time limit.
//! Each test file takes what it needs (`mod support;`).

#![allow(dead_code)] // not every test file uses every helper
#![allow(clippy::unwrap_used)] // test helpers, not library code

use duet_core::SessionHandle;
use duet_core::config::Config;
use duet_model::ProviderInfo;
use duet_protocol::{EventMsg, Op, SandboxMode};
use std::path::Path;
use std::time::Duration;

/// A configuration in `home` and `workdir` whose model is the mock at
/// `url` (no API key needed), without a sandbox.
pub fn mock_config(home: &Path, workdir: &Path, url: String) -> Config {
    let mut config = Config::defaults(home.to_path_buf(), workdir.to_path_buf());
    let mut provider = ProviderInfo::openai(Some(url));
    provider.env_key = None;
    config.model_provider = provider;
    config.sandbox_mode = SandboxMode::DangerFullAccess;
    config
}

/// The session's next event, within 20 seconds.
pub async fn next_event(session: &mut SessionHandle) -> EventMsg {
    tokio::time::timeout(Duration::from_secs(20), session.next_event())
        .await
        .expect("an event came in time")
        .expect("the session is alive")
        .msg
}

/// Events up to and including the end of the turn (completed, failed or
/// aborted).
pub async fn until_turn_end(session: &mut SessionHandle) -> Vec<EventMsg> {
    let mut events = Vec::new();
    loop {
        let msg = next_event(session).await;
        let done = matches!(
            msg,
            EventMsg::TurnCompleted(_) | EventMsg::TurnFailed { .. } | EventMsg::TurnAborted { .. }
        );
        events.push(msg);
        if done {
            return events;
        }
    }
}

/// Shut the session down and wait until it says it has (within the time
/// limit of [`next_event`], and before its event stream ends).
pub async fn shutdown(mut session: SessionHandle) {
    session.submit(Op::Shutdown).unwrap();
    while next_event(&mut session).await != EventMsg::ShutdownComplete {}
}
