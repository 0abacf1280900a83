//! The shell splitter and the evaluator must decide on any script: no panic.
//! An unanalysable script must never come out `allow` by accident: a script
//! that does not parse is `prompt` at least.

#![no_main]

use duet_execpolicy::{Decision, EvalOptions, Policy, evaluate, evaluate_script};
use libfuzzer_sys::fuzz_target;
use std::path::PathBuf;

fuzz_target!(|data: &[u8]| {
    let Ok(script) = std::str::from_utf8(data) else { return };
    let mut policy = Policy::empty();
    policy
        .add_source(
            std::path::Path::new("fuzz.rules"),
            "prefix_rule([\"git\", \"status\"], \"allow\")\nprefix_rule([\"rm\", \"-rf\"], \"forbidden\")",
        )
        .expect("the fuzz rules load");
    let cwd = PathBuf::from("/work");
    let roots = [cwd.clone()];
    let options = EvalOptions { cwd: &cwd, writable_roots: &roots, unmatched: Decision::Allow };
    let evaluation = evaluate_script(&policy, script, &options);
    let parsed = duet_execpolicy::shell::parse_script(script);
    if !parsed.problems.is_empty() {
        assert!(evaluation.decision >= Decision::Prompt, "{script:?} -> {evaluation:?}");
    }
    let _ = duet_execpolicy::explain(&evaluation);
    let _ = evaluation.amendment();
    let argv = ["bash".to_owned(), "-lc".to_owned(), script.to_owned()];
    let _ = evaluate(&policy, &argv, &options);
});
