//! Compaction: replacing a long history by a hand-off the model writes of
//! it, so a session outlives its context window.
//!
//! The model is sent the history followed by the checkpoint prompt
//! ([`CHECKPOINT_PROMPT`], or `compact_prompt`), no tools offered; its
//! answer is the summary. duet adds a task-state block it builds itself
//! from the history (`task_state.rs`: the plan, the files changed, the last
//! failing command), kept verbatim. The new history is the thread's opening
//! context built afresh (AGENTS.md reloaded), the user's most recent
//! messages (up to [`KEPT_USER_TEXT`] characters, oldest first), the summary
//! with the block as one user message that says what it is, and, after a
//! context overflow, the turn in flight as it was. A summary request that
//! would not fit the window is cut down first (`fit.rs`).
//!
//! In the store the history is append-only: a compaction appends a
//! [`COMPACTED_MARKER`] item and then every item of the new history, and
//! loading a thread keeps only what follows the last marker
//! (`stored_history::load`), so turns before it can no longer be rolled
//! back. Not here: when to compact (the turn loop decides, from
//! `model_auto_compact_token_limit` (by default 90% of the model's window),
//! a refused request, or [`duet_protocol::Op::Compact`]).

mod fit;
pub(crate) mod prune;
mod task_state;

use crate::services::TurnError;
use crate::turn::Turn;
use duet_model::{ContentItem, ModelError, ResponseEvent, ResponseItem, ResponsesRequest};
use duet_protocol::{CompactionTrigger, EventMsg, Item, ItemDetails};
use std::borrow::Cow;
use tokio_util::sync::CancellationToken;

/// What the model is asked to write: the reference's checkpoint sections,
/// in our own words.
pub(crate) const CHECKPOINT_PROMPT: &str = "\
Your context window is about to be replaced by a checkpoint that you write now; \
the work will continue from it alone, so it must hand the task over completely. \
Write it under these headings:
## Progress and decisions
What has been done (files read and changed, commands run and what they showed) \
and what was decided, with the reasons.
## Constraints and preferences
Everything the user asked for, ruled out or said they prefer, in their terms.
## Remaining work
What is left, in order, and the very next step.
## Critical data
The exact names, paths, commands, error messages, numbers and snippets the \
work depends on.
Be specific and brief. Do not call tools. Answer with the checkpoint alone.";

/// Opens the summary message in the new history.
pub(crate) const SUMMARY_PREFIX: &str = "\
Earlier turns of this conversation were compacted to free the context window. \
This is the summary you wrote of them; the user's recent messages are above it.";

/// The `type` of the store item that marks where a compaction replaced the
/// history. Never sent to the model.
pub(crate) const COMPACTED_MARKER: &str = "duet_compacted";

/// How much of the user's own recent text the new history keeps, in
/// characters (about 20,000 tokens).
pub(crate) const KEPT_USER_TEXT: usize = 80_000;

/// How many times a summary request refused as too long is cut down
/// further and sent again.
const SUMMARY_ATTEMPTS: u32 = 4;

