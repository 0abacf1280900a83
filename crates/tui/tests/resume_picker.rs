//! The `/resume` picker's keys through the real loop: Ctrl+S sorts,
//! Ctrl+A archives, Ctrl+D (or Delete) deletes after a confirmation in the
//! footer, the session of this window cannot be deleted, and what each
//! sends to the store.

mod support;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use duet_protocol::{Item, ItemDetails};
use duet_tui::{Input, Outgoing, Removal, SessionRow};
use pretty_assertions::assert_eq;
use support::*;

fn ctrl(ch: char) -> Step {
    Step::Input(Input::Terminal(TermEvent::Key(KeyEvent::new(
        KeyCode::Char(ch),
        KeyModifiers::CONTROL,
    ))))
}

fn row(id: &str, label: &str, updated: (&str, i64), created: (&str, i64)) -> SessionRow {
    SessionRow {
        id: id.into(),
        label: label.into(),
        when: updated.0.into(),
        created: created.0.into(),
        detail: String::new(),
        updated_at_ms: updated.1,
        created_at_ms: created.1,
    }
}

/// Most recently updated first, as the store lists them; the third is
/// the session of this window.
fn rows() -> Vec<SessionRow> {
    vec![
        row(
            "019a-parser",
            "fix the parser",
            ("5m ago", 9_000),
            ("3d ago", 1_000),
        ),
        row(
            "019a-docs",
            "deploy-docs",
            ("2h ago", 8_000),
            ("2h ago", 8_000),
        ),
        row(
            THREAD_ID,
            "this window",
            ("1d ago", 7_000),
            ("1d ago", 7_000),
        ),
    ]
}

fn preview(thread_id: &str) -> Step {
    let text = format!("the first prompt of {thread_id}");
    Step::Input(Input::Preview {
        thread_id: thread_id.into(),
        items: vec![Item {
            id: "p".into(),
            details: ItemDetails::UserMessage { text },
        }],
    })
}

fn opened() -> Vec<Step> {
    let mut steps = vec![thread_started()];
    steps.extend(type_text("/resume"));
    steps.push(key(KeyCode::Enter));
    steps.push(Step::Input(Input::Sessions {
        query: String::new(),
        all: false,
        rows: Ok(rows()),
    }));
    steps.push(preview("019a-parser"));
    steps
}

fn with(mut steps: Vec<Step>, more: impl IntoIterator<Item = Step>) -> Vec<Step> {
    steps.extend(more);
    steps
}

fn removed(thread_id: &str, removal: Removal, result: Result<(), String>) -> Step {
    Step::Input(Input::SessionRemoved {
        thread_id: thread_id.into(),
        removal,
        result,
    })
}

fn list() -> Outgoing {
    Outgoing::ListSessions {
        query: String::new(),
        all: false,
    }
}

fn preview_of(thread_id: &str) -> Outgoing {
    Outgoing::PreviewSession {
        thread_id: thread_id.into(),
    }
}

#[tokio::test(start_paused = true)]
async fn ctrl_s_sorts_by_creation() {
    check_sizes!(
        "resume_sorted_by_creation",
        with(opened(), [ctrl('s'), preview("019a-docs")])
    );
    let run = drive(
        Options::inline((80, 24)),
        with(opened(), [ctrl('s'), preview("019a-docs"), ctrl('s')]),
    )
    .await;
    assert_eq!(
        run.sent,
        [
            list(),
            preview_of("019a-parser"),
            preview_of("019a-docs"),
            preview_of("019a-parser"),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn ctrl_a_archives_and_the_row_leaves() {
    let steps = || {
        with(
            opened(),
            [
                ctrl('a'),
                removed("019a-parser", Removal::Archive, Ok(())),
                preview("019a-docs"),
            ],
        )
    };
    check_sizes!("resume_archived", steps());
    let run = drive(Options::inline((80, 24)), steps()).await;
    assert_eq!(
        run.sent,
        [
            list(),
            preview_of("019a-parser"),
            Outgoing::ArchiveSession {
                thread_id: "019a-parser".into()
            },
            preview_of("019a-docs"),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn delete_asks_in_the_footer_first() {
    let asked = || {
        with(
            opened(),
            [key(KeyCode::Down), preview("019a-docs"), ctrl('d')],
        )
    };
    check_sizes!("resume_delete_asks", asked());
    check_sizes!(
        "resume_deleted",
        with(
            asked(),
            [
                key(KeyCode::Char('y')),
                removed("019a-docs", Removal::Delete, Ok(())),
                preview(THREAD_ID),
            ]
        )
    );
    // `x` cancels (and is not typed into the search); Delete asks again,
    // `y` confirms; the store's refusal is shown and the row stays.
    let steps = with(
        opened(),
        [
            key(KeyCode::Down),
            ctrl('d'),
            key(KeyCode::Char('x')),
            key(KeyCode::Delete),
            key(KeyCode::Char('y')),
            removed(
                "019a-docs",
                Removal::Delete,
                Err("cannot delete the session: the database is locked".into()),
            ),
        ],
    );
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(
        run.sent,
        [
            list(),
            preview_of("019a-parser"),
            preview_of("019a-docs"),
            Outgoing::DeleteSession {
                thread_id: "019a-docs".into()
            },
        ]
    );
    let footer = terminal_text(&run.screen);
    let footer = footer.lines().rev().nth(1).expect("a footer line");
    assert_eq!(
        footer,
        "  cannot delete the session: the database is locked"
    );
}

#[tokio::test(start_paused = true)]
async fn the_session_of_this_window_cannot_be_deleted() {
    let steps = || {
        with(
            opened(),
            [key(KeyCode::Down), key(KeyCode::Down), ctrl('d')],
        )
    };
    check_sizes!("resume_current_not_deleted", steps());
    let run = drive(
        Options::inline((80, 24)),
        with(steps(), [key(KeyCode::Char('y'))]),
    )
    .await;
    // `y` after the refusal is typed into the search, as usual.
    assert_eq!(
        run.sent,
        [
            list(),
            preview_of("019a-parser"),
            preview_of("019a-docs"),
            preview_of(THREAD_ID),
            Outgoing::ListSessions {
                query: "y".into(),
                all: false,
            },
        ]
    );
}
