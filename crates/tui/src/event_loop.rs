//! The event loop: one `select!` over the input stream (terminal events and
//! session events, merged by the caller) and the app's next tick. After each
//! batch of inputs it sends what the app asked for, writes new history into
//! the scrollback, and redraws once.
//!
//! It owns no input source and no session: `run.rs` gives it a stream built
//! from crossterm's `EventStream` and the session's channel, and tests give
//! it a scripted stream and a `TestBackend`, so both run this same loop.

use crate::app::{App, Input, Outgoing};
use crate::screen::{PurgeScrollback, Screen};
use futures::{FutureExt, Stream, StreamExt};
use ratatui::backend::Backend;
use std::io;
use tokio::sync::mpsc::UnboundedSender;
use tokio::time::Instant;

/// Inputs applied before one redraw, at most: a burst (a paste typed key by
/// key, a fast stream of deltas) costs one frame, not one per input.
const MAX_BATCH: usize = 1024;

/// Run until the app quits or `inputs` ends. `inputs` is polled with a
/// no-op waker to drain ready items, so it must be a stream that registers
/// the waker of each poll (a tokio channel does; crossterm's `EventStream`
/// does not, which is why `run.rs` forwards it through a channel). `outgoing` carries the app's
/// requests to whoever owns the session; a closed receiver is not an error
/// here (the app hears of it as [`Input::CoreClosed`]).
pub async fn run_loop<B, S>(
    app: &mut App,
    screen: &mut Screen<B>,
    inputs: &mut S,
    outgoing: &UnboundedSender<Outgoing>,
) -> io::Result<()>
where
    B: Backend + PurgeScrollback,
    S: Stream<Item = Input> + Unpin,
{
    screen.draw(app)?;
    let mut ended = false;
    while !ended {
        let tick = app.next_tick();
        tokio::select! {
            input = inputs.next() => {
                let Some(input) = input else { break };
                app.update(input, Instant::now());
                for _ in 1..MAX_BATCH {
                    match inputs.next().now_or_never() {
                        Some(Some(input)) => app.update(input, Instant::now()),
                        Some(None) => {
                            // Draw what the last inputs did, then stop.
                            ended = true;
                            break;
                        }
                        None => break,
                    }
                }
            }
            () = sleep_until(tick) => app.tick(Instant::now()),
        }
        for request in app.take_outgoing() {
            let _ = outgoing.send(request);
        }
        if app.is_suspended() {
            // The external editor has the terminal.
            continue;
        }
        if app.take_repaint() {
            screen.repaint()?;
        }
        app.settle_resize();
        if app.take_redraw_all() {
            screen.resized(app)?;
        }
        screen.insert_history(app.take_history_lines())?;
        screen.draw(app)?;
        for request in app.take_terminal_requests() {
            screen.terminal_request(request, app)?;
        }
        if app.should_quit() {
            break;
        }
    }
    Ok(())
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}
