//! `[tui.keymap]`: the composer's bindable actions, their default keys, and
//! reading a user's bindings from `config.toml` (each action takes a key
//! like `"ctrl-r"`, a list of keys, or `[]` to unbind it).
//!
//! This module only maps keys to [`Action`]s; what an action does is
//! `app/extras.rs`'s business. Editing keys (arrows, Ctrl+A/E/W…), the
//! approval modal's mnemonics and the popups' own keys are not bindable.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use std::collections::HashMap;

/// What a bound key does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// Send the draft (or queue it while a turn runs).
    Send,
    /// Insert a new line.
    Newline,
    /// The previous (older) prompt; moves up a line inside a multi-line draft.
    HistoryPrev,
    /// The next (newer) prompt; moves down a line inside a multi-line draft.
    HistoryNext,
    /// Reverse search over earlier prompts.
    Search,
    /// Interrupt the running turn.
    Interrupt,
    /// Quit, on an empty composer.
    Quit,
    /// Edit the draft in `$VISUAL` / `$EDITOR`.
    Editor,
    /// Open the file search popup (inserts `@`).
    FileSearch,
    /// Attach the image in the system clipboard.
    PasteImage,
}

/// Every action with its config name, default keys and description, in
/// the order `/keymap` and docs/tui.md list them.
pub const ACTIONS: &[(Action, &str, &[&str], &str)] = &[
    (
        Action::Send,
        "send",
        &["enter"],
        "send the draft; queue it while a turn runs",
    ),
    (
        Action::Newline,
        "newline",
        &["shift-enter", "alt-enter", "ctrl-j"],
        "insert a new line",
    ),
    (
        Action::HistoryPrev,
        "history_prev",
        &["up", "ctrl-p"],
        "earlier prompt",
    ),
    (
        Action::HistoryNext,
        "history_next",
        &["down", "ctrl-n"],
        "later prompt",
    ),
    (
        Action::Search,
        "search",
        &["ctrl-r"],
        "search earlier prompts",
    ),
    (
        Action::Interrupt,
        "interrupt",
        &["esc"],
        "interrupt the running turn",
    ),
    (
        Action::Quit,
        "quit",
        &["ctrl-d"],
        "quit, on an empty composer",
    ),
    (
        Action::Editor,
        "editor",
        &["ctrl-g"],
        "edit the draft in $VISUAL or $EDITOR",
    ),
    (
        Action::FileSearch,
        "file_search",
        &[],
        "search files to mention (typing @ does too)",
    ),
    (
        Action::PasteImage,
        "paste_image",
        &["ctrl-v"],
        "attach the image in the clipboard",
    ),
];

/// A key with its modifiers, as bindings compare them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub modifiers: KeyModifiers,
}

impl Key {
    /// The key an event is, with Shift folded into upper-case letters.
    pub fn from_event(event: KeyEvent) -> Key {
        let mut modifiers =
            event.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT | KeyModifiers::SHIFT);
        let code = match event.code {
            KeyCode::Char(ch) if modifiers.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(ch.to_ascii_lowercase())
            }
            other => other,
        };
        if matches!(code, KeyCode::Char(_)) {
            modifiers.remove(KeyModifiers::SHIFT);
        }
        Key { code, modifiers }
    }
}

/// A parsed key with the text the user wrote for it (for messages).
type KeyText = (Key, String);

/// The key → action table in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Keymap {
    bindings: HashMap<Key, Action>,
}

impl Default for Keymap {
    fn default() -> Keymap {
        let mut bindings = HashMap::new();
        for (action, _, keys, _) in ACTIONS {
            for key in *keys {
                let key = parse_key(key).expect("the default bindings parse");
                bindings.insert(key, *action);
            }
        }
        Keymap { bindings }
    }
}

