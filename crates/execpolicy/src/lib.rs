//! duet's command policy: the `.rules` language (a Starlark subset, as in
//! Codex's execpolicy), and a shell-aware evaluator that turns a command —
//! an argv, or a script run with `bash -lc` — into allow, prompt or
//! forbidden, with the rule or reason behind each part.
//!
//! It is pure and synchronous and knows nothing of core, sandboxes or
//! approval policies: core passes in what the decision depends on (the
//! writable roots, what an unmatched command gets) and composes the result
//! with the sandbox. Reading rules files and appending an "always allow"
//! rule are its only IO.
//!
//! Main items: [`Policy::load`] (with [`rules_files`]) → [`Policy`];
//! [`Policy::check`] for the reference's literal prefix matching;
//! [`evaluate`] / [`evaluate_script`] → [`Evaluation`] for real commands;
//! [`known_safe`]; [`amendment_for`] and [`append_rule`] for "always allow".

mod amend;
mod error;
mod evaluate;
mod explain;
mod load;
mod policy;
mod rule;
mod safe;
pub mod shell;
mod starlark;
pub mod words;

pub use amend::{amendment_for, append_rule, default_rules_file, rule_line};
pub use error::Error;
pub use evaluate::{EvalOptions, Evaluation, Part, Reason, evaluate, evaluate_script};
pub use explain::explain;
pub use load::rules_files;
pub use policy::Policy;
pub use rule::{
    Decision, HostExecutable, NetworkProtocol, NetworkRule, PatternToken, PrefixRule, RuleMatch,
    RuleSource,
};
pub use safe::{dangerous, known_safe};

/// The reference's `execpolicy check` output for `matches`: compact JSON, or
/// indented by two spaces with `pretty`. No `decision` key when nothing
/// matched.
pub fn check_output_json(matches: &[RuleMatch], pretty: bool) -> String {
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    enum Matched<'a> {
        PrefixRuleMatch(&'a RuleMatch),
    }
    #[derive(serde::Serialize)]
    #[serde(rename_all = "camelCase")]
    struct Output<'a> {
        matched_rules: Vec<Matched<'a>>,
        #[serde(skip_serializing_if = "Option::is_none")]
        decision: Option<Decision>,
    }
    let output = Output {
        matched_rules: matches.iter().map(Matched::PrefixRuleMatch).collect(),
        decision: matches.iter().map(|m| m.decision).max(),
    };
    let json = if pretty {
        serde_json::to_string_pretty(&output)
    } else {
        serde_json::to_string(&output)
    };
    json.expect("the output is plain strings and lists")
}
