//! Recorded event sequences that the renderer snapshot tests replay.
//!
//! Item ids are core-style (not `item_N`) on purpose: the JSONL renderer must
//! re-number them.

use duet_protocol::{
    AbortReason, ApprovalPolicy, CommandStatus, ErrorInfo, Event, EventMsg, FileChange,
    FileChangeKind, Item, ItemDetails, McpCallResult, McpCallStatus, PatchStatus, ReasoningEffort,
    ReasoningSummary, Reconnecting, SandboxMode, ThreadStarted, TodoItem, TokenCount,
    TurnCompleted, Usage,
};

fn event(msg: EventMsg) -> Event {
    Event {
        turn_id: Some("turn-1".into()),
        msg,
    }
}

fn item(id: &str, details: ItemDetails) -> Item {
    Item {
        id: id.into(),
        details,
    }
}

pub fn thread_started() -> Event {
    Event {
        turn_id: None,
        msg: EventMsg::ThreadStarted(ThreadStarted {
            thread_id: "0199a1ff-3a00-7000-8000-000000000001".into(),
            model: "gpt-5.5".into(),
            provider: "mock".into(),
            cwd: "/home/user/repo".into(),
            sandbox: SandboxMode::WorkspaceWrite,
            approval: ApprovalPolicy::Never,
            writable_roots: vec!["/home/user/repo".into(), "/tmp".into()],
            reasoning_effort: Some(ReasoningEffort::Medium),
            reasoning_summary: Some(ReasoningSummary::Auto),
        }),
    }
}

fn command(
    id: &str,
    command: &str,
    output: &str,
    exit_code: Option<i32>,
    status: CommandStatus,
) -> Item {
    item(
        id,
        ItemDetails::CommandExecution {
            command: command.into(),
            aggregated_output: output.into(),
            exit_code,
            status,
        },
    )
}

fn plan(done: [bool; 3]) -> Item {
    let steps = ["Inspect repo", "Write files", "Summarize"];
    item(
        "call_plan",
        ItemDetails::TodoList {
            items: steps
                .iter()
                .zip(done)
                .map(|(text, completed)| TodoItem {
                    text: (*text).into(),
                    completed,
                })
                .collect(),
        },
    )
}

fn patch(status: PatchStatus) -> Item {
    item(
        "call_patch",
        ItemDetails::FileChange {
            changes: vec![
                FileChange {
                    path: "/home/user/repo/hello.txt".into(),
                    kind: FileChangeKind::Add,
                    diff: Some(
                        "--- /dev/null\n+++ b/hello.txt\n@@ -0,0 +1 @@\n+Hello, world!\n".into(),
                    ),
                },
                FileChange {
                    path: "/home/user/repo/old.txt".into(),
                    kind: FileChangeKind::Delete,
                    diff: None,
                },
            ],
            status,
        },
    )
}

