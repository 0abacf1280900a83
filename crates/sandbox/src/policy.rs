//! What a confined command may touch, and the writable roots a policy
//! resolves to on this host.

use duet_protocol::SandboxMode;
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// Folders directly under a writable root that stay read-only, whether or
/// not they exist yet: a command that could write `.git/hooks` or
/// `.git/config` would get code run outside the sandbox by the next `git`.
pub const PROTECTED_FOLDERS: [&str; 3] = [".git", ".duet", ".agents"];

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SandboxPolicy {
    /// No confinement at all.
    DangerFullAccess,
    /// Read anything, write nothing, no network.
    ReadOnly,
    /// Read anything; write `writable_roots`, `/tmp` and `$TMPDIR` (but not
    /// `.git`, `.duet` and `.agents` directly under them).
    ///
    /// `writable_roots` must list the session's working directory itself:
    /// the directory a command runs in is never made writable on its own,
    /// so a model-chosen `workdir` cannot widen the policy.
    WorkspaceWrite {
        writable_roots: Vec<PathBuf>,
        network_access: bool,
        exclude_tmpdir_env_var: bool,
        exclude_slash_tmp: bool,
    },
}

/// Why a directory is writable, which decides how strictly its protected
/// folders can be kept read-only by the Landlock backend (see `landlock.rs`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum RootKind {
    /// The working directory or an extra root (`writable_roots`, `--add-dir`).
    Workspace,
    /// `/tmp` or `$TMPDIR`.
    Temp,
}

/// A writable root resolved on this host: canonical, existing, a directory.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WritableRoot {
    pub path: PathBuf,
    pub kind: RootKind,
}

impl SandboxPolicy {
    pub fn mode(&self) -> SandboxMode {
        match self {
            SandboxPolicy::DangerFullAccess => SandboxMode::DangerFullAccess,
            SandboxPolicy::ReadOnly => SandboxMode::ReadOnly,
            SandboxPolicy::WorkspaceWrite { .. } => SandboxMode::WorkspaceWrite,
        }
    }

    /// Whether confined commands get no network: every mode but
    /// `danger-full-access` and `workspace-write` with `network_access`.
    pub fn network_disabled(&self) -> bool {
        match self {
            SandboxPolicy::DangerFullAccess => false,
            SandboxPolicy::ReadOnly => true,
            SandboxPolicy::WorkspaceWrite { network_access, .. } => !network_access,
        }
    }

    /// The directories a confined command may write, in policy order
    /// (`writable_roots`, then `/tmp`, then `tmpdir`), each resolved through
    /// symlinks. Missing roots and roots that are not directories are
    /// dropped, which only ever removes access; a directory listed twice
    /// keeps its first kind, so a workspace that is also `$TMPDIR` keeps its
    /// protected folders. Empty for `read-only` and `danger-full-access`.
    /// A root that is no longer the directory it resolved to the first time
    /// in this process is dropped too ([`SandboxPolicy::resolve_roots`]).
    pub fn resolved_writable_roots(&self, tmpdir: Option<&Path>) -> Vec<WritableRoot> {
        self.resolve_roots(tmpdir).0
    }

    /// [`SandboxPolicy::resolved_writable_roots`], and why each root that
    /// changed identity was dropped.
    ///
    /// Each root is pinned the first time this process resolves it: its
    /// real path, device and inode. A command confined in a root that lies
    /// inside another writable root (a workspace under `/tmp`) can rename
    /// it and put a symlink to `/` in its place; resolved again, the root
    /// would then be `/`. A pinned root that now resolves elsewhere, or to
    /// another directory, is not granted, and the spawn path refuses to run
    /// rather than guess (`changed`).
    pub(crate) fn resolve_roots(&self, tmpdir: Option<&Path>) -> (Vec<WritableRoot>, Vec<String>) {
        let SandboxPolicy::WorkspaceWrite {
            writable_roots,
            exclude_tmpdir_env_var,
            exclude_slash_tmp,
            ..
        } = self
        else {
            return (Vec::new(), Vec::new());
        };
        let mut candidates: Vec<(&Path, RootKind)> = writable_roots
            .iter()
            .map(|root| (root.as_path(), RootKind::Workspace))
            .collect();
        if !exclude_slash_tmp {
            candidates.push((Path::new("/tmp"), RootKind::Temp));
        }
        if !exclude_tmpdir_env_var && let Some(tmpdir) = tmpdir.filter(|dir| dir.is_absolute()) {
            candidates.push((tmpdir, RootKind::Temp));
        }
        let mut roots: Vec<WritableRoot> = Vec::new();
        let mut changed = Vec::new();
        for (configured, kind) in candidates {
            let path = match pinned_root(configured) {
                Ok(Some(path)) => path,
                Ok(None) => continue,
                Err(why) => {
                    changed.push(why);
                    continue;
                }
            };
            if roots.iter().any(|root| root.path == path) {
                continue;
            }
            roots.push(WritableRoot { path, kind });
        }
        (roots, changed)
    }
}

/// A root's identity when first resolved in this process.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Pin {
    real: PathBuf,
    device: u64,
    inode: u64,
}

