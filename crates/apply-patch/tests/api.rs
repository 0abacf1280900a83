//! The library surface core uses: `affected_paths`, `plan` (diffs, nothing
//! written), `Plan::commit`, and the errors it can meet in between.

use duet_apply_patch::{
    AppliedChange, ChangeKind, Error, affected_paths, apply, parse_patch, plan,
};
use pretty_assertions::assert_eq;
use std::fs;
use std::path::{Path, PathBuf};

fn patch(text: &str) -> duet_apply_patch::Patch {
    parse_patch(text).expect("the test patch parses")
}

#[test]
fn affected_paths_are_resolved_folded_and_unique() {
    let patch = patch(
        "*** Begin Patch\n*** Add File: a/./new.txt\n+x\n*** Update File: ../up.txt\n\
         *** Move to: b/moved.txt\n@@\n-x\n*** Delete File: /abs/gone.txt\n\
         *** Update File: a/new.txt\n@@\n-x\n*** End Patch",
    );
    assert_eq!(
        affected_paths(&patch, Path::new("/w/project")),
        [
            PathBuf::from("/w/project/a/new.txt"),
            PathBuf::from("/w/up.txt"),
            PathBuf::from("/w/project/b/moved.txt"),
            PathBuf::from("/abs/gone.txt"),
        ]
    );
}

#[test]
fn plan_shows_every_change_with_its_diff_and_writes_nothing() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    fs::write(root.join("keep.txt"), "one\ntwo\n").expect("write");
    fs::write(root.join("old.txt"), "bye\n").expect("write");
    let patch = patch(
        "*** Begin Patch\n*** Add File: new.txt\n+hi\n*** Update File: keep.txt\n\
         *** Move to: kept.txt\n@@\n one\n-two\n+TWO\n*** Delete File: old.txt\n*** End Patch",
    );
    let planned = plan(&patch, root).expect("the patch checks");
    assert_eq!(
        planned.changes(),
        [
            AppliedChange {
                path: root.join("new.txt"),
                kind: ChangeKind::Add,
                unified_diff: "--- /dev/null\n+++ b/new.txt\n@@ -0,0 +1 @@\n+hi\n".to_owned(),
            },
            AppliedChange {
                path: root.join("keep.txt"),
                kind: ChangeKind::Update {
                    move_path: Some(root.join("kept.txt")),
                },
                unified_diff: "--- a/keep.txt\n+++ b/kept.txt\n@@ -1,2 +1,2 @@\n one\n-two\n+TWO\n"
                    .to_owned(),
            },
            AppliedChange {
                path: root.join("old.txt"),
                kind: ChangeKind::Delete,
                unified_diff: "--- a/old.txt\n+++ /dev/null\n@@ -1 +0,0 @@\n-bye\n".to_owned(),
            },
        ]
    );
    let summary = "Success. Updated the following files:\nA new.txt\nM kept.txt\nD old.txt\n";
    assert_eq!(planned.summary(), summary);
    assert_eq!(
        tree(root),
        [("keep.txt", "one\ntwo\n"), ("old.txt", "bye\n")].map(owned)
    );
    let applied = planned.commit().expect("the patch applies");
    assert_eq!(applied.summary, summary);
    assert_eq!(
        tree(root),
        [("kept.txt", "one\nTWO\n"), ("new.txt", "hi\n")].map(owned)
    );
}

#[test]
fn a_file_changed_after_planning_stops_the_commit() {
    let dir = tempfile::tempdir().expect("temp dir");
    let root = dir.path();
    fs::write(root.join("a.txt"), "a\n").expect("write");
    fs::write(root.join("b.txt"), "b\n").expect("write");
    let patch = patch(
        "*** Begin Patch\n*** Update File: a.txt\n@@\n-a\n+A\n*** Update File: b.txt\n@@\n-b\n+B\n\
         *** End Patch",
    );
    let planned = plan(&patch, root).expect("the patch checks");
    fs::write(root.join("b.txt"), "b and more\n").expect("write");
    let error = planned.commit().expect_err("b.txt changed");
    assert_eq!(
        error.to_string(),
        format!(
            "`{}` changed on disk after the patch was checked: nothing was written; read the file again and send a new patch",
            root.join("b.txt").display()
        )
    );
    assert!(matches!(error, Error::ChangedOnDisk { .. }));
    assert_eq!(
        tree(root),
        [("a.txt", "a\n"), ("b.txt", "b and more\n")].map(owned)
    );
}

