//! Keys through the real loop: the approval modal, the composer, queueing
//! while a turn runs, Esc and Ctrl+C, the slash popup, prompt history.

mod support;

use crossterm::event::KeyCode;
use duet_protocol::{
    ExecApprovalRequest, FileChange, FileChangeKind, Op, PatchApprovalRequest, ReviewDecision,
    UserInput, UserTurn,
};
use duet_tui::Outgoing;
use pretty_assertions::assert_eq;
use support::*;

fn user_turn(text: &str) -> Outgoing {
    Outgoing::Op(Op::UserTurn(UserTurn {
        items: vec![UserInput::Text { text: text.into() }],
        output_schema: None,
    }))
}

fn exec_request(rule: bool) -> Step {
    core(duet_protocol::EventMsg::ExecApprovalRequest(
        ExecApprovalRequest {
            call_id: "call_7".into(),
            command: "/bin/bash -lc 'cargo test -p parser'".into(),
            cwd: "/repo".into(),
            justification: Some(
                "run the parser tests outside the sandbox to reach the network".into(),
            ),
            proposed_rule: rule.then(|| vec!["cargo".into(), "test".into()]),
        },
    ))
}

fn patch_request() -> Step {
    core(duet_protocol::EventMsg::PatchApprovalRequest(
        PatchApprovalRequest {
            call_id: "call_8".into(),
            changes: vec![FileChange {
                path: "/etc/hosts".into(),
                kind: FileChangeKind::Update,
                diff: Some("@@ -1,1 +1,2 @@\n 127.0.0.1 localhost\n+10.0.0.1 build\n".into()),
            }],
            justification: Some("the path is outside the writable roots".into()),
        },
    ))
}

fn running() -> Vec<Step> {
    let mut steps = vec![thread_started()];
    steps.extend(type_text("fix it"));
    steps.push(key(KeyCode::Enter));
    steps
}

