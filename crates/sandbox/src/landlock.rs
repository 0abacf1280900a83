//! The Landlock backend: filesystem rules for hosts without user
//! namespaces, applied by the command's own process right before `exec`.
//!
//! Reading and executing are allowed everywhere; writing only beneath the
//! writable roots, and the protected folders (`.git`, `.duet`, `.agents`
//! directly under each writable root) stay read-only whether or not they
//! exist. Landlock rights are inherited down the tree and cannot be taken
//! back below, so any right that writes or creates, granted on a root `R`,
//! would also reach `R/.git`. The rule set is therefore built by
//! [`write_grants`]:
//!
//! - a directory with no protected path beneath it gets every right on its
//!   whole subtree;
//! - a directory with a protected path beneath it (a *blocked* directory:
//!   each workspace root, and every directory between a root and a protected
//!   path) gets no write right of its own; instead each entry in it gets
//!   rights by the same two rules (a file gets the file rights: write,
//!   truncate), except the protected paths themselves and symlinks, which
//!   get nothing (their targets are judged on their own);
//! - a temp root (`/tmp`, `$TMPDIR`, the host's `/dev/shm`) gets no grant:
//!   listing its many entries for every command would cost more than it
//!   saves.
//!
//! Every root also grants making Unix sockets on its whole tree (`bind`
//! cannot go through the entry service; a socket file is inert).
//!
//! What Landlock cannot allow this way (making, removing and renaming
//! entries in a blocked directory, writing in a temp root) the supervisor's
//! entry service does on the command's behalf, by the same policy
//! (`entries.rs`), so a command can write what it could write under
//! bubblewrap. Beyond that, the limits of this backend:
//! - A protected name that is a symlink is protected at its target as well
//!   (a dangling one at the missing target's place), so it cannot be
//!   created through the link.
//! - `/dev/null`, `/dev/zero`, `/dev/full`, `/dev/random`, `/dev/urandom`,
//!   `/dev/tty`, `/dev/ptmx` and `/dev/pts/*` stay writable; device ioctls
//!   are not restricted (but `TIOCSTI` is refused by seccomp).
//! - ABI 1 cannot move or link files between directories at all (`REFER`
//!   arrived in ABI 2); before ABI 3 `truncate(2)` is not a Landlock right,
//!   so the seccomp filter refuses it everywhere; before ABI 6 a command can
//!   signal any process of the same user (ABI 6 scopes signals to the
//!   sandbox). There is no pid namespace: the helper supervises the command
//!   from outside its domain and kills what it leaves behind
//!   (`supervise.rs`).
//!
//! The rule set must be enforced in full (`RulesetStatus::FullyEnforced`,
//! with every requested right a hard requirement) or the command does not
//! run.
#![cfg(target_os = "linux")]

use crate::policy::PROTECTED_FOLDERS;
use crate::{RootKind, WritableRoot};
use landlock::{
    ABI, Access, AccessFs, BitFlags, CompatLevel, Compatible, PathBeneath, PathFd, Ruleset,
    RulesetAttr, RulesetCreated, RulesetCreatedAttr, RulesetStatus, Scope,
};
use std::fs::File;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Component, Path, PathBuf};

/// A grant: a whole subtree, or one non-directory file (writes in a root,
/// or reads around hidden files).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Grant {
    Tree(PathBuf),
    File(PathBuf),
}

/// Devices every command may open for writing.
const WRITABLE_DEVICES: [&str; 7] = [
    "/dev/null",
    "/dev/zero",
    "/dev/full",
    "/dev/random",
    "/dev/urandom",
    "/dev/tty",
    "/dev/ptmx",
];

/// The paths that must stay read-only: each protected name under each
/// writable root, the `.git` entries of the repositories git enters from
/// it ([`crate::nested_git_entries`]) and `extra` ones, and the target of
/// any of those that is a symlink.
pub fn protected_paths(roots: &[WritableRoot], extra: &[PathBuf]) -> Vec<PathBuf> {
    let mut protected = Vec::new();
    let mut add = |path: PathBuf| {
        if let (Ok(target), Some(dir)) = (std::fs::read_link(&path), path.parent()) {
            protected.push(resolve_target(dir, &target));
        }
        protected.push(path);
    };
    for root in roots {
        for name in PROTECTED_FOLDERS {
            add(root.path.join(name));
        }
        for nested in crate::nested_git_entries(&root.path) {
            add(nested);
        }
    }
    for path in extra {
        add(path.clone());
    }
    protected.sort();
    protected.dedup();
    protected
}

