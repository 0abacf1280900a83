//! The flow-test harness: a script of keys, pastes, session events, waits
//! and resizes, pushed through the real `run_loop` onto a `TestBackend`;
//! the requests the app sent are recorded, and the terminal (scrollback,
//! then screen) is turned into text for snapshots.

#![allow(dead_code, reason = "each test binary uses part of the harness")]
#![allow(clippy::unwrap_used, reason = "test harness: a failure should panic")]
#![allow(clippy::large_enum_variant, reason = "test scripts are short")]

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use duet_protocol::{
    ApprovalPolicy, Event, EventMsg, Item, ItemDetails, ReasoningEffort, SandboxMode,
    ThreadStarted, TokenCount, TurnCompleted, Usage,
};
use duet_tui::{App, AppOptions, Input, Outgoing, Screen, Theme, run_loop};
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::style::Color;
use std::time::Duration;
use tokio::sync::mpsc;

pub const THREAD_ID: &str = "019a0000-0000-7000-8000-00000000abcd";

pub enum Step {
    Input(Input),
    /// Let this much (paused) time pass.
    Wait(Duration),
    /// The terminal changes size (the backend, then the resize event).
    Resize(u16, u16),
}

pub fn key(code: KeyCode) -> Step {
    Step::Input(Input::Terminal(TermEvent::Key(KeyEvent::new(
        code,
        KeyModifiers::NONE,
    ))))
}

pub fn ctrl(ch: char) -> Step {
    Step::Input(Input::Terminal(TermEvent::Key(KeyEvent::new(
        KeyCode::Char(ch),
        KeyModifiers::CONTROL,
    ))))
}

pub fn shift_enter() -> Step {
    Step::Input(Input::Terminal(TermEvent::Key(KeyEvent::new(
        KeyCode::Enter,
        KeyModifiers::SHIFT,
    ))))
}

/// Typing `text`, one key per character.
pub fn type_text(text: &str) -> Vec<Step> {
    text.chars().map(|ch| key(KeyCode::Char(ch))).collect()
}

pub fn paste(text: &str) -> Step {
    Step::Input(Input::Terminal(TermEvent::Paste(text.to_owned())))
}

pub fn core(msg: EventMsg) -> Step {
    Step::Input(Input::Core(Event { turn_id: None, msg }))
}

pub fn wait_secs(secs: f64) -> Step {
    Step::Wait(Duration::from_secs_f64(secs))
}

pub fn thread_started() -> Step {
    core(EventMsg::ThreadStarted(ThreadStarted {
        thread_id: THREAD_ID.into(),
        model: "gpt-5.5".into(),
        provider: "openai".into(),
        cwd: "/repo".into(),
        sandbox: SandboxMode::WorkspaceWrite,
        approval: ApprovalPolicy::OnRequest,
        writable_roots: vec!["/repo".into()],
        reasoning_effort: Some(ReasoningEffort::High),
        reasoning_summary: None,
    }))
}

pub fn item(id: &str, details: ItemDetails) -> Item {
    Item {
        id: id.into(),
        details,
    }
}

pub fn started(id: &str, details: ItemDetails) -> Step {
    core(EventMsg::ItemStarted {
        item: item(id, details),
    })
}

pub fn completed(id: &str, details: ItemDetails) -> Step {
    core(EventMsg::ItemCompleted {
        item: item(id, details),
    })
}

pub fn delta(id: &str, text: &str) -> Step {
    core(EventMsg::AgentMessageDelta {
        item_id: id.into(),
        delta: text.into(),
    })
}

pub fn tokens(input: u64, output: u64) -> Step {
    let usage = Usage {
        input_tokens: input,
        output_tokens: output,
        ..Usage::default()
    };
    core(EventMsg::TokenCount(TokenCount {
        last: usage,
        total: usage,
        context_tokens: input + output,
        context_window: 272_000,
        cost_usd: None,
    }))
}

pub fn turn_completed() -> Step {
    core(EventMsg::TurnCompleted(TurnCompleted {
        usage: Usage {
            input_tokens: 24_000,
            output_tokens: 1_200,
            ..Usage::default()
        },
        turn_usage: Usage::default(),
        last_agent_message: None,
        cost_usd: None,
        turn_cost_usd: None,
    }))
}

/// An answer streamed in a few deltas, then completed.
pub fn answer(id: &str, text: &str) -> Vec<Step> {
    let mut steps: Vec<Step> = text
        .split_inclusive('\n')
        .map(|piece| delta(id, piece))
        .collect();
    steps.push(completed(
        id,
        ItemDetails::AgentMessage { text: text.into() },
    ));
    steps
}

pub struct Options {
    pub size: (u16, u16),
    pub alt_screen: bool,
    pub color: bool,
    pub history_path: Option<std::path::PathBuf>,
}

