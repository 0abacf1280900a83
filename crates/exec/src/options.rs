//! What `duet exec` is asked to do, as plain values: the command line
//! (clap, in the `cli` crate) builds an [`ExecOptions`] with the
//! configuration already resolved; `run.rs` carries it out.

use duet_core::{Config, ResumeTarget};
use std::path::PathBuf;

/// One `duet exec` run.
#[derive(Debug, Clone)]
pub struct ExecOptions {
    /// The resolved configuration (flags, profile and `-c` applied).
    pub config: Config,
    /// What resolving it had to say, printed first as `warning: …`.
    pub warnings: Vec<String>,
    /// A new session, or which saved one to continue or branch.
    pub mode: ExecMode,
    /// The prompt argument; read from stdin when absent or `-`.
    pub prompt: Option<String>,
    /// `-i`: images attached to the prompt.
    pub images: Vec<PathBuf>,
    /// `--json`: events as JSON lines on stdout.
    pub json: bool,
    /// `-o FILE`: where to write the final agent message.
    pub output_last_message: Option<PathBuf>,
    /// `--output-schema FILE`: the JSON Schema the answer must follow.
    pub output_schema: Option<PathBuf>,
    /// `--skip-git-repo-check`.
    pub skip_git_repo_check: bool,
    pub color: ColorChoice,
}

/// Which session `duet exec` runs its turn in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecMode {
    /// A new session.
    New,
    /// `duet exec resume`: continue a saved session.
    Resume(ResumeTarget),
    /// `duet exec fork SESSION [--at TURN]`: branch a saved session (up to
    /// and including turn `at`) and continue the branch.
    Fork { session: String, at: Option<u32> },
}

/// `--color`: when to colour the human transcript.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum ColorChoice {
    Always,
    Never,
    #[default]
    Auto,
}

impl ColorChoice {
    /// Whether to emit ANSI codes on stderr. `auto` means: stderr is a
    /// terminal and `NO_COLOR` is unset (or empty, as no-color.org says).
    pub fn use_color(self, stderr_is_terminal: bool, no_color: Option<&str>) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => stderr_is_terminal && no_color.is_none_or(str::is_empty),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn color_auto_needs_a_terminal_and_no_no_color() {
        let table = [
            (ColorChoice::Auto, true, None, true),
            (ColorChoice::Auto, true, Some("1"), false),
            (ColorChoice::Auto, true, Some(""), true),
            (ColorChoice::Auto, false, None, false),
            (ColorChoice::Always, false, Some("1"), true),
            (ColorChoice::Never, true, None, false),
        ];
        let got: Vec<bool> = table
            .iter()
            .map(|(c, tty, nc, _)| c.use_color(*tty, *nc))
            .collect();
        let want: Vec<bool> = table.iter().map(|row| row.3).collect();
        assert_eq!(got, want);
    }
}
