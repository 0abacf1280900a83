//! The `/resume` picker: stored sessions of this directory (Tab: of every
//! directory), searched as you type, with a preview of the highlighted
//! session's first turns; Ctrl+S sorts by last update or by creation,
//! Ctrl+A archives the highlighted session, Ctrl+D (or Delete) deletes it
//! after a confirmation in the footer.
//!
//! It holds what the store answered and what the user typed; it reads and
//! writes nothing itself. The app asks for rows ([`ResumeKey::Search`]),
//! previews ([`ResumeKey::Preview`]), archives and deletes through
//! `Outgoing`, and `stored.rs` answers from `duet_core::sessions` off the
//! loop. Drawing is in `resume_picker/render.rs`.

mod render;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use duet_protocol::Item;

/// One session in the list, already formatted by whoever read it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub id: String,
    /// The name, else the title (first prompt).
    pub label: String,
    /// How long ago it was updated (`3h ago`).
    pub when: String,
    /// How long ago it was created.
    pub created: String,
    /// A search match, or the turn count and directory.
    pub detail: String,
    /// The times the sort orders by (ms since the epoch).
    pub updated_at_ms: i64,
    pub created_at_ms: i64,
}

/// The order of the rows. The store lists the most recently updated
/// first; the other order is sorted here, over the rows it returned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SortOrder {
    #[default]
    Updated,
    Created,
}

/// What happens to a stored session taken out of the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Removal {
    /// Hidden from lists; `duet sessions unarchive ID` brings it back.
    Archive,
    /// Gone with everything stored for it.
    Delete,
}

#[derive(Debug, Clone, PartialEq)]
pub struct ResumePicker {
    pub query: String,
    /// Every directory, not only this one.
    pub all: bool,
    pub sort: SortOrder,
    pub rows: Vec<SessionRow>,
    pub selected: usize,
    /// Why there are no rows (the store could not be read).
    pub error: Option<String>,
    /// The highlighted session's first displayed items.
    pub preview: Option<(String, Vec<Item>)>,
    /// The session of this window: not deleted from here, as it is still
    /// being written.
    pub current: Option<String>,
    /// The session a delete waits to be confirmed for.
    pub confirm_delete: Option<String>,
    /// A message in the footer until the next key (what a key did, or why
    /// it did nothing).
    pub status: Option<String>,
}

/// What a key asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ResumeKey {
    Open,
    Closed,
    /// The query or scope changed: list again.
    Search,
    Preview(String),
    Chosen(String),
    Archive(String),
    /// Confirmed: delete it.
    Delete(String),
}

impl ResumePicker {
    /// An empty picker; `current` is the session of this window.
    pub fn new(current: Option<String>) -> ResumePicker {
        ResumePicker {
            query: String::new(),
            all: false,
            sort: SortOrder::default(),
            rows: Vec::new(),
            selected: 0,
            error: None,
            preview: None,
            current,
            confirm_delete: None,
            status: None,
        }
    }

    /// New rows for `query` and `all`; stale answers (for an older query)
    /// are dropped. Returns the session to preview, if it changed.
    pub fn set_rows(
        &mut self,
        query: &str,
        all: bool,
        rows: Result<Vec<SessionRow>, String>,
    ) -> Option<String> {
        if query != self.query || all != self.all {
            return None;
        }
        match rows {
            Ok(rows) => {
                self.rows = rows;
                self.error = None;
                self.sort_rows();
            }
            Err(error) => {
                self.rows = Vec::new();
                self.error = Some(error);
            }
        }
        self.selected = 0;
        self.confirm_delete = None;
        self.wanted_preview()
    }

    pub fn set_preview(&mut self, thread_id: String, items: Vec<Item>) {
        if self.selected_id() == Some(thread_id.as_str()) {
            self.preview = Some((thread_id, items));
        }
    }

    /// The store archived or deleted `thread_id`: its row leaves the list.
    /// Returns the session to preview, if it changed.
    pub fn removed(&mut self, thread_id: &str) -> Option<String> {
        let index = self.rows.iter().position(|row| row.id == thread_id)?;
        self.rows.remove(index);
        if index < self.selected || self.selected >= self.rows.len() {
            self.selected = self.selected.saturating_sub(1);
        }
        if self
            .preview
            .as_ref()
            .is_some_and(|(shown, _)| shown == thread_id)
        {
            self.preview = None;
        }
        self.wanted_preview()
    }

