//! What `duet models` and the TUI's `/model` picker show: the models a
//! provider serves, merged with duet's catalogue.

use crate::ReasoningEffort;
use serde::{Deserialize, Serialize};

/// The models of the session's provider.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelList {
    pub provider: String,
    pub base_url: String,
    /// The model the session uses now.
    pub current: String,
    pub models: Vec<ModelEntry>,
    /// Whether the server's list was read (else the models are the
    /// catalogue's alone).
    pub listed: bool,
    /// Why the server's list is missing or partial (unreachable, no key).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// One model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ModelEntry {
    pub id: String,
    /// The provider's server lists it.
    pub served: bool,
    /// duet's catalogue knows it.
    pub in_catalogue: bool,
    pub context_window: Option<u64>,
    /// Where the window comes from: `config`, `catalogue`, `server`, or
    /// a local server's name (`ollama`, `llama.cpp`, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub context_window_from: Option<String>,
    pub max_output_tokens: Option<u64>,
    #[serde(default)]
    pub reasoning_efforts: Vec<ReasoningEffort>,
    pub images: Option<bool>,
    /// US dollars per million tokens, where published.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<ModelPrice>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct ModelPrice {
    pub input: f64,
    pub cached_input: f64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write: Option<f64>,
    pub output: f64,
}
