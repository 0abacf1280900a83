//! The messages between duet's front ends and its core.
//!
//! A front end (exec, tui) submits [`Op`]s and receives [`Event`]s; that pair of
//! queues is the whole interface. This crate is data only: serde types, no IO,
//! no async runtime. It deliberately knows nothing about the model API wire
//! format (that lives in `duet-model`) or the JSONL shape of `duet exec --json`
//! (that is a rendering of [`Event`] done by `duet-exec`), though [`Item`]
//! serialises to the item objects of that stream so the renderer stays thin.
//!
//! Main types: [`Op`], [`Event`], [`Item`], [`ItemDetails`], [`Usage`],
//! [`SandboxMode`], [`ApprovalPolicy`].

pub mod display;
mod item;
mod models;
pub use models::{ModelEntry, ModelList, ModelPrice};
mod policy;
pub mod threads;

pub use item::{
    CommandStatus, CompactionTrigger, FileChange, FileChangeKind, Item, ItemDetails, McpCallError,
    McpCallResult, McpCallStatus, PatchStatus, TodoItem,
};
pub use policy::{ApprovalPolicy, ReasoningEffort, ReasoningSummary, SandboxMode};

use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Version of the `duet exec --json` event schema, reported on `thread.started`.
///
/// Bump the major part when a field is removed or changes meaning; the minor part
/// when fields or event types are added.
pub const EXEC_JSON_SCHEMA_VERSION: &str = "1.1";

/// What a front end asks the session to do.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Op {
    /// Start a turn with this user input. If a turn is already running the
    /// input is queued and starts a new turn when the current one ends.
    UserTurn(UserTurn),
    /// Cancel the running turn: the model stream is dropped and running
    /// commands are killed. The session stays usable.
    Interrupt,
    /// The user's answer to [`EventMsg::ExecApprovalRequest`].
    ExecApproval {
        call_id: String,
        decision: ReviewDecision,
    },
    /// The user's answer to [`EventMsg::PatchApprovalRequest`].
    PatchApproval {
        call_id: String,
        decision: ReviewDecision,
    },
    /// The user's answer to [`EventMsg::McpApprovalRequest`].
    McpApproval {
        call_id: String,
        decision: ReviewDecision,
    },
    /// Report the session's MCP servers (state, tools); answered with
    /// [`EventMsg::McpServers`]. Does not wait for a running turn.
    ListMcpServers,
    /// Run a command the user typed (`!cmd` in the TUI) in the session's
    /// sandbox, without asking for approval. It runs as a turn of its own
    /// (queued behind a running one), shows as a `command_execution` item,
    /// and its command and output go into the history as a user message,
    /// so the model sees them on the next turn.
    RunUserShellCommand { command: String },
    /// Drop the last `num_turns` turns (a user shell command is a turn
    /// too) from the history,
    /// in memory and in the store, so a resumed session sees the rewound
    /// thread too. Queued like a turn: it applies once the running and
    /// queued turns are over. Answered with [`EventMsg::ThreadRolledBack`],
    /// or an [`EventMsg::Error`] when there are not that many turns.
    Rollback { num_turns: u32 },
    /// Finish: cancel any turn, kill children, then emit [`EventMsg::ShutdownComplete`].
    Shutdown,
    /// Change the model, reasoning effort, sandbox or approval policy for
    /// the turns that start after this op; a running turn keeps its own.
    /// Fields left `None` are unchanged.
    OverrideTurnContext(TurnOverrides),
    /// List the models of the session's provider (its server's list merged
    /// with the catalogue); answered with [`EventMsg::ModelList`]. Does not
    /// wait for a running turn.
    ListModels,
    /// Replace the history by a summary the model writes of it, plus the
    /// user's recent messages, to free the context window. Runs as a turn
    /// of its own (queued like [`Op::UserTurn`]) and ends with
    /// [`EventMsg::ContextCompacted`] then [`EventMsg::TurnCompleted`].
    Compact,
    /// [`Op::Compact`], showing the hand-off to the user before it is used
    /// ([`EventMsg::CompactionReview`]).
    CompactAndReview,
    /// The answer to [`EventMsg::CompactionReview`]: the hand-off to use
    /// (as shown, or edited). Empty text cancels the compaction: the
    /// history stays as it was.
    CompactionReviewed { summary: String },
}

