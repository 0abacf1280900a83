//! Compaction: replacing a long history by a summary the model writes of it.
//!
//! The model is sent the whole history followed by [`COMPACTION_PROMPT`]
//! (no tools offered) and its answer becomes the summary. The new history is
//! the thread's opening context built afresh, the user's most recent
//! messages (up to [`KEPT_USER_TEXT`] characters, oldest first) and the
//! summary as a user message that says what it is.
//!
//! In the store the history is append-only: a compaction appends a
//! [`COMPACTED_MARKER`] item and then every item of the new history, and
//! loading a thread keeps only what follows the last marker
//! (`stored_history::load`), so turns before it can no longer be rolled
//! back. Not here: when to compact (the turn loop
//! decides, from `model_auto_compact_token_limit` (by default 90% of the
//! model's window) or [`duet_protocol::Op::Compact`]).

use crate::services::TurnError;
use crate::turn::Turn;
use duet_model::{ContentItem, ResponseEvent, ResponseItem, ResponsesRequest};
use duet_protocol::EventMsg;
use tokio_util::sync::CancellationToken;

/// What the model is asked to write. Our own words.
pub(crate) const COMPACTION_PROMPT: &str = "\
Your context window is about to be replaced by a summary that you write now. \
Write it so that you can carry on the work from it alone:
- what the user wants, in their terms, and every constraint or preference they stated;
- what has been done so far: files read and changed, commands run and what they showed;
- decisions taken and the reasons for them;
- what is left to do, and what you were about to do next;
- open questions and anything that failed.
Name files, functions, commands and error messages exactly. \
Do not call tools. Answer with the summary alone.";

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
        let _ = serde_json::to_writer(&mut count, item);
    }
    count.0.div_ceil(4)
}

impl Turn {
    /// Summarise `history` and replace it; the new history is saved at
    /// once, after a marker. On failure the history is left as it was.
    pub(crate) async fn compact(
        &mut self,
        history: &mut Vec<ResponseItem>,
        cancel: &CancellationToken,
    ) -> Result<(), TurnError> {
        let mut input = std::mem::take(history);
        input.push(ResponseItem::user_text(COMPACTION_PROMPT));
        let mut request = self.request(input, None);
        request.tools = Vec::new();
        let summary = self.summary(&mut request, cancel).await;
        // The request's input is the history plus the prompt: give it back.
        request.input.pop();
        *history = std::mem::take(&mut request.input);
        let summary = summary?;
        let mut opening = Vec::new();
        self.open_thread(&mut opening);
        let replaced = compacted_history(opening, history, &summary);
        let mut saved = vec![ResponseItem::Other(
            serde_json::json!({ "type": COMPACTED_MARKER }),
        )];
        saved.extend(replaced.iter().cloned());
        self.services.recorder.history(&self.turn_id, &saved);
        *history = replaced;
        self.saved = history.len();
        self.context_tokens = estimated_tokens(history);
        self.compacted = true;
        self.send(EventMsg::ContextCompacted);
        self.report_context();
        Ok(())
    }

    /// Stream the compaction request and return the model's answer.
    async fn summary(
        &mut self,
        request: &mut ResponsesRequest,
        cancel: &CancellationToken,
    ) -> Result<String, TurnError> {
        let mut on_retry = self.retry_notices();
        let stream = tokio::select! {
            _ = cancel.cancelled() => return Err(TurnError::Cancelled),
            stream = self.settings.model.client.stream(request, &self.services.thread_id, &mut on_retry) => stream,
        };
        let mut stream = stream.map_err(|error| compaction_failed(&error))?;
        let mut summary = String::new();
        loop {
            let event = tokio::select! {
                _ = cancel.cancelled() => return Err(TurnError::Cancelled),
                event = stream.next() => event,
            };
            match event {
                None => {
                    return Err(TurnError::Fatal(
                        "cannot compact the conversation: the model stream ended early; try `/compact` again".to_string(),
                    ));
                }
                Some(Err(error)) => return Err(compaction_failed(&error)),
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
            return Err(TurnError::Fatal(
                "cannot compact the conversation: the model wrote no summary; try `/compact` again"
                    .to_string(),
            ));
        }
        Ok(summary)
    }
}

fn compaction_failed(error: &duet_model::ModelError) -> TurnError {
    TurnError::Fatal(format!(
        "cannot compact the conversation: {error}; the history is unchanged"
    ))
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
fn user_prompt_text(item: &ResponseItem) -> Option<String> {
    // A resumed thread's items are kept as stored text; compaction is rare
    // enough to parse them here.
    let parsed;
    let item = match item {
        ResponseItem::Stored(stored) => {
            parsed = serde_json::from_str::<ResponseItem>(stored.json()).ok()?;
            &parsed
        }
        item => item,
    };
    let ResponseItem::Message { role, content, .. } = item else {
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
