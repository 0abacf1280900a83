//! The composer's extra modes through the real loop: Ctrl+R reverse
//! search, the `@` file popup, `!cmd`, images pasted by path, Ctrl+G,
//! Esc Esc (rewind), vim mode.

#![allow(clippy::unwrap_used, reason = "test helpers: a failure should panic")]

mod support;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use duet_protocol::{EventMsg, Op, UserInput, UserTurn};
use duet_tui::{Input, Outgoing};
use pretty_assertions::assert_eq;
use support::*;

fn user_turn(text: &str) -> Outgoing {
    Outgoing::Op(Op::UserTurn(UserTurn {
        items: vec![UserInput::Text { text: text.into() }],
        output_schema: None,
    }))
}

/// A turn of `text` with the image at `path` attached.
fn user_turn_with_image(text: &str, path: std::path::PathBuf) -> Outgoing {
    Outgoing::Op(Op::UserTurn(UserTurn {
        items: vec![
            UserInput::Text { text: text.into() },
            UserInput::LocalImage { path },
        ],
        output_schema: None,
    }))
}

fn history_file(dir: &std::path::Path, prompts: &[&str]) -> std::path::PathBuf {
    let path = dir.join("history.jsonl");
    let lines: String = prompts
        .iter()
        .map(|text| {
            format!(
                "{}\n",
                serde_json::json!({"ts": 1, "session_id": "s", "text": text})
            )
        })
        .collect();
    std::fs::write(&path, lines).unwrap();
    path
}

fn reverse_search_steps() -> Vec<Step> {
    let mut steps = vec![thread_started()];
    steps.extend(type_text("draft"));
    steps.push(ctrl('r'));
    steps.extend(type_text("fix"));
    steps
}

#[tokio::test(start_paused = true)]
async fn ctrl_r_searches_older_prompts_and_enter_keeps_the_match() {
    let home = tempfile::tempdir().unwrap();
    let path = history_file(
        home.path(),
        &[
            "fix the parser tests",
            "run clippy",
            "fix the docs",
            "deploy",
        ],
    );
    for (width, height) in [(80u16, 24u16), (120, 40)] {
        let mut options = Options::inline((width, height));
        options.history_path = Some(path.clone());
        let run = drive(options, reverse_search_steps()).await;
        insta::assert_snapshot!(
            format!("reverse_search_{width}x{height}"),
            terminal_text(&run.screen)
        );
    }
    let mut steps = reverse_search_steps();
    steps.push(ctrl('r'));
    steps.push(key(KeyCode::Enter));
    steps.push(key(KeyCode::Enter));
    // Esc puts the draft back.
    steps.extend(type_text("again"));
    steps.push(ctrl('r'));
    steps.extend(type_text("zzz"));
    steps.push(key(KeyCode::Esc));
    let mut options = Options::inline((80, 24));
    options.history_path = Some(path.clone());
    let run = drive(options, steps).await;
    assert_eq!(
        (run.sent, run.app.composer_text().to_owned()),
        (vec![user_turn("fix the parser tests")], "again".to_owned())
    );
}

fn file_matches(query: &str, paths: &[&str]) -> Step {
    Step::Input(Input::FileMatches {
        query: query.into(),
        paths: paths.iter().map(|p| (*p).to_owned()).collect(),
        complete: true,
    })
}

fn file_popup_steps() -> Vec<Step> {
    let mut steps = vec![thread_started()];
    steps.extend(type_text("look at @ma"));
    steps.push(file_matches("m", &["stale/m.rs"]));
    steps.push(file_matches(
        "ma",
        &["src/main.rs", "docs/maintenance.md", "src/app/main_loop.rs"],
    ));
    steps
}