/// The settings [`Op::OverrideTurnContext`] changes.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TurnOverrides {
    /// Another provider (an id of the config's providers); with no `model`,
    /// its default model. The history goes on, translated to its wire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub provider: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reasoning_effort: Option<ReasoningEffort>,
    /// Go back to the model's own reasoning effort (none is sent); wins
    /// over `reasoning_effort` in the same change.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub default_reasoning_effort: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sandbox: Option<SandboxMode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub approval: Option<ApprovalPolicy>,
}

impl TurnOverrides {
    /// The reasoning effort after this change, from the one in force:
    /// `None` (the model's own) when it asks for the default, its own
    /// effort when it sets one, else `current` unchanged.
    pub fn effort_after(&self, current: Option<ReasoningEffort>) -> Option<ReasoningEffort> {
        if self.default_reasoning_effort {
            None
        } else {
            self.reasoning_effort.or(current)
        }
    }

    /// `self` with the fields `later` sets replaced by `later`'s.
    pub fn merged(self, later: TurnOverrides) -> TurnOverrides {
        let (reasoning_effort, default_reasoning_effort) = if later.default_reasoning_effort {
            (None, true)
        } else if later.reasoning_effort.is_some() {
            (later.reasoning_effort, false)
        } else {
            (self.reasoning_effort, self.default_reasoning_effort)
        };
        // A model chosen with another provider goes with it.
        let model = if later.provider.is_some() {
            later.model
        } else {
            later.model.or(self.model)
        };
        TurnOverrides {
            provider: later.provider.or(self.provider),
            model,
            reasoning_effort,
            default_reasoning_effort,
            sandbox: later.sandbox.or(self.sandbox),
            approval: later.approval.or(self.approval),
        }
    }
}

/// One user message, with per-turn settings.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UserTurn {
    pub items: Vec<UserInput>,
    /// JSON Schema the final answer must follow (`--output-schema`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub output_schema: Option<serde_json::Value>,
}

/// A piece of user input.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum UserInput {
    Text {
        text: String,
    },
    /// A local image file, sent to the model as a data URL.
    LocalImage {
        path: PathBuf,
    },
}

/// How the user answered an approval request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReviewDecision {
    Approved,
    /// Approved, and do not ask again for the same thing in this session
    /// (kept in memory only).
    ApprovedForSession,
    /// Approved, and save the request's `proposed_rule` as an `allow` rule
    /// in `$DUET_HOME/rules/default.rules`, so commands starting with that
    /// prefix run without asking in this and later sessions. For a request
    /// without a `proposed_rule` it means [`ReviewDecision::ApprovedForSession`].
    ApprovedAndSaveRule,
    Denied,
    /// Denied, and stop the turn.
    Abort,
}

/// An event from the session, tagged with the turn it belongs to (if any).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Event {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub turn_id: Option<String>,
    pub msg: EventMsg,
}

