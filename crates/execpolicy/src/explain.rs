//! A readable account of an [`Evaluation`]: each part, what decided it, and
//! the overall decision. `duet execpolicy explain` prints it; the
//! table-driven tests compare against it.

use crate::evaluate::{Evaluation, Reason};
use crate::rule::RuleMatch;
use std::fmt::Write;

pub fn explain(evaluation: &Evaluation) -> String {
    let mut out = String::new();
    for part in &evaluation.parts {
        let shown = if part.argv.is_empty() {
            part.text.clone()
        } else {
            crate::words::join(&part.argv)
        };
        let _ = writeln!(out, "{shown}");
        if part.reasons.is_empty() {
            let _ = writeln!(
                out,
                "  {}: writes only inside the writable roots",
                part.decision
            );
        }
        for reason in &part.reasons {
            let (decision, why) = match reason {
                Reason::Rule(found) => (found.decision.as_str(), format!("rule {}", rule(found))),
                Reason::PossibleRule(found) => (
                    "prompt",
                    format!(
                        "might match {} rule {} once expanded",
                        found.decision,
                        rule(found)
                    ),
                ),
                Reason::KnownSafe(why) => ("allow", format!("known safe: {why}")),
                Reason::Dangerous(why) => ("prompt", format!("dangerous: {why}")),
                Reason::Unmatched => (
                    "-",
                    "no rule matched: the approval policy decides".to_owned(),
                ),
                Reason::Unanalysable(why) => ("prompt", format!("unanalysable: {why}")),
                Reason::WriteOutsideRoots(path) => (
                    "prompt",
                    format!("writes `{}`, outside the writable roots", path.display()),
                ),
            };
            let decision = if decision == "-" {
                part.decision.as_str()
            } else {
                decision
            };
            let _ = writeln!(out, "  {decision}: {why}");
        }
    }
    let _ = writeln!(out, "decision: {}", evaluation.decision);
    out
}

fn rule(found: &RuleMatch) -> String {
    let mut text = format!(
        "`{}` ({})",
        crate::words::join(&found.matched_prefix),
        found.source
    );
    if let Some(program) = &found.resolved_program {
        let _ = write!(text, " via `{program}`");
    }
    if let Some(justification) = &found.justification {
        let _ = write!(text, ": {justification}");
    }
    text
}
