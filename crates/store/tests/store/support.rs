//! Shared fixtures: a temporary database and a thread to write into.

use duet_store::{NewThread, Store};
use std::path::PathBuf;
use tempfile::TempDir;

/// A temporary `DUET_HOME` and the database path inside it.
pub struct TempHome {
    pub dir: TempDir,
    pub path: PathBuf,
}

impl TempHome {
    pub fn new() -> TempHome {
        let dir = tempfile::tempdir().expect("create a temp dir");
        let path = dir.path().join("home").join("sessions.sqlite");
        TempHome { dir, path }
    }

    pub fn open(&self) -> Store {
        Store::open(&self.path).expect("open the store")
    }
}

/// A thread as `duet exec` would create it.
pub fn new_thread(id: &str, created_at_ms: i64, cwd: &str) -> NewThread {
    NewThread {
        id: id.to_string(),
        created_at_ms,
        cwd: PathBuf::from(cwd),
        model: "gpt-5.1-codex".to_string(),
        provider: "openai".to_string(),
        sandbox_mode: "workspace-write".to_string(),
        approval_policy: "never".to_string(),
        git_branch: Some("main".to_string()),
        git_commit: Some("0123abcd".to_string()),
        git_origin: None,
        source: "exec".to_string(),
    }
}

/// A raw connection to the same file, to look at what the store wrote.
pub fn raw(path: &std::path::Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("open the database directly")
}
