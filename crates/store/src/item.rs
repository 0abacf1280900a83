//! History items as the store takes and gives them: the exact JSON, the
//! text the caller wants searchable, and the displayed items of a turn.
//!
//! The store does not look inside an item to decide what is searchable; the
//! caller (core) says so with a [`SearchText`].

use serde_json::Value;

/// What kind of text a search hit is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SearchRole {
    /// A prompt the user typed.
    User,
    /// A message of the agent.
    Agent,
    /// A shell command the agent ran.
    Command,
}

/// The searchable text of an item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchText {
    pub role: SearchRole,
    pub text: String,
}

/// A history item to append: the exact Responses item and, if it should be
/// found by [`Store::search`](crate::Store::search), its text.
#[derive(Debug, Clone, PartialEq)]
pub struct NewItem {
    pub json: Value,
    pub search: Option<SearchText>,
}

/// A stored history item with its place in the thread.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredItem {
    /// 0-based position in the thread's history.
    pub seq: i64,
    pub turn_id: String,
    pub json: Value,
}

impl SearchRole {
    pub fn as_str(self) -> &'static str {
        match self {
            SearchRole::User => "user",
            SearchRole::Agent => "agent",
            SearchRole::Command => "command",
        }
    }

    pub(crate) fn parse(text: &str) -> Option<SearchRole> {
        match text {
            "user" => Some(SearchRole::User),
            "agent" => Some(SearchRole::Agent),
            "command" => Some(SearchRole::Command),
            _ => None,
        }
    }
}

impl From<Value> for NewItem {
    /// An item that is kept but not searchable.
    fn from(json: Value) -> NewItem {
        NewItem { json, search: None }
    }
}
