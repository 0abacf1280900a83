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
    pub fn from_table(table: &toml::Table) -> Result<Keymap, KeymapError> {
        let mut keymap = Keymap::default();
        let mut chosen: Vec<(Action, &str, Vec<KeyText>)> = Vec::new();
        for (name, value) in table {
            let (action, _, _, _) = ACTIONS
                .iter()
                .find(|(_, n, _, _)| n == name)
                .ok_or_else(|| KeymapError::UnknownAction { name: name.clone() })?;
            let texts: Vec<&str> = match value {
                toml::Value::String(key) => vec![key.as_str()],
                toml::Value::Array(keys) => keys
                    .iter()
                    .map(|key| key.as_str())
                    .collect::<Option<Vec<_>>>()
                    .ok_or_else(|| KeymapError::BadValue {
                        action: name.clone(),
                    })?,
                _ => {
                    return Err(KeymapError::BadValue {
                        action: name.clone(),
                    });
                }
            };
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
        Ok(keymap)
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

/// The keymap `config.toml`'s `[tui.keymap]` and the `-c tui.keymap.NAME=…`
/// overrides (which win) describe.
pub fn from_config(
    file_text: Option<&str>,
    overrides: &[(String, toml::Value)],
) -> Result<Keymap, KeymapError> {
    let file: toml::Table = file_text
        .and_then(|text| toml::from_str(text).ok())
        .unwrap_or_default();
    let mut table = file
        .get("tui")
        .and_then(|tui| tui.get("keymap"))
        .and_then(toml::Value::as_table)
        .cloned()
        .unwrap_or_default();
    for (key, value) in overrides {
        if let Some(action) = key.strip_prefix("tui.keymap.") {
            table.insert(action.to_owned(), value.clone());
        }
    }
    Keymap::from_table(&table)
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
    let lower = text.trim().to_ascii_lowercase();
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
        let map = from_config(Some(file), &overrides).unwrap();
        assert_eq!(
            (map.keys_of(Action::Send), map.keys_of(Action::Search)),
            (vec!["ctrl-s".to_owned()], vec!["alt-r".to_owned()])
        );
        assert_eq!(from_config(None, &[]).unwrap(), Keymap::default());
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
