//! Every history cell type, pushed as session events through the real
//! loop, snapshotted at 80x24 and 120x40 (scrollback, then screen).

mod support;

use duet_protocol::{
    CommandStatus, EventMsg, FileChange, FileChangeKind, ItemDetails, PatchStatus, Reconnecting,
    TodoItem,
};
use ratatui::style::Color;
use support::*;

const ANSWER: &str = "# Plan\n\nI looked at the **parser** and found the bug in `parse_hunk`:\n\n\
1. the header is read *twice*\n2. the offset is never reset, so every later hunk is shifted by one line\n\n\
```rust\nfn parse_hunk(line: &str) -> Option<Hunk> {\n    let rest = line.strip_prefix(\"@@ -\")?;\n    todo!()\n}\n```\n\n\
See [the format](https://example.com/unified-diff) for details.\n";

fn prompt_and_answer() -> Vec<Step> {
    let mut steps = vec![thread_started()];
    steps.extend(type_text("why do the hunk offsets drift?"));
    steps.push(key(crossterm::event::KeyCode::Enter));
    steps.push(core(EventMsg::TurnStarted));
    steps.extend(answer("item_1", ANSWER));
    steps.push(tokens(24_000, 1_200));
    steps.push(wait_secs(4.2));
    steps.push(turn_completed());
    steps
}

#[tokio::test(start_paused = true)]
async fn user_prompt_and_markdown_answer() {
    check_sizes!("prompt_and_answer", prompt_and_answer());
}

fn command(id: &str, cmd: &str, output: &str, exit: i32, status: CommandStatus) -> Vec<Step> {
    let details = |status, output: &str, exit_code| ItemDetails::CommandExecution {
        command: format!("/bin/bash -lc '{cmd}'"),
        aggregated_output: output.into(),
        exit_code,
        status,
    };
    vec![
        started(id, details(CommandStatus::InProgress, "", None)),
        wait_secs(1.5),
        completed(id, details(status, output, Some(exit))),
    ]
}

fn reasoning_and_commands() -> Vec<Step> {
    let mut steps = vec![thread_started(), core(EventMsg::TurnStarted)];
    steps.push(core(EventMsg::ReasoningDelta {
        item_id: "item_0".into(),
        delta: "**Finding the tests**\n\nThe failing test lives in `tests/`; read it first.".into(),
    }));
    steps.push(completed(
        "item_0",
        ItemDetails::Reasoning {
            text: String::new(),
        },
    ));
    steps.extend(command(
        "item_1",
        "cat src/parser.rs",
        "fn main() {}\n",
        0,
        CommandStatus::Completed,
    ));
    steps.extend(command(
        "item_2",
        "rg -n parse_hunk src",
        "src/parser.rs:3:fn parse_hunk\n",
        0,
        CommandStatus::Completed,
    ));
    steps.extend(command(
        "item_3",
        "ls tests",
        "a.rs\nb.rs\n",
        0,
        CommandStatus::Completed,
    ));
    let output: String = (1..=12)
        .map(|n| format!("test case_{n} ... ok\n"))
        .collect::<String>()
        + "test result: FAILED. 12 passed; 1 failed\n";
    steps.extend(command(
        "item_4",
        "cargo test -p parser",
        &output,
        101,
        CommandStatus::Failed,
    ));
    steps.extend(command(
        "item_5",
        "touch done.txt",
        "",
        0,
        CommandStatus::Completed,
    ));
    steps.push(turn_completed());
    steps
}

#[tokio::test(start_paused = true)]
async fn reasoning_explored_group_and_commands() {
    check_sizes!("reasoning_and_commands", reasoning_and_commands());
}

fn patch_plan_and_notices() -> Vec<Step> {
    let plan = |done: usize| ItemDetails::TodoList {
        items: ["Read the parser", "Fix the offset", "Run the tests"]
            .iter()
            .enumerate()
            .map(|(idx, text)| TodoItem {
                text: (*text).into(),
                completed: idx < done,
            })
            .collect(),
    };
    let change = FileChange {
        path: "src/parser.rs".into(),
        kind: FileChangeKind::Update,
        diff: Some(
            "--- a/src/parser.rs\n+++ b/src/parser.rs\n@@ -10,4 +10,4 @@\n fn parse_hunk(line: &str) {\n-    let offset = 1;\n+    let offset = 0;\n     read(line, offset)\n }\n"
                .into(),
        ),
    };
    let added = FileChange {
        path: "NOTES.md".into(),
        kind: FileChangeKind::Add,
        diff: Some(
            "--- /dev/null\n+++ b/NOTES.md\n@@ -0,0 +1,2 @@\n+# Notes\n+offsets start at zero\n"
                .into(),
        ),
    };
    vec![
        thread_started(),
        core(EventMsg::TurnStarted),
        started("item_1", plan(1)),
        core(EventMsg::ItemUpdated {
            item: item("item_1", plan(1)),
        }),
        core(EventMsg::Reconnecting(Reconnecting {
            attempt: 1,
            max_attempts: 5,
            reason: "429 Too Many Requests".into(),
            delay_ms: 200,
        })),
        started(
            "item_2",
            ItemDetails::FileChange {
                changes: vec![change.clone(), added.clone()],
                status: PatchStatus::InProgress,
            },
        ),
        completed(
            "item_2",
            ItemDetails::FileChange {
                changes: vec![change, added],
                status: PatchStatus::Completed,
            },
        ),
        core(EventMsg::ItemUpdated {
            item: item("item_1", plan(2)),
        }),
        core(EventMsg::Warning {
            message: "AGENTS.md was cut at 32 KiB".into(),
        }),
        core(EventMsg::Error {
            message: "stream disconnected before completion".into(),
        }),
        core(EventMsg::TurnFailed {
            error: duet_protocol::ErrorInfo {
                message: "stream disconnected before completion".into(),
            },
        }),
    ]
}