/// Where a symlink in `dir` pointing at `target` leads: its existing part
/// resolved through symlinks, the missing rest appended lexically.
fn resolve_target(dir: &Path, target: &Path) -> PathBuf {
    let joined = dir.join(target);
    let mut existing = PathBuf::from("/");
    let mut rest: Vec<Component<'_>> = Vec::new();
    for component in joined.components() {
        match component {
            Component::RootDir | Component::Prefix(_) | Component::CurDir => {}
            Component::ParentDir if rest.is_empty() => {
                existing.pop();
            }
            Component::ParentDir => {
                rest.pop();
            }
            Component::Normal(_) if rest.is_empty() => {
                let next = existing.join(component);
                match next.canonicalize() {
                    Ok(canonical) => existing = canonical,
                    Err(_) => rest.push(component),
                }
            }
            Component::Normal(_) => rest.push(component),
        }
    }
    rest.iter().fold(existing, |path, part| path.join(part))
}

/// The write grants for `roots` with `protected` kept read-only (see the
/// module docs). A workspace root inside another workspace root is covered
/// by it; a temp root gets none (its entries are many and short-lived, so
/// listing them for every command would cost more than the supervisor's
/// entry service, which handles everything written there), but a workspace
/// root inside it is granted on its own.
pub fn write_grants(roots: &[WritableRoot], protected: &[PathBuf]) -> Vec<Grant> {
    let mut grants = Vec::new();
    for root in roots.iter().filter(|root| root.kind == RootKind::Workspace) {
        let nested = roots.iter().any(|other| {
            other.kind == RootKind::Workspace
                && other.path != root.path
                && root.path.starts_with(&other.path)
        });
        if !nested {
            grant_dir(&root.path, protected, &mut grants);
        }
    }
    grants
}

fn grant_dir(dir: &Path, protected: &[PathBuf], grants: &mut Vec<Grant>) {
    if protected.iter().any(|path| path == dir) {
        return;
    }
    if !protected.iter().any(|path| path.starts_with(dir)) {
        grants.push(Grant::Tree(dir.to_path_buf()));
        return;
    }
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut entries: Vec<(PathBuf, std::fs::FileType)> = entries
        .filter_map(Result::ok)
        .filter_map(|entry| Some((entry.path(), entry.file_type().ok()?)))
        .collect();
    entries.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, file_type) in entries {
        if file_type.is_symlink() || protected.contains(&path) {
            continue;
        }
        if file_type.is_dir() {
            grant_dir(&path, protected, grants);
        } else {
            grants.push(Grant::File(path));
        }
    }
}

