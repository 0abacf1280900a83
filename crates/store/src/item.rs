//! History items as the store takes and gives them: the exact JSON, the
//! text the caller wants searchable, and the displayed items of a turn.
//!
//! The store does not look inside an item to decide what is searchable; the
//! caller (core) says so with a [`SearchText`].

pub use duet_protocol::threads::{SearchRole, SearchText};
use serde_json::Value;
use serde_json::value::RawValue;

/// A history item to append: the exact JSON text of a Responses item (kept
/// byte for byte, so that replaying it sends what was sent before) and, if
/// it should be found by [`Store::search`](crate::Store::search), its text.
#[derive(Debug, Clone)]
pub struct NewItem {
    pub json: Box<RawValue>,
    pub search: Option<SearchText>,
}

/// A history item as replayed: its exact stored text, and its `type`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RawHistoryItem {
    /// The item's `type` (`None` for an input message that leaves it out).
    pub kind: Option<String>,
    /// The turn that appended it.
    pub turn_id: String,
    /// The JSON object as stored (written from a JSON value, so not parsed
    /// again on reading; only checked to be braced).
    pub json: String,
}

/// A stored history item with its place in the thread.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredItem {
    /// 0-based position in the thread's history.
    pub seq: i64,
    pub turn_id: String,
    pub json: Value,
}

/// The fields of an item the store looks at when appending it.
#[derive(Debug, Default, serde::Deserialize)]
pub(crate) struct ItemHead {
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub role: Option<String>,
}

impl ItemHead {
    /// The head of `json`; an item whose `type` or `role` is not a string
    /// has neither, as far as the store is concerned.
    pub(crate) fn of(json: &RawValue) -> ItemHead {
        serde_json::from_str(json.get()).unwrap_or_default()
    }
}

impl NewItem {
    /// An item given as a JSON value (written with its keys sorted).
    pub fn from_value(json: &Value, search: Option<SearchText>) -> NewItem {
        let json = serde_json::value::to_raw_value(json)
            .expect("a JSON value has string keys and always serialises");
        NewItem { json, search }
    }
}

impl PartialEq for NewItem {
    fn eq(&self, other: &NewItem) -> bool {
        self.json.get() == other.json.get() && self.search == other.search
    }
}

impl From<Value> for NewItem {
    /// An item that is kept but not searchable.
    fn from(json: Value) -> NewItem {
        NewItem::from_value(&json, None)
    }
}
