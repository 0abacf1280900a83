//! Resizes in inline mode: the transcript re-wrapped from the cells' kept
//! parses is the transcript drawn fresh at the new width, and a burst of
//! resize events between two frames re-wraps once.

mod support;

use crossterm::event::{Event as TermEvent, KeyCode};
use duet_protocol::{
    CommandStatus, EventMsg, FileChange, FileChangeKind, ItemDetails, PatchStatus,
};
use duet_tui::{App, AppOptions, Input, PurgeScrollback, ReasoningDisplay, Screen, Theme};
use pretty_assertions::assert_eq;
use ratatui::backend::{Backend, ClearType, TestBackend, WindowSize};
use ratatui::buffer::Cell;
use ratatui::layout::{Position, Size};
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use std::io;
use support::{Step, completed, core, key, started, thread_started, turn_completed, type_text};
use tokio::time::Instant;

const ANSWER: &str = "# Plan\n\nThe parser now skips a **trailing comma** in `parse_list`, \
and a [test](https://example.com/tests) covers it; this sentence is long enough to wrap \
at every width tried.\n\n```rust\nfn parse_list(input: &str) -> Vec<Item> {\n    \
input.split(',').filter(|s| !s.is_empty()).map(Item::from).collect()\n}\n```\n\n\
1. first step, which also wraps when the terminal is narrow enough\n2. second\n   \
- nested, with a code block:\n\n     ```sh\n     cargo test -p parser --all-targets -- --nocapture\n     ```\n\n\
> a quote that runs on for a while, so that it wraps too\n\n---\n\n| a | b |\n|---|---|\n| 1 | 2 |\n";

const DIFF: &str = "@@ -1,3 +1,4 @@\n fn parse_list(input: &str) -> Vec<Item> {\n\
-    input.split(',').map(Item::from).collect()\n\
+    input.split(',').filter(|s| !s.is_empty()).map(Item::from).collect()\n\
+    // a trailing comma gives an empty piece, which is not an item\n }\n";

/// A turn with every kind of width-dependent cell: a prompt, an expanded
/// reasoning summary, a command with output, a Markdown answer with code
/// blocks, and a patch with its diff.
fn turn() -> Vec<Step> {
    let mut steps = vec![thread_started()];
    steps.extend(type_text(
        "make the parser accept trailing commas, and say what changed in a sentence that wraps",
    ));
    steps.push(key(KeyCode::Enter));
    steps.push(core(EventMsg::TurnStarted));
    steps.push(core(EventMsg::ReasoningDelta {
        item_id: "r".into(),
        delta: "**Finding the parser**\n\nThe list parser is in `src/parser.rs`; read it first, \
                then the tests that cover it."
            .into(),
    }));
    steps.push(completed(
        "r",
        ItemDetails::Reasoning {
            text: String::new(),
        },
    ));
    let command = |status, output: &str, exit_code| ItemDetails::CommandExecution {
        command: "cargo test -p parser --all-targets -- trailing_comma".into(),
        aggregated_output: output.into(),
        exit_code,
        status,
    };
    steps.push(started("c", command(CommandStatus::InProgress, "", None)));
    steps.push(completed(
        "c",
        command(
            CommandStatus::Completed,
            "running 3 tests\ntest trailing_comma ... ok\ntest empty ... ok\ntest nested lists of items ... ok\n",
            Some(0),
        ),
    ));
    steps.push(completed(
        "a",
        ItemDetails::AgentMessage {
            text: ANSWER.into(),
        },
    ));
    let patch = |status| ItemDetails::FileChange {
        changes: vec![FileChange {
            path: "src/parser.rs".into(),
            kind: FileChangeKind::Update,
            diff: Some(DIFF.into()),
        }],
        status,
    };
    steps.push(started("p", patch(PatchStatus::InProgress)));
    steps.push(completed("p", patch(PatchStatus::Completed)));
    steps.push(turn_completed());
    steps
}

/// An inline, coloured app `width` columns by 30 rows, with nothing in it.
fn new_app(width: u16, now: Instant) -> App {
    App::new(
        AppOptions {
            theme: Theme::new(true),
            alt_screen: false,
            version: "0.1.0".into(),
            history_path: None,
            initial_prompt: None,
            initial_images: Vec::new(),
            size: (width, 30),
        },
        now,
    )
}

/// An app `width` columns wide that has had [`turn`]; the clock stands
/// still, so the turn's duration is the same in every app.
fn app(width: u16) -> App {
    let now = Instant::now();
    let mut app = new_app(width, now);
    app.set_reasoning_display(ReasoningDisplay::Expanded);
    for step in turn() {
        if let Step::Input(input) = step {
            app.update(input, now);
        }
    }
    app
}

