use super::fs::{Located, open_directory};
use super::request::{Memory, Task, read_string};
use super::*;
use crate::RootKind;
use std::os::unix::ffi::OsStrExt;

fn policy(base: &Path) -> EntryPolicy {
    let roots = [
        WritableRoot {
            path: base.join("ws"),
            kind: RootKind::Workspace,
        },
        WritableRoot {
            path: base.to_path_buf(),
            kind: RootKind::Temp,
        },
    ];
    EntryPolicy::new(&roots, crate::landlock::protected_paths(&roots, &[]))
}

#[test]
fn entries_beneath_a_root_are_writable_except_the_protected_ones() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(base.join("ws/.git")).unwrap();
    let policy = policy(&base);
    let ws = base.join("ws");
    for (path, writable, movable) in [
        (ws.join("new"), true, true),
        (ws.join("src/lib.rs"), true, true),
        (ws.join(".git"), false, false),
        (ws.join(".git/config"), false, false),
        (ws.join(".git/hooks/pre-commit"), false, false),
        (ws.join(".duet"), false, false),
        (ws.join(".agents/skills"), false, false),
        (ws.join(".github"), true, true),
        (ws.join("sub/.git"), true, true),
        // The workspace is inside the temp root: writable there, but
        // neither it nor the temp root's own protected names move.
        (ws.clone(), true, false),
        (base.join(".git"), false, false),
        (base.join("other"), true, true),
        (base.clone(), false, false),
        (base.parent().unwrap().join("sibling"), false, false),
        (PathBuf::from("/etc/passwd"), false, false),
    ] {
        assert_eq!(
            (policy.writable(&path), policy.movable(&path)),
            (writable, movable),
            "{}",
            path.display()
        );
    }
}

#[test]
fn a_path_is_split_into_a_directory_handle_and_a_name() {
    let dir = tempfile::tempdir().unwrap();
    let base = dir.path().canonicalize().unwrap();
    std::fs::create_dir_all(base.join("a/b")).unwrap();
    std::os::unix::fs::symlink("a", base.join("link")).unwrap();
    let root = OwnedFd::from(std::fs::File::open("/").unwrap());
    let from = open_directory(&root, base.as_os_str().as_bytes()).unwrap();
    let found = |path: &[u8], directory: bool| {
        Located::find_from(&from, path, directory).map(|entry| entry.path)
    };
    assert_eq!(found(b"new", false), Some(base.join("new")));
    assert_eq!(found(b"a/b/new", false), Some(base.join("a/b/new")));
    assert_eq!(found(b"link/new", false), Some(base.join("a/new")));
    assert_eq!(found(b"a/../link/b/x", false), Some(base.join("a/b/x")));
    assert_eq!(found(b"a/b/", true), Some(base.join("a/b")));
    assert_eq!(found(b"a/b/", false), None);
    assert_eq!(found(b"a/..", false), None);
    assert_eq!(found(b"a/.", false), None);
    assert_eq!(found(b"", false), None);
    assert_eq!(found(b"missing/new", false), None);
    let absolute = base.join("a/new");
    assert_eq!(
        found(absolute.as_os_str().as_bytes(), false),
        Some(absolute.clone())
    );
}

#[test]
fn proc_self_names_the_caller() {
    let task = Task {
        tid: 42,
        tgid: 42,
        umask: 0o22,
        filters: 1,
    };
    assert_eq!(task.own_proc(b"/proc/self/cwd/x"), b"/proc/42/cwd/x");
    assert_eq!(task.own_proc(b"/proc/self"), b"/proc/42");
    assert_eq!(
        task.own_proc(b"/proc/thread-self/fd/3"),
        b"/proc/42/task/42/fd/3"
    );
    assert_eq!(task.own_proc(b"/proc/selfish"), b"/proc/selfish");
    assert_eq!(task.own_proc(b"/dev/fd/63"), b"/proc/42/fd/63");
    assert_eq!(task.own_proc(b"proc/self/x"), b"proc/self/x");
}

#[test]
fn strings_are_read_up_to_their_nul_across_pages() {
    let memory = Memory {
        tid: std::process::id(),
    };
    let text = b"hello/world\0rest".to_vec();
    let address = text.as_ptr() as u64;
    assert_eq!(read_string(&memory, address), Some(b"hello/world".to_vec()));
    let long = vec![b'x'; PATH_MAX + 10];
    assert_eq!(read_string(&memory, long.as_ptr() as u64), None);
    assert_eq!(read_string(&memory, 0), None);
}
