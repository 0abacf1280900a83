//! Saving the thread as it goes, so any terminal can resume it and a killed
//! duet loses nothing that had completed.
//!
//! The store's writer thread ([`duet_store::Writer`]) does the SQLite work;
//! the session and the turn only push writes onto its channel: the thread
//! row and a `running` turn row when a turn starts, each history item as
//! soon as it completes, each displayed item as it is shown, and the turn's
//! status and usage when it ends. The session never waits for a write except
//! at shutdown ([`Recorder::flush`]). A store that cannot be opened or
//! written is a warning (the session goes on, unsaved), never a failed turn.
//! Not here: reading threads back (`session.rs`, `sessions.rs`).

use crate::search_text::search_text;
use duet_model::ResponseItem;
use duet_protocol::{Item, ItemDetails, Usage};
use duet_store::{NewItem, NewThread, Store, TurnRecord, TurnStart, UsageTotals, Write, Writer};
use std::path::PathBuf;
use std::sync::{Arc, Mutex, PoisonError};
use tokio::sync::oneshot;

/// Name of the database under `$DUET_HOME`.
pub(crate) const STORE_FILE_NAME: &str = "sessions.sqlite";

/// Where the recorder gets its store.
pub(crate) enum StoreSource {
    /// Already open (a resumed thread was read from it).
    Open(Store),
    /// Open it on the writer thread, off the start-up path.
    Path(PathBuf),
}

/// The session's handle on the writer thread; clones share it. Holds no
/// writer for `--ephemeral`, and then writes nothing.
#[derive(Clone, Default)]
pub(crate) struct Recorder {
    inner: Option<Arc<Inner>>,
}

struct Inner {
    writer: Writer,
    thread_id: String,
    /// The thread row, written with the first turn so that a session
    /// without a turn leaves nothing behind.
    new_thread: Mutex<Option<NewThread>>,
}

impl Recorder {
    pub(crate) fn ephemeral() -> Self {
        Recorder { inner: None }
    }

    pub(crate) fn start(
        source: StoreSource,
        thread_id: String,
        new_thread: Option<NewThread>,
        warn: impl Fn(String) + Send + Clone + 'static,
    ) -> Self {
        let open = move || match source {
            StoreSource::Open(store) => Ok(store),
            StoreSource::Path(path) => Store::open(&path),
        };
        let on_failure = warn.clone();
        // The first failure is the one that explains; later ones would only
        // repeat it for every item.
        let mut warned = false;
        let on_error = move |error: duet_store::StoreError| {
            if !warned {
                warned = true;
                on_failure(format!(
                    "this session is not fully saved and may not resume as it was: {error:#}"
                ));
            }
        };
        match Writer::spawn(open, on_error) {
            Ok(writer) => Recorder {
                inner: Some(Arc::new(Inner {
                    writer,
                    thread_id,
                    new_thread: Mutex::new(new_thread),
                })),
            },
            // Without a thread the session still works; it is just not
            // saved, and the user hears so.
            Err(error) => {
                warn(format!(
                    "this session is not saved: the store's writer thread could not start \
                     ({error}); it cannot be resumed"
                ));
                Recorder { inner: None }
            }
        }
    }

    /// A turn starts: the thread row if it is new, the `running` turn row,
    /// and the prompt as a displayed item.
    pub(crate) fn turn_started(&self, turn_id: &str, started_at_ms: i64, prompt: &str) {
        let Some(inner) = &self.inner else { return };
        let new_thread = inner
            .new_thread
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .take();
        if let Some(thread) = new_thread {
            inner.writer.send(Write::CreateThread(thread));
        }
        inner.writer.send(Write::StartTurn(TurnStart {
            thread_id: inner.thread_id.clone(),
            turn_id: turn_id.to_string(),
            started_at_ms,
        }));
        let prompt_item = Item {
            id: format!("{turn_id}-prompt"),
            details: ItemDetails::UserMessage {
                text: prompt.to_string(),
            },
        };
        self.display(turn_id, &prompt_item);
    }

