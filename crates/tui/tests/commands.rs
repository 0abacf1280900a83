//! Slash commands through the real loop: the `/model` and `/permissions`
//! pickers, the `/resume` picker with its preview, the `/diff` pager,
//! `/status`, and what each sends; Alt+, / Alt+.; a resumed transcript;
//! notifications and Ctrl+Z.

mod support;

use crossterm::event::{Event as TermEvent, KeyCode, KeyEvent, KeyModifiers};
use duet_core::sessions::{ThreadRecord, Transcript, TranscriptTurn, UsageTotals};
use duet_protocol::{
    ApprovalPolicy, CommandStatus, EventMsg, Item, ItemDetails, ModelEntry, ModelList, ModelPrice,
    Op, ReasoningEffort, SandboxMode, TurnOverrides, UserInput, UserTurn,
};
use duet_tui::{INIT_PROMPT, Input, Outgoing, SessionRow, TerminalRequest};
use pretty_assertions::assert_eq;
use support::*;

fn command(name: &str) -> Vec<Step> {
    let mut steps = type_text(name);
    steps.push(key(KeyCode::Enter));
    steps
}

fn alt(ch: char) -> Step {
    Step::Input(Input::Terminal(TermEvent::Key(KeyEvent::new(
        KeyCode::Char(ch),
        KeyModifiers::ALT,
    ))))
}

fn started_with(commands: &[&str]) -> Vec<Step> {
    let mut steps = vec![thread_started()];
    for name in commands {
        steps.extend(command(name));
    }
    steps
}

fn override_op(overrides: TurnOverrides) -> Outgoing {
    Outgoing::Op(Op::OverrideTurnContext(overrides))
}

/// What core answers `Op::ListModels` with: the model in use, one the
/// server lists that duet does not know, one from the catalogue.
fn model_list() -> Step {
    let entry =
        |id: &str, served: bool, window: Option<u64>, price: Option<(f64, f64)>| ModelEntry {
            id: id.into(),
            served,
            in_catalogue: window.is_some(),
            context_window: window,
            context_window_from: window.map(|_| "catalogue".into()),
            max_output_tokens: None,
            reasoning_efforts: vec![],
            images: None,
            price: price.map(|(input, output)| ModelPrice {
                input,
                cached_input: input / 10.0,
                cache_write: None,
                output,
            }),
        };
    core(EventMsg::ModelList(ModelList {
        provider: "openai".into(),
        base_url: "https://api.openai.com/v1".into(),
        current: "gpt-5.5".into(),
        models: vec![
            entry("gpt-5.5", true, Some(272_000), None),
            entry("gpt-5.4", true, None, None),
            entry(
                "gpt-5.1-codex-max",
                false,
                Some(272_000),
                Some((1.25, 10.0)),
            ),
        ],
        listed: true,
        warnings: vec![],
    }))
}

/// `/model`, and the list core sends back.
fn model_picker() -> Vec<Step> {
    let mut steps = started_with(&["/model"]);
    steps.push(model_list());
    steps
}

#[tokio::test(start_paused = true)]
async fn the_model_picker_then_the_effort_picker_send_one_override() {
    check_sizes!("model_picker_loading", started_with(&["/model"]));
    check_sizes!("model_picker", model_picker());
    check_sizes!("effort_picker", {
        let mut steps = model_picker();
        steps.push(key(KeyCode::Down));
        steps.push(key(KeyCode::Enter));
        steps
    });
    let mut steps = model_picker();
    steps.extend([
        key(KeyCode::Down),
        key(KeyCode::Enter),
        key(KeyCode::Up),
        key(KeyCode::Enter),
    ]);
    steps.extend(command("/model my-local-model"));
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(
        run.sent,
        [
            Outgoing::Op(Op::ListModels),
            override_op(TurnOverrides {
                model: Some("gpt-5.4".into()),
                reasoning_effort: Some(ReasoningEffort::Medium),
                ..TurnOverrides::default()
            }),
            override_op(TurnOverrides {
                model: Some("my-local-model".into()),
                ..TurnOverrides::default()
            }),
        ]
    );
}