#[test]
fn a_transcript_rewrapped_from_the_kept_parses_equals_one_drawn_fresh() {
    // Drawn at 100 columns (every cell parsed and kept), then resized.
    let mut resized = app(100);
    let first = resized.take_history_lines();
    assert_eq!(first, app(100).transcript_lines());
    for width in [40, 57, 80, 133, 100] {
        resized.update(
            Input::Terminal(TermEvent::Resize(width, 30)),
            Instant::now(),
        );
        assert!(resized.take_redraw_all());
        let rewrapped = resized.transcript_lines();
        assert_eq!(
            rewrapped,
            app(width).take_history_lines(),
            "at {width} columns"
        );
    }
}

/// `turns` turns typed and answered (`step N`, numbered from `first`).
fn typed_turns(width: u16, first: usize, turns: usize) -> App {
    let now = Instant::now();
    let mut app = new_app(width, now);
    for n in first..first + turns {
        let mut steps = type_text(&format!("step {n}"));
        steps.push(key(KeyCode::Enter));
        steps.push(completed(
            &format!("a{n}"),
            ItemDetails::AgentMessage {
                text: format!("Did **step {n}**:\n\n```rust\nfn step_{n}() {{}}\n```\n"),
            },
        ));
        steps.push(turn_completed());
        for step in steps {
            if let Step::Input(input) = step {
                app.update(input, now);
            }
        }
    }
    app
}

#[test]
fn a_resize_redraws_the_last_500_turns_and_says_how_many_it_left_out() {
    let mut app = typed_turns(80, 0, 502);
    app.update(Input::Terminal(TermEvent::Resize(100, 30)), Instant::now());
    let mut expected = vec![
        Line::default(),
        Line::from(vec![
            Span::styled("• ", Style::new().dim()),
            Span::styled(
                "2 earlier turns are left out: a resize redraws the last 500 turns",
                Style::new().dim(),
            ),
        ]),
    ];
    expected.extend(typed_turns(100, 2, 500).transcript_lines());
    assert_eq!(app.transcript_lines(), expected);
}

/// A `TestBackend` that counts how often the scrollback is purged: once
/// per re-wrap of the transcript.
struct CountingBackend {
    inner: TestBackend,
    purges: usize,
}

impl Backend for CountingBackend {
    type Error = std::convert::Infallible;

    fn draw<'a, I>(&mut self, content: I) -> Result<(), Self::Error>
    where
        I: Iterator<Item = (u16, u16, &'a Cell)>,
    {
        self.inner.draw(content)
    }
    fn hide_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.hide_cursor()
    }
    fn show_cursor(&mut self) -> Result<(), Self::Error> {
        self.inner.show_cursor()
    }
    fn get_cursor_position(&mut self) -> Result<Position, Self::Error> {
        self.inner.get_cursor_position()
    }
    fn set_cursor_position<P: Into<Position>>(&mut self, position: P) -> Result<(), Self::Error> {
        self.inner.set_cursor_position(position)
    }
    fn clear(&mut self) -> Result<(), Self::Error> {
        self.inner.clear()
    }
    fn clear_region(&mut self, clear_type: ClearType) -> Result<(), Self::Error> {
        self.inner.clear_region(clear_type)
    }
    fn size(&self) -> Result<Size, Self::Error> {
        self.inner.size()
    }
    fn window_size(&mut self) -> Result<WindowSize, Self::Error> {
        self.inner.window_size()
    }
    fn flush(&mut self) -> Result<(), Self::Error> {
        self.inner.flush()
    }
    fn scroll_region_up(
        &mut self,
        region: std::ops::Range<u16>,
        count: u16,
    ) -> Result<(), Self::Error> {
        self.inner.scroll_region_up(region, count)
    }
    fn scroll_region_down(
        &mut self,
        region: std::ops::Range<u16>,
        count: u16,
    ) -> Result<(), Self::Error> {
        self.inner.scroll_region_down(region, count)
    }
}

impl PurgeScrollback for CountingBackend {
    fn purge_scrollback(&mut self) -> io::Result<()> {
        self.purges += 1;
        Ok(())
    }
}

#[tokio::test(start_paused = true)]
async fn a_burst_of_resizes_between_two_frames_rewraps_once() {
    let backend = CountingBackend {
        inner: TestBackend::new(80, 30),
        purges: 0,
    };
    let mut screen = Screen::inline(backend, 0).expect("a test backend has a size");
    let mut app = app(80);
    let (tx, _rx) = tokio::sync::mpsc::unbounded_channel();
    let mut nothing = futures::stream::empty();
    duet_tui::run_loop(&mut app, &mut screen, &mut nothing, &tx)
        .await
        .expect("a test backend does not fail");
    // The terminal is already at its last size when the events arrive.
    screen.backend_mut().inner.resize(50, 30);
    let events = [(70, 30), (60, 30), (50, 30)]
        .map(|(width, height)| Input::Terminal(TermEvent::Resize(width, height)));
    let mut inputs = futures::stream::iter(events);
    duet_tui::run_loop(&mut app, &mut screen, &mut inputs, &tx)
        .await
        .expect("a test backend does not fail");
    assert_eq!(screen.backend().purges, 1);
}
