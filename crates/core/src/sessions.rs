//! Stored sessions for front ends: list, search, show, rename, archive,
//! delete, fork and import, over the session database. What they return
//! are the protocol's plain records (`duet_protocol::threads`); rendering
//! them is the front ends' job.
//!
//! Synchronous (each call is a few indexed queries), so a command line can
//! call it without a runtime; async callers use `spawn_blocking`. To run a
//! turn on a stored or forked thread, pass its id to [`crate::spawn_session`]
//! as `SessionOptions { resume: Some(ResumeTarget::Thread(id)), .. }`.
//! This is not the recorder: live sessions write through `recorder.rs`.

mod codex_rollout;
mod import_codex;
mod items_display;

use crate::search_text::search_text;

/// What of a stored history item (its JSON) `duet sessions search` finds:
/// a prompt, an agent message or a shell command; `None` for the rest
/// (context messages, tool output, reasoning).
pub fn searchable_text(item: &serde_json::Value) -> Option<duet_protocol::threads::SearchText> {
    crate::search_text::search_text_of_json(item)
}
pub use codex_rollout::{ParsedRollout, parse_codex_rollout};
pub use duet_protocol::threads::{
    ImportedThread, ImportedTurn, ListOptions, NewThread, SearchHit, SearchOptions, SearchRole,
    ThreadRecord, ThreadSummary, Transcript, TranscriptTurn, TurnRecord, TurnStatus, UsageTotals,
};
pub use duet_store::{
    LedgerTotal, RequestRecord, RequestTokens, UsageGroup, UsageGrouping, pico_to_usd,
};
pub use import_codex::{CodexImport, ImportOutcome, ImportedRollout, codex_sessions_dir};

use crate::SessionError;
use crate::config::Config;
use duet_model::ResponseItem;
use duet_protocol::Item;
use duet_store::{ForkRequest, Store};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// The session database of one `DUET_HOME`.
pub struct Sessions {
    path: PathBuf,
    /// Unset while there is no database: then there are no sessions to
    /// find, list or change, and only an import creates the file.
    store: OnceLock<Store>,
}

impl Sessions {
    /// Opens (creating or migrating if needed) `$DUET_HOME/sessions.sqlite`.
    pub fn open(config: &Config) -> Result<Sessions, SessionError> {
        Sessions::open_home(&config.duet_home)
    }

    /// Opens (creating or migrating if needed) the database of the given
    /// `DUET_HOME`.
    pub fn open_home(duet_home: &Path) -> Result<Sessions, SessionError> {
        let sessions = Sessions::open_home_existing(duet_home)?;
        sessions.writable()?;
        Ok(sessions)
    }

    /// Opens the database of the given `DUET_HOME` if there is one, creating
    /// nothing: without one there are no sessions (lists and searches are
    /// empty, a session is not found), and only [`Sessions::import`]
    /// creates it.
    pub fn open_home_existing(duet_home: &Path) -> Result<Sessions, SessionError> {
        let path = duet_home.join(crate::recorder::STORE_FILE_NAME);
        let store = OnceLock::new();
        if let Some(existing) = Store::open_existing(&path)? {
            let _ = store.set(existing);
        }
        Ok(Sessions { path, store })
    }

    /// The thread an id, unique id prefix (4+ characters) or name names.
    /// An ambiguous prefix is an error listing the candidates.
    pub fn find(&self, query: &str) -> Result<ThreadRecord, SessionError> {
        self.found(query).map(|(_, thread)| thread)
    }

    /// The newest unarchived thread of `cwd`; none is an error, not `None`.
    pub fn last(&self, cwd: &Path) -> Result<ThreadRecord, SessionError> {
        let last = match self.store.get() {
            Some(store) => store.last_thread(cwd)?,
            None => None,
        };
        last.ok_or_else(|| SessionError::NoSessionInCwd {
            cwd: cwd.to_path_buf(),
        })
    }

    /// The thread `query` names and every request of it in the cost
    /// ledger, with their sum.
    pub fn cost(
        &self,
        query: &str,
    ) -> Result<(ThreadRecord, Vec<RequestRecord>, LedgerTotal), SessionError> {
        let (store, thread) = self.found(query)?;
        let requests = store.thread_requests(&thread.id)?;
        let total = store.thread_total(&thread.id)?;
        Ok((thread, requests, total))
    }