/// A session whose reasoning effort is the model's default (unset).
fn started_at_default_effort() -> Step {
    core(EventMsg::ThreadStarted(duet_protocol::ThreadStarted {
        thread_id: THREAD_ID.into(),
        model: "gpt-5.5".into(),
        provider: "openai".into(),
        cwd: "/repo".into(),
        sandbox: SandboxMode::WorkspaceWrite,
        approval: ApprovalPolicy::OnRequest,
        writable_roots: vec!["/repo".into()],
        reasoning_effort: None,
        reasoning_summary: None,
    }))
}

#[tokio::test(start_paused = true)]
async fn the_effort_picker_offers_the_default_while_none_is_set() {
    let steps = || {
        let mut steps = vec![started_at_default_effort()];
        steps.extend(command("/model"));
        steps.push(model_list());
        steps.extend([key(KeyCode::Down), key(KeyCode::Enter)]);
        steps
    };
    check_sizes!("effort_picker_default", steps());
    let mut chosen = steps();
    chosen.push(key(KeyCode::Enter));
    let run = drive(Options::inline((80, 24)), chosen).await;
    // Back to (or kept at) the model's own effort.
    assert_eq!(
        run.sent,
        [
            Outgoing::Op(Op::ListModels),
            override_op(TurnOverrides {
                model: Some("gpt-5.4".into()),
                default_reasoning_effort: true,
                ..TurnOverrides::default()
            })
        ]
    );
    let text = terminal_text(&run.screen);
    assert_eq!(
        text.lines().find(|line| line.starts_with("• Model")),
        Some("• Model for the next turns: gpt-5.4 (reasoning default)")
    );
}

#[tokio::test(start_paused = true)]
async fn the_permissions_picker_sends_the_preset() {
    check_sizes!("permissions_picker", started_with(&["/permissions"]));
    let mut steps = started_with(&["/permissions"]);
    steps.push(key(KeyCode::Char('3')));
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(
        run.sent,
        [override_op(TurnOverrides {
            sandbox: Some(SandboxMode::DangerFullAccess),
            approval: Some(ApprovalPolicy::Never),
            ..TurnOverrides::default()
        })]
    );
    insta::assert_snapshot!(
        "permissions_status_line",
        terminal_text(&run.screen).lines().last().unwrap()
    );
}

#[tokio::test(start_paused = true)]
async fn alt_comma_and_period_step_the_effort() {
    let steps = vec![thread_started(), alt('.'), alt('.'), alt(','), alt('.')];
    let run = drive(Options::inline((80, 24)), steps).await;
    let effort = |effort| {
        override_op(TurnOverrides {
            reasoning_effort: Some(effort),
            ..TurnOverrides::default()
        })
    };
    // The session starts at high: up to xhigh, then the top, then down.
    assert_eq!(
        run.sent,
        [
            effort(ReasoningEffort::Xhigh),
            effort(ReasoningEffort::High),
            effort(ReasoningEffort::Xhigh)
        ]
    );
}

fn rows() -> Vec<SessionRow> {
    vec![
        SessionRow {
            id: "019a-parser".into(),
            label: "fix the flaky parser test".into(),
            when: "5m ago".into(),
            created: "3d ago".into(),
            detail: "3 turns".into(),
            updated_at_ms: 9_000,
            created_at_ms: 1_000,
        },
        SessionRow {
            id: "019a-docs".into(),
            label: "deploy-docs".into(),
            when: "2d ago".into(),
            created: "2d ago".into(),
            detail: "1 turns".into(),
            updated_at_ms: 5_000,
            created_at_ms: 5_000,
        },
    ]
}