    /// History items that just completed, in order.
    pub(crate) fn history(&self, turn_id: &str, items: &[ResponseItem]) {
        let Some(inner) = &self.inner else { return };
        if items.is_empty() {
            return;
        }
        let items = items.iter().filter_map(new_item).collect();
        inner.writer.send(Write::Append {
            thread_id: inner.thread_id.clone(),
            turn_id: turn_id.to_string(),
            items,
        });
    }

    /// An item the front end was shown as completed.
    pub(crate) fn display(&self, turn_id: &str, item: &Item) {
        let Some(inner) = &self.inner else { return };
        if let Ok(item) = serde_json::to_value(item) {
            inner.writer.send(Write::Display {
                thread_id: inner.thread_id.clone(),
                turn_id: turn_id.to_string(),
                item,
            });
        }
    }

    /// A turn ended: its record (with its own usage) and the thread's
    /// cumulative usage.
    pub(crate) fn turn_ended(&self, record: TurnRecord, thread_usage: &Usage) {
        let Some(inner) = &self.inner else { return };
        inner.writer.send(Write::EndTurn {
            turn: record,
            thread_usage: usage_totals(thread_usage),
        });
    }

    /// One model request for the cost ledger: what it was sent to, its
    /// tokens, and its price in picodollars (`None`: unknown).
    pub(crate) fn request(
        &self,
        turn_id: &str,
        (provider, model): (&str, &str),
        usage: &Usage,
        cost_pico: Option<i64>,
    ) {
        let Some(inner) = &self.inner else { return };
        inner.writer.send(Write::Request(duet_store::RequestRecord {
            thread_id: inner.thread_id.clone(),
            turn_id: turn_id.to_string(),
            at_ms: crate::services::now_ms(),
            provider: provider.to_string(),
            model: model.to_string(),
            tokens: duet_store::RequestTokens {
                input_tokens: usage.input_tokens,
                cached_input_tokens: usage.cached_input_tokens,
                cache_write_input_tokens: usage.cache_write_input_tokens,
                output_tokens: usage.output_tokens,
                reasoning_output_tokens: usage.reasoning_output_tokens,
            },
            cost_pico,
        }));
    }

    /// The thread was rewound to just before turn `from_turn_id`: that turn
    /// and every later one go from the store.
    pub(crate) fn rewind(&self, from_turn_id: &str) {
        let Some(inner) = &self.inner else { return };
        inner.writer.send(Write::Rewind {
            thread_id: inner.thread_id.clone(),
            from_turn_id: from_turn_id.to_string(),
        });
    }

    /// Wait until everything sent so far is written.
    pub(crate) async fn flush(&self) {
        if let Some(inner) = &self.inner {
            let (done_tx, done_rx) = oneshot::channel();
            inner.writer.flush(move || {
                let _ = done_tx.send(());
            });
            let _ = done_rx.await;
        }
    }
}

/// A history item as the store takes it: its exact JSON and search text.
/// The JSON is the text the request carries for it (same keys in the same
/// order), so that a resumed thread's request starts with the same bytes
/// and the provider's prompt cache still matches.
pub(crate) fn new_item(item: &ResponseItem) -> Option<NewItem> {
    let json = serde_json::value::to_raw_value(item).ok()?;
    Some(NewItem {
        search: search_text(item),
        json,
    })
}

pub(crate) fn usage_totals(usage: &Usage) -> UsageTotals {
    UsageTotals {
        input_tokens: usage.input_tokens,
        cached_input_tokens: usage.cached_input_tokens,
        output_tokens: usage.output_tokens,
        reasoning_output_tokens: usage.reasoning_output_tokens,
    }
}

pub(crate) fn usage_from_totals(totals: &UsageTotals) -> Usage {
    Usage {
        input_tokens: totals.input_tokens,
        cached_input_tokens: totals.cached_input_tokens,
        cache_write_input_tokens: 0,
        output_tokens: totals.output_tokens,
        reasoning_output_tokens: totals.reasoning_output_tokens,
    }
}