#[tokio::test(start_paused = true)]
async fn patch_plan_warnings_and_errors() {
    check_sizes!("patch_plan_notices", patch_plan_and_notices());
}

fn streaming() -> Vec<Step> {
    let mut steps = vec![thread_started()];
    steps.extend(type_text("go"));
    steps.push(key(crossterm::event::KeyCode::Enter));
    steps.push(wait_secs(3.5));
    steps.push(delta("item_1", "First paragraph is done.\n\n"));
    steps.push(delta("item_1", "Second paragraph is still being wri"));
    steps
}

#[tokio::test(start_paused = true)]
async fn a_streaming_answer_commits_finished_paragraphs_and_keeps_the_rest_live() {
    check_sizes!("streaming", streaming());
}

fn running_command() -> Vec<Step> {
    let mut steps = vec![thread_started(), core(EventMsg::TurnStarted)];
    steps.push(started(
        "item_1",
        ItemDetails::CommandExecution {
            command: "/bin/bash -lc 'cargo build'".into(),
            aggregated_output: String::new(),
            exit_code: None,
            status: CommandStatus::InProgress,
        },
    ));
    for n in 1..=8 {
        steps.push(core(EventMsg::CommandOutputDelta {
            item_id: "item_1".into(),
            chunk: format!("   Compiling crate_{n} v0.1.0\n"),
        }));
    }
    // Not a whole second: a tick and the end of the wait must not tie.
    steps.push(wait_secs(2.5));
    steps
}

#[tokio::test(start_paused = true)]
async fn a_running_command_shows_a_live_tail() {
    check_sizes!("running_command", running_command());
}

#[tokio::test(start_paused = true)]
async fn only_palette_colours_are_used_and_no_color_uses_none() {
    let mut steps = prompt_and_answer();
    steps.extend(reasoning_and_commands().into_iter().skip(1));
    steps.extend(patch_plan_and_notices().into_iter().skip(1));
    let colored = drive(Options::inline((100, 30)), steps).await;
    let colors = colors_used(&colored.screen);
    assert!(
        colors.contains(&Color::Green) && colors.contains(&Color::Red),
        "{colors:?}"
    );
    let named = [
        Color::Black,
        Color::Red,
        Color::Green,
        Color::Yellow,
        Color::Blue,
        Color::Magenta,
        Color::Cyan,
        Color::Gray,
        Color::DarkGray,
        Color::LightRed,
        Color::LightGreen,
        Color::LightYellow,
        Color::LightBlue,
        Color::LightMagenta,
        Color::LightCyan,
        Color::White,
    ];
    let other: Vec<&Color> = colors.iter().filter(|c| !named.contains(c)).collect();
    assert_eq!(other, Vec::<&Color>::new());

    let mut steps = prompt_and_answer();
    steps.extend(patch_plan_and_notices().into_iter().skip(1));
    let plain = drive(
        Options {
            color: false,
            ..Options::inline((100, 30))
        },
        steps,
    )
    .await;
    assert_eq!(colors_used(&plain.screen), Vec::<Color>::new());
}

#[tokio::test(start_paused = true)]
async fn alt_screen_draws_the_transcript_itself() {
    let options = Options {
        alt_screen: true,
        ..Options::inline((80, 24))
    };
    let run = drive(options, prompt_and_answer()).await;
    insta::assert_snapshot!("alt_screen_80x24", terminal_text(&run.screen));
}

