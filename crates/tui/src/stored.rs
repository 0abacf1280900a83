//! The TUI's reads and writes of stored sessions, through
//! `duet_core::sessions`: rows and previews for the `/resume` picker, its
//! archive and delete, `/rename`, and the transcript of a thread to continue (forking it
//! first for `/fork`). Blocking (SQLite): the picker's requests go to one
//! [`StoreWorker`] thread, which keeps the database open and answers them in
//! the order they were made (a list asked before an archive is answered
//! before it, so the archived row cannot come back); `open_thread` runs on
//! `spawn_blocking`. Never on the loop. Errors come back as the message the
//! user sees.

use crate::app::{Input, Outgoing};
use crate::resume_picker::{Removal, SessionRow};
use duet_core::sessions::{ListOptions, SearchOptions, Sessions, ThreadRecord, Transcript};
use duet_protocol::Item;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use tokio::sync::mpsc::UnboundedSender;

/// Rows the picker lists at most.
const LIST_LIMIT: usize = 200;
/// Turns of a session the preview draws from.
const PREVIEW_TURNS: usize = 3;

/// The thread that answers the picker's store requests, started with the
/// first one; it ends when this handle is dropped.
pub struct StoreWorker {
    duet_home: PathBuf,
    cwd: PathBuf,
    answers: UnboundedSender<Input>,
    requests: Option<mpsc::Sender<Outgoing>>,
}

impl StoreWorker {
    pub fn new(duet_home: PathBuf, cwd: PathBuf, answers: UnboundedSender<Input>) -> StoreWorker {
        StoreWorker {
            duet_home,
            cwd,
            answers,
            requests: None,
        }
    }

    /// Queue `request`; its answer arrives as an [`Input`].
    pub fn send(&mut self, request: Outgoing) {
        let requests = self.requests.get_or_insert_with(|| {
            let (requests, queue) = mpsc::channel();
            let (home, cwd, answers) = (
                self.duet_home.clone(),
                self.cwd.clone(),
                self.answers.clone(),
            );
            std::thread::spawn(move || serve(&home, &cwd, &queue, &answers));
            requests
        });
        // A worker that has ended (a panic in the store) answers nothing;
        // the picker keeps its last rows.
        let _ = requests.send(request);
    }
}

/// Answer requests in order until the handle is dropped. The database is
/// opened on the first request and kept; a failed open is retried with the
/// next. Of several list requests waiting at once (typing in the search),
/// only the last is answered.
fn serve(
    duet_home: &Path,
    cwd: &Path,
    queue: &mpsc::Receiver<Outgoing>,
    answers: &UnboundedSender<Input>,
) {
    let mut sessions: Option<Sessions> = None;
    while let Ok(first) = queue.recv() {
        let mut batch = vec![first];
        batch.extend(queue.try_iter());
        let last_list = batch
            .iter()
            .rposition(|request| matches!(request, Outgoing::ListSessions { .. }));
        for (index, request) in batch.into_iter().enumerate() {
            if matches!(request, Outgoing::ListSessions { .. }) && Some(index) != last_list {
                continue;
            }
            let mut open_error = String::new();
            if sessions.is_none() {
                match Sessions::open_home(duet_home) {
                    Ok(opened) => sessions = Some(opened),
                    Err(error) => open_error = error.to_string(),
                }
            }
            let opened = sessions.as_ref().ok_or(open_error);
            if let Some(answer) = answer_with(opened, cwd, request)
                && answers.send(answer).is_err()
            {
                return;
            }
        }
    }
}

/// The answer to a store request of the app (opening the database for it);
/// `None` for other requests.
#[cfg(test)]
pub fn answer(duet_home: &Path, cwd: &Path, request: Outgoing) -> Option<Input> {
    let sessions = Sessions::open_home(duet_home).map_err(|error| error.to_string());
    answer_with(sessions.as_ref().map_err(Clone::clone), cwd, request)
}

/// The answer to a store request with the database `sessions`; `None` for
/// other requests.
fn answer_with(
    sessions: Result<&Sessions, String>,
    cwd: &Path,
    request: Outgoing,
) -> Option<Input> {
    Some(match request {
        Outgoing::ListSessions { query, all } => {
            let rows = sessions.and_then(|sessions| {
                list(sessions, &query, (!all).then_some(cwd)).map_err(|error| error.to_string())
            });
            Input::Sessions { query, all, rows }
        }
        Outgoing::PreviewSession { thread_id } => {
            let items = sessions
                .and_then(|sessions| {
                    sessions
                        .show_for_display(&thread_id)
                        .map_err(|error| error.to_string())
                })
                .map(|transcript| preview(&transcript))
                .unwrap_or_default();
            Input::Preview { thread_id, items }
        }
        Outgoing::Rename { thread_id, name } => Input::Renamed(
            sessions
                .and_then(|sessions| {
                    sessions
                        .rename(&thread_id, &name)
                        .map_err(|error| rename_error(&error))
                })
                .map(|thread| thread.name.unwrap_or(name)),
        ),
        Outgoing::ArchiveSession { thread_id } => remove(sessions, thread_id, Removal::Archive),
        Outgoing::DeleteSession { thread_id } => remove(sessions, thread_id, Removal::Delete),
        _ => return None,
    })
}