/// The Landlock rule set for `roots` with the kernel's Landlock `abi`,
/// created but not yet applied: the helper builds it, outside the sandbox,
/// and the command's process applies it to itself with [`restrict`] just
/// before `exec`, so the helper that supervises the command stays outside
/// the command's domain (the command can neither signal it nor read its
/// memory or environment through `/proc`, Landlock's ptrace scoping).
pub fn prepare(
    abi: i32,
    roots: &[WritableRoot],
    protected: &[PathBuf],
    hidden: &[PathBuf],
) -> Result<RulesetCreated, String> {
    let abi = ABI::from(abi);
    if abi == ABI::Unsupported {
        return Err("Landlock is not supported by this kernel".to_string());
    }
    let handled = AccessFs::from_all(abi) & !(AccessFs::IoctlDev | AccessFs::ResolveUnix);
    let read = AccessFs::from_read(abi);
    let file_write = AccessFs::from_file(abi) & handled;
    let device = file_write & !AccessFs::Execute;
    let to_text = |error: landlock::RulesetError| error.to_string();

    let mut ruleset = Ruleset::default()
        .set_compatibility(CompatLevel::HardRequirement)
        .handle_access(handled)
        .map_err(to_text)?;
    if abi >= ABI::V6 {
        ruleset = ruleset.scope(Scope::Signal).map_err(to_text)?;
    }
    let mut created = ruleset.create().map_err(to_text)?;
    let mut rules: Vec<(File, BitFlags<AccessFs>)> = Vec::new();
    let hidden = hideable(hidden, roots);
    if hidden.is_empty() {
        created = created
            .add_rule(PathBeneath::new(
                PathFd::new("/").map_err(|error| error.to_string())?,
                read,
            ))
            .map_err(to_text)?;
    } else {
        // Every directory may be listed; files are read through the
        // grants around the hidden ones.
        created = created
            .add_rule(PathBeneath::new(
                PathFd::new("/").map_err(|error| error.to_string())?,
                AccessFs::ReadDir,
            ))
            .map_err(to_text)?;
        let file_read = read & AccessFs::from_file(abi);
        for grant in read_grants(&hidden) {
            let opened = match &grant {
                Grant::Tree(path) => open_path(path, true).map(|file| (file, read)),
                Grant::File(path) => open_path(path, false).map(|file| (file, file_read)),
            };
            rules.extend(opened);
        }
    }
    for device_path in WRITABLE_DEVICES {
        if let Some(file) = open_path(Path::new(device_path), false) {
            rules.push((file, device));
        }
    }
    if let Some(pts) = open_path(Path::new("/dev/pts"), true) {
        rules.push((pts, device));
    }
    // Unix sockets may be made anywhere beneath a root, new folders
    // included, where the entry service cannot make them for the command
    // (`bind` is the command's own socket). A socket is inert on disk: it
    // cannot replace an existing file, and git neither runs nor reads one,
    // so one in a protected folder changes nothing that runs outside.
    for root in roots {
        if let Some(file) = open_path(&root.path, true) {
            rules.push((file, AccessFs::MakeSock.into()));
        }
    }
    for grant in write_grants(roots, protected) {
        let opened = match &grant {
            Grant::Tree(path) => open_path(path, true).map(|file| (file, handled)),
            Grant::File(path) => open_path(path, false).map(|file| (file, file_write)),
        };
        rules.extend(opened);
    }
    for (file, access) in rules {
        created = created
            .add_rule(PathBeneath::new(file, access))
            .map_err(to_text)?;
    }
    Ok(created)
}

/// The hidden files Landlock can keep unread: those on whose way from `/`
/// no directory is (inside) a writable or temp root. Landlock grants read
/// by listing what sits beside the way at the start of the command, so a
/// file made later in a directory on the way could not be read; in a root
/// that would break ordinary work, so a file there stays readable (logged).
fn hideable(hidden: &[PathBuf], roots: &[WritableRoot]) -> Vec<PathBuf> {
    hidden
        .iter()
        .filter(|path| {
            let in_root = roots.iter().any(|root| path.starts_with(&root.path));
            if in_root {
                log::warn!(
                    "{} is inside a writable root, so Landlock cannot keep commands from reading it",
                    path.display()
                );
            }
            !in_root
        })
        .cloned()
        .collect()
}

/// The read grants that cover everything but `hidden`: from `/` down, each
/// entry beside the way to a hidden file is granted whole (a directory as
/// a tree), the directories on the way are walked into, and the hidden
/// files themselves get nothing; the walk of [`write_grants`] around
/// protected folders. Symlinks get no grant: what they point to is checked
/// at its own path.
pub fn read_grants(hidden: &[PathBuf]) -> Vec<Grant> {
    let mut grants = Vec::new();
    grant_dir(Path::new("/"), hidden, &mut grants);
    grants
}

/// Apply a [`prepare`]d rule set to the calling thread (and everything it
/// will run), with `PR_SET_NO_NEW_PRIVS`. Errors unless every rule is
/// enforced.
pub fn restrict(ruleset: RulesetCreated) -> Result<(), String> {
    let status = ruleset.restrict_self().map_err(|error| error.to_string())?;
    if status.ruleset != RulesetStatus::FullyEnforced {
        return Err(format!(
            "the Landlock rules were only {:?} by this kernel",
            status.ruleset
        ));
    }
    Ok(())
}

/// An `O_PATH` descriptor for `path`, without following a final symlink,
/// and only if it is (or is not) a directory as expected: an entry swapped
/// for a symlink between listing and opening gets no rule.
fn open_path(path: &Path, directory: bool) -> Option<File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_PATH | libc::O_NOFOLLOW | libc::O_CLOEXEC)
        .open(path)
        .ok()?;
    let file_type = file.metadata().ok()?.file_type();
    (!file_type.is_symlink() && file_type.is_dir() == directory).then_some(file)
}

#[cfg(test)]
mod tests {
    use super::*;
    use pretty_assertions::assert_eq;

