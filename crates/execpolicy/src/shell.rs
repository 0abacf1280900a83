//! From a shell script to the simple commands it would run, with a real
//! bash grammar (tree-sitter-bash): through pipelines, `&&`, `||`, `;`,
//! subshells, command and process substitutions, control flow, heredocs and
//! nested `bash -c` / `sh -c` / `zsh -c`. `VAR=x` prefixes are set apart
//! from the words; redirections are kept with the directory they resolve
//! against (`cd` is followed where it can be).
//!
//! What cannot be analysed (`eval`, `source`, a computed command name, a
//! function defined inline, a shell reading its commands from stdin, a
//! script that does not parse) is reported as a [`Problem`], never dropped.
//! This module decides nothing: `evaluate.rs` does.
//!
//! The parser is created on first use per thread, so nothing here runs for
//! `duet --version` or a session that never asks.

mod expand;
mod walk;
mod word;

use std::cell::RefCell;
use std::path::PathBuf;

pub use word::{Word, WordValue};

/// Everything a script would run, as far as it can be told.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Script {
    pub commands: Vec<SimpleCommand>,
    pub problems: Vec<Problem>,
}

/// One simple command: `VAR=x prog arg… >redirect`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimpleCommand {
    /// The command's source text (a heredoc's body left out).
    pub text: String,
    /// Program and arguments, assignments stripped. Empty for a bare
    /// redirection (`> file`) or the redirections of a compound statement.
    pub words: Vec<Word>,
    /// `VAR=x` prefixes, as written.
    pub assignments: Vec<String>,
    pub redirects: Vec<Redirect>,
    /// A wrapper that only runs the command after it (`timeout 5 CMD`,
    /// `nice CMD`): judged by rules about it alone, since the wrapped
    /// command is judged on its own.
    pub transparent: bool,
}

/// A redirection and where its relative paths resolve.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Redirect {
    pub text: String,
    /// Opens its target for writing (`>`, `>>`, `&>`, `>|`, `<>`, `>&file`).
    pub writes: bool,
    /// The file (for `2>&1` and heredocs: `None`).
    pub target: Option<Word>,
    /// Directory relative paths resolve against, relative to the command's
    /// starting directory (`""` when no `cd` ran); `None` after a `cd` that
    /// cannot be followed.
    pub base: Option<PathBuf>,
}

/// A construct whose effect cannot be known by reading the script.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub text: String,
    pub reason: String,
    /// The command it concerns, if any: rules about it still apply.
    pub words: Vec<Word>,
}

/// Nested `bash -c` deeper than this is a problem, not a recursion.
const MAX_NESTING: usize = 8;

/// Longer scripts are not parsed: a problem, not a slow approval.
const MAX_SCRIPT_LEN: usize = 256 * 1024;

/// A syntax tree deeper than this is not walked (the walk recurses, and a
/// command can nest `$(` thousands deep in a few kilobytes): a problem.
const MAX_TREE_DEPTH: usize = 256;

/// Split `script` into the simple commands it would run.
pub fn parse_script(script: &str) -> Script {
    let mut out = Script::default();
    parse_into(script, 0, Some(PathBuf::new()), &mut out);
    out
}

/// The commands an argv would run: itself, or — for `bash -lc SCRIPT` and
/// the like — the script's commands.
pub fn parse_argv(argv: &[String]) -> Script {
    let mut out = Script::default();
    let words: Vec<Word> = argv.iter().map(|w| Word::literal(w)).collect();
    let command = SimpleCommand {
        text: crate::words::join(argv),
        words,
        assignments: Vec::new(),
        redirects: Vec::new(),
        transparent: false,
    };
    let mut base = Some(PathBuf::new());
    expand::expand_command(command, 0, &mut base, &mut out);
    out
}

fn parse_into(script: &str, depth: usize, base: Option<PathBuf>, out: &mut Script) {
    if depth > MAX_NESTING {
        out.problems.push(Problem {
            text: excerpt(script),
            reason: format!("shells nested more than {MAX_NESTING} deep"),
            words: Vec::new(),
        });
        return;
    }
    if script.len() > MAX_SCRIPT_LEN {
        out.problems.push(Problem {
            text: excerpt(script),
            reason: format!("the script is longer than {MAX_SCRIPT_LEN} bytes"),
            words: Vec::new(),
        });
        return;
    }
    let Some(tree) = with_parser(|parser| parser.parse(script, None)) else {
        out.problems.push(Problem {
            text: excerpt(script),
            reason: "the shell parser gave up".into(),
            words: Vec::new(),
        });
        return;
    };
    let root = tree.root_node();
    if root.has_error() {
        out.problems.push(Problem {
            text: excerpt(script),
            reason: "the script does not parse as shell".into(),
            words: Vec::new(),
        });
        return;
    }
    if tree_depth_exceeds(root, MAX_TREE_DEPTH) {
        out.problems.push(Problem {
            text: excerpt(script),
            reason: format!("the script nests more than {MAX_TREE_DEPTH} levels deep"),
            words: Vec::new(),
        });
        return;
    }
    walk::Walker {
        source: script.as_bytes(),
        depth,
        base,
        out,
    }
    .statement(root);
}

/// Whether any node lies more than `limit` levels below `root`, found
/// without recursion.
fn tree_depth_exceeds(root: tree_sitter::Node<'_>, limit: usize) -> bool {
    let mut cursor = root.walk();
    let mut depth = 0;
    loop {
        if cursor.goto_first_child() {
            depth += 1;
            if depth > limit {
                return true;
            }
            continue;
        }
        loop {
            if cursor.goto_next_sibling() {
                break;
            }
            if !cursor.goto_parent() {
                return false;
            }
            depth -= 1;
        }
    }
}

fn with_parser<T>(f: impl FnOnce(&mut tree_sitter::Parser) -> Option<T>) -> Option<T> {
    thread_local! {
        static PARSER: RefCell<Option<tree_sitter::Parser>> = const { RefCell::new(None) };
    }
    PARSER.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            let mut parser = tree_sitter::Parser::new();
            parser
                .set_language(&tree_sitter_bash::LANGUAGE.into())
                .ok()?;
            *slot = Some(parser);
        }
        f(slot.as_mut()?)
    })
}

/// The first line of `text`, shortened, for messages.
pub(crate) fn excerpt(text: &str) -> String {
    let line = text.trim().lines().next().unwrap_or("");
    let short: String = line.chars().take(80).collect();
    if short.len() < text.trim().len() {
        format!("{short}…")
    } else {
        short
    }
}