fn preview_items() -> Vec<Item> {
    vec![
        item(
            "p",
            ItemDetails::UserMessage {
                text: "fix the flaky parser test".into(),
            },
        ),
        item(
            "c",
            ItemDetails::CommandExecution {
                command: "cargo test -p parser".into(),
                aggregated_output: String::new(),
                exit_code: Some(0),
                status: CommandStatus::Completed,
            },
        ),
        item(
            "a",
            ItemDetails::AgentMessage {
                text: "The test raced on a temp file.\nFixed.".into(),
            },
        ),
    ]
}

fn resume_steps() -> Vec<Step> {
    let mut steps = started_with(&["/resume"]);
    steps.push(Step::Input(Input::Sessions {
        query: String::new(),
        all: false,
        rows: Ok(rows()),
    }));
    steps.push(Step::Input(Input::Preview {
        thread_id: "019a-parser".into(),
        items: preview_items(),
    }));
    steps
}

#[tokio::test(start_paused = true)]
async fn the_resume_picker_lists_searches_previews_and_switches() {
    check_sizes!("resume_picker", resume_steps());
    let mut steps = resume_steps();
    steps.extend(type_text("pa"));
    steps.push(key(KeyCode::Tab));
    steps.push(Step::Input(Input::Sessions {
        query: "pa".into(),
        all: true,
        rows: Ok(rows()),
    }));
    steps.push(key(KeyCode::Down));
    steps.push(key(KeyCode::Enter));
    let run = drive(Options::inline((80, 24)), steps).await;
    let list = |query: &str, all| Outgoing::ListSessions {
        query: query.into(),
        all,
    };
    assert_eq!(
        run.sent,
        [
            list("", false),
            Outgoing::PreviewSession {
                thread_id: "019a-parser".into()
            },
            list("p", false),
            list("pa", false),
            list("pa", true),
            Outgoing::PreviewSession {
                thread_id: "019a-docs".into()
            },
            Outgoing::Resume {
                thread_id: "019a-docs".into()
            },
        ]
    );
}

fn stored_thread() -> Transcript {
    let turn = |id: &str, display: Vec<Item>| TranscriptTurn {
        turn_id: id.into(),
        record: None,
        items: Vec::new(),
        display,
    };
    Transcript {
        thread: ThreadRecord {
            id: THREAD_ID.into(),
            created_at_ms: 0,
            updated_at_ms: 0,
            cwd: "/repo".into(),
            model: "gpt-5.5".into(),
            provider: "openai".into(),
            sandbox_mode: "workspace-write".into(),
            approval_policy: "on-request".into(),
            name: Some("parser-fix".into()),
            title: Some("fix the flaky parser test".into()),
            archived: false,
            usage: UsageTotals {
                input_tokens: 24_000,
                cached_input_tokens: 0,
                output_tokens: 1_200,
                reasoning_output_tokens: 0,
            },
            parent_thread_id: None,
            fork_point: None,
            git_branch: None,
            git_commit: None,
            git_origin: None,
            source: "tui".into(),
        },
        turns: vec![
            turn("t1", preview_items()),
            turn(
                "t2",
                vec![item(
                    "p2",
                    ItemDetails::UserMessage {
                        text: "/compact".into(),
                    },
                )],
            ),
        ],
    }
}

#[tokio::test(start_paused = true)]
async fn a_resumed_thread_is_drawn_before_it_continues() {
    check_sizes!("resumed", {
        vec![
            Step::Input(Input::Transcript(Box::new(stored_thread()))),
            thread_started(),
        ]
    });
}

#[tokio::test(start_paused = true)]
async fn the_diff_pager_scrolls_and_closes() {
    let diff: String = std::iter::once(
        "diff --git a/src/parser.rs b/src/parser.rs\n--- a/src/parser.rs\n+++ b/src/parser.rs\n@@ -1,40 +1,40 @@\n".to_owned(),
    )
    .chain((1..=40).map(|n| format!("-old line {n}\n+new line {n}\n")))
    .collect();
    let opened = || {
        let mut steps = started_with(&["/diff"]);
        steps.push(Step::Input(Input::Diff(Ok(diff.clone()))));
        steps
    };
    check_sizes!("diff_pager", opened());
    check_sizes!("diff_pager_scrolled", {
        let mut steps = opened();
        steps.extend([key(KeyCode::PageDown), key(KeyCode::Char('j'))]);
        steps
    });
    let mut steps = opened();
    steps.push(key(KeyCode::Char('q')));
    steps.extend(type_text("hi"));
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(run.sent, [Outgoing::GitDiff]);
    assert!(!run.app.pager_open());
}

