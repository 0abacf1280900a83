//! In-process speed of applying patches, for the targets of issue 3:
//! 1,000 one-line chunks on a 100,000-line file (≤ 5 ms) and a 10-hunk
//! patch on a 1,000-line file (≤ 200 µs). Each iteration is the whole
//! `apply_patch` work (parse, read, place, write through a temporary file
//! and rename) on a fresh copy of the file; restoring the copy is not timed.
//! `plan` adds what core does on top: the unified diff of every change.
//!
//!     cargo bench -p duet-apply-patch --bench apply

use criterion::{BatchSize, Criterion, criterion_group, criterion_main};
use duet_apply_patch::{parse_patch, plan, run_standalone};
use std::ffi::OsString;
use std::fs;
use std::hint::black_box;
use std::path::Path;

/// A file of `lines` distinct lines, and a patch changing every
/// `lines / chunks`-th one, one `-`/`+` pair per chunk.
fn case(lines: usize, chunks: usize) -> (String, String) {
    let text: String = (0..lines)
        .map(|index| format!("    let value_{index:06} = compute({index});\n"))
        .collect();
    let mut patch = String::from("*** Begin Patch\n*** Update File: big.rs\n");
    let step = lines / chunks;
    for chunk in 0..chunks {
        let index = chunk * step + step / 2;
        patch.push_str(&format!(
            "@@\n-    let value_{index:06} = compute({index});\n+    let value_{index:06} = compute({index}) + 1;\n"
        ));
    }
    patch.push_str("*** End Patch\n");
    (text, patch)
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
        let (text, patch) = case(lines, chunks);
        c.bench_function(&format!("apply_patch/{name}"), |b| {
            b.iter_batched(
                || fs::write(&file, &text).expect("reset the file"),
                |()| standalone(dir.path(), black_box(&patch)),
                BatchSize::PerIteration,
            )
        });
        let parsed = parse_patch(&patch).expect("the bench patch parses");
        c.bench_function(&format!("plan_with_diffs/{name}"), |b| {
            fs::write(&file, &text).expect("reset the file");
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
