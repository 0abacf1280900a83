//! Every directory under `tests/fixtures/` is one case of the `apply_patch`
//! program, run in-process through [`run_standalone`]:
//!
//! - `before/`: the tree the patch runs against (absent = empty);
//! - `patch`: the patch text; `@ROOT@` stands for the absolute path of the
//!   temporary copy of `before/`;
//! - `after/`: the whole tree afterwards, compared file by file and byte by
//!   byte, directories included (absent = empty);
//! - `expected_output`: `exit N`, then a line `--- stdout` and the exact
//!   stdout, then a line `--- stderr` and the exact stderr (`@ROOT@` again
//!   stands for the root in both);
//! - optional `invoke`: `arg` (default: the patch is the one argument),
//!   `stdin`, `noargs` (no argument, empty stdin), `twoargs`;
//! - optional `cwd`: a directory under the root to run in (default: the root).
//!
//! `.gitattributes` there keeps git from touching line endings.

use duet_apply_patch::run_standalone;
use pretty_assertions::assert_eq;
use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};

#[test]
fn every_fixture() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let mut cases: Vec<PathBuf> = fs::read_dir(&root)
        .expect("tests/fixtures exists")
        .map(|entry| entry.expect("readable entry").path())
        .filter(|path| path.is_dir())
        .collect();
    cases.sort();
    assert!(cases.len() > 80, "only {} fixtures found", cases.len());
    let failed: Vec<String> = cases.iter().filter_map(|case| check(case).err()).collect();
    assert_eq!(failed, Vec::<String>::new());
}

/// What a run produced, or what a case expects.
#[derive(Debug, PartialEq, Eq)]
struct Outcome {
    exit: i32,
    stdout: String,
    stderr: String,
    tree: BTreeMap<String, Option<Vec<u8>>>,
}

fn check(case: &Path) -> Result<(), String> {
    let name = case
        .file_name()
        .expect("a name")
        .to_string_lossy()
        .into_owned();
    let work = tempfile::tempdir().expect("temp dir");
    let root = work.path().canonicalize().expect("canonical temp dir");
    copy_tree(&case.join("before"), &root);
    let root_text = root.to_str().expect("UTF-8 temp path");
    let patch = fs::read_to_string(case.join("patch"))
        .expect("a patch file")
        .replace("@ROOT@", root_text);
    let cwd = match fs::read_to_string(case.join("cwd")) {
        Ok(sub) => root.join(sub.trim()),
        Err(_) => root.clone(),
    };
    let invoke = fs::read_to_string(case.join("invoke")).unwrap_or_else(|_| "arg".to_owned());
    let (args, stdin): (Vec<OsString>, &str) = match invoke.trim() {
        "arg" => (vec![patch.clone().into()], ""),
        "stdin" => (vec![], &patch),
        "noargs" => (vec![], ""),
        "twoargs" => (vec![patch.clone().into(), "extra".into()], ""),
        other => panic!("{name}: unknown invoke {other:?}"),
    };
    let (mut stdout, mut stderr) = (Vec::new(), Vec::new());
    let exit = run_standalone(&args, &mut stdin.as_bytes(), &mut stdout, &mut stderr, &cwd);
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8 output");
    let got = Outcome {
        exit,
        stdout: text(stdout).replace(root_text, "@ROOT@"),
        stderr: text(stderr).replace(root_text, "@ROOT@"),
        tree: snapshot(&root),
    };
    let expected = expected(case);
    if got == expected {
        Ok(())
    } else {
        Err(format!(
            "{name}:\n  got      {got:?}\n  expected {expected:?}"
        ))
    }
}

fn expected(case: &Path) -> Outcome {
    let text = fs::read_to_string(case.join("expected_output")).expect("expected_output");
    let (exit, rest) = text.split_once('\n').expect("an exit line");
    let exit = exit
        .strip_prefix("exit ")
        .and_then(|code| code.parse().ok())
        .expect("`exit N` first");
    let rest = rest
        .strip_prefix("--- stdout\n")
        .expect("`--- stdout` second");
    let (stdout, stderr) = rest
        .split_once("--- stderr\n")
        .expect("a `--- stderr` line");
    let after = case.join("after");
    let tree = if after.exists() {
        snapshot(&after)
    } else {
        BTreeMap::new()
    };
    Outcome {
        exit,
        stdout: stdout.to_owned(),
        stderr: stderr.to_owned(),
        tree,
    }
}

/// Every file (with its bytes) and directory (`None`) under `root`.
fn snapshot(root: &Path) -> BTreeMap<String, Option<Vec<u8>>> {
    let mut tree = BTreeMap::new();
    let mut pending = vec![root.to_owned()];
    while let Some(dir) = pending.pop() {
        for entry in fs::read_dir(&dir).expect("readable dir") {
            let path = entry.expect("entry").path();
            let relative = path
                .strip_prefix(root)
                .expect("under root")
                .to_string_lossy()
                .into_owned();
            if path.is_dir() {
                tree.insert(format!("{relative}/"), None);
                pending.push(path);
            } else {
                tree.insert(relative, Some(fs::read(&path).expect("readable file")));
            }
        }
    }
    tree
}

fn copy_tree(from: &Path, to: &Path) {
    let Ok(entries) = fs::read_dir(from) else {
        return;
    };
    for entry in entries {
        let path = entry.expect("entry").path();
        let target = to.join(path.file_name().expect("a name"));
        if path.is_dir() {
            fs::create_dir_all(&target).expect("create dir");
            copy_tree(&path, &target);
        } else {
            fs::copy(&path, &target).expect("copy file");
        }
    }
}
