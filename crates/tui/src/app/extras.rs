//! The composer's extra modes and their keys: `[tui.keymap]` actions, vim
//! mode, Ctrl+R reverse search, the `@` file popup, `!cmd`, images pasted
//! by path, Ctrl+G (the external editor) and Esc Esc (rewind to an earlier
//! prompt). Their state is `App::input` (`state.rs`); `keys.rs` gives each
//! mode its keys in the order of its focus list. Rendering of these modes
//! is `overlays.rs`.

use super::keys::Outcome;
use super::{App, Outgoing};
use crate::attachments::{self, Attachment};
use crate::file_search::mention_at;
use crate::history::NoticeKind;
use crate::keymap::{Action, Keymap};
use crate::reverse_search::ReverseSearch;
use crate::vim::{self, Vim};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use duet_protocol::{Op, UserInput};
use std::path::PathBuf;

impl App {
    /// Apply `[tui.keymap]` and `tui.vim`.
    pub fn configure_composer(&mut self, keymap: Keymap, vim: bool) {
        self.input.keymap = keymap;
        self.input.vim = vim.then(Vim::default);
    }

    /// The draft in the composer.
    pub fn composer_text(&self) -> &str {
        self.input.composer.text()
    }

    /// Whether another program has the terminal (nothing must be drawn).
    pub fn is_suspended(&self) -> bool {
        self.input.editor_open
    }

    /// Whether the whole screen must be painted again (after the editor).
    pub fn take_repaint(&mut self) -> bool {
        std::mem::take(&mut self.view.repaint)
    }

    /// The prompts Esc Esc offers, oldest first, with their turn index.
    pub(crate) fn rewind_prompts(&self) -> Vec<(usize, &str)> {
        self.turn
            .turns
            .iter()
            .enumerate()
            .filter_map(|(idx, turn)| turn.as_deref().map(|text| (idx, text)))
            .collect()
    }

    /// Whether the `@` popup is showing.
    pub(crate) fn file_popup_open(&self) -> bool {
        self.input.files.query.is_some()
    }

    /// Vim's keys, when vim mode is on.
    pub(super) fn vim_key(&mut self, key: KeyEvent) -> Outcome {
        let Some(vim) = self.input.vim.as_mut() else {
            return Outcome::Passed;
        };
        match vim.on_key(key, &mut self.input.composer) {
            vim::Outcome::Taken => {}
            vim::Outcome::HistoryPrev => self.history_older(),
            vim::Outcome::HistoryNext => {
                if self.history_browsing() {
                    self.history_newer();
                }
            }
            vim::Outcome::Passed => return Outcome::Passed,
        }
        Outcome::Taken
    }

    /// Esc on an empty composer while no turn runs: the first arms, the
    /// second opens the rewind list.
    pub(super) fn idle_esc_key(&mut self, key: KeyEvent) -> Outcome {
        if key.code == KeyCode::Esc
            && key.modifiers.is_empty()
            && !self.is_running()
            && self.input.composer.is_empty()
        {
            self.esc_when_idle();
            return Outcome::Taken;
        }
        Outcome::Passed
    }

    /// Keys bound in `[tui.keymap]`, after the slash popup had its turn.
    pub(super) fn action_key(&mut self, key: KeyEvent) -> bool {
        let Some(action) = self.input.keymap.action(key) else {
            return false;
        };
        match action {
            Action::Send => self.send_draft(),
            Action::Newline => self.input.composer.insert("\n"),
            Action::HistoryPrev if self.input.composer.on_first_line() => self.history_older(),
            Action::HistoryPrev => self.input.composer.up(),
            Action::HistoryNext
                if self.input.composer.on_last_line() && self.history_browsing() =>
            {
                self.history_newer();
            }
            Action::HistoryNext => self.input.composer.down(),
            Action::Search => {
                let draft = self.input.composer.text().to_owned();
                self.input.search = Some(ReverseSearch::new(draft));
            }
            Action::Interrupt if self.is_running() => {
                self.send(Outgoing::Op(Op::Interrupt));
                self.hint = Some("interrupting…".to_owned());
            }
            Action::Quit if self.input.composer.is_empty() => self.quit = true,
            Action::Interrupt | Action::Quit => return false,
            Action::Editor => self.open_editor(),
            Action::FileSearch => self.input.composer.insert("@"),
            Action::PasteImage => {
                self.hint = Some("reading the clipboard…".to_owned());
                self.send(Outgoing::ClipboardImage);
            }
        }
        true
    }

