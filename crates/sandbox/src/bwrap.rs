//! The bubblewrap backend: the `bwrap` command line for a policy, and the
//! empty mount points that keep missing protected folders read-only.
//!
//! Layout inside the sandbox, in mount order: `/` bound read-only; a fresh
//! `/dev`; each writable root bound back read-write; then each protected
//! folder (`.git`, `.duet`, `.agents` directly under every writable root)
//! bound read-only over itself, or, when it does not exist, an empty
//! read-only tmpfs mounted on a directory duet creates on the host just for
//! the run and removes afterwards ([`ProtectedMounts`]); then `/dev/null`
//! over each hidden file (the saved API keys). New user, pid and
//! ipc namespaces, a new net namespace when the network is off, a fresh
//! `/proc` whose kernel knobs (`/proc/sys` and friends) are read-only,
//! every capability dropped, a new session (so `TIOCSTI` cannot
//! reach the caller's terminal), and death with the parent. Inside, the
//! seccomp helper runs and then `exec`s the command.
//!
//! [`bwrap_args`] is a pure function of its inputs; only
//! [`ProtectedMounts::prepare`] looks at (and changes) the filesystem.

use crate::policy::PROTECTED_FOLDERS;
use crate::{SandboxError, WritableRoot};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, MutexGuard};

/// Parts of `/proc` that are bound read-only over the sandbox's own.
const PROC_READ_ONLY: [&str; 4] = ["/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus"];

/// A protected folder and how to keep it read-only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProtectedMount {
    /// It exists (possibly as the symlink's target): bind it read-only over
    /// itself.
    Existing(PathBuf),
    /// It did not exist: an empty read-only tmpfs on this (empty) mount
    /// point, which duet created and removes when the command ends.
    Empty(PathBuf),
}

/// Everything [`bwrap_args`] needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BwrapInputs<'a> {
    pub network_disabled: bool,
    /// Canonical writable roots (empty for `read-only`).
    pub writable_roots: &'a [PathBuf],
    pub protected: &'a [ProtectedMount],
    /// Existing files no command may read: `/dev/null` is bound over each.
    pub hidden: &'a [PathBuf],
    /// The command's working directory.
    pub cwd: &'a Path,
    /// What bwrap runs: the helper and its arguments, then the command.
    pub command: &'a [String],
}

/// The complete argument list for `bwrap` (without the program name).
pub fn bwrap_args(inputs: &BwrapInputs<'_>) -> Vec<String> {
    let mut args: Vec<String> = [
        "--new-session",
        "--die-with-parent",
        "--ro-bind",
        "/",
        "/",
        "--dev",
        "/dev",
    ]
    .map(String::from)
    .to_vec();
    // Every root is its own mount, outer ones first, even a root inside
    // another (a workspace under `/tmp`): a mount point cannot be renamed
    // (`EBUSY`), so a command cannot move the workspace away and put a
    // symlink in its place for later commands to resolve.
    let mut roots: Vec<&PathBuf> = Vec::new();
    for root in inputs.writable_roots {
        if !roots.contains(&root) {
            roots.push(root);
        }
    }
    roots.sort_by_key(|root| root.components().count());
    for root in roots {
        let root = root.display().to_string();
        args.extend(["--bind".to_string(), root.clone(), root]);
    }
    for mount in inputs.protected {
        match mount {
            ProtectedMount::Existing(path) => {
                let path = path.display().to_string();
                args.extend(["--ro-bind".to_string(), path.clone(), path]);
            }
            ProtectedMount::Empty(path) => {
                let path = path.display().to_string();
                args.extend([
                    "--perms".to_string(),
                    "555".to_string(),
                    "--tmpfs".to_string(),
                    path.clone(),
                    "--remount-ro".to_string(),
                    path,
                ]);
            }
        }
    }
    // Last, so no later bind brings them back.
    for path in inputs.hidden {
        let path = path.display().to_string();
        args.extend(["--ro-bind".to_string(), "/dev/null".to_string(), path]);
    }
    args.extend(["--unshare-user", "--unshare-pid", "--unshare-ipc"].map(String::from));
    if inputs.network_disabled {
        args.push("--unshare-net".to_string());
    }
    args.extend(["--proc", "/proc"].map(String::from));
    // Kernel knobs under the fresh /proc stay read-only (opening
    // `core_pattern` for writing must fail even where writing would).
    for knob in PROC_READ_ONLY {
        args.extend(["--ro-bind-try", knob, knob].map(String::from));
    }
    args.extend(["--cap-drop", "ALL", "--chdir"].map(String::from));
    args.push(inputs.cwd.display().to_string());
    args.push("--".to_string());
    args.extend(inputs.command.iter().cloned());
    args
}