#[tokio::test(start_paused = true)]
async fn at_opens_the_file_popup_and_tab_inserts_the_path() {
    check_sizes!("file_popup", file_popup_steps());
    let mut steps = file_popup_steps();
    steps.push(key(KeyCode::Down));
    steps.push(key(KeyCode::Tab));
    steps.extend(type_text("please"));
    steps.push(key(KeyCode::Enter));
    let run = drive(Options::inline((80, 24)), steps).await;
    let search = |q: &str| Outgoing::FileSearch { query: q.into() };
    assert_eq!(
        run.sent,
        vec![
            search(""),
            search("m"),
            search("ma"),
            user_turn("look at docs/maintenance.md please")
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn esc_closes_the_file_popup_for_that_word() {
    let mut steps = file_popup_steps();
    steps.push(key(KeyCode::Esc));
    steps.push(key(KeyCode::Enter));
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(run.sent.last(), Some(&user_turn("look at @ma")));
}

#[tokio::test(start_paused = true)]
async fn a_bang_line_runs_a_shell_command() {
    let mut steps = vec![thread_started()];
    steps.extend(type_text("!ls -a"));
    steps.push(key(KeyCode::Enter));
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(
        run.sent,
        vec![Outgoing::Op(Op::RunUserShellCommand {
            command: "ls -a".into()
        })]
    );
}

#[tokio::test(start_paused = true)]
async fn a_pasted_image_path_attaches_the_image() {
    let dir = tempfile::tempdir().unwrap();
    let image = dir.path().join("shot.png");
    std::fs::write(&image, b"\x89PNG").unwrap();
    let mut steps = vec![thread_started()];
    steps.extend(type_text("what is this "));
    steps.push(paste(&format!("'{}'", image.display())));
    let run = drive(Options::inline((80, 24)), {
        let mut s = vec![thread_started()];
        s.extend(type_text("what is this "));
        s.push(paste(&format!("'{}'", image.display())));
        s
    })
    .await;
    assert_eq!(
        run.app.composer_text().to_owned(),
        "what is this [image: shot.png]"
    );
    steps.push(key(KeyCode::Enter));
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(
        run.sent,
        vec![user_turn_with_image(
            "what is this [image: shot.png]",
            image
        )]
    );
}

#[tokio::test(start_paused = true)]
async fn ctrl_v_attaches_the_clipboard_image_or_says_why_not() {
    let dir = tempfile::tempdir().unwrap();
    let saved = dir.path().join("clipboard-1.png");
    std::fs::write(&saved, b"\x89PNG").unwrap();
    let mut steps = vec![thread_started()];
    steps.extend(type_text("see "));
    steps.push(ctrl('v'));
    steps.push(Step::Input(Input::ClipboardImage(Ok(saved.clone()))));
    steps.push(ctrl('v'));
    steps.push(Step::Input(Input::ClipboardImage(Err(
        "the clipboard holds no image (PNG, JPEG, GIF or WebP)".into(),
    ))));
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(
        (run.sent.clone(), run.app.composer_text().to_owned()),
        (
            vec![Outgoing::ClipboardImage, Outgoing::ClipboardImage],
            "see [image: clipboard-1.png]".to_owned()
        )
    );
    assert!(
        terminal_text(&run.screen)
            .contains("the clipboard holds no image (PNG, JPEG, GIF or WebP)"),
        "{}",
        terminal_text(&run.screen)
    );
    let mut steps = vec![thread_started()];
    steps.extend(type_text("see "));
    steps.push(ctrl('v'));
    steps.push(Step::Input(Input::ClipboardImage(Ok(saved.clone()))));
    steps.push(key(KeyCode::Enter));
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(
        run.sent.last(),
        Some(&user_turn_with_image("see [image: clipboard-1.png]", saved))
    );
}

#[tokio::test(start_paused = true)]
async fn ctrl_g_hands_the_draft_to_the_editor_and_takes_it_back() {
    let mut steps = vec![thread_started()];
    steps.extend(type_text("rough idea"));
    steps.push(ctrl('g'));
    steps.push(Step::Input(Input::EditorDone(Ok(
        "a careful prompt\n".into()
    ))));
    steps.push(key(KeyCode::Enter));
    steps.push(turn_completed());
    steps.push(ctrl('g'));
    steps.push(Step::Input(Input::EditorDone(Err(
        "no editor to open".into()
    ))));
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(
        run.sent,
        vec![
            Outgoing::Editor {
                text: "rough idea".into()
            },
            user_turn("a careful prompt"),
            Outgoing::Editor {
                text: String::new()
            },
        ]
    );
    assert!(terminal_text(&run.screen).contains("no editor to open"));
}

fn two_turns() -> Vec<Step> {
    let mut steps = vec![thread_started()];
    steps.extend(type_text("first prompt"));
    steps.push(key(KeyCode::Enter));
    steps.extend(answer("m1", "One."));
    steps.push(turn_completed());
    steps.extend(type_text("!make"));
    steps.push(key(KeyCode::Enter));
    steps.push(turn_completed());
    steps.extend(type_text("second prompt"));
    steps.push(key(KeyCode::Enter));
    steps.extend(answer("m2", "Two."));
    steps.push(turn_completed());
    steps.push(key(KeyCode::Esc));
    steps.push(key(KeyCode::Esc));
    steps
}

#[tokio::test(start_paused = true)]
async fn esc_esc_lists_earlier_prompts_and_rewinds_to_the_chosen_one() {
    check_sizes!("rewind_list", two_turns());
    let mut steps = two_turns();
    steps.push(key(KeyCode::Up));
    steps.push(key(KeyCode::Enter));
    steps.push(core(EventMsg::ThreadRolledBack { num_turns: 3 }));
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(
        run.sent.last(),
        Some(&Outgoing::Op(Op::Rollback { num_turns: 3 }))
    );
    assert_eq!(run.app.composer_text().to_owned(), "first prompt");
    insta::assert_snapshot!("rewound_80x24", terminal_text(&run.screen));
}

#[tokio::test(start_paused = true)]
async fn vim_mode_edits_in_normal_mode() {
    let steps = || {
        let mut steps = vec![thread_started()];
        steps.extend(type_text("/vim"));
        steps.push(key(KeyCode::Enter));
        steps.extend(type_text("hello world"));
        steps.push(key(KeyCode::Esc));
        steps.extend(type_text("0x"));
        steps
    };
    check_sizes!("vim_normal", steps());
    let mut steps = steps();
    steps.extend(type_text("A!"));
    steps.push(key(KeyCode::Enter));
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(run.sent, vec![user_turn("ello world!")]);
}

#[tokio::test(start_paused = true)]
async fn shift_enter_still_makes_a_new_line_through_the_keymap() {
    let mut steps = vec![thread_started()];
    steps.extend(type_text("a"));
    steps.push(shift_enter());
    steps.push(Step::Input(Input::Terminal(TermEvent::Key(KeyEvent::new(
        KeyCode::Char('j'),
        KeyModifiers::CONTROL,
    )))));
    steps.extend(type_text("b"));
    steps.push(key(KeyCode::Enter));
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(run.sent, vec![user_turn("a\n\nb")]);
}
