//! The composer's extra modes and their keys: `[tui.keymap]` actions, vim
//! mode, Ctrl+R reverse search, the `@` file popup, `!cmd`, images pasted
//! by path, Ctrl+G (the external editor) and Esc Esc (rewind to an earlier
//! prompt). State lives in [`Extras`], one field of `App`; `keys.rs` calls
//! [`App::extras_key`] before the slash popup and [`App::action_key`]
//! after it. Rendering of these modes is `overlays.rs`.

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

#[derive(Debug, Default)]
pub(crate) struct Extras {
    pub keymap: Keymap,
    /// `Some` when vim mode is on.
    pub vim: Option<Vim>,
    pub search: Option<ReverseSearch>,
    pub files: FilePopup,
    /// The rewind list, open, with the index of the chosen prompt.
    pub rewind: Option<usize>,
    esc_armed: bool,
    pub attachments: Vec<Attachment>,
    /// Every turn this app started, oldest first: the prompt, or `None`
    /// for a `!cmd` (a turn too, for core's rollback count).
    pub turns: Vec<Option<String>>,
    /// The prompt to put back once core confirms a rollback.
    pending_rewind: Option<String>,
    /// The external editor has the terminal.
    pub editor_open: bool,
    repaint: bool,
}

/// The `@` popup: what was last asked, and what came back.
#[derive(Debug, Default)]
pub(crate) struct FilePopup {
    /// The query of the `@word` being typed; `None` when there is none.
    pub query: Option<String>,
    pub matches: Vec<String>,
    /// Whether the walk had finished when `matches` were found.
    pub complete: bool,
    pub selected: usize,
    /// The start of an `@word` whose popup Esc closed.
    dismissed: Option<usize>,
}

impl App {
    /// Apply `[tui.keymap]` and `tui.vim`.
    pub fn configure_composer(&mut self, keymap: Keymap, vim: bool) {
        self.extras.keymap = keymap;
        self.extras.vim = vim.then(Vim::default);
    }

    /// The draft in the composer.
    pub fn composer_text(&self) -> &str {
        self.composer.text()
    }

    /// Whether another program has the terminal (nothing must be drawn).
    pub fn is_suspended(&self) -> bool {
        self.extras.editor_open
    }

    /// Whether the whole screen must be painted again (after the editor).
    pub fn take_repaint(&mut self) -> bool {
        std::mem::take(&mut self.extras.repaint)
    }

    /// The prompts Esc Esc offers, oldest first, with their turn index.
    pub(crate) fn rewind_prompts(&self) -> Vec<(usize, &str)> {
        self.extras
            .turns
            .iter()
            .enumerate()
            .filter_map(|(idx, turn)| turn.as_deref().map(|text| (idx, text)))
            .collect()
    }

    /// Whether the `@` popup is showing.
    pub(crate) fn file_popup_open(&self) -> bool {
        self.extras.files.query.is_some()
    }

    /// Keys of the modes that take precedence over everything but an
    /// approval: the editor, the rewind list, reverse search, the file
    /// popup, vim, and Esc Esc. `true` when the key was used.
    pub(super) fn extras_key(&mut self, key: KeyEvent) -> bool {
        if self.extras.editor_open {
            return true;
        }
        if key.code != KeyCode::Esc {
            self.extras.esc_armed = false;
        }
        if self.extras.rewind.is_some() {
            self.rewind_key(key);
            return true;
        }
        if self.extras.search.is_some() && self.search_key(key) {
            return true;
        }
        if self.file_popup_open() && self.file_popup_key(key) {
            return true;
        }
        if let Some(vim) = self.extras.vim.as_mut() {
            match vim.on_key(key, &mut self.composer) {
                vim::Outcome::Taken => return true,
                vim::Outcome::HistoryPrev => {
                    self.history_older();
                    return true;
                }
                vim::Outcome::HistoryNext => {
                    if self.history_browsing() {
                        self.history_newer();
                    }
                    return true;
                }
                vim::Outcome::Passed => {}
            }
        }
        if key.code == KeyCode::Esc
            && key.modifiers.is_empty()
            && !self.is_running()
            && self.composer.is_empty()
        {
            self.esc_when_idle();
            return true;
        }
        false
    }

