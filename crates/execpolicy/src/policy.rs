//! The loaded rules, indexed by program, and prefix matching against a
//! command's words.
//!
//! Matching is literal, as in the reference: token i of the command must
//! equal pattern position i (or one of its alternatives). Words that come
//! from shell parsing may be unknown (`$VAR`) or a glob (`*.rs`); those are
//! "possible" matches, which the shell-aware evaluator treats with caution.
//! This module does not know about shells.

use crate::rule::{
    Decision, HostExecutable, NetworkRule, PatternToken, PrefixRule, RuleMatch, RuleSource,
};
use std::collections::HashMap;
use std::sync::Arc;

/// Every rule from every loaded file, in load order.
#[derive(Debug, Clone, Default)]
pub struct Policy {
    pub(crate) rules: Vec<PrefixRule>,
    /// Program → indices into `rules`, ascending (so matches come out in
    /// load order without scanning rules about other programs).
    pub(crate) by_program: HashMap<String, Vec<usize>>,
    pub(crate) host_executables: HashMap<String, HostExecutable>,
    pub(crate) network_rules: Vec<NetworkRule>,
}

/// One word of a command as matching sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchWord<'a> {
    /// Known exactly.
    Literal(&'a str),
    /// An unquoted glob: could be any word the pattern matches.
    Glob(&'a str),
    /// Computed when the command runs (`$VAR`, `$(…)`): could be anything.
    Unknown,
}

/// How sure a match is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Certainty {
    /// An unknown word or a glob sits where the pattern needs a word.
    Possible,
    Definite,
}

impl Policy {
    pub fn empty() -> Self {
        Policy::default()
    }

    /// The prefix rules, in load order.
    pub fn rules(&self) -> &[PrefixRule] {
        &self.rules
    }

    /// The network rules, in load order, for core's network proxy.
    pub fn network_rules(&self) -> &[NetworkRule] {
        &self.network_rules
    }

    pub fn host_executable(&self, name: &str) -> Option<&HostExecutable> {
        self.host_executables.get(name)
    }

    /// Add a prefix rule in memory (after an "always allow" approval, so the
    /// running session honours it without reloading).
    pub fn add_prefix_rule(&mut self, prefix: &[String], decision: Decision) {
        let Some((program, rest)) = prefix.split_first() else {
            return;
        };
        self.push_rule(PrefixRule {
            program: program.clone(),
            rest: rest.iter().cloned().map(PatternToken::Single).collect(),
            decision,
            justification: None,
            source: RuleSource {
                path: Arc::from("(this session)"),
                line: 0,
            },
        });
    }

    pub(crate) fn push_rule(&mut self, rule: PrefixRule) {
        self.by_program
            .entry(rule.program.clone())
            .or_default()
            .push(self.rules.len());
        self.rules.push(rule);
    }

    /// Every rule that matches `argv`, in load order, as the reference's
    /// `execpolicy check` reports them. With `resolve_host_executables`, an
    /// absolute program path also matches rules about its file name
    /// (subject to `host_executable`).
    pub fn check(&self, argv: &[String], resolve_host_executables: bool) -> Vec<RuleMatch> {
        let words: Vec<MatchWord<'_>> = argv.iter().map(|w| MatchWord::Literal(w)).collect();
        self.match_words(&words, resolve_host_executables)
            .into_iter()
            .filter(|(_, certainty)| *certainty == Certainty::Definite)
            .map(|(found, _)| found)
            .collect()
    }

    /// The strictest decision over [`Policy::check`], or `None` when no
    /// rule matched.
    pub fn decide(&self, argv: &[String], resolve_host_executables: bool) -> Option<Decision> {
        self.check(argv, resolve_host_executables)
            .iter()
            .map(|m| m.decision)
            .max()
    }