    fn root(path: &Path, kind: RootKind) -> WritableRoot {
        WritableRoot {
            path: path.to_path_buf(),
            kind,
        }
    }

    #[test]
    fn a_workspace_root_is_granted_entry_by_entry_around_its_protected_folders() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let work = base.join("work");
        for sub in ["src", ".git/hooks", "target"] {
            std::fs::create_dir_all(work.join(sub)).unwrap();
        }
        std::fs::write(work.join("Cargo.toml"), "").unwrap();
        std::os::unix::fs::symlink("/etc", work.join("etc-link")).unwrap();
        let roots = [root(&work, RootKind::Workspace)];
        let protected = protected_paths(&roots, &[]);
        assert_eq!(
            protected,
            vec![work.join(".agents"), work.join(".duet"), work.join(".git")]
        );
        assert_eq!(
            write_grants(&roots, &protected),
            vec![
                Grant::File(work.join("Cargo.toml")),
                Grant::Tree(work.join("src")),
                Grant::Tree(work.join("target")),
            ]
        );
    }

    #[test]
    fn a_temp_root_gets_no_grant_but_a_workspace_inside_it_does() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let tmp = base.join("tmp");
        let work = tmp.join("ws");
        std::fs::create_dir_all(work.join("src")).unwrap();
        std::fs::create_dir_all(tmp.join("other")).unwrap();
        std::fs::write(tmp.join("loose"), "").unwrap();

        let alone = [root(&tmp, RootKind::Temp)];
        assert_eq!(
            protected_paths(&alone, &[]),
            vec![tmp.join(".agents"), tmp.join(".duet"), tmp.join(".git")]
        );
        assert_eq!(write_grants(&alone, &protected_paths(&alone, &[])), vec![]);

        let both = [root(&work, RootKind::Workspace), root(&tmp, RootKind::Temp)];
        assert_eq!(
            write_grants(&both, &protected_paths(&both, &[])),
            vec![Grant::Tree(work.join("src"))]
        );
    }

    #[test]
    fn reads_are_granted_around_a_hidden_file_and_nowhere_else() {
        let base = tempfile::tempdir().unwrap();
        let base = base.path().canonicalize().unwrap();
        let home = base.join("home");
        std::fs::create_dir_all(home.join("logs")).unwrap();
        std::fs::write(home.join("auth.json"), "{}").unwrap();
        std::fs::write(home.join("config.toml"), "").unwrap();
        std::fs::write(base.join("beside"), "").unwrap();
        let grants = read_grants(&[home.join("auth.json")]);
        // Beside the way at every level: granted; the way and the file: not.
        assert!(grants.contains(&Grant::File(home.join("config.toml"))));
        assert!(grants.contains(&Grant::Tree(home.join("logs"))));
        assert!(grants.contains(&Grant::File(base.join("beside"))));
        assert!(grants.contains(&Grant::Tree(PathBuf::from("/usr"))));
        for path in [
            home.join("auth.json"),
            home.clone(),
            base.clone(),
            PathBuf::from("/"),
        ] {
            assert!(
                !grants.iter().any(|grant| matches!(grant, Grant::Tree(granted) | Grant::File(granted) if granted == &path)),
                "{} was granted",
                path.display()
            );
        }
        // A hidden file inside a root cannot be hidden by Landlock.
        assert_eq!(
            hideable(
                &[home.join("auth.json")],
                &[root(&base, RootKind::Workspace)]
            ),
            Vec::<PathBuf>::new()
        );
    }

    #[test]
    fn a_symlinked_protected_name_is_protected_at_its_target_too() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let work = base.join("work");
        std::fs::create_dir_all(work.join("sub")).unwrap();
        std::fs::create_dir_all(work.join("free")).unwrap();
        std::os::unix::fs::symlink("sub/missing/git", work.join(".git")).unwrap();
        let roots = [root(&work, RootKind::Workspace)];
        let protected = protected_paths(&roots, &[]);
        assert_eq!(
            protected,
            vec![
                work.join(".agents"),
                work.join(".duet"),
                work.join(".git"),
                work.join("sub/missing/git"),
            ]
        );
        // `sub` holds the missing target's place: it is blocked, so
        // `sub/missing` cannot be created; `free` is granted whole.
        assert_eq!(
            write_grants(&roots, &protected),
            vec![Grant::Tree(work.join("free"))]
        );
    }
}