impl Options {
    pub fn inline(size: (u16, u16)) -> Options {
        Options {
            size,
            alt_screen: false,
            color: true,
            history_path: None,
        }
    }
}

pub struct Run {
    pub screen: Screen<TestBackend>,
    pub sent: Vec<Outgoing>,
    pub app: App,
}

/// Run `steps` through the loop; the loop ends when they run out (or the app quits).
pub async fn drive(options: Options, steps: Vec<Step>) -> Run {
    drive_with(options, |_| {}, steps).await
}

/// [`drive`], with `configure` applied to the app before the loop starts
/// (what `run.rs` does with the config's `[tui]` keys).
pub async fn drive_with(
    options: Options,
    configure: impl FnOnce(&mut App),
    steps: Vec<Step>,
) -> Run {
    let (width, height) = options.size;
    let mut screen = if options.alt_screen {
        Screen::alt_screen(TestBackend::new(width, height)).unwrap()
    } else {
        Screen::inline(TestBackend::new(width, height), 0).unwrap()
    };
    let mut app = App::new(
        AppOptions {
            theme: Theme::new(options.color),
            alt_screen: options.alt_screen,
            version: "0.1.0".into(),
            history_path: options.history_path,
            initial_prompt: None,
            initial_images: Vec::new(),
            size: options.size,
        },
        tokio::time::Instant::now(),
    );
    configure(&mut app);
    let (tx, mut rx) = mpsc::unbounded_channel();
    let mut segment = Vec::new();
    let mut steps = steps.into_iter();
    loop {
        let next = steps.next();
        let resize = match next {
            Some(Step::Resize(w, h)) => Some((w, h)),
            Some(step) => {
                segment.push(step);
                continue;
            }
            None => None,
        };
        let mut inputs = std::pin::pin!(script(std::mem::take(&mut segment)));
        run_loop(&mut app, &mut screen, &mut inputs, &tx)
            .await
            .unwrap();
        match resize {
            Some((w, h)) => {
                screen.backend_mut().resize(w, h);
                segment.push(Step::Input(Input::Terminal(TermEvent::Resize(w, h))));
            }
            None => break,
        }
        if app.should_quit() {
            break;
        }
    }
    drop(tx);
    let mut sent = Vec::new();
    while let Some(request) = rx.recv().await {
        sent.push(request);
    }
    Run { screen, sent, app }
}

fn script(steps: Vec<Step>) -> impl futures::Stream<Item = Input> {
    futures::stream::unfold(steps.into_iter(), |mut steps| async move {
        loop {
            match steps.next()? {
                Step::Input(input) => return Some((input, steps)),
                Step::Wait(duration) => tokio::time::sleep(duration).await,
                Step::Resize(..) => unreachable!("resizes split the script"),
            }
        }
    })
}

fn buffer_rows(buffer: &Buffer) -> Vec<String> {
    let width = usize::from(buffer.area.width);
    buffer
        .content
        .chunks(width.max(1))
        .map(|row| {
            let mut text = String::new();
            let mut skip = 0;
            for cell in row {
                if skip > 0 {
                    skip -= 1;
                    continue;
                }
                text.push_str(cell.symbol());
                skip = unicode_width::UnicodeWidthStr::width(cell.symbol()).saturating_sub(1);
            }
            text.trim_end().to_owned()
        })
        .collect()
}

/// The scrollback, a rule, then the screen; trailing blank screen rows dropped.
pub fn terminal_text(screen: &Screen<TestBackend>) -> String {
    let backend = screen.backend();
    let mut out = buffer_rows(backend.scrollback());
    out.push(format!("{:─^30}", " screen "));
    let mut rows = buffer_rows(backend.buffer());
    while rows.last().is_some_and(String::is_empty) {
        rows.pop();
    }
    out.extend(rows);
    out.join("\n")
}

/// Every foreground and background colour on the terminal (scrollback and screen).
pub fn colors_used(screen: &Screen<TestBackend>) -> Vec<Color> {
    let backend = screen.backend();
    let mut colors: Vec<Color> = backend
        .scrollback()
        .content
        .iter()
        .chain(backend.buffer().content.iter())
        .flat_map(|cell| [cell.fg, cell.bg])
        .filter(|color| *color != Color::Reset)
        .collect();
    colors.sort_by_key(|c| format!("{c:?}"));
    colors.dedup();
    colors
}

/// Run `steps` (made fresh for each size) at 80x24 and 120x40 and snapshot both.
#[macro_export]
macro_rules! check_sizes {
    ($name:expr, $steps:expr) => {{
        for (width, height) in [(80u16, 24u16), (120, 40)] {
            let run =
                $crate::support::drive($crate::support::Options::inline((width, height)), $steps)
                    .await;
            insta::assert_snapshot!(
                format!("{}_{}x{}", $name, width, height),
                $crate::support::terminal_text(&run.screen)
            );
        }
    }};
}