/// A `[tui.keymap]` entry that cannot be used; the message names it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeymapError {
    #[error(
        "unknown action `tui.keymap.{name}`: the actions are {}",
        action_names()
    )]
    UnknownAction { name: String },
    #[error(
        "`tui.keymap.{action}` has an unknown key `{key}`: write keys like `ctrl-r`, `alt-enter`, `shift-enter`, `esc`, `f2` or a single character"
    )]
    BadKey { action: String, key: String },
    #[error(
        "`tui.keymap.{action}` must be a key (`\"ctrl-r\"`), a list of keys, or `[]` to unbind it"
    )]
    BadValue { action: String },
    #[error("`{key}` is bound to both `tui.keymap.{first}` and `tui.keymap.{second}`: keep one")]
    Conflict {
        key: String,
        first: String,
        second: String,
    },
}

impl Keymap {
    /// The defaults with `table` (the `[tui.keymap]` table) applied: each
    /// action named there loses its default keys and takes the given ones.
    /// Codex's layout (sub-tables per context) is read too; see
    /// [`Keymap::from_table_with_warnings`].
    pub fn from_table(table: &toml::Table) -> Result<Keymap, KeymapError> {
        Keymap::from_table_with_warnings(table).map(|(keymap, _)| keymap)
    }

    /// [`Keymap::from_table`], with what it did not use.
    ///
    /// duet's own entries are flat (`send = "ctrl-s"`) and a bad one is an
    /// error. A sub-table is Codex's layout (`[tui.keymap.composer]
    /// submit = "ctrl-s"`, `preset = "latest"`), so that a Codex
    /// `config.toml` works unchanged: the entries with a duet action
    /// ([`CODEX_ACTIONS`]) apply, a context beating `global` and both
    /// beating `editor` for a key they share; duet's flat entries beat them
    /// all, and a key they give that another action keeps stays with it.
    /// Everything else (contexts whose keys are fixed in duet, such as
    /// `pager` and `approval`, Codex-only actions, keys duet cannot read)
    /// is ignored and named in one warning.
    pub fn from_table_with_warnings(
        table: &toml::Table,
    ) -> Result<(Keymap, Vec<String>), KeymapError> {
        let mut keymap = Keymap::default();
        let mut warnings = Vec::new();
        let mut chosen: Vec<(Action, &str, Vec<KeyText>)> = Vec::new();
        let mut contexts = Vec::new();
        for (name, value) in table {
            if let toml::Value::Table(entries) = value {
                contexts.push((name.as_str(), entries));
                continue;
            }
            if name == "preset" {
                if !matches!(value.as_str(), Some("latest" | "v1")) {
                    warnings.push(format!(
                        "`tui.keymap.preset` = {value} is not a preset duet knows (`latest`, `v1`); \
                         using the defaults"
                    ));
                }
                continue;
            }
            let (action, _, _, _) = ACTIONS
                .iter()
                .find(|(_, n, _, _)| n == name)
                .ok_or_else(|| KeymapError::UnknownAction { name: name.clone() })?;
            let texts = key_texts(value).ok_or_else(|| KeymapError::BadValue {
                action: name.clone(),
            })?;
            let keys = texts
                .into_iter()
                .map(|text| {
                    parse_key(text)
                        .map(|key| (key, text.to_owned()))
                        .ok_or_else(|| KeymapError::BadKey {
                            action: name.clone(),
                            key: text.to_owned(),
                        })
                })
                .collect::<Result<Vec<_>, _>>()?;
            keymap.bindings.retain(|_, bound| *bound != *action);
            chosen.push((*action, name.as_str(), keys));
        }
        let mut owner: HashMap<Key, &str> = HashMap::new();
        for (action, name, keys) in &chosen {
            for (key, text) in keys {
                if let Some(first) = owner.insert(*key, name) {
                    return Err(KeymapError::Conflict {
                        key: text.clone(),
                        first: first.to_owned(),
                        second: (*name).to_owned(),
                    });
                }
                keymap.bindings.insert(*key, *action);
            }
        }
        let flat: Vec<Action> = chosen.iter().map(|(action, _, _)| *action).collect();
        let ignored = keymap.apply_codex_contexts(&contexts, &flat);
        if !ignored.is_empty() {
            warnings.push(format!(
                "`[tui.keymap]` entries in Codex's layout that duet has no use for were ignored: {}",
                ignored.join(", ")
            ));
        }
        Ok((keymap, warnings))
    }

