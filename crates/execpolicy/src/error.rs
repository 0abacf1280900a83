//! The crate's one error type. Every variant names the rules file, and all
//! but `Read` the line and column, so a user can go straight to the problem.

use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("cannot read rules file `{}`: {source}; check that it exists and is readable", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error(
        "`{}`:{line}:{column}: syntax error: {message}; fix the file or move it out of the rules folder",
        path.display()
    )]
    Syntax {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },

    /// The file parses but a rule in it is invalid, a builtin was misused,
    /// or a `match` / `not_match` example disagrees with its rule.
    #[error(
        "`{}`:{line}:{column}: {message}; fix the rule or move the file out of the rules folder",
        path.display()
    )]
    Rule {
        path: PathBuf,
        line: usize,
        column: usize,
        message: String,
    },
}
