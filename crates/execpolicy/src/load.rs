//! Loading `.rules` files into a [`Policy`]: the three rules builtins
//! (`prefix_rule`, `host_executable`, `network_rule`) as a Starlark
//! [`Host`], the check of `match` / `not_match` examples, and where core
//! finds the files.
//!
//! Unlike the reference, a broken file is an error naming the file, line and
//! column; it never silently drops the other rules.

use crate::error::Error;
use crate::policy::Policy;
use crate::rule::{
    Decision, HostExecutable, NetworkProtocol, NetworkRule, PatternToken, PrefixRule, RuleSource,
    normalise_network_host,
};
use crate::starlark::{self, Args, Host, ModuleError, Pos, Value};
use std::path::{Path, PathBuf};
use std::sync::Arc;

impl Policy {
    /// Load `files` in order into one policy. Core passes
    /// [`rules_files`]; the CLI passes `--rules` arguments.
    pub fn load(files: &[PathBuf]) -> Result<Policy, Error> {
        let mut policy = Policy::empty();
        for path in files {
            let source = std::fs::read_to_string(path).map_err(|source| Error::Read {
                path: path.clone(),
                source,
            })?;
            policy.add_source(path, &source)?;
        }
        Ok(policy)
    }

    /// Parse one file's text (named `path` in errors) into this policy. On
    /// error the policy is left as it was.
    pub fn add_source(&mut self, path: &Path, source: &str) -> Result<(), Error> {
        let (rules, network_rules) = (self.rules.len(), self.network_rules.len());
        let host_executables = self.host_executables.clone();
        let mut host = RulesHost {
            label: Arc::from(path.display().to_string()),
            policy: self,
            examples: Vec::new(),
        };
        // Examples are checked once the whole file has been read, as the
        // reference does: a `host_executable` defined after the rule counts.
        let result = starlark::run(source, &mut host).map_err(|error| match error {
            ModuleError::Syntax(error) => Error::Syntax {
                path: path.to_owned(),
                line: error.pos.line,
                column: error.pos.col,
                message: error.message,
            },
            ModuleError::Eval(error) => Error::Rule {
                path: path.to_owned(),
                line: error.pos.line,
                column: error.pos.col,
                message: error.message,
            },
        });
        let result = result.and_then(|_| {
            let pending = std::mem::take(&mut host.examples);
            for (examples, pos) in pending {
                host.check_examples(&examples)
                    .map_err(|message| Error::Rule {
                        path: path.to_owned(),
                        line: pos.line,
                        column: pos.col,
                        message,
                    })?;
            }
            Ok(())
        });
        let Err(error) = result else {
            return Ok(());
        };
        self.rules.truncate(rules);
        self.network_rules.truncate(network_rules);
        self.host_executables = host_executables;
        for indices in self.by_program.values_mut() {
            indices.retain(|&index| index < rules);
        }
        self.by_program.retain(|_, indices| !indices.is_empty());
        Err(error)
    }
}

/// The rules files core loads, lowest precedence first:
/// `$DUET_HOME/rules/*.rules`, then `<project>/.duet/rules/*.rules` when the
/// project is trusted (core passes `None` otherwise). Regular files with the
/// `.rules` extension, sorted by path; a missing folder contributes nothing.
pub fn rules_files(duet_home: &Path, project_root: Option<&Path>) -> Vec<PathBuf> {
    let mut folders = vec![duet_home.join("rules")];
    if let Some(root) = project_root {
        folders.push(root.join(".duet").join("rules"));
    }
    let mut all = Vec::new();
    for folder in folders {
        let Ok(entries) = std::fs::read_dir(&folder) else {
            continue;
        };
        let mut files: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|entry| entry.path())
            .filter(|path| path.extension().is_some_and(|ext| ext == "rules") && path.is_file())
            .collect();
        files.sort();
        all.extend(files);
    }
    all
}

struct RulesHost<'p> {
    label: Arc<str>,
    policy: &'p mut Policy,
    /// Each `prefix_rule`'s examples, checked when the file has been read.
    examples: Vec<(PendingExamples, Pos)>,
}

/// A rule's `match` / `not_match` examples, parsed, waiting for the check.
struct PendingExamples {
    rules: Vec<PrefixRule>,
    matches: Vec<Vec<String>>,
    not_matches: Vec<Vec<String>>,
}

const PREFIX_RULE_PARAMS: &[&str] = &["pattern", "decision", "match", "not_match", "justification"];
const HOST_EXECUTABLE_PARAMS: &[&str] = &["name", "paths"];
const NETWORK_RULE_PARAMS: &[&str] = &["host", "protocol", "decision", "justification"];