/// Mount points duet created for missing protected folders, shared by the
/// commands of this process that use them. Each path counts its users; the
/// last one to finish removes the directory (only if still empty, and only
/// if no other duet process uses it: see [`Ticket`]).
static CREATED_MOUNT_POINTS: Mutex<Option<HashMap<PathBuf, Claim>>> = Mutex::new(None);

/// This process's use of one mount point.
#[derive(Debug)]
struct Claim {
    users: usize,
    ticket: Option<Ticket>,
}

fn created_mount_points() -> MutexGuard<'static, Option<HashMap<PathBuf, Claim>>> {
    CREATED_MOUNT_POINTS
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The protected folders of one command; dropping it releases the mount
/// points it created or shared. Drop it only once the command has ended.
#[derive(Debug, Default)]
pub struct ProtectedMounts {
    pub mounts: Vec<ProtectedMount>,
    created: Vec<PathBuf>,
}

impl ProtectedMounts {
    /// Whether mount points were created that must be removed when the
    /// command ends (so whoever started it must outlive it).
    pub fn needs_cleanup(&self) -> bool {
        !self.created.is_empty()
    }

    /// Decide, for every protected folder of every writable root, how to
    /// keep it read-only, creating an empty mount point for each missing one.
    ///
    /// A protected name that is a symlink is protected at its target; a
    /// symlink whose target does not exist cannot be kept read-only (the
    /// command could create the target) and fails the command.
    ///
    /// `state_dir` ([`crate::Sandbox::state_dir`]) holds the registry of
    /// mount points shared with other duet processes; without it they are
    /// shared in-process only.
    pub fn prepare(
        roots: &[WritableRoot],
        state_dir: Option<&Path>,
    ) -> Result<ProtectedMounts, SandboxError> {
        let mut prepared = ProtectedMounts::default();
        let registry = state_dir.map(|dir| dir.join("mount-points"));
        let registry = registry.as_deref();
        for root in roots {
            for name in PROTECTED_FOLDERS {
                let path = root.path.join(name);
                prepared.add(&path, registry)?;
            }
            // The `.git` of each submodule and linked worktree inside: kept
            // read-only, or (missing, in a folder that exists) unmakeable.
            // One whose folder is missing too is left: creating the folder
            // would change the user's tree.
            for nested in crate::nested_git_entries(&root.path) {
                let in_existing_folder = nested.parent().is_some_and(Path::is_dir);
                if in_existing_folder || std::fs::symlink_metadata(&nested).is_ok() {
                    prepared.add(&nested, registry)?;
                }
            }
        }
        Ok(prepared)
    }

    fn add(&mut self, path: &Path, tickets: Option<&Path>) -> Result<(), SandboxError> {
        let mut registry = created_mount_points();
        let registry = registry.get_or_insert_with(HashMap::new);
        if let Some(claim) = registry.get_mut(path) {
            claim.users += 1;
            self.created.push(path.to_path_buf());
            self.mounts.push(ProtectedMount::Empty(path.to_path_buf()));
            return Ok(());
        }
        // An empty mount point another duet made (still in use, or left by
        // a killed one): share it, and remove it when the last user is done.
        if let Some(ticket) = tickets.and_then(|registry| Ticket::join(path, registry)) {
            registry.insert(
                path.to_path_buf(),
                Claim {
                    users: 1,
                    ticket: Some(ticket),
                },
            );
            self.created.push(path.to_path_buf());
            self.mounts.push(ProtectedMount::Empty(path.to_path_buf()));
            return Ok(());
        }
        match std::fs::symlink_metadata(path) {
            Ok(meta) if meta.file_type().is_symlink() => match path.canonicalize() {
                Ok(target) => self.mounts.push(ProtectedMount::Existing(target)),
                Err(_) => {
                    return Err(SandboxError::Unenforceable {
                        mode: crate::SandboxMode::WorkspaceWrite,
                        reason: format!(
                            "`{}` is a symlink to a missing path, which a command could create \
                             and write; remove the symlink or create its target",
                            path.display()
                        ),
                    });
                }
            },
            Ok(_) => self
                .mounts
                .push(ProtectedMount::Existing(path.to_path_buf())),
            Err(_) => match std::fs::create_dir(path) {
                Ok(()) => {
                    registry.insert(
                        path.to_path_buf(),
                        Claim {
                            users: 1,
                            ticket: tickets.and_then(|registry| Ticket::issue(path, registry)),
                        },
                    );
                    self.created.push(path.to_path_buf());
                    self.mounts.push(ProtectedMount::Empty(path.to_path_buf()));
                }
                // Someone else made it just now: protect what is there.
                Err(error) if error.kind() == std::io::ErrorKind::AlreadyExists => {
                    self.mounts
                        .push(ProtectedMount::Existing(path.to_path_buf()));
                }
                // We cannot create it, and the command (same user, fewer
                // rights) cannot either: nothing to protect.
                Err(_) => {}
            },
        }
        Ok(())
    }
}