    /// The clipboard's image, saved: attached as a pasted path would be.
    pub(super) fn clipboard_image(&mut self, result: Result<PathBuf, String>) {
        self.hint = None;
        match result {
            Ok(path) => self.paste(&path.display().to_string()),
            Err(error) => self.hint = Some(error),
        }
    }

    /// A paste: a lone image path becomes an attachment; during reverse
    /// search it extends the query.
    pub(super) fn paste(&mut self, text: &str) {
        if let Some(search) = self.input.search.as_mut() {
            let query = format!("{}{}", search.query, text.replace('\n', " "));
            search.set_query(query, self.input.history.entries());
            let shown = search.shown(self.input.history.entries()).to_owned();
            self.input.composer.set_text(&shown);
            return;
        }
        let cwd = self.session_cwd();
        match attachments::image_path(text, &cwd) {
            Some(path) => {
                let placeholder = attachments::placeholder(&path, &self.input.attachments);
                self.input.composer.insert(&placeholder);
                self.input
                    .attachments
                    .push(Attachment { placeholder, path });
            }
            None => self.input.composer.insert(text),
        }
    }

    /// Once the session has started: the `-i` images go into the draft as
    /// attachments, and the first message (with them) is sent if there is
    /// one; otherwise they wait for the user's.
    pub(super) fn send_initial_message(&mut self) {
        let images = std::mem::take(&mut self.turn.initial_images);
        let prompt = self.turn.initial_prompt.take();
        if images.is_empty() && prompt.is_none() {
            return;
        }
        if let Some(prompt) = &prompt {
            self.input.composer.set_text(prompt);
        }
        for path in images {
            let placeholder = attachments::placeholder(&path, &self.input.attachments);
            let separator = if self.input.composer.text().is_empty() {
                ""
            } else {
                " "
            };
            self.input
                .composer
                .insert(&format!("{separator}{placeholder}"));
            self.input
                .attachments
                .push(Attachment { placeholder, path });
        }
        if prompt.is_some() {
            let text = self.input.composer.take();
            self.start_turn(text);
        }
    }

    /// The inputs of a turn sent with `text`: the text and its images.
    pub(super) fn turn_inputs(&mut self, text: &str) -> Vec<UserInput> {
        let cwd = self.session_cwd();
        let inputs = attachments::turn_inputs(text, &self.input.attachments, &cwd);
        self.input.attachments.clear();
        self.turn.turns.push(Some(text.to_owned()));
        inputs
    }

    /// After each terminal input: ask for the matches of the `@word` the
    /// cursor is in, once per change of its text.
    pub(super) fn sync_file_search(&mut self) {
        let mention = mention_at(self.input.composer.text(), self.input.composer.cursor())
            .filter(|_| self.input.search.is_none())
            .map(|(range, query)| (range.start, query.to_owned()));
        let files = &mut self.input.files;
        match mention {
            Some((start, _)) if files.dismissed == Some(start) => files.query = None,
            Some((_, query)) => {
                if files.query.as_ref() != Some(&query) {
                    files.query = Some(query.clone());
                    files.selected = 0;
                    self.outgoing.push(Outgoing::FileSearch { query });
                }
            }
            None => {
                files.query = None;
                files.dismissed = None;
            }
        }
    }

