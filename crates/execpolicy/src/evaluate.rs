//! The shell-aware decision: every simple command a command line would run
//! is matched against the rules (or the built-in classifiers when none
//! matches), every write redirection is checked against the writable roots,
//! every unanalysable construct asks; the strictest answer wins.
//!
//! It is not the approval flow: core maps the [`Evaluation`] to running,
//! asking or refusing, and composes it with the sandbox.

use crate::policy::{Certainty, MatchWord, Policy};
use crate::rule::{Decision, RuleMatch};
use crate::safe::{dangerous_words, known_safe_words};
use crate::shell::{self, Redirect, Script, SimpleCommand};
use std::path::{Component, Path, PathBuf};

/// What the decision depends on besides the rules.
#[derive(Debug, Clone, Copy)]
pub struct EvalOptions<'a> {
    /// The directory the command runs in (absolute).
    pub cwd: &'a Path,
    /// Where the command may write. A write redirection elsewhere asks.
    /// Pass `/` when the sandbox does not restrict writes.
    pub writable_roots: &'a [PathBuf],
    /// The decision for a command that no rule matches and that is neither
    /// known-safe nor dangerous: core derives it from the approval policy
    /// (`untrusted` → prompt, `on-request` / `never` → allow).
    pub unmatched: Decision,
}

/// The decision over a whole command line, with what decided each part.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Evaluation {
    pub decision: Decision,
    pub parts: Vec<Part>,
}