impl Drop for ProtectedMounts {
    fn drop(&mut self) {
        let mut registry = created_mount_points();
        let Some(registry) = registry.as_mut() else {
            return;
        };
        for path in self.created.drain(..) {
            let Some(claim) = registry.get_mut(&path) else {
                continue;
            };
            claim.users -= 1;
            if claim.users == 0
                && let Some(claim) = registry.remove(&path)
            {
                match claim.ticket {
                    Some(ticket) => ticket.release(&path),
                    // Fails harmlessly if someone has since put files in it.
                    None => {
                        let _ = std::fs::remove_dir(&path);
                    }
                }
            }
        }
    }
}

/// A mount point's entry in the registry all duet processes of this user
/// share (`$DUET_HOME/tmp/mount-points/`, one file per mount point, holding
/// its path): each process using the mount point holds a shared `flock` on
/// it. The last user (the one that gets an exclusive lock) removes the
/// directory, so a mount point is never removed under another duet whose
/// command relies on it; a killed duet's lock goes with it, so its leftover
/// is reused and removed by the next duet to run a command there, or swept
/// when a duet process first prepares mounts. Without a registry directory
/// (the sandbox crate's own tests), mount points are shared in-process only.
#[derive(Debug)]
struct Ticket {
    file: std::fs::File,
    entry: PathBuf,
}

impl Ticket {
    /// The file of `mount_point` in `registry`.
    fn entry(mount_point: &Path, registry: &Path) -> PathBuf {
        use std::hash::{Hash, Hasher};
        let mut hasher = std::collections::hash_map::DefaultHasher::new();
        mount_point.hash(&mut hasher);
        registry.join(format!("{:016x}", hasher.finish()))
    }

    /// Record a mount point this process just created.
    fn issue(mount_point: &Path, registry: &Path) -> Option<Ticket> {
        sweep_stale_once(registry);
        let entry = Self::entry(mount_point, registry);
        std::fs::create_dir_all(entry.parent()?).ok()?;
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(false)
            .open(&entry)
            .ok()?;
        file.lock_shared().ok()?;
        std::fs::write(&entry, mount_point.as_os_str().as_encoded_bytes()).ok()?;
        Some(Ticket { file, entry })
    }

    /// Share the mount point another duet recorded, if `mount_point` is
    /// one (an empty directory with a registry entry naming it).
    fn join(mount_point: &Path, registry: &Path) -> Option<Ticket> {
        sweep_stale_once(registry);
        let entry = Self::entry(mount_point, registry);
        let file = std::fs::OpenOptions::new()
            .read(true)
            .write(true)
            .open(&entry)
            .ok()?;
        file.lock_shared().ok()?;
        // Removed meanwhile by its last user: not ours to share.
        let named = std::fs::read(&entry).ok()?;
        let still_there = std::fs::read_dir(mount_point)
            .ok()
            .is_some_and(|mut entries| entries.next().is_none());
        (named == mount_point.as_os_str().as_encoded_bytes() && still_there)
            .then_some(Ticket { file, entry })
    }

    /// This process is done with the mount point: remove it if nobody else
    /// uses it.
    fn release(self, mount_point: &Path) {
        if self.file.try_lock().is_ok() {
            let _ = std::fs::remove_dir(mount_point);
            let _ = std::fs::remove_file(&self.entry);
        }
    }
}

/// Remove the mount points whose duet is gone (killed before it could),
/// once per process: an empty protected folder left in a repository, or in
/// `/tmp`, where an empty `.git` made every folder look like a repository.
fn sweep_stale_once(registry: &Path) {
    static SWEPT: std::sync::Once = std::sync::Once::new();
    SWEPT.call_once(|| sweep_stale(registry));
}

