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
//!
//! Checkpoints (copying the write-ahead log back into the database file,
//! with two `fsync`s) are the writer's own business too: SQLite would run
//! one inside whichever commit crosses 1,000 log pages, making that append
//! take milliseconds instead of tens of microseconds. The writer's
//! connection turns that off and checkpoints when its queue is empty, so a
//! checkpoint never holds up a write that was already waiting. No
//! connection checkpoints when it closes (a short-lived process would be
//! cut off mid-checkpoint at exit, and wait for its `fsync` all the same):
//! instead a writer that opens the database with a long log checkpoints
//! first, so the log stays bounded however many processes wrote it.

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
    /// See [`Store::record_request`].
    Request(crate::ledger::RequestRecord),
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

/// At most this many waiting writes share one commit.
const MAX_BATCH: usize = 256;

/// How many more times a write that met a lock is tried.
const BUSY_RETRIES: usize = 3;

/// After how many writes the writer checkpoints when its queue is empty.
/// A write appends a handful of pages to the log, so this keeps it near
/// SQLite's own 1,000-page threshold.
const CHECKPOINT_AFTER_WRITES: u32 = 200;

/// After how many writes it checkpoints even with writes waiting, so that
/// the log stays bounded under a steady stream of writes.
const CHECKPOINT_FORCED_AFTER_WRITES: u32 = 4 * CHECKPOINT_AFTER_WRITES;

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
    let mut unchecked_writes = 0u32;
    let mut next = jobs.recv().ok();
    while let Some(job) = next.take() {
        let write = match job {
            Job::Flush(done) => {
                done();
                next = next_job(&jobs, &store, &mut unchecked_writes);
                continue;
            }
            Job::Write(write) => write,
        };
        if let Some(open) = open.take() {
            match open() {
                Ok(opened) => {
                    opened.defer_checkpoints();
                    // Short-lived processes (one `duet exec` each) never
                    // write enough to checkpoint while they run: the
                    // first one to find the log long copies it back.
                    if opened.log_is_long() {
                        opened.checkpoint();
                    }
                    store = Some(opened);
                }
                Err(error) => on_error(error),
            }
        }
        let Some(opened) = &store else {
            next = jobs.recv().ok();
            continue;
        };
        // Writes already waiting go in with this one, in one commit (a
        // flush waits for them: it is the next job).
        let mut batch = vec![write];
        while batch.len() < MAX_BATCH {
            match jobs.try_recv() {
                Ok(Job::Write(more)) => batch.push(more),
                Ok(flush) => {
                    next = Some(flush);
                    break;
                }
                Err(_) => break,
            }
        }
        apply_batch(opened, &batch, &mut on_error);
        unchecked_writes += u32::try_from(batch.len()).unwrap_or(u32::MAX);
        if unchecked_writes >= CHECKPOINT_FORCED_AFTER_WRITES {
            opened.checkpoint();
            unchecked_writes = 0;
        }
        if next.is_none() {
            next = next_job(&jobs, &store, &mut unchecked_writes);
        }
    }
}

/// Applies `batch` in one transaction, each write in a savepoint
/// ([`Store::batch`]): one commit instead of one per write. A write that
/// fails goes to `on_error` alone; a batch that cannot start or commit
/// (a lock held past the busy timeout, a full disk) is tried write by write,
/// so each write still succeeds or fails on its own.
fn apply_batch<E: FnMut(StoreError)>(store: &Store, batch: &[Box<Write>], on_error: &mut E) {
    if let [write] = batch {
        return apply_with_retries(store, write, on_error);
    }
    let mut attempt = 0;
    loop {
        let results = store.batch(|| {
            batch
                .iter()
                .map(|write| apply(store, write))
                .collect::<Vec<_>>()
        });
        match results {
            Ok(results) => {
                results
                    .into_iter()
                    .filter_map(Result::err)
                    .for_each(&mut *on_error);
                return;
            }
            Err(StoreError::Busy { .. }) if attempt < BUSY_RETRIES => attempt += 1,
            Err(_) => {
                for write in batch {
                    apply_with_retries(store, write, on_error);
                }
                return;
            }
        }
    }
}

/// The next job; when none is waiting, first a checkpoint if one is due.
fn next_job(
    jobs: &mpsc::Receiver<Job>,
    store: &Option<Store>,
    unchecked_writes: &mut u32,
) -> Option<Job> {
    match jobs.try_recv() {
        Ok(job) => return Some(job),
        Err(mpsc::TryRecvError::Disconnected) => return None,
        Err(mpsc::TryRecvError::Empty) => {}
    }
    if let Some(store) = store
        && *unchecked_writes >= CHECKPOINT_AFTER_WRITES
    {
        store.checkpoint();
        *unchecked_writes = 0;
    }
    jobs.recv().ok()
}

/// Applies `write`, trying again while another process holds the lock.
fn apply_with_retries<E: FnMut(StoreError)>(store: &Store, write: &Write, on_error: &mut E) {
    let mut attempt = 0;
    loop {
        match apply(store, write) {
            Ok(()) => break,
            Err(StoreError::Busy { .. }) if attempt < BUSY_RETRIES => attempt += 1,
            Err(error) => {
                on_error(error);
                break;
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
        Write::Request(request) => store.record_request(request),
        Write::Rewind {
            thread_id,
            from_turn_id,
        } => store.rewind_thread(thread_id, from_turn_id).map(|_| ()),
    }
}
