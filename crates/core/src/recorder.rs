//! Saving the thread as it goes, so any terminal can resume it.
//!
//! rusqlite is synchronous, so the store lives on a thread of its own and the
//! session sends it jobs over a channel; the session never waits for a write
//! except at shutdown ([`Recorder::flush`]), so nothing is lost when the
//! process exits right after. A store that cannot be opened or written is a
//! warning (the session goes on, unsaved), never a failed turn.

use crate::session::EventSender;
use duet_protocol::{EventMsg, Usage};
use duet_store::{NewThread, Store, TurnRecord, UsageTotals};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use tokio::sync::oneshot;

/// Name of the database under `$DUET_HOME`.
pub(crate) const STORE_FILE_NAME: &str = "sessions.sqlite";

/// Where the recorder gets its store.
pub(crate) enum StoreSource {
    /// Already open (a resumed thread was read from it).
    Open(Store),
    /// Open it on the recorder thread, off the start-up path.
    Path(PathBuf),
}

/// One finished turn to save.
pub(crate) struct TurnSave {
    /// Set for the first save of a new thread.
    pub new_thread: Option<NewThread>,
    pub items: Vec<serde_json::Value>,
    pub record: TurnRecord,
    /// Thread-cumulative usage after the turn.
    pub usage: Usage,
}

enum Job {
    Save(Box<TurnSave>),
    Flush(oneshot::Sender<()>),
}

/// The session's handle on the writer thread. `None` inside: `--ephemeral`.
pub(crate) struct Recorder {
    jobs: Option<mpsc::Sender<Job>>,
}

impl Recorder {
    pub(crate) fn ephemeral() -> Self {
        Recorder { jobs: None }
    }

    pub(crate) fn start(source: StoreSource, events: EventSender) -> Self {
        let (jobs, receiver) = mpsc::channel();
        let spawned = std::thread::Builder::new()
            .name("duet-store".to_string())
            .spawn(move || write_loop(source, receiver, events));
        match spawned {
            Ok(_) => Recorder { jobs: Some(jobs) },
            // Without a thread the session still works; it is just not saved.
            Err(_) => Recorder { jobs: None },
        }
    }

    pub(crate) fn save(&self, save: TurnSave) {
        if let Some(jobs) = &self.jobs {
            let _ = jobs.send(Job::Save(Box::new(save)));
        }
    }

    /// Wait until everything sent so far is written.
    pub(crate) async fn flush(&self) {
        if let Some(jobs) = &self.jobs {
            let (done_tx, done_rx) = oneshot::channel();
            if jobs.send(Job::Flush(done_tx)).is_ok() {
                let _ = done_rx.await;
            }
        }
    }
}

/// The writer thread: ends when the session drops its [`Recorder`].
fn write_loop(source: StoreSource, jobs: mpsc::Receiver<Job>, events: EventSender) {
    // `Err` holds the path until the first save needs the store; a store that
    // failed to open is reported once and then left alone.
    let mut store: Result<Store, Option<PathBuf>> = match source {
        StoreSource::Open(store) => Ok(store),
        StoreSource::Path(path) => Err(Some(path)),
    };
    for job in jobs {
        match job {
            Job::Flush(done) => {
                let _ = done.send(());
            }
            Job::Save(save) => {
                if let Err(Some(path)) = &store {
                    store = open(path, &events).ok_or(None);
                }
                if let Ok(store) = &store
                    && let Err(error) = write_turn(store, &save)
                {
                    warn(&events, format!("this turn was not saved: {error:#}"));
                }
            }
        }
    }
}

fn open(path: &Path, events: &EventSender) -> Option<Store> {
    match Store::open(path) {
        Ok(store) => Some(store),
        Err(error) => {
            warn(
                events,
                format!("this session is not being saved and cannot be resumed: {error:#}"),
            );
            None
        }
    }
}

fn write_turn(store: &Store, save: &TurnSave) -> Result<(), duet_store::StoreError> {
    if let Some(thread) = &save.new_thread {
        store.create_thread(thread)?;
    }
    store.append_items(&save.record.thread_id, &save.record.turn_id, &save.items)?;
    store.record_turn(&save.record)?;
    store.set_usage(&save.record.thread_id, &usage_totals(&save.usage))
}

fn warn(events: &EventSender, message: String) {
    events.send(None, EventMsg::Warning { message });
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
