//! Reasoning summaries: collapsed to one line by default (the latest
//! heading while they stream), expanded or hidden by `tui.show_reasoning`,
//! and always in full in the Ctrl+T transcript pager.

mod support;

use crossterm::event::KeyCode;
use duet_protocol::{CommandStatus, EventMsg, ItemDetails};
use duet_tui::{App, ReasoningDisplay};
use support::*;

const FIRST_PART: &str = "**Checking whether the hunk offsets drift after the first header is read**\n\n\
The failing test lives in `tests/`; read it first.\n\n";
const SECOND_PART: &str = "**Reading the parser**\n\n\
`parse_hunk` reads the header twice, so every later hunk shifts by one line.";

fn reasoning_delta(text: &str) -> Step {
    core(EventMsg::ReasoningDelta {
        item_id: "item_0".into(),
        delta: text.into(),
    })
}

/// A prompt, then a reasoning summary in two parts still streaming.
fn streaming() -> Vec<Step> {
    let mut steps = vec![thread_started()];
    steps.extend(type_text("why do the hunk offsets drift?"));
    steps.push(key(KeyCode::Enter));
    steps.push(core(EventMsg::TurnStarted));
    steps.push(reasoning_delta(FIRST_PART));
    steps.push(reasoning_delta(SECOND_PART));
    steps
}

/// The whole turn: the summary finishes, a command runs, the answer comes.
fn finished_turn() -> Vec<Step> {
    let mut steps = streaming();
    steps.push(completed(
        "item_0",
        ItemDetails::Reasoning {
            text: String::new(),
        },
    ));
    let run = |status, output: &str, exit_code| ItemDetails::CommandExecution {
        command: "/bin/bash -lc 'cargo test -p parser'".into(),
        aggregated_output: output.into(),
        exit_code,
        status,
    };
    steps.push(started("item_1", run(CommandStatus::InProgress, "", None)));
    steps.push(wait_secs(1.5));
    steps.push(completed(
        "item_1",
        run(CommandStatus::Completed, "test result: ok\n", Some(0)),
    ));
    steps.extend(answer("item_2", "Fixed: the offset is reset per hunk."));
    steps.push(turn_completed());
    steps
}

fn show(display: ReasoningDisplay) -> impl FnOnce(&mut App) {
    move |app: &mut App| app.set_reasoning_display(display)
}

#[tokio::test(start_paused = true)]
async fn a_finished_summary_is_one_line_with_its_title_and_a_hint() {
    check_sizes!("collapsed", finished_turn());
}

#[tokio::test(start_paused = true)]
async fn a_streaming_summary_shows_its_latest_heading_only() {
    let run = drive(Options::inline((80, 24)), streaming()).await;
    insta::assert_snapshot!("streaming_80x24", terminal_text(&run.screen));
}

#[tokio::test(start_paused = true)]
async fn expanded_shows_the_whole_summary_and_hidden_none_of_it() {
    for (name, display) in [
        ("expanded", ReasoningDisplay::Expanded),
        ("hidden", ReasoningDisplay::Hidden),
    ] {
        let run = drive_with(Options::inline((80, 24)), show(display), finished_turn()).await;
        insta::assert_snapshot!(format!("{name}_80x24"), terminal_text(&run.screen));
    }
    let run = drive_with(
        Options::inline((80, 24)),
        show(ReasoningDisplay::Hidden),
        streaming(),
    )
    .await;
    let text = terminal_text(&run.screen);
    assert!(!text.contains("Reading the parser"), "{text}");
}

#[tokio::test(start_paused = true)]
async fn ctrl_t_opens_the_transcript_with_reasoning_in_full() {
    for (width, height) in [(80u16, 24u16), (120, 40)] {
        let mut steps = finished_turn();
        steps.push(ctrl('t'));
        let run = drive(Options::inline((width, height)), steps).await;
        assert!(run.app.pager_open());
        insta::assert_snapshot!(
            format!("transcript_pager_{width}x{height}"),
            terminal_text(&run.screen)
        );
    }
    // A resize renders it again at the new width, still at the end.
    let mut steps = finished_turn();
    steps.extend([ctrl('t'), Step::Resize(60, 12)]);
    let run = drive(Options::inline((80, 24)), steps).await;
    let text = terminal_text(&run.screen);
    let screen: Vec<&str> = text.lines().rev().take(5).collect();
    assert_eq!(
        screen,
        [
            " transcript · lines 13-23 of 23 · j/k, PgUp/PgDn to scroll …",
            "── Worked for 1.5s ────────",
            "",
            "• Fixed: the offset is reset per hunk.",
            "",
        ]
    );
    assert!(
        text.contains(
            "  parse_hunk reads the header twice, so every later hunk\n  shifts by one line."
        ),
        "{text}"
    );
    // Hidden in the scrollback, the transcript still has it; ctrl+t closes.
    let mut steps = finished_turn();
    steps.push(ctrl('t'));
    let run = drive_with(
        Options::inline((80, 24)),
        show(ReasoningDisplay::Hidden),
        steps,
    )
    .await;
    assert!(terminal_text(&run.screen).contains("  parse_hunk reads the header twice"));
    let mut steps = finished_turn();
    steps.extend([ctrl('t'), key(KeyCode::Char('k')), ctrl('t')]);
    steps.extend(type_text("hi"));
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(
        (run.app.pager_open(), run.app.composer_text()),
        (false, "hi")
    );
}

#[tokio::test(start_paused = true)]
async fn the_transcript_keeps_the_last_500_turns_and_says_so() {
    let mut steps = vec![thread_started()];
    for n in 0..501 {
        steps.push(paste(&format!("prompt {n}")));
        steps.push(key(KeyCode::Enter));
        steps.push(turn_completed());
    }
    steps.extend([ctrl('t'), key(KeyCode::Char('g'))]);
    let run = drive(Options::inline((80, 24)), steps).await;
    let screen = terminal_text(&run.screen);
    let screen = screen.split_once(" screen ─").map_or("", |(_, s)| s);
    let top: Vec<&str> = screen.lines().skip(1).take(3).collect();
    assert_eq!(
        top,
        [
            "• 1 earlier turn is left out: the transcript keeps the last 500 turns",
            "",
            "› prompt 1",
        ]
    );
}