    /// [`Sessions::cost`] of the newest unarchived thread of `cwd`.
    pub fn last_cost(
        &self,
        cwd: &Path,
    ) -> Result<(ThreadRecord, Vec<RequestRecord>, LedgerTotal), SessionError> {
        let thread = self.last(cwd)?;
        self.cost(&thread.id)
    }

    /// Every session's requests since `since_ms` (none: all), grouped by
    /// `by`; empty without a database.
    pub fn usage(
        &self,
        since_ms: Option<i64>,
        by: UsageGrouping,
    ) -> Result<Vec<UsageGroup>, SessionError> {
        match self.store.get() {
            Some(store) => Ok(store.usage(since_ms, by)?),
            None => Ok(Vec::new()),
        }
    }

    /// Threads newest first; see [`ListOptions`].
    pub fn list(&self, options: &ListOptions) -> Result<Vec<ThreadSummary>, SessionError> {
        match self.store.get() {
            Some(store) => Ok(store.list_threads(options)?),
            None => Ok(Vec::new()),
        }
    }

    /// The best match of each thread for `query`, best first. Any text is a
    /// valid query; text without a word finds nothing.
    pub fn search(
        &self,
        query: &str,
        options: &SearchOptions,
    ) -> Result<Vec<SearchHit>, SessionError> {
        match self.store.get() {
            Some(store) => Ok(store.search(query, options)?),
            None => Ok(Vec::new()),
        }
    }

    /// A thread with its turns, history items and displayed items.
    pub fn show(&self, query: &str) -> Result<Transcript, SessionError> {
        self.transcript(query, true)
    }

    /// A thread with its turns and displayed items, for drawing it: the
    /// history items (tens of megabytes in a long thread) are read only
    /// when a turn has no displayed items to draw from (an imported one),
    /// and are then left in [`TranscriptTurn::items`] as [`Sessions::show`]
    /// gives them; otherwise those are empty.
    pub fn show_for_display(&self, query: &str) -> Result<Transcript, SessionError> {
        self.transcript(query, false)
    }

    fn transcript(&self, query: &str, with_items: bool) -> Result<Transcript, SessionError> {
        let (store, thread) = self.found(query)?;
        let records = store.turns(&thread.id)?;
        let display = store.display_items(&thread.id)?;
        let needs_items = with_items || {
            let shown: std::collections::HashSet<&str> =
                display.iter().map(|item| item.turn_id.as_str()).collect();
            records
                .iter()
                .any(|record| !shown.contains(record.turn_id.as_str()))
        };
        let items = if needs_items {
            store.items(&thread.id)?
        } else {
            Vec::new()
        };
        let mut turns: Vec<TranscriptTurn> = records
            .into_iter()
            .map(|record| TranscriptTurn {
                turn_id: record.turn_id.clone(),
                record: Some(record),
                items: Vec::new(),
                display: Vec::new(),
            })
            .collect();
        let mut index: HashMap<String, usize> = turns
            .iter()
            .enumerate()
            .map(|(position, turn)| (turn.turn_id.clone(), position))
            .collect();
        for item in items {
            turn_entry(&mut turns, &mut index, &item.turn_id)
                .items
                .push(item.json);
        }
        for shown in display {
            // An item this build cannot read (from a newer duet) is skipped.
            if let Ok(item) = serde_json::from_value::<Item>(shown.json) {
                turn_entry(&mut turns, &mut index, &shown.turn_id)
                    .display
                    .push(item);
            }
        }
        for turn in &mut turns {
            if turn.display.is_empty() {
                turn.display = items_display::display_from_items(&turn.items);
            }
        }
        Ok(Transcript { thread, turns })
    }

    /// Names a thread. Names are unique: a taken name is an error naming
    /// the thread that has it.
    pub fn rename(&self, query: &str, name: &str) -> Result<ThreadRecord, SessionError> {
        let (store, thread) = self.found(query)?;
        store.set_name(&thread.id, Some(name.trim()))?;
        Ok(store.thread(&thread.id)?)
    }

    /// Archives a thread: hidden from `--last`, default lists and searches.
    pub fn archive(&self, query: &str) -> Result<ThreadRecord, SessionError> {
        self.set_archived(query, true)
    }

