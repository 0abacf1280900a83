//! Terminal input into app state: keys (the composer's editing keys, Enter,
//! Esc, Ctrl+C, history, the slash popup, the approval modal), pastes and
//! resizes; and what each slash command does.

use super::{App, Outgoing, TerminalRequest};
use crate::approval::Answer;
use crate::history::{Cell, NoticeKind};
use crate::slash::{self, Popup, SlashCommand};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use duet_protocol::Op;

/// Where a key goes, in order: the first place that takes it keeps it.
/// Ctrl+C, Ctrl+Z and Ctrl+T are answered before the list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Focus {
    /// A picker or the pager.
    Overlay,
    /// Alt+, and Alt+. step the reasoning effort.
    Effort,
    /// The approval modal, while a request waits.
    Approval,
    /// Ctrl+G's editor, while it has the terminal.
    ExternalEditor,
    /// Esc Esc's list of earlier prompts.
    Rewind,
    /// Ctrl+R.
    ReverseSearch,
    /// The `@` popup.
    FilePopup,
    Vim,
    /// Esc on an empty composer while idle (twice: the rewind list).
    IdleEsc,
    /// The `/` popup.
    SlashPopup,
    /// `[tui.keymap]` actions (send, new line, history, interrupt, …).
    Keymap,
    /// Editing the draft.
    Composer,
}

const FOCUS: [Focus; 12] = [
    Focus::Overlay,
    Focus::Effort,
    Focus::Approval,
    Focus::ExternalEditor,
    Focus::Rewind,
    Focus::ReverseSearch,
    Focus::FilePopup,
    Focus::Vim,
    Focus::IdleEsc,
    Focus::SlashPopup,
    Focus::Keymap,
    Focus::Composer,
];

/// Whether a place of the focus list used a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Outcome {
    Taken,
    Passed,
}

impl From<bool> for Outcome {
    fn from(taken: bool) -> Outcome {
        if taken {
            Outcome::Taken
        } else {
            Outcome::Passed
        }
    }
}

