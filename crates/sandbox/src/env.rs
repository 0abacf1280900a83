//! Which environment variables a child sees (`[shell_environment_policy]`).
//!
//! [`ShellEnvironmentPolicy::apply`] turns a base environment (duet's own, or
//! the captured login environment) into the exact environment of a child.
//! It only filters names and values; it does not read the process environment.

use serde::Deserialize;
use std::collections::{BTreeMap, HashMap};

#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ShellEnvironmentPolicy {
    pub inherit: ShellEnvironmentPolicyInherit,
    /// When false (the default), variables whose name contains `KEY`,
    /// `SECRET`, `TOKEN` or `PASSWORD` (any case) are dropped.
    pub ignore_default_excludes: bool,
    pub exclude: Vec<EnvironmentVariablePattern>,
    pub set: BTreeMap<String, String>,
    pub include_only: Vec<EnvironmentVariablePattern>,
    pub experimental_use_profile: bool,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ShellEnvironmentPolicyInherit {
    #[default]
    All,
    Core,
    None,
}

/// A case-insensitive glob over variable names (`*` and `?`).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct EnvironmentVariablePattern(pub String);

/// The names kept by `inherit = "core"`, besides every `LC_*`.
const CORE_VARIABLES: &[&str] = &[
    "HOME", "LOGNAME", "PATH", "SHELL", "USER", "USERNAME", "TMPDIR", "TEMP", "TMP", "LANG", "TERM",
];

/// Substrings that mark a name as a likely credential.
const DEFAULT_EXCLUDED_SUBSTRINGS: &[&str] = &["KEY", "SECRET", "TOKEN", "PASSWORD"];

impl ShellEnvironmentPolicy {
    /// The child's environment, built in this order: `inherit` picks from
    /// `base`; unless `ignore_default_excludes`, names containing `KEY`,
    /// `SECRET`, `TOKEN` or `PASSWORD` (any case) are dropped, which is what keeps
    /// `OPENAI_API_KEY` out of children; `exclude` drops matching names; `set`
    /// adds or overrides; last, `include_only` (when non-empty) keeps only
    /// matching names, including ones from `set`.
    pub fn apply(
        &self,
        base: impl IntoIterator<Item = (String, String)>,
    ) -> HashMap<String, String> {
        let mut env: HashMap<String, String> = base
            .into_iter()
            .filter(|(name, _)| match self.inherit {
                ShellEnvironmentPolicyInherit::All => true,
                ShellEnvironmentPolicyInherit::Core => is_core_variable(name),
                ShellEnvironmentPolicyInherit::None => false,
            })
            .collect();
        if !self.ignore_default_excludes {
            env.retain(|name, _| !looks_like_credential(name));
        }
        env.retain(|name, _| !self.exclude.iter().any(|pattern| pattern.matches(name)));
        env.extend(self.set.iter().map(|(n, v)| (n.clone(), v.clone())));
        if !self.include_only.is_empty() {
            env.retain(|name, _| {
                self.include_only
                    .iter()
                    .any(|pattern| pattern.matches(name))
            });
        }
        env
    }
}

impl EnvironmentVariablePattern {
    /// Whether `name` matches, ignoring ASCII case.
    pub fn matches(&self, name: &str) -> bool {
        let pattern: Vec<char> = self.0.to_ascii_uppercase().chars().collect();
        let name: Vec<char> = name.to_ascii_uppercase().chars().collect();
        glob_matches(&pattern, &name)
    }
}

fn is_core_variable(name: &str) -> bool {
    CORE_VARIABLES.contains(&name) || name.starts_with("LC_")
}

/// Whether `name` looks like a credential's (`KEY`, `SECRET`, `TOKEN`,
/// `PASSWORD`, any case): dropped from children by default, and redacted
/// from duet's log.
pub fn looks_like_credential(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    DEFAULT_EXCLUDED_SUBSTRINGS
        .iter()
        .any(|word| upper.contains(word))
}