    pub fn unarchive(&self, query: &str) -> Result<ThreadRecord, SessionError> {
        self.set_archived(query, false)
    }

    /// Deletes a thread and everything stored for it; returns what it was.
    pub fn delete(&self, query: &str) -> Result<ThreadRecord, SessionError> {
        let (store, thread) = self.found(query)?;
        store.delete_thread(&thread.id)?;
        Ok(thread)
    }

    /// A new thread with the history of `query` up to and including turn
    /// `at_turn` (1-based; `None`: all of it), linked to its parent.
    pub fn fork(&self, query: &str, at_turn: Option<u32>) -> Result<ThreadRecord, SessionError> {
        let (store, parent) = self.found(query)?;
        let fork = ForkRequest {
            new_id: uuid::Uuid::now_v7().to_string(),
            created_at_ms: crate::services::now_ms(),
            at_turn,
        };
        Ok(store.fork_thread(&parent.id, &fork)?)
    }

    /// Writes a whole thread from elsewhere (a Codex rollout). If any part
    /// fails, nothing of the thread is left behind.
    pub fn import(&self, imported: &ImportedThread) -> Result<ThreadRecord, SessionError> {
        let id = &imported.thread.id;
        let store = self.writable()?;
        store.create_thread(&imported.thread)?;
        let written = write_imported(store, imported);
        if let Err(error) = written {
            let _ = store.delete_thread(id);
            return Err(error);
        }
        Ok(store.thread(id)?)
    }

    fn set_archived(&self, query: &str, archived: bool) -> Result<ThreadRecord, SessionError> {
        let (store, thread) = self.found(query)?;
        store.set_archived(&thread.id, archived)?;
        Ok(store.thread(&thread.id)?)
    }

    /// The store and the thread `query` names in it.
    fn found(&self, query: &str) -> Result<(&Store, ThreadRecord), SessionError> {
        let Some(store) = self.store.get() else {
            return Err(SessionError::NotFound {
                query: query.to_string(),
            });
        };
        Ok((store, find_thread(store, query)?))
    }

    /// The store, created if there is none yet.
    fn writable(&self) -> Result<&Store, SessionError> {
        if let Some(store) = self.store.get() {
            return Ok(store);
        }
        let opened = Store::open(&self.path)?;
        Ok(self.store.get_or_init(|| opened))
    }
}

/// Writes the turns, items and usage of an imported thread whose row exists.
fn write_imported(store: &Store, imported: &ImportedThread) -> Result<(), SessionError> {
    let id = &imported.thread.id;
    for turn in &imported.turns {
        store.record_turn(&turn.record)?;
        let items: Vec<duet_store::NewItem> = turn
            .items
            .iter()
            .map(|json| {
                let search = serde_json::from_value::<ResponseItem>(json.clone())
                    .ok()
                    .and_then(|item| search_text(&item));
                duet_store::NewItem::from_value(json, search)
            })
            .collect();
        store.append(id, &turn.record.turn_id, &items)?;
        for item in &turn.display {
            let json =
                serde_json::to_value(item).expect("a protocol item always serialises to JSON");
            store.append_display(id, &turn.record.turn_id, &json)?;
        }
    }
    store.set_usage(id, &imported.usage)?;
    let updated_at_ms = imported
        .updated_at_ms
        .unwrap_or(imported.thread.created_at_ms);
    store.set_updated_at(id, updated_at_ms)?;
    Ok(())
}

/// The thread `query` names, with advice on how to find one when none does.
pub(crate) fn find_thread(store: &Store, query: &str) -> Result<ThreadRecord, SessionError> {
    store.thread(query).map_err(|error| match error {
        duet_store::StoreError::NotFound { query } => SessionError::NotFound { query },
        other => SessionError::Store(other),
    })
}

/// The entry of `turn_id`, appending one without a record if it has none.
fn turn_entry<'a>(
    turns: &'a mut Vec<TranscriptTurn>,
    index: &mut HashMap<String, usize>,
    turn_id: &str,
) -> &'a mut TranscriptTurn {
    let position = *index.entry(turn_id.to_string()).or_insert_with(|| {
        turns.push(TranscriptTurn {
            turn_id: turn_id.to_string(),
            record: None,
            items: Vec::new(),
            display: Vec::new(),
        });
        turns.len() - 1
    });
    &mut turns[position]
}
