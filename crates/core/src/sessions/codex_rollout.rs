//! Reading one Codex rollout file (`rollout-*.jsonl`, see
//! codex-behavior.md §8.1) into an [`ImportedThread`].
//!
//! Pure: text in, a thread out. What is kept: the session's facts from
//! `session_meta` (id, time, cwd, provider, git, and the base instructions,
//! which become the first history item) and the first
//! `turn_context` (model, sandbox, approvals); every `response_item` whose
//! type the Responses API takes as input, exactly as written (so a resumed
//! session replays it); turn boundaries from `task_started`,
//! `task_complete` and `turn_aborted` (or, in files without them, from each
//! new prompt); token counts from `token_count`; a compaction's
//! replacement history. Display events (`item_completed`, `agent_message`)
//! are left out: the transcript is drawn from the items. Walking
//! directories and writing to the store is `import_codex.rs`.

use crate::search_text::search_text_of_json;
use duet_protocol::threads::{
    ImportedThread, ImportedTurn, NewThread, TurnRecord, TurnStatus, UsageTotals,
};
use serde_json::Value;
use std::collections::BTreeMap;

/// A rollout read into a thread, with what was noticed on the way.
#[derive(Debug, Clone, PartialEq)]
pub struct ParsedRollout {
    pub thread: ImportedThread,
    /// Problems that did not stop the import, each starting with the file
    /// (and line, where there is one).
    pub warnings: Vec<String>,
    /// For a fork that points into its parent's rollout instead of
    /// copying it (`history_base`): the parent thread and the first ordinal
    /// of the parent's rollout that the fork does not include.
    pub history_base: Option<(String, i64)>,
    /// The rollout ordinal of each item, in the order of the turns' items.
    pub item_ordinals: Vec<i64>,
}

/// The Responses item types a rollout may hold that are model input.
const REPLAYED_TYPES: &[&str] = &[
    "message",
    "reasoning",
    "function_call",
    "function_call_output",
    "custom_tool_call",
    "custom_tool_call_output",
    "local_shell_call",
    "web_search_call",
    "image_generation_call",
];

/// Reads the rollout `text` of the file named `file` (used in warnings).
/// `Err` says why the file is not imported at all.
pub fn parse_codex_rollout(text: &str, file: &str) -> Result<ParsedRollout, String> {
    let mut reader = Reader::default();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let line_number = index + 1;
        let ordinal = i64::try_from(index).unwrap_or(i64::MAX);
        match serde_json::from_str::<Value>(line) {
            Ok(Value::Object(record)) => {
                reader.record(&record, ordinal, || format!("{file}:{line_number}"))
            }
            Ok(_) => reader.warn(format!(
                "{file}:{line_number}: not a JSON object; line skipped"
            )),
            Err(error) => reader.warn(format!(
                "{file}:{line_number}: not valid JSON ({error}); line skipped"
            )),
        }
    }
    reader.finish(file)
}

#[derive(Default)]
struct Reader {
    meta: Option<serde_json::Map<String, Value>>,
    meta_time_ms: Option<i64>,
    context: Option<serde_json::Map<String, Value>>,
    last_time_ms: Option<i64>,
    turns: Vec<Turn>,
    /// Whether the file marks its turns (`task_started`, `turn_context`).
    marked: bool,
    /// Whether the file ends its turns (`task_complete`, `turn_aborted`).
    saw_turn_ends: bool,
    usage_total: UsageTotals,
    skipped_types: BTreeMap<String, usize>,
    warnings: Vec<String>,
}

struct Turn {
    id: Option<String>,
    started_at_ms: Option<i64>,
    ended_at_ms: Option<i64>,
    status: Option<TurnStatus>,
    error: Option<String>,
    items: Vec<(i64, Value)>,
    usage_at_start: UsageTotals,
    usage_at_end: UsageTotals,
}

impl Reader {
    fn warn(&mut self, warning: String) {
        self.warnings.push(warning);
    }