/// Roots resolved so far in this process, by the path as configured.
static PINS: Mutex<Option<HashMap<PathBuf, Pin>>> = Mutex::new(None);

/// The real path of the directory `configured` names, pinned on first use:
/// `Ok(None)` when it is missing or not a directory, `Err` (with why) when
/// it no longer is the directory it was first.
fn pinned_root(configured: &Path) -> Result<Option<PathBuf>, String> {
    let Ok(real) = configured.canonicalize() else {
        return Ok(None);
    };
    let Ok(metadata) = std::fs::metadata(&real) else {
        return Ok(None);
    };
    if !metadata.is_dir() {
        return Ok(None);
    }
    let now = Pin {
        real,
        device: metadata.dev(),
        inode: metadata.ino(),
    };
    let mut pins = PINS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let pins = pins.get_or_insert_with(HashMap::new);
    match pins.get(configured) {
        None => {
            pins.insert(configured.to_path_buf(), now.clone());
            Ok(Some(now.real))
        }
        Some(first) if *first == now => Ok(Some(now.real)),
        Some(first) => Err(format!(
            "the writable root `{}` is no longer the directory it was when duet first used it \
             (`{}`, now `{}`): it was moved or replaced, possibly by a command; duet will not \
             guess where commands may write, so check the directory and start duet again",
            configured.display(),
            first.real.display(),
            now.real.display()
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn workspace_write(roots: Vec<PathBuf>, slash_tmp: bool, tmpdir: bool) -> SandboxPolicy {
        SandboxPolicy::WorkspaceWrite {
            writable_roots: roots,
            network_access: false,
            exclude_tmpdir_env_var: !tmpdir,
            exclude_slash_tmp: !slash_tmp,
        }
    }

    #[test]
    fn roots_are_canonical_deduplicated_and_existing() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let work = base.join("work");
        let tmp = base.join("tmp");
        std::fs::create_dir(&work).unwrap();
        std::fs::create_dir(&tmp).unwrap();
        std::os::unix::fs::symlink(&work, base.join("link")).unwrap();
        std::fs::write(base.join("file"), "").unwrap();
        let policy = workspace_write(
            vec![
                base.join("link"),
                work.clone(),
                base.join("missing"),
                base.join("file"),
                tmp.clone(),
            ],
            false,
            true,
        );
        assert_eq!(
            policy.resolved_writable_roots(Some(&tmp)),
            vec![
                WritableRoot {
                    path: work,
                    kind: RootKind::Workspace
                },
                WritableRoot {
                    path: tmp,
                    kind: RootKind::Workspace
                },
            ]
        );
    }

    #[test]
    fn slash_tmp_and_tmpdir_follow_the_exclusions() {
        let tmpdir = tempfile::tempdir().unwrap();
        let tmpdir_path = tmpdir.path().canonicalize().unwrap();
        let slash_tmp = Path::new("/tmp").canonicalize().unwrap();
        let cases = [
            (true, true, vec![slash_tmp.clone(), tmpdir_path.clone()]),
            (true, false, vec![slash_tmp]),
            (false, true, vec![tmpdir_path]),
            (false, false, vec![]),
        ];
        for (with_slash_tmp, with_tmpdir, expected) in cases {
            let policy = workspace_write(Vec::new(), with_slash_tmp, with_tmpdir);
            let got: Vec<PathBuf> = policy
                .resolved_writable_roots(Some(tmpdir.path()))
                .into_iter()
                .map(|root| {
                    assert_eq!(root.kind, RootKind::Temp);
                    root.path
                })
                .collect();
            assert_eq!(
                got, expected,
                "slash_tmp={with_slash_tmp} tmpdir={with_tmpdir}"
            );
        }
    }

    #[test]
    fn only_workspace_write_has_roots_and_network_follows_the_mode() {
        let cases = [
            (SandboxPolicy::DangerFullAccess, false),
            (SandboxPolicy::ReadOnly, true),
            (workspace_write(Vec::new(), true, true), true),
        ];
        for (policy, network_disabled) in cases {
            assert_eq!(policy.network_disabled(), network_disabled, "{policy:?}");
        }
        assert_eq!(
            SandboxPolicy::ReadOnly.resolved_writable_roots(Some(Path::new("/tmp"))),
            Vec::new()
        );
        let with_network = SandboxPolicy::WorkspaceWrite {
            writable_roots: Vec::new(),
            network_access: true,
            exclude_tmpdir_env_var: true,
            exclude_slash_tmp: true,
        };
        assert!(!with_network.network_disabled());
    }
}

/// The `.git` entries of the repositories nested in `root` that git itself
/// enters: each submodule's (from `.gitmodules`, and from the
/// `core.worktree` of every module under `.git/modules`, nested modules
/// included) and each linked worktree's (`.git/worktrees/*/gitdir`), when
/// they lie inside `root`. A command that could rewrite `sub/.git` (a file
/// naming the submodule's git directory) could point it at a directory of
/// its own making, whose `core.fsmonitor` the user's next `git status` in
/// the root would run outside the sandbox: they are protected like `.git`.
///
/// Read from the files each time, and remembered for the rest of this
/// process, so a command that edits `.gitmodules` cannot take a path off
/// the list. Missing entries are listed too (an unpopulated submodule must
/// not gain one).
pub fn nested_git_entries(root: &Path) -> Vec<PathBuf> {
    static SEEN: Mutex<Option<HashMap<PathBuf, std::collections::BTreeSet<PathBuf>>>> =
        Mutex::new(None);
    let found = read_nested_git_entries(root);
    let mut seen = SEEN.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    let known = seen
        .get_or_insert_with(HashMap::new)
        .entry(root.to_path_buf())
        .or_default();
    known.extend(found);
    known.iter().cloned().collect()
}

/// At most this many modules are read per root (a repository with more
/// has them all listed in `.gitmodules` anyway).
const MAX_MODULES: usize = 10_000;

fn read_nested_git_entries(root: &Path) -> Vec<PathBuf> {
    let git_dir = root.join(".git");
    if !git_dir.is_dir() {
        return Vec::new();
    }
    let mut worktrees = Vec::new();
    if let Ok(text) = std::fs::read_to_string(root.join(".gitmodules")) {
        for line in text.lines() {
            if let Some(path) = config_value(line, "path") {
                worktrees.push(root.join(path));
            }
        }
    }
    let mut pending = vec![git_dir.join("modules")];
    let mut modules = 0;
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.filter_map(Result::ok) {
            let module = entry.path();
            if modules >= MAX_MODULES || !entry.file_type().is_ok_and(|kind| kind.is_dir()) {
                continue;
            }
            match std::fs::read_to_string(module.join("config")) {
                Ok(config) => {
                    modules += 1;
                    if let Some(worktree) = config.lines().find_map(|l| config_value(l, "worktree"))
                    {
                        worktrees.push(module.join(worktree));
                    }
                    pending.push(module.join("modules"));
                }
                // A module named with slashes (`a/b`) is a folder of folders.
                Err(_) => pending.push(module),
            }
        }
    }
    let mut entries: Vec<PathBuf> = worktrees
        .into_iter()
        .map(|worktree| lexical(&worktree).join(".git"))
        .collect();
    if let Ok(linked) = std::fs::read_dir(git_dir.join("worktrees")) {
        for entry in linked.filter_map(Result::ok) {
            if let Ok(text) = std::fs::read_to_string(entry.path().join("gitdir")) {
                entries.push(lexical(Path::new(text.trim())));
            }
        }
    }
    let root_git = root.join(".git");
    entries.retain(|entry| entry.starts_with(root) && *entry != root_git && entry != root);
    entries.sort();
    entries.dedup();
    entries
}

/// The value of `key = value` on a git config line (`None` for others).
fn config_value<'a>(line: &'a str, key: &str) -> Option<&'a str> {
    let (name, value) = line.split_once('=')?;
    (name.trim() == key).then(|| value.trim().trim_matches('"'))
}

