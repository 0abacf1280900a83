//! Command cells: one command (`Ran …`, its output's head and tail, exit
//! status and duration) or a group of consecutive read-only commands
//! (`Explored`, one line per read, listing or search).
//!
//! Which commands are read-only is a display decision only, made from the
//! command text; it has nothing to do with the approval or sandbox decision
//! core made.

use crate::theme::Theme;
use crate::wrap::{truncate_line, wrap_text};
use duet_protocol::CommandStatus;
use ratatui::text::{Line, Span};
use std::time::Duration;

/// Output lines shown above and below the `… +N lines` marker.
const HEAD_LINES: usize = 3;
const TAIL_LINES: usize = 2;
/// Lines of live output shown while a command runs.
const LIVE_TAIL_LINES: usize = 5;

/// One command as the cell shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct CommandRun {
    pub item_id: String,
    /// What the model asked to run, without the `bash -lc` wrapper.
    pub command: String,
    pub output: String,
    pub exit_code: Option<i32>,
    pub status: CommandStatus,
    pub duration: Option<Duration>,
}

impl CommandRun {
    pub fn new(item_id: String, raw_command: &str) -> CommandRun {
        CommandRun {
            item_id,
            command: strip_shell_wrapper(raw_command),
            output: String::new(),
            exit_code: None,
            status: CommandStatus::InProgress,
            duration: None,
        }
    }

    pub fn is_running(&self) -> bool {
        self.status == CommandStatus::InProgress
    }
}

/// What a read-only command does, for the `Explored` group.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Exploration {
    Read(String),
    List(String),
    Search(String),
}

/// The exploration a command is, if every part of it only reads.
pub fn exploration(command: &str) -> Option<Exploration> {
    if command.contains(['>', '`', '$']) {
        return None;
    }
    let parts: Vec<&str> = command
        .split(['|', ';', '&'])
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .collect();
    let mut first = None;
    for part in parts {
        let words: Vec<&str> = part.split_whitespace().collect();
        let (program, args) = words.split_first()?;
        let operands: Vec<&str> = args
            .iter()
            .copied()
            .filter(|arg| !arg.starts_with('-'))
            .collect();
        let this = match *program {
            "cat" | "head" | "tail" | "nl" | "wc" | "less" => Exploration::Read(operands.join(" ")),
            "sed" if args.first() == Some(&"-n") => {
                Exploration::Read(operands.get(1..).unwrap_or_default().join(" "))
            }
            "ls" | "tree" | "find" | "fd" | "pwd" if operands.is_empty() => {
                Exploration::List(".".to_owned())
            }
            "ls" | "tree" | "find" | "fd" | "pwd" => Exploration::List(operands.join(" ")),
            "rg" | "grep" | "ag" => Exploration::Search(operands.join(" ")),
            "git" if matches!(args.first(), Some(&("status" | "log" | "show" | "diff"))) => {
                Exploration::Read(part.to_owned())
            }
            "echo" | "true" | "sort" | "uniq" | "cut" | "tr" => continue,
            _ => return None,
        };
        first.get_or_insert(this);
    }
    first
}

/// `/bin/bash -lc 'cargo test'` → `cargo test`; other commands unchanged.
pub fn strip_shell_wrapper(command: &str) -> String {
    for shell in ["/bin/bash", "bash", "/bin/sh", "sh", "/bin/zsh", "zsh"] {
        for flag in [" -lc ", " -c "] {
            if let Some(script) = command
                .strip_prefix(shell)
                .and_then(|rest| rest.strip_prefix(flag))
            {
                return unquote(script);
            }
        }
    }
    command.to_owned()
}

/// Undo one level of shell single- or double-quoting of a whole word.
fn unquote(word: &str) -> String {
    if let Some(inner) = word.strip_prefix('\'').and_then(|w| w.strip_suffix('\'')) {
        return inner.replace("'\\''", "'");
    }
    if let Some(inner) = word.strip_prefix('"').and_then(|w| w.strip_suffix('"')) {
        return inner.replace("\\\"", "\"");
    }
    word.to_owned()
}

