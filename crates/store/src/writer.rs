//! The writer thread: one thread that owns a [`Store`] and applies writes
//! sent over a channel, in order, each committed as soon as it is done.
//!
//! Senders never wait for SQLite (a send is a channel push), so a turn can
//! hand each history item over the moment it completes. A write that finds
//! the database locked by another process waits under the busy timeout and
//! is then tried again a few times, so two duet processes on one file both
//! get through; what still fails goes to the error callback, never to a
//! sender. The thread ends when the last [`Writer`] clone is dropped, after
//! the writes already sent.

use crate::error::StoreError;
use crate::item::NewItem;
use crate::record::{NewThread, TurnRecord, UsageTotals};
use crate::store::Store;
use crate::turns::TurnStart;
use serde_json::Value;
use std::sync::mpsc;

/// One write for the writer thread.
#[derive(Debug, Clone, PartialEq)]
pub enum Write {
    CreateThread(NewThread),
    StartTurn(TurnStart),
    /// See [`Store::append`].
    Append {
        thread_id: String,
        turn_id: String,
        items: Vec<NewItem>,
    },
    /// See [`Store::append_display`].
    Display {
        thread_id: String,
        turn_id: String,
        item: Value,
    },
    /// See [`Store::end_turn`].
    EndTurn {
        turn: TurnRecord,
        thread_usage: UsageTotals,
    },
    /// See [`Store::rewind_thread`].
    Rewind {
        thread_id: String,
        from_turn_id: String,
    },
}

type Done = Box<dyn FnOnce() + Send>;

enum Job {
    Write(Box<Write>),
    Flush(Done),
}

/// How many more times a write that met a lock is tried.
const BUSY_RETRIES: usize = 3;

/// A handle on a writer thread; clones share the thread.
#[derive(Clone)]
pub struct Writer {
    jobs: mpsc::Sender<Job>,
}

impl Writer {
    /// Starts the writer thread. `open` runs on it (so opening costs the
    /// caller nothing) when the first write arrives; if it fails, its error
    /// goes to `on_error` and later writes are dropped. `on_error` gets
    /// every write that failed for good.
    pub fn spawn<O, E>(open: O, on_error: E) -> std::io::Result<Writer>
    where
        O: FnOnce() -> Result<Store, StoreError> + Send + 'static,
        E: FnMut(StoreError) + Send + 'static,
    {
        let (jobs, receiver) = mpsc::channel();
        std::thread::Builder::new()
            .name("duet-store".to_string())
            .spawn(move || write_loop(open, receiver, on_error))?;
        Ok(Writer { jobs })
    }

    /// Queues a write. Returns `false` when the writer thread is gone.
    pub fn send(&self, write: Write) -> bool {
        self.jobs.send(Job::Write(Box::new(write))).is_ok()
    }

    /// Calls `done` on the writer thread once every write sent before is
    /// finished (written, or reported to `on_error`). If the thread is gone,
    /// `done` is called at once.
    pub fn flush(&self, done: impl FnOnce() + Send + 'static) {
        if let Err(mpsc::SendError(Job::Flush(done))) = self.jobs.send(Job::Flush(Box::new(done))) {
            done();
        }
    }

    /// Blocks until every write sent before is finished.
    pub fn flush_blocking(&self) {
        let (done_tx, done_rx) = mpsc::channel();
        self.flush(move || {
            let _ = done_tx.send(());
        });
        let _ = done_rx.recv();
    }
}

fn write_loop<O, E>(open: O, jobs: mpsc::Receiver<Job>, mut on_error: E)
where
    O: FnOnce() -> Result<Store, StoreError>,
    E: FnMut(StoreError),
{
    let mut open = Some(open);
    let mut store: Option<Store> = None;
    for job in jobs {
        let write = match job {
            Job::Flush(done) => {
                done();
                continue;
            }
            Job::Write(write) => write,
        };
        if let Some(open) = open.take() {
            match open() {
                Ok(opened) => store = Some(opened),
                Err(error) => on_error(error),
            }
        }
        let Some(store) = &store else { continue };
        let mut attempt = 0;
        loop {
            match apply(store, &write) {
                Ok(()) => break,
                Err(StoreError::Busy { .. }) if attempt < BUSY_RETRIES => attempt += 1,
                Err(error) => {
                    on_error(error);
                    break;
                }
            }
        }
    }
}

fn apply(store: &Store, write: &Write) -> Result<(), StoreError> {
    match write {
        Write::CreateThread(thread) => store.create_thread(thread),
        Write::StartTurn(turn) => store.start_turn(turn),
        Write::Append {
            thread_id,
            turn_id,
            items,
        } => store.append(thread_id, turn_id, items),
        Write::Display {
            thread_id,
            turn_id,
            item,
        } => store.append_display(thread_id, turn_id, item),
        Write::EndTurn { turn, thread_usage } => store.end_turn(turn, thread_usage),
        Write::Rewind {
            thread_id,
            from_turn_id,
        } => store.rewind_thread(thread_id, from_turn_id).map(|_| ()),
    }
}
