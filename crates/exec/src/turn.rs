//! Driving one turn: pull events from the session, render them, answer what
//! must be answered, and stop when the turn ends or the user presses Ctrl+C.
//!
//! The session is reached through core's small `SessionIo` trait and output goes
//! to the writers in [`Output`], so tests run the real loop against a scripted
//! session and in-memory buffers. Setting the run up is `run.rs`'s job.

use crate::human::HumanRenderer;
use crate::jsonl::JsonRenderer;
use crate::run::Outcome;
use anyhow::bail;
use duet_core::SessionIo as Session;
use duet_protocol::{Event, EventMsg, ItemDetails, Op, ReviewDecision};
use std::io::Write;
use std::time::{Duration, Instant};

/// How long to wait for the session to confirm an interrupt or a shutdown.
pub const GRACE: Duration = Duration::from_secs(2);

pub enum Renderer {
    Human(Box<HumanRenderer>),
    Json(JsonRenderer),
}

/// Where rendered text goes.
pub struct Output<'a> {
    pub stdout: &'a mut dyn Write,
    pub stderr: &'a mut dyn Write,
}

#[derive(Debug, PartialEq, Eq)]
pub struct TurnEnd {
    pub outcome: Outcome,
    /// The final agent message, for stdout and `-o`; `None` unless completed.
    pub last_message: Option<String>,
    /// A second Ctrl+C, or no answer to the first: leave without waiting.
    pub hard_exit: bool,
}

impl TurnEnd {
    fn new(outcome: Outcome) -> Self {
        TurnEnd {
            outcome,
            last_message: None,
            hard_exit: false,
        }
    }

    fn hard(outcome: Outcome) -> Self {
        TurnEnd {
            outcome,
            last_message: None,
            hard_exit: true,
        }
    }
}

/// Render events until the turn ends; handle Ctrl+C and approval requests.
pub async fn drive_turn(
    session: &mut impl Session,
    renderer: &mut Renderer,
    output: &mut Output<'_>,
    start: Instant,
) -> anyhow::Result<TurnEnd> {
    let mut interrupted_at: Option<tokio::time::Instant> = None;
    let mut last_message = None;
    loop {
        let deadline = interrupted_at.map(|at| at + GRACE);
        let event = tokio::select! {
            event = session.next_event() => event,
            () = stop_signal() => {
                if interrupted_at.is_some() {
                    return Ok(TurnEnd::hard(Outcome::Interrupted));
                }
                // If the session is already gone, the deadline ends the run.
                let _ = session.submit(Op::Interrupt);
                interrupted_at = Some(tokio::time::Instant::now());
                continue;
            }
            () = sleep_until(deadline) => return Ok(TurnEnd::hard(Outcome::Interrupted)),
        };
        let Some(event) = event else {
            if interrupted_at.is_some() {
                return Ok(TurnEnd::hard(Outcome::Interrupted));
            }
            bail!(
                "the session ended before the turn finished: this is a bug in duet, please report it"
            );
        };
        if emit(renderer, output, &event, start.elapsed()).is_err() {
            return Ok(TurnEnd::new(Outcome::BrokenPipe));
        }
        match event.msg {
            EventMsg::ItemCompleted { item } => {
                if let ItemDetails::AgentMessage { text } = item.details {
                    last_message = Some(text);
                }
            }
            // exec cannot ask anyone: deny, and the model hears about it.
            EventMsg::ExecApprovalRequest(request) => {
                let decision = ReviewDecision::Denied;
                let _ = session.submit(Op::ExecApproval {
                    call_id: request.call_id,
                    decision,
                });
            }
            EventMsg::PatchApprovalRequest(request) => {
                let decision = ReviewDecision::Denied;
                let _ = session.submit(Op::PatchApproval {
                    call_id: request.call_id,
                    decision,
                });
            }
            EventMsg::McpApprovalRequest(request) => {
                let _ = session.submit(Op::McpApproval {
                    call_id: request.call_id,
                    decision: ReviewDecision::Denied,
                });
            }
            EventMsg::TurnCompleted(completed) => {
                return Ok(TurnEnd {
                    outcome: Outcome::Completed,
                    last_message: completed.last_agent_message.or(last_message),
                    hard_exit: false,
                });
            }
            EventMsg::TurnStopped(_) => {
                return Ok(TurnEnd {
                    outcome: Outcome::BudgetStopped,
                    last_message,
                    hard_exit: false,
                });
            }
            EventMsg::TurnFailed { .. } => return Ok(TurnEnd::new(Outcome::Failed)),
            EventMsg::TurnAborted { .. } => return Ok(TurnEnd::new(Outcome::Interrupted)),
            _ => {}
        }
    }
}

