//! The walk over tree-sitter-bash's syntax tree that collects simple
//! commands, redirections and problems, and the per-command step that
//! unwraps nested shells, follows `cd` and flags unanalysable builtins.

use super::word::{Word, WordBuilder, WordValue, ansi_c_value, double_quoted_value};
use super::{Problem, Redirect, Script, SimpleCommand, excerpt, parse_into};
use std::path::PathBuf;
use tree_sitter::Node;

pub(super) struct Walker<'s, 'o> {
    pub source: &'s [u8],
    pub depth: usize,
    /// Where relative paths resolve (see [`Redirect::base`]).
    pub base: Option<PathBuf>,
    pub out: &'o mut Script,
}

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

impl Walker<'_, '_> {
    fn text(&self, node: Node<'_>) -> String {
        node.utf8_text(self.source).unwrap_or("").to_owned()
    }

    fn problem(&mut self, node: Node<'_>, reason: impl Into<String>) {
        let text = excerpt(&self.text(node));
        let reason = reason.into();
        self.out.problems.push(Problem {
            text,
            reason,
            words: Vec::new(),
        });
    }

    /// Run `f` in a subshell's scope: a `cd` inside does not leak out.
    fn scoped(&mut self, f: impl FnOnce(&mut Self)) {
        let saved = self.base.clone();
        f(self);
        self.base = saved;
    }

    pub fn statement(&mut self, node: Node<'_>) {
        if matches!(node.kind(), "redirected_statement" | "pipeline" | "list") {
            self.check_skipped(node);
        }
        match node.kind() {
            "command" => self.command(node, Vec::new()),
            "redirected_statement" => self.redirected(node),
            "function_definition" => self.problem(
                node,
                "defines a shell function, whose calls cannot be followed",
            ),
            "subshell" | "command_substitution" | "process_substitution" => {
                self.scoped(|w| w.children(node));
            }
            "pipeline" => {
                for child in named_children(node) {
                    self.scoped(|w| w.statement(child));
                }
            }
            "comment" => {}
            "ERROR" => self.problem(node, "the script does not parse as shell"),
            _ => self.children(node),
        }
    }

    fn check_skipped(&mut self, node: Node<'_>) {
        if let Some(skipped) = self.skipped_text(node) {
            self.problem(
                node,
                format!("the shell parser skipped `{skipped}`; what runs may differ"),
            );
        }
    }

    /// Text between `node`'s children that no child covers (tree-sitter
    /// drops a lone `-` before a heredoc, for one): words the analysis
    /// would otherwise never see.
    fn skipped_text(&self, node: Node<'_>) -> Option<String> {
        let mut at = node.start_byte();
        let mut skipped = String::new();
        for i in 0..node.child_count() {
            let child = node.child(i)?;
            let gap = self.source.get(at..child.start_byte()).unwrap_or_default();
            let gap = String::from_utf8_lossy(gap).replace("\\\n", " ");
            skipped.push_str(gap.trim());
            at = at.max(child.end_byte());
        }
        (!skipped.is_empty()).then_some(skipped)
    }

    fn children(&mut self, node: Node<'_>) {
        for child in named_children(node) {
            self.statement(child);
        }
    }

    fn redirected(&mut self, node: Node<'_>) {
        let body = node.child_by_field_name("body");
        if let Some(body) = body.filter(|b| b.kind() != "command") {
            // The redirections apply after the body's `cd`s (tree-sitter
            // hangs `a && b > f` on the whole list; bash on `b`).
            self.statement(body);
        }
        let mut redirects = Vec::new();
        let mut deferred = Vec::new();
        for (field, child) in fielded_children(node) {
            match field {
                Some("body") => {}
                _ if is_redirect(child.kind()) => {
                    self.redirect(child, &mut redirects, &mut deferred)
                }
                _ => deferred.push(child),
            }
        }
        match body {
            Some(body) if body.kind() == "command" => self.command(body, redirects),
            _ => self.detached(redirects),
        }
        for node in deferred {
            self.statement(node);
        }
    }

    /// Redirections that belong to no simple command (`{ …; } > f`).
    fn detached(&mut self, redirects: Vec<Redirect>) {
        if redirects.is_empty() {
            return;
        }
        let texts: Vec<&str> = redirects.iter().map(|r| r.text.as_str()).collect();
        let text = texts.join(" ");
        let command = SimpleCommand {
            text,
            words: Vec::new(),
            assignments: Vec::new(),
            redirects,
            transparent: false,
        };
        self.out.commands.push(command);
    }

    fn command(&mut self, node: Node<'_>, mut redirects: Vec<Redirect>) {
        self.check_skipped(node);
        let mut words = Vec::new();
        let mut assignments = Vec::new();
        let mut deferred = Vec::new();
        for (field, child) in fielded_children(node) {
            match (field, child.kind()) {
                (_, "variable_assignment") => {
                    self.substitutions(child);
                    assignments.push(self.text(child));
                }
                (_, kind) if is_redirect(kind) => {
                    self.redirect(child, &mut redirects, &mut deferred)
                }
                (Some("name"), _) => {
                    let name = child.named_child(0).unwrap_or(child);
                    words.push(self.word(name));
                }
                (Some("argument"), _) => words.push(self.word(child)),
                _ => self.statement(child),
            }
        }
        let text = self.command_text(node);
        let command = SimpleCommand {
            text,
            words,
            assignments,
            redirects,
            transparent: false,
        };
        let mut base = self.base.take();
        expand_command_at(command, self.depth, &mut base, self.out);
        self.base = base;
        for node in deferred {
            self.statement(node);
        }
    }

