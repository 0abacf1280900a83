//! The pump: the task between the session handle and the event loop. It
//! forwards the app's requests to the session and the session's events to
//! the loop, does the slow work the app asks for off the loop (`git diff`,
//! the store, a new session for `/new`, `/resume` and `/fork`), and shuts
//! the session down when the loop is done.

use super::*;

/// The pump's helpers for the composer: the `@` file search and the
/// external editor. Dropped with the pump, which stops the file walk.
pub(super) struct PumpExtras {
    pub(super) file_search: FileSearch,
    pub(super) editor: Editor,
    pub(super) store: crate::stored::StoreWorker,
}

pub(super) fn session_options(config: &Config, resume: Option<String>) -> SessionOptions {
    SessionOptions {
        originator: std::env::var("CODEX_INTERNAL_ORIGINATOR_OVERRIDE")
            .unwrap_or_else(|_| "duet_tui".to_owned()),
        source: "tui".to_owned(),
        resume: resume.map(ResumeTarget::Thread),
        review_compactions: crate::settings::resolve(&config.tui, true).edit_compaction,
    }
}

/// Between the loop and the session: forwards the app's requests to the
/// session, its events to the loop, and does the slow work the app asks for
/// (`git diff`, a new session) off the loop. It ends, shutting the session
/// down, when the loop drops its sender of requests.
pub(super) async fn pump(
    mut session: SessionHandle,
    mut requests: mpsc::UnboundedReceiver<Outgoing>,
    inputs: mpsc::UnboundedSender<Input>,
    config: Config,
    mut extras: PumpExtras,
) {
    loop {
        tokio::select! {
            request = requests.recv() => match request {
                None => {
                    shut_down(session).await;
                    return;
                }
                Some(Outgoing::Op(op)) => {
                    let _ = session.submit(op);
                }
                Some(Outgoing::NewSession) => match spawn_session(config.clone(), session_options(&config, None)) {
                    Ok(new) => {
                        let old = std::mem::replace(&mut session, new);
                        tokio::spawn(shut_down(old));
                    }
                    Err(error) => {
                        let message = format!("cannot start a new session: {error}");
                        let _ = inputs.send(Input::Core(Event { turn_id: None, msg: EventMsg::Error { message } }));
                    }
                },
                Some(Outgoing::Resume { thread_id }) => {
                    switch_thread(&mut session, &config, &inputs, thread_id, false).await;
                }
                Some(Outgoing::Fork { thread_id }) => {
                    switch_thread(&mut session, &config, &inputs, thread_id, true).await;
                }
                Some(
                    request @ (Outgoing::ListSessions { .. }
                    | Outgoing::PreviewSession { .. }
                    | Outgoing::Rename { .. }
                    | Outgoing::ArchiveSession { .. }
                    | Outgoing::DeleteSession { .. }),
                ) => extras.store.send(request),
                Some(Outgoing::FileSearch { query }) => extras.file_search.search(query),
                Some(Outgoing::Editor { text }) => {
                    let result = extras.editor.edit(text, "prompt").await;
                    let _ = inputs.send(Input::EditorDone(result));
                }
                Some(Outgoing::EditCompaction { text }) => {
                    let result = extras.editor.edit(text, "compaction").await;
                    let _ = inputs.send(Input::CompactionEdited(result));
                }
                Some(Outgoing::ClipboardImage) => {
                    let dir = config.duet_home.join("tmp").join("clipboard");
                    let inputs = inputs.clone();
                    tokio::task::spawn_blocking(move || {
                        let saved = crate::clipboard::source(&|name| std::env::var(name).ok())
                            .and_then(|source| crate::clipboard::save_image(&source, &dir));
                        let _ = inputs.send(Input::ClipboardImage(saved));
                    });
                }
                Some(Outgoing::GitDiff) => {
                    let cwd = config.cwd.clone();
                    let inputs = inputs.clone();
                    tokio::task::spawn_blocking(move || {
                        let _ = inputs.send(Input::Diff(git_diff(&cwd)));
                    });
                }
            },
            event = session.next_event() => match event {
                Some(event) => {
                    let _ = inputs.send(Input::Core(event));
                }
                None => {
                    let _ = inputs.send(Input::CoreClosed);
                    while requests.recv().await.is_some() {}
                    return;
                }
            },
        }
    }
}

/// Replace the session with a stored thread (or, with `fork`, a fork of
/// it made first): its transcript goes to the loop before any of its
/// events. On failure the loop hears why; a failed fork resumes the
/// thread it was forking, so the user can go on.
pub(super) async fn switch_thread(
    session: &mut SessionHandle,
    config: &Config,
    inputs: &mpsc::UnboundedSender<Input>,
    thread_id: String,
    fork: bool,
) {
    if fork || session.thread_id() == thread_id {
        // The session writes its last items on shutdown; the fork must
        // copy them, so wait for that first. Resuming the thread this
        // session runs: only one session may hold a thread at a time, so
        // this one ends first.
        wait_for_shutdown(session).await;
    }
    let home = config.duet_home.clone();
    let query = thread_id.clone();
    let loaded =
        tokio::task::spawn_blocking(move || crate::stored::open_thread(&home, &query, fork))
            .await
            .map_err(|error| format!("internal error: {error}"))
            .and_then(|result| result);
    let (loaded, error) = match loaded {
        Ok(transcript) => (Ok(transcript), None),
        Err(error) if fork => {
            let home = config.duet_home.clone();
            let again = tokio::task::spawn_blocking(move || {
                crate::stored::open_thread(&home, &thread_id, false)
            })
            .await
            .map_err(|error| format!("internal error: {error}"))
            .and_then(|result| result);
            (again, Some(error))
        }
        Err(error) => (Err(error), None),
    };
    let started = loaded.and_then(|transcript| {
        let id = transcript.thread.id.clone();
        spawn_session(config.clone(), session_options(config, Some(id)))
            .map(|new| (transcript, new))
            .map_err(|error| format!("cannot continue the session: {error}"))
    });
    for message in error.into_iter().chain(started.as_ref().err().cloned()) {
        let _ = inputs.send(Input::Core(Event {
            turn_id: None,
            msg: EventMsg::Error { message },
        }));
    }
    if let Ok((transcript, new)) = started {
        let _ = inputs.send(Input::Transcript(Box::new(transcript)));
        let old = std::mem::replace(session, new);
        tokio::spawn(shut_down(old));
    }
}

/// Shut `session` down in place, within the grace period, its events unseen.
pub(super) async fn wait_for_shutdown(session: &mut SessionHandle) {
    duet_core::shutdown(session, SHUTDOWN_GRACE, |_| {}).await;
}

/// Ask the session to finish and wait for it, within the grace period.
pub(super) async fn shut_down(mut session: SessionHandle) {
    wait_for_shutdown(&mut session).await;
}
