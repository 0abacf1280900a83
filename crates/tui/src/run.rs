//! The IO edge of the TUI: resolved options → session; terminal modes; the
//! pump task between the session handle and the event loop (`run/pump.rs`,
//! with `/diff`'s `git diff` in `run/diff.rs`); and the exit.
//! Everything testable lives elsewhere (`app.rs`, `event_loop.rs`).

use crate::app::{App, AppOptions, Input, Outgoing};
use crate::editor::Editor;
use crate::event_loop::run_loop;
use crate::file_search::FileSearch;
use crate::prompt_history::HISTORY_FILE;
use crate::screen::Screen;
use crate::settings;
use crate::terminal::{TerminalModes, install_panic_hook};
use crate::theme::Theme;
use anyhow::{Context, bail};
use duet_core::sessions::Sessions;
use duet_core::{Config, ResumeTarget, SessionHandle, SessionOptions, spawn_session};
use duet_protocol::{Event, EventMsg, Usage};
use futures::StreamExt;
use ratatui::backend::CrosstermBackend;
use std::io::IsTerminal;
use std::path::PathBuf;
use std::time::Duration;
use tokio::sync::mpsc;

mod diff;
mod pump;
use diff::git_diff;
use pump::{PumpExtras, pump, session_options};

/// How long to wait for the session to confirm a shutdown.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(2);

/// What the TUI is asked to do, resolved by the command line.
#[derive(Debug, Clone)]
pub struct TuiOptions {
    /// The configuration, flags (`-a` included), profile and `-c` applied.
    pub config: Config,
    /// What resolving it had to say; shown first in the transcript.
    pub warnings: Vec<String>,
    /// The first message, sent once the session starts.
    pub prompt: Option<String>,
    /// `-i`: images attached to the first message.
    pub images: Vec<PathBuf>,
    /// `--alt-screen`: full-screen mode whatever the config says.
    pub alt_screen: bool,
    /// Continue this stored thread (an id; `duet resume`, `duet fork`)
    /// instead of starting a new one: its transcript is drawn first.
    pub resume: Option<String>,
}

/// How the TUI ended, for the command line's goodbye.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TuiExit {
    /// The last session's thread id, for `duet resume <id>`.
    pub thread_id: Option<String>,
    pub usage: Usage,
}

/// Fails unless stdin and stdout are terminals, which the TUI needs.
pub fn check_terminal() -> anyhow::Result<()> {
    if !std::io::stdin().is_terminal() || !std::io::stdout().is_terminal() {
        bail!(
            "the interactive TUI needs a terminal: run it in one, or use `duet exec \"<prompt>\"` in scripts"
        );
    }
    Ok(())
}