    /// The command's text up to a heredoc body.
    fn command_text(&self, node: Node<'_>) -> String {
        let text = self.text(node);
        text.lines().next().unwrap_or("").trim().to_owned()
    }

    /// Record the redirection `node`; statements hanging off a heredoc
    /// (`cat <<EOF | grep x`) go to `deferred`, to run after the command.
    fn redirect<'t>(
        &mut self,
        node: Node<'t>,
        redirects: &mut Vec<Redirect>,
        deferred: &mut Vec<Node<'t>>,
    ) {
        match node.kind() {
            "heredoc_redirect" => {
                // Its children hold the heredoc's own file redirections and
                // any pipeline or list that follows `<<EOF` on the line.
                for child in named_children(node) {
                    match child.kind() {
                        "file_redirect" => self.redirect(child, redirects, deferred),
                        "heredoc_body" => self.substitutions(child),
                        "heredoc_start" | "heredoc_end" | "heredoc_content" => {}
                        _ => deferred.push(child),
                    }
                }
                let text = self.text(node).lines().next().unwrap_or("").to_owned();
                redirects.push(Redirect {
                    text,
                    writes: false,
                    target: None,
                    base: self.base.clone(),
                });
            }
            "herestring_redirect" => {
                self.substitutions(node);
                let text = self.text(node);
                redirects.push(Redirect {
                    text,
                    writes: false,
                    target: None,
                    base: self.base.clone(),
                });
            }
            _ => {
                let operator = (0..node.child_count())
                    .filter_map(|i| node.child(i))
                    .find(|child| !child.is_named())
                    .map(|child| self.text(child))
                    .unwrap_or_default();
                let destination = node.child_by_field_name("destination");
                let target = destination.map(|d| self.word(d));
                let dup = matches!(operator.as_str(), ">&" | "<&" | ">&-" | "<&-")
                    && target
                        .as_ref()
                        .and_then(Word::as_literal)
                        .is_some_and(|t| t == "-" || t.bytes().all(|b| b.is_ascii_digit()));
                // `2>&1` and `>&-` move or close a descriptor: no file.
                let writes =
                    target.is_some() && !dup && (operator.contains('>') || operator == "<>");
                let target = if dup { None } else { target };
                let text = self.text(node);
                redirects.push(Redirect {
                    text,
                    writes,
                    target,
                    base: self.base.clone(),
                });
            }
        }
    }

    /// Walk command and process substitutions anywhere under `node`.
    fn substitutions(&mut self, node: Node<'_>) {
        for child in named_children(node) {
            match child.kind() {
                "command_substitution" | "process_substitution" => {
                    self.scoped(|w| w.children(child));
                }
                _ => self.substitutions(child),
            }
        }
    }

    fn word(&mut self, node: Node<'_>) -> Word {
        let text = self.text(node);
        let mut builder = WordBuilder::default();
        self.word_part(node, &mut builder);
        builder.finish(&text)
    }

    fn word_part(&mut self, node: Node<'_>, builder: &mut WordBuilder) {
        match node.kind() {
            "word" | "number" | "variable_name" => {
                let raw = self.text(node);
                builder.mark_unknown_if_brace(&raw);
                builder.push_unquoted(&raw);
                // `number` may hold an expansion (`1$x`).
                self.substitutions(node);
                if named_children(node).next().is_some() {
                    builder.push_unknown();
                }
            }
            "raw_string" => {
                let raw = self.text(node);
                let inner = raw
                    .strip_prefix('\'')
                    .and_then(|r| r.strip_suffix('\''))
                    .unwrap_or(&raw);
                builder.push_quoted(inner);
            }
            "ansi_c_string" => match ansi_c_value(&self.text(node)) {
                Some(value) => builder.push_quoted(&value),
                None => builder.push_unknown(),
            },
            "string" => {
                let expands = named_children(node).any(|child| child.kind() != "string_content");
                if expands {
                    self.substitutions(node);
                    builder.push_unknown();
                } else {
                    builder.push_quoted(&double_quoted_value(&self.text(node)));
                }
            }
            "concatenation" => {
                for child in named_children(node) {
                    self.word_part(child, builder);
                }
            }
            "command_substitution" | "process_substitution" => {
                self.scoped(|w| w.children(node));
                builder.push_unknown();
            }
            _ => {
                self.substitutions(node);
                builder.push_unknown();
            }
        }
    }
}

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

fn expand_command_at(
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

fn is_redirect(kind: &str) -> bool {
    matches!(
        kind,
        "file_redirect" | "heredoc_redirect" | "herestring_redirect"
    )
}

fn named_children<'t>(node: Node<'t>) -> impl Iterator<Item = Node<'t>> {
    (0..node.child_count())
        .filter_map(move |i| node.child(i))
        .filter(|child| child.is_named())
}

fn fielded_children<'t>(node: Node<'t>) -> impl Iterator<Item = (Option<&'t str>, Node<'t>)> {
    (0..node.child_count()).filter_map(move |i| {
        let child = node.child(i)?;
        child
            .is_named()
            .then(|| (node.field_name_for_child(i), child))
    })
}
