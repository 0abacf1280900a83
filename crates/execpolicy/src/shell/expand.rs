//! The per-command step of the analysis: what a simple command really
//! runs. It unwraps wrappers (`exec`, `env`, `nice`, `timeout`, …) and
//! nested shells (`bash -c '…'`, analysed in turn), follows `cd` (which
//! moves where relative paths resolve) and flags builtins whose effect the
//! script does not show.

use super::word::{Word, WordValue};
use super::{Problem, Script, SimpleCommand, parse_into};
use std::path::PathBuf;

/// Builtins whose effect depends on text or files the script does not show.
const OPAQUE: &[(&str, &str)] = &[
    ("eval", "`eval` runs a string as shell code"),
    ("source", "`source` runs another file's shell code"),
    (".", "`.` runs another file's shell code"),
    ("alias", "`alias` changes what later words mean"),
    ("trap", "`trap` runs shell code on a signal"),
    (
        "builtin",
        "`builtin` runs a builtin the analysis cannot see",
    ),
    ("coproc", "`coproc` runs a command in the background"),
    ("enable", "`enable` loads or hides builtins"),
    ("fc", "`fc` re-runs commands from history"),
];

const SHELLS: &[&str] = &["bash", "sh", "zsh", "dash", "ksh"];

/// Record `command`, after unwrapping what it really runs: `exec CMD`,
/// nested shells, `cd` (which moves `base`), and opaque builtins.
pub(super) fn expand_command(
    command: SimpleCommand,
    depth: usize,
    base: &mut Option<PathBuf>,
    out: &mut Script,
) {
    expand_command_at(command, depth, base, out);
}

pub(super) fn expand_command_at(
    mut command: SimpleCommand,
    depth: usize,
    base: &mut Option<PathBuf>,
    out: &mut Script,
) {
    let Some(first) = command.words.first() else {
        out.commands.push(command);
        return;
    };
    let program = match &first.value {
        WordValue::Literal(program) => program.clone(),
        _ => {
            let reason = format!(
                "`{}` in command position is only known when it runs",
                first.text
            );
            out.problems.push(Problem {
                text: command.text,
                reason,
                words: command.words,
            });
            return;
        }
    };
    if program == "exec" {
        // `exec CMD` runs CMD; `exec >log` only redirects.
        command.words.remove(0);
        return expand_command_at(command, depth, base, out);
    }
    if let Some((_, reason)) = OPAQUE.iter().find(|(name, _)| *name == program) {
        let reason = (*reason).to_owned();
        out.problems.push(Problem {
            text: command.text,
            reason,
            words: command.words,
        });
        return;
    }
    let name = program.rsplit('/').next().unwrap_or(&program);
    if let Some(wrapper) = WRAPPERS.iter().find(|w| w.name == name) {
        return expand_wrapper(wrapper, command, depth, base, out);
    }
    if SHELLS.contains(&name) {
        match shell_script(&command.words[1..]) {
            ShellScript::Inline(script) => {
                parse_into(&script, depth + 1, base.clone(), out);
                if !command.redirects.is_empty() {
                    command.words.clear();
                    out.commands.push(command);
                }
                return;
            }
            ShellScript::Computed(text) => {
                let reason = format!("the `{name} -c` script `{text}` is only known when it runs");
                out.problems.push(Problem {
                    text: command.text,
                    reason,
                    words: command.words,
                });
                return;
            }
            ShellScript::Stdin => {
                let reason = format!("`{name}` reads the commands to run from its input");
                out.problems.push(Problem {
                    text: command.text,
                    reason,
                    words: command.words,
                });
                return;
            }
            ShellScript::File => {}
        }
    }
    match program.as_str() {
        "cd" => {
            *base = match command.words.get(1..).unwrap_or_default() {
                [dir] => match (dir.as_literal(), base.as_ref()) {
                    (Some(dir), Some(current)) if dir != "-" => Some(current.join(dir)),
                    _ => None,
                },
                _ => None,
            };
        }
        "pushd" | "popd" => *base = None,
        _ => {}
    }
    out.commands.push(command);
}

/// Programs that run the command in their arguments.
struct Wrapper {
    name: &'static str,
    /// Options whose value is the next word.
    takes_value: &'static [&'static str],
    /// Words before the command that are not options (`timeout`'s duration).
    operands: usize,
    /// Adds nothing of its own: only rules about it count (see
    /// [`SimpleCommand::transparent`]).
    transparent: bool,
    /// Accepts `NAME=VALUE` words before the command.
    assignments: bool,
    /// Appends words read from stdin to the command (`xargs`).
    appends_input: bool,
}