/// Everything the session reports. Items follow started -> updated* -> completed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum EventMsg {
    /// Always the first event of a session.
    ThreadStarted(ThreadStarted),
    TurnStarted,
    ItemStarted {
        item: Item,
    },
    ItemUpdated {
        item: Item,
    },
    ItemCompleted {
        item: Item,
    },
    /// Streaming text of an agent message that will later complete as an item.
    AgentMessageDelta {
        item_id: String,
        delta: String,
    },
    /// Streaming text of a reasoning summary.
    ReasoningDelta {
        item_id: String,
        delta: String,
    },
    /// Output bytes of a running command (lossy UTF-8), for live tails.
    CommandOutputDelta {
        item_id: String,
        chunk: String,
    },
    /// Token usage after each model response.
    TokenCount(TokenCount),
    /// The turn ended with a final answer.
    TurnCompleted(TurnCompleted),
    /// The turn failed; an [`EventMsg::Error`] with the same message precedes it.
    TurnFailed {
        error: ErrorInfo,
    },
    /// The turn stopped at a request boundary because a budget limit was
    /// reached (`--max-budget-usd`, `--max-turns`, `--max-tokens`,
    /// `[budget]`). What it did so far is kept; the thread can go on.
    TurnStopped(TurnStopped),
    /// The turn was cancelled by [`Op::Interrupt`].
    TurnAborted {
        reason: AbortReason,
    },
    /// Something the user should know that does not stop the turn
    /// (a skipped malformed line, a cut AGENTS.md, an unsaved session).
    Warning {
        message: String,
    },
    /// A warning that the model request is being retried. `exec --json`
    /// prints it as the reference's `{"type":"error","message":"Reconnecting... n/m (...)"}`.
    Reconnecting(Reconnecting),
    /// A failure, emitted just before `TurnFailed`.
    Error {
        message: String,
    },
    ExecApprovalRequest(ExecApprovalRequest),
    PatchApprovalRequest(PatchApprovalRequest),
    /// May the model call this MCP tool? Answered with [`Op::McpApproval`].
    McpApprovalRequest(McpApprovalRequest),
    /// What a running MCP tool call reports of its progress (`item_id` is
    /// its `mcp_tool_call` item). Not part of `duet exec --json`.
    McpToolCallProgress {
        item_id: String,
        message: String,
    },
    /// The answer to [`Op::ListMcpServers`]. Not part of `duet exec --json`.
    McpServers {
        servers: Vec<McpServerStatus>,
    },
    /// A compaction's hand-off, for the user to read or edit before it
    /// replaces the history (after [`Op::CompactAndReview`], or every
    /// compaction when the session was started with `review_compactions`).
    /// The compaction waits for [`Op::CompactionReviewed`]. Not part of
    /// `duet exec --json` (exec never asks).
    CompactionReview {
        summary: String,
    },
    /// The history was replaced by a summary (by [`Op::Compact`], or
    /// automatically when `model_auto_compact_token_limit` was reached).
    /// The context is then nearly empty until the next response's usage.
    ContextCompacted,
    /// [`Op::Rollback`] is done: the history no longer holds the last
    /// `num_turns` user turns. Not part of `duet exec --json` (exec never
    /// rolls back).
    ThreadRolledBack {
        num_turns: u32,
    },
    /// The answer to [`Op::ListModels`]. Not part of `duet exec --json`.
    ModelList(ModelList),
    ShutdownComplete,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ThreadStarted {
    pub thread_id: String,
    /// The session's settings, for headers and status lines.
    pub model: String,
    pub provider: String,
    pub cwd: PathBuf,
    pub sandbox: SandboxMode,
    pub approval: ApprovalPolicy,
    pub writable_roots: Vec<PathBuf>,
    pub reasoning_effort: Option<ReasoningEffort>,
    pub reasoning_summary: Option<ReasoningSummary>,
}

/// One retry of a model request: a request that failed with 429, 5xx or a
/// refused connection, or a stream that broke after it started.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Reconnecting {
    /// 1-based number of this retry.
    pub attempt: u32,
    pub max_attempts: u32,
    /// What went wrong, e.g. `429 Too Many Requests`.
    pub reason: String,
    /// How long duet waits before trying again.
    pub delay_ms: u64,
}

impl Reconnecting {
    /// The reference's wording: `Reconnecting... 1/5 (reason)`.
    pub fn message(&self) -> String {
        format!(
            "Reconnecting... {}/{} ({})",
            self.attempt, self.max_attempts, self.reason
        )
    }
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnCompleted {
    /// Thread-cumulative usage, as the reference reports it.
    pub usage: Usage,
    /// This turn alone.
    pub turn_usage: Usage,
    pub last_agent_message: Option<String>,
    /// What the thread's requests cost so far, in US dollars (as `usage`,
    /// thread-cumulative); `None` when a request had no known price.
    #[serde(default)]
    pub cost_usd: Option<f64>,
    /// This turn's requests alone.
    #[serde(default)]
    pub turn_cost_usd: Option<f64>,
}

/// A turn stopped by a budget limit.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TurnStopped {
    pub limit: BudgetLimit,
    /// Which limit, and how far the turn got (front ends say how to go on).
    pub message: String,
    /// As in [`TurnCompleted`].
    pub usage: Usage,
    pub turn_usage: Usage,
    pub cost_usd: Option<f64>,
    pub turn_cost_usd: Option<f64>,
}

