//! Slash commands: the table of commands, fuzzy filtering for the popup
//! that opens when the composer starts with `/`, and the popup's rendering.
//!
//! A command is data ([`SlashCommand`]); what it does is `app.rs`'s
//! business. Adding one is a row in [`COMMANDS`] and an arm there.

use crate::theme::Theme;
use crate::wrap::truncate_line;
use ratatui::text::{Line, Span};

/// Rows of the popup; more matches scroll.
pub const POPUP_ROWS: usize = 8;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SlashCommand {
    Model,
    Permissions,
    Keymap,
    Rename,
    New,
    Resume,
    Fork,
    Init,
    Compact,
    Diff,
    Mention,
    Status,
    Mcp,
    Help,
    Vim,
    Quit,
}

/// Every command in popup order, with its description. `/exit` is an alias
/// of `/quit` that matches only when typed.
pub const COMMANDS: &[(&str, SlashCommand, &str)] = &[
    (
        "model",
        SlashCommand::Model,
        "choose the model and reasoning effort",
    ),
    (
        "permissions",
        SlashCommand::Permissions,
        "choose what duet may do without asking",
    ),
    ("keymap", SlashCommand::Keymap, "show the key bindings"),
    ("rename", SlashCommand::Rename, "name this session"),
    (
        "new",
        SlashCommand::New,
        "start a new session in this window",
    ),
    ("resume", SlashCommand::Resume, "continue a saved session"),
    (
        "fork",
        SlashCommand::Fork,
        "copy this session and continue in the copy",
    ),
    (
        "init",
        SlashCommand::Init,
        "ask duet to write an AGENTS.md for this repository",
    ),
    (
        "compact",
        SlashCommand::Compact,
        "summarise the conversation to free context",
    ),
    (
        "diff",
        SlashCommand::Diff,
        "show `git diff`, untracked files included",
    ),
    ("mention", SlashCommand::Mention, "mention a file"),
    (
        "status",
        SlashCommand::Status,
        "show the model, permissions, tokens and session id",
    ),
    (
        "mcp",
        SlashCommand::Mcp,
        "show the MCP servers and their tools (`/mcp verbose`: each tool)",
    ),
    ("help", SlashCommand::Help, "list the keys and commands"),
    (
        "vim",
        SlashCommand::Vim,
        "turn vim mode for the composer on or off",
    ),
    ("quit", SlashCommand::Quit, "leave duet"),
];

const ALIASES: &[(&str, SlashCommand)] = &[("exit", SlashCommand::Quit)];

/// The command an exact name (without `/`) refers to.
pub fn lookup(name: &str) -> Option<SlashCommand> {
    COMMANDS
        .iter()
        .map(|(n, c, _)| (*n, *c))
        .chain(ALIASES.iter().copied())
        .find(|(n, _)| *n == name)
        .map(|(_, c)| c)
}

/// Commands matching `query` (the text after `/`), best first: prefix
/// matches in table order, then other subsequence matches by how tightly
/// the letters sit together.
pub fn filter(query: &str) -> Vec<(&'static str, SlashCommand, &'static str)> {
    let query = query.to_lowercase();
    let mut scored: Vec<(usize, usize, (&str, SlashCommand, &str))> = COMMANDS
        .iter()
        .enumerate()
        .filter_map(|(order, row)| fuzzy_score(row.0, &query).map(|score| (score, order, *row)))
        .collect();
    if let Some((name, command)) = ALIASES.iter().find(|(name, _)| *name == query) {
        let description = COMMANDS
            .iter()
            .find(|row| row.1 == *command)
            .map_or("", |row| row.2);
        scored.push((0, 0, (name, *command, description)));
    }
    scored.sort_by_key(|(score, order, _)| (*score, *order));
    scored.into_iter().map(|(_, _, row)| row).collect()
}

/// `None` when `query` is not a subsequence of `name`; else lower is
/// better: 0 for a prefix, otherwise the span the matched letters cover.
fn fuzzy_score(name: &str, query: &str) -> Option<usize> {
    if name.starts_with(query) {
        return Some(0);
    }
    let mut first = None;
    let mut last = 0;
    let mut chars = name.char_indices();
    for wanted in query.chars() {
        let (idx, _) = chars.by_ref().find(|(_, ch)| *ch == wanted)?;
        first.get_or_insert(idx);
        last = idx;
    }
    Some(1 + last - first.unwrap_or(0))
}

/// The popup's state: the query's matches and the highlighted row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Popup {
    pub matches: Vec<(&'static str, SlashCommand, &'static str)>,
    pub selected: usize,
}

impl Popup {
    /// The popup for composer text, if it is a command being typed: `/` then
    /// letters, no space or newline yet.
    pub fn for_text(text: &str, selected: usize) -> Option<Popup> {
        let query = text.strip_prefix('/')?;
        if query.contains(char::is_whitespace) {
            return None;
        }
        let matches = filter(query);
        let selected = selected.min(matches.len().saturating_sub(1));
        Some(Popup { matches, selected })
    }

    pub fn chosen(&self) -> Option<SlashCommand> {
        self.matches.get(self.selected).map(|row| row.1)
    }

    pub fn chosen_name(&self) -> Option<&'static str> {
        self.matches.get(self.selected).map(|row| row.0)
    }

    pub fn lines(&self, width: usize, theme: Theme) -> Vec<Line<'static>> {
        if self.matches.is_empty() {
            return vec![Line::from(Span::styled(
                "  no matching command",
                theme.dim(),
            ))];
        }
        let first = (self.selected + 1).saturating_sub(POPUP_ROWS);
        self.matches
            .iter()
            .enumerate()
            .skip(first)
            .take(POPUP_ROWS)
            .map(|(idx, (name, _, description))| {
                let selected = idx == self.selected;
                let name_style = if selected {
                    theme.selected()
                } else {
                    theme.plain()
                };
                let line = Line::from(vec![
                    Span::styled(if selected { "› " } else { "  " }, theme.selected()),
                    Span::styled(format!("/{name:<12}"), name_style),
                    Span::styled(format!(" {description}"), theme.dim()),
                ]);
                truncate_line(line, width)
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn names(query: &str) -> Vec<&'static str> {
        filter(query).into_iter().map(|row| row.0).collect()
    }

    #[test]
    fn prefixes_first_then_fuzzy_matches() {
        assert_eq!(
            [
                names(""),
                names("st"),
                names("q"),
                names("nw"),
                names("zz"),
                names("exit")
            ],
            [
                vec![
                    "model",
                    "permissions",
                    "keymap",
                    "rename",
                    "new",
                    "resume",
                    "fork",
                    "init",
                    "compact",
                    "diff",
                    "mention",
                    "status",
                    "mcp",
                    "help",
                    "vim",
                    "quit"
                ],
                vec!["status"],
                vec!["quit"],
                vec!["new"],
                vec![],
                vec!["exit"],
            ]
        );
    }

    #[test]
    fn the_popup_is_for_a_command_being_typed() {
        assert_eq!(
            (
                Popup::for_text("/di", 3).map(|p| (p.chosen(), p.selected)),
                Popup::for_text("/diff now", 0),
                Popup::for_text("hello", 0),
                lookup("exit"),
            ),
            (
                Some((Some(SlashCommand::Diff), 0)),
                None,
                None,
                Some(SlashCommand::Quit)
            )
        );
    }
}
