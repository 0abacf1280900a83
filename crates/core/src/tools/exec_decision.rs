//! What the `.rules`, the built-in command lists and the approval policy say
//! about one `exec_command` call before it runs: run it in the sandbox, ask
//! the user, or refuse. Pure functions; `escalation.rs` does the asking and
//! picks the sandbox.
//!
//! [`judge`] sums up the execpolicy [`Evaluation`] of the command (as
//! `bash -lc CMD`) in one [`Judgement`]; [`decide`] maps it, with the
//! approval policy and whether the model asked to leave the sandbox
//! (`sandbox_permissions: "require_escalated"`), to an [`Action`]:
//!
//! | judgement | `untrusted` | `on-request` | `on-failure` | `never` |
//! | --- | --- | --- | --- | --- |
//! | a rule forbids | refuse | refuse | refuse | refuse |
//! | a rule asks | ask | ask | ask | refuse |
//! | dangerous (`rm -f`, `git reset --hard`, …) | ask | ask | ask | refuse |
//! | unmatched (no rule, not known-safe) | ask | run | run | run |
//! | unanalysable, or writes outside the writable roots | ask | run | run | run |
//! | allowed (a rule, or known-safe) | run | run | run | run |
//!
//! "Run" always means inside the turn's sandbox, even for an explicit
//! `allow` rule: rules decide whether to ask, the sandbox still confines.
//! The unanalysable row runs under the three lenient policies because the
//! sandbox enforces the writable roots anyway; asking there would make
//! `duet exec` (always `never`) refuse commands it has always run.
//! Escalation: when the model asks for it and the command would otherwise
//! run, `never` refuses and every other policy asks, then runs the command
//! outside the sandbox if approved; when the command is asked about anyway,
//! the one question covers both. Under `on-failure` a sandboxed run that
//! looks blocked is offered a re-run outside the sandbox afterwards (see
//! `escalation.rs`).

use duet_execpolicy::{Decision, Evaluation, Reason};
use duet_protocol::ApprovalPolicy;

/// The policy's verdict on one command, strictest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Judgement {
    Forbidden {
        justification: Option<String>,
    },
    /// A `prompt` rule matched, or a `prompt`/`forbidden` rule might once a
    /// `$VAR` or glob is expanded.
    RulePrompt {
        prefix: Vec<String>,
        justification: Option<String>,
    },
    /// No rule asks, but a built-in check finds it destructive.
    Dangerous(&'static str),
    /// Part of it is covered by no rule and is not known-safe (only under
    /// `untrusted`, the one policy that asks about such commands).
    Unmatched,
    /// Only constructs that cannot be analysed, or writes outside the
    /// writable roots, stand in the way.
    Unverifiable,
    /// Every part is allowed by a rule, known-safe, or unmatched under a
    /// policy that runs unmatched commands.
    Allowed,
}

/// What to do before running.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Action {
    /// Run in the turn's sandbox without asking.
    Run,
    /// Ask the user; if approved, run in the sandbox, or outside it when
    /// `escalate`.
    Ask { escalate: bool },
    /// Do not run.
    Refuse(Refusal),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Refusal {
    Forbidden,
    /// It needs approval and the approval policy is `never`.
    NeedsApproval,
    /// The model asked to leave the sandbox under `never`.
    Escalation,
}

/// What an unmatched command gets from execpolicy under `approval`.
pub(super) fn unmatched_decision(approval: ApprovalPolicy) -> Decision {
    if approval == ApprovalPolicy::Untrusted {
        Decision::Prompt
    } else {
        Decision::Allow
    }
}

/// Sum up `evaluation` (made with [`unmatched_decision`]).
pub(super) fn judge(evaluation: &Evaluation) -> Judgement {
    match evaluation.decision {
        Decision::Allow => return Judgement::Allowed,
        Decision::Forbidden => {
            return Judgement::Forbidden {
                justification: evaluation
                    .deciding_rule()
                    .and_then(|rule| rule.justification.clone()),
            };
        }
        Decision::Prompt => {}
    }
    let reasons: Vec<&Reason> = evaluation
        .parts
        .iter()
        .filter(|part| part.decision == Decision::Prompt)
        .flat_map(|part| &part.reasons)
        .collect();
    let asking_rule = reasons.iter().find_map(|reason| match reason {
        Reason::Rule(found) if found.decision == Decision::Prompt => Some(found),
        Reason::PossibleRule(found) => Some(found),
        _ => None,
    });
    if let Some(rule) = asking_rule {
        return Judgement::RulePrompt {
            prefix: rule.matched_prefix.clone(),
            justification: rule.justification.clone(),
        };
    }
    if let Some(why) = reasons.iter().find_map(|reason| match reason {
        Reason::Dangerous(why) => Some(*why),
        _ => None,
    }) {
        return Judgement::Dangerous(why);
    }
    if reasons
        .iter()
        .any(|reason| matches!(reason, Reason::Unmatched))
    {
        return Judgement::Unmatched;
    }
    // Unanalysable parts and writes outside the roots; also a wrapper rule
    // that allows `bash -lc` around a script that could not be looked into.
    Judgement::Unverifiable
}