/// The limits a turn keeps to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BudgetLimit {
    /// `--max-budget-usd` / `budget.max_usd`.
    MaxBudgetUsd,
    /// `--max-turns` / `budget.max_turns`: model requests.
    MaxTurns,
    /// `--max-tokens` / `budget.max_tokens`: input plus output tokens.
    MaxTokens,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TokenCount {
    /// The last model response.
    pub last: Usage,
    /// The whole thread so far.
    pub total: Usage,
    /// How much of the window the conversation takes now: the last
    /// response's input and output, an estimate from its length for a
    /// resumed or just compacted thread.
    pub context_tokens: u64,
    /// The window compaction works to: the model's (configured,
    /// catalogued or reported by its server), else duet's assumption for an
    /// unknown model (128,000).
    pub context_window: u64,
    /// What the thread's requests cost so far, in US dollars; `None` when
    /// a request had no known price.
    #[serde(default)]
    pub cost_usd: Option<f64>,
}

impl TokenCount {
    /// Percent of the context window still free.
    pub fn context_left_percent(&self) -> u64 {
        context_left_percent(self.context_tokens, self.context_window)
    }
}

/// Percent of `window` left when `used` tokens of it are taken (0 when
/// full or over, 100 when the window is unknown, i.e. 0).
pub fn context_left_percent(used: u64, window: u64) -> u64 {
    if window == 0 {
        return 100;
    }
    100 - used.min(window) * 100 / window
}

/// Token counts in the shape of `turn.completed.usage`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub cache_write_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
}

