//! Filesystem probes: where a confined command may write, and the ways
//! around a path rule (symlinks, hard links, `/proc`, renames, protected
//! folders that do not exist yet).
//!
//! Expectations are `[read-only, workspace-write, workspace-write + net]`.

use crate::fixture::{Fixture, ORIGINAL, listing};
use crate::harness::Expect::{A, D};
use crate::harness::{Attempt, Check, Needs, Probe, Script};

/// `sh` that runs `command` and reports whether it succeeded.
fn sh(command: &str) -> Script {
    Script::Sh(format!(
        "if {{ {command}; }}; then echo ALLOWED; else echo DENIED; fi"
    ))
}

fn exists(command: String, path: std::path::PathBuf) -> Attempt {
    Attempt {
        script: sh(&command),
        check: Check::PathExists(path),
    }
}

fn changes(command: String, path: std::path::PathBuf) -> Attempt {
    Attempt {
        script: sh(&command),
        check: Check::FileChanged(path, ORIGINAL.to_vec()),
    }
}

const fn probe(
    name: &'static str,
    expect: [crate::harness::Expect; 3],
    attempt: fn(&Fixture) -> Attempt,
) -> Probe {
    Probe {
        name,
        expect,
        control: A,
        needs: Needs::Nothing,
        landlock: None,
        attempt,
    }
}

/// Whether `command`'s output holds the fixture's saved key.
fn leaks_key(f: &Fixture, command: &str) -> Attempt {
    Attempt {
        script: Script::Sh(format!(
            "if {{ {command}; }} 2>/dev/null | grep -q {token}; then echo ALLOWED; else echo DENIED; fi",
            token = f.token()
        )),
        check: crate::harness::Check::Reported,
    }
}

