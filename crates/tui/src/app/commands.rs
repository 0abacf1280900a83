//! The slash commands that open something or change the session (`/model`,
//! `/permissions`, `/resume`, `/fork`, `/rename`, `/init`, `/mention`,
//! `/keymap`, `/compact`, `/diff`'s pager), the overlays they open and
//! their keys, Alt+, / Alt+. for the reasoning effort, and drawing a
//! stored transcript when a thread is resumed.
//!
//! The simple commands (`/new`, `/status`, `/help`, `/quit`) stay in
//! `keys.rs`. Nothing here does IO: reading the store and switching the
//! session are [`Outgoing`] requests that `run.rs` answers.

use super::{App, Outgoing};
use crate::history::{Cell, NoticeKind};
use crate::pager::{Pager, transcript_start};
use crate::picker::{Choice, Picker, PickerKey, step_effort};
use crate::resume_picker::{Removal, ResumeKey, ResumePicker, SessionRow};
use crate::slash::SlashCommand;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use duet_core::sessions::Transcript;
use duet_protocol::{Item, ItemDetails, Op, TurnOverrides};

/// What covers the composer (or, for the pager, the whole screen).
#[derive(Debug, Clone, PartialEq)]
pub enum Overlay {
    Picker(Picker),
    Resume(ResumePicker),
    Pager(Pager),
}

/// Turns of a resumed thread drawn into the scrollback, and of the Ctrl+T
/// transcript, at most: drawing (and, on a resize, re-wrapping) costs in
/// proportion, and terminals keep about this much scrollback anyway. The
/// model still gets every turn.
pub(crate) const DRAWN_TURNS: usize = 500;

/// The prompt `/init` sends. Our own words.
pub const INIT_PROMPT: &str = "\
Write an AGENTS.md file at the root of this repository for coding agents that will work here. \
Look around first: the build and test commands, the layout of the code, the conventions the \
existing code follows (naming, error handling, formatting, tests), and anything surprising. \
Then write it concisely, in sections: project overview, how to build and test, code layout, \
conventions, and things to watch out for. Give exact commands. If an AGENTS.md already exists, \
improve it instead of starting over. Keep it under about 300 lines.";

impl App {
    /// Run a command of this module; `args` is the text after its name.
    pub(super) fn run_command(&mut self, command: SlashCommand, args: &str) {
        let running = self.is_running();
        match command {
            // `/model MODEL`, or `/model PROVIDER MODEL` to move to another
            // provider (model names hold no spaces).
            SlashCommand::Model if !args.is_empty() => {
                let words: Vec<&str> = args.split_whitespace().collect();
                let overrides = match words[..] {
                    [provider, model] => TurnOverrides {
                        provider: Some(provider.to_owned()),
                        model: Some(model.to_owned()),
                        ..TurnOverrides::default()
                    },
                    _ => TurnOverrides {
                        model: Some(args.to_owned()),
                        ..TurnOverrides::default()
                    },
                };
                self.override_settings(overrides);
            }
            SlashCommand::Model => {
                let model = self.turn.session.as_ref().map_or("", |s| s.model.as_str());
                self.view.overlay = Some(Overlay::Picker(Picker::models(model, None)));
                self.send(Outgoing::Op(Op::ListModels));
            }
            SlashCommand::Permissions => {
                if let Some(session) = &self.turn.session {
                    let picker = Picker::permissions(session.sandbox, session.approval);
                    self.view.overlay = Some(Overlay::Picker(picker));
                }
            }
            SlashCommand::Resume
            | SlashCommand::Fork
            | SlashCommand::Compact
            | SlashCommand::Init
                if running =>
            {
                self.notice(
                    NoticeKind::Error,
                    "a turn is running: wait for it or press esc to interrupt it, then try again"
                        .to_owned(),
                );
            }
            SlashCommand::Resume => {
                let current = self.turn.session.as_ref().map(|s| s.thread_id.clone());
                self.view.overlay = Some(Overlay::Resume(ResumePicker::new(current)));
                self.send(Outgoing::ListSessions {
                    query: String::new(),
                    all: false,
                });
            }
            SlashCommand::Fork => match self.turn.session.as_ref() {
                Some(session) => {
                    let thread_id = session.thread_id.clone();
                    self.send(Outgoing::Fork { thread_id });
                }
                None => self.notice(
                    NoticeKind::Error,
                    "no session to fork yet: wait for it to start".to_owned(),
                ),
            },
            SlashCommand::Rename => self.rename(args),
            SlashCommand::Compact if !args.is_empty() && args != "edit" => self.notice(
                NoticeKind::Error,
                format!("`/compact {args}`: the only option is `edit` (open the hand-off in the editor before it is used)"),
            ),
            SlashCommand::Compact => {
                self.send(Outgoing::Op(if args == "edit" {
                    Op::CompactAndReview
                } else {
                    Op::Compact
                }));
                self.turn.turn_started = Some(self.now);
                self.tick(self.now);
                self.hint = Some("compacting the conversation…".to_owned());
            }
            SlashCommand::Init => self.start_turn(INIT_PROMPT.to_owned()),
            SlashCommand::Mention => self.input.composer.insert("@"),
            SlashCommand::Keymap => self.push_cell(keymap_card(&self.input.keymap)),
            SlashCommand::Mcp => {
                self.view.mcp_verbose = args == "verbose";
                self.send(Outgoing::Op(Op::ListMcpServers));
            }
            _ => {}
        }
    }