    pub(super) fn file_matches(&mut self, query: String, paths: Vec<String>, complete: bool) {
        let files = &mut self.input.files;
        if files.query.as_ref() == Some(&query) {
            files.matches = paths;
            files.complete = complete;
            files.selected = files.selected.min(files.matches.len().saturating_sub(1));
        }
    }

    pub(super) fn editor_done(&mut self, result: Result<String, String>) {
        self.input.editor_open = false;
        self.view.repaint = true;
        match result {
            Ok(text) => self.input.composer.set_text(text.trim_end_matches('\n')),
            Err(error) => self.notice(NoticeKind::Error, error),
        }
    }

    /// Core shows a compaction's hand-off before using it: open it in the
    /// editor.
    pub(super) fn review_compaction(&mut self, summary: String) {
        self.input.editor_open = true;
        self.hint = Some(
            "editing the hand-off: save and quit the editor to use it, empty it to cancel"
                .to_owned(),
        );
        self.turn.compaction_under_review = Some(summary.clone());
        self.send(Outgoing::EditCompaction { text: summary });
    }

    /// The edited hand-off goes to core; if the editor did not run, the
    /// hand-off as the model wrote it does, and the user is told why.
    pub(super) fn compaction_edited(&mut self, result: Result<String, String>) {
        self.input.editor_open = false;
        self.view.repaint = true;
        self.hint = Some("compacting the conversation…".to_owned());
        let written = self.turn.compaction_under_review.take().unwrap_or_default();
        let summary = match result {
            Ok(text) => text,
            Err(error) => {
                self.notice(
                    NoticeKind::Warning,
                    format!("{error}; the hand-off is used as the model wrote it"),
                );
                written
            }
        };
        self.send(Outgoing::Op(Op::CompactionReviewed { summary }));
    }

    /// Core dropped the last `num_turns` turns: forget them here too and
    /// put the chosen prompt back in the composer.
    pub(super) fn rolled_back(&mut self, num_turns: u32) {
        let keep = self
            .turn
            .turns
            .len()
            .saturating_sub(usize::try_from(num_turns).unwrap_or(usize::MAX));
        self.turn.turns.truncate(keep);
        let prompt = self.turn.pending_rewind.take().unwrap_or_default();
        let first_line = prompt.lines().next().unwrap_or_default().to_owned();
        self.notice(
            NoticeKind::Info,
            format!("↶ rewound to before “{first_line}”: edit the prompt and press enter"),
        );
        self.input.composer.set_text(&prompt);
    }

    /// `/vim`: vim mode on or off.
    pub(crate) fn toggle_vim(&mut self) {
        let on = self.input.vim.is_none();
        self.input.vim = on.then(Vim::default);
        let state = if on {
            "on (esc for normal mode)"
        } else {
            "off"
        };
        self.notice(NoticeKind::Info, format!("vim mode {state}"));
    }

    /// Enter: `!cmd` runs the command; anything else goes as usual.
    fn send_draft(&mut self) {
        let text = self.input.composer.text().trim().to_owned();
        if let Some(command) = text.strip_prefix('!') {
            let command = command.trim().to_owned();
            if command.is_empty() {
                self.hint = Some("type a command after `!` to run it".to_owned());
                return;
            }
            self.input.composer.take();
            self.turn.turns.push(None);
            self.send(Outgoing::Op(Op::RunUserShellCommand { command }));
            return;
        }
        self.submit();
        if let Some(vim) = self.input.vim.as_mut() {
            vim.mode = vim::Mode::Insert;
        }
    }

    fn esc_when_idle(&mut self) {
        if !std::mem::take(&mut self.input.esc_armed) {
            self.input.esc_armed = true;
            self.hint = Some("press esc again to edit a previous message".to_owned());
            return;
        }
        let prompts = self.rewind_prompts();
        match prompts.last() {
            Some(_) => self.input.rewind = Some(prompts.len() - 1),
            None => self.hint = Some("no earlier message in this session to go back to".to_owned()),
        }
    }