/// Iterative glob matching with single-star backtracking: linear in practice,
/// never exponential.
fn glob_matches(pattern: &[char], text: &[char]) -> bool {
    let (mut p, mut t) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while t < text.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, t));
                p += 1;
            }
            Some(&c) if c == '?' || c == text[t] => {
                p += 1;
                t += 1;
            }
            _ => match star {
                Some((star_p, star_t)) => {
                    p = star_p + 1;
                    t = star_t + 1;
                    star = Some((star_p, star_t + 1));
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    const BASE: &[(&str, &str)] = &[
        ("HOME", "/home/u"),
        ("PATH", "/usr/bin"),
        ("LC_ALL", "C.UTF-8"),
        ("OPENAI_API_KEY", "sk-1"),
        ("github_token", "gh"),
        ("AWS_SECRET_ACCESS_KEY", "aws"),
        ("PGPASSWORD", "pg"),
        ("EDITOR", "vi"),
        ("CARGO_HOME", "/c"),
    ];

    fn check(policy: ShellEnvironmentPolicy, expected: &[(&str, &str)]) {
        let base = BASE.iter().map(|(n, v)| (n.to_string(), v.to_string()));
        let mut actual: Vec<(String, String)> = policy.apply(base).into_iter().collect();
        actual.sort();
        let mut expected: Vec<(String, String)> = expected
            .iter()
            .map(|(n, v)| (n.to_string(), v.to_string()))
            .collect();
        expected.sort();
        assert_eq!(actual, expected);
    }

    fn patterns(globs: &[&str]) -> Vec<EnvironmentVariablePattern> {
        globs
            .iter()
            .map(|g| EnvironmentVariablePattern(g.to_string()))
            .collect()
    }

    const WITHOUT_CREDENTIALS: &[(&str, &str)] = &[
        ("HOME", "/home/u"),
        ("PATH", "/usr/bin"),
        ("LC_ALL", "C.UTF-8"),
        ("EDITOR", "vi"),
        ("CARGO_HOME", "/c"),
    ];

    #[test]
    fn default_inherits_all_but_credentials() {
        check(ShellEnvironmentPolicy::default(), WITHOUT_CREDENTIALS);
    }

    #[test]
    fn ignore_default_excludes_keeps_credentials() {
        let policy = ShellEnvironmentPolicy {
            ignore_default_excludes: true,
            ..Default::default()
        };
        check(policy, BASE);
    }

    #[test]
    fn core_keeps_only_core_names_and_lc() {
        let policy = ShellEnvironmentPolicy {
            inherit: ShellEnvironmentPolicyInherit::Core,
            ..Default::default()
        };
        check(
            policy,
            &[
                ("HOME", "/home/u"),
                ("PATH", "/usr/bin"),
                ("LC_ALL", "C.UTF-8"),
            ],
        );
    }

    #[test]
    fn none_keeps_only_set() {
        let policy = ShellEnvironmentPolicy {
            inherit: ShellEnvironmentPolicyInherit::None,
            set: BTreeMap::from([("A".to_string(), "1".to_string())]),
            ..Default::default()
        };
        check(policy, &[("A", "1")]);
    }

    #[test]
    fn exclude_globs_are_case_insensitive() {
        let policy = ShellEnvironmentPolicy {
            exclude: patterns(&["*_home", "L?_ALL"]),
            ..Default::default()
        };
        check(
            policy,
            &[("HOME", "/home/u"), ("PATH", "/usr/bin"), ("EDITOR", "vi")],
        );
    }

    #[test]
    fn set_overrides_and_may_reintroduce_a_credential_name() {
        let policy = ShellEnvironmentPolicy {
            set: BTreeMap::from([
                ("EDITOR".to_string(), "nano".to_string()),
                ("MY_TOKEN".to_string(), "t".to_string()),
            ]),
            ..Default::default()
        };
        check(
            policy,
            &[
                ("HOME", "/home/u"),
                ("PATH", "/usr/bin"),
                ("LC_ALL", "C.UTF-8"),
                ("EDITOR", "nano"),
                ("CARGO_HOME", "/c"),
                ("MY_TOKEN", "t"),
            ],
        );
    }

    #[test]
    fn include_only_applies_last_even_to_set() {
        let policy = ShellEnvironmentPolicy {
            set: BTreeMap::from([("EXTRA".to_string(), "x".to_string())]),
            include_only: patterns(&["path", "*HOME"]),
            ..Default::default()
        };
        check(
            policy,
            &[
                ("HOME", "/home/u"),
                ("PATH", "/usr/bin"),
                ("CARGO_HOME", "/c"),
            ],
        );
    }

    #[test]
    fn glob_matching() {
        let cases = [
            ("*", "", true),
            ("A*B", "AXXB", true),
            ("A*B", "AXXC", false),
            ("?", "", false),
            ("A?C", "abc", true),
            ("*KEY*", "OPENAI_API_KEY", true),
            ("a*b*c", "aXbYbZc", true),
            ("a*b*c", "aXbYbZ", false),
        ];
        for (pattern, name, expected) in cases {
            let actual = EnvironmentVariablePattern(pattern.to_string()).matches(name);
            assert_eq!(actual, expected, "{pattern} against {name}");
        }
    }
}