    fn rename(&mut self, name: &str) {
        let Some(session) = &self.turn.session else {
            return;
        };
        if name.is_empty() {
            self.input.composer.set_text("/rename ");
            self.hint = Some("type the new name after `/rename` and press enter".to_owned());
            return;
        }
        let thread_id = session.thread_id.clone();
        self.send(Outgoing::Rename {
            thread_id,
            name: name.to_owned(),
        });
    }

    /// Send a settings change for the next turns and show it at once.
    fn override_settings(&mut self, overrides: TurnOverrides) {
        let Some(session) = self.turn.session.as_mut() else {
            return;
        };
        if let Some(model) = &overrides.model {
            session.model.clone_from(model);
        }
        if let Some(provider) = &overrides.provider {
            session.provider.clone_from(provider);
        }
        session.reasoning_effort = overrides.effort_after(session.reasoning_effort);
        if let Some(sandbox) = overrides.sandbox {
            session.sandbox = sandbox;
        }
        if let Some(approval) = overrides.approval {
            session.approval = approval;
        }
        let effort = session.reasoning_effort.map_or("default", |e| e.as_str());
        let text = if overrides.sandbox.is_some() {
            format!(
                "Permissions for the next turns: sandbox {}, approvals {}",
                session.sandbox, session.approval
            )
        } else if let Some(provider) = &overrides.provider {
            format!(
                "Model for the next turns: {} of provider `{provider}` (reasoning {effort})",
                session.model
            )
        } else {
            format!(
                "Model for the next turns: {} (reasoning {effort})",
                session.model
            )
        };
        self.send(Outgoing::Op(Op::OverrideTurnContext(overrides)));
        self.notice(NoticeKind::Info, text);
    }

    /// Alt+, (lower) and Alt+. (raise) the reasoning effort.
    pub(super) fn step_effort(&mut self, up: bool) {
        let Some(session) = &self.turn.session else {
            return;
        };
        match step_effort(session.reasoning_effort, up) {
            Some(effort) => {
                let session = self.turn.session.as_mut().expect("checked above");
                session.reasoning_effort = Some(effort);
                self.send(Outgoing::Op(Op::OverrideTurnContext(TurnOverrides {
                    reasoning_effort: Some(effort),
                    ..TurnOverrides::default()
                })));
                self.hint = Some(format!("reasoning effort: {}", effort.as_str()));
            }
            None => {
                let end = if up { "highest" } else { "lowest" };
                self.hint = Some(format!("reasoning effort is already the {end}"));
            }
        }
    }