#[cfg(unix)]
#[test]
fn an_update_keeps_the_file_mode() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().expect("temp dir");
    let script = dir.path().join("run.sh");
    fs::write(&script, "echo a\n").expect("write");
    fs::set_permissions(&script, fs::Permissions::from_mode(0o750)).expect("chmod");
    apply(
        &patch("*** Begin Patch\n*** Update File: run.sh\n@@\n-echo a\n+echo b\n*** End Patch"),
        dir.path(),
    )
    .expect("applies");
    let mode = fs::metadata(&script).expect("stat").permissions().mode() & 0o777;
    assert_eq!(
        (fs::read_to_string(&script).expect("read"), mode),
        ("echo b\n".to_owned(), 0o750)
    );
}

#[cfg(unix)]
#[test]
fn an_update_through_a_symlink_edits_the_target() {
    let dir = tempfile::tempdir().expect("temp dir");
    fs::write(dir.path().join("real.txt"), "x\n").expect("write");
    std::os::unix::fs::symlink("real.txt", dir.path().join("link.txt")).expect("symlink");
    apply(
        &patch("*** Begin Patch\n*** Update File: link.txt\n@@\n-x\n+y\n*** End Patch"),
        dir.path(),
    )
    .expect("applies");
    let link = fs::symlink_metadata(dir.path().join("link.txt")).expect("lstat");
    assert_eq!(
        (
            link.file_type().is_symlink(),
            fs::read_to_string(dir.path().join("real.txt")).expect("read")
        ),
        (true, "y\n".to_owned())
    );
}

fn owned((path, text): (&str, &str)) -> (String, String) {
    (path.to_owned(), text.to_owned())
}

/// The files directly in `dir`, sorted, with their text.
fn tree(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = fs::read_dir(dir)
        .expect("readable")
        .map(|entry| {
            let path = entry.expect("entry").path();
            let name = path
                .file_name()
                .expect("name")
                .to_string_lossy()
                .into_owned();
            (name, fs::read_to_string(&path).expect("text file"))
        })
        .collect();
    files.sort();
    files
}

/// Issue 16, item 2: a command running beside the patch swaps `sub/d`
/// between a directory and a symlink to a folder outside the scope. The
/// commit checks each real location and then writes through a directory
/// handle opened without following symlinks, so no file (and no staging
/// file) ever lands outside, however the swaps fall.
#[test]
fn a_directory_swapped_for_a_symlink_cannot_carry_a_commit_outside() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};
    let dir = tempfile::tempdir().expect("temp dir");
    let base = dir.path().canonicalize().expect("canonical");
    let root = base.join("root");
    let outside = base.join("outside");
    fs::create_dir_all(root.join("sub/d")).expect("dirs");
    fs::create_dir_all(&outside).expect("dirs");
    let scope = duet_apply_patch::WriteScope::new(std::slice::from_ref(&root), &[".git"]);
    let stop = Arc::new(AtomicBool::new(false));
    let swapper = {
        let (stop, sub, outside) = (Arc::clone(&stop), root.join("sub"), outside.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let _ = fs::rename(sub.join("d"), sub.join("d-real"));
                let _ = std::os::unix::fs::symlink(&outside, sub.join("d"));
                std::thread::yield_now();
                let _ = fs::remove_file(sub.join("d"));
                let _ = fs::rename(sub.join("d-real"), sub.join("d"));
            }
        })
    };
    for round in 0..300 {
        let text = format!("*** Begin Patch\n*** Add File: sub/d/f{round}.txt\n+x\n*** End Patch");
        // Applied inside, or refused: both are fine; landing outside is not.
        if let Ok(plan) = plan(&patch(&text), &root) {
            let _ = plan.commit_within(&scope);
        }
    }
    stop.store(true, Ordering::Relaxed);
    swapper.join().expect("swapper");
    let escaped: Vec<_> = fs::read_dir(&outside)
        .expect("outside")
        .map(|entry| entry.expect("entry").file_name())
        .collect();
    assert_eq!(escaped, Vec::<std::ffi::OsString>::new());
    // With the tree still, a patch of the same kind applies where it should
    // (on a loaded machine the swapper may have won every round above; a
    // round that met `sub/d` missing made a real `sub/d` of its own).
    let last = plan(
        &patch("*** Begin Patch\n*** Add File: sub/still/last.txt\n+x\n*** End Patch"),
        &root,
    )
    .expect("plan");
    last.commit_within(&scope)
        .expect("applies once the tree is still");
    assert_eq!(
        fs::read_to_string(root.join("sub/still/last.txt")).expect("written inside"),
        "x\n"
    );
}

