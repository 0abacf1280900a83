//! A base directory for test fixtures that is not under `/tmp` or
//! `$TMPDIR`: those are writable roots themselves, so a workspace, `$HOME`
//! or sibling placed inside them would be writable for the wrong reason
//! and the probes would prove nothing. Cargo's per-target temp dir is used
//! when the checkout is not itself under a temp dir (CI may clone into
//! `/tmp`); otherwise `/var/tmp/duet-sandbox-tests`.

use std::path::{Path, PathBuf};

pub fn base() -> PathBuf {
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"));
    std::fs::create_dir_all(target).expect("create cargo's target temp dir");
    if !under_a_temp_root(target) {
        return target.to_path_buf();
    }
    let fallback = Path::new("/var/tmp/duet-sandbox-tests");
    std::fs::create_dir_all(fallback).expect("create /var/tmp/duet-sandbox-tests");
    assert!(
        !under_a_temp_root(fallback),
        "no directory outside /tmp and $TMPDIR for the sandbox fixtures: the checkout is under a \
         temp dir and /var/tmp resolves into one too; clone elsewhere or make /var/tmp a real directory"
    );
    fallback.to_path_buf()
}

fn under_a_temp_root(path: &Path) -> bool {
    let real = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
    let mut temp_roots = vec![PathBuf::from("/tmp")];
    if let Some(tmpdir) = std::env::var_os("TMPDIR").filter(|value| !value.is_empty()) {
        temp_roots.push(PathBuf::from(tmpdir));
    }
    temp_roots.iter().any(|root| {
        let root = root.canonicalize().unwrap_or_else(|_| root.clone());
        real.starts_with(&root)
    })
}