    /// Matches of rules about `words[0]` (which must be literal), definite
    /// and possible.
    pub(crate) fn match_words(
        &self,
        words: &[MatchWord<'_>],
        resolve: bool,
    ) -> Vec<(RuleMatch, Certainty)> {
        let Some(MatchWord::Literal(program)) = words.first() else {
            return Vec::new();
        };
        let exact = self.match_program(program, words, None);
        if !exact.is_empty() || !resolve || !program.starts_with('/') {
            return exact;
        }
        let Some(basename) = program.rsplit('/').next().filter(|b| !b.is_empty()) else {
            return exact;
        };
        if let Some(host) = self.host_executables.get(basename)
            && !host.paths.iter().any(|path| path == program)
        {
            return exact;
        }
        self.match_program(basename, words, Some(program))
    }

    fn match_program(
        &self,
        program: &str,
        words: &[MatchWord<'_>],
        resolved: Option<&str>,
    ) -> Vec<(RuleMatch, Certainty)> {
        let Some(indices) = self.by_program.get(program) else {
            return Vec::new();
        };
        indices
            .iter()
            .filter_map(|&index| {
                let rule = &self.rules[index];
                let (prefix, certainty) = match_rest(&rule.rest, &words[1..])?;
                let mut matched_prefix = Vec::with_capacity(prefix.len() + 1);
                matched_prefix.push(rule.program.clone());
                matched_prefix.extend(prefix);
                Some((
                    RuleMatch {
                        matched_prefix,
                        decision: rule.decision,
                        resolved_program: resolved.map(str::to_owned),
                        justification: rule.justification.clone(),
                        source: rule.source.clone(),
                    },
                    certainty,
                ))
            })
            .collect()
    }
}

/// Match pattern positions after the program against the words after it.
fn match_rest(
    pattern: &[PatternToken],
    words: &[MatchWord<'_>],
) -> Option<(Vec<String>, Certainty)> {
    if words.len() < pattern.len() {
        return None;
    }
    let mut certainty = Certainty::Definite;
    let mut prefix = Vec::with_capacity(pattern.len());
    for (token, word) in pattern.iter().zip(words) {
        let alternatives = token.alternatives();
        match word {
            MatchWord::Literal(text) => {
                let found = alternatives.iter().find(|alt| alt.as_str() == *text)?;
                prefix.push(found.clone());
            }
            MatchWord::Glob(glob) => {
                let found = alternatives.iter().find(|alt| glob_matches(glob, alt))?;
                prefix.push(found.clone());
                certainty = Certainty::Possible;
            }
            MatchWord::Unknown => {
                prefix.push(alternatives[0].clone());
                certainty = Certainty::Possible;
            }
        }
    }
    Some((prefix, certainty))
}

/// Shell pathname matching of `glob` (`*`, `?`, `[…]`, `\` escapes) against
/// `text`. Iterative with backtracking on the last `*`: linear-ish, no
/// recursion, so hostile globs cannot blow the stack.
pub(crate) fn glob_matches(glob: &str, text: &str) -> bool {
    let pattern: Vec<char> = glob.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        let step = match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
                continue;
            }
            Some('?') => Some(1),
            Some('[') => class_matches(&pattern[p..], text[t]),
            Some('\\') if p + 1 < pattern.len() => (pattern[p + 1] == text[t]).then_some(2),
            Some(c) => (*c == text[t]).then_some(1),
            None => None,
        };
        match step {
            Some(width) => {
                p += width;
                t += 1;
            }
            None => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

/// `[abc]`, `[!a-z]`, `[^x]` at the start of `pattern`: the width of the
/// class when `c` is in it.
fn class_matches(pattern: &[char], c: char) -> Option<usize> {
    let mut i = 1;
    let negated = matches!(pattern.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let start = i;
    let mut found = false;
    while i < pattern.len() && (pattern[i] != ']' || i == start) {
        if pattern.get(i + 1) == Some(&'-') && pattern.get(i + 2).is_some_and(|e| *e != ']') {
            found |= (pattern[i]..=pattern[i + 2]).contains(&c);
            i += 3;
        } else {
            found |= pattern[i] == c;
            i += 1;
        }
    }
    if i >= pattern.len() {
        // No closing bracket: `[` is an ordinary character.
        return (c == '[').then_some(1);
    }
    (found != negated).then_some(i + 1)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn globs_match_like_the_shell() {
        let cases = [
            ("*", "-rf", true),
            ("*.o", "-rf", false),
            ("-[rf]*", "-rf", true),
            ("[!-]*", "-rf", false),
            ("a?c", "abc", true),
            ("a\\*", "a*", true),
            ("a\\*", "ab", false),
            ("*a*b*", "xaxxbx", true),
            ("[", "[", true),
        ];
        let got: Vec<(&str, &str, bool)> = cases
            .iter()
            .map(|(g, t, _)| (*g, *t, glob_matches(g, t)))
            .collect();
        assert_eq!(got, cases);
    }

    #[test]
    fn unknown_and_glob_words_match_possibly() {
        let mut policy = Policy::empty();
        policy.add_prefix_rule(&["rm".into(), "-rf".into()], Decision::Forbidden);
        let certainties = |words: &[MatchWord<'_>]| -> Vec<Certainty> {
            policy
                .match_words(words, false)
                .into_iter()
                .map(|(_, c)| c)
                .collect()
        };
        assert_eq!(
            certainties(&[MatchWord::Literal("rm"), MatchWord::Literal("-rf")]),
            [Certainty::Definite]
        );
        assert_eq!(
            certainties(&[MatchWord::Literal("rm"), MatchWord::Unknown]),
            [Certainty::Possible]
        );
        assert_eq!(
            certainties(&[MatchWord::Literal("rm"), MatchWord::Glob("*")]),
            [Certainty::Possible]
        );
        assert_eq!(
            certainties(&[MatchWord::Literal("rm"), MatchWord::Glob("*.o")]),
            []
        );
    }
}
