//! What can go wrong talking to a model, with messages that say what to do.

/// STUB: variants are being written. Every `Display` says what happened and
/// what the user can do about it.
#[derive(Debug, thiserror::Error)]
pub enum ModelError {
    #[error("{0}")]
    Other(String),
}

impl ModelError {
    /// Whether asking again may help (a dropped, idle or failed stream).
    /// Request-level retries are already spent when `stream` returns an error,
    /// so errors from `stream` itself are never retryable.
    pub fn is_retryable(&self) -> bool {
        false
    }
}