impl Usage {
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.cached_input_tokens += other.cached_input_tokens;
        self.cache_write_input_tokens += other.cache_write_input_tokens;
        self.output_tokens += other.output_tokens;
        self.reasoning_output_tokens += other.reasoning_output_tokens;
    }

    /// What the human transcript calls "tokens used": non-cached input plus output.
    pub fn blended_total(&self) -> u64 {
        self.input_tokens.saturating_sub(self.cached_input_tokens) + self.output_tokens
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorInfo {
    pub message: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AbortReason {
    Interrupted,
    Shutdown,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ExecApprovalRequest {
    pub call_id: String,
    pub command: String,
    pub cwd: PathBuf,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    /// The command prefix [`ReviewDecision::ApprovedAndSaveRule`] would save
    /// (`["cargo", "test"]`), for the front end to show; `None` when no
    /// prefix is safe to save (shells, interpreters, wrappers) and the
    /// option should not be offered.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub proposed_rule: Option<Vec<String>>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PatchApprovalRequest {
    pub call_id: String,
    pub changes: Vec<FileChange>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
}

/// A call of an MCP tool waiting for the user's approval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpApprovalRequest {
    pub call_id: String,
    pub server: String,
    pub tool: String,
    /// The arguments the model gave, as JSON.
    pub arguments: serde_json::Value,
}

/// One configured MCP server as the session sees it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpServerStatus {
    pub name: String,
    pub state: McpServerState,
    /// Why it is not running (`failed`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Its tools the model sees (`ready`).
    pub tools: Vec<McpToolInfo>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum McpServerState {
    Starting,
    Ready,
    Failed,
}

/// One tool of an MCP server.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct McpToolInfo {
    /// The server's name for it.
    pub name: String,
    /// The name the model calls (`mcp__<server>__<tool>`).
    pub qualified_name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    /// Annotated as changing nothing (`readOnlyHint`).
    pub read_only: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn op_round_trips_through_json() {
        let op = Op::UserTurn(UserTurn {
            items: vec![UserInput::Text { text: "hi".into() }],
            output_schema: None,
        });
        let json = serde_json::to_value(&op).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "user_turn", "items": [{"type": "text", "text": "hi"}]})
        );
        assert_eq!(serde_json::from_value::<Op>(json).unwrap(), op);
    }

    #[test]
    fn exec_approvals_carry_the_rule_to_save() {
        let answer = Op::ExecApproval {
            call_id: "item_3".into(),
            decision: ReviewDecision::ApprovedAndSaveRule,
        };
        let json = serde_json::to_value(&answer).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "exec_approval", "call_id": "item_3",
                               "decision": "approved_and_save_rule"})
        );
        assert_eq!(serde_json::from_value::<Op>(json).unwrap(), answer);

        let request = |proposed_rule: Option<Vec<String>>| {
            serde_json::to_value(EventMsg::ExecApprovalRequest(ExecApprovalRequest {
                call_id: "item_3".into(),
                command: "/bin/bash -lc 'cargo test'".into(),
                cwd: PathBuf::from("/repo"),
                justification: None,
                proposed_rule,
            }))
            .unwrap()
        };
        assert_eq!(
            request(Some(vec!["cargo".into(), "test".into()])),
            serde_json::json!({"type": "exec_approval_request", "call_id": "item_3",
                               "command": "/bin/bash -lc 'cargo test'", "cwd": "/repo",
                               "proposed_rule": ["cargo", "test"]})
        );
        // Without a rule the event is exactly what it was before the field existed.
        assert_eq!(
            request(None),
            serde_json::json!({"type": "exec_approval_request", "call_id": "item_3",
                               "command": "/bin/bash -lc 'cargo test'", "cwd": "/repo"})
        );
    }

    #[test]
    fn overrides_serialise_only_what_they_change_and_merge_later_over_earlier() {
        let op = Op::OverrideTurnContext(TurnOverrides {
            sandbox: Some(SandboxMode::ReadOnly),
            ..TurnOverrides::default()
        });
        let json = serde_json::to_value(&op).unwrap();
        assert_eq!(
            json,
            serde_json::json!({"type": "override_turn_context", "sandbox": "read-only"})
        );
        assert_eq!(serde_json::from_value::<Op>(json).unwrap(), op);
        let earlier = TurnOverrides {
            model: Some("a".into()),
            sandbox: Some(SandboxMode::ReadOnly),
            ..TurnOverrides::default()
        };
        let later = TurnOverrides {
            model: Some("b".into()),
            approval: Some(ApprovalPolicy::Never),
            ..TurnOverrides::default()
        };
        assert_eq!(
            earlier.clone().merged(later),
            TurnOverrides {
                provider: None,
                model: Some("b".into()),
                reasoning_effort: None,
                default_reasoning_effort: false,
                sandbox: Some(SandboxMode::ReadOnly),
                approval: Some(ApprovalPolicy::Never),
            }
        );
        // A later provider takes its own model, not the earlier one's.
        let to_anthropic = TurnOverrides {
            provider: Some("anthropic".into()),
            ..TurnOverrides::default()
        };
        assert_eq!(
            earlier.merged(to_anthropic),
            TurnOverrides {
                provider: Some("anthropic".into()),
                model: None,
                sandbox: Some(SandboxMode::ReadOnly),
                ..TurnOverrides::default()
            }
        );
        // An effort and a reset: the later one wins, whichever it is.
        let set = TurnOverrides {
            reasoning_effort: Some(ReasoningEffort::Low),
            ..TurnOverrides::default()
        };
        let reset = TurnOverrides {
            default_reasoning_effort: true,
            ..TurnOverrides::default()
        };
        assert_eq!(
            (
                set.clone().merged(reset.clone()),
                reset.clone().merged(set.clone()),
                serde_json::to_value(&reset).unwrap()
            ),
            (
                reset.clone(),
                set.clone(),
                serde_json::json!({"default_reasoning_effort": true})
            )
        );
        // Applied to the effort in force: a reset clears it, an effort
        // replaces it, a change without either keeps it.
        let high = Some(ReasoningEffort::High);
        assert_eq!(
            (
                reset.effort_after(high),
                set.effort_after(high),
                TurnOverrides::default().effort_after(high),
                TurnOverrides::default().effort_after(None),
            ),
            (None, Some(ReasoningEffort::Low), high, None)
        );
    }

    #[test]
    fn user_shell_commands_and_rollbacks_are_ops() {
        let ops = [
            Op::RunUserShellCommand {
                command: "ls -a".into(),
            },
            Op::Rollback { num_turns: 2 },
        ];
        let json = serde_json::to_value(&ops).unwrap();
        assert_eq!(
            json,
            serde_json::json!([
                {"type": "run_user_shell_command", "command": "ls -a"},
                {"type": "rollback", "num_turns": 2}
            ])
        );
        assert_eq!(serde_json::from_value::<[Op; 2]>(json).unwrap(), ops);
    }

    #[test]
    fn blended_total_excludes_cached_input() {
        let usage = Usage {
            input_tokens: 4060,
            cached_input_tokens: 800,
            output_tokens: 200,
            ..Usage::default()
        };
        assert_eq!(usage.blended_total(), 3460);
    }
}