    pub(super) fn rewind_key(&mut self, key: KeyEvent) {
        let count = self.rewind_prompts().len();
        let Some(selected) = self.input.rewind else {
            return;
        };
        match key.code {
            KeyCode::Up | KeyCode::Left | KeyCode::Char('k') => {
                self.input.rewind = Some(selected.saturating_sub(1));
            }
            KeyCode::Down | KeyCode::Right | KeyCode::Char('j') => {
                self.input.rewind = Some((selected + 1).min(count.saturating_sub(1)));
            }
            KeyCode::Esc => self.input.rewind = None,
            KeyCode::Enter => {
                self.input.rewind = None;
                let prompts = self.rewind_prompts();
                let Some((turn_idx, text)) =
                    prompts.get(selected).map(|(i, t)| (*i, (*t).to_owned()))
                else {
                    return;
                };
                if self.is_running() {
                    self.hint =
                        Some("a turn is running: press esc to interrupt it first".to_owned());
                    return;
                }
                let num_turns = u32::try_from(self.turn.turns.len() - turn_idx).unwrap_or(u32::MAX);
                self.turn.pending_rewind = Some(text);
                self.send(Outgoing::Op(Op::Rollback { num_turns }));
            }
            _ => {}
        }
    }

    /// Reverse search keys; `false` ends the search and lets the key act.
    pub(super) fn search_key(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let entries = self.input.history.entries();
        let Some(search) = self.input.search.as_mut() else {
            return false;
        };
        match key.code {
            _ if self.input.keymap.action(key) == Some(Action::Search) => search.older(entries),
            KeyCode::Char(ch) if !ctrl => {
                let query = format!("{}{ch}", search.query);
                search.set_query(query, entries);
            }
            KeyCode::Backspace => {
                let mut query = search.query.clone();
                query.pop();
                search.set_query(query, entries);
            }
            KeyCode::Esc => {
                let draft = std::mem::take(&mut search.draft);
                self.input.search = None;
                self.input.composer.set_text(&draft);
                return true;
            }
            KeyCode::Enter => {
                self.input.search = None;
                return true;
            }
            // Any other key keeps the match and acts on it, as in shells.
            _ => {
                self.input.search = None;
                return false;
            }
        }
        let shown = search.shown(entries).to_owned();
        self.input.composer.set_text(&shown);
        true
    }

    pub(super) fn file_popup_key(&mut self, key: KeyEvent) -> bool {
        let files = &mut self.input.files;
        match key.code {
            KeyCode::Up => files.selected = files.selected.saturating_sub(1),
            KeyCode::Down => {
                files.selected = (files.selected + 1).min(files.matches.len().saturating_sub(1));
            }
            KeyCode::Tab | KeyCode::Enter if key.modifiers.is_empty() => {
                let Some(path) = files.matches.get(files.selected).cloned() else {
                    return key.code == KeyCode::Tab;
                };
                if let Some((range, _)) =
                    mention_at(self.input.composer.text(), self.input.composer.cursor())
                {
                    let quoted = if path.contains(' ') {
                        format!("\"{path}\" ")
                    } else {
                        format!("{path} ")
                    };
                    self.input.composer.replace_range(range, &quoted);
                }
                self.input.files.query = None;
            }
            KeyCode::Esc => {
                files.dismissed =
                    mention_at(self.input.composer.text(), self.input.composer.cursor())
                        .map(|(r, _)| r.start);
                files.query = None;
            }
            _ => return false,
        }
        true
    }

    fn open_editor(&mut self) {
        if self.is_running() {
            self.hint = Some(
                "the editor opens when the turn is over (or press esc to interrupt it)".to_owned(),
            );
            return;
        }
        self.input.editor_open = true;
        let text = self.input.composer.text().to_owned();
        self.send(Outgoing::Editor { text });
    }

    fn session_cwd(&self) -> PathBuf {
        self.turn
            .session
            .as_ref()
            .map_or_else(|| PathBuf::from("."), |session| session.cwd.clone())
    }
}