    fn record(
        &mut self,
        record: &serde_json::Map<String, Value>,
        line_ordinal: i64,
        place: impl Fn() -> String,
    ) {
        let time_ms = record.get("timestamp").and_then(timestamp_ms);
        if time_ms.is_some() {
            self.last_time_ms = time_ms;
        }
        let ordinal = record
            .get("ordinal")
            .and_then(Value::as_i64)
            .unwrap_or(line_ordinal);
        let kind = record.get("type").and_then(Value::as_str).unwrap_or("");
        let payload = record.get("payload").and_then(Value::as_object);
        match (kind, payload) {
            ("session_meta", Some(payload)) => {
                if self.meta.is_none() {
                    // Newer builds nest the facts under `meta`.
                    let meta = payload
                        .get("meta")
                        .and_then(Value::as_object)
                        .unwrap_or(payload);
                    self.meta_time_ms = meta.get("timestamp").and_then(timestamp_ms).or(time_ms);
                    self.meta = Some(meta.clone());
                }
            }
            ("turn_context", Some(payload)) => {
                if self.context.is_none() {
                    self.context = Some(payload.clone());
                }
                let id = payload.get("turn_id").and_then(Value::as_str);
                self.marked = true;
                self.start_turn(id, time_ms);
            }
            ("response_item", Some(payload)) => self.item(payload, ordinal, time_ms),
            ("event_msg", Some(payload)) => self.event(payload, time_ms),
            ("compacted", Some(payload)) => self.compacted(payload, ordinal, &place),
            ("", None) if record.contains_key("id") && self.meta.is_none() => {
                // The oldest format: a bare meta object first, then bare items.
                self.meta_time_ms = time_ms;
                self.meta = Some(record.clone());
            }
            (kind, None) if REPLAYED_TYPES.contains(&kind) => {
                self.item(record, ordinal, time_ms);
            }
            (_, None) if record.contains_key("record_type") => {}
            (
                "world_state" | "token_usage_record" | "session_meta" | "turn_context"
                | "response_item" | "event_msg" | "compacted",
                _,
            ) => {}
            (kind, _) => {
                let warning = format!("{}: unknown record type `{kind}`; line skipped", place());
                self.warn(warning);
            }
        }
    }

    fn item(
        &mut self,
        payload: &serde_json::Map<String, Value>,
        ordinal: i64,
        time_ms: Option<i64>,
    ) {
        let kind = payload.get("type").and_then(Value::as_str).unwrap_or("");
        if !REPLAYED_TYPES.contains(&kind) {
            *self.skipped_types.entry(kind.to_string()).or_default() += 1;
            return;
        }
        let mut item = payload.clone();
        // Codex's own bookkeeping; the API does not take it back.
        item.remove("metadata");
        let item = Value::Object(item);
        let is_prompt = search_text_of_json(&item)
            .is_some_and(|found| found.role == duet_store::SearchRole::User);
        let needs_new_turn = match self.turns.last() {
            None => true,
            Some(turn) if turn.status.is_some() => true,
            // Without markers, each prompt after an answer is a new turn.
            Some(turn) => {
                !self.marked
                    && is_prompt
                    && turn.items.iter().any(|(_, item)| !is_user_message(item))
            }
        };
        if needs_new_turn {
            self.push_turn(None, time_ms);
        }
        if let Some(turn) = self.turns.last_mut() {
            turn.items.push((ordinal, item));
        }
    }

    fn event(&mut self, payload: &serde_json::Map<String, Value>, time_ms: Option<i64>) {
        let kind = payload.get("type").and_then(Value::as_str).unwrap_or("");
        match kind {
            "task_started" | "turn_started" => {
                self.marked = true;
                let id = payload.get("turn_id").and_then(Value::as_str);
                self.start_turn(id, time_ms);
            }
            "task_complete" | "turn_complete" => {
                let error = payload.get("error").filter(|error| !error.is_null());
                let (status, error) = match error {
                    Some(Value::String(text)) => (TurnStatus::Failed, Some(text.clone())),
                    Some(other) => (TurnStatus::Failed, Some(other.to_string())),
                    None => (TurnStatus::Completed, None),
                };
                self.end_turn(status, error, time_ms);
            }
            "turn_aborted" => self.end_turn(TurnStatus::Interrupted, None, time_ms),
            "token_count" => {
                let info = payload.get("info").unwrap_or(&Value::Null);
                let total = info
                    .get("total_token_usage")
                    .or_else(|| payload.get("total_token_usage"));
                if let Some(total) = total {
                    self.usage_total = usage_of(total);
                    let usage = self.usage_total;
                    if let Some(turn) = self.turns.last_mut() {
                        turn.usage_at_end = usage;
                    }
                }
            }
            _ => {}
        }
    }