/// `path` with `.` and `..` folded lexically.
fn lexical(path: &Path) -> PathBuf {
    let mut folded = PathBuf::new();
    for component in path.components() {
        match component {
            std::path::Component::ParentDir => {
                folded.pop();
            }
            std::path::Component::CurDir => {}
            other => folded.push(other),
        }
    }
    folded
}

#[cfg(test)]
mod nested_tests {
    use super::*;
    use pretty_assertions::assert_eq;

    #[test]
    fn submodules_and_linked_worktrees_are_found_from_git_s_own_files() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        let write = |path: &str, text: &str| {
            let path = root.join(path);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, text).unwrap();
        };
        write(
            ".gitmodules",
            "[submodule \"lib\"]\n\tpath = vendor/lib\n\turl = ../lib\n",
        );
        write(
            ".git/modules/lib/config",
            "[core]\n\tworktree = ../../../vendor/lib\n",
        );
        write(
            ".git/modules/lib/modules/deep/config",
            "[core]\n\tworktree = ../../../../../vendor/lib/deep\n",
        );
        write(
            ".git/modules/a/b/config",
            "[core]\n\tworktree = ../../../../ab\n",
        );
        write(
            ".git/modules/out/config",
            "[core]\n\tworktree = ../../../../../elsewhere\n",
        );
        write(
            ".git/worktrees/wt/gitdir",
            &format!("{}\n", root.join("wt/.git").display()),
        );
        write(".git/worktrees/far/gitdir", "/somewhere/else/.git\n");
        assert_eq!(
            nested_git_entries(&root),
            vec![
                root.join("ab/.git"),
                root.join("vendor/lib/.git"),
                root.join("vendor/lib/deep/.git"),
                root.join("wt/.git"),
            ]
        );
        // Taking a path out of `.gitmodules` does not unprotect it.
        write(".gitmodules", "");
        std::fs::remove_dir_all(root.join(".git/modules")).unwrap();
        assert_eq!(nested_git_entries(&root).len(), 4);
    }

    #[test]
    fn a_root_without_a_git_directory_has_none() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(".gitmodules"), "path = x\n").unwrap();
        assert_eq!(nested_git_entries(dir.path()), Vec::<PathBuf>::new());
    }
}
