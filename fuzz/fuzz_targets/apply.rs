//! The applier on a real temporary tree: no panic on any input, and a
//! failed patch leaves the tree exactly as it was.
//!
//! Input: `FILE \0 PATCH` (without a NUL the whole input is the patch and
//! `f.txt` has a fixed text). The first byte of FILE picks the entry point:
//! even for `apply` (with diffs), odd for `run_standalone` (streaming).
//! Patches that would touch anything outside the temporary tree are skipped
//! (the standalone tool writes wherever a patch says).

#![no_main]

use duet_apply_patch::{affected_paths, apply, parse_patch, run_standalone};
use libfuzzer_sys::fuzz_target;
use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

fn root() -> &'static Path {
    static ROOT: OnceLock<PathBuf> = OnceLock::new();
    ROOT.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir").keep();
        dir.canonicalize().expect("canonical temp dir")
    })
}

fn snapshot(dir: &Path, tree: &mut BTreeMap<PathBuf, Option<Vec<u8>>>) {
    for entry in fs::read_dir(dir).expect("readable dir") {
        let path = entry.expect("entry").path();
        if path.is_dir() {
            tree.insert(path.clone(), None);
            snapshot(&path, tree);
        } else {
            tree.insert(path.clone(), Some(fs::read(&path).expect("readable file")));
        }
    }
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (file, patch_text) = text.split_once('\0').unwrap_or(("alpha\nbeta\r\ngamma", text));
    let work = root().join("work");
    let _ = fs::remove_dir_all(&work);
    fs::create_dir_all(work.join("sub")).expect("work dir");
    fs::write(work.join("f.txt"), file).expect("f.txt");
    fs::write(work.join("sub/g.txt"), "one\r\ntwo\r\nthree\r\n").expect("g.txt");
    let Ok(patch) = parse_patch(patch_text) else {
        return;
    };
    if affected_paths(&patch, &work)
        .iter()
        .any(|path| !path.starts_with(&work) || path == &work)
    {
        return;
    }
    let mut before = BTreeMap::new();
    snapshot(&work, &mut before);
    let failed = if file.as_bytes().first().is_some_and(|byte| byte % 2 == 1) {
        let (mut out, mut err) = (Vec::new(), Vec::new());
        let args = [std::ffi::OsString::from(patch_text)];
        run_standalone(&args, &mut &b""[..], &mut out, &mut err, &work) != 0
    } else {
        apply(&patch, &work).is_err()
    };
    if failed {
        let mut after = BTreeMap::new();
        snapshot(&work, &mut after);
        assert!(before == after, "a failed patch changed the tree");
    }
});