    /// A compaction: what the model sees from here on is the replacement
    /// history (or, from builds that kept only a summary, that summary).
    fn compacted(
        &mut self,
        payload: &serde_json::Map<String, Value>,
        ordinal: i64,
        place: &impl Fn() -> String,
    ) {
        let replacement: Vec<Value> = match payload.get("replacement_history") {
            Some(Value::Array(items)) => items.clone(),
            _ => match payload.get("message").and_then(Value::as_str) {
                Some(summary) => {
                    let warning = format!(
                        "{}: a compaction without its replacement history; the summary stands for the history before it",
                        place()
                    );
                    self.warn(warning);
                    vec![serde_json::json!({"type": "message", "role": "user",
                        "content": [{"type": "input_text", "text": summary}]})]
                }
                None => return,
            },
        };
        for turn in &mut self.turns {
            turn.items.clear();
        }
        if self.turns.is_empty() {
            self.push_turn(None, None);
        }
        if let Some(turn) = self.turns.last_mut() {
            turn.items
                .extend(replacement.into_iter().map(|item| (ordinal, item)));
        }
    }

    fn start_turn(&mut self, id: Option<&str>, time_ms: Option<i64>) {
        let unended = self.unended();
        if let Some(turn) = self.turns.last_mut()
            && turn.status.is_none()
        {
            match (&turn.id, id) {
                // The same turn announced twice (`task_started`, `turn_context`).
                (Some(current), Some(id)) if current == id => return,
                // Items seen before the turn's id: they are that turn's.
                (None, Some(id)) => {
                    turn.id = Some(id.to_string());
                    return;
                }
                (_, None) if turn.items.is_empty() => return,
                // A new turn while this one had no end: see `unended`.
                _ => turn.status = Some(unended),
            }
        }
        self.push_turn(id, time_ms);
    }

    fn push_turn(&mut self, id: Option<&str>, time_ms: Option<i64>) {
        self.turns.push(Turn {
            id: id.map(str::to_string),
            started_at_ms: time_ms.or(self.last_time_ms),
            ended_at_ms: None,
            status: None,
            error: None,
            items: Vec::new(),
            usage_at_start: self.usage_total,
            usage_at_end: self.usage_total,
        });
    }

    /// How a turn the file never ends is recorded: interrupted in files
    /// that end their turns (`task_complete`), completed in older files
    /// that never do.
    fn unended(&self) -> TurnStatus {
        if self.saw_turn_ends {
            TurnStatus::Interrupted
        } else {
            TurnStatus::Completed
        }
    }

    fn end_turn(&mut self, status: TurnStatus, error: Option<String>, time_ms: Option<i64>) {
        self.saw_turn_ends = true;
        if let Some(turn) = self.turns.last_mut()
            && turn.status.is_none()
        {
            turn.status = Some(status);
            turn.error = error;
            turn.ended_at_ms = time_ms;
        }
    }