/// Reasoning, a message, a command that succeeds and one that fails, a plan
/// updated twice, a patch, an MCP call, a web search, a warning, usage.
pub fn successful_turn() -> Vec<Event> {
    let usage = Usage {
        input_tokens: 4060,
        cached_input_tokens: 800,
        cache_write_input_tokens: 0,
        output_tokens: 200,
        reasoning_output_tokens: 40,
    };
    let listing = "created\n.\n..\nnotes.txt\n";
    vec![
        thread_started(),
        event(EventMsg::TurnStarted),
        event(EventMsg::ItemCompleted {
            item: item(
                "user_1",
                ItemDetails::UserMessage {
                    text: "create hello.txt".into(),
                },
            ),
        }),
        event(EventMsg::Warning {
            message: "could not find bubblewrap on PATH".into(),
        }),
        event(EventMsg::ReasoningDelta {
            item_id: "rs_1".into(),
            delta: "**Inspecting".into(),
        }),
        event(EventMsg::ItemCompleted {
            item: item(
                "rs_1",
                ItemDetails::Reasoning {
                    text: "**Inspecting repo**\n\nI will look around first.".into(),
                },
            ),
        }),
        event(EventMsg::ItemCompleted {
            item: item(
                "msg_1",
                ItemDetails::AgentMessage {
                    text: "I'll start by looking at the repository.".into(),
                },
            ),
        }),
        event(EventMsg::ItemStarted {
            item: plan([false, false, false]),
        }),
        event(EventMsg::ItemStarted {
            item: command(
                "call_1",
                "/bin/bash -lc 'echo created && ls -a'",
                "",
                None,
                CommandStatus::InProgress,
            ),
        }),
        event(EventMsg::CommandOutputDelta {
            item_id: "call_1".into(),
            chunk: "created\n".into(),
        }),
        event(EventMsg::ItemCompleted {
            item: command(
                "call_1",
                "/bin/bash -lc 'echo created && ls -a'",
                listing,
                Some(0),
                CommandStatus::Completed,
            ),
        }),
        event(EventMsg::ItemStarted {
            item: command(
                "call_2",
                "/bin/bash -lc 'echo oops >&2; exit 3'",
                "",
                None,
                CommandStatus::InProgress,
            ),
        }),
        event(EventMsg::ItemCompleted {
            item: command(
                "call_2",
                "/bin/bash -lc 'echo oops >&2; exit 3'",
                "oops\n",
                Some(3),
                CommandStatus::Failed,
            ),
        }),
        event(EventMsg::ItemUpdated {
            item: plan([true, false, false]),
        }),
        event(EventMsg::ItemStarted {
            item: patch(PatchStatus::InProgress),
        }),
        event(EventMsg::ItemCompleted {
            item: patch(PatchStatus::Completed),
        }),
        event(EventMsg::ItemCompleted {
            item: item(
                "call_mcp",
                ItemDetails::McpToolCall {
                    server: "echo".into(),
                    tool: "echo".into(),
                    arguments: serde_json::json!({"text": "hi"}),
                    result: Some(McpCallResult {
                        content: vec![serde_json::json!({"type": "text", "text": "echo: hi"})],
                        structured_content: None,
                    }),
                    error: None,
                    status: McpCallStatus::Completed,
                },
            ),
        }),
        event(EventMsg::ItemCompleted {
            item: item(
                "ws_1",
                ItemDetails::WebSearch {
                    query: "sqlite wal mode".into(),
                },
            ),
        }),
        event(EventMsg::ItemUpdated {
            item: plan([true, true, false]),
        }),
        event(EventMsg::TokenCount(TokenCount {
            last: usage,
            total: usage,
            context_tokens: usage.input_tokens + usage.output_tokens,
            context_window: 272_000,
            cost_usd: None,
        })),
        event(EventMsg::ItemCompleted {
            item: item(
                "msg_2",
                ItemDetails::AgentMessage {
                    text: "Done: created hello.txt.".into(),
                },
            ),
        }),
        event(EventMsg::ItemCompleted {
            item: plan([true, true, false]),
        }),
        event(EventMsg::TurnCompleted(TurnCompleted {
            usage,
            turn_usage: usage,
            last_agent_message: Some("Done: created hello.txt.".into()),
            cost_usd: Some(0.0071),
            turn_cost_usd: Some(0.0071),
        })),
    ]
}

/// Two retries, then the error and the failure.
pub fn failed_turn_with_retries() -> Vec<Event> {
    let last = "exceeded retry limit, last status: 429 Too Many Requests";
    vec![
        thread_started(),
        event(EventMsg::TurnStarted),
        event(EventMsg::Reconnecting(Reconnecting {
            attempt: 1,
            max_attempts: 2,
            reason: "429 Too Many Requests".into(),
            delay_ms: 200,
        })),
        event(EventMsg::Reconnecting(Reconnecting {
            attempt: 2,
            max_attempts: 2,
            reason: "429 Too Many Requests".into(),
            delay_ms: 400,
        })),
        event(EventMsg::Error {
            message: last.into(),
        }),
        event(EventMsg::TurnFailed {
            error: ErrorInfo {
                message: last.into(),
            },
        }),
    ]
}

/// A command is running when the user presses Ctrl+C.
pub fn interrupted_turn() -> Vec<Event> {
    vec![
        thread_started(),
        event(EventMsg::TurnStarted),
        event(EventMsg::ItemStarted {
            item: command("call_1", "sleep 100", "", None, CommandStatus::InProgress),
        }),
        event(EventMsg::TurnAborted {
            reason: AbortReason::Interrupted,
        }),
    ]
}
