//! In-process speed of applying patches, for the targets of issue 3:
//! 1,000 one-line chunks on a 100,000-line file (≤ 5 ms) and a 10-hunk
//! patch on a 1,000-line file (≤ 200 µs). Each iteration is the whole
//! `apply_patch` work (parse, read, place, write through a temporary file
//! and rename); iterations alternate a patch and its reverse.
//! `plan` adds what core does on top: the unified diff of every change.
//!
//!     cargo bench -p duet-apply-patch --bench apply

use criterion::{Criterion, criterion_group, criterion_main};
use duet_apply_patch::{parse_patch, plan, run_standalone};
use std::ffi::OsString;
use std::fs;
use std::hint::black_box;
use std::path::Path;

/// A file of `lines` distinct lines, and two patches changing every
/// `lines / chunks`-th line, one `-`/`+` pair per chunk: the second undoes
/// the first, so alternating them applies a real patch every time.
fn case(lines: usize, chunks: usize) -> (String, [String; 2]) {
    let line = |index: usize, changed: bool| {
        let suffix = if changed { " + 1" } else { "" };
        format!("    let value_{index:06} = compute({index}){suffix};")
    };
    let text: String = (0..lines).map(|index| line(index, false) + "\n").collect();
    let step = lines / chunks;
    let patch = |forward: bool| {
        let mut patch = String::from("*** Begin Patch\n*** Update File: big.rs\n");
        for chunk in 0..chunks {
            let index = chunk * step + step / 2;
            let (old, new) = (line(index, !forward), line(index, forward));
            patch.push_str(&format!("@@\n-{old}\n+{new}\n"));
        }
        patch.push_str("*** End Patch\n");
        patch
    };
    (text, [patch(true), patch(false)])
}

fn standalone(dir: &Path, patch: &str) {
    let args = [OsString::from(patch)];
    let (mut out, mut err) = (Vec::new(), Vec::new());
    let code = run_standalone(&args, &mut &b""[..], &mut out, &mut err, dir);
    assert_eq!(code, 0, "{}", String::from_utf8_lossy(&err));
}

fn benches(c: &mut Criterion) {
    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("big.rs");
    for (name, lines, chunks) in [
        ("1000_chunks_100k_lines", 100_000, 1_000),
        ("10_hunks_1k_lines", 1_000, 10),
    ] {
        let (text, patches) = case(lines, chunks);
        fs::write(&file, &text).expect("write the file");
        let mut turn = 0;
        c.bench_function(&format!("apply_patch/{name}"), |b| {
            b.iter(|| {
                standalone(dir.path(), black_box(&patches[turn % 2]));
                turn += 1;
            })
        });
        fs::write(&file, &text).expect("reset the file");
        let parsed = parse_patch(&patches[0]).expect("the bench patch parses");
        c.bench_function(&format!("plan_with_diffs/{name}"), |b| {
            b.iter(|| plan(black_box(&parsed), dir.path()).expect("plans"))
        });
    }
}

criterion_group! {
    name = apply;
    config = Criterion::default().sample_size(30);
    targets = benches
}
criterion_main!(apply);