    /// Keys for an open overlay; `false` when there is none.
    pub(super) fn overlay_key(&mut self, key: KeyEvent) -> bool {
        let Some(overlay) = self.view.overlay.as_mut() else {
            return false;
        };
        match overlay {
            Overlay::Picker(picker) => match picker.on_key(key) {
                PickerKey::Open => {}
                PickerKey::Closed => self.view.overlay = None,
                PickerKey::Chosen(choice) => {
                    self.view.overlay = None;
                    self.chosen(choice);
                }
            },
            Overlay::Pager(pager) => {
                if !pager.on_key(key, self.view.height) {
                    self.view.overlay = None;
                }
            }
            Overlay::Resume(picker) => match picker.on_key(key) {
                ResumeKey::Open => {}
                ResumeKey::Closed => self.view.overlay = None,
                ResumeKey::Search => {
                    let (query, all) = (picker.query.clone(), picker.all);
                    self.send(Outgoing::ListSessions { query, all });
                }
                ResumeKey::Preview(thread_id) => self.send(Outgoing::PreviewSession { thread_id }),
                ResumeKey::Chosen(thread_id) => {
                    self.view.overlay = None;
                    self.send(Outgoing::Resume { thread_id });
                }
                ResumeKey::Archive(thread_id) => self.send(Outgoing::ArchiveSession { thread_id }),
                ResumeKey::Delete(thread_id) => self.send(Outgoing::DeleteSession { thread_id }),
            },
        }
        true
    }

    fn chosen(&mut self, choice: Choice) {
        match choice {
            Choice::Model(model) => {
                let current = self.turn.session.as_ref().and_then(|s| s.reasoning_effort);
                self.view.overlay = Some(Overlay::Picker(Picker::efforts(&model, current)));
            }
            // `None` is the model's own effort: none is sent.
            Choice::Effort { model, effort } => self.override_settings(TurnOverrides {
                model: Some(model),
                reasoning_effort: effort,
                default_reasoning_effort: effort.is_none(),
                ..TurnOverrides::default()
            }),
            Choice::Permissions { sandbox, approval } => self.override_settings(TurnOverrides {
                sandbox: Some(sandbox),
                approval: Some(approval),
                ..TurnOverrides::default()
            }),
        }
    }

    /// `/diff`'s answer: the pager, or why there is no diff.
    pub(super) fn open_diff(&mut self, diff: String) {
        // A file's bytes may hold escape sequences: shown, never obeyed.
        let diff = duet_protocol::display::visible_text(&diff).into_owned();
        self.view.overlay = Some(Overlay::Pager(Pager::diff(
            diff,
            self.view.width,
            self.view.theme,
        )));
    }

    /// Ctrl+T: open the transcript pager (reasoning in full, at the end),
    /// or close it; `false` when another overlay has the keys.
    pub(super) fn toggle_transcript(&mut self) -> bool {
        match &self.view.overlay {
            Some(Overlay::Pager(pager)) if pager.is_transcript() => self.view.overlay = None,
            Some(_) => return false,
            None => {
                let (start, left_out) = transcript_start(&self.transcript.cells);
                let pager = Pager::transcript(
                    &self.transcript.cells[start..],
                    left_out,
                    self.view.width,
                    self.view.height,
                    self.view.theme,
                );
                self.view.overlay = Some(Overlay::Pager(pager));
            }
        }
        true
    }

    /// Render an open pager again at the current size (after a resize
    /// from `old_height` rows); one at its end stays at the end.
    pub(super) fn render_pager(&mut self, old_height: u16) {
        let Some(Overlay::Pager(pager)) = self.view.overlay.as_mut() else {
            return;
        };
        let at_end = pager.at_end(old_height);
        if pager.is_transcript() {
            let (start, left_out) = transcript_start(&self.transcript.cells);
            pager.render_transcript(
                &self.transcript.cells[start..],
                left_out,
                self.view.width,
                self.view.theme,
            );
        } else {
            pager.render_diff(self.view.width, self.view.theme);
        }
        pager.settle(self.view.height, at_end);
    }