/// The table in the module doc.
pub(super) fn decide(
    approval: ApprovalPolicy,
    judgement: &Judgement,
    wants_escalation: bool,
) -> Action {
    let never = approval == ApprovalPolicy::Never;
    match judgement {
        Judgement::Forbidden { .. } => Action::Refuse(Refusal::Forbidden),
        Judgement::RulePrompt { .. } | Judgement::Dangerous(_) if never => {
            Action::Refuse(Refusal::NeedsApproval)
        }
        Judgement::RulePrompt { .. } | Judgement::Dangerous(_) => Action::Ask {
            escalate: wants_escalation,
        },
        Judgement::Unmatched | Judgement::Unverifiable if approval == ApprovalPolicy::Untrusted => {
            Action::Ask {
                escalate: wants_escalation,
            }
        }
        Judgement::Unmatched | Judgement::Unverifiable | Judgement::Allowed => {
            match (wants_escalation, never) {
                (false, _) => Action::Run,
                (true, true) => Action::Refuse(Refusal::Escalation),
                (true, false) => Action::Ask { escalate: true },
            }
        }
    }
}

/// The tool output for a refused command `cmd` (as the model wrote it).
pub(super) fn refusal_message(refusal: Refusal, judgement: &Judgement, cmd: &str) -> String {
    const NEVER: &str = "but the approval policy is `never`, so it was not run; \
                         do the task another way or ask the user to run it";
    match (refusal, judgement) {
        (Refusal::Forbidden, Judgement::Forbidden { justification }) => format!(
            "`{cmd}` rejected: {}",
            justification.as_deref().unwrap_or("blocked by policy")
        ),
        (Refusal::Forbidden, _) => format!("`{cmd}` rejected: blocked by policy"),
        (Refusal::NeedsApproval, Judgement::Dangerous(why)) => {
            format!("`{cmd}` needs approval because it looks destructive ({why}), {NEVER}")
        }
        (Refusal::NeedsApproval, Judgement::RulePrompt { justification, .. }) => {
            match justification {
                Some(text) => format!("`{cmd}` requires approval by a rule ({text}), {NEVER}"),
                None => format!("`{cmd}` requires approval by a rule, {NEVER}"),
            }
        }
        (Refusal::NeedsApproval, _) => format!("`{cmd}` requires approval, {NEVER}"),
        (Refusal::Escalation, _) => "escalation rejected: the approval policy is `never`, so \
                                     commands cannot run outside the sandbox; do the task \
                                     within the sandbox's limits"
            .to_string(),
    }
}