    /// Apply Codex's `[tui.keymap.<context>]` tables (see
    /// [`Keymap::from_table_with_warnings`]); `flat` are the actions duet's
    /// own entries set. Returns what was ignored, as `context.action`.
    fn apply_codex_contexts(
        &mut self,
        contexts: &[(&str, &toml::Table)],
        flat: &[Action],
    ) -> Vec<String> {
        let mut ignored = Vec::new();
        // For each action: the best-ranked context's keys.
        let mut wanted: Vec<(Action, u8, Vec<Key>)> = Vec::new();
        for (context, entries) in contexts {
            let rank = context_rank(context);
            for (name, value) in *entries {
                let Some((_, _, action)) = CODEX_ACTIONS
                    .iter()
                    .find(|(within, codex, _)| within.contains(context) && codex == name)
                else {
                    ignored.push(format!("{context}.{name}"));
                    continue;
                };
                if flat.contains(action) {
                    continue;
                }
                let Some(texts) = key_texts(value) else {
                    ignored.push(format!("{context}.{name}"));
                    continue;
                };
                let mut keys = Vec::new();
                for text in texts {
                    match parse_key(text) {
                        Some(key) => keys.push(key),
                        None => ignored.push(format!("{context}.{name} (`{text}`)")),
                    }
                }
                match wanted.iter_mut().find(|(other, _, _)| other == action) {
                    Some(entry) if entry.1 >= rank => {}
                    Some(entry) => *entry = (*action, rank, keys),
                    None => wanted.push((*action, rank, keys)),
                }
            }
        }
        for (action, _, _) in &wanted {
            self.bindings.retain(|_, bound| bound != action);
        }
        // Higher ranks choose their keys first; a key already bound stays.
        wanted.sort_by_key(|entry| std::cmp::Reverse(entry.1));
        for (action, _, keys) in wanted {
            for key in keys {
                self.bindings.entry(key).or_insert(action);
            }
        }
        ignored
    }

    /// The action `event` is bound to.
    pub fn action(&self, event: KeyEvent) -> Option<Action> {
        self.bindings.get(&Key::from_event(event)).copied()
    }

    /// The keys bound to `action`, as config strings, sorted.
    pub fn keys_of(&self, action: Action) -> Vec<String> {
        let mut keys: Vec<String> = self
            .bindings
            .iter()
            .filter(|(_, bound)| **bound == action)
            .map(|(key, _)| key_name(*key))
            .collect();
        keys.sort();
        keys
    }
}

/// The keymap `[tui.keymap]` of the layered `[tui]` table (`Config::tui`)
/// describes, in duet's layout or Codex's (`[tui.keymap.<context>]`), and
/// what was wrong with it.
pub fn from_tui(tui: &toml::Table) -> Result<(Keymap, Vec<String>), KeymapError> {
    let table = tui
        .get("keymap")
        .and_then(toml::Value::as_table)
        .cloned()
        .unwrap_or_default();
    Keymap::from_table_with_warnings(&table)
}

/// Codex `[tui.keymap.<context>]` actions that duet has: the contexts
/// Codex reads each from, its name there, and duet's action.
const CODEX_ACTIONS: &[(&[&str], &str, Action)] = &[
    (&["global", "chat", "composer"], "submit", Action::Send),
    (
        &["global", "chat", "composer"],
        "open_external_editor",
        Action::Editor,
    ),
    (&["global", "chat"], "interrupt_turn", Action::Interrupt),
    (
        &["global", "composer"],
        "history_search_previous",
        Action::Search,
    ),
    (&["editor"], "insert_newline", Action::Newline),
    (&["editor"], "move_up", Action::HistoryPrev),
    (&["editor"], "move_down", Action::HistoryNext),
];

/// Which Codex context wins a key two of them give (Codex: a context
/// beats `global`; the composer's keys beat its text editor's).
fn context_rank(context: &str) -> u8 {
    match context {
        "chat" | "composer" => 2,
        "global" => 1,
        _ => 0,
    }
}