/// About how many tokens `items` take in a request: a quarter of their
/// length as JSON (no tokenizer is at hand for every model; this errs on
/// the side of compacting early).
pub(crate) fn estimated_tokens(items: &[ResponseItem]) -> u64 {
    struct Count(u64);
    impl std::io::Write for Count {
        fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
            self.0 += bytes.len() as u64;
            Ok(bytes.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    for item in items {
        match item {
            // A resumed thread's items are their stored text: its length
            // is known without copying (tens of megabytes) to serialise it.
            ResponseItem::Stored(stored) => count.0 += stored.json().len() as u64,
            item => {
                let _ = serde_json::to_writer(&mut count, item);
            }
        }
    }
    count.0.div_ceil(4)
}

/// Responses item types, as a stored item's text names them: what
/// [`may_be`] looks for before a stored item is parsed.
pub(crate) const MESSAGE: &[&str] = &[r#""type":"message""#];
pub(crate) const CALLS: &[&str] = &[r#""type":"function_call""#, r#""type":"custom_tool_call""#];
pub(crate) const OUTPUTS: &[&str] = &[
    r#""type":"function_call_output""#,
    r#""type":"custom_tool_call_output""#,
];

/// Whether `item` may be of one of `kinds` (see [`MESSAGE`], [`CALLS`],
/// [`OUTPUTS`]): a look at a stored item's text, so that a resumed
/// thread's items are parsed only when they may matter; an item in memory
/// says yes (matching it costs nothing).
pub(crate) fn may_be(item: &ResponseItem, kinds: &[&str]) -> bool {
    match item {
        ResponseItem::Stored(stored) => kinds.iter().any(|kind| stored.json().contains(kind)),
        _ => true,
    }
}

/// `item`, parsed if it is stored text (a resumed thread's items are kept
/// as text; compaction is rare enough to parse them here); `None` if that
/// text does not parse.
pub(crate) fn parsed(item: &ResponseItem) -> Option<Cow<'_, ResponseItem>> {
    match item {
        ResponseItem::Stored(stored) => serde_json::from_str(stored.json()).ok().map(Cow::Owned),
        item => Some(Cow::Borrowed(item)),
    }
}

/// Why a summary request gave no summary.
enum SummaryError {
    /// The model refused it as too long for its window.
    TooLong,
    Turn(TurnError),
}

impl Turn {
    /// Summarise `history` and replace it; the new history is saved at
    /// once, after a marker. After an overflow the turn in flight is kept
    /// as it is rather than summarised. On failure the history is left as
    /// it was.
    pub(crate) async fn compact(
        &mut self,
        history: &mut Vec<ResponseItem>,
        cancel: &CancellationToken,
        trigger: CompactionTrigger,
    ) -> Result<(), TurnError> {
        let room = self.usable_window();
        let tokens_before = match self.context_tokens {
            0 => estimated_tokens(history),
            known => known,
        };
        let keep_from = match trigger {
            CompactionTrigger::Overflow => self.turn_start.min(history.len()),
            CompactionTrigger::Auto | CompactionTrigger::Manual => history.len(),
        };
        let task_state = task_state::TaskState::of(history).render();
        let prompt = self.compaction_prompt(task_state.as_deref());
        let prompt_tokens = estimated_tokens(std::slice::from_ref(&prompt));
        let mut budget = room.saturating_sub(prompt_tokens);
        let mut attempt = 1;
        let (summary, mut elided, omitted) = loop {
            let fitted = fit::fit(history[..keep_from].to_vec(), budget, true);
            let mut input = fitted.items;
            input.push(prompt.clone());
            let mut request = self.request(input, None);
            request.tools = Vec::new();
            match self.summary(&mut request, cancel).await {
                Ok(summary) => break (summary, fitted.elided_outputs, fitted.omitted_turns),
                Err(SummaryError::TooLong) if attempt < SUMMARY_ATTEMPTS && budget > 1_000 => {
                    log::warn!(
                        "the summary request was too long for the model at about {budget} tokens; cutting it down further"
                    );
                    budget /= 2;
                    attempt += 1;
                }
                Err(SummaryError::TooLong) => {
                    return Err(TurnError::Fatal(format!(
                        "cannot compact the conversation: the model refused the summary request as too long even cut down to about {budget} tokens; set `model_context_window` to the model's real window (now {}), or start a new session; the history is unchanged",
                        self.window()
                    )));
                }
                Err(SummaryError::Turn(error)) => return Err(error),
            }
        };
        let mut hand_off = match &task_state {
            Some(block) => format!("{}\n\n{block}", summary.trim()),
            None => summary.trim().to_string(),
        };
        if self.review_compaction {
            hand_off = self.reviewed(hand_off, cancel).await?;
            if hand_off.trim().is_empty() {
                self.send(EventMsg::Warning {
                    message: "compaction cancelled: the hand-off was left empty; the history is unchanged".to_string(),
                });
                // Not asked again before every request of this turn.
                self.auto_compact_declined = true;
                return Ok(());
            }
        }
        let mut opening = Vec::new();
        self.open_thread(&mut opening);
        let mut replaced = compacted_history(opening, &history[..keep_from], &hand_off);
        let tail_start = replaced.len();
        if keep_from < history.len() {
            let left = room.saturating_sub(estimated_tokens(&replaced));
            let tail = fit::fit(history[keep_from..].to_vec(), left, false);
            elided += tail.elided_outputs;
            replaced.extend(tail.items);
        }
        let mut saved = vec![ResponseItem::Other(
            serde_json::json!({ "type": COMPACTED_MARKER }),
        )];
        saved.extend(replaced.iter().cloned());
        self.services.recorder.history(&self.turn_id, &saved);
        *history = replaced;
        self.saved = history.len();
        self.turn_start = tail_start;
        self.context_tokens = estimated_tokens(history);
        self.compacted = true;
        let item = Item {
            id: self.services.events.item_id(),
            details: ItemDetails::ContextCompaction {
                trigger,
                summary: hand_off,
                tokens_before,
                tokens_after: self.context_tokens,
                elided_tool_outputs: elided,
                omitted_turns: omitted,
            },
        };
        self.send(EventMsg::ItemCompleted { item });
        self.send(EventMsg::ContextCompacted);
        self.report_context(duet_protocol::Usage::default());
        Ok(())
    }

    /// Show `hand_off` to the front end and wait for the text to use.
    async fn reviewed(
        &self,
        hand_off: String,
        cancel: &CancellationToken,
    ) -> Result<String, TurnError> {
        let (sender, answer) = tokio::sync::oneshot::channel();
        if let Ok(mut pending) = self.services.pending_review.lock() {
            *pending = Some(sender);
        }
        self.send(EventMsg::CompactionReview {
            summary: hand_off.clone(),
        });
        tokio::select! {
            _ = cancel.cancelled() => Err(TurnError::Cancelled),
            // A front end that went away leaves the hand-off as written.
            answer = answer => Ok(answer.unwrap_or(hand_off)),
        }
    }

    /// The request's last message: the checkpoint prompt (or the
    /// configured one), and the task-state block duet will keep.
    fn compaction_prompt(&self, task_state: Option<&str>) -> ResponseItem {
        let mut text = self
            .settings
            .config
            .compact_prompt
            .clone()
            .unwrap_or_else(|| CHECKPOINT_PROMPT.to_string());
        if let Some(block) = task_state {
            text.push_str(
                "\n\nduet keeps the following block next to your checkpoint as it is; do not repeat it.\n\n",
            );
            text.push_str(block);
        }
        ResponseItem::user_text(text)
    }

    /// Stream the compaction request and return the model's answer.
    async fn summary(
        &mut self,
        request: &mut ResponsesRequest,
        cancel: &CancellationToken,
    ) -> Result<String, SummaryError> {
        let mut on_retry = self.retry_notices();
        let stream = tokio::select! {
            _ = cancel.cancelled() => return Err(SummaryError::Turn(TurnError::Cancelled)),
            stream = self.settings.model.client.stream(request, &self.services.thread_id, &mut on_retry) => stream,
        };
        let mut stream = stream.map_err(compaction_failed)?;
        let mut summary = String::new();
        loop {
            let event = tokio::select! {
                _ = cancel.cancelled() => return Err(SummaryError::Turn(TurnError::Cancelled)),
                event = stream.next() => event,
            };
            match event {
                None => {
                    return Err(SummaryError::Turn(TurnError::Fatal(
                        "cannot compact the conversation: the model stream ended early; try `/compact` again".to_string(),
                    )));
                }
                Some(Err(error)) => return Err(compaction_failed(error)),
                Some(Ok(ResponseEvent::OutputItemDone(ResponseItem::Message {
                    role,
                    content,
                    ..
                }))) if role == "assistant" => {
                    for part in content {
                        if let ContentItem::OutputText { text, .. } = part {
                            summary.push_str(&text);
                        }
                    }
                }
                Some(Ok(ResponseEvent::Completed { usage, .. })) => {
                    if let Some(usage) = usage {
                        self.add_usage(usage);
                    }
                    break;
                }
                Some(Ok(_)) => {}
            }
        }
        if summary.trim().is_empty() {
            return Err(SummaryError::Turn(TurnError::Fatal(
                "cannot compact the conversation: the model wrote no summary; try `/compact` again"
                    .to_string(),
            )));
        }
        Ok(summary)
    }
}

fn compaction_failed(error: ModelError) -> SummaryError {
    match error {
        ModelError::ContextWindowExceeded => SummaryError::TooLong,
        error => SummaryError::Turn(TurnError::Fatal(format!(
            "cannot compact the conversation: {error}; the history is unchanged"
        ))),
    }
}

/// The history after a compaction: `opening`, the user's recent messages
/// from `old`, then the summary.
pub(crate) fn compacted_history(
    opening: Vec<ResponseItem>,
    old: &[ResponseItem],
    summary: &str,
) -> Vec<ResponseItem> {
    let mut kept = Vec::new();
    let mut budget = KEPT_USER_TEXT;
    for text in old.iter().rev().filter_map(user_prompt_text) {
        if text.len() > budget {
            break;
        }
        budget -= text.len();
        kept.push(ResponseItem::user_text(text));
    }
    kept.reverse();
    let mut history = opening;
    history.extend(kept);
    history.push(ResponseItem::user_text(format!(
        "{SUMMARY_PREFIX}\n\n<summary>\n{}\n</summary>",
        summary.trim()
    )));
    history
}

/// The text of a message the user typed; `None` for other items and for
/// the user-role messages duet writes itself (opening context, notes of
/// an interrupt, an earlier summary).
pub(crate) fn user_prompt_text(item: &ResponseItem) -> Option<String> {
    if !may_be(item, MESSAGE) {
        return None;
    }
    let item = parsed(item)?;
    let ResponseItem::Message { role, content, .. } = &*item else {
        return None;
    };
    if role != "user" {
        return None;
    }
    let text: String = content
        .iter()
        .filter_map(|part| match part {
            ContentItem::InputText { text } => Some(text.as_str()),
            _ => None,
        })
        .collect::<Vec<_>>()
        .join("\n");
    let written_by_duet = [
        "<environment_context>",
        "# AGENTS.md instructions",
        "<turn_aborted>",
        SUMMARY_PREFIX,
    ];
    if text.is_empty() || written_by_duet.iter().any(|mark| text.starts_with(mark)) {
        return None;
    }
    Some(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn user(text: &str) -> ResponseItem {
        ResponseItem::user_text(text)
    }

    #[test]
    fn the_new_history_keeps_the_opening_recent_prompts_and_the_summary() {
        let old = vec![
            ResponseItem::developer_text("base"),
            user("<environment_context>\n</environment_context>"),
            user("fix the parser"),
            ResponseItem::Message {
                id: None,
                role: "assistant".into(),
                content: vec![ContentItem::OutputText {
                    text: "done".into(),
                    annotations: Vec::new(),
                }],
            },
            user("<turn_aborted>stopped</turn_aborted>"),
            user("now the tests"),
        ];
        let got = compacted_history(vec![ResponseItem::developer_text("new base")], &old, " S ");
        assert_eq!(
            got,
            vec![
                ResponseItem::developer_text("new base"),
                user("fix the parser"),
                user("now the tests"),
                user(&format!("{SUMMARY_PREFIX}\n\n<summary>\nS\n</summary>")),
            ]
        );
        // A second compaction does not keep the first summary as a prompt.
        let again = compacted_history(Vec::new(), &got, "T");
        assert_eq!(again.len(), 3);
        // Items of a resumed thread are stored text, and still recognised.
        let stored: Vec<ResponseItem> = old
            .iter()
            .map(|item| {
                ResponseItem::Stored(duet_model::StoredItem::new(
                    serde_json::to_string(item).expect("json"),
                ))
            })
            .collect();
        let from_stored = compacted_history(
            vec![ResponseItem::developer_text("new base")],
            &stored,
            " S ",
        );
        assert_eq!(from_stored, got);
    }

    #[test]
    fn only_the_newest_prompts_that_fit_are_kept() {
        let long = "x".repeat(KEPT_USER_TEXT - 10);
        let old = vec![user("oldest"), user(&long), user("newest!")];
        let got = compacted_history(Vec::new(), &old, "S");
        assert_eq!(
            got,
            vec![
                user(&long),
                user("newest!"),
                user(&format!("{SUMMARY_PREFIX}\n\n<summary>\nS\n</summary>"))
            ]
        );
    }
}