    pub(super) fn session_rows(
        &mut self,
        query: &str,
        all: bool,
        rows: Result<Vec<SessionRow>, String>,
    ) {
        if let Some(Overlay::Resume(picker)) = self.view.overlay.as_mut()
            && let Some(thread_id) = picker.set_rows(query, all, rows)
        {
            self.send(Outgoing::PreviewSession { thread_id });
        }
    }

    pub(super) fn session_preview(&mut self, thread_id: String, items: Vec<Item>) {
        if let Some(Overlay::Resume(picker)) = self.view.overlay.as_mut() {
            picker.set_preview(thread_id, items);
        }
    }

    /// The store archived or deleted a session of the `/resume` picker (or
    /// could not): its row leaves the list, and a notice says what happened
    /// and, for an archive, how to undo it.
    pub(super) fn session_removed(
        &mut self,
        thread_id: &str,
        removal: Removal,
        result: Result<(), String>,
    ) {
        let done = result.is_ok();
        let (kind, text) = match (result, removal) {
            (Ok(()), Removal::Archive) => (
                NoticeKind::Info,
                format!(
                    "Archived session {thread_id}; `duet sessions unarchive {thread_id}` brings it back"
                ),
            ),
            (Ok(()), Removal::Delete) => (NoticeKind::Info, format!("Deleted session {thread_id}")),
            (Err(error), _) => (NoticeKind::Error, error),
        };
        if let Some(Overlay::Resume(picker)) = self.view.overlay.as_mut() {
            let preview = if done {
                picker.removed(thread_id)
            } else {
                None
            };
            // The footer is one line: the notice above has the whole text.
            picker.status = Some(match (done, removal) {
                (true, Removal::Archive) => {
                    "archived; the notice above says how to bring it back".to_owned()
                }
                (true, Removal::Delete) => "deleted".to_owned(),
                (false, _) => text.clone(),
            });
            if let Some(thread_id) = preview {
                self.send(Outgoing::PreviewSession { thread_id });
            }
        }
        self.notice(kind, text);
    }

    pub(super) fn renamed(&mut self, result: Result<String, String>) {
        match result {
            Ok(name) => {
                self.notice(NoticeKind::Info, format!("Session renamed to {name}"));
                self.turn.session_name = Some(name);
            }
            Err(error) => self.notice(NoticeKind::Error, error),
        }
    }

    /// A stored thread is about to be continued: switch to it, and draw
    /// its transcript once its session has started.
    pub(super) fn transcript_arrived(&mut self, transcript: Box<Transcript>) {
        self.reset_session_state();
        self.turn.session_name = transcript.thread.name.clone();
        self.transcript.pending_transcript = Some(transcript);
    }

    /// Draw the stored transcript of the thread that just started, through
    /// the same path as live events, so it looks as it did.
    pub(super) fn draw_transcript(&mut self, thread_id: &str) {
        let Some(transcript) = self.transcript.pending_transcript.take() else {
            return;
        };
        if transcript.thread.id != thread_id {
            return;
        }
        let usage = &transcript.thread.usage;
        self.turn.usage = duet_protocol::Usage {
            input_tokens: usage.input_tokens,
            cached_input_tokens: usage.cached_input_tokens,
            cache_write_input_tokens: 0,
            output_tokens: usage.output_tokens,
            reasoning_output_tokens: usage.reasoning_output_tokens,
        };
        let hidden = transcript.turns.len().saturating_sub(DRAWN_TURNS);
        if hidden > 0 {
            self.notice(
                NoticeKind::Info,
                format!(
                    "{} not drawn; `duet sessions show {thread_id}` prints them all",
                    crate::pager::earlier_turns(hidden)
                ),
            );
        }
        for turn in transcript.turns.into_iter().skip(hidden) {
            for item in turn.display {
                let item = duet_protocol::display::visible(&item);
                if matches!(item.details, ItemDetails::UserMessage { .. }) {
                    self.transcript.live.close_groups();
                }
                match item.details {
                    // A compaction turn is stored with this prompt.
                    ItemDetails::UserMessage { text } if text == "/compact" => {
                        self.flush_live(true);
                        self.notice(NoticeKind::Info, "Context compacted".to_owned());
                    }
                    ItemDetails::UserMessage { text } => {
                        self.flush_live(true);
                        self.push_cell(Cell::User { text });
                    }
                    // Completed without a start: no duration is made up.
                    _ => self.item_completed(item),
                }
            }
            self.transcript.live.close_groups();
            self.flush_live(true);
        }
        let name = self
            .turn
            .session_name
            .as_deref()
            .map(|name| format!(" ({name})"))
            .unwrap_or_default();
        self.notice(
            NoticeKind::Info,
            format!("Resumed session {thread_id}{name}"),
        );
    }
}