#[tokio::test(start_paused = true)]
async fn the_exec_approval_modal_shows_the_rule_and_s_saves_it() {
    let mut steps = running();
    steps.push(exec_request(true));
    check_sizes!("exec_approval", {
        let mut s = running();
        s.push(exec_request(true));
        s
    });
    steps.push(key(KeyCode::Char('s')));
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(
        run.sent,
        [
            user_turn("fix it"),
            Outgoing::Op(Op::ExecApproval {
                call_id: "call_7".into(),
                decision: ReviewDecision::ApprovedAndSaveRule
            })
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn without_a_proposed_rule_s_does_nothing_and_y_a_answer() {
    let mut steps = running();
    steps.extend([
        exec_request(false),
        key(KeyCode::Char('s')),
        key(KeyCode::Char('y')),
    ]);
    steps.extend([exec_request(false), key(KeyCode::Char('a'))]);
    let run = drive(Options::inline((80, 24)), steps).await;
    let decisions: Vec<&Outgoing> = run.sent.iter().skip(1).collect();
    assert_eq!(
        decisions,
        [
            &Outgoing::Op(Op::ExecApproval {
                call_id: "call_7".into(),
                decision: ReviewDecision::Approved
            }),
            &Outgoing::Op(Op::ExecApproval {
                call_id: "call_7".into(),
                decision: ReviewDecision::ApprovedForSession
            }),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn the_patch_modal_shows_the_diff_and_n_denies_with_feedback_for_the_next_turn() {
    check_sizes!("patch_approval", {
        let mut s = running();
        s.push(patch_request());
        s
    });
    let mut steps = running();
    steps.push(patch_request());
    steps.push(key(KeyCode::Char('n')));
    steps.extend(type_text("write it to ./hosts instead"));
    steps.push(key(KeyCode::Enter));
    steps.push(turn_completed());
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(
        run.sent,
        [
            user_turn("fix it"),
            Outgoing::Op(Op::PatchApproval {
                call_id: "call_8".into(),
                decision: ReviewDecision::Denied
            }),
            user_turn("write it to ./hosts instead"),
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn esc_in_the_modal_denies_and_stops_the_turn() {
    let mut steps = running();
    steps.extend([exec_request(true), key(KeyCode::Esc)]);
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(
        run.sent.last(),
        Some(&Outgoing::Op(Op::ExecApproval {
            call_id: "call_7".into(),
            decision: ReviewDecision::Abort
        }))
    );
}

#[tokio::test(start_paused = true)]
async fn enter_while_a_turn_runs_queues_and_the_queue_goes_out_when_it_ends() {
    let mut steps = running();
    steps.extend(type_text("then add a test"));
    steps.push(key(KeyCode::Enter));
    steps.extend(type_text("and update the docs"));
    steps.push(key(KeyCode::Enter));
    steps.extend(type_text("draft"));
    check_sizes!("queued", {
        let mut s = running();
        s.extend(type_text("then add a test"));
        s.push(key(KeyCode::Enter));
        s.extend(type_text("draft"));
        s
    });
    steps.push(turn_completed());
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(
        run.sent,
        [
            user_turn("fix it"),
            user_turn("then add a test\n\nand update the docs")
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn esc_interrupts_and_queued_drafts_come_back_to_the_composer() {
    let mut steps = running();
    steps.extend(type_text("queued one"));
    steps.push(key(KeyCode::Enter));
    steps.push(key(KeyCode::Esc));
    steps.push(core(duet_protocol::EventMsg::TurnAborted {
        reason: duet_protocol::AbortReason::Interrupted,
    }));
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(run.sent, [user_turn("fix it"), Outgoing::Op(Op::Interrupt)]);
    let text = terminal_text(&run.screen);
    let tail: Vec<&str> = text.lines().rev().take(4).collect();
    assert_eq!(
        tail,
        [
            " gpt-5.5 high · workspace-write · on-request · 0 in · 0 out",
            "› queued one",
            "",
            "■ Conversation interrupted: tell duet what to do differently",
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn multi_line_editing_with_shift_enter_and_ctrl_j() {
    let mut steps = vec![thread_started()];
    steps.extend(type_text("first line"));
    steps.push(shift_enter());
    steps.extend(type_text("second"));
    steps.push(ctrl('j'));
    steps.extend(type_text("third"));
    steps.push(key(KeyCode::Up));
    steps.push(key(KeyCode::Home));
    steps.extend(type_text(">> "));
    check_sizes!("multiline", {
        let mut s = vec![thread_started()];
        s.extend(type_text("first line"));
        s.push(shift_enter());
        s.extend(type_text("second"));
        s.push(ctrl('j'));
        s.extend(type_text("third"));
        s.push(key(KeyCode::Up));
        s.push(key(KeyCode::Home));
        s.extend(type_text(">> "));
        s
    });
    steps.push(key(KeyCode::Enter));
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(run.sent, [user_turn("first line\n>> second\nthird")]);
}

#[tokio::test(start_paused = true)]
async fn ctrl_c_clears_the_draft_then_twice_quits() {
    let mut steps = vec![thread_started()];
    steps.extend(type_text("oops"));
    steps.extend([ctrl('c'), ctrl('c'), ctrl('c'), key(KeyCode::Char('x'))]);
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(
        (run.app.should_quit(), run.sent, run.app.thread_id()),
        (true, vec![], Some(THREAD_ID))
    );
}

#[tokio::test(start_paused = true)]
async fn a_single_ctrl_c_on_an_empty_composer_only_warns() {
    let steps = vec![
        thread_started(),
        ctrl('c'),
        key(KeyCode::Char('x')),
        ctrl('c'),
    ];
    let run = drive(Options::inline((80, 24)), steps).await;
    assert!(!run.app.should_quit());
}

#[tokio::test(start_paused = true)]
async fn the_slash_popup_filters_and_enter_runs_the_choice() {
    check_sizes!("slash_popup", {
        let mut s = vec![thread_started()];
        s.extend(type_text("/"));
        s
    });
    check_sizes!("slash_status", {
        let mut s = vec![thread_started(), tokens(30_000, 500)];
        s.extend(type_text("/st"));
        s.push(key(KeyCode::Enter));
        s
    });
    let mut steps = vec![thread_started()];
    steps.extend(type_text("/di"));
    steps.push(key(KeyCode::Enter));
    steps.extend(type_text("/new"));
    steps.push(key(KeyCode::Enter));
    steps.extend(type_text("/compact"));
    steps.push(key(KeyCode::Enter));
    steps.extend(type_text("/quit"));
    steps.push(key(KeyCode::Enter));
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(
        (run.sent, run.app.should_quit()),
        (
            vec![
                Outgoing::GitDiff,
                Outgoing::NewSession,
                Outgoing::Op(duet_protocol::Op::Compact)
            ],
            true
        )
    );
}

#[tokio::test(start_paused = true)]
async fn up_and_down_browse_the_persisted_history() {
    let home = tempfile::tempdir().unwrap();
    let path = home.path().join("history.jsonl");
    let options = || Options {
        history_path: Some(path.clone()),
        ..Options::inline((80, 24))
    };
    let mut steps = vec![thread_started()];
    steps.extend(type_text("first prompt"));
    steps.push(key(KeyCode::Enter));
    steps.push(turn_completed());
    drive(options(), steps).await;

    let mut steps = vec![thread_started()];
    steps.extend(type_text("draft"));
    steps.extend([key(KeyCode::Up), key(KeyCode::Enter)]);
    let run = drive(options(), steps).await;
    assert_eq!(run.sent, [user_turn("first prompt")]);
    let lines = std::fs::read_to_string(&path).unwrap().lines().count();
    assert_eq!(lines, 1, "an unchanged repeat is not saved twice");
}

#[tokio::test(start_paused = true)]
async fn a_large_paste_is_one_insert_and_sends_whole() {
    let big: String = (0..20_000).map(|n| format!("line {n}\n")).collect();
    let mut steps = vec![thread_started(), paste(&big)];
    steps.push(key(KeyCode::Enter));
    let started = std::time::Instant::now();
    let run = drive(Options::inline((80, 24)), steps).await;
    assert!(
        started.elapsed() < std::time::Duration::from_secs(5),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(run.sent, [user_turn(big.trim_end())]);
}