const WRAPPERS: &[Wrapper] = &[
    Wrapper {
        name: "sudo",
        takes_value: &["-u", "-g", "-h", "-p", "-C", "-D", "-r", "-t", "-U", "-T"],
        operands: 0,
        transparent: false,
        assignments: true,
        appends_input: false,
    },
    Wrapper {
        name: "doas",
        takes_value: &["-u", "-C"],
        operands: 0,
        transparent: false,
        assignments: false,
        appends_input: false,
    },
    Wrapper {
        name: "env",
        takes_value: &["-u", "-C", "-S", "--unset", "--chdir", "--split-string"],
        operands: 0,
        transparent: true,
        assignments: true,
        appends_input: false,
    },
    Wrapper {
        name: "timeout",
        takes_value: &["-s", "-k", "--signal", "--kill-after"],
        operands: 1,
        transparent: true,
        assignments: false,
        appends_input: false,
    },
    Wrapper {
        name: "nice",
        takes_value: &["-n", "--adjustment"],
        operands: 0,
        transparent: true,
        assignments: false,
        appends_input: false,
    },
    Wrapper {
        name: "nohup",
        takes_value: &[],
        operands: 0,
        transparent: true,
        assignments: false,
        appends_input: false,
    },
    Wrapper {
        name: "time",
        takes_value: &["-f", "-o", "--format", "--output"],
        operands: 0,
        transparent: true,
        assignments: false,
        appends_input: false,
    },
    Wrapper {
        name: "setsid",
        takes_value: &[],
        operands: 0,
        transparent: true,
        assignments: false,
        appends_input: false,
    },
    Wrapper {
        name: "stdbuf",
        takes_value: &["-i", "-o", "-e"],
        operands: 0,
        transparent: true,
        assignments: false,
        appends_input: false,
    },
    Wrapper {
        name: "ionice",
        takes_value: &["-c", "-n", "-p", "-P", "-u"],
        operands: 0,
        transparent: true,
        assignments: false,
        appends_input: false,
    },
    Wrapper {
        name: "command",
        takes_value: &[],
        operands: 0,
        transparent: true,
        assignments: false,
        appends_input: false,
    },
    Wrapper {
        name: "xargs",
        takes_value: &[
            "-I",
            "-n",
            "-P",
            "-L",
            "-s",
            "-d",
            "-E",
            "-a",
            "--arg-file",
            "--delimiter",
            "--max-args",
            "--max-procs",
            "--replace",
        ],
        operands: 0,
        transparent: false,
        assignments: false,
        appends_input: true,
    },
];

/// Record a wrapper and, separately, the command it runs.
fn expand_wrapper(
    wrapper: &Wrapper,
    mut command: SimpleCommand,
    depth: usize,
    base: &mut Option<PathBuf>,
    out: &mut Script,
) {
    let words = &command.words;
    let mut at = 1;
    let mut operands = wrapper.operands;
    let mut lookup_only = false;
    while let Some(word) = words.get(at) {
        let Some(text) = word.as_literal() else { break };
        if text == "--" {
            at += 1;
            break;
        }
        if text.starts_with('-') && text.len() > 1 {
            lookup_only |= wrapper.name == "command" && matches!(text, "-v" | "-V");
            let changes_dir =
                wrapper.name == "env" && (text.starts_with("-C") || text.starts_with("--chdir"));
            if changes_dir
                || (wrapper.name == "env"
                    && (text.starts_with("-S") || text.starts_with("--split")))
            {
                let reason =
                    format!("`env {text}` changes what runs in a way the analysis does not follow");
                out.problems.push(Problem {
                    text: command.text,
                    reason,
                    words: command.words,
                });
                return;
            }
            at += if wrapper.takes_value.contains(&text) {
                2
            } else {
                1
            };
        } else if wrapper.assignments && text.contains('=') && !text.starts_with('=') {
            at += 1;
        } else if operands > 0 {
            operands -= 1;
            at += 1;
        } else {
            break;
        }
    }
    let mut inner: Vec<Word> = words.get(at..).unwrap_or_default().to_vec();
    if lookup_only {
        inner.clear();
    }
    if inner.first().is_some_and(|w| w.as_literal().is_none()) {
        let reason = format!(
            "`{}` runs a command that is only known when it runs",
            wrapper.name
        );
        out.problems.push(Problem {
            text: command.text,
            reason,
            words: command.words,
        });
        return;
    }
    if wrapper.appends_input && !inner.is_empty() {
        inner.push(Word::unknown("(words from stdin)"));
    }
    let text = command.text.clone();
    command.transparent = wrapper.transparent;
    out.commands.push(command);
    if !inner.is_empty() {
        let inner = SimpleCommand {
            text,
            words: inner,
            assignments: Vec::new(),
            redirects: Vec::new(),
            transparent: false,
        };
        expand_command_at(inner, depth, base, out);
    }
}

enum ShellScript {
    /// `-c SCRIPT` with a known script.
    Inline(String),
    /// `-c` with a computed script.
    Computed(String),
    /// No `-c` and no file: reads commands from stdin (or `-s`).
    Stdin,
    /// Runs a script file: an ordinary program as far as rules go.
    File,
}

/// What a shell's arguments make it run.
fn shell_script(args: &[Word]) -> ShellScript {
    let mut inline = false;
    let mut from_stdin = false;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let Some(text) = arg.as_literal() else {
            return if inline {
                ShellScript::Computed(arg.text.clone())
            } else {
                ShellScript::File
            };
        };
        match text {
            "--" => break,
            "-o" | "+o" | "-O" | "+O" | "--rcfile" | "--init-file" => {
                args.next();
            }
            long if long.starts_with("--") => {}
            flags if (flags.starts_with('-') || flags.starts_with('+')) && flags.len() > 1 => {
                inline |= flags[1..].contains('c');
                from_stdin |= flags[1..].contains('s');
            }
            script if inline => return ShellScript::Inline(script.to_owned()),
            _ => {
                return if from_stdin {
                    ShellScript::Stdin
                } else {
                    ShellScript::File
                };
            }
        }
    }
    match args.next() {
        Some(arg) if inline => match arg.as_literal() {
            Some(script) => ShellScript::Inline(script.to_owned()),
            None => ShellScript::Computed(arg.text.clone()),
        },
        Some(_) if !from_stdin => ShellScript::File,
        _ if inline => ShellScript::Computed(String::new()),
        _ => ShellScript::Stdin,
    }
}