    /// Keys bound in `[tui.keymap]`, after the slash popup had its turn.
    pub(super) fn action_key(&mut self, key: KeyEvent) -> bool {
        let Some(action) = self.extras.keymap.action(key) else {
            return false;
        };
        match action {
            Action::Send => self.send_draft(),
            Action::Newline => self.composer.insert("\n"),
            Action::HistoryPrev if self.composer.on_first_line() => self.history_older(),
            Action::HistoryPrev => self.composer.up(),
            Action::HistoryNext if self.composer.on_last_line() && self.history_browsing() => {
                self.history_newer();
            }
            Action::HistoryNext => self.composer.down(),
            Action::Search => {
                let draft = self.composer.text().to_owned();
                self.extras.search = Some(ReverseSearch::new(draft));
            }
            Action::Interrupt if self.is_running() => {
                self.send(Outgoing::Op(Op::Interrupt));
                self.hint = Some("interrupting…".to_owned());
            }
            Action::Quit if self.composer.is_empty() => self.quit = true,
            Action::Interrupt | Action::Quit => return false,
            Action::Editor => self.open_editor(),
            Action::FileSearch => self.composer.insert("@"),
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
        if let Some(search) = self.extras.search.as_mut() {
            let query = format!("{}{}", search.query, text.replace('\n', " "));
            search.set_query(query, self.history.entries());
            let shown = search.shown(self.history.entries()).to_owned();
            self.composer.set_text(&shown);
            return;
        }
        let cwd = self.session_cwd();
        match attachments::image_path(text, &cwd) {
            Some(path) => {
                let placeholder = attachments::placeholder(&path, &self.extras.attachments);
                self.composer.insert(&placeholder);
                self.extras
                    .attachments
                    .push(Attachment { placeholder, path });
            }
            None => self.composer.insert(text),
        }
    }

    /// Once the session has started: the `-i` images go into the draft as
    /// attachments, and the first message (with them) is sent if there is
    /// one; otherwise they wait for the user's.
    pub(super) fn send_initial_message(&mut self) {
        let images = std::mem::take(&mut self.initial_images);
        let prompt = self.initial_prompt.take();
        if images.is_empty() && prompt.is_none() {
            return;
        }
        if let Some(prompt) = &prompt {
            self.composer.set_text(prompt);
        }
        for path in images {
            let placeholder = attachments::placeholder(&path, &self.extras.attachments);
            let separator = if self.composer.text().is_empty() {
                ""
            } else {
                " "
            };
            self.composer.insert(&format!("{separator}{placeholder}"));
            self.extras
                .attachments
                .push(Attachment { placeholder, path });
        }
        if prompt.is_some() {
            let text = self.composer.take();
            self.start_turn(text);
        }
    }

    /// The inputs of a turn sent with `text`: the text and its images.
    pub(super) fn turn_inputs(&mut self, text: &str) -> Vec<UserInput> {
        let cwd = self.session_cwd();
        let inputs = attachments::turn_inputs(text, &self.extras.attachments, &cwd);
        self.extras.attachments.clear();
        self.extras.turns.push(Some(text.to_owned()));
        inputs
    }

    /// After each terminal input: ask for the matches of the `@word` the
    /// cursor is in, once per change of its text.
    pub(super) fn sync_file_search(&mut self) {
        let mention = mention_at(self.composer.text(), self.composer.cursor())
            .filter(|_| self.extras.search.is_none())
            .map(|(range, query)| (range.start, query.to_owned()));
        let files = &mut self.extras.files;
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
        let files = &mut self.extras.files;
        if files.query.as_ref() == Some(&query) {
            files.matches = paths;
            files.complete = complete;
            files.selected = files.selected.min(files.matches.len().saturating_sub(1));
        }
    }

    pub(super) fn editor_done(&mut self, result: Result<String, String>) {
        self.extras.editor_open = false;
        self.extras.repaint = true;
        match result {
            Ok(text) => self.composer.set_text(text.trim_end_matches('\n')),
            Err(error) => self.notice(NoticeKind::Error, error),
        }
    }

    /// Core dropped the last `num_turns` turns: forget them here too and
    /// put the chosen prompt back in the composer.
    pub(super) fn rolled_back(&mut self, num_turns: u32) {
        let keep = self
            .extras
            .turns
            .len()
            .saturating_sub(usize::try_from(num_turns).unwrap_or(usize::MAX));
        self.extras.turns.truncate(keep);
        let prompt = self.extras.pending_rewind.take().unwrap_or_default();
        let first_line = prompt.lines().next().unwrap_or_default().to_owned();
        self.notice(
            NoticeKind::Info,
            format!("↶ rewound to before “{first_line}”: edit the prompt and press enter"),
        );
        self.composer.set_text(&prompt);
    }

    /// `/vim`: vim mode on or off.
    pub(crate) fn toggle_vim(&mut self) {
        let on = self.extras.vim.is_none();
        self.extras.vim = on.then(Vim::default);
        let state = if on {
            "on (esc for normal mode)"
        } else {
            "off"
        };
        self.notice(NoticeKind::Info, format!("vim mode {state}"));
    }

    /// Enter: `!cmd` runs the command; anything else goes as usual.
    fn send_draft(&mut self) {
        let text = self.composer.text().trim().to_owned();
        if let Some(command) = text.strip_prefix('!') {
            let command = command.trim().to_owned();
            if command.is_empty() {
                self.hint = Some("type a command after `!` to run it".to_owned());
                return;
            }
            self.composer.take();
            self.extras.turns.push(None);
            self.send(Outgoing::Op(Op::RunUserShellCommand { command }));
            return;
        }
        self.submit();
        if let Some(vim) = self.extras.vim.as_mut() {
            vim.mode = vim::Mode::Insert;
        }
    }

    fn esc_when_idle(&mut self) {
        if !std::mem::take(&mut self.extras.esc_armed) {
            self.extras.esc_armed = true;
            self.hint = Some("press esc again to edit a previous message".to_owned());
            return;
        }
        let prompts = self.rewind_prompts();
        match prompts.last() {
            Some(_) => self.extras.rewind = Some(prompts.len() - 1),
            None => self.hint = Some("no earlier message in this session to go back to".to_owned()),
        }
    }

    fn rewind_key(&mut self, key: KeyEvent) {
        let count = self.rewind_prompts().len();
        let Some(selected) = self.extras.rewind else {
            return;
        };
        match key.code {
            KeyCode::Up | KeyCode::Left | KeyCode::Char('k') => {
                self.extras.rewind = Some(selected.saturating_sub(1));
            }
            KeyCode::Down | KeyCode::Right | KeyCode::Char('j') => {
                self.extras.rewind = Some((selected + 1).min(count.saturating_sub(1)));
            }
            KeyCode::Esc => self.extras.rewind = None,
            KeyCode::Enter => {
                self.extras.rewind = None;
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
                let num_turns =
                    u32::try_from(self.extras.turns.len() - turn_idx).unwrap_or(u32::MAX);
                self.extras.pending_rewind = Some(text);
                self.send(Outgoing::Op(Op::Rollback { num_turns }));
            }
            _ => {}
        }
    }

    /// Reverse search keys; `false` ends the search and lets the key act.
    fn search_key(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let entries = self.history.entries();
        let Some(search) = self.extras.search.as_mut() else {
            return false;
        };
        match key.code {
            _ if self.extras.keymap.action(key) == Some(Action::Search) => search.older(entries),
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
                self.extras.search = None;
                self.composer.set_text(&draft);
                return true;
            }
            KeyCode::Enter => {
                self.extras.search = None;
                return true;
            }
            // Any other key keeps the match and acts on it, as in shells.
            _ => {
                self.extras.search = None;
                return false;
            }
        }
        let shown = search.shown(entries).to_owned();
        self.composer.set_text(&shown);
        true
    }