#[tokio::test(start_paused = true)]
async fn a_resize_rewraps_the_transcript() {
    let mut steps = prompt_and_answer();
    steps.push(Step::Resize(50, 24));
    let run = drive(Options::inline((80, 24)), steps).await;
    let screen = ratatui::buffer::Buffer::clone(run.screen.backend().buffer());
    let rows: Vec<String> = (0..screen.area.height)
        .map(|y| {
            (0..screen.area.width)
                .map(|x| screen[(x, y)].symbol().to_owned())
                .collect::<String>()
                .trim_end()
                .to_owned()
        })
        .collect();
    insta::assert_snapshot!("resized_to_50x24", rows.join("\n"));
}

/// A compaction: one line saying why and how far it emptied the
/// context, then the hand-off the next requests carry, dim; the status
/// line's context figure follows core's count after it.
fn compaction() -> Vec<Step> {
    let mut steps = prompt_and_answer();
    steps.push(core(EventMsg::TurnStarted));
    steps.push(completed(
        "item_2",
        ItemDetails::ContextCompaction {
            trigger: duet_protocol::CompactionTrigger::Overflow,
            summary:
                "## Progress and decisions\nThe offset is now reset per hunk in `parse_hunk`.\n\
                      ## Remaining work\nRun `cargo test -p parser`.\n\n<task_state>\n\
                      duet wrote this block from the session's record; it is exact.\n\n\
                      Files changed in this session:\n- src/parser.rs\n</task_state>"
                    .into(),
            tokens_before: 271_400,
            tokens_after: 6_120,
            elided_tool_outputs: 3,
            omitted_turns: 0,
        },
    ));
    steps.push(core(EventMsg::ContextCompacted));
    steps.push(core(EventMsg::TokenCount(duet_protocol::TokenCount {
        last: duet_protocol::Usage::default(),
        total: duet_protocol::Usage {
            input_tokens: 271_400,
            cached_input_tokens: 200_000,
            output_tokens: 1_200,
            ..duet_protocol::Usage::default()
        },
        context_tokens: 6_120,
        context_window: 272_000,
        cost_usd: Some(0.1242),
    })));
    steps
}

#[tokio::test(start_paused = true)]
async fn a_compaction_shows_why_and_the_hand_off() {
    check_sizes!("compaction", compaction());
}

/// A turn a budget stopped: the reason and how to go on, then the end of
/// the turn; the status line has the session's cost.
fn budget_stop() -> Vec<Step> {
    let mut steps = vec![thread_started()];
    steps.extend(type_text("refactor the parser"));
    steps.push(key(crossterm::event::KeyCode::Enter));
    steps.push(core(EventMsg::TurnStarted));
    steps.extend(command(
        "item_1",
        "cargo test -p parser",
        "test result: ok\n",
        0,
        CommandStatus::Completed,
    ));
    steps.push(wait_secs(2.0));
    let usage = duet_protocol::Usage {
        input_tokens: 48_000,
        cached_input_tokens: 36_000,
        output_tokens: 900,
        ..duet_protocol::Usage::default()
    };
    steps.push(core(EventMsg::TurnStopped(duet_protocol::TurnStopped {
        limit: duet_protocol::BudgetLimit::MaxTurns,
        message: "stopped at the budget: 2 model requests (`--max-turns`); this turn made 2 model requests and used 48,900 tokens, $0.0321".into(),
        usage,
        turn_usage: usage,
        cost_usd: Some(0.0321),
        turn_cost_usd: Some(0.0321),
    })));
    steps
}

#[tokio::test(start_paused = true)]
async fn a_turn_stopped_by_its_budget_says_why_and_how_to_go_on() {
    check_sizes!("budget_stop", budget_stop());
}

/// Issue 16, item 8: escape sequences in command output and model text
/// (an OSC 52 clipboard write, a screen clear, a title) reached the
/// terminal. They are shown escaped; no cell holds a control character.
#[tokio::test(start_paused = true)]
async fn escape_sequences_are_shown_not_sent_to_the_terminal() {
    let injected = "\x1b]52;c;ZXZpbA==\x07\x1b[2J\x1b]0;pwned\x07";
    let mut steps = vec![thread_started(), core(EventMsg::TurnStarted)];
    steps.extend(command(
        "item_1",
        "cat page.html",
        &format!("before{injected}after\n"),
        0,
        CommandStatus::Completed,
    ));
    steps.extend(answer("item_2", &format!("done{injected}")));
    steps.push(turn_completed());
    let run = drive(Options::inline((120, 40)), steps).await;
    let backend = run.screen.backend();
    let controls: Vec<String> = backend
        .scrollback()
        .content
        .iter()
        .chain(backend.buffer().content.iter())
        .map(|cell| cell.symbol().to_string())
        .filter(|symbol| symbol.contains(char::is_control))
        .collect();
    assert_eq!(controls, Vec::<String>::new());
    let text = terminal_text(&run.screen);
    assert!(text.contains("\\x1b]52;c;ZXZpbA==\\x07"), "{text}");
}