/// Ask the session to finish and wait for it, within `grace` and until a
/// Ctrl+C. Events after the turn are not shown, except warnings and errors
/// (a save that failed while the session finished writing: the user must
/// hear that the session id they were shown is not saved), which go to
/// `stderr`, control characters escaped.
pub async fn shut_down(session: &mut impl Session, grace: Duration, stderr: &mut dyn Write) {
    let report = |event: &Event| match &event.msg {
        EventMsg::Warning { message } => {
            let message = duet_protocol::display::visible_text(message);
            let _ = writeln!(stderr, "warning: {message}");
        }
        EventMsg::Error { message } => {
            let message = duet_protocol::display::visible_text(message);
            let _ = writeln!(stderr, "error: {message}");
        }
        _ => {}
    };
    tokio::select! {
        () = duet_core::shutdown(session, grace, report) => {}
        () = stop_signal() => {}
    }
}

/// Resolves at the next Ctrl+C (`SIGINT`), `SIGTERM` or `SIGHUP`: each asks
/// duet to stop like an interrupt (the command is killed with everything it
/// started, the turn saved as interrupted), where the default action would
/// end duet at once and leave both behind.
///
/// The signals are received by one task for the whole process (installed
/// on first use): a handler, once installed, stays for the life of the
/// process, so a signal must never find nobody listening.
async fn stop_signal() {
    use tokio::signal::unix::{SignalKind, signal};
    use tokio::sync::watch;
    static STOPS: std::sync::OnceLock<watch::Sender<u64>> = std::sync::OnceLock::new();
    let sender = STOPS.get_or_init(|| {
        let (sender, _) = watch::channel(0u64);
        let counter = sender.clone();
        let streams = (
            signal(SignalKind::terminate()),
            signal(SignalKind::hangup()),
        );
        tokio::spawn(async move {
            let (Ok(mut terminate), Ok(mut hangup)) = streams else {
                // No signal driver: Ctrl+C alone, as before.
                while tokio::signal::ctrl_c().await.is_ok() {
                    counter.send_modify(|count| *count += 1);
                }
                return;
            };
            loop {
                tokio::select! {
                    result = tokio::signal::ctrl_c() => if result.is_err() { return },
                    _ = terminate.recv() => {}
                    _ = hangup.recv() => {}
                }
                counter.send_modify(|count| *count += 1);
            }
        });
        sender
    });
    let mut stops = sender.subscribe();
    let _ = stops.changed().await;
}

async fn sleep_until(deadline: Option<tokio::time::Instant>) {
    match deadline {
        Some(deadline) => tokio::time::sleep_until(deadline).await,
        None => std::future::pending().await,
    }
}

