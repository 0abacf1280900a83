//! Prompt history for Up/Down: earlier prompts from
//! `$DUET_HOME/history.jsonl` (one `{"ts": …, "session_id": …, "text": …}`
//! per line, the file created with mode 0600 because prompts may hold
//! secrets) and this session's prompts, newest last.
//!
//! Browsing keeps the draft the user had before pressing Up, and gives it
//! back when they come down past the newest entry.

use serde::{Deserialize, Serialize};
use std::io::Write;
use std::path::{Path, PathBuf};

/// The file name under `$DUET_HOME`.
pub const HISTORY_FILE: &str = "history.jsonl";
/// Entries loaded at start-up (the newest ones).
const MAX_LOADED: usize = 1000;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Entry {
    ts: u64,
    #[serde(default)]
    session_id: String,
    text: String,
}

#[derive(Debug, Default)]
pub struct PromptHistory {
    /// Where prompts are appended; `None` in tests that want no file.
    path: Option<PathBuf>,
    entries: Vec<String>,
    /// The entry shown while browsing, and the draft to give back.
    browsing: Option<(usize, String)>,
}

impl PromptHistory {
    /// Load the newest entries of `path` (missing or unreadable lines are skipped).
    pub fn load(path: Option<PathBuf>) -> PromptHistory {
        let mut entries: Vec<String> = path
            .as_deref()
            .and_then(|path| std::fs::read_to_string(path).ok())
            .unwrap_or_default()
            .lines()
            .filter_map(|line| serde_json::from_str::<Entry>(line).ok())
            .map(|entry| entry.text)
            .collect();
        let skip = entries.len().saturating_sub(MAX_LOADED);
        entries.drain(..skip);
        PromptHistory {
            path,
            entries,
            browsing: None,
        }
    }

    /// Remember a sent prompt, in memory and in the file. A failed write is
    /// returned for a warning; the prompt is still in memory.
    pub fn record(&mut self, text: &str, session_id: &str, now_secs: u64) -> std::io::Result<()> {
        self.browsing = None;
        if text.trim().is_empty() || self.entries.last().is_some_and(|last| last == text) {
            return Ok(());
        }
        self.entries.push(text.to_owned());
        let Some(path) = &self.path else {
            return Ok(());
        };
        let entry = Entry {
            ts: now_secs,
            session_id: session_id.to_owned(),
            text: text.to_owned(),
        };
        let mut line = serde_json::to_string(&entry).map_err(std::io::Error::other)?;
        line.push('\n');
        append_private(path, line.as_bytes())
    }

    /// The previous (older) entry, remembering `draft` on the first step.
    pub fn older(&mut self, draft: &str) -> Option<String> {
        let next = match &self.browsing {
            None => self.entries.len().checked_sub(1)?,
            Some((0, _)) => return None,
            Some((idx, _)) => idx - 1,
        };
        let kept = self
            .browsing
            .take()
            .map_or_else(|| draft.to_owned(), |(_, kept)| kept);
        self.browsing = Some((next, kept));
        self.entries.get(next).cloned()
    }

    /// The next (newer) entry, or the saved draft after the newest.
    pub fn newer(&mut self) -> Option<String> {
        let (idx, draft) = self.browsing.take()?;
        if idx + 1 < self.entries.len() {
            self.browsing = Some((idx + 1, draft));
            return self.entries.get(idx + 1).cloned();
        }
        Some(draft)
    }

    /// Every prompt, oldest first (for reverse search).
    pub fn entries(&self) -> &[String] {
        &self.entries
    }

    pub fn is_browsing(&self) -> bool {
        self.browsing.is_some()
    }
}

/// Append to `path`, creating it (and its directory) private to the user.
fn append_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).append(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn prompts_persist_privately_and_browse_back_to_the_draft() {
        let home = tempfile::tempdir().unwrap();
        let path = home.path().join(HISTORY_FILE);
        let mut history = PromptHistory::load(Some(path.clone()));
        history.record("first", "t1", 10).unwrap();
        history.record("second", "t1", 11).unwrap();
        history.record("second", "t1", 12).unwrap();

        let mut reloaded = PromptHistory::load(Some(path.clone()));
        let walk = [
            reloaded.older("draft"),
            reloaded.older("ignored"),
            reloaded.older("ignored"),
            reloaded.newer(),
            reloaded.newer(),
            reloaded.newer(),
        ];
        assert_eq!(
            walk,
            [
                Some("second".to_owned()),
                Some("first".to_owned()),
                None,
                Some("second".to_owned()),
                Some("draft".to_owned()),
                None
            ]
        );
        assert_eq!(
            std::fs::read_to_string(&path).unwrap(),
            "{\"ts\":10,\"session_id\":\"t1\",\"text\":\"first\"}\n\
             {\"ts\":11,\"session_id\":\"t1\",\"text\":\"second\"}\n"
        );
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).unwrap().permissions().mode() & 0o777;
            assert_eq!(mode, 0o600);
        }
    }
}
