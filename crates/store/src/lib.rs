//! duet's session store: every thread, its turns and its history items in
//! one SQLite database (`$DUET_HOME/sessions.sqlite`), so that a session can
//! be resumed from any terminal with its full history.
//!
//! The store knows nothing of the model API: history items are opaque
//! Responses API items, kept as their exact JSON text and in order
//! ([`Store::history_raw`] gives that text back unparsed, for replaying),
//! and only a message's text is looked at, for the title. It is synchronous and
//! not async-aware; callers on an async runtime use a blocking thread.
//!
//! Main types: [`Store`] (open, write, read, list, search, fork),
//! [`Writer`] (the writer thread: [`Write`]s over a channel), [`NewThread`],
//! [`ThreadRecord`], [`TurnRecord`], [`NewItem`], [`SearchHit`],
//! [`StoreError`]. The schema and its migrations are in `schema.rs`; which
//! running turns are orphaned is `liveness.rs`.

mod error;
mod item;
mod ledger;
mod liveness;
mod lookup;
mod manage;
mod open;
mod query;
mod record;
mod rewind;
mod schema;
mod store;
mod title;
mod turns;
mod writer;

pub use error::{Candidate, StoreError};
pub use item::{NewItem, RawHistoryItem, SearchRole, SearchText, StoredItem};
pub use ledger::{
    LedgerTotal, RequestRecord, RequestTokens, UsageGroup, UsageGrouping, pico_to_usd,
};
pub use lookup::MIN_PREFIX_CHARS;
pub use manage::ForkRequest;
pub use query::{
    DisplayItem, ListOptions, RANKED_MATCHES, SearchHit, SearchOptions, ThreadSummary,
};
pub use record::{NewThread, ThreadRecord, TurnRecord, TurnStatus, UsageTotals};
pub use rewind::turn_starts;
pub use schema::SCHEMA_VERSION;
pub use store::Store;
pub use turns::TurnStart;
pub use writer::{Write, Writer};