    fn file_popup_key(&mut self, key: KeyEvent) -> bool {
        let files = &mut self.extras.files;
        match key.code {
            KeyCode::Up => files.selected = files.selected.saturating_sub(1),
            KeyCode::Down => {
                files.selected = (files.selected + 1).min(files.matches.len().saturating_sub(1));
            }
            KeyCode::Tab | KeyCode::Enter if key.modifiers.is_empty() => {
                let Some(path) = files.matches.get(files.selected).cloned() else {
                    return key.code == KeyCode::Tab;
                };
                if let Some((range, _)) = mention_at(self.composer.text(), self.composer.cursor()) {
                    let quoted = if path.contains(' ') {
                        format!("\"{path}\" ")
                    } else {
                        format!("{path} ")
                    };
                    self.composer.replace_range(range, &quoted);
                }
                self.extras.files.query = None;
            }
            KeyCode::Esc => {
                files.dismissed =
                    mention_at(self.composer.text(), self.composer.cursor()).map(|(r, _)| r.start);
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
        self.extras.editor_open = true;
        let text = self.composer.text().to_owned();
        self.send(Outgoing::Editor { text });
    }

    fn session_cwd(&self) -> PathBuf {
        self.session
            .as_ref()
            .map_or_else(|| PathBuf::from("."), |session| session.cwd.clone())
    }
}