/// Run the TUI on the current tokio runtime until the user quits.
pub async fn run(options: TuiOptions) -> anyhow::Result<TuiExit> {
    check_terminal()?;
    let images = duet_core::image_paths(&options.images).map_err(anyhow::Error::msg)?;
    let mut config = options.config;
    let tui = settings::resolve(&config.tui, config.approval_policy_chosen);
    if let Some(default) = tui.default_approval {
        config.approval_policy = default;
    }
    let alt_screen = options.alt_screen || tui.alt_screen;
    let (keymap, keymap_warnings) = crate::keymap::from_tui(&config.tui)
        .context("invalid `[tui.keymap]` in the configuration")?;

    let transcript = match &options.resume {
        Some(thread_id) => Some(
            Sessions::open(&config)
                .and_then(|sessions| sessions.show_for_display(thread_id))
                .context("cannot read the session to resume")?,
        ),
        None => None,
    };
    let session = spawn_session(
        config.clone(),
        session_options(&config, options.resume.clone()),
    )
    .context("cannot start the session")?;
    let modes = TerminalModes::enter(alt_screen).context("cannot set up the terminal")?;
    install_panic_hook(alt_screen);
    let (width, height) = crossterm::terminal::size().context("cannot read the terminal size")?;
    let backend = CrosstermBackend::new(std::io::stdout());
    let mut screen = if alt_screen {
        Screen::alt_screen(backend)?
    } else {
        let (_, row) = crossterm::cursor::position().unwrap_or((0, 0));
        Screen::inline(backend, row)?
    };

    let theme = Theme::from_no_color(std::env::var("NO_COLOR").ok().as_deref());
    let now = tokio::time::Instant::now();
    let mut app = App::new(
        AppOptions {
            theme,
            alt_screen,
            version: env!("CARGO_PKG_VERSION").to_owned(),
            // `--ephemeral` saves nothing, prompts included.
            history_path: (!config.ephemeral).then(|| config.duet_home.join(HISTORY_FILE)),
            initial_prompt: options.prompt.filter(|p| !p.trim().is_empty()),
            initial_images: images,
            size: (width, height),
        },
        now,
    );
    if let Some(transcript) = transcript {
        app.update(Input::Transcript(Box::new(transcript)), now);
    }
    app.configure_composer(keymap, tui.vim);
    app.set_reasoning_display(tui.show_reasoning);
    for warning in options
        .warnings
        .into_iter()
        .chain(tui.warnings)
        .chain(keymap_warnings)
    {
        app.update(
            Input::Core(Event {
                turn_id: None,
                msg: EventMsg::Warning { message: warning },
            }),
            now,
        );
    }

    let (requests_tx, requests_rx) = mpsc::unbounded_channel();
    let (inputs_tx, inputs_rx) = mpsc::unbounded_channel();
    let (reader_paused, paused_rx) = tokio::sync::watch::channel(false);
    let extras = PumpExtras {
        file_search: FileSearch::new(config.cwd.clone(), inputs_tx.clone()),
        store: crate::stored::StoreWorker::new(
            config.duet_home.clone(),
            config.cwd.clone(),
            inputs_tx.clone(),
        ),
        editor: Editor {
            reader_paused,
            alt_screen,
            dir: config.duet_home.join("tmp"),
        },
    };
    let pump = tokio::spawn(pump(
        session,
        requests_rx,
        inputs_tx.clone(),
        config,
        extras,
    ));
    // Terminal events go through the same channel as session events: the
    // loop drains ready inputs with `now_or_never`, and crossterm's
    // `EventStream` keeps the first waker it is polled with, so polling it
    // that way directly would lose every later wake-up.
    let reader = tokio::spawn(read_terminal(inputs_tx, paused_rx));
    let mut inputs = std::pin::pin!(futures::stream::unfold(inputs_rx, |mut rx| async move {
        rx.recv().await.map(|input| (input, rx))
    }));
    let result = run_loop(&mut app, &mut screen, &mut inputs, &requests_tx).await;

    // The reader waits on the terminal forever: stop it. Closing the
    // requests channel tells the pump to shut the session down.
    reader.abort();
    drop(requests_tx);
    let _ = tokio::time::timeout(SHUTDOWN_GRACE + Duration::from_millis(500), pump).await;
    if !alt_screen {
        // Leave the shell prompt right under the transcript.
        let top = screen.viewport().y;
        let backend = screen.backend_mut();
        let _ = ratatui::backend::Backend::set_cursor_position(backend, (0, top));
        let _ = ratatui::backend::Backend::clear_region(
            backend,
            ratatui::backend::ClearType::AfterCursor,
        );
    }
    drop(modes);
    result.context("cannot draw on the terminal")?;
    Ok(TuiExit {
        thread_id: app.thread_id().map(str::to_owned),
        usage: app.usage(),
    })
}

/// Forward terminal events to the loop until the terminal or the loop goes.
/// While `paused` is set (the external editor runs) the event stream is
/// dropped, so nothing reads the terminal but the editor.
async fn read_terminal(
    inputs: mpsc::UnboundedSender<Input>,
    mut paused: tokio::sync::watch::Receiver<bool>,
) {
    loop {
        while *paused.borrow_and_update() {
            if paused.changed().await.is_err() {
                return;
            }
        }
        let mut events = crossterm::event::EventStream::new();
        loop {
            tokio::select! {
                event = events.next() => match event {
                    Some(Ok(event)) => {
                        if inputs.send(Input::Terminal(event)).is_err() {
                            return;
                        }
                    }
                    _ => return,
                },
                changed = paused.changed() => {
                    if changed.is_err() {
                        return;
                    }
                    if *paused.borrow_and_update() {
                        break;
                    }
                }
            }
        }
    }
}
