//! `@` file search: the repository's files (walked with the `ignore`
//! crate, so `.gitignore`, `.ignore` and git excludes are honoured and
//! hidden files skipped), matched fuzzily with `nucleo-matcher`.
//!
//! [`FileSearch`] does the slow part off the event loop: the first query
//! starts a walker thread that appends paths to a shared list (at most
//! [`MAX_FILES`]), and a matcher thread answers the newest query, again
//! each time the walk has found more files, by sending
//! [`Input::FileMatches`] to the loop. Queries that pile up while a match
//! runs collapse into the newest, so a large repository costs latency on
//! the popup, never on typing. The popup's state and keys are in
//! `app/extras.rs`; this module does no rendering.

use crate::app::Input;
use nucleo_matcher::pattern::{CaseMatching, Normalization, Pattern};
use nucleo_matcher::{Config, Matcher};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use tokio::sync::mpsc::UnboundedSender;

/// Files indexed at most; a larger tree is searched in its first files.
pub const MAX_FILES: usize = 100_000;
/// Matches sent back per query.
pub const MAX_MATCHES: usize = 50;
/// Files the walker finds between two re-matches of the current query.
const REMATCH_EVERY: usize = 5_000;

/// What the matcher thread is asked.
enum Job {
    Query(String),
    /// The walk found more files (or ended): match the last query again.
    Grew,
}

/// The handle the pump owns. Dropping it stops the walker (at its next
/// file) and, once the walker is gone, the matcher (its channel closes).
pub struct FileSearch {
    root: PathBuf,
    results: UnboundedSender<Input>,
    jobs: Option<mpsc::Sender<Job>>,
    stop: Arc<AtomicBool>,
}

impl FileSearch {
    /// Nothing runs until the first [`FileSearch::search`].
    pub fn new(root: PathBuf, results: UnboundedSender<Input>) -> FileSearch {
        FileSearch {
            root,
            results,
            jobs: None,
            stop: Arc::new(AtomicBool::new(false)),
        }
    }

    /// Ask for the matches of `query`; they arrive as [`Input::FileMatches`].
    pub fn search(&mut self, query: String) {
        let jobs = self.jobs.get_or_insert_with(|| {
            start(
                self.root.clone(),
                self.results.clone(),
                Arc::clone(&self.stop),
            )
        });
        let _ = jobs.send(Job::Query(query));
    }
}

impl Drop for FileSearch {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
    }
}

/// The shared index: paths relative to the root, and whether the walk is over.
#[derive(Default)]
struct Index {
    files: Vec<String>,
    complete: bool,
}

fn start(
    root: PathBuf,
    results: UnboundedSender<Input>,
    stop: Arc<AtomicBool>,
) -> mpsc::Sender<Job> {
    let (jobs_tx, jobs_rx) = mpsc::channel();
    let index = Arc::new(Mutex::new(Index::default()));
    let walker_index = Arc::clone(&index);
    let walker_jobs = jobs_tx.clone();
    // Threads, not tasks: both do blocking work for as long as they run.
    let _ = std::thread::Builder::new()
        .name("duet-file-walk".to_owned())
        .spawn(move || walk(&root, &walker_index, &walker_jobs, &stop));
    let _ = std::thread::Builder::new()
        .name("duet-file-match".to_owned())
        .spawn(move || answer(&index, &jobs_rx, &results));
    jobs_tx
}

fn walk(root: &Path, index: &Mutex<Index>, jobs: &mpsc::Sender<Job>, stop: &AtomicBool) {
    let mut batch = Vec::new();
    let mut found = 0;
    let flush = |batch: &mut Vec<String>| {
        let mut index = index.lock().unwrap_or_else(PoisonError::into_inner);
        index.files.append(batch);
    };
    // `.gitignore` applies even outside a git repository, as people expect.
    for entry in ignore::WalkBuilder::new(root).require_git(false).build() {
        if stop.load(Ordering::Relaxed) || found >= MAX_FILES {
            break;
        }
        let Ok(entry) = entry else { continue };
        if !entry.file_type().is_some_and(|kind| kind.is_file()) {
            continue;
        }
        let Ok(relative) = entry.path().strip_prefix(root) else {
            continue;
        };
        batch.push(relative.to_string_lossy().into_owned());
        found += 1;
        if batch.len() >= REMATCH_EVERY {
            flush(&mut batch);
            let _ = jobs.send(Job::Grew);
        }
    }
    flush(&mut batch);
    index
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .complete = true;
    let _ = jobs.send(Job::Grew);
}