/// Remove every mount point recorded in `registry` whose users are all
/// gone, with its entry.
fn sweep_stale(registry: &Path) {
    let Ok(entries) = std::fs::read_dir(registry) else {
        return;
    };
    for entry in entries.flatten() {
        let Ok(file) = std::fs::OpenOptions::new().read(true).open(entry.path()) else {
            continue;
        };
        if file.try_lock().is_err() {
            continue;
        }
        let Ok(named) = std::fs::read(entry.path()) else {
            continue;
        };
        let mount_point = PathBuf::from(String::from_utf8_lossy(&named).into_owned());
        // Only ever an empty protected folder: the entry is duet's own
        // file, but nothing else is removed on its word.
        let protected_name = mount_point
            .file_name()
            .is_some_and(|name| PROTECTED_FOLDERS.iter().any(|folder| name == *folder));
        if protected_name {
            let _ = std::fs::remove_dir(&mount_point);
        }
        let _ = std::fs::remove_file(entry.path());
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RootKind;
    use pretty_assertions::assert_eq;

    fn strings(words: &[&str]) -> Vec<String> {
        words.iter().map(|word| word.to_string()).collect()
    }

    #[test]
    fn read_only_binds_nothing_writable_and_cuts_the_network() {
        let command = strings(&["/usr/bin/duet", "--duet-linux-sandbox", "--", "true"]);
        let args = bwrap_args(&BwrapInputs {
            network_disabled: true,
            writable_roots: &[],
            protected: &[],
            hidden: &[],
            cwd: Path::new("/work/repo"),
            command: &command,
        });
        assert_eq!(
            args,
            strings(&[
                "--new-session",
                "--die-with-parent",
                "--ro-bind",
                "/",
                "/",
                "--dev",
                "/dev",
                "--unshare-user",
                "--unshare-pid",
                "--unshare-ipc",
                "--unshare-net",
                "--proc",
                "/proc",
                "--ro-bind-try",
                "/proc/sys",
                "/proc/sys",
                "--ro-bind-try",
                "/proc/sysrq-trigger",
                "/proc/sysrq-trigger",
                "--ro-bind-try",
                "/proc/irq",
                "/proc/irq",
                "--ro-bind-try",
                "/proc/bus",
                "/proc/bus",
                "--cap-drop",
                "ALL",
                "--chdir",
                "/work/repo",
                "--",
                "/usr/bin/duet",
                "--duet-linux-sandbox",
                "--",
                "true",
            ])
        );
    }

    #[test]
    fn workspace_write_binds_roots_then_protects_folders() {
        let command = strings(&["/usr/bin/duet", "--", "sh"]);
        let roots = [PathBuf::from("/work/repo"), PathBuf::from("/tmp")];
        let protected = [
            ProtectedMount::Existing(PathBuf::from("/work/repo/.git")),
            ProtectedMount::Empty(PathBuf::from("/work/repo/.duet")),
        ];
        let args = bwrap_args(&BwrapInputs {
            network_disabled: false,
            writable_roots: &roots,
            protected: &protected,
            hidden: &[PathBuf::from("/home/u/.duet/auth.json")],
            cwd: Path::new("/work/repo/sub"),
            command: &command,
        });
        assert_eq!(
            args,
            strings(&[
                "--new-session",
                "--die-with-parent",
                "--ro-bind",
                "/",
                "/",
                "--dev",
                "/dev",
                "--bind",
                "/tmp",
                "/tmp",
                "--bind",
                "/work/repo",
                "/work/repo",
                "--ro-bind",
                "/work/repo/.git",
                "/work/repo/.git",
                "--perms",
                "555",
                "--tmpfs",
                "/work/repo/.duet",
                "--remount-ro",
                "/work/repo/.duet",
                "--ro-bind",
                "/dev/null",
                "/home/u/.duet/auth.json",
                "--unshare-user",
                "--unshare-pid",
                "--unshare-ipc",
                "--proc",
                "/proc",
                "--ro-bind-try",
                "/proc/sys",
                "/proc/sys",
                "--ro-bind-try",
                "/proc/sysrq-trigger",
                "/proc/sysrq-trigger",
                "--ro-bind-try",
                "/proc/irq",
                "/proc/irq",
                "--ro-bind-try",
                "/proc/bus",
                "/proc/bus",
                "--cap-drop",
                "ALL",
                "--chdir",
                "/work/repo/sub",
                "--",
                "/usr/bin/duet",
                "--",
                "sh",
            ])
        );
    }

    #[test]
    fn a_root_inside_another_is_bound_after_it_and_nothing_twice() {
        let command = strings(&["true"]);
        let roots = [
            PathBuf::from("/tmp/repo"),
            PathBuf::from("/tmp"),
            PathBuf::from("/tmp/repo-2"),
            PathBuf::from("/tmp"),
            PathBuf::from("/work/extra"),
        ];
        let args = bwrap_args(&BwrapInputs {
            network_disabled: true,
            writable_roots: &roots,
            protected: &[],
            hidden: &[],
            cwd: Path::new("/tmp/repo"),
            command: &command,
        });
        let binds: Vec<&str> = args
            .windows(2)
            .filter(|pair| pair[0] == "--bind")
            .map(|pair| pair[1].as_str())
            .collect();
        assert_eq!(
            binds,
            vec!["/tmp", "/tmp/repo", "/tmp/repo-2", "/work/extra"]
        );
    }

    #[test]
    fn missing_folders_get_mount_points_that_are_removed_with_the_last_user() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().canonicalize().unwrap();
        std::fs::create_dir(root.join(".git")).unwrap();
        let roots = [WritableRoot {
            path: root.clone(),
            kind: RootKind::Workspace,
        }];
        let first = ProtectedMounts::prepare(&roots, None).unwrap();
        assert_eq!(
            first.mounts,
            vec![
                ProtectedMount::Existing(root.join(".git")),
                ProtectedMount::Empty(root.join(".duet")),
                ProtectedMount::Empty(root.join(".agents")),
            ]
        );
        // A second command while the first runs shares the mount points.
        let second = ProtectedMounts::prepare(&roots, None).unwrap();
        assert_eq!(second.mounts, first.mounts);
        drop(first);
        assert!(root.join(".duet").is_dir(), "still used by the second");
        drop(second);
        let mut left: Vec<String> = std::fs::read_dir(&root)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, vec![".git".to_string()]);
    }

    #[test]
    fn a_symlinked_folder_is_protected_at_its_target_and_a_dangling_one_fails() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let root = base.join("root");
        std::fs::create_dir_all(base.join("real-git")).unwrap();
        std::fs::create_dir(&root).unwrap();
        std::os::unix::fs::symlink(base.join("real-git"), root.join(".git")).unwrap();
        std::fs::create_dir(root.join(".duet")).unwrap();
        std::fs::create_dir(root.join(".agents")).unwrap();
        let roots = [WritableRoot {
            path: root.clone(),
            kind: RootKind::Workspace,
        }];
        let mounts = ProtectedMounts::prepare(&roots, None).unwrap();
        assert_eq!(
            mounts.mounts,
            vec![
                ProtectedMount::Existing(base.join("real-git")),
                ProtectedMount::Existing(root.join(".duet")),
                ProtectedMount::Existing(root.join(".agents")),
            ]
        );
        std::fs::remove_dir(base.join("real-git")).unwrap();
        let error = ProtectedMounts::prepare(&roots, None).unwrap_err();
        assert_eq!(
            error.to_string(),
            format!(
                "cannot enforce the `workspace-write` sandbox on this host (`{}/.git` is a \
                 symlink to a missing path, which a command could create and write; remove the \
                 symlink or create its target), so the command was not run; fix the cause named \
                 here, or rerun with `--sandbox danger-full-access` to run commands without \
                 confinement",
                root.display()
            )
        );
    }

    /// Issue 16, item 13: a killed duet left its empty mount points behind
    /// (and an empty `/tmp/.git` made every folder look like a repository).
    /// A registry entry nobody holds is swept with its empty folder; a held
    /// one, a non-empty folder and a name that is not a protected folder
    /// are left alone.
    #[test]
    fn stale_mount_points_are_swept_and_live_ones_kept() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().canonicalize().unwrap();
        let registry = base.join("registry");
        std::fs::create_dir(&registry).unwrap();
        let record = |name: &str, mount_point: &Path| {
            std::fs::write(
                registry.join(name),
                mount_point.as_os_str().as_encoded_bytes(),
            )
            .unwrap();
        };
        for folder in ["stale/.duet", "live/.agents", "full/.git", "other/plain"] {
            std::fs::create_dir_all(base.join(folder)).unwrap();
        }
        std::fs::write(base.join("full/.git/HEAD"), "ref: refs/heads/main\n").unwrap();
        record("a", &base.join("stale/.duet"));
        record("b", &base.join("live/.agents"));
        record("c", &base.join("full/.git"));
        record("d", &base.join("other/plain"));
        let live = std::fs::File::open(registry.join("b")).unwrap();
        live.lock_shared().unwrap();
        sweep_stale(&registry);
        let exists = |folder: &str| base.join(folder).exists();
        assert_eq!(
            [
                exists("stale/.duet"),
                exists("live/.agents"),
                exists("full/.git"),
                exists("other/plain")
            ],
            [false, true, true, true]
        );
        let mut left: Vec<String> = std::fs::read_dir(&registry)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(left, vec!["b".to_string()]);
    }
}