/// The key texts of an entry: one string or a list of them.
fn key_texts(value: &toml::Value) -> Option<Vec<&str>> {
    match value {
        toml::Value::String(key) => Some(vec![key.as_str()]),
        toml::Value::Array(keys) => keys.iter().map(toml::Value::as_str).collect(),
        _ => None,
    }
}

fn action_names() -> String {
    ACTIONS
        .iter()
        .map(|(_, name, _, _)| format!("`{name}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `ctrl-r`, `alt-enter`, `shift-enter`, `esc`, `f2`, `x`.
pub fn parse_key(text: &str) -> Option<Key> {
    // Codex writes `page-up` and `page-down`.
    let lower = text
        .trim()
        .to_ascii_lowercase()
        .replace("page-up", "pageup")
        .replace("page-down", "pagedown");
    let mut parts: Vec<&str> = lower.split('-').collect();
    let last = parts.pop()?;
    let mut modifiers = KeyModifiers::NONE;
    for part in parts {
        modifiers |= match part {
            "ctrl" | "control" | "c" => KeyModifiers::CONTROL,
            "alt" | "meta" | "m" => KeyModifiers::ALT,
            "shift" | "s" => KeyModifiers::SHIFT,
            _ => return None,
        };
    }
    let code = match last {
        "enter" | "return" => KeyCode::Enter,
        "esc" | "escape" => KeyCode::Esc,
        "tab" => KeyCode::Tab,
        "backspace" => KeyCode::Backspace,
        "delete" | "del" => KeyCode::Delete,
        "up" => KeyCode::Up,
        "down" => KeyCode::Down,
        "left" => KeyCode::Left,
        "right" => KeyCode::Right,
        "home" => KeyCode::Home,
        "end" => KeyCode::End,
        "pageup" => KeyCode::PageUp,
        "pagedown" => KeyCode::PageDown,
        "space" => KeyCode::Char(' '),
        f if f.len() > 1 && f.starts_with('f') => KeyCode::F(f[1..].parse().ok()?),
        single => {
            let mut chars = single.chars();
            let ch = chars.next()?;
            if chars.next().is_some() {
                return None;
            }
            KeyCode::Char(ch)
        }
    };
    Some(Key::from_event(KeyEvent::new(code, modifiers)))
}

/// The config spelling of a key.
pub fn key_name(key: Key) -> String {
    let mut name = String::new();
    for (flag, text) in [
        (KeyModifiers::CONTROL, "ctrl-"),
        (KeyModifiers::ALT, "alt-"),
        (KeyModifiers::SHIFT, "shift-"),
    ] {
        if key.modifiers.contains(flag) {
            name.push_str(text);
        }
    }
    match key.code {
        KeyCode::Enter => name.push_str("enter"),
        KeyCode::Esc => name.push_str("esc"),
        KeyCode::Tab => name.push_str("tab"),
        KeyCode::Up => name.push_str("up"),
        KeyCode::Down => name.push_str("down"),
        KeyCode::Char(' ') => name.push_str("space"),
        KeyCode::Char(ch) => name.push(ch),
        KeyCode::F(n) => name.push_str(&format!("f{n}")),
        other => name.push_str(&format!("{other:?}").to_ascii_lowercase()),
    }
    name
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The keymap of a `config.toml` and `-c` overrides, as core layers them.
    fn from_config(
        file: Option<&str>,
        overrides: &[(String, toml::Value)],
    ) -> Result<(Keymap, Vec<String>), KeymapError> {
        from_tui(&crate::settings::test_config(file, overrides).tui)
    }
    use pretty_assertions::assert_eq;

    fn keymap(text: &str) -> Result<Keymap, KeymapError> {
        let table: toml::Table = toml::from_str(text).unwrap();
        Keymap::from_table(&table)
    }

    fn ev(code: KeyCode, modifiers: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, modifiers)
    }

    #[test]
    fn defaults_bind_every_documented_key() {
        let map = Keymap::default();
        let got: Vec<(&str, Vec<String>)> = ACTIONS
            .iter()
            .map(|(action, name, _, _)| (*name, map.keys_of(*action)))
            .collect();
        let expected: Vec<(&str, Vec<String>)> = ACTIONS
            .iter()
            .map(|(_, name, keys, _)| {
                let mut keys: Vec<String> = keys.iter().map(|k| (*k).to_owned()).collect();
                keys.sort();
                (*name, keys)
            })
            .collect();
        assert_eq!(got, expected);
        assert_eq!(
            map.action(ev(
                KeyCode::Char('R'),
                KeyModifiers::CONTROL | KeyModifiers::SHIFT
            )),
            Some(Action::Search)
        );
    }

    #[test]
    fn a_binding_replaces_the_defaults_of_its_action() {
        let map = keymap("send = \"ctrl-s\"\nnewline = [\"enter\"]\neditor = []\n").unwrap();
        assert_eq!(
            (
                map.action(ev(KeyCode::Char('s'), KeyModifiers::CONTROL)),
                map.action(ev(KeyCode::Enter, KeyModifiers::NONE)),
                map.action(ev(KeyCode::Char('g'), KeyModifiers::CONTROL)),
                map.action(ev(KeyCode::Char('j'), KeyModifiers::CONTROL)),
            ),
            (Some(Action::Send), Some(Action::Newline), None, None)
        );
    }

    #[test]
    fn bad_entries_name_the_key() {
        assert_eq!(
            keymap("sned = \"enter\"\n").unwrap_err().to_string(),
            "unknown action `tui.keymap.sned`: the actions are `send`, `newline`, `history_prev`, `history_next`, `search`, `interrupt`, `quit`, `editor`, `file_search`, `paste_image`"
        );
        assert_eq!(
            keymap("search = \"hyper-r\"\n").unwrap_err(),
            KeymapError::BadKey {
                action: "search".into(),
                key: "hyper-r".into()
            }
        );
        assert_eq!(
            keymap("quit = 3\n").unwrap_err(),
            KeymapError::BadValue {
                action: "quit".into()
            }
        );
        assert_eq!(
            keymap("quit = \"ctrl-x\"\neditor = \"ctrl-x\"\n").unwrap_err(),
            KeymapError::Conflict {
                key: "ctrl-x".into(),
                first: "editor".into(),
                second: "quit".into()
            }
        );
    }

    #[test]
    fn the_file_and_overrides_make_the_keymap() {
        let file = "[tui.keymap]\nsend = \"ctrl-s\"\n";
        let overrides = [(
            "tui.keymap.search".to_owned(),
            toml::Value::String("alt-r".into()),
        )];
        let (map, warnings) = from_config(Some(file), &overrides).unwrap();
        assert_eq!(
            (
                map.keys_of(Action::Send),
                map.keys_of(Action::Search),
                warnings
            ),
            (vec!["ctrl-s".to_owned()], vec!["alt-r".to_owned()], vec![])
        );
        assert_eq!(from_config(None, &[]).unwrap(), (Keymap::default(), vec![]));
    }

    /// The keys of every action, by name, for whole-keymap comparisons.
    fn all_keys(map: &Keymap) -> Vec<(&'static str, Vec<String>)> {
        ACTIONS
            .iter()
            .map(|(action, name, _, _)| (*name, map.keys_of(*action)))
            .collect()
    }

    /// The defaults with `changes` (action name, keys) applied.
    fn defaults_with(changes: &[(&str, &[&str])]) -> Vec<(&'static str, Vec<String>)> {
        all_keys(&Keymap::default())
            .into_iter()
            .map(
                |(name, keys)| match changes.iter().find(|(n, _)| *n == name) {
                    Some((_, keys)) => (name, keys.iter().map(|k| (*k).to_owned()).collect()),
                    None => (name, keys),
                },
            )
            .collect()
    }

    #[test]
    fn codex_s_default_keymap_template_works_unchanged() {
        // The sections of Codex's docs/default-keymap.toml, as users copy them.
        let file = r#"
[tui.keymap]
preset = "latest"

[tui.keymap.global]
open_transcript = "ctrl-t"
open_external_editor = "ctrl-g"
submit = "enter"
queue = "tab"

[tui.keymap.composer]
submit = "enter"
toggle_shortcuts = ["?", "shift-?"]

[tui.keymap.editor]
insert_newline = ["ctrl-j", "ctrl-m", "enter", "shift-enter"]
move_up = ["up", "ctrl-p"]
move_down = ["down", "ctrl-n"]
move_left = ["left", "ctrl-b"]

[tui.keymap.pager]
page_up = ["page-up", "shift-space", "ctrl-b"]

[tui.keymap.approval]
approve = ["y"]
"#;
        let (map, warnings) = from_config(Some(file), &[]).unwrap();
        // Enter stays `send` (the composer beats the editor for it).
        assert_eq!(
            all_keys(&map),
            defaults_with(&[("newline", &["ctrl-j", "ctrl-m", "shift-enter"])])
        );
        assert_eq!(
            warnings,
            vec![
                "`[tui.keymap]` entries in Codex's layout that duet has no use for were ignored: \
                 approval.approve, composer.toggle_shortcuts, editor.move_left, \
                 global.open_transcript, global.queue, pager.page_up"
                    .to_owned()
            ]
        );
    }

    #[test]
    fn codex_contexts_rank_and_duet_s_own_entries_win() {
        let file = r#"
[tui.keymap]
search = "alt-r"
[tui.keymap.global]
submit = "ctrl-s"
open_external_editor = "ctrl-e"
history_search_previous = "ctrl-f"
[tui.keymap.composer]
submit = ["ctrl-x", "f5"]
[tui.keymap.chat]
interrupt_turn = ["esc", "ctrl-c"]
[tui.keymap.editor]
insert_newline = ["ctrl-x", "hyper-x"]
"#;
        let (map, warnings) = from_config(Some(file), &[]).unwrap();
        assert_eq!(
            all_keys(&map),
            defaults_with(&[
                ("send", &["ctrl-x", "f5"]),
                // ctrl-x went to the composer's submit; `hyper-x` is not a key duet reads.
                ("newline", &[]),
                ("search", &["alt-r"]),
                ("interrupt", &["ctrl-c", "esc"]),
                ("editor", &["ctrl-e"]),
            ])
        );
        assert_eq!(
            warnings,
            vec![
                "`[tui.keymap]` entries in Codex's layout that duet has no use for were ignored: \
                 editor.insert_newline (`hyper-x`)"
                    .to_owned()
            ]
        );
        // `-c` reaches a context too, and an unknown preset is only a warning.
        let overrides = [
            (
                "tui.keymap.composer.submit".to_owned(),
                toml::Value::String("ctrl-o".into()),
            ),
            (
                "tui.keymap.preset".to_owned(),
                toml::Value::String("v9".into()),
            ),
        ];
        let (map, warnings) = from_config(None, &overrides).unwrap();
        assert_eq!(
            (map.keys_of(Action::Send), warnings),
            (
                vec!["ctrl-o".to_owned()],
                vec![
                    "`tui.keymap.preset` = \"v9\" is not a preset duet knows (`latest`, `v1`); \
                     using the defaults"
                        .to_owned()
                ]
            )
        );
    }

    #[test]
    fn codex_s_spelling_of_page_keys_is_read() {
        assert_eq!(
            (parse_key("page-up"), parse_key("shift-page-down")),
            (parse_key("pageup"), parse_key("shift-pagedown"))
        );
        assert!(parse_key("page-up").is_some());
    }

    #[test]
    fn keys_parse_and_print_the_same() {
        for text in [
            "ctrl-r",
            "alt-enter",
            "shift-enter",
            "esc",
            "f2",
            "x",
            "ctrl-alt-space",
        ] {
            assert_eq!(key_name(parse_key(text).unwrap()), text);
        }
        assert_eq!(parse_key("ctrl-"), None);
    }
}