/// Archive or delete `thread_id`; the answer says whether it was done.
fn remove(sessions: Result<&Sessions, String>, thread_id: String, removal: Removal) -> Input {
    let result = sessions.and_then(|sessions| {
        let (done, verb) = match removal {
            Removal::Archive => (sessions.archive(&thread_id), "archive"),
            Removal::Delete => (sessions.delete(&thread_id), "delete"),
        };
        done.map(|_| ())
            .map_err(|error| format!("cannot {verb} the session: {error}"))
    });
    Input::SessionRemoved {
        thread_id,
        removal,
        result,
    }
}

/// The transcript of the thread `query` names, forked first when `fork`.
pub fn open_thread(duet_home: &Path, query: &str, fork: bool) -> Result<Transcript, String> {
    let sessions = Sessions::open_home(duet_home).map_err(|error| error.to_string())?;
    let id = if fork {
        sessions
            .fork(query, None)
            .map_err(|error| format!("cannot fork the session: {error}"))?
            .id
    } else {
        query.to_owned()
    };
    sessions
        .show_for_display(&id)
        .map_err(|error| error.to_string())
}

fn list(
    sessions: &Sessions,
    query: &str,
    cwd: Option<&Path>,
) -> Result<Vec<SessionRow>, duet_core::SessionError> {
    let now_ms = now_ms();
    if query.trim().is_empty() {
        let threads = sessions.list(&ListOptions {
            cwd: cwd.map(Path::to_path_buf),
            archived: false,
            limit: Some(LIST_LIMIT),
        })?;
        return Ok(threads
            .into_iter()
            .map(|summary| {
                let turns = match summary.turn_count {
                    1 => "1 turn".to_owned(),
                    count => format!("{count} turns"),
                };
                let detail = match cwd {
                    Some(_) => turns,
                    None => format!("{turns} · {}", summary.thread.cwd.display()),
                };
                row(&summary.thread, detail, now_ms)
            })
            .collect());
    }
    let hits = sessions.search(
        query,
        &SearchOptions {
            cwd: cwd.map(Path::to_path_buf),
            limit: LIST_LIMIT,
            ..SearchOptions::default()
        },
    )?;
    Ok(hits
        .into_iter()
        .map(|hit| row(&hit.thread, hit.snippet, now_ms))
        .collect())
}

fn row(thread: &ThreadRecord, detail: String, now_ms: i64) -> SessionRow {
    SessionRow {
        created: ago(now_ms - thread.created_at_ms),
        updated_at_ms: thread.updated_at_ms,
        created_at_ms: thread.created_at_ms,
        id: thread.id.clone(),
        label: thread
            .name
            .clone()
            .or_else(|| thread.title.clone())
            .unwrap_or_else(|| "(no prompt)".to_owned()),
        when: ago(now_ms - thread.updated_at_ms),
        detail,
    }
}

/// The displayed items of the first turns.
fn preview(transcript: &Transcript) -> Vec<Item> {
    transcript
        .turns
        .iter()
        .take(PREVIEW_TURNS)
        .flat_map(|turn| turn.display.iter().cloned())
        .collect()
}

fn rename_error(error: &duet_core::SessionError) -> String {
    match error {
        duet_core::SessionError::NotFound { .. } => {
            "cannot rename the session: nothing of it is saved yet; send a message first, then `/rename`".to_owned()
        }
        other => format!("cannot rename the session: {other}"),
    }
}

