//! What a rules file defines: prefix rules with their decision, host
//! executables, network rules; and what a match reports.
//!
//! These are plain data. Parsing them is `load.rs`, matching them
//! `policy.rs`.

use serde::Serialize;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

/// What to do with a command. Ordered by strictness, so the decision for
/// several matches is their maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Decision {
    /// Run without asking (still inside the sandbox unless a rule allowed
    /// every command explicitly).
    Allow,
    /// Ask the user first.
    Prompt,
    /// Never run; tell the model why.
    Forbidden,
}

impl Decision {
    pub fn as_str(self) -> &'static str {
        match self {
            Decision::Allow => "allow",
            Decision::Prompt => "prompt",
            Decision::Forbidden => "forbidden",
        }
    }
}

impl fmt::Display for Decision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Decision {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "allow" => Ok(Decision::Allow),
            "prompt" => Ok(Decision::Prompt),
            "forbidden" => Ok(Decision::Forbidden),
            other => Err(format!("invalid decision: {other}")),
        }
    }
}

/// One position of a prefix pattern after the program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternToken {
    Single(String),
    /// Any one of these words.
    Alternatives(Vec<String>),
}

impl PatternToken {
    pub fn alternatives(&self) -> &[String] {
        match self {
            PatternToken::Single(word) => std::slice::from_ref(word),
            PatternToken::Alternatives(words) => words,
        }
    }
}

/// Where a rule was written: for `duet execpolicy explain` and messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuleSource {
    pub path: Arc<str>,
    pub line: usize,
}

impl fmt::Display for RuleSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.path, self.line)
    }
}

/// `prefix_rule(pattern, decision, …)` with alternatives in the first
/// position already expanded: one rule per program.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrefixRule {
    pub program: String,
    pub rest: Vec<PatternToken>,
    pub decision: Decision,
    pub justification: Option<String>,
    pub source: RuleSource,
}

/// A rule that matched a command. Serialises as the reference's
/// `prefixRuleMatch` body (keys in its order; absent options omitted).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RuleMatch {
    /// The words of the command the pattern covered, with the program as
    /// the rule names it (`git`, not `/usr/bin/git`).
    pub matched_prefix: Vec<String>,
    pub decision: Decision,
    /// The absolute path the command used, when the rule matched through
    /// host-executable resolution.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resolved_program: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub justification: Option<String>,
    #[serde(skip)]
    pub source: RuleSource,
}

/// `host_executable(name, paths)`: the absolute paths under which `name`
/// counts as the program that rules about `name` talk about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HostExecutable {
    pub name: String,
    pub paths: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkProtocol {
    Http,
    Https,
    Socks5Tcp,
    Socks5Udp,
}

impl FromStr for NetworkProtocol {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        match text {
            "http" => Ok(NetworkProtocol::Http),
            "https" | "https_connect" | "http-connect" => Ok(NetworkProtocol::Https),
            "socks5_tcp" => Ok(NetworkProtocol::Socks5Tcp),
            "socks5_udp" => Ok(NetworkProtocol::Socks5Udp),
            other => Err(format!(
                "invalid network protocol: {other} (expected http, https, socks5_tcp or socks5_udp)"
            )),
        }
    }
}

/// `network_rule(host, protocol, decision, justification)`. Not used to
/// decide commands; core hands these to the network proxy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NetworkRule {
    /// Lower case, no port, no trailing dot.
    pub host: String,
    pub protocol: NetworkProtocol,
    pub decision: Decision,
    pub justification: Option<String>,
}

/// `host` as the reference normalises it, or why it is not a host.
pub fn normalise_network_host(raw: &str) -> Result<String, String> {
    let invalid =
        || "network_rule host must be a hostname or IP literal (without scheme or path)".to_owned();
    let trimmed = raw.trim();
    if trimmed.is_empty()
        || trimmed.contains("://")
        || trimmed
            .chars()
            .any(|c| matches!(c, '/' | '?' | '#' | '*') || c.is_whitespace())
    {
        return Err(invalid());
    }
    let host = if let Some(rest) = trimmed.strip_prefix('[') {
        // `[v6]` or `[v6]:port`
        let (inside, after) = rest.split_once(']').ok_or_else(invalid)?;
        if !(after.is_empty() || after.strip_prefix(':').is_some_and(is_port)) {
            return Err(invalid());
        }
        inside.to_owned()
    } else {
        match trimmed.rsplit_once(':') {
            Some((name, port)) if !name.contains(':') && is_port(port) => name.to_owned(),
            _ => trimmed.to_owned(),
        }
    };
    let host = host.trim_end_matches('.').to_lowercase();
    if host.is_empty() {
        return Err(invalid());
    }
    Ok(host)
}

fn is_port(text: &str) -> bool {
    !text.is_empty() && text.len() <= 5 && text.bytes().all(|b| b.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn decisions_order_by_strictness() {
        let mut all = vec![Decision::Forbidden, Decision::Allow, Decision::Prompt];
        all.sort();
        assert_eq!(
            all,
            [Decision::Allow, Decision::Prompt, Decision::Forbidden]
        );
        assert_eq!(
            "ask".parse::<Decision>(),
            Err("invalid decision: ask".to_owned())
        );
    }

    #[test]
    fn network_hosts_are_normalised_like_the_reference() {
        let got: Vec<Result<String, String>> = [
            " Example.COM. ",
            "b.example:8443",
            "[::1]:80",
            "::1",
            "https://example.com/x",
            "*.example.com",
        ]
        .into_iter()
        .map(normalise_network_host)
        .collect();
        let bad = Err(
            "network_rule host must be a hostname or IP literal (without scheme or path)"
                .to_owned(),
        );
        assert_eq!(
            got,
            [
                Ok("example.com".to_owned()),
                Ok("b.example".to_owned()),
                Ok("::1".to_owned()),
                Ok("::1".to_owned()),
                bad.clone(),
                bad,
            ]
        );
    }
}