#[tokio::test(start_paused = true)]
async fn status_shows_the_name_and_context() {
    check_sizes!("status", {
        let mut steps = vec![
            Step::Input(Input::Transcript(Box::new(stored_thread()))),
            thread_started(),
            tokens(68_000, 0),
        ];
        steps.extend(command("/status"));
        steps
    });
}

#[tokio::test(start_paused = true)]
async fn commands_send_what_they_mean() {
    let mut steps = started_with(&["/compact"]);
    steps.push(core(EventMsg::ContextCompacted));
    steps.push(turn_completed());
    steps.extend(command("/rename parser fix"));
    steps.push(Step::Input(Input::Renamed(Ok("parser fix".into()))));
    steps.extend(command("/fork"));
    steps.extend(command("/init"));
    steps.push(turn_completed());
    steps.extend(command("/mention"));
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(
        run.sent,
        [
            Outgoing::Op(Op::Compact),
            Outgoing::Rename {
                thread_id: THREAD_ID.into(),
                name: "parser fix".into()
            },
            Outgoing::Fork {
                thread_id: THREAD_ID.into()
            },
            Outgoing::Op(Op::UserTurn(UserTurn {
                items: vec![UserInput::Text {
                    text: INIT_PROMPT.into()
                }],
                output_schema: None,
            })),
            // `/mention` inserts `@`, which opens the file search.
            Outgoing::FileSearch {
                query: String::new()
            },
        ]
    );
    insta::assert_snapshot!("commands_sent", terminal_text(&run.screen));
}

#[tokio::test(start_paused = true)]
async fn an_unfocused_terminal_is_notified_and_ctrl_z_suspends() {
    let mut app = duet_tui::App::new(
        duet_tui::AppOptions {
            theme: duet_tui::Theme::new(false),
            alt_screen: false,
            version: "0.1.0".into(),
            history_path: None,
            initial_prompt: None,
            initial_images: Vec::new(),
            size: (80, 24),
        },
        tokio::time::Instant::now(),
    );
    let now = tokio::time::Instant::now();
    let Step::Input(started) = thread_started() else {
        unreachable!()
    };
    let Step::Input(completed) = turn_completed() else {
        unreachable!()
    };
    app.update(started, now);
    app.update(completed.clone(), now);
    let focused = app.take_terminal_requests();
    app.update(Input::Terminal(TermEvent::FocusLost), now);
    app.update(completed.clone(), now);
    let unfocused = app.take_terminal_requests();
    app.update(Input::Terminal(TermEvent::FocusGained), now);
    app.update(
        Input::Terminal(TermEvent::Key(KeyEvent::new(
            KeyCode::Char('z'),
            KeyModifiers::CONTROL,
        ))),
        now,
    );
    assert_eq!(
        (focused, unfocused, app.take_terminal_requests()),
        (
            vec![],
            vec![TerminalRequest::Notify("duet: turn finished".into())],
            vec![TerminalRequest::Suspend]
        )
    );
}