impl Host for RulesHost<'_> {
    fn builtins(&self) -> &'static [&'static str] {
        &["prefix_rule", "host_executable", "network_rule"]
    }

    fn call(&mut self, name: &'static str, args: Args, pos: Pos) -> Result<Value, String> {
        match name {
            "prefix_rule" => self.prefix_rule(bind(name, PREFIX_RULE_PARAMS, args)?, pos)?,
            "host_executable" => self.host_executable(bind(name, HOST_EXECUTABLE_PARAMS, args)?)?,
            _ => self.network_rule(bind(name, NETWORK_RULE_PARAMS, args)?)?,
        }
        Ok(Value::None)
    }
}

impl RulesHost<'_> {
    fn prefix_rule(&mut self, params: Vec<Option<Value>>, pos: Pos) -> Result<(), String> {
        let [pattern, decision, matches, not_matches, justification] =
            <[Option<Value>; 5]>::try_from(params).expect("bind returns one slot per parameter");
        let pattern = pattern.ok_or("`prefix_rule` needs a `pattern`")?;
        let (first, rest) = parse_pattern(&pattern)?;
        let decision = match decision {
            Some(value) => string_param("decision", &value)?.parse::<Decision>()?,
            None => Decision::Allow,
        };
        let justification = optional_justification(justification)?;
        let source = RuleSource {
            path: Arc::clone(&self.label),
            line: pos.line,
        };
        let rules: Vec<PrefixRule> = first
            .into_iter()
            .map(|program| PrefixRule {
                program,
                rest: rest.clone(),
                decision,
                justification: justification.clone(),
                source: source.clone(),
            })
            .collect();
        let matches = examples("match", matches)?;
        let not_matches = examples("not_match", not_matches)?;
        if !matches.is_empty() || !not_matches.is_empty() {
            self.examples.push((
                PendingExamples {
                    rules: rules.clone(),
                    matches,
                    not_matches,
                },
                pos,
            ));
        }
        for rule in rules {
            self.policy.push_rule(rule);
        }
        Ok(())
    }

    /// `match` examples must each match one of the call's rules; `not_match`
    /// examples none of them, with every `host_executable` of the file.
    fn check_examples(&self, pending: &PendingExamples) -> Result<(), String> {
        let mut only_these = Policy::empty();
        only_these.host_executables = self.policy.host_executables.clone();
        for rule in &pending.rules {
            only_these.push_rule(rule.clone());
        }
        let pattern = render_pattern(&pending.rules[0]);
        for example in &pending.matches {
            if only_these.check(example, true).is_empty() {
                return Err(format!(
                    "the `match` example `{}` does not match the pattern {pattern}",
                    example.join(" ")
                ));
            }
        }
        for example in &pending.not_matches {
            if !only_these.check(example, true).is_empty() {
                return Err(format!(
                    "the `not_match` example `{}` matches the pattern {pattern}",
                    example.join(" ")
                ));
            }
        }
        Ok(())
    }

    fn host_executable(&mut self, params: Vec<Option<Value>>) -> Result<(), String> {
        let [name, paths] =
            <[Option<Value>; 2]>::try_from(params).expect("bind returns one slot per parameter");
        let name = string_param("name", &name.ok_or("`host_executable` needs a `name`")?)?;
        if name.is_empty() || name.contains('/') {
            return Err(format!(
                "invalid rule: host_executable name must be a bare file name (got {name})"
            ));
        }
        let paths = paths.ok_or("`host_executable` needs `paths`")?;
        let items = paths.items().ok_or("`paths` must be a list of strings")?;
        let mut kept: Vec<String> = Vec::new();
        for item in items {
            let path = string_param("paths", &item)?;
            if !path.starts_with('/') {
                return Err(format!(
                    "invalid rule: host_executable paths must be absolute (got {path})"
                ));
            }
            if path.rsplit('/').next() != Some(name.as_str()) {
                return Err(format!(
                    "invalid rule: host_executable path {path} does not end in the name {name}"
                ));
            }
            if !kept.contains(&path) {
                kept.push(path);
            }
        }
        self.policy
            .host_executables
            .insert(name.clone(), HostExecutable { name, paths: kept });
        Ok(())
    }

    fn network_rule(&mut self, params: Vec<Option<Value>>) -> Result<(), String> {
        let [host, protocol, decision, justification] =
            <[Option<Value>; 4]>::try_from(params).expect("bind returns one slot per parameter");
        let host = string_param("host", &host.ok_or("`network_rule` needs a `host`")?)?;
        let host = normalise_network_host(&host).map_err(|m| format!("invalid rule: {m}"))?;
        let protocol = string_param(
            "protocol",
            &protocol.ok_or("`network_rule` needs a `protocol`")?,
        )?
        .parse::<NetworkProtocol>()?;
        let decision = string_param(
            "decision",
            &decision.ok_or("`network_rule` needs a `decision`")?,
        )?;
        let decision = if decision == "deny" {
            Decision::Forbidden
        } else {
            decision.parse()?
        };
        let justification = optional_justification(justification)?;
        self.policy.network_rules.push(NetworkRule {
            host,
            protocol,
            decision,
            justification,
        });
        Ok(())
    }
}