pub const PROBES: &[Probe] = &[
    // The keys `duet login` saved are unreadable in every mode: bound over
    // by an empty file under bubblewrap, without a read rule under Landlock.
    probe("read_saved_api_keys", [D, D, D], |f| {
        leaks_key(
            f,
            &format!(
                "cat {keys}; cat /proc/self/root{keys}; cat /dev/fd/3 3<{keys}",
                keys = f.saved_keys().display()
            ),
        )
    }),
    probe("read_saved_api_keys_through_a_symlink", [D, D, D], |f| {
        leaks_key(
            f,
            &format!(
                "ln -sf {} keys; cat keys || cat {}/keys",
                f.saved_keys().display(),
                f.tmpdir.display()
            ),
        )
    }),
    // A hard link gives the file's inode a path inside a root: Landlock
    // refuses a link that would gain rights, and under bubblewrap the path
    // is an empty file on another mount.
    probe("read_saved_api_keys_through_a_hard_link", [D, D, D], |f| {
        leaks_key(
            f,
            &format!(
                "ln {keys} keys || ln {keys} sub/keys || ln {keys} {tmp}/keys; cat keys sub/keys {tmp}/keys",
                keys = f.saved_keys().display(),
                tmp = f.tmpdir.display()
            ),
        )
    }),
    probe(
        "read_saved_api_keys_by_copying_its_folder",
        [D, D, D],
        |f| {
            leaks_key(
                f,
                &format!(
                    "cp -r {} {}/copy && cat {}/copy/auth.json",
                    f.saved_keys().parent().expect("a parent").display(),
                    f.tmpdir.display(),
                    f.tmpdir.display()
                ),
            )
        },
    ),
    // Under Landlock, entries directly in a root that holds protected
    // folders are made by the supervisor's entry service (`entries.rs`).
    probe("create_file_in_cwd", [D, A, A], |f| {
        exists("echo x > probe.txt".into(), f.ws.join("probe.txt"))
    }),
    probe("mkdir_in_cwd", [D, A, A], |f| {
        exists(
            "mkdir -p target/debug && echo x > target/debug/out".into(),
            f.ws.join("target/debug/out"),
        )
    }),
    probe("edit_in_cwd_by_rename", [D, A, A], |f| {
        changes(
            "sed -i s/original/edited/ README.md".into(),
            f.ws.join("README.md"),
        )
    }),
    probe("remove_file_in_cwd", [D, A, A], |f| Attempt {
        script: sh("rm README.md"),
        check: Check::PathGone(f.ws.join("README.md")),
    }),
    probe("create_file_via_proc_self_cwd", [D, A, A], |f| {
        exists(
            "echo x > /proc/self/cwd/probe.txt".into(),
            f.ws.join("probe.txt"),
        )
    }),
    probe("truncate_call_in_cwd", [D, A, A], |f| Attempt {
        script: Script::Py("def go():\n    os.truncate('README.md', 0)\nattempt(go)\n".into()),
        check: Check::FileChanged(f.ws.join("README.md"), ORIGINAL.to_vec()),
    }),
    probe("rewrite_existing_file_in_cwd", [D, A, A], |f| {
        changes("echo x > README.md".into(), f.ws.join("README.md"))
    }),
    probe("write_cwd_subdir", [D, A, A], |f| {
        exists(
            "mkdir -p sub/deeper && echo x > sub/deeper/probe.txt".into(),
            f.ws.join("sub/deeper/probe.txt"),
        )
    }),
    probe("write_slash_tmp", [D, A, A], |f| {
        let path = f.shared("/tmp");
        exists(format!("echo x > '{}'", path.display()), path)
    }),
    probe("write_tmpdir_env", [D, A, A], |f| {
        exists(
            "echo x > \"$TMPDIR/probe.txt\"".into(),
            f.tmpdir.join("probe.txt"),
        )
    }),
    // As `create_file_in_cwd`: the extra root holds a `.git`.
    probe("create_file_in_extra_root", [D, A, A], |f| {
        let path = f.extra.join("probe.txt");
        exists(format!("echo x > '{}'", path.display()), path)
    }),
    // The helper's unconfined policy (MCP servers) asked for from inside:
    // it adds no confinement, and takes none away.
    probe(
        "write_sibling_through_an_unconfined_helper",
        [D, D, D],
        |f| {
            let path = f.sibling.join("probe.txt");
            exists(
                format!(
                    "'{}' --policy '{{\"network_disabled\":false,\"unconfined\":true}}' -- /bin/sh -c \"echo x > '{}'\"",
                    env!("CARGO_BIN_EXE_duet-linux-sandbox"),
                    path.display()
                ),
                path,
            )
        },
    ),
    probe("write_home", [D, D, D], |f| {
        exists(
            "echo x > \"$HOME/probe.txt\"".into(),
            f.home.join("probe.txt"),
        )
    }),
    Probe {
        needs: Needs::Root,
        ..probe("write_etc", [D, D, D], |f| {
            let path = f.shared("/etc");
            exists(format!("echo x > '{}'", path.display()), path)
        })
    },
    probe("write_sibling", [D, D, D], |f| {
        let path = f.sibling.join("probe.txt");
        exists(format!("echo x > '{}'", path.display()), path)
    }),
    probe("write_parent_of_workspace", [D, D, D], |f| {
        exists("echo x > ../probe.txt".into(), f.root.join("probe.txt"))
    }),
    Probe {
        // bubblewrap gives a private /dev/shm; Landlock leaves the host's
        // writable alongside /tmp, by design (`landlock.rs`).
        landlock: Some([D, A, A]),
        ..probe("write_host_dev_shm", [D, D, D], |f| {
            let path = f.shared("/dev/shm");
            exists(format!("echo x > '{}'", path.display()), path)
        })
    },
    probe("write_through_symlinked_dir", [D, D, D], |f| {
        std::os::unix::fs::symlink(&f.sibling, f.ws.join("out-link")).expect("symlink");
        exists(
            "echo x > out-link/probe.txt".into(),
            f.sibling.join("probe.txt"),
        )
    }),
    probe("write_through_symlink_made_inside", [D, D, D], |f| {
        exists(
            format!(
                "ln -s '{}' made-link && echo x > made-link/probe.txt",
                f.sibling.display()
            ),
            f.sibling.join("probe.txt"),
        )
    }),
    probe("write_through_symlinked_file", [D, D, D], |f| {
        let target = f.sibling.join("file.txt");
        std::os::unix::fs::symlink(&target, f.ws.join("file-link")).expect("symlink");
        changes("echo x > file-link".into(), target)
    }),
    probe("hardlink_outside_file_then_write", [D, D, D], |f| {
        let target = f.sibling.join("file.txt");
        changes(
            format!("ln '{}' hard && echo x >> hard", target.display()),
            target,
        )
    }),
    probe("hardlink_git_config_then_write", [D, D, D], |f| {
        changes(
            "ln .git/config cfg && echo x >> cfg".into(),
            f.ws.join(".git/config"),
        )
    }),
    probe("truncate_outside_file", [D, D, D], |f| {
        let target = f.sibling.join("file.txt");
        changes(format!("truncate -s 0 '{}'", target.display()), target)
    }),
    probe("unlink_outside_file", [D, D, D], |f| {
        let target = f.sibling.join("file.txt");
        Attempt {
            script: sh(&format!("rm '{}'", target.display())),
            check: Check::PathGone(target),
        }
    }),
    probe("chmod_outside_file", [D, D, D], |f| {
        let target = f.sibling.join("file.txt");
        Attempt {
            script: sh(&format!("chmod 600 '{}'", target.display())),
            check: Check::ModeChanged(target, 0o644),
        }
    }),
    probe("chmod_file_in_cwd", [D, A, A], |f| Attempt {
        script: sh("chmod 600 README.md"),
        check: Check::ModeChanged(f.ws.join("README.md"), 0o644),
    }),
    probe("fchmod_outside_file_through_a_descriptor", [D, D, D], |f| {
        let target = f.sibling.join("file.txt");
        Attempt {
            script: Script::Py(format!(
                "def go():\n    fd = os.open('{}', os.O_RDONLY)\n    os.fchmod(fd, 0o600)\n\
                 attempt(go)\n",
                target.display()
            )),
            check: Check::ModeChanged(target, 0o644),
        }
    }),
    probe("chmod_git_config_through_symlink", [D, D, D], |f| Attempt {
        script: sh("ln -s .git/config cfg-link && chmod 600 cfg-link"),
        check: Check::ModeChanged(f.ws.join(".git/config"), 0o644),
    }),
    probe("rename_workspace_root", [D, D, D], |f| Attempt {
        script: sh(&format!(
            "mv '{}' '{}'",
            f.ws.display(),
            f.root.join("moved").display()
        )),
        check: Check::PathGone(f.ws.clone()),
    }),
    probe("write_into_git", [D, D, D], |f| {
        exists("echo x > .git/probe".into(), f.ws.join(".git/probe"))
    }),
    probe("plant_git_hook", [D, D, D], |f| {
        exists(
            "printf '#!/bin/sh\\n' > .git/hooks/pre-commit".into(),
            f.ws.join(".git/hooks/pre-commit"),
        )
    }),
    probe("append_git_config", [D, D, D], |f| {
        changes(
            "echo '[core] fsmonitor = evil' >> .git/config".into(),
            f.ws.join(".git/config"),
        )
    }),
    probe("rename_git", [D, D, D], |f| Attempt {
        script: sh("mv .git .git-moved"),
        check: Check::PathGone(f.ws.join(".git")),
    }),
    probe("chmod_git", [D, D, D], |f| Attempt {
        script: sh("chmod 700 .git"),
        check: Check::ModeChanged(f.ws.join(".git"), 0o755),
    }),
    probe("write_git_through_symlink", [D, D, D], |f| {
        exists(
            "ln -s .git gitlink && echo x > gitlink/probe".into(),
            f.ws.join(".git/probe"),
        )
    }),
    probe("write_git_in_extra_root", [D, D, D], |f| {
        let path = f.extra.join(".git/probe");
        exists(format!("echo x > '{}'", path.display()), path)
    }),
    probe("create_agents_when_missing", [D, D, D], |f| {
        exists(
            "mkdir -p .agents && echo x > .agents/probe".into(),
            f.ws.join(".agents/probe"),
        )
    }),
    probe("create_duet_when_missing", [D, D, D], |f| {
        exists(
            "mkdir -p .duet && echo x > .duet/probe".into(),
            f.ws.join(".duet/probe"),
        )
    }),
    // A `.git` planted in a temp root would be the repository of every
    // folder beneath it that has none of its own.
    probe("create_git_in_tmpdir_root", [D, D, D], |f| {
        exists(
            "mkdir -p \"$TMPDIR/.git\" && echo x > \"$TMPDIR/.git/probe\"".into(),
            f.tmpdir.join(".git/probe"),
        )
    }),
    probe("plant_hook_through_dangling_symlink", [D, D, D], |f| {
        exists(
            "ln -s .git/hooks/post-checkout hook && echo x > hook".into(),
            f.ws.join(".git/hooks/post-checkout"),
        )
    }),
    probe("create_outside_through_dangling_symlink", [D, D, D], |f| {
        let path = f.sibling.join("planted.txt");
        exists(
            format!("ln -s '{}' dangling && echo x > dangling", path.display()),
            path,
        )
    }),
    probe("move_file_into_git_hooks", [D, D, D], |f| {
        exists(
            "printf '#!/bin/sh\\n' > hook && mv hook .git/hooks/pre-commit".into(),
            f.ws.join(".git/hooks/pre-commit"),
        )
    }),
    probe("replace_git_config_by_rename", [D, D, D], |f| {
        changes(
            "echo '[core] fsmonitor = evil' > cfg && mv -f cfg .git/config".into(),
            f.ws.join(".git/config"),
        )
    }),
    probe("remove_git_config", [D, D, D], |f| Attempt {
        script: sh("rm -f .git/config"),
        check: Check::PathGone(f.ws.join(".git/config")),
    }),
    probe("exchange_git_with_a_planted_folder", [D, D, D], |f| {
        Attempt {
            // renameat2(RENAME_EXCHANGE): the planted folder would become `.git`.
            script: Script::Py(
                "import ctypes\n\
             def go():\n    \
             os.makedirs('fake/hooks', exist_ok=True)\n    \
             libc = ctypes.CDLL(None, use_errno=True)\n    \
             if libc.renameat2(-100, b'fake', -100, b'.git', 2) != 0:\n        \
             raise OSError(ctypes.get_errno(), 'renameat2')\n\
             attempt(go)\n"
                    .to_string(),
            ),
            check: Check::PathGone(f.ws.join(".git/config")),
        }
    }),
    // A submodule's `.git` file names its git directory; pointed at a
    // planted one, the user's next `git status` in the root runs its
    // `core.fsmonitor` (found by trying it, issue 16).
    probe("repoint_a_submodule_git_file", [D, D, D], |f| {
        let git_file = f.submodule();
        changes("echo 'gitdir: ../planted' > lib/.git".into(), git_file)
    }),
    probe("replace_a_submodule_git_file_by_rename", [D, D, D], |f| {
        let git_file = f.submodule();
        changes(
            "echo 'gitdir: ../planted' > staged && mv -f staged lib/.git".into(),
            git_file,
        )
    }),
    probe("create_git_in_an_unpopulated_submodule", [D, D, D], |f| {
        f.submodule();
        exists(
            "echo 'gitdir: ../planted' > empty-sub/.git".into(),
            f.ws.join("empty-sub/.git"),
        )
    }),
    probe("truncate_call_on_git_config", [D, D, D], |f| Attempt {
        script: Script::Py("def go():\n    os.truncate('.git/config', 0)\nattempt(go)\n".into()),
        check: Check::FileChanged(f.ws.join(".git/config"), ORIGINAL.to_vec()),
    }),
    probe("write_via_proc_self_root", [D, D, D], |f| {
        let path = f.sibling.join("probe.txt");
        exists(
            format!("echo x > '/proc/self/root{}'", path.display()),
            path,
        )
    }),
    probe("write_via_proc_self_cwd_dotdot", [D, D, D], |f| {
        exists(
            "echo x > /proc/self/cwd/../sibling/probe.txt".into(),
            f.sibling.join("probe.txt"),
        )
    }),
    Probe {
        needs: Needs::Root,
        // Writing `|/some/program` here makes the kernel run that program
        // as root, outside every sandbox, at the next crash. The probe only
        // opens the file for writing and writes nothing.
        ..probe("open_core_pattern_for_writing", [D, D, D], |_| Attempt {
            script: Script::Py(
                "def go():\n    \
                 os.close(os.open('/proc/sys/kernel/core_pattern', os.O_WRONLY))\n\
                 attempt(go)\n"
                    .to_string(),
            ),
            check: Check::Reported,
        })
    },
    Probe {
        // Nothing is attempted: the command is `true`. Allowed would mean
        // the sandbox itself left mount points or markers in the roots.
        control: D,
        ..probe("leave_files_in_writable_roots", [D, D, D], |f| {
            let dirs = [
                f.ws.clone(),
                f.extra.clone(),
                f.tmpdir.clone(),
                f.root.clone(),
            ];
            Attempt {
                script: sh("true"),
                check: Check::ListingChanged(
                    dirs.into_iter()
                        .map(|dir| {
                            let names = listing(&dir);
                            (dir, names)
                        })
                        .collect(),
                ),
            }
        })
    },
    probe(
        "write_through_an_inherited_directory_descriptor",
        [D, D, D],
        |f| {
            // A directory outside the writable roots that duet had open: under
            // bubblewrap its descriptor reaches past every mount.
            let dir = std::fs::File::open(&f.sibling).expect("open the sibling directory");
            let fd = f.leave_open(dir.into());
            let name = format!("probe-{}.txt", f.nonce);
            Attempt {
                script: Script::Py(format!(
                    "def go():\n    os.close(os.open('{name}', os.O_CREAT | os.O_WRONLY, 0o644, \
                 dir_fd={fd}))\nattempt(go)\n"
                )),
                check: Check::PathExists(f.sibling.join(name)),
            }
        },
    ),
    probe("read_etc_passwd", [A, A, A], |_| Attempt {
        script: sh("head -c1 /etc/passwd > /dev/null"),
        check: Check::Reported,
    }),
    probe("read_home_file", [A, A, A], |_| Attempt {
        script: sh("grep -q original \"$HOME/secret.txt\""),
        check: Check::Reported,
    }),
    probe("write_dev_null", [A, A, A], |_| Attempt {
        script: sh("echo x > /dev/null"),
        check: Check::Reported,
    }),
    Probe {
        needs: Needs::Root,
        // A device node in a writable root would reach any device (a disk
        // as easily as this copy of /dev/null), whatever the path rules.
        ..probe("mknod_device_node_then_open", [D, D, D], |_| Attempt {
            script: Script::Py(
                "def go():\n    \
                 os.mknod('devnode', 0o600 | 0o020000, os.stat('/dev/null').st_rdev)\n    \
                 os.close(os.open('devnode', os.O_RDWR))\n\
                 attempt(go)\n"
                    .to_string(),
            ),
            check: Check::Reported,
        })
    },
];
