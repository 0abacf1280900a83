//! Stored threads as the front ends see them: a thread's record, its
//! turns and usage, listings and search hits, and the options of a listing
//! or a search. Plain data, shared by the session store (which reads and
//! writes them) and the front ends (which show them); how each maps to a
//! row is the store's business.

use crate::Item;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// A thread as it is created, before any turn.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewThread {
    /// A UUIDv7, so that ids sort by creation time.
    pub id: String,
    pub created_at_ms: i64,
    /// The working directory, as the caller wants it matched by
    /// the store's `last_thread` (canonicalise first).
    pub cwd: PathBuf,
    pub model: String,
    pub provider: String,
    pub sandbox_mode: String,
    pub approval_policy: String,
    pub git_branch: Option<String>,
    pub git_commit: Option<String>,
    pub git_origin: Option<String>,
    /// Which front end started it, e.g. `exec`.
    pub source: String,
}

/// A stored thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadRecord {
    pub id: String,
    pub created_at_ms: i64,
    /// When an item was last appended (at least `created_at_ms`).
    pub updated_at_ms: i64,
    pub cwd: PathBuf,
    pub model: String,
    pub provider: String,
    pub sandbox_mode: String,
    pub approval_policy: String,
    /// A unique name the user gave the thread.
    pub name: Option<String>,
    /// The first line of the first prompt, set by the first append that has one.
    pub title: Option<String>,
    pub archived: bool,
    /// Thread-cumulative token usage.
    pub usage: UsageTotals,
    /// The thread this one was forked from (`None` once that is deleted).
    pub parent_thread_id: Option<String>,
    /// For a fork: how many of the parent's history items it started with.
    pub fork_point: Option<i64>,
    pub git_branch: Option<String>,
    pub git_commit: Option<String>,
    pub git_origin: Option<String>,
    pub source: String,
}

/// Token counts, either for one turn or cumulative for a thread.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageTotals {
    pub input_tokens: u64,
    pub cached_input_tokens: u64,
    pub output_tokens: u64,
    pub reasoning_output_tokens: u64,
}

/// Where a turn is: still `Running`, or how it ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TurnStatus {
    /// Started and not ended yet. A turn whose process died is found and
    /// marked [`TurnStatus::Interrupted`] when the store is next opened.
    Running,
    Completed,
    Failed,
    Interrupted,
}

/// One turn of a thread: written as `Running` when it starts
/// (the store's `start_turn`), rewritten when it ends.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnRecord {
    pub thread_id: String,
    pub turn_id: String,
    pub status: TurnStatus,
    /// What went wrong, for a failed turn.
    pub error: Option<String>,
    pub started_at_ms: i64,
    /// `None` while running, and for a turn whose process died.
    pub ended_at_ms: Option<i64>,
    /// The tokens of this turn alone.
    pub usage: UsageTotals,
}

impl TurnStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            TurnStatus::Running => "running",
            TurnStatus::Completed => "completed",
            TurnStatus::Failed => "failed",
            TurnStatus::Interrupted => "interrupted",
        }
    }

    pub fn parse(text: &str) -> Option<TurnStatus> {
        match text {
            "running" => Some(TurnStatus::Running),
            "completed" => Some(TurnStatus::Completed),
            "failed" => Some(TurnStatus::Failed),
            "interrupted" => Some(TurnStatus::Interrupted),
            _ => None,
        }
    }
}

/// Which threads the store's `list_threads` returns.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ListOptions {
    /// Only threads whose cwd is exactly this; `None` for every directory.
    pub cwd: Option<PathBuf>,
    /// `false`: only threads that are not archived; `true`: only archived ones.
    pub archived: bool,
    /// At most this many, newest first; `None` for all.
    pub limit: Option<usize>,
}

/// A listed thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ThreadSummary {
    pub thread: ThreadRecord,
    /// How many turns it has (any status).
    pub turn_count: u64,
}

/// What the store's `search` looks in and how it marks matches.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchOptions {
    /// Only threads whose cwd is exactly this; `None` for every directory.
    pub cwd: Option<PathBuf>,
    /// Whether archived threads are searched too.
    pub include_archived: bool,
    /// At most this many threads.
    pub limit: usize,
    /// Put around each matching word of a snippet.
    pub highlight: (String, String),
}

impl Default for SearchOptions {
    fn default() -> SearchOptions {
        SearchOptions {
            cwd: None,
            include_archived: false,
            limit: 20,
            highlight: ("[".to_string(), "]".to_string()),
        }
    }
}

/// The best match of a search in one thread.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchHit {
    pub thread: ThreadRecord,
    pub turn_id: String,
    /// The matching item's position in the thread's history.
    pub item_seq: i64,
    pub role: SearchRole,
    /// A few words around the match, matches wrapped in the highlight marks,
    /// `…` where text was cut.
    pub snippet: String,
}

/// What kind of text a search hit is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SearchRole {
    /// A prompt the user typed.
    User,
    /// A message of the agent.
    Agent,
    /// A shell command the agent ran.
    Command,
}

/// The searchable text of an item.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SearchText {
    pub role: SearchRole,
    pub text: String,
}

impl SearchRole {
    pub fn as_str(self) -> &'static str {
        match self {
            SearchRole::User => "user",
            SearchRole::Agent => "agent",
            SearchRole::Command => "command",
        }
    }

    pub fn parse(text: &str) -> Option<SearchRole> {
        match text {
            "user" => Some(SearchRole::User),
            "agent" => Some(SearchRole::Agent),
            "command" => Some(SearchRole::Command),
            _ => None,
        }
    }
}

/// A thread with everything needed to print or redraw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Transcript {
    pub thread: ThreadRecord,
    /// In order. Items whose turn has no record (none for threads duet
    /// wrote) are grouped in entries with no record, after the others.
    pub turns: Vec<TranscriptTurn>,
}

/// One turn of a [`Transcript`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TranscriptTurn {
    pub turn_id: String,
    /// How the turn went; `None` for items with no turn row.
    pub record: Option<TurnRecord>,
    /// The exact Responses items of the turn, in order (what the model saw).
    pub items: Vec<serde_json::Value>,
    /// What the front end showed, in order: the prompt first, then each
    /// completed item. For turns that stored none (imported ones), drawn
    /// from `items`: prompts, agent messages and shell commands.
    pub display: Vec<Item>,
}

/// A thread to import, with its whole history, for `duet sessions import`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedThread {
    pub thread: NewThread,
    pub turns: Vec<ImportedTurn>,
    /// The thread's cumulative usage (the sum of the turns' if unknown).
    pub usage: UsageTotals,
    /// When the thread was last active; `None`: when it was created.
    pub updated_at_ms: Option<i64>,
}

/// One turn of an [`ImportedThread`]: its record (status, times, usage) and
/// its items.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ImportedTurn {
    pub record: TurnRecord,
    /// Exact Responses items, in order.
    pub items: Vec<serde_json::Value>,
    /// Displayed items, in order (may be empty).
    pub display: Vec<Item>,
}