fn answer(index: &Mutex<Index>, jobs: &mpsc::Receiver<Job>, results: &UnboundedSender<Input>) {
    let mut matcher = Matcher::new(Config::DEFAULT.match_paths());
    let mut query: Option<String> = None;
    while let Ok(job) = jobs.recv() {
        // Only the newest query matters.
        for job in std::iter::once(job).chain(jobs.try_iter()) {
            if let Job::Query(text) = job {
                query = Some(text);
            }
        }
        let Some(query) = &query else { continue };
        let (paths, complete) = {
            let index = index.lock().unwrap_or_else(PoisonError::into_inner);
            (
                best_matches(&index.files, query, &mut matcher),
                index.complete,
            )
        };
        let sent = results.send(Input::FileMatches {
            query: query.clone(),
            paths,
            complete,
        });
        if sent.is_err() {
            return;
        }
    }
}

/// The best [`MAX_MATCHES`] of `files` for `query`, best first; for an
/// empty query, the shortest paths (files near the root).
pub fn best_matches(files: &[String], query: &str, matcher: &mut Matcher) -> Vec<String> {
    if query.is_empty() {
        let mut shortest: Vec<&String> = files.iter().collect();
        shortest.sort_by_key(|path| (path.matches('/').count(), path.len()));
        return shortest.into_iter().take(MAX_MATCHES).cloned().collect();
    }
    let pattern = Pattern::parse(query, CaseMatching::Smart, Normalization::Smart);
    let mut matches = pattern.match_list(files.iter(), matcher);
    // Equal scores: the shorter path first, so results do not depend on walk order.
    matches.sort_by(|a, b| {
        b.1.cmp(&a.1)
            .then(a.0.len().cmp(&b.0.len()))
            .then(a.0.cmp(b.0))
    });
    matches
        .into_iter()
        .take(MAX_MATCHES)
        .map(|(path, _)| path.clone())
        .collect()
}

/// The `@word` the cursor is in or just after: its byte range in `text`
/// (the `@` included) and the query after the `@`.
pub fn mention_at(text: &str, cursor: usize) -> Option<(std::ops::Range<usize>, &str)> {
    let before = &text[..cursor];
    let start = before.rfind(char::is_whitespace).map_or(0, |idx| {
        idx + before[idx..].chars().next().map_or(1, char::len_utf8)
    });
    let word = &before[start..];
    let query = word.strip_prefix('@')?;
    let end = text[cursor..]
        .find(char::is_whitespace)
        .map_or(text.len(), |idx| cursor + idx);
    Some((start..end, query))
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;
    use std::time::Duration;

    #[test]
    fn the_at_word_under_the_cursor_is_the_query() {
        assert_eq!(mention_at("look at @src/ma", 15), Some((8..15, "src/ma")));
        assert_eq!(mention_at("@ab cd", 2), Some((0..3, "a")));
        assert_eq!(mention_at("look @", 6), Some((5..6, "")));
        assert_eq!(mention_at("mail a@b", 8), None);
        assert_eq!(mention_at("no mention", 10), None);
    }

    #[test]
    fn fuzzy_matches_rank_the_tightest_first() {
        let files: Vec<String> = [
            "src/main.rs",
            "docs/maintenance.md",
            "src/app/main_loop.rs",
            "README.md",
        ]
        .into_iter()
        .map(str::to_owned)
        .collect();
        let mut matcher = Matcher::new(Config::DEFAULT.match_paths());
        assert_eq!(
            best_matches(&files, "main.rs", &mut matcher),
            ["src/main.rs", "src/app/main_loop.rs"]
        );
        assert_eq!(
            best_matches(&files, "", &mut matcher),
            [
                "README.md",
                "src/main.rs",
                "docs/maintenance.md",
                "src/app/main_loop.rs"
            ]
        );
    }

    #[tokio::test]
    async fn the_walk_honours_gitignore_and_streams_matches() {
        let root = tempfile::tempdir().unwrap();
        let write = |path: &str| {
            let path = root.path().join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, "x").unwrap();
        };
        write(".gitignore");
        std::fs::write(root.path().join(".gitignore"), "target/\n*.log\n").unwrap();
        std::fs::create_dir(root.path().join(".git")).unwrap();
        write("src/lib.rs");
        write("src/search.rs");
        write("target/debug/search.rs");
        write("build.log");
        write(".hidden/search.rs");
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let mut search = FileSearch::new(root.path().to_path_buf(), tx);
        search.search("rs".to_owned());
        let mut last = None;
        while let Ok(Some(input)) = tokio::time::timeout(Duration::from_secs(10), rx.recv()).await {
            let done = matches!(input, Input::FileMatches { complete: true, .. });
            last = Some(input);
            if done {
                break;
            }
        }
        assert_eq!(
            last,
            Some(Input::FileMatches {
                query: "rs".to_owned(),
                paths: vec!["src/lib.rs".to_owned(), "src/search.rs".to_owned()],
                complete: true,
            })
        );
    }
}