/// `just now`, `5m ago`, `3h ago`, `2d ago`.
fn ago(elapsed_ms: i64) -> String {
    let secs = elapsed_ms.max(0) / 1000;
    match secs {
        0..60 => "just now".to_owned(),
        60..3_600 => format!("{}m ago", secs / 60),
        3_600..86_400 => format!("{}h ago", secs / 3_600),
        _ => format!("{}d ago", secs / 86_400),
    }
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |elapsed| {
            i64::try_from(elapsed.as_millis()).unwrap_or(i64::MAX)
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    use duet_core::sessions::{ImportedThread, NewThread, UsageTotals};

    /// A stored thread of `/repo` without turns, created and updated
    /// `created_h` and `updated_h` hours ago.
    fn import(sessions: &Sessions, id: &str, created_h: i64, updated_h: i64) {
        // One clock reading for both times, so their difference is exact.
        let now = now_ms();
        let hours_ago = |hours: i64| now - hours * 3_600_000;
        let thread = NewThread {
            id: id.into(),
            created_at_ms: hours_ago(created_h),
            cwd: "/repo".into(),
            model: "gpt-5.5".into(),
            provider: "openai".into(),
            sandbox_mode: "workspace-write".into(),
            approval_policy: "on-request".into(),
            git_branch: None,
            git_commit: None,
            git_origin: None,
            source: "tui".into(),
        };
        sessions
            .import(&ImportedThread {
                thread,
                turns: Vec::new(),
                usage: UsageTotals::default(),
                updated_at_ms: Some(hours_ago(updated_h)),
            })
            .expect("import");
    }

    fn listed_ids(home: &Path) -> Vec<String> {
        let request = Outgoing::ListSessions {
            query: String::new(),
            all: false,
        };
        match answer(home, Path::new("/repo"), request) {
            Some(Input::Sessions { rows: Ok(rows), .. }) => {
                rows.into_iter().map(|row| row.id).collect()
            }
            other => panic!("not rows: {other:?}"),
        }
    }

    #[test]
    fn the_worker_answers_in_order_and_only_the_last_of_waiting_lists() {
        let home = tempfile::tempdir().expect("temp dir");
        let sessions = Sessions::open_home(home.path()).expect("open");
        import(&sessions, "019a-keep", 5, 1);
        import(&sessions, "019a-archive", 3, 2);
        let (requests, queue) = mpsc::channel();
        let list = |query: &str| Outgoing::ListSessions {
            query: query.into(),
            all: false,
        };
        requests.send(list("kee")).expect("queued");
        requests
            .send(Outgoing::ArchiveSession {
                thread_id: "019a-archive".into(),
            })
            .expect("queued");
        requests.send(list("")).expect("queued");
        drop(requests);
        let (answers, mut received) = tokio::sync::mpsc::unbounded_channel();
        serve(home.path(), Path::new("/repo"), &queue, &answers);
        let mut got = Vec::new();
        while let Ok(answer) = received.try_recv() {
            got.push(match answer {
                Input::SessionRemoved {
                    thread_id, result, ..
                } => format!("removed {thread_id} {result:?}"),
                Input::Sessions {
                    query,
                    rows: Ok(rows),
                    ..
                } => format!(
                    "rows for {query:?}: {:?}",
                    rows.into_iter().map(|row| row.id).collect::<Vec<_>>()
                ),
                other => format!("unexpected {other:?}"),
            });
        }
        assert_eq!(
            got,
            vec![
                "removed 019a-archive Ok(())".to_owned(),
                r#"rows for "": ["019a-keep"]"#.to_owned(),
            ]
        );
    }

    #[test]
    fn rows_carry_both_times_and_archive_and_delete_reach_the_store() {
        let home = tempfile::tempdir().expect("temp dir");
        let sessions = Sessions::open_home(home.path()).expect("open");
        import(&sessions, "019a-keep", 5, 1);
        import(&sessions, "019a-archive", 3, 2);
        import(&sessions, "019a-delete", 4, 3);
        let answer = |request| answer(home.path(), Path::new("/repo"), request);
        let Some(Input::Sessions { rows: Ok(rows), .. }) = answer(Outgoing::ListSessions {
            query: String::new(),
            all: false,
        }) else {
            panic!("no rows");
        };
        let first = rows.first().expect("a row");
        assert_eq!(
            (
                first.label.as_str(),
                first.when.as_str(),
                first.created.as_str()
            ),
            ("(no prompt)", "1h ago", "5h ago")
        );
        assert_eq!(first.created_at_ms + 4 * 3_600_000, first.updated_at_ms);

        assert_eq!(
            answer(Outgoing::ArchiveSession {
                thread_id: "019a-archive".into()
            }),
            Some(Input::SessionRemoved {
                thread_id: "019a-archive".into(),
                removal: Removal::Archive,
                result: Ok(()),
            })
        );
        assert_eq!(
            answer(Outgoing::DeleteSession {
                thread_id: "019a-delete".into()
            }),
            Some(Input::SessionRemoved {
                thread_id: "019a-delete".into(),
                removal: Removal::Delete,
                result: Ok(()),
            })
        );
        assert_eq!(listed_ids(home.path()), ["019a-keep"]);
        let archived: Vec<String> = sessions
            .list(&ListOptions {
                cwd: None,
                archived: true,
                limit: None,
            })
            .expect("list archived")
            .into_iter()
            .map(|summary| summary.thread.id)
            .collect();
        assert_eq!(archived, ["019a-archive"]);
        let Some(Input::SessionRemoved {
            result: Err(error), ..
        }) = answer(Outgoing::DeleteSession {
            thread_id: "019a-delete".into(),
        })
        else {
            panic!("deleted twice");
        };
        assert_eq!(
            error,
            format!(
                "cannot delete the session: {}",
                sessions.find("019a-delete").expect_err("gone")
            )
        );
    }

    #[test]
    fn ages_are_short() {
        let got: Vec<String> = [-5, 30_000, 300_000, 7_200_000, 200_000_000]
            .into_iter()
            .map(ago)
            .collect();
        assert_eq!(got, ["just now", "just now", "5m ago", "2h ago", "2d ago"]);
    }
}