#[tokio::test(start_paused = true)]
async fn a_long_resumed_thread_draws_its_last_500_turns() {
    let mut stored = stored_thread();
    stored.turns = (0..502)
        .map(|n| TranscriptTurn {
            turn_id: format!("t{n}"),
            record: None,
            items: Vec::new(),
            display: vec![item(
                &format!("p{n}"),
                ItemDetails::UserMessage {
                    text: format!("prompt {n}"),
                },
            )],
        })
        .collect();
    let run = drive(
        Options::inline((120, 40)),
        vec![
            Step::Input(Input::Transcript(Box::new(stored))),
            thread_started(),
        ],
    )
    .await;
    let text = terminal_text(&run.screen);
    let prompts: Vec<&str> = text.lines().filter(|l| l.starts_with("› prompt")).collect();
    let notice: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("earlier turns"))
        .collect();
    assert_eq!(
        (prompts.len(), prompts[0], notice),
        (
            500,
            "› prompt 2",
            vec![
                "• 2 earlier turns are not drawn; `duet sessions show 019a0000-0000-7000-8000-00000000abcd` prints them all"
            ]
        )
    );
}

/// `/model PROVIDER MODEL` moves the next turns to another provider.
#[tokio::test(start_paused = true)]
async fn model_with_a_provider_switches_the_provider_too() {
    let run = drive(
        Options::inline((100, 24)),
        started_with(&["/model anthropic claude-opus-4-5"]),
    )
    .await;
    assert_eq!(
        run.sent,
        [override_op(TurnOverrides {
            provider: Some("anthropic".into()),
            model: Some("claude-opus-4-5".into()),
            ..TurnOverrides::default()
        })]
    );
    let text = terminal_text(&run.screen);
    assert_eq!(
        text.lines().find(|line| line.starts_with("• Model")),
        Some(
            "• Model for the next turns: claude-opus-4-5 of provider `anthropic` (reasoning high)"
        )
    );
}

/// What core answers `Op::ListMcpServers` with: one ready server, one
/// starting, one that failed.
fn mcp_servers() -> Step {
    use duet_protocol::{McpServerState, McpServerStatus, McpToolInfo};
    let tool = |name: &str, description: &str, read_only: bool| McpToolInfo {
        name: name.into(),
        qualified_name: format!("mcp__docs__{name}"),
        description: Some(description.into()),
        read_only,
    };
    core(EventMsg::McpServers {
        servers: vec![
            McpServerStatus {
                name: "docs".into(),
                state: McpServerState::Ready,
                error: None,
                tools: vec![
                    tool("search", "Search the docs\nwith more lines", true),
                    tool("publish", "Publish a page", false),
                ],
            },
            McpServerStatus {
                name: "slow".into(),
                state: McpServerState::Starting,
                error: None,
                tools: vec![],
            },
            McpServerStatus {
                name: "tracker".into(),
                state: McpServerState::Failed,
                error: Some("MCP server `tracker` did not answer at https://tracker.test/mcp: cannot connect".into()),
                tools: vec![],
            },
        ],
    })
}

#[tokio::test(start_paused = true)]
async fn mcp_lists_servers_and_their_tools() {
    check_sizes!("mcp", {
        let mut steps = started_with(&["/mcp"]);
        steps.push(mcp_servers());
        steps.extend(command("/mcp verbose"));
        steps.push(mcp_servers());
        steps
    });
    let mut steps = started_with(&["/mcp", "/mcp verbose"]);
    steps.push(mcp_servers());
    let run = drive(Options::inline((80, 24)), steps).await;
    assert_eq!(
        run.sent,
        [
            Outgoing::Op(Op::ListMcpServers),
            Outgoing::Op(Op::ListMcpServers)
        ]
    );
}

#[tokio::test(start_paused = true)]
async fn a_running_mcp_call_shows_its_progress() {
    let call = ItemDetails::McpToolCall {
        server: "docs".into(),
        tool: "search".into(),
        arguments: serde_json::json!({"q": "mcp"}),
        result: None,
        error: None,
        status: duet_protocol::McpCallStatus::InProgress,
    };
    let steps = vec![
        thread_started(),
        started("item_3", call),
        core(EventMsg::McpToolCallProgress {
            item_id: "item_3".into(),
            message: "2/5: reading pages".into(),
        }),
    ];
    let run = drive(Options::inline((80, 24)), steps).await;
    let text = terminal_text(&run.screen);
    assert!(text.contains("docs.search: 2/5: reading pages"), "{text}");
}