    fn selected_id(&self) -> Option<&str> {
        self.rows.get(self.selected).map(|row| row.id.as_str())
    }

    fn wanted_preview(&self) -> Option<String> {
        let id = self.selected_id()?;
        match &self.preview {
            Some((shown, _)) if shown == id => None,
            _ => Some(id.to_owned()),
        }
    }

    fn preview_key(&self) -> ResumeKey {
        self.wanted_preview()
            .map_or(ResumeKey::Open, ResumeKey::Preview)
    }

    /// Stable, so rows with equal times keep the store's order.
    fn sort_rows(&mut self) {
        match self.sort {
            SortOrder::Updated => self
                .rows
                .sort_by_key(|row| std::cmp::Reverse(row.updated_at_ms)),
            SortOrder::Created => self
                .rows
                .sort_by_key(|row| std::cmp::Reverse(row.created_at_ms)),
        }
    }

    pub fn on_key(&mut self, key: KeyEvent) -> ResumeKey {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let delete_key = key.code == KeyCode::Delete || (ctrl && key.code == KeyCode::Char('d'));
        self.status = None;
        // A pending delete takes the next key: the delete key again or `y`
        // confirms; anything else (Esc too) only cancels it.
        if let Some(thread_id) = self.confirm_delete.take() {
            let yes = !ctrl && matches!(key.code, KeyCode::Char('y' | 'Y'));
            if delete_key || yes {
                return ResumeKey::Delete(thread_id);
            }
            self.status = Some("not deleted".to_owned());
            return ResumeKey::Open;
        }
        if delete_key {
            let Some(id) = self.selected_id().map(str::to_owned) else {
                return ResumeKey::Open;
            };
            if self.current.as_deref() == Some(id.as_str()) {
                self.status = Some(
                    "this is the session you are in: it cannot be deleted while in use".to_owned(),
                );
            } else {
                self.confirm_delete = Some(id);
            }
            return ResumeKey::Open;
        }
        match key.code {
            KeyCode::Esc => ResumeKey::Closed,
            KeyCode::Enter => match self.selected_id() {
                Some(id) => ResumeKey::Chosen(id.to_owned()),
                None => ResumeKey::Open,
            },
            KeyCode::Tab => {
                self.all = !self.all;
                ResumeKey::Search
            }
            KeyCode::Char('a') if ctrl => self
                .selected_id()
                .map_or(ResumeKey::Open, |id| ResumeKey::Archive(id.to_owned())),
            KeyCode::Char('s') if ctrl => {
                self.sort = match self.sort {
                    SortOrder::Updated => SortOrder::Created,
                    SortOrder::Created => SortOrder::Updated,
                };
                self.sort_rows();
                self.selected = 0;
                self.preview_key()
            }
            KeyCode::Up | KeyCode::Down => {
                self.selected = if key.code == KeyCode::Up {
                    self.selected.saturating_sub(1)
                } else {
                    (self.selected + 1).min(self.rows.len().saturating_sub(1))
                };
                self.preview_key()
            }
            KeyCode::Backspace => {
                self.query.pop();
                ResumeKey::Search
            }
            KeyCode::Char(ch) if !ctrl => {
                self.query.push(ch);
                ResumeKey::Search
            }
            _ => ResumeKey::Open,
        }
    }
}

