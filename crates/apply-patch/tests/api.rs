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
