//! `duet execpolicy check|explain`: the rules engine from the command line.
//! `check` prints the reference's JSON for literal argv matching; `explain`
//! shows how duet's shell-aware evaluation decides a real command line.

use clap::Subcommand;
use duet_execpolicy::{Decision, EvalOptions, Policy};
use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Debug, Subcommand)]
pub enum ExecpolicyCommand {
    /// Match a command's words against rules files and print the matches
    /// as JSON (exit 0 whatever the decision).
    Check {
        /// A `.rules` file (repeatable; loaded in order).
        #[arg(long = "rules", value_name = "FILE", required = true)]
        rules: Vec<PathBuf>,
        /// Indent the JSON.
        #[arg(long)]
        pretty: bool,
        /// Let an absolute program path match rules about its file name,
        /// as `host_executable` allows.
        #[arg(long)]
        resolve_host_executables: bool,
        /// The command, one word per argument.
        #[arg(
            value_name = "ARGV",
            required = true,
            num_args = 1..,
            trailing_var_arg = true,
            allow_hyphen_values = true
        )]
        command: Vec<String>,
    },

    /// Show the simple commands a shell command line would run and what
    /// decided each.
    Explain {
        /// A `.rules` file (repeatable). Default: `$DUET_HOME/rules/*.rules`
        /// and `./.duet/rules/*.rules`.
        #[arg(long = "rules", value_name = "FILE")]
        rules: Vec<PathBuf>,
        /// A directory commands may write to (repeatable; default: the
        /// current directory).
        #[arg(long = "writable-root", value_name = "DIR")]
        writable_roots: Vec<PathBuf>,
        /// The decision for a command no rule or built-in list covers, as
        /// the approval policy would set it.
        #[arg(long, value_name = "DECISION", default_value = "prompt", value_parser = ["allow", "prompt"])]
        unmatched: String,
        /// One argument: a shell command line. Several: an argv.
        #[arg(
            value_name = "SHELL COMMAND",
            required = true,
            num_args = 1..,
            trailing_var_arg = true,
            allow_hyphen_values = true
        )]
        command: Vec<String>,
    },
}

pub fn run(command: ExecpolicyCommand) -> ExitCode {
    match command {
        ExecpolicyCommand::Check {
            rules,
            pretty,
            resolve_host_executables,
            command,
        } => {
            let policy = match Policy::load(&rules) {
                Ok(policy) => policy,
                Err(error) => return fail(&error),
            };
            let matches = policy.check(&command, resolve_host_executables);
            let json = duet_execpolicy::check_output_json(&matches, pretty);
            print_out(&format!("{json}\n"))
        }
        ExecpolicyCommand::Explain {
            rules,
            writable_roots,
            unmatched,
            command,
        } => {
            let cwd = match std::env::current_dir() {
                Ok(cwd) => cwd,
                Err(error) => {
                    eprintln!(
                        "error: cannot read the current directory: {error}; `cd` into an existing one"
                    );
                    return ExitCode::from(1);
                }
            };
            let files = if rules.is_empty() {
                default_rules(&cwd)
            } else {
                rules
            };
            let policy = match Policy::load(&files) {
                Ok(policy) => policy,
                Err(error) => return fail(&error),
            };
            let roots = if writable_roots.is_empty() {
                vec![cwd.clone()]
            } else {
                writable_roots.iter().map(|root| cwd.join(root)).collect()
            };
            let unmatched = if unmatched == "allow" {
                Decision::Allow
            } else {
                Decision::Prompt
            };
            let options = EvalOptions {
                cwd: &cwd,
                writable_roots: &roots,
                unmatched,
            };
            let evaluation = match command.as_slice() {
                [script] => duet_execpolicy::evaluate_script(&policy, script, &options),
                argv => duet_execpolicy::evaluate(&policy, argv, &options),
            };
            let mut text = duet_execpolicy::explain(&evaluation);
            if let Some(prefix) = evaluation.amendment() {
                text.push_str(&format!(
                    "always allow would save: {}\n",
                    duet_execpolicy::rule_line(&prefix, Decision::Allow)
                ));
            }
            print_out(&text)
        }
    }
}

fn default_rules(cwd: &std::path::Path) -> Vec<PathBuf> {
    let home = std::env::var_os("DUET_HOME")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".duet")));
    match home {
        Some(home) => duet_execpolicy::rules_files(&home, Some(cwd)),
        None => duet_execpolicy::rules_files(&cwd.join(".duet"), None),
    }
}

fn fail(error: &duet_execpolicy::Error) -> ExitCode {
    eprintln!("error: {error}");
    ExitCode::from(1)
}

/// A closed stdout is the reader's choice, not an error.
fn print_out(text: &str) -> ExitCode {
    let _ = std::io::stdout().lock().write_all(text.as_bytes());
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Cli, Command};
    use clap::Parser;
    use pretty_assertions::assert_eq;

    fn check_argv(argv: &[&str]) -> (Vec<PathBuf>, bool, Vec<String>) {
        let cli = Cli::try_parse_from(argv).unwrap();
        match cli.command {
            Some(Command::Execpolicy(ExecpolicyCommand::Check {
                rules,
                pretty,
                command,
                ..
            })) => (rules, pretty, command),
            other => panic!("not execpolicy check: {other:?}"),
        }
    }

    #[test]
    fn check_takes_the_command_with_or_without_a_separator() {
        let words = |w: &[&str]| w.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            check_argv(&[
                "duet",
                "execpolicy",
                "check",
                "--rules",
                "a.rules",
                "rm",
                "-rf",
                "/"
            ]),
            (
                vec![PathBuf::from("a.rules")],
                false,
                words(&["rm", "-rf", "/"])
            )
        );
        assert_eq!(
            check_argv(&[
                "duet",
                "execpolicy",
                "check",
                "--rules",
                "a",
                "--pretty",
                "--",
                "--x",
                "y"
            ]),
            (vec![PathBuf::from("a")], true, words(&["--x", "y"]))
        );
    }

    #[test]
    fn check_needs_rules_and_a_command() {
        let missing = Cli::try_parse_from(["duet", "execpolicy", "check", "ls"]).unwrap_err();
        assert_eq!(
            missing.kind(),
            clap::error::ErrorKind::MissingRequiredArgument
        );
    }
}