#[test]
fn a_commit_outside_its_scope_writes_nothing_and_says_where() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = dir.path().canonicalize().expect("canonical");
    let root = base.join("root");
    fs::create_dir_all(root.join(".git")).expect("dirs");
    fs::write(root.join("a.txt"), "a\n").expect("write");
    std::os::unix::fs::symlink(root.join(".git"), root.join("g")).expect("symlink");
    let scope = duet_apply_patch::WriteScope::new(std::slice::from_ref(&root), &[".git"]);
    let plan = plan(
        &patch(
            "*** Begin Patch\n*** Update File: a.txt\n@@\n-a\n+b\n\
             *** Add File: g/hooks/pre-commit\n+#!/bin/sh\n*** End Patch",
        ),
        &root,
    )
    .expect("plan");
    let error = plan.commit_within(&scope).expect_err("refused");
    assert_eq!(
        error.to_string(),
        format!(
            "Refusing to write {}: its real location `{}` is outside the writable roots or \
             inside a protected folder\nthe 1 file(s) already written by this patch were \
             restored: no file was changed",
            root.join("g/hooks/pre-commit").display(),
            root.join(".git/hooks/pre-commit").display()
        )
    );
    assert_eq!(fs::read_to_string(root.join("a.txt")).expect("read"), "a\n");
    assert!(!root.join(".git/hooks").exists());
}

/// A file the user approved outside the roots may be written; nothing else
/// of the same patch outside them.
#[test]
fn an_approved_file_outside_the_roots_is_the_only_one_allowed() {
    let dir = tempfile::tempdir().expect("temp dir");
    let base = dir.path().canonicalize().expect("canonical");
    let root = base.join("root");
    let outside = base.join("outside");
    fs::create_dir_all(&root).expect("dirs");
    fs::create_dir_all(&outside).expect("dirs");
    let scope = duet_apply_patch::WriteScope::new(std::slice::from_ref(&root), &[".git"])
        .with_files(&[outside.join("approved.txt")]);
    let approved = plan(
        &patch("*** Begin Patch\n*** Add File: ../outside/approved.txt\n+ok\n*** End Patch"),
        &root,
    )
    .expect("plan");
    approved
        .commit_within(&scope)
        .expect("the approved file is written");
    let other = plan(
        &patch(
            "*** Begin Patch\n*** Add File: ../outside/approved.txt\n+again\n\
             *** Add File: ../outside/other.txt\n+no\n*** End Patch",
        ),
        &root,
    )
    .expect("plan");
    assert!(matches!(
        other.commit_within(&scope),
        Err(Error::OutsideScope { .. })
    ));
    assert_eq!(
        fs::read_to_string(outside.join("approved.txt")).expect("read"),
        "ok\n"
    );
    assert!(!outside.join("other.txt").exists());
}
