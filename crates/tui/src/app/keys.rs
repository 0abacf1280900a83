//! Terminal input into app state: keys (the composer's editing keys, Enter,
//! Esc, Ctrl+C, history, the slash popup, the approval modal), pastes and
//! resizes; and what each slash command does.

use super::{App, Outgoing, TerminalRequest};
use crate::approval::Answer;
use crate::history::{Cell, NoticeKind};
use crate::slash::{self, Popup, SlashCommand};
use crossterm::event::{Event, KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use duet_protocol::Op;

impl App {
    pub(super) fn on_terminal(&mut self, event: Event) {
        match event {
            Event::Key(key) if key.kind != KeyEventKind::Release => self.on_key(key),
            Event::Paste(text) => {
                if let Some(modal) = self.approvals.front_mut() {
                    if modal.feedback.is_some() {
                        text.chars().filter(|c| *c != '\n').for_each(|c| {
                            modal.on_char(c);
                        });
                    }
                    return;
                }
                self.paste(&text);
            }
            Event::Resize(width, height) if (width, height) != (self.width, self.height) => {
                let old_height = self.height;
                self.width = width;
                self.height = height;
                self.redraw_all = true;
                // Rendered once the inputs that are ready have been read
                // ([`App::settle_resize`]), not once per event of a drag.
                self.pager_resized_from.get_or_insert(old_height);
            }
            Event::FocusGained => self.focused = true,
            Event::FocusLost => self.focused = false,
            _ => {}
        }
    }

    fn on_key(&mut self, key: KeyEvent) {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let is_ctrl_c = ctrl && key.code == KeyCode::Char('c');
        if !is_ctrl_c {
            self.ctrl_c_armed = false;
        }
        self.hint = None;
        if is_ctrl_c {
            if self.overlay.take().is_some() {
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
        if self.overlay_key(key) {
            return;
        }
        if let Some(up) = super::commands::effort_key(&key) {
            self.step_effort(up);
            return;
        }
        if !self.approvals.is_empty() {
            self.modal_key(key);
            return;
        }
        if self.extras_key(key) {
            return;
        }
        if self.popup().is_some() && self.popup_key(key) {
            return;
        }
        if self.action_key(key) {
            return;
        }
        match key.code {
            // Send, new line, interrupt, quit and history are `[tui.keymap]`
            // actions (`app/extras.rs`); Tab queues while a turn runs.
            KeyCode::Tab if self.is_running() => self.submit(),
            KeyCode::Char('a') if ctrl => self.composer.line_start(),
            KeyCode::Char('e') if ctrl => self.composer.line_end(),
            KeyCode::Char('b') if ctrl => self.composer.left(),
            KeyCode::Char('f') if ctrl => self.composer.right(),
            KeyCode::Char('b') if alt => self.composer.word_left(),
            KeyCode::Char('f') if alt => self.composer.word_right(),
            KeyCode::Char('h') if ctrl => self.composer.backspace(),
            KeyCode::Char('d') if ctrl => self.composer.delete(),
            KeyCode::Char('u') if ctrl => self.composer.kill_to_line_start(),
            KeyCode::Char('k') if ctrl => self.composer.kill_to_line_end(),
            KeyCode::Char('w') if ctrl => self.composer.delete_word_back(),
            KeyCode::Backspace if alt => self.composer.delete_word_back(),
            KeyCode::Char(ch) if !ctrl && !alt => {
                self.composer.insert(ch.encode_utf8(&mut [0; 4]));
                self.popup_selected = 0;
            }
            KeyCode::Backspace => self.composer.backspace(),
            KeyCode::Delete => self.composer.delete(),
            KeyCode::Left if alt || ctrl => self.composer.word_left(),
            KeyCode::Right if alt || ctrl => self.composer.word_right(),
            KeyCode::Left => self.composer.left(),
            KeyCode::Right => self.composer.right(),
            KeyCode::Home => self.composer.line_start(),
            KeyCode::End => self.composer.line_end(),
            KeyCode::Up => self.composer.up(),
            KeyCode::Down => self.composer.down(),
            KeyCode::PageUp => {
                self.scroll_back += usize::from(self.height / 2);
            }
            KeyCode::PageDown => {
                self.scroll_back = self
                    .scroll_back
                    .saturating_sub(usize::from(self.height / 2));
            }
            _ => {}
        }
    }

    /// Ctrl+C: clear the draft; else interrupt a running turn; a second
    /// press in a row quits.
    fn ctrl_c(&mut self) {
        if let Some(modal) = self.approvals.front_mut() {
            let answer = modal.on_esc();
            self.answered(answer);
            return;
        }
        if self.ctrl_c_armed {
            self.quit = true;
            return;
        }
        if !self.composer.is_empty() {
            self.composer.take();
        } else if self.is_running() {
            self.send(Outgoing::Op(Op::Interrupt));
        }
        self.ctrl_c_armed = true;
        self.hint = Some("press ctrl+c again to quit".to_owned());
    }

    pub(super) fn history_older(&mut self) {
        if let Some(text) = self.history.older(self.composer.text()) {
            self.composer.set_text(&text);
        }
    }

    pub(super) fn history_newer(&mut self) {
        if let Some(text) = self.history.newer() {
            self.composer.set_text(&text);
        }
    }

    pub(super) fn history_browsing(&self) -> bool {
        self.history.is_browsing()
    }

    fn modal_key(&mut self, key: KeyEvent) {
        let Some(modal) = self.approvals.front_mut() else {
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
        self.approvals.pop_front();
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
            self.queued.push(feedback);
        }
    }

    pub(crate) fn popup(&self) -> Option<Popup> {
        Popup::for_text(self.composer.text(), self.popup_selected)
    }

    /// Keys the slash popup takes; `false` lets the composer have the key.
    fn popup_key(&mut self, key: KeyEvent) -> bool {
        let Some(popup) = self.popup() else {
            return false;
        };
        match key.code {
            KeyCode::Up => self.popup_selected = popup.selected.saturating_sub(1),
            KeyCode::Down => {
                self.popup_selected =
                    (popup.selected + 1).min(popup.matches.len().saturating_sub(1));
            }
            KeyCode::Tab => {
                if let Some(name) = popup.chosen_name() {
                    self.composer.set_text(&format!("/{name} "));
                }
            }
            KeyCode::Esc => {
                self.composer.take();
            }
            KeyCode::Enter if key.modifiers.is_empty() => match popup.chosen() {
                Some(command) => {
                    self.composer.take();
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
        let text = self.composer.text().trim_end().to_owned();
        if text.trim().is_empty() {
            return;
        }
        if let Some((command, args)) = text.strip_prefix('/').and_then(|rest| {
            let (name, args) = rest.split_once(char::is_whitespace).unwrap_or((rest, ""));
            slash::lookup(name).map(|command| (command, args.trim().to_owned()))
        }) {
            self.composer.take();
            self.run_slash(command, &args);
            return;
        }
        self.composer.take();
        self.popup_selected = 0;
        if self.is_running() {
            self.queued.push(text);
        } else {
            self.start_turn(text);
        }
    }

    fn run_slash(&mut self, command: SlashCommand, args: &str) {
        self.popup_selected = 0;
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
        if let Some(session) = &self.session {
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
            if let Some(name) = &self.session_name {
                rows.push(("Name".to_owned(), name.clone()));
            }
        }
        rows.push((
            "Tokens".to_owned(),
            format!(
                "{} in ({} cached), {} out",
                self.usage.input_tokens, self.usage.cached_input_tokens, self.usage.output_tokens
            ),
        ));
        if let Some(left) = self.context_left_percent() {
            rows.push(("Context".to_owned(), format!("{left}% left")));
        }
        Cell::Card {
            title: "Status".to_owned(),
            rows,
        }
    }

    /// Percent of the context window still free, when the window is known.
    pub(crate) fn context_left_percent(&self) -> Option<u64> {
        let window = self.context_window.filter(|w| *w > 0)?;
        let used = self.last_input_tokens.min(window);
        Some(100 - used * 100 / window)
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
