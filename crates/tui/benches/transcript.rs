//! The TUI over a long transcript (5,000 turns: a prompt, a Markdown answer
//! with a code block, a command with output): drawing it when a session
//! is resumed, one streaming frame (a delta then a draw) inline and
//! full-screen, and re-wrapping it all after a resize. Prints the resident
//! memory the transcript adds. `cargo bench -p duet-tui --bench transcript`.

#![allow(clippy::unwrap_used, clippy::print_stderr, reason = "a benchmark")]

use criterion::{Criterion, criterion_group, criterion_main};
use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use duet_core::sessions::{ThreadRecord, Transcript, TranscriptTurn, UsageTotals};
use duet_protocol::{
    ApprovalPolicy, CommandStatus, Event, EventMsg, Item, ItemDetails, SandboxMode, ThreadStarted,
    TurnCompleted, Usage,
};
use duet_tui::{App, AppOptions, Input, Screen, Theme};
use ratatui::backend::{Backend, ClearType, CrosstermBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use std::io;
use std::time::Duration;
use tokio::time::Instant;

const TURNS: usize = 5_000;
const THREAD: &str = "019a0000-0000-7000-8000-00000000beef";

fn item(id: String, details: ItemDetails) -> Item {
    Item { id, details }
}

fn transcript() -> Transcript {
    let turns = (0..TURNS)
        .map(|n| TranscriptTurn {
            turn_id: format!("t{n}"),
            record: None,
            items: Vec::new(),
            display: vec![
                item(
                    format!("p{n}"),
                    ItemDetails::UserMessage {
                        text: format!("step {n}: make the parser accept trailing commas"),
                    },
                ),
                item(
                    format!("c{n}"),
                    ItemDetails::CommandExecution {
                        command: format!("cargo test -p parser case_{n}"),
                        aggregated_output: "running 3 tests\ntest a ... ok\ntest b ... ok\ntest c ... ok\n".into(),
                        exit_code: Some(0),
                        status: CommandStatus::Completed,
                    },
                ),
                item(
                    format!("a{n}"),
                    ItemDetails::AgentMessage {
                        text: format!(
                            "Done with **step {n}**: the parser now skips a trailing comma in \
                             `parse_list`, and a test covers it.\n\n```rust\nfn parse_list(input: &str) -> Vec<Item> {{\n    input.split(',').filter(|s| !s.is_empty()).map(Item::from).collect()\n}}\n```\n\n- one\n- two\n"
                        ),
                    },
                ),
            ],
        })
        .collect();
    Transcript {
        thread: ThreadRecord {
            id: THREAD.into(),
            created_at_ms: 0,
            updated_at_ms: 0,
            cwd: "/repo".into(),
            model: "gpt-5.5".into(),
            provider: "openai".into(),
            sandbox_mode: "workspace-write".into(),
            approval_policy: "on-request".into(),
            name: None,
            title: None,
            archived: false,
            usage: UsageTotals::default(),
            parent_thread_id: None,
            fork_point: None,
            git_branch: None,
            git_commit: None,
            git_origin: None,
            source: "tui".into(),
        },
        turns,
    }
}

fn core(msg: EventMsg) -> Input {
    Input::Core(Event { turn_id: None, msg })
}

fn started() -> Input {
    core(EventMsg::ThreadStarted(ThreadStarted {
        thread_id: THREAD.into(),
        model: "gpt-5.5".into(),
        provider: "openai".into(),
        cwd: "/repo".into(),
        sandbox: SandboxMode::WorkspaceWrite,
        approval: ApprovalPolicy::OnRequest,
        writable_roots: Vec::new(),
        reasoning_effort: None,
        reasoning_summary: None,
    }))
}

/// A terminal that formats every escape sequence as crossterm would and
/// throws the bytes away: the real drawing cost, no real terminal, and no
/// scrollback growing in memory (as `TestBackend`'s would).
struct AnsiSink {
    inner: CrosstermBackend<io::Sink>,
    size: Size,
    cursor: Position,
}

impl AnsiSink {
    fn new(width: u16, height: u16) -> AnsiSink {
        AnsiSink {
            inner: CrosstermBackend::new(io::sink()),
            size: Size::new(width, height),
            cursor: Position::ORIGIN,
        }
    }

    fn resize(&mut self, width: u16, height: u16) {
        self.size = Size::new(width, height);
    }
}

impl Backend for AnsiSink {
    type Error = io::Error;

    fn draw<'a, I>(&mut self, content: I) -> io::Result<()>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> io::Result<()> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> io::Result<()> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> io::Result<Position> {
        Ok(self.cursor)
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> io::Result<()> {
        self.cursor = position.into();
        self.inner.set_cursor_position(self.cursor)
    }
    fn clear(&mut self) -> io::Result<()> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> io::Result<()> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> io::Result<Size> {
        Ok(self.size)
    }
    fn window_size(&mut self) -> io::Result<WindowSize> {
        Ok(WindowSize {
            columns_rows: self.size,
            pixels: Size::default(),
        })
    }
    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
    fn scroll_region_up(&mut self, region: std::ops::Range<u16>, count: u16) -> io::Result<()> {
        self.inner.scroll_region_up(region, count)
    }
    fn scroll_region_down(&mut self, region: std::ops::Range<u16>, count: u16) -> io::Result<()> {
        self.inner.scroll_region_down(region, count)
    }
}

impl duet_tui::PurgeScrollback for AnsiSink {
    fn purge_scrollback(&mut self) -> io::Result<()> {
        self.inner.purge_scrollback()
    }
}

/// An app with the whole transcript drawn, as after `duet resume`.
fn resumed(alt_screen: bool, transcript: &Transcript) -> (App, Screen<AnsiSink>) {
    let now = Instant::now();
    let mut app = App::new(
        AppOptions {
            theme: Theme::new(true),
            alt_screen,
            version: "0.1.0".into(),
            history_path: None,
            initial_prompt: None,
            initial_images: Vec::new(),
            size: (120, 40),
        },
        now,
    );
    let backend = AnsiSink::new(120, 40);
    let mut screen = if alt_screen {
        Screen::alt_screen(backend).unwrap()
    } else {
        Screen::inline(backend, 0).unwrap()
    };
    app.update(Input::Transcript(Box::new(transcript.clone())), now);
    app.update(started(), now);
    screen.insert_history(app.take_history_lines()).unwrap();
    screen.draw(&app).unwrap();
    (app, screen)
}

/// An app that has had every turn of `transcript` as live events (all
/// 5,000 turns are cells, not only the last 500 a resume draws), its
/// history written to the terminal.
fn live_turns(transcript: &Transcript) -> (App, Screen<AnsiSink>) {
    let (mut app, mut screen) = resumed(
        false,
        &Transcript {
            turns: Vec::new(),
            ..transcript.clone()
        },
    );
    let now = Instant::now();
    for turn in &transcript.turns {
        for item in &turn.display {
            if let ItemDetails::UserMessage { text } = &item.details {
                // Typed and sent, as a user would.
                app.update(Input::Terminal(TermEvent::Paste(text.clone())), now);
                let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
                app.update(Input::Terminal(TermEvent::Key(enter)), now);
                continue;
            }
            app.update(core(EventMsg::ItemStarted { item: item.clone() }), now);
            app.update(core(EventMsg::ItemCompleted { item: item.clone() }), now);
        }
        app.update(
            core(EventMsg::TurnCompleted(TurnCompleted {
                usage: Usage::default(),
                turn_usage: Usage::default(),
                last_agent_message: None,
                cost_usd: None,
                turn_cost_usd: None,
            })),
            now,
        );
        screen.insert_history(app.take_history_lines()).unwrap();
    }
    (app, screen)
}

/// One delta of a streamed answer, then what the loop does after it. An
/// answer is about 400 deltas (some 2,000 tokens) with a paragraph break
/// every 8, then completes and the next starts, as in a real session.
fn stream_frame(app: &mut App, screen: &mut Screen<AnsiSink>, n: &mut u64) {
    let item_id = format!("live{}", *n / 400);
    let now = Instant::now();
    if n.is_multiple_of(400) {
        app.update(
            core(EventMsg::ItemStarted {
                item: item(
                    item_id.clone(),
                    ItemDetails::AgentMessage {
                        text: String::new(),
                    },
                ),
            }),
            now,
        );
    }
    *n += 1;
    let delta = if n.is_multiple_of(8) {
        " word\n\n"
    } else {
        " word"
    };
    app.update(
        core(EventMsg::AgentMessageDelta {
            item_id: item_id.clone(),
            delta: delta.into(),
        }),
        now,
    );
    if n.is_multiple_of(400) {
        app.update(
            core(EventMsg::ItemCompleted {
                item: item(
                    item_id,
                    ItemDetails::AgentMessage {
                        text: "done".into(),
                    },
                ),
            }),
            now,
        );
    }
    screen.insert_history(app.take_history_lines()).unwrap();
    screen.draw(app).unwrap();
}

fn resident_kib() -> u64 {
    std::fs::read_to_string("/proc/self/statm")
        .ok()
        .and_then(|statm| statm.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * 4)
}

fn bench(c: &mut Criterion) {
    let transcript = transcript();
    let before = resident_kib();
    let kept = resumed(true, &transcript);
    eprintln!(
        "resident memory added by resuming a {TURNS}-turn thread (alt-screen, lines cached): {} MiB",
        (resident_kib().saturating_sub(before)) / 1024
    );
    drop(kept);
    let before = resident_kib();
    let live = live_turns(&transcript);
    eprintln!(
        "resident memory added by {TURNS} live turns (inline, parses kept for the last 500): {} MiB",
        (resident_kib().saturating_sub(before)) / 1024
    );
    drop(live);

    let mut group = c.benchmark_group("tui");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function(
        "resume a 5,000-turn thread (its last 500 turns drawn, inline)",
        |b| {
            b.iter(|| resumed(false, &transcript));
        },
    );
    // A frame must not cost more after 5,000 turns than after 50.
    let short = Transcript {
        turns: transcript.turns[..50].to_vec(),
        ..transcript.clone()
    };
    for (turns, stored) in [(50, &short), (TURNS, &transcript)] {
        for alt_screen in [false, true] {
            let (mut app, mut screen) = resumed(alt_screen, stored);
            let mode = if alt_screen { "alt-screen" } else { "inline" };
            let mut n = 0u64;
            group.bench_function(
                format!("streaming frame after {turns} turns ({mode})"),
                |b| {
                    b.iter(|| stream_frame(&mut app, &mut screen, &mut n));
                },
            );
        }
    }
    let (mut app, mut screen) = resumed(false, &transcript);
    let mut wide = false;
    group.bench_function("resize re-wrap after resuming 5,000 turns (inline)", |b| {
        b.iter(|| {
            wide = !wide;
            let (width, height) = if wide { (120, 40) } else { (100, 40) };
            screen.backend_mut().resize(width, height);
            app.update(
                Input::Terminal(TermEvent::Resize(width, height)),
                Instant::now(),
            );
            if app.take_redraw_all() {
                screen.resized(&mut app).unwrap();
            }
            screen.draw(&app).unwrap();
        });
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
