//! The walk over tree-sitter-bash's syntax tree that collects simple
//! commands, redirections and problems; each command found goes to
//! `expand.rs`.

use super::expand::expand_command_at;
use super::word::{Word, WordBuilder, ansi_c_value, double_quoted_value};
use super::{Problem, Redirect, Script, SimpleCommand, excerpt};
use std::path::PathBuf;
use tree_sitter::Node;

pub(super) struct Walker<'s, 'o> {
    pub source: &'s [u8],
    pub depth: usize,
    /// Where relative paths resolve (see [`Redirect::base`]).
    pub base: Option<PathBuf>,
    pub out: &'o mut Script,
}

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