impl App {
    pub(super) fn on_terminal(&mut self, event: Event) {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Event::Paste(text) => {
                if let Some(modal) = self.turn.approvals.front_mut() {
                    if modal.feedback.is_some() {
                        text.chars().filter(|c| *c != '\n').for_each(|c| {
                            modal.on_char(c);
                        });
                    }
                    return;
                }
                self.paste(&text);
            }
            Event::Resize(width, height)
                if (width, height) != (self.view.width, self.view.height) =>
            {
                let old_height = self.view.height;
                self.view.width = width;
                self.view.height = height;
                self.view.redraw_all = true;
                // Rendered once the inputs that are ready have been read
                // ([`App::settle_resize`]), not once per event of a drag.
                self.view.pager_resized_from.get_or_insert(old_height);
            }
            Event::FocusGained => self.view.focused = true,
            Event::FocusLost => self.view.focused = false,
            _ => {}
        }
    }

    fn on_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let is_ctrl_c = ctrl && key.code == KeyCode::Char('c');
        if !is_ctrl_c {
            self.ctrl_c_armed = false;
        }
        self.hint = None;
        if is_ctrl_c {
            if self.view.overlay.take().is_some() {
                return;
            }
            self.ctrl_c();
            return;
        }
        if ctrl && key.code == KeyCode::Char('z') {
            self.terminal_requests.push(TerminalRequest::Suspend);
            return;
        }
        if ctrl && key.code == KeyCode::Char('t') && self.toggle_transcript() {
            return;
        }
        for focus in FOCUS {
            if self.key_to(focus, key) == Outcome::Taken {
                return;
            }
        }
    }

    /// Give `key` to one place of the focus list.
    fn key_to(&mut self, focus: Focus, key: KeyEvent) -> Outcome {
        match focus {
            Focus::Overlay => self.overlay_key(key).into(),
            Focus::Effort => match super::commands::effort_key(&key) {
                Some(up) => {
                    self.step_effort(up);
                    Outcome::Taken
                }
                None => Outcome::Passed,
            },
            Focus::Approval if !self.turn.approvals.is_empty() => {
                self.modal_key(key);
                Outcome::Taken
            }
            // Nothing reaches the composer while another program edits it.
            Focus::ExternalEditor if self.input.editor_open => Outcome::Taken,
            Focus::ExternalEditor => {
                if key.code != KeyCode::Esc {
                    self.input.esc_armed = false;
                }
                Outcome::Passed
            }
            Focus::Rewind if self.input.rewind.is_some() => {
                self.rewind_key(key);
                Outcome::Taken
            }
            Focus::ReverseSearch if self.input.search.is_some() => self.search_key(key).into(),
            Focus::FilePopup if self.file_popup_open() => self.file_popup_key(key).into(),
            Focus::Vim => self.vim_key(key),
            Focus::IdleEsc => self.idle_esc_key(key),
            Focus::SlashPopup if self.popup().is_some() => self.popup_key(key).into(),
            Focus::Keymap => self.action_key(key).into(),
            Focus::Composer => {
                self.edit_key(key);
                Outcome::Taken
            }
            Focus::Approval
            | Focus::Rewind
            | Focus::ReverseSearch
            | Focus::FilePopup
            | Focus::SlashPopup => Outcome::Passed,
        }
    }

    /// The composer's own editing keys: whatever no mode took.
    fn edit_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        match key.code {
            // Send, new line, interrupt, quit and history are `[tui.keymap]`
            // actions (`app/extras.rs`); Tab queues while a turn runs.
            KeyCode::Tab if self.is_running() => self.submit(),
            KeyCode::Char('a') if ctrl => self.input.composer.line_start(),
            KeyCode::Char('e') if ctrl => self.input.composer.line_end(),
            KeyCode::Char('b') if ctrl => self.input.composer.left(),
            KeyCode::Char('f') if ctrl => self.input.composer.right(),
            KeyCode::Char('b') if alt => self.input.composer.word_left(),
            KeyCode::Char('f') if alt => self.input.composer.word_right(),
            KeyCode::Char('h') if ctrl => self.input.composer.backspace(),
            KeyCode::Char('d') if ctrl => self.input.composer.delete(),
            KeyCode::Char('u') if ctrl => self.input.composer.kill_to_line_start(),
            KeyCode::Char('k') if ctrl => self.input.composer.kill_to_line_end(),
            KeyCode::Char('w') if ctrl => self.input.composer.delete_word_back(),
            KeyCode::Backspace if alt => self.input.composer.delete_word_back(),
            KeyCode::Char(ch) if !ctrl && !alt => {
                self.input.composer.insert(ch.encode_utf8(&mut [0; 4]));
                self.input.popup_selected = 0;
            }
            KeyCode::Backspace => self.input.composer.backspace(),
            KeyCode::Delete => self.input.composer.delete(),
            KeyCode::Left if alt || ctrl => self.input.composer.word_left(),
            KeyCode::Right if alt || ctrl => self.input.composer.word_right(),
            KeyCode::Left => self.input.composer.left(),
            KeyCode::Right => self.input.composer.right(),
            KeyCode::Home => self.input.composer.line_start(),
            KeyCode::End => self.input.composer.line_end(),
            KeyCode::Up => self.input.composer.up(),
            KeyCode::Down => self.input.composer.down(),
            KeyCode::PageUp => {
                self.view.scroll_back += usize::from(self.view.height / 2);
            }
            KeyCode::PageDown => {
                self.view.scroll_back = self
                    .view
                    .scroll_back
                    .saturating_sub(usize::from(self.view.height / 2));
            }
            _ => {}
        }
    }

    /// Ctrl+C: clear the draft; else interrupt a running turn; a second
    /// press in a row quits.
    fn ctrl_c(&mut self) {
        if let Some(modal) = self.turn.approvals.front_mut() {
            let answer = modal.on_esc();
            self.answered(answer);
            return;
        }
        if self.ctrl_c_armed {
            self.quit = true;
            return;
        }
        if !self.input.composer.is_empty() {
            self.input.composer.take();
        } else if self.is_running() {
            self.send(Outgoing::Op(Op::Interrupt));
        }
        self.ctrl_c_armed = true;
        self.hint = Some("press ctrl+c again to quit".to_owned());
    }

    pub(super) fn history_older(&mut self) {
        if let Some(text) = self.input.history.older(self.input.composer.text()) {
            self.input.composer.set_text(&text);
        }
    }

    pub(super) fn history_newer(&mut self) {
        if let Some(text) = self.input.history.newer() {
            self.input.composer.set_text(&text);
        }
    }

    pub(super) fn history_browsing(&self) -> bool {
        self.input.history.is_browsing()
    }

    fn modal_key(&mut self, key: KeyEvent) {
        let Some(modal) = self.turn.approvals.front_mut() else {
            return;
        };
        let answer = match key.code {
            KeyCode::Char(ch) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                modal.on_char(ch)
            }
            KeyCode::Backspace => {
                modal.on_backspace();
                Answer::Open
            }
            KeyCode::Enter => modal.on_enter(),
            KeyCode::Esc => modal.on_esc(),
            _ => Answer::Open,
        };
        self.answered(answer);
    }

    fn answered(&mut self, answer: Answer) {
        let Answer::Done {
            op,
            feedback,
            summary,
            approved,
        } = answer
        else {
            return;
        };
        self.turn.approvals.pop_front();
        self.send(Outgoing::Op(op));
        let kind = if approved {
            NoticeKind::Info
        } else {
            NoticeKind::Error
        };
        self.push_cell(Cell::Notice {
            kind,
            text: summary,
        });
        if let Some(feedback) = feedback {
            self.turn.queued.push(feedback);
        }
    }

    pub(crate) fn popup(&self) -> Option<Popup> {
        Popup::for_text(self.input.composer.text(), self.input.popup_selected)
    }

    /// Keys the slash popup takes; `false` lets the composer have the key.
    fn popup_key(&mut self, key: KeyEvent) -> bool {
        let Some(popup) = self.popup() else {
            return false;
        };
        match key.code {
            KeyCode::Up => self.input.popup_selected = popup.selected.saturating_sub(1),
            KeyCode::Down => {
                self.input.popup_selected =
                    (popup.selected + 1).min(popup.matches.len().saturating_sub(1));
            }
            KeyCode::Tab => {
                if let Some(name) = popup.chosen_name() {
                    self.input.composer.set_text(&format!("/{name} "));
                }
            }
            KeyCode::Esc => {
                self.input.composer.take();
            }
            KeyCode::Enter if key.modifiers.is_empty() => match popup.chosen() {
                Some(command) => {
                    self.input.composer.take();
                    self.run_slash(command, "");
                }
                None => self.submit(),
            },
            _ => return false,
        }
        true
    }

    /// Enter: run a slash command, queue while a turn runs, or send.
    pub(super) fn submit(&mut self) {
        let text = self.input.composer.text().trim_end().to_owned();
        if text.trim().is_empty() {
            return;
        }
        if let Some((command, args)) = text.strip_prefix('/').and_then(|rest| {
            let (name, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            slash::lookup(name).map(|command| (command, args.trim().to_owned()))
        }) {
            self.input.composer.take();
            self.run_slash(command, &args);
            return;
        }
        self.input.composer.take();
        self.input.popup_selected = 0;
        if self.is_running() {
            self.turn.queued.push(text);
        } else {
            self.start_turn(text);
        }
    }

    fn run_slash(&mut self, command: SlashCommand, args: &str) {
        self.input.popup_selected = 0;
        match command {
            SlashCommand::Quit => self.quit = true,
            SlashCommand::New if self.is_running() => self.notice(
                NoticeKind::Error,
                "a turn is running: press esc to interrupt it, then `/new`".to_owned(),
            ),
            SlashCommand::New => self.new_session(),
            SlashCommand::Status => {
                let card = self.status_card();
                self.push_cell(card);
            }
            SlashCommand::Diff => self.send(Outgoing::GitDiff),
            SlashCommand::Help => self.push_cell(help_card()),
            SlashCommand::Vim => self.toggle_vim(),
            other => self.run_command(other, args),
        }
    }

    fn status_card(&self) -> Cell {
        let mut rows = Vec::new();
        if let Some(session) = &self.turn.session {
            let effort = session.reasoning_effort.map_or("default", |e| e.as_str());
            rows.push((
                "Model".to_owned(),
                format!("{} (reasoning {effort})", session.model),
            ));
            rows.push(("Provider".to_owned(), session.provider.clone()));
            rows.push(("Directory".to_owned(), session.cwd.display().to_string()));
            rows.push(("Sandbox".to_owned(), session.sandbox.to_string()));
            rows.push(("Approvals".to_owned(), session.approval.to_string()));
            rows.push(("Session".to_owned(), session.thread_id.clone()));
            if let Some(name) = &self.turn.session_name {
                rows.push(("Name".to_owned(), name.clone()));
            }
        }
        rows.push((
            "Tokens".to_owned(),
            format!(
                "{} in ({} cached), {} out",
                self.turn.usage.input_tokens,
                self.turn.usage.cached_input_tokens,
                self.turn.usage.output_tokens
            ),
        ));
        if let Some(left) = self.context_left_percent() {
            rows.push(("Context".to_owned(), format!("{left}% left")));
        }
        rows.push((
            "Cost".to_owned(),
            match self.turn.cost_usd {
                Some(dollars) => duet_protocol::display::format_usd(dollars),
                None => {
                    "unknown: no price for this model (set `[model_prices.\"provider/model\"]`)"
                        .to_owned()
                }
            },
        ));
        Cell::Card {
            title: "Status".to_owned(),
            rows,
        }
    }

    /// Percent of the context window still free, once core has said how
    /// full it is (at the start of every session).
    pub(crate) fn context_left_percent(&self) -> Option<u64> {
        let window = self.turn.context_window?;
        Some(duet_protocol::context_left_percent(
            self.turn.context_tokens,
            window,
        ))
    }
}

fn help_card() -> Cell {
    let mut rows: Vec<(String, String)> = [
        ("enter", "send; while a turn runs, queue for the next turn"),
        ("shift+enter, ctrl+j", "new line"),
        ("esc", "interrupt the running turn"),
        ("ctrl+c", "clear the draft; twice to quit"),
        ("up, down", "earlier prompts"),
        ("ctrl+r", "search earlier prompts"),
        (
            "esc esc",
            "edit an earlier prompt of this session (rewinds to it)",
        ),
        ("@", "mention a file (fuzzy search)"),
        ("!cmd", "run a shell command yourself"),
        ("ctrl+g", "edit the draft in $VISUAL or $EDITOR"),
        (
            "ctrl+t",
            "the whole transcript in a pager, reasoning in full (q to close)",
        ),
        ("/", "commands"),
    ]
    .into_iter()
    .map(|(key, what)| (key.to_owned(), what.to_owned()))
    .collect();
    rows.extend(
        slash::COMMANDS
            .iter()
            .map(|(name, _, description)| (format!("/{name}"), (*description).to_owned())),
    );
    Cell::Card {
        title: "Keys and commands".to_owned(),
        rows,
    }
}