/// What the approval request shows as the reason to ask: the rule's or
/// the check's reason, else what the model said.
pub(super) fn ask_justification(
    judgement: &Judgement,
    cmd: &str,
    from_model: Option<String>,
) -> Option<String> {
    match judgement {
        Judgement::RulePrompt {
            justification: Some(text),
            ..
        } => Some(format!("`{cmd}` requires approval: {text}")),
        Judgement::RulePrompt { prefix, .. } => Some(format!(
            "`{cmd}` requires approval by the rule `{}`",
            prefix.join(" ")
        )),
        Judgement::Dangerous(why) => Some(format!("`{cmd}` looks destructive: {why}")),
        _ => from_model,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use duet_execpolicy::{EvalOptions, Policy, evaluate};
    use pretty_assertions::assert_eq;
    use std::path::{Path, PathBuf};

    use ApprovalPolicy::{Never, OnFailure, OnRequest, Untrusted};

    const ASK: Action = Action::Ask { escalate: false };
    const ASK_OUT: Action = Action::Ask { escalate: true };
    const FORBID: Action = Action::Refuse(Refusal::Forbidden);
    const NEEDS: Action = Action::Refuse(Refusal::NeedsApproval);
    const NO_ESC: Action = Action::Refuse(Refusal::Escalation);
    const RUN: Action = Action::Run;

    /// One row per judgement: the action for untrusted, on-request,
    /// on-failure and never, without and then with an escalation request.
    fn check(judgement: Judgement, plain: [Action; 4], escalated: [Action; 4]) {
        let policies = [Untrusted, OnRequest, OnFailure, Never];
        let got = |escalate: bool| policies.map(|p| decide(p, &judgement, escalate));
        assert_eq!((got(false), got(true)), (plain, escalated), "{judgement:?}");
    }

    #[test]
    fn the_decision_table() {
        let forbidden = Judgement::Forbidden {
            justification: None,
        };
        check(forbidden, [FORBID; 4], [FORBID; 4]);
        let rule = Judgement::RulePrompt {
            prefix: vec!["git".into(), "push".into()],
            justification: None,
        };
        check(
            rule,
            [ASK, ASK, ASK, NEEDS],
            [ASK_OUT, ASK_OUT, ASK_OUT, NEEDS],
        );
        let dangerous = Judgement::Dangerous("`rm -f` deletes without asking");
        check(
            dangerous,
            [ASK, ASK, ASK, NEEDS],
            [ASK_OUT, ASK_OUT, ASK_OUT, NEEDS],
        );
        check(
            Judgement::Unmatched,
            [ASK, RUN, RUN, RUN],
            [ASK_OUT, ASK_OUT, ASK_OUT, NO_ESC],
        );
        check(
            Judgement::Unverifiable,
            [ASK, RUN, RUN, RUN],
            [ASK_OUT, ASK_OUT, ASK_OUT, NO_ESC],
        );
        check(
            Judgement::Allowed,
            [RUN, RUN, RUN, RUN],
            [ASK_OUT, ASK_OUT, ASK_OUT, NO_ESC],
        );
    }

    /// `cmd` run as `bash -lc CMD` in `/repo` (writable), judged under
    /// `approval` with these rules.
    fn judged(rules: &str, approval: ApprovalPolicy, cmd: &str) -> Judgement {
        let mut policy = Policy::empty();
        policy
            .add_source(Path::new("test.rules"), rules)
            .expect("test rules load");
        let roots = [PathBuf::from("/repo")];
        let options = EvalOptions {
            cwd: Path::new("/repo"),
            writable_roots: &roots,
            unmatched: unmatched_decision(approval),
        };
        let argv = ["/bin/bash", "-lc", cmd].map(String::from);
        judge(&evaluate(&policy, &argv, &options))
    }

    #[test]
    fn judgements_of_real_commands() {
        let rules = r#"
prefix_rule(["rm", "-rf"], "forbidden", justification = "use `trash`")
prefix_rule(["curl"], "forbidden")
prefix_rule(["git", "push"], "prompt", justification = "pushes are reviewed")
prefix_rule(["cargo", "test"], "allow")
"#;
        let cases = [
            (
                Never,
                "cargo test && rm -rf target",
                Judgement::Forbidden {
                    justification: Some("use `trash`".into()),
                },
            ),
            (
                Never,
                "curl x | sh",
                Judgement::Forbidden {
                    justification: None,
                },
            ),
            (
                OnRequest,
                "git push origin main",
                Judgement::RulePrompt {
                    prefix: vec!["git".into(), "push".into()],
                    justification: Some("pushes are reviewed".into()),
                },
            ),
            (
                Never,
                "rm $FLAGS target",
                Judgement::RulePrompt {
                    prefix: vec!["rm".into(), "-rf".into()],
                    justification: Some("use `trash`".into()),
                },
            ),
            (
                Never,
                "git reset --hard",
                Judgement::Dangerous("`git reset --hard` discards uncommitted work"),
            ),
            (Untrusted, "touch a && ls", Judgement::Unmatched),
            (Untrusted, "ls > /etc/x", Judgement::Unverifiable),
            (Never, "ls > /etc/x", Judgement::Unverifiable),
            (Never, "eval \"$X\"", Judgement::Unverifiable),
            (Never, "touch a", Judgement::Allowed),
            (Untrusted, "FOO=1 cargo test | grep ok", Judgement::Allowed),
        ];
        for (approval, cmd, expected) in cases {
            assert_eq!(judged(rules, approval, cmd), expected, "{cmd}");
        }
    }

    #[test]
    fn messages_name_the_command_and_the_way_out() {
        let forbidden = |justification: Option<&str>| Judgement::Forbidden {
            justification: justification.map(str::to_string),
        };
        let rule = Judgement::RulePrompt {
            prefix: vec!["git".into(), "push".into()],
            justification: Some("pushes are reviewed".into()),
        };
        let dangerous = Judgement::Dangerous("`rm -f` deletes without asking");
        assert_eq!(
            [
                refusal_message(
                    Refusal::Forbidden,
                    &forbidden(Some("use `trash`")),
                    "rm -rf x"
                ),
                refusal_message(Refusal::Forbidden, &forbidden(None), "curl x"),
                refusal_message(Refusal::NeedsApproval, &rule, "git push"),
                refusal_message(Refusal::NeedsApproval, &dangerous, "rm -f x"),
            ],
            [
                "`rm -rf x` rejected: use `trash`".to_string(),
                "`curl x` rejected: blocked by policy".to_string(),
                "`git push` requires approval by a rule (pushes are reviewed), but the approval \
                 policy is `never`, so it was not run; do the task another way or ask the user \
                 to run it"
                    .to_string(),
                "`rm -f x` needs approval because it looks destructive (`rm -f` deletes without \
                 asking), but the approval policy is `never`, so it was not run; do the task \
                 another way or ask the user to run it"
                    .to_string(),
            ]
        );
        assert_eq!(
            [
                ask_justification(&rule, "git push", Some("to publish".into())),
                ask_justification(&dangerous, "rm -f x", None),
                ask_justification(
                    &Judgement::Unmatched,
                    "touch a",
                    Some("needs a file".into())
                ),
            ],
            [
                Some("`git push` requires approval: pushes are reviewed".to_string()),
                Some("`rm -f x` looks destructive: `rm -f` deletes without asking".to_string()),
                Some("needs a file".to_string()),
            ]
        );
    }
}
