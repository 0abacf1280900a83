//! Speed of the rules engine (docs/performance.md `## execpolicy`): loading
//! 1,000 rules, checking 10,000 argvs against them, and the shell-aware
//! path for scripts.

#![allow(clippy::unwrap_used)]

use criterion::{Criterion, criterion_group, criterion_main};
use duet_execpolicy::{Decision, EvalOptions, Policy, evaluate_script};
use std::hint::black_box;
use std::path::{Path, PathBuf};

/// 1,000 `prefix_rule` calls over 200 programs, a third with alternatives
/// and a justification, as a large team file might look.
fn thousand_rules() -> String {
    let mut source = String::from("# generated\n");
    for i in 0..1000 {
        let program = format!("tool{}", i % 200);
        let decision = ["allow", "prompt", "forbidden"][i % 3];
        if i % 3 == 0 {
            source.push_str(&format!(
                "prefix_rule(pattern = [\"{program}\", [\"sub{i}\", \"alt{i}\"], \"--flag\"], decision = \"{decision}\", justification = \"rule {i}\")\n"
            ));
        } else {
            source.push_str(&format!(
                "prefix_rule(pattern = [\"{program}\", \"sub{i}\"], decision = \"{decision}\")\n"
            ));
        }
    }
    source
}

/// 10,000 argvs: some match a rule, some share a program but no rule, some
/// name programs no rule mentions.
fn ten_thousand_commands() -> Vec<Vec<String>> {
    (0..10_000)
        .map(|i| match i % 3 {
            0 => vec![
                format!("tool{}", i % 200),
                format!("sub{}", i % 1000),
                "--flag".into(),
            ],
            1 => vec![
                format!("tool{}", i % 200),
                "other".into(),
                "file.txt".into(),
            ],
            _ => vec!["unknown".into(), "x".into()],
        })
        .collect()
}

fn benches(c: &mut Criterion) {
    let source = thousand_rules();
    c.bench_function("load 1,000 rules", |b| {
        b.iter(|| {
            let mut policy = Policy::empty();
            policy
                .add_source(Path::new("bench.rules"), black_box(&source))
                .unwrap();
            policy
        })
    });

    let mut policy = Policy::empty();
    policy
        .add_source(Path::new("bench.rules"), &source)
        .unwrap();
    let commands = ten_thousand_commands();
    c.bench_function("check 10,000 argvs against 1,000 rules", |b| {
        b.iter(|| {
            let mut matched = 0;
            for argv in &commands {
                matched += policy.check(black_box(argv), true).len();
            }
            matched
        })
    });

    let cwd = PathBuf::from("/work/repo");
    let roots = [cwd.clone()];
    let options = EvalOptions {
        cwd: &cwd,
        writable_roots: &roots,
        unmatched: Decision::Prompt,
    };
    let script = "FOO=1 tool3 sub3 --flag | grep x && cat <<EOF > out.txt\nhi $(tool4 other)\nEOF";
    c.bench_function("evaluate one shell script (tree-sitter)", |b| {
        b.iter(|| evaluate_script(&policy, black_box(script), &options))
    });
}

criterion_group!(execpolicy, benches);
criterion_main!(execpolicy);