/// Print what the renderer makes of `event`. Only a stdout failure (the JSON
/// stream's reader went away) is an error; stderr problems are ignored.
fn emit(
    renderer: &mut Renderer,
    output: &mut Output<'_>,
    event: &Event,
    elapsed: Duration,
) -> std::io::Result<()> {
    match renderer {
        Renderer::Json(json) => {
            for line in json.render(event) {
                writeln!(output.stdout, "{line}")?;
                output.stdout.flush()?;
            }
        }
        Renderer::Human(human) => {
            let text = human.render(event, elapsed);
            if !text.is_empty() {
                let _ = output.stderr.write_all(text.as_bytes());
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fixtures;
    use crate::human::HumanOptions;
    use duet_core::SessionError;
    use duet_protocol::{ExecApprovalRequest, TurnCompleted, Usage};
    use pretty_assertions::assert_eq;
    use std::cell::RefCell;
    use std::collections::VecDeque;

    /// A session that replays events and records the ops it is sent.
    struct Scripted {
        events: VecDeque<Event>,
        ops: RefCell<Vec<Op>>,
    }

    impl Scripted {
        fn new(events: Vec<Event>) -> Self {
            Scripted {
                events: events.into(),
                ops: RefCell::new(Vec::new()),
            }
        }
    }

    impl Session for Scripted {
        fn submit(&self, op: Op) -> Result<(), SessionError> {
            self.ops.borrow_mut().push(op);
            Ok(())
        }

        async fn next_event(&mut self) -> Option<Event> {
            self.events.pop_front()
        }
    }

    /// Drive `events` through the loop; returns the end, stdout, stderr, ops.
    async fn drive(events: Vec<Event>, json: bool) -> (TurnEnd, String, String, Vec<Op>) {
        let mut session = Scripted::new(events);
        let mut renderer = if json {
            Renderer::Json(JsonRenderer::new())
        } else {
            Renderer::Human(Box::new(HumanRenderer::new(HumanOptions {
                color: false,
                prompt: "p".into(),
                version: "0".into(),
            })))
        };
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let mut output = Output {
            stdout: &mut stdout,
            stderr: &mut stderr,
        };
        let end = drive_turn(&mut session, &mut renderer, &mut output, Instant::now())
            .await
            .unwrap();
        let text = |bytes: Vec<u8>| String::from_utf8(bytes).unwrap();
        (end, text(stdout), text(stderr), session.ops.into_inner())
    }

    #[tokio::test]
    async fn a_completed_turn_keeps_the_last_message() {
        let (end, stdout, _, ops) = drive(fixtures::successful_turn(), true).await;
        assert_eq!(
            end,
            TurnEnd {
                outcome: Outcome::Completed,
                last_message: Some("Done: created hello.txt.".into()),
                hard_exit: false
            }
        );
        let mut json = JsonRenderer::new();
        let expected: String = fixtures::successful_turn()
            .iter()
            .flat_map(|event| json.render(event))
            .map(|line| line + "\n")
            .collect();
        assert_eq!((stdout, ops), (expected, vec![]));
    }

    #[tokio::test]
    async fn a_failed_turn_ends_with_failed_and_human_output_stays_off_stdout() {
        let (end, stdout, stderr, _) = drive(fixtures::failed_turn_with_retries(), false).await;
        assert_eq!(
            (end, stdout),
            (TurnEnd::new(Outcome::Failed), String::new())
        );
        assert!(
            stderr.ends_with("ERROR: exceeded retry limit, last status: 429 Too Many Requests\n")
        );
    }

    #[tokio::test]
    async fn an_aborted_turn_is_interrupted() {
        let (end, ..) = drive(fixtures::interrupted_turn(), true).await;
        assert_eq!(end, TurnEnd::new(Outcome::Interrupted));
    }

    #[tokio::test]
    async fn approval_requests_are_denied_and_the_message_falls_back_to_the_last_item() {
        let mut events = fixtures::successful_turn();
        let completed = events.pop().unwrap();
        events.push(Event {
            turn_id: None,
            msg: EventMsg::ExecApprovalRequest(ExecApprovalRequest {
                call_id: "c1".into(),
                command: "rm -rf /".into(),
                cwd: "/".into(),
                justification: None,
                proposed_rule: None,
            }),
        });
        assert!(matches!(completed.msg, EventMsg::TurnCompleted(_)));
        events.push(Event {
            turn_id: None,
            msg: EventMsg::TurnCompleted(TurnCompleted {
                usage: Usage::default(),
                turn_usage: Usage::default(),
                last_agent_message: None,
                cost_usd: None,
                turn_cost_usd: None,
            }),
        });
        let (end, _, _, ops) = drive(events, true).await;
        assert_eq!(
            (end.last_message, ops),
            (
                Some("Done: created hello.txt.".to_owned()),
                vec![Op::ExecApproval {
                    call_id: "c1".into(),
                    decision: ReviewDecision::Denied
                }]
            )
        );
    }

    #[tokio::test]
    async fn a_session_that_ends_early_is_an_error() {
        let mut session = Scripted::new(vec![fixtures::thread_started()]);
        let mut renderer = Renderer::Json(JsonRenderer::new());
        let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
        let mut output = Output {
            stdout: &mut stdout,
            stderr: &mut stderr,
        };
        let error = drive_turn(&mut session, &mut renderer, &mut output, Instant::now())
            .await
            .unwrap_err();
        assert_eq!(
            error.to_string(),
            "the session ended before the turn finished: this is a bug in duet, please report it"
        );
    }

    /// A stdout whose reader has gone.
    struct ClosedPipe;

    impl Write for ClosedPipe {
        fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
            Err(std::io::ErrorKind::BrokenPipe.into())
        }

        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[tokio::test]
    async fn a_closed_stdout_ends_the_json_run_quietly() {
        let mut session = Scripted::new(fixtures::successful_turn());
        let mut renderer = Renderer::Json(JsonRenderer::new());
        let mut stderr = Vec::new();
        let mut output = Output {
            stdout: &mut ClosedPipe,
            stderr: &mut stderr,
        };
        let end = drive_turn(&mut session, &mut renderer, &mut output, Instant::now())
            .await
            .unwrap();
        assert_eq!(
            (end, stderr),
            (TurnEnd::new(Outcome::BrokenPipe), Vec::new())
        );
    }

    #[tokio::test]
    async fn shut_down_sends_shutdown_and_stops_at_shutdown_complete() {
        let done = Event {
            turn_id: None,
            msg: EventMsg::ShutdownComplete,
        };
        let mut session = Scripted::new(vec![done, fixtures::thread_started()]);
        let mut stderr = Vec::new();
        shut_down(&mut session, GRACE, &mut stderr).await;
        assert_eq!(
            (session.ops.into_inner(), session.events.len(), stderr),
            (vec![Op::Shutdown], 1, Vec::new())
        );
    }

    /// Issue 16, item 11: a save that failed while the session finished
    /// writing (a full disk) was never reported, though the session id had
    /// been shown. Warnings during shutdown reach stderr.
    #[tokio::test]
    async fn a_failed_save_during_shutdown_is_reported() {
        let warning = Event {
            turn_id: None,
            msg: EventMsg::Warning {
                message: "this session is not fully saved: database or disk is full".into(),
            },
        };
        let done = Event {
            turn_id: None,
            msg: EventMsg::ShutdownComplete,
        };
        let mut session = Scripted::new(vec![warning, done]);
        let mut stderr = Vec::new();
        shut_down(&mut session, GRACE, &mut stderr).await;
        assert_eq!(
            String::from_utf8(stderr).unwrap(),
            "warning: this session is not fully saved: database or disk is full\n"
        );
    }
}