/// Assign positional and named arguments to `params`, refusing unknown,
/// duplicate and surplus ones. `None` values count as absent.
fn bind(function: &str, params: &[&str], args: Args) -> Result<Vec<Option<Value>>, String> {
    if args.positional.len() > params.len() {
        return Err(format!(
            "`{function}` takes at most {} positional arguments ({} given)",
            params.len(),
            args.positional.len()
        ));
    }
    let mut slots: Vec<Option<Value>> = vec![None; params.len()];
    let mut given = vec![false; params.len()];
    for (i, value) in args.positional.into_iter().enumerate() {
        given[i] = true;
        slots[i] = Some(value);
    }
    for (name, value) in args.named {
        let Some(i) = params.iter().position(|p| *p == name) else {
            return Err(format!(
                "unknown parameter `{name}` for `{function}`: it takes {}",
                params.join(", ")
            ));
        };
        if given[i] {
            return Err(format!("`{function}` got `{name}` twice"));
        }
        given[i] = true;
        slots[i] = Some(value);
    }
    Ok(slots
        .into_iter()
        .map(|slot| slot.filter(|v| !matches!(v, Value::None)))
        .collect())
}

/// The program alternatives and the rest of a pattern.
fn parse_pattern(pattern: &Value) -> Result<(Vec<String>, Vec<PatternToken>), String> {
    let items = pattern.items().ok_or_else(|| {
        format!(
            "invalid pattern: expected a list, got {}",
            pattern.type_name()
        )
    })?;
    let mut tokens = items.iter().map(pattern_token);
    let first = tokens
        .next()
        .ok_or("invalid pattern element: pattern cannot be empty")??;
    let rest = tokens.collect::<Result<Vec<_>, _>>()?;
    Ok((first.alternatives().to_vec(), rest))
}

fn pattern_token(value: &Value) -> Result<PatternToken, String> {
    let wrong = |got: &Value| {
        format!(
            "invalid pattern element: pattern element must be a string or list of strings (got {})",
            got.type_name()
        )
    };
    match value {
        Value::Str(word) => Ok(PatternToken::Single(word.to_string())),
        Value::List(_) | Value::Tuple(_) => {
            let words = value
                .items()
                .unwrap_or_default()
                .iter()
                .map(|item| match item {
                    Value::Str(word) => Ok(word.to_string()),
                    other => Err(wrong(other)),
                })
                .collect::<Result<Vec<_>, _>>()?;
            match words.len() {
                0 => Err("invalid pattern element: pattern alternatives cannot be empty".into()),
                1 => Ok(PatternToken::Single(
                    words.into_iter().next().expect("one word"),
                )),
                _ => Ok(PatternToken::Alternatives(words)),
            }
        }
        other => Err(wrong(other)),
    }
}

fn render_pattern(rule: &PrefixRule) -> String {
    let mut parts = vec![serde_json::to_string(&rule.program).unwrap_or_default()];
    for token in &rule.rest {
        parts.push(match token {
            PatternToken::Single(word) => serde_json::to_string(word).unwrap_or_default(),
            PatternToken::Alternatives(words) => serde_json::to_string(words).unwrap_or_default(),
        });
    }
    format!("[{}]", parts.join(", "))
}

/// `match` / `not_match`: a list whose items are token lists or strings
/// split like a shell would.
fn examples(param: &str, value: Option<Value>) -> Result<Vec<Vec<String>>, String> {
    let Some(value) = value else {
        return Ok(Vec::new());
    };
    let items = value
        .items()
        .ok_or_else(|| format!("`{param}` must be a list of examples"))?;
    items
        .iter()
        .map(|item| match item {
            Value::Str(text) => crate::words::split(text)
                .ok_or_else(|| format!("the `{param}` example `{text}` has an unclosed quote")),
            other => other
                .items()
                .ok_or_else(|| {
                    format!("a `{param}` example must be a string or a list of strings")
                })?
                .iter()
                .map(|word| string_param(param, word))
                .collect(),
        })
        .map(|example| match example {
            // The reference refuses an example with no words (`""`, `[]`).
            Ok(words) if words.is_empty() => Err(format!("a `{param}` example is empty")),
            other => other,
        })
        .collect()
}

fn string_param(param: &str, value: &Value) -> Result<String, String> {
    match value {
        Value::Str(text) => Ok(text.to_string()),
        other => Err(format!(
            "`{param}` must be a string, got {}",
            other.type_name()
        )),
    }
}

fn optional_justification(value: Option<Value>) -> Result<Option<String>, String> {
    let Some(value) = value else { return Ok(None) };
    let text = string_param("justification", &value)?;
    if text.trim().is_empty() {
        return Err("invalid rule: justification cannot be empty".into());
    }
    Ok(Some(text))
}