    fn finish(mut self, file: &str) -> Result<ParsedRollout, String> {
        let Some(meta) = self.meta.take() else {
            return Err("no `session_meta` line: not a Codex rollout".to_string());
        };
        let Some(id) = meta
            .get("id")
            .or_else(|| meta.get("session_id"))
            .and_then(Value::as_str)
            .filter(|id| !id.trim().is_empty())
        else {
            return Err("its `session_meta` has no session id".to_string());
        };
        let id = id.trim().to_ascii_lowercase();
        let created_at_ms = self
            .meta_time_ms
            .or(self.turns.first().and_then(|turn| turn.started_at_ms))
            .ok_or_else(|| "its `session_meta` has no valid timestamp".to_string())?;
        let Some(cwd) = meta.get("cwd").and_then(Value::as_str) else {
            return Err("its `session_meta` has no working directory (`cwd`)".to_string());
        };
        self.turns.retain(|turn| !turn.items.is_empty());
        if self.turns.is_empty() {
            return Err("it holds no conversation".to_string());
        }
        for (kind, count) in &self.skipped_types {
            let kind = if kind.is_empty() { "untyped" } else { kind };
            self.warnings.push(format!(
                "{file}: {count} `{kind}` item(s) left out: not model input duet replays"
            ));
        }
        let context = self.context.take().unwrap_or_default();
        let text = |map: &serde_json::Map<String, Value>, key: &str| {
            map.get(key).and_then(Value::as_str).map(str::to_string)
        };
        let git = meta.get("git").and_then(Value::as_object);
        let git_text = |key: &str| git.and_then(|git| text(git, key));
        let thread = NewThread {
            id: id.clone(),
            created_at_ms,
            cwd: cwd.into(),
            model: text(&context, "model")
                .or_else(|| text(&meta, "model"))
                .unwrap_or_else(|| "unknown".to_string()),
            provider: text(&meta, "model_provider").unwrap_or_else(|| "openai".to_string()),
            sandbox_mode: sandbox_mode(&context),
            approval_policy: text(&context, "approval_policy")
                .unwrap_or_else(|| "on-request".to_string()),
            git_branch: git_text("branch"),
            git_commit: git_text("commit_hash"),
            git_origin: git_text("repository_url"),
            source: "codex".to_string(),
        };
        let history_base = meta.get("history_base").and_then(|base| {
            Some((
                base.get("thread_id")?.as_str()?.to_string(),
                base.get("end_ordinal_exclusive")?.as_i64()?,
            ))
        });
        // Codex sends its base instructions as the request's `instructions`
        // and keeps them in `session_meta`, not among the items; they open
        // the history here so that a resumed session gets them too. A fork
        // that points into its parent gets them with the parent's items.
        let base_instructions = meta
            .get("base_instructions")
            .and_then(|base| base.get("text"))
            .or_else(|| meta.get("instructions"))
            .and_then(Value::as_str)
            .filter(|text| !text.trim().is_empty());
        if let (Some(text), None, Some(first)) =
            (base_instructions, &history_base, self.turns.first_mut())
        {
            let message = serde_json::json!({"type": "message", "role": "developer",
                "content": [{"type": "input_text", "text": text}]});
            first.items.insert(0, (i64::MIN, message));
        }
        let unended = self.unended();
        let mut item_ordinals = Vec::new();
        let mut turns = Vec::with_capacity(self.turns.len());
        let mut turn_ids = std::collections::HashSet::new();
        for (index, turn) in self.turns.into_iter().enumerate() {
            let mut turn_id = turn.id.unwrap_or_else(|| format!("{id}-{}", index + 1));
            if !turn_ids.insert(turn_id.clone()) {
                turn_id = format!("{turn_id}-{}", index + 1);
                turn_ids.insert(turn_id.clone());
            }
            let started_at_ms = turn.started_at_ms.unwrap_or(created_at_ms);
            let (ordinals, items): (Vec<i64>, Vec<Value>) = turn.items.into_iter().unzip();
            item_ordinals.extend(ordinals);
            turns.push(ImportedTurn {
                record: TurnRecord {
                    thread_id: id.clone(),
                    turn_id,
                    status: turn.status.unwrap_or(unended),
                    error: turn.error,
                    started_at_ms,
                    ended_at_ms: turn.ended_at_ms,
                    usage: usage_difference(turn.usage_at_end, turn.usage_at_start),
                },
                items,
                display: Vec::new(),
            });
        }
        Ok(ParsedRollout {
            thread: ImportedThread {
                thread,
                turns,
                usage: self.usage_total,
                updated_at_ms: self.last_time_ms.filter(|last| *last >= created_at_ms),
            },
            warnings: self.warnings,
            history_base,
            item_ordinals,
        })
    }
}

fn is_user_message(item: &Value) -> bool {
    item.get("type").and_then(Value::as_str) == Some("message")
        && item.get("role").and_then(Value::as_str) == Some("user")
}

/// `sandbox_policy` is a mode string, or an object with `type` (or `mode`).
fn sandbox_mode(context: &serde_json::Map<String, Value>) -> String {
    let policy = context.get("sandbox_policy");
    let mode = match policy {
        Some(Value::String(mode)) => Some(mode.as_str()),
        Some(Value::Object(policy)) => policy
            .get("type")
            .or_else(|| policy.get("mode"))
            .and_then(Value::as_str),
        _ => None,
    };
    match mode {
        Some("danger-full-access" | "danger_full_access") => "danger-full-access",
        Some("workspace-write" | "workspace_write") => "workspace-write",
        _ => "read-only",
    }
    .to_string()
}

fn timestamp_ms(value: &Value) -> Option<i64> {
    let timestamp: jiff::Timestamp = value.as_str()?.parse().ok()?;
    Some(timestamp.as_millisecond())
}

fn usage_of(value: &Value) -> UsageTotals {
    let count = |key: &str| value.get(key).and_then(Value::as_u64).unwrap_or(0);
    UsageTotals {
        input_tokens: count("input_tokens"),
        cached_input_tokens: count("cached_input_tokens"),
        output_tokens: count("output_tokens"),
        reasoning_output_tokens: count("reasoning_output_tokens"),
    }
}

fn usage_difference(end: UsageTotals, start: UsageTotals) -> UsageTotals {
    UsageTotals {
        input_tokens: end.input_tokens.saturating_sub(start.input_tokens),
        cached_input_tokens: end
            .cached_input_tokens
            .saturating_sub(start.cached_input_tokens),
        output_tokens: end.output_tokens.saturating_sub(start.output_tokens),
        reasoning_output_tokens: end
            .reasoning_output_tokens
            .saturating_sub(start.reasoning_output_tokens),
    }
}

#[cfg(test)]
#[path = "codex_rollout_tests.rs"]
mod tests;