/// The lines of a single command cell.
pub fn command_lines(run: &CommandRun, width: usize, theme: Theme) -> Vec<Line<'static>> {
    let (bullet, verb) = match run.status {
        CommandStatus::InProgress => (Span::styled("◦ ", theme.dim()), "Running "),
        CommandStatus::Completed => (Span::styled("• ", theme.success()), "Ran "),
        CommandStatus::Failed => (Span::styled("• ", theme.failure()), "Ran "),
        CommandStatus::Declined => (Span::styled("✗ ", theme.failure()), "Declined "),
    };
    let head = [bullet, Span::styled(verb, theme.bold())];
    let mut lines = wrap_text(
        &run.command,
        theme.plain(),
        width,
        &head,
        &[Span::raw("    ")],
    );
    let output: Vec<&str> = run.output.lines().collect();
    let shown: Vec<String> = if run.is_running() {
        let skip = output.len().saturating_sub(LIVE_TAIL_LINES);
        output[skip..].iter().map(|s| (*s).to_owned()).collect()
    } else if output.len() > HEAD_LINES + TAIL_LINES + 1 {
        let mut shown: Vec<String> = output[..HEAD_LINES]
            .iter()
            .map(|s| (*s).to_owned())
            .collect();
        let hidden = output.len() - HEAD_LINES - TAIL_LINES;
        shown.push(format!("… +{hidden} lines"));
        shown.extend(
            output[output.len() - TAIL_LINES..]
                .iter()
                .map(|s| (*s).to_owned()),
        );
        shown
    } else {
        output.iter().map(|s| (*s).to_owned()).collect()
    };
    for (idx, text) in shown.iter().enumerate() {
        let gutter = if idx == 0 { "  └ " } else { "    " };
        let line = Line::from(vec![
            Span::styled(gutter, theme.dim()),
            Span::styled(text.replace('\t', "    "), theme.dim()),
        ]);
        lines.push(truncate_line(line, width));
    }
    if let Some(status) = status_line(run, theme) {
        lines.push(status);
    }
    lines
}

/// `  ✓ 1.2s` or `  ✗ exit 2 · 0.3s`; nothing while running.
fn status_line(run: &CommandRun, theme: Theme) -> Option<Line<'static>> {
    let duration = run.duration.map(format_duration);
    let (mark, style, mut text) = match run.status {
        CommandStatus::InProgress | CommandStatus::Declined => return None,
        CommandStatus::Completed => ("✓ ", theme.success(), String::new()),
        CommandStatus::Failed => (
            "✗ ",
            theme.failure(),
            match run.exit_code {
                Some(code) => format!("exit {code}"),
                None => "failed".to_owned(),
            },
        ),
    };
    if let Some(duration) = duration {
        if !text.is_empty() {
            text.push_str(" · ");
        }
        text.push_str(&duration);
    }
    Some(Line::from(vec![
        Span::raw("  "),
        Span::styled(mark, style),
        Span::styled(text, theme.dim()),
    ]))
}

/// The lines of an `Explored` group of read-only commands.
pub fn exploration_lines(runs: &[CommandRun], width: usize, theme: Theme) -> Vec<Line<'static>> {
    let running = runs.iter().any(CommandRun::is_running);
    let mut lines = vec![Line::from(vec![
        Span::styled(if running { "◦ " } else { "• " }, theme.dim()),
        Span::styled(if running { "Exploring" } else { "Explored" }, theme.bold()),
    ])];
    for (idx, run) in runs.iter().enumerate() {
        let gutter = if idx == 0 { "  └ " } else { "    " };
        let (verb, target) = match exploration(&run.command) {
            Some(Exploration::Read(target)) => ("Read ", target),
            Some(Exploration::List(target)) => ("List ", target),
            Some(Exploration::Search(target)) => ("Search ", target),
            None => ("Ran ", run.command.clone()),
        };
        let mut spans = vec![
            Span::styled(gutter, theme.dim()),
            Span::styled(verb, theme.accent()),
            Span::raw(target),
        ];
        if run.status == CommandStatus::Failed {
            spans.push(Span::styled(
                format!(" ✗ exit {}", run.exit_code.unwrap_or(-1)),
                theme.failure(),
            ));
        }
        lines.push(truncate_line(Line::from(spans), width));
    }
    lines
}

pub use duet_protocol::display::format_duration;

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn shell_wrappers_are_removed() {
        let got: Vec<String> = [
            "/bin/bash -lc 'cargo test'",
            "bash -c \"echo \\\"hi\\\"\"",
            "/bin/bash -lc 'echo '\\''x'\\'''",
            "ls -la",
        ]
        .into_iter()
        .map(strip_shell_wrapper)
        .collect();
        assert_eq!(got, ["cargo test", "echo \"hi\"", "echo 'x'", "ls -la"]);
    }

    #[test]
    fn read_only_commands_are_explorations() {
        let got: Vec<Option<Exploration>> = [
            "cat src/main.rs",
            "sed -n 1,80p src/lib.rs",
            "rg -n TODO src",
            "ls -la crates | sort",
            "ls -la",
            "cargo test",
            "cat a > b",
            "git status",
        ]
        .into_iter()
        .map(exploration)
        .collect();
        assert_eq!(
            got,
            [
                Some(Exploration::Read("src/main.rs".into())),
                Some(Exploration::Read("src/lib.rs".into())),
                Some(Exploration::Search("TODO src".into())),
                Some(Exploration::List("crates".into())),
                Some(Exploration::List(".".into())),
                None,
                None,
                Some(Exploration::Read("git status".into())),
            ]
        );
    }

    #[test]
    fn durations_are_short() {
        let got: Vec<String> = [850, 4_200, 185_000]
            .into_iter()
            .map(|ms| format_duration(Duration::from_millis(ms)))
            .collect();
        assert_eq!(got, ["850ms", "4.2s", "3m 05s"]);
    }
}