/// One simple command (or one unanalysable construct) and its verdict.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    /// As written in the script.
    pub text: String,
    /// The words rules were matched on (`VAR=x` stripped); values where
    /// known, else as written. Empty for an unanalysable construct or a
    /// redirection on its own.
    pub argv: Vec<String>,
    pub decision: Decision,
    /// Everything that contributed; `decision` is the strictest of them.
    pub reasons: Vec<Reason>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    /// A rule matched.
    Rule(RuleMatch),
    /// A rule with a prompt or forbidden decision might match once `$X` or a
    /// glob is expanded: ask.
    PossibleRule(RuleMatch),
    /// No rule matched; a built-in read-only command.
    KnownSafe(&'static str),
    /// No rule matched; a likely destructive command: ask.
    Dangerous(&'static str),
    /// No rule matched; the caller's [`EvalOptions::unmatched`] applies.
    Unmatched,
    /// Cannot be analysed: ask.
    Unanalysable(String),
    /// A write redirection to a file outside the writable roots: ask.
    WriteOutsideRoots(PathBuf),
}

impl Reason {
    fn decision(&self, unmatched: Decision) -> Decision {
        match self {
            Reason::Rule(found) => found.decision,
            Reason::KnownSafe(_) => Decision::Allow,
            Reason::Unmatched => unmatched,
            Reason::PossibleRule(_)
            | Reason::Dangerous(_)
            | Reason::Unanalysable(_)
            | Reason::WriteOutsideRoots(_) => Decision::Prompt,
        }
    }
}

impl Evaluation {
    /// The rule behind a `forbidden` or `prompt` decision with the most
    /// specific (longest) prefix, for the message to the model or user.
    pub fn deciding_rule(&self) -> Option<&RuleMatch> {
        self.parts
            .iter()
            .flat_map(|part| &part.reasons)
            .filter_map(|reason| match reason {
                Reason::Rule(found) if found.decision == self.decision => Some(found),
                _ => None,
            })
            .max_by_key(|found| found.matched_prefix.len())
    }

    /// True when every part was allowed by an explicit rule: core may then
    /// run the command outside the sandbox, as the reference does.
    pub fn allowed_by_rules(&self) -> bool {
        !self.parts.is_empty()
            && self.parts.iter().all(|part| {
                part.decision == Decision::Allow
                    && part.reasons.iter().all(|r| matches!(r, Reason::Rule(_)))
            })
    }

    /// The prefix an "always allow" answer would save: only when everything
    /// that asks is unmatched commands with one common generalisation (see
    /// [`crate::amendment_for`]).
    pub fn amendment(&self) -> Option<Vec<String>> {
        let mut prefix: Option<Vec<String>> = None;
        for part in self
            .parts
            .iter()
            .filter(|part| part.decision >= Decision::Prompt)
        {
            if !part.reasons.iter().all(|r| matches!(r, Reason::Unmatched)) {
                return None;
            }
            let this = crate::amendment_for(&part.argv)?;
            match &prefix {
                Some(existing) if *existing != this => return None,
                _ => prefix = Some(this),
            }
        }
        prefix
    }
}

/// Decide on `argv` as core would run it: a `bash -lc SCRIPT` (or `sh -c`,
/// `zsh -c`, any depth) is judged by the commands in the script.
pub fn evaluate(policy: &Policy, argv: &[String], options: &EvalOptions<'_>) -> Evaluation {
    let script = shell::parse_argv(argv);
    let mut evaluation = evaluate_parsed(policy, &script, options);
    if !script.problems.is_empty() {
        // Rules about the wrapper itself (`bash -lc`) still apply to what
        // could not be looked into.
        let wrapper = policy.check(argv, true);
        if !wrapper.is_empty() {
            let reasons: Vec<Reason> = wrapper.into_iter().map(Reason::Rule).collect();
            let decision = reasons.iter().map(|r| r.decision(options.unmatched)).max();
            let decision = decision.unwrap_or(Decision::Allow).max(Decision::Prompt);
            evaluation.decision = evaluation.decision.max(decision);
            evaluation.parts.push(Part {
                text: crate::words::join(argv),
                argv: argv.to_vec(),
                decision,
                reasons,
            });
        }
    }
    evaluation
}

/// Decide on a command line given as shell text (what `exec_command`
/// receives), as if run with `bash -c`.
pub fn evaluate_script(policy: &Policy, script: &str, options: &EvalOptions<'_>) -> Evaluation {
    evaluate_parsed(policy, &shell::parse_script(script), options)
}

fn evaluate_parsed(policy: &Policy, script: &Script, options: &EvalOptions<'_>) -> Evaluation {
    let mut parts: Vec<Part> = script
        .commands
        .iter()
        .filter_map(|c| judge(policy, c, options))
        .collect();
    for problem in &script.problems {
        let words: Vec<MatchWord<'_>> = problem.words.iter().map(|w| w.match_word()).collect();
        let mut reasons: Vec<Reason> = policy
            .match_words(&words, true)
            .into_iter()
            .filter(|(_, certainty)| *certainty == Certainty::Definite)
            .map(|(found, _)| Reason::Rule(found))
            .collect();
        reasons.push(Reason::Unanalysable(problem.reason.clone()));
        let decision = reasons.iter().map(|r| r.decision(options.unmatched)).max();
        parts.push(Part {
            text: problem.text.clone(),
            argv: problem
                .words
                .iter()
                .map(|w| w.display().to_owned())
                .collect(),
            decision: decision.unwrap_or(Decision::Prompt),
            reasons,
        });
    }
    let decision = parts
        .iter()
        .map(|p| p.decision)
        .max()
        .unwrap_or(Decision::Allow);
    Evaluation { decision, parts }
}

/// The verdict on one command; `None` for a transparent wrapper no rule
/// mentions.
fn judge(policy: &Policy, command: &SimpleCommand, options: &EvalOptions<'_>) -> Option<Part> {
    let mut reasons = Vec::new();
    let words: Vec<MatchWord<'_>> = command.words.iter().map(|w| w.match_word()).collect();
    if !words.is_empty() {
        let mut definite = false;
        for (found, certainty) in policy.match_words(&words, true) {
            match certainty {
                Certainty::Definite => {
                    definite = true;
                    reasons.push(Reason::Rule(found));
                }
                Certainty::Possible if found.decision > Decision::Allow => {
                    reasons.push(Reason::PossibleRule(found));
                }
                Certainty::Possible => {}
            }
        }
        if !definite && !command.transparent {
            reasons.push(if let Some(why) = known_safe_words(&words) {
                Reason::KnownSafe(why)
            } else if let Some(why) = dangerous_words(&words) {
                Reason::Dangerous(why)
            } else {
                Reason::Unmatched
            });
        }
    }
    for redirect in command.redirects.iter().filter(|r| r.writes) {
        if let Some(reason) = check_write(redirect, options) {
            reasons.push(reason);
        }
    }
    let decision = reasons
        .iter()
        .map(|r| r.decision(options.unmatched))
        .max()
        .unwrap_or(Decision::Allow);
    if command.transparent && reasons.is_empty() {
        return None;
    }
    Some(Part {
        text: command.text.clone(),
        argv: command
            .words
            .iter()
            .map(|w| w.display().to_owned())
            .collect(),
        decision,
        reasons,
    })
}

/// Files any command may write: they are not files on disk.
const DEVICES: &[&str] = &["/dev/null", "/dev/stdout", "/dev/stderr", "/dev/tty"];

fn check_write(redirect: &Redirect, options: &EvalOptions<'_>) -> Option<Reason> {
    let target = redirect.target.as_ref()?;
    let Some(path) = target.as_literal() else {
        return Some(Reason::Unanalysable(format!(
            "`{}` writes to a file whose name is only known when it runs",
            redirect.text
        )));
    };
    let path = Path::new(path);
    let full = if path.is_absolute() {
        normalise(path)
    } else {
        let Some(base) = &redirect.base else {
            return Some(Reason::Unanalysable(format!(
                "`{}` writes to a relative path after a `cd` that cannot be followed",
                redirect.text
            )));
        };
        normalise(&options.cwd.join(base).join(path))
    };
    let device = DEVICES.iter().any(|d| full == Path::new(d)) || full.starts_with("/dev/fd");
    let inside = options
        .writable_roots
        .iter()
        .any(|root| full.starts_with(normalise(root)));
    (!device && !inside).then_some(Reason::WriteOutsideRoots(full))
}

/// `a/./b/../c` → `a/c`, without touching the file system (a symlink could
/// make the real path differ; the sandbox still enforces the real one).
fn normalise(path: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for component in path.components() {
        match component {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            other => out.push(other),
        }
    }
    out
}