impl Default for ResumePicker {
    fn default() -> Self {
        ResumePicker::new(None)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn key(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    fn ctrl(ch: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(ch), KeyModifiers::CONTROL)
    }

    /// Updated `updated` minutes after the epoch, created `created` minutes after.
    fn row(id: &str, updated: i64, created: i64) -> SessionRow {
        SessionRow {
            id: id.into(),
            label: format!("session {id}"),
            when: "1h ago".into(),
            created: "2h ago".into(),
            detail: String::new(),
            updated_at_ms: updated * 60_000,
            created_at_ms: created * 60_000,
        }
    }

    fn ids(picker: &ResumePicker) -> Vec<&str> {
        picker.rows.iter().map(|row| row.id.as_str()).collect()
    }

    #[test]
    fn typing_searches_moving_previews_and_stale_answers_are_dropped() {
        let mut picker = ResumePicker::new(None);
        assert_eq!(picker.on_key(key(KeyCode::Char('p'))), ResumeKey::Search);
        // An answer for the empty query came late: ignored.
        assert_eq!(picker.set_rows("", false, Ok(vec![row("a", 2, 0)])), None);
        assert_eq!(
            picker.set_rows("p", false, Ok(vec![row("a", 2, 0), row("b", 1, 0)])),
            Some("a".to_owned())
        );
        picker.set_preview("a".into(), Vec::new());
        assert_eq!(
            [
                picker.on_key(key(KeyCode::Down)),
                picker.on_key(key(KeyCode::Down)),
                picker.on_key(key(KeyCode::Enter)),
                picker.on_key(key(KeyCode::Tab)),
            ],
            [
                ResumeKey::Preview("b".into()),
                ResumeKey::Preview("b".into()),
                ResumeKey::Chosen("b".into()),
                ResumeKey::Search,
            ]
        );
        assert!(picker.all);
    }

    #[test]
    fn ctrl_s_sorts_by_creation_and_back() {
        let mut picker = ResumePicker::new(None);
        // The store answers most recently updated first.
        let rows = vec![row("a", 30, 1), row("b", 20, 3), row("c", 10, 2)];
        assert_eq!(picker.set_rows("", false, Ok(rows)), Some("a".to_owned()));
        picker.set_preview("a".into(), Vec::new());
        assert_eq!(picker.on_key(ctrl('s')), ResumeKey::Preview("b".into()));
        assert_eq!(
            (picker.sort, ids(&picker)),
            (SortOrder::Created, vec!["b", "c", "a"])
        );
        // New rows keep the chosen order.
        let rows = vec![row("a", 30, 1), row("c", 10, 2)];
        assert_eq!(picker.set_rows("", false, Ok(rows)), Some("c".to_owned()));
        assert_eq!(ids(&picker), ["c", "a"]);
        picker.set_preview("c".into(), Vec::new());
        assert_eq!(picker.on_key(ctrl('s')), ResumeKey::Preview("a".into()));
        assert_eq!(
            (picker.sort, ids(&picker)),
            (SortOrder::Updated, vec!["a", "c"])
        );
    }

    #[test]
    fn delete_needs_a_second_key_and_anything_else_cancels() {
        let mut picker = ResumePicker::new(Some("here".into()));
        let rows = vec![row("a", 3, 0), row("b", 2, 0), row("here", 1, 0)];
        picker.set_rows("", false, Ok(rows));
        let got = [
            picker.on_key(ctrl('d')),
            picker.on_key(key(KeyCode::Char('x'))),
            picker.on_key(key(KeyCode::Delete)),
            picker.on_key(key(KeyCode::Esc)),
            picker.on_key(ctrl('d')),
            picker.on_key(key(KeyCode::Char('y'))),
            picker.on_key(key(KeyCode::Delete)),
            picker.on_key(ctrl('d')),
        ];
        assert_eq!(
            got,
            [
                ResumeKey::Open,
                ResumeKey::Open,
                ResumeKey::Open,
                ResumeKey::Open,
                ResumeKey::Open,
                ResumeKey::Delete("a".into()),
                ResumeKey::Open,
                ResumeKey::Delete("a".into()),
            ]
        );
        // The cancelling keys were not typed into the query.
        assert_eq!(picker.query, "");
        // The session of this window is never offered for deletion.
        picker.selected = 2;
        assert_eq!(picker.on_key(ctrl('d')), ResumeKey::Open);
        assert_eq!(picker.confirm_delete, None);
        assert_eq!(
            picker.status.as_deref(),
            Some("this is the session you are in: it cannot be deleted while in use")
        );
        assert_eq!(picker.on_key(ctrl('a')), ResumeKey::Archive("here".into()));
    }

    #[test]
    fn a_removed_row_leaves_and_the_next_one_is_previewed() {
        let mut picker = ResumePicker::new(None);
        picker.set_rows("", false, Ok(vec![row("a", 3, 0), row("b", 2, 0)]));
        picker.set_preview("a".into(), Vec::new());
        picker.on_key(key(KeyCode::Down));
        picker.set_preview("b".into(), Vec::new());
        assert_eq!(picker.removed("gone"), None);
        assert_eq!(picker.removed("b"), Some("a".to_owned()));
        assert_eq!((ids(&picker), picker.selected), (vec!["a"], 0));
        assert_eq!(picker.removed("a"), None);
        assert_eq!((picker.rows.len(), picker.preview.clone()), (0, None));
    }
}