/// `/keymap`: the key bindings in force.
/// The bindings in force: `[tui.keymap]`'s actions (as configured), then
/// the keys that are not configurable.
fn keymap_card(keymap: &crate::keymap::Keymap) -> Cell {
    let mut rows: Vec<(String, String)> = crate::keymap::ACTIONS
        .iter()
        .map(|(action, name, _, what)| {
            let keys = keymap.keys_of(*action);
            let keys = if keys.is_empty() {
                "(unbound)".to_owned()
            } else {
                keys.join(", ")
            };
            (keys, format!("{what} [{name}]"))
        })
        .collect();
    let fixed = [
        ("tab", "queue while a turn runs; complete in popups"),
        ("ctrl-c", "clear the draft or interrupt; twice to quit"),
        ("ctrl-z", "suspend duet (fg to come back)"),
        ("esc esc", "rewind to an earlier prompt"),
        (
            "ctrl-t",
            "the whole transcript in a pager (reasoning in full)",
        ),
        ("alt-, / alt-.", "lower / raise the reasoning effort"),
        ("pageup/pagedown", "scroll the transcript (--alt-screen)"),
        ("/ @ !", "commands, files, a shell command"),
    ];
    rows.extend(
        fixed
            .into_iter()
            .map(|(key, what)| (key.to_owned(), what.to_owned())),
    );
    Cell::Card {
        title: "Key bindings ([tui.keymap] in config.toml changes the first ones)".to_owned(),
        rows,
    }
}

/// Whether `key` is Alt+, or Alt+. (some terminals send `<` / `>` with Alt
/// and Shift); `Some(true)` raises.
pub(super) fn effort_key(key: &KeyEvent) -> Option<bool> {
    if !key.modifiers.contains(KeyModifiers::ALT) {
        return None;
    }
    match key.code {
        KeyCode::Char(',' | '<') => Some(false),
        KeyCode::Char('.' | '>') => Some(true),
        _ => None,
    }
}

/// The `/mcp` card: each server's state and tool count, and with
/// `verbose` each tool the model sees.
pub(crate) fn mcp_card(servers: &[duet_protocol::McpServerStatus], verbose: bool) -> Cell {
    use duet_protocol::McpServerState;
    let mut rows = Vec::new();
    if servers.is_empty() {
        rows.push((
            "none".to_owned(),
            "no MCP servers are configured; add one with `duet mcp add NAME -- COMMAND`".to_owned(),
        ));
    }
    for server in servers {
        let state = match server.state {
            McpServerState::Starting => "starting…".to_owned(),
            McpServerState::Ready => match server.tools.len() {
                1 => "ready, 1 tool".to_owned(),
                count => format!("ready, {count} tools"),
            },
            McpServerState::Failed => format!(
                "failed: {}",
                server.error.as_deref().unwrap_or("no reason given")
            ),
        };
        rows.push((server.name.clone(), state));
        if verbose {
            for tool in &server.tools {
                let mut text = tool
                    .description
                    .as_deref()
                    .and_then(|text| text.lines().next())
                    .unwrap_or("")
                    .to_owned();
                if tool.read_only {
                    text = format!("(read-only) {text}");
                }
                rows.push((format!("  {}", tool.qualified_name), text));
            }
        }
    }
    Cell::Card {
        title: "MCP servers".to_owned(),
        rows,
    }
}
