//! Both Linux backends against the real kernel: which one is chosen, that a
//! command runs confined with the sandbox's variables, exit codes through
//! the helper, the seccomp filter, protected folders and their mount
//! points. A backend this host cannot run is reported as skipped with its
//! reason, never as passed.
#![cfg(target_os = "linux")]
#![allow(clippy::print_stderr)]

#[path = "support/outside_tmp.rs"]
mod outside_tmp;

use duet_sandbox::{
    Backend, BackendPreference, CommandSpec, Sandbox, SandboxError, SandboxPolicy, SandboxedChild,
    StdinMode, exit_code, probe_backends,
};
use pretty_assertions::assert_eq;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use tokio::io::AsyncReadExt;

const BACKENDS: [(Backend, BackendPreference); 2] = [
    (Backend::Bwrap, BackendPreference::Bwrap),
    (Backend::Landlock, BackendPreference::Landlock),
];

/// The backends this host can run; the others are printed as skipped, and
/// a test fails when `DUET_REQUIRE_SANDBOX_BACKENDS` names one of them (CI
/// requires both).
fn usable_backends() -> Vec<(Backend, BackendPreference)> {
    let reports = probe_backends(None);
    BACKENDS
        .into_iter()
        .filter(|(backend, _)| {
            let report = reports
                .iter()
                .find(|report| report.backend == *backend)
                .expect("every backend is probed");
            if !report.is_available() {
                let required = std::env::var("DUET_REQUIRE_SANDBOX_BACKENDS").unwrap_or_default();
                assert!(
                    !required
                        .split(',')
                        .any(|name| name.trim() == backend.name()),
                    "DUET_REQUIRE_SANDBOX_BACKENDS requires `{}`: {:?}",
                    backend.name(),
                    report.availability
                );
                eprintln!(
                    "SKIPPED backend {}: {:?}",
                    backend.name(),
                    report.availability
                );
            }
            report.is_available()
        })
        .collect()
}

struct Workspace {
    _dir: tempfile::TempDir,
    root: PathBuf,
}

/// A workspace outside `/tmp` and `$TMPDIR`, so that `/tmp` itself stays a
/// plain temp root.
fn workspace() -> Workspace {
    let dir = tempfile::tempdir_in(outside_tmp::base()).expect("tempdir");
    let root = dir.path().canonicalize().expect("canonical");
    Workspace { _dir: dir, root }
}

fn workspace_write(root: &Path, network_access: bool) -> SandboxPolicy {
    SandboxPolicy::WorkspaceWrite {
        writable_roots: vec![root.to_path_buf()],
        network_access,
        exclude_tmpdir_env_var: true,
        exclude_slash_tmp: false,
    }
}

fn sh(script: &str, cwd: &Path) -> CommandSpec {
    CommandSpec {
        program: PathBuf::from("/bin/sh"),
        args: vec!["-c".to_string(), script.to_string()],
        cwd: cwd.to_path_buf(),
        env: HashMap::from([("PATH".to_string(), "/usr/bin:/bin".to_string())]),
        stdin: StdinMode::Null,
    }
}

/// `policy` on `preference`, with this crate's `duet-linux-sandbox` as the
/// helper.
fn sandbox(policy: &SandboxPolicy, preference: BackendPreference) -> Sandbox {
    Sandbox {
        backend: preference,
        helper: Some(PathBuf::from(env!("CARGO_BIN_EXE_duet-linux-sandbox"))),
        hidden: Vec::new(),
        ..Sandbox::new(policy.clone())
    }
}

fn spawn_with_backend(
    spec: &CommandSpec,
    policy: &SandboxPolicy,
    preference: BackendPreference,
) -> Result<SandboxedChild, SandboxError> {
    sandbox(policy, preference).spawn(spec)
}

/// Run and collect (exit code, stdout, stderr).
async fn run(
    spec: &CommandSpec,
    policy: &SandboxPolicy,
    preference: BackendPreference,
) -> (i32, String, String) {
    let mut child = spawn_with_backend(spec, policy, preference).expect("spawn");
    let mut stdout = String::new();
    let mut stderr = String::new();
    let mut out = child.stdout.take().expect("piped");
    let mut err = child.stderr.take().expect("piped");
    let (a, b) = tokio::join!(
        out.read_to_string(&mut stdout),
        err.read_to_string(&mut stderr)
    );
    a.expect("stdout");
    b.expect("stderr");
    let status = child.wait().await.expect("wait");
    (exit_code(status), stdout, stderr)
}

#[test]
fn this_host_runs_both_backends_in_ci() {
    // CI has user namespaces and Landlock; elsewhere a missing backend is
    // reported (and skipped by the other tests), not failed.
    let usable = usable_backends();
    if std::env::var_os("CI").is_some() {
        assert_eq!(
            usable.iter().map(|(b, _)| *b).collect::<Vec<_>>(),
            vec![Backend::Bwrap, Backend::Landlock]
        );
    }
    let auto = sandbox(&SandboxPolicy::ReadOnly, BackendPreference::Auto).backend();
    match usable.first() {
        Some((first, _)) => assert_eq!(auto.expect("a backend works"), Some(*first)),
        None => assert!(auto.is_err()),
    }
}

#[tokio::test]
async fn the_command_sees_its_backend_and_the_network_switch() {
    for (backend, preference) in usable_backends() {
        let ws = workspace();
        let spec = sh(
            "echo \"$DUET_SANDBOX:${DUET_SANDBOX_NETWORK_DISABLED:-on}\"; grep -E '^(NoNewPrivs|Seccomp):' /proc/self/status",
            &ws.root,
        );
        let expected = |network: &str| {
            (
                0,
                format!(
                    "{}:{network}\nNoNewPrivs:\t1\nSeccomp:\t2\n",
                    backend.name()
                ),
                String::new(),
            )
        };
        assert_eq!(
            run(&spec, &workspace_write(&ws.root, false), preference).await,
            expected("1"),
            "{backend:?}"
        );
        assert_eq!(
            run(&spec, &workspace_write(&ws.root, true), preference).await,
            expected("on"),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn exit_codes_pass_through_the_helper() {
    for (backend, preference) in usable_backends() {
        let ws = workspace();
        let policy = SandboxPolicy::ReadOnly;
        let cases = [
            ("exit 3", 3),
            ("kill -TERM $$", 128 + libc::SIGTERM),
            ("kill -KILL $$", 128 + libc::SIGKILL),
            ("true", 0),
        ];
        for (script, expected) in cases {
            let (code, _, _) = run(&sh(script, &ws.root), &policy, preference).await;
            assert_eq!(code, expected, "{backend:?}: {script}");
        }
        let mut missing = sh("", &ws.root);
        missing.program = PathBuf::from("/nonexistent/prog");
        missing.args.clear();
        let (code, stdout, stderr) = run(&missing, &policy, preference).await;
        assert_eq!(
            (code, stdout, stderr),
            (
                127,
                String::new(),
                "duet-linux-sandbox: cannot run `/nonexistent/prog`: No such file or directory \
                 (os error 2); check the command name and `PATH`\n"
                    .to_string()
            ),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn workspace_write_allows_the_workspace_and_keeps_protected_folders() {
    for (backend, preference) in usable_backends() {
        let ws = workspace();
        std::fs::create_dir_all(ws.root.join(".git")).unwrap();
        std::fs::create_dir_all(ws.root.join("src")).unwrap();
        std::fs::write(ws.root.join("README"), "old\n").unwrap();
        let policy = workspace_write(&ws.root, false);
        let script = "
            check() { if eval \"$2\" 2>/dev/null; then echo \"$1 ok\"; else echo \"$1 denied\"; fi; }
            check subdir 'echo x > src/new.txt'
            check rewrite 'echo new > README'
            check git 'echo x > .git/config'
            check duet 'mkdir .duet/x'
            check agents 'mkdir -p .agents/skills'
            check etc 'echo x > /etc/duet-probe'
            check null 'echo x > /dev/null'
            check tmp 'f=$(mktemp) && rm \"$f\"'
        ";
        let (code, stdout, _) = run(&sh(script, &ws.root), &policy, preference).await;
        assert_eq!(
            (code, stdout.as_str()),
            (
                0,
                "subdir ok\nrewrite ok\ngit denied\nduet denied\nagents denied\netc denied\n\
                 null ok\ntmp ok\n"
            ),
            "{backend:?}"
        );
        assert_eq!(
            std::fs::read_to_string(ws.root.join("README")).unwrap(),
            "new\n"
        );
        let mut left: Vec<String> = std::fs::read_dir(&ws.root)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        left.sort();
        assert_eq!(
            left,
            vec![".git", "README", "src"],
            "{backend:?}: no mount point is left behind"
        );
    }
}

#[tokio::test]
async fn read_only_writes_nothing() {
    for (backend, preference) in usable_backends() {
        let ws = workspace();
        let (code, _, _) = run(
            &sh("echo x > here.txt || exit 9", &ws.root),
            &SandboxPolicy::ReadOnly,
            preference,
        )
        .await;
        assert_eq!(code, 9, "{backend:?}");
        assert!(!ws.root.join("here.txt").exists(), "{backend:?}");
    }
}

#[tokio::test]
async fn seccomp_refuses_namespaces_tracing_and_network_sockets() {
    let Some(python) = ["/usr/bin/python3", "/bin/python3"]
        .into_iter()
        .find(|path| Path::new(path).exists())
    else {
        eprintln!("SKIPPED seccomp probes: python3 is not installed");
        return;
    };
    // Each probe prints `name:ok` or `name:errno`.
    let script = r#"
import ctypes, errno, os, socket
libc = ctypes.CDLL(None, use_errno=True)
def sys(name, *args):
    rc = getattr(libc, name)(*args)
    return "ok" if rc >= 0 else errno.errorcode[ctypes.get_errno()]
def sock(family, kind):
    try:
        socket.socket(family, kind).close(); return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]
def pair(kind):
    try:
        a, b = socket.socketpair(socket.AF_UNIX, kind); a.send(b"x"); b.recv(1); return "ok"
    except OSError as e:
        return errno.errorcode[e.errno]
print("unshare:" + sys("unshare", 0x10000000))
print("ptrace:" + sys("ptrace", 0, 0, 0, 0))
print("chroot:" + sys("chroot", b"/"))
print("personality:" + sys("personality", 0x0040000))
print("inet:" + sock(socket.AF_INET, socket.SOCK_STREAM))
print("inet6:" + sock(socket.AF_INET6, socket.SOCK_DGRAM))
print("netlink:" + sock(socket.AF_NETLINK, socket.SOCK_RAW))
print("unix_dgram:" + sock(socket.AF_UNIX, socket.SOCK_DGRAM))
print("unix_stream:" + sock(socket.AF_UNIX, socket.SOCK_STREAM))
print("pair:" + pair(socket.SOCK_STREAM))
"#;
    for (backend, preference) in usable_backends() {
        let ws = workspace();
        let spec = CommandSpec {
            program: PathBuf::from(python),
            args: vec!["-c".to_string(), script.to_string()],
            cwd: ws.root.clone(),
            env: HashMap::from([("PATH".to_string(), "/usr/bin:/bin".to_string())]),
            stdin: StdinMode::Null,
        };
        let (code, stdout, stderr) = run(&spec, &SandboxPolicy::ReadOnly, preference).await;
        assert_eq!(
            (code, stdout.as_str(), stderr.as_str()),
            (
                0,
                "unshare:EPERM\nptrace:EPERM\nchroot:EPERM\npersonality:EPERM\ninet:EPERM\n\
                 inet6:EPERM\nnetlink:EPERM\nunix_dgram:EPERM\nunix_stream:ok\npair:ok\n",
                ""
            ),
            "{backend:?}"
        );
    }
}

#[tokio::test]
async fn background_children_do_not_outlive_the_command() {
    for (backend, preference) in usable_backends() {
        let ws = workspace();
        let marker = ws.root.join("late");
        let script = format!(
            "(setsid sh -c 'sleep 1; echo x > {}' &) ; exit 0",
            marker.display()
        );
        let (code, stdout, stderr) = run(
            &sh(&script, &ws.root),
            &workspace_write(&ws.root, false),
            preference,
        )
        .await;
        // Seen once failing under load, cause unknown: say what it printed.
        assert_eq!(code, 0, "{backend:?}: stdout {stdout:?}, stderr {stderr:?}");
        tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
        assert!(!marker.exists(), "{backend:?}: a background child survived");
    }
}

/// Issue 16, item 3: with the workspace inside another writable root, a
/// command moves the workspace away and puts a symlink to an outside
/// folder in its place. The next command must not get the symlink's
/// target as its writable root: under bubblewrap the rename itself fails
/// (each root is its own mount); on either backend a root that no longer
/// is the directory it was is refused.
#[tokio::test]
async fn a_workspace_swapped_for_a_symlink_is_never_granted_again() {
    for (backend, preference) in usable_backends() {
        let outer = workspace();
        let ws = outer.root.join("repo");
        let outside = outer.root.with_extension("outside");
        std::fs::create_dir_all(&ws).unwrap();
        std::fs::create_dir_all(&outside).unwrap();
        let outside = outside.canonicalize().unwrap();
        let policy = SandboxPolicy::WorkspaceWrite {
            writable_roots: vec![ws.clone(), outer.root.clone()],
            network_access: false,
            exclude_tmpdir_env_var: true,
            exclude_slash_tmp: true,
        };
        let swap = format!(
            "cd .. && mv repo repo_real && ln -s '{}' repo; echo swapped $?",
            outside.display()
        );
        let (_, stdout, _) = run(&sh(&swap, &ws), &policy, preference).await;
        let swapped = ws.symlink_metadata().unwrap().file_type().is_symlink();
        match backend {
            Backend::Bwrap => assert!(!swapped, "bwrap: the workspace was renamed: {stdout}"),
            Backend::Landlock => {}
        }
        if swapped {
            let write = sh("echo x > repo/escaped.txt", &outer.root);
            match spawn_with_backend(&write, &policy, preference) {
                Ok(mut child) => {
                    child.wait().await.unwrap();
                }
                Err(error) => assert!(
                    error.to_string().contains(&format!(
                        "the writable root `{}` is no longer the directory it was",
                        ws.display()
                    )),
                    "{}: {error}",
                    backend.name()
                ),
            }
            assert!(
                !outside.join("escaped.txt").exists(),
                "{}: a command wrote through the swapped workspace",
                backend.name()
            );
            let (code, _, stderr) = run(
                &sh("true", &outer.root),
                &workspace_write(&outer.root, false),
                preference,
            )
            .await;
            assert_eq!((code, stderr), (0, String::new()), "{}", backend.name());
        }
        let _ = std::fs::remove_dir_all(&outside);
    }
}

/// The everyday writes in a workspace root that Landlock alone cannot
/// allow (its rights cannot spare `.git`), done by the supervisor's entry
/// service: both backends give the same answers.
#[tokio::test]
async fn everyday_writes_in_the_workspace_root_work_on_both_backends() {
    for (backend, preference) in usable_backends() {
        let ws = workspace();
        std::fs::create_dir_all(ws.root.join(".git")).unwrap();
        std::fs::write(ws.root.join("README"), "old\n").unwrap();
        let policy = workspace_write(&ws.root, false);
        let script = r#"
            set -e
            touch new && echo touch
            mkdir -p target/debug/deps && echo x > target/debug/deps/out && echo mkdir
            sed -i s/old/edited/ README && cat README
            echo draft > tmp.swp && mv tmp.swp saved && cat saved
            ln -s saved link && cat link
            ln saved hard && stat -c %h saved
            umask 077 && touch private && stat -c %a private && umask 022
            mkfifo pipe && { cat pipe > from-pipe & } && echo through > pipe && wait && cat from-pipe
            python3 -c "import os; fd = os.open('.', os.O_TMPFILE | os.O_WRONLY, 0o600); os.write(fd, b'x'); print('tmpfile')"
            python3 -c "import os; os.truncate('saved', 2); print(open('saved').read())"
            git init -q nested && echo nested-repo
            rm -r target hard link && rmdir --ignore-fail-on-non-empty nested
            ls
        "#;
        let (code, stdout, stderr) = run(&sh(script, &ws.root), &policy, preference).await;
        assert_eq!(
            (code, stdout.as_str()),
            (
                0,
                "touch\nmkdir\nedited\ndraft\ndraft\n2\n600\nthrough\ntmpfile\ndr\nnested-repo\n\
                 README\nfrom-pipe\nnested\nnew\npipe\nprivate\nsaved\n"
            ),
            "{backend:?}: {stderr}"
        );
    }
}

/// The user's own `git args…` in `dir`, outside the sandbox, with `home`
/// as `HOME` and no global or system configuration; it must succeed.
fn users_git(dir: &Path, home: &Path, args: &[&str]) {
    #[allow(clippy::disallowed_methods)] // the user's own git, outside the sandbox
    let output = std::process::Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("HOME", home)
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .env("GIT_CONFIG_NOSYSTEM", "1")
        .env("GIT_AUTHOR_NAME", "u")
        .env("GIT_AUTHOR_EMAIL", "u@example.com")
        .env("GIT_COMMITTER_NAME", "u")
        .env("GIT_COMMITTER_EMAIL", "u@example.com")
        .output()
        .expect("git runs");
    assert!(output.status.success(), "git {args:?}: {output:?}");
}

/// Whatever a sandboxed command does to the repository, the user's next
/// `git` commands outside the sandbox run none of its code: no
/// `core.fsmonitor`, no hook, whichever way it was planted.
#[tokio::test]
async fn a_planted_fsmonitor_or_hook_never_runs_in_the_next_git_command() {
    for (backend, preference) in usable_backends() {
        let ws = workspace();
        let marker = ws.root.with_extension("ran");
        let git = |args: &[&str]| users_git(&ws.root, &ws.root, args);
        git(&["init", "-q"]);
        git(&["commit", "-q", "--allow-empty", "-m", "first"]);
        let hook = format!("#!/bin/sh\ntouch '{}'\n", marker.display());
        std::fs::write(ws.root.join("hook.sh"), &hook).unwrap();
        let script = format!(
            r#"
            chmod +x hook.sh 2>/dev/null
            git config core.fsmonitor "touch '{marker}'"
            git config core.hooksPath "$PWD"
            echo '[core] fsmonitor = "touch {marker}"' >> .git/config
            for name in pre-commit post-commit post-checkout reference-transaction; do
                cp hook.sh .git/hooks/$name
                cp hook.sh staged && mv staged .git/hooks/$name
                ln -s .git/hooks/$name via-$name && cat hook.sh > via-$name
            done
            ln .git/config config-link && echo '[core] fsmonitor = x' >> config-link
            mkdir -p fake/hooks && cp hook.sh fake/hooks/pre-commit
            printf '[core]\n\tfsmonitor = "touch {marker}"\n' > fake/config
            cp .git/HEAD fake/HEAD; mkdir -p fake/objects fake/refs
            mv .git .git-aside; mv fake .git
            python3 -c "import ctypes; ctypes.CDLL(None).renameat2(-100, b'fake', -100, b'.git', 2)"
            echo done
            "#,
            marker = marker.display()
        );
        let (_, stdout, stderr) = run(
            &sh(&script, &ws.root),
            &workspace_write(&ws.root, false),
            preference,
        )
        .await;
        assert!(stdout.ends_with("done\n"), "{backend:?}: {stdout} {stderr}");
        git(&["status", "--porcelain"]);
        git(&["commit", "-q", "--allow-empty", "-m", "second"]);
        git(&["checkout", "-q", "-b", "other"]);
        assert!(
            !marker.exists(),
            "{backend:?}: code planted by the sandboxed command ran outside it"
        );
    }
}

/// A command that swaps a folder for a symlink to the outside while it
/// makes, renames and changes entries through that folder never lands
/// anything outside: the entry service judges the directory it resolved,
/// not the name (Landlock), and the mounts do (bubblewrap).
#[tokio::test]
async fn swapping_a_folder_for_a_symlink_never_lands_a_write_outside() {
    for (backend, preference) in usable_backends() {
        let ws = workspace();
        let outside = ws.root.with_extension("outside");
        std::fs::create_dir_all(&outside).unwrap();
        std::fs::write(outside.join("keep"), "keep\n").unwrap();
        let script = format!(
            r#"
import os, threading
stop = False
def swap():
    while not stop:
        try:
            os.rename('sub', 'sub-real')
            os.symlink('{outside}', 'sub')
            os.unlink('sub')
            os.rename('sub-real', 'sub')
        except OSError:
            pass
os.mkdir('sub')
thread = threading.Thread(target=swap)
thread.start()
for i in range(300):
    for attempt in (
        lambda: os.close(os.open('sub/f%d' % i, os.O_CREAT | os.O_WRONLY, 0o644)),
        lambda: os.mkdir('sub/d%d' % i),
        lambda: os.symlink('/etc', 'sub/l%d' % i),
        lambda: os.rename('sub/f%d' % i, 'sub/g%d' % i),
        lambda: os.chmod('sub/keep', 0o600),
        lambda: os.truncate('sub/keep', 0),
        lambda: os.unlink('sub/keep'),
    ):
        try:
            attempt()
        except OSError:
            pass
stop = True
thread.join()
print('done')
"#,
            outside = outside.display()
        );
        let spec = CommandSpec {
            program: PathBuf::from("/usr/bin/python3"),
            args: vec!["-c".to_string(), script],
            ..sh("", &ws.root)
        };
        let (code, stdout, stderr) =
            run(&spec, &workspace_write(&ws.root, false), preference).await;
        assert_eq!(
            (code, stdout.as_str()),
            (0, "done\n"),
            "{backend:?}: {stderr}"
        );
        let left: Vec<String> = std::fs::read_dir(&outside)
            .unwrap()
            .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, vec!["keep"], "{backend:?}");
        assert_eq!(
            std::fs::read_to_string(outside.join("keep")).unwrap(),
            "keep\n"
        );
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(outside.join("keep"))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o644, "{backend:?}");
    }
}

/// A Landlock sandbox started inside one (duet run by the model, say)
/// keeps its own rules: the outer supervisor's entry service does not make
/// for it what its own Landlock forbids, and the inner one runs without a
/// service of its own (the kernel allows one listener per process tree)
/// instead of failing.
#[tokio::test]
async fn a_sandbox_inside_a_landlock_sandbox_keeps_its_own_rules() {
    let Some((_, preference)) = usable_backends()
        .into_iter()
        .find(|(backend, _)| *backend == Backend::Landlock)
    else {
        eprintln!("SKIPPED: Landlock cannot run here");
        return;
    };
    let ws = workspace();
    std::fs::create_dir_all(ws.root.join("src")).unwrap();
    let helper = env!("CARGO_BIN_EXE_duet-linux-sandbox");
    let inner = |landlock: &str| {
        format!(
            "'{helper}' --policy '{{\"network_disabled\":true,\"landlock\":{landlock}}}' -- sh -c \
             'touch top 2>/dev/null && echo top; touch src/x 2>/dev/null && echo src; echo end'"
        )
    };
    let root = ws.root.display();
    let script = format!(
        "{}; {}",
        inner("[]"),
        inner(&format!("[{{\"path\":\"{root}\",\"kind\":\"workspace\"}}]"))
    );
    let (code, stdout, stderr) = run(
        &sh(&script, &ws.root),
        &workspace_write(&ws.root, false),
        preference,
    )
    .await;
    assert_eq!(
        (code, stdout.as_str()),
        // Read-only inside: nothing. Workspace-write inside: what Landlock
        // alone allows (existing folders, not new entries in the root).
        (0, "end\nsrc\nend\n"),
        "{stderr}"
    );
}

/// A repository with a real submodule: a command that points the
/// submodule's `.git` file at a git directory of its own making (with a
/// `core.fsmonitor`) must not get it run by the user's next `git status`,
/// which enters populated submodules.
#[tokio::test]
async fn a_submodule_cannot_be_repointed_at_a_planted_git_directory() {
    for (backend, preference) in usable_backends() {
        let ws = workspace();
        let marker = ws.root.with_extension("ran");
        let git = |dir: &Path, args: &[&str]| {
            let mut with_file_protocol = vec!["-c", "protocol.file.allow=always"];
            with_file_protocol.extend_from_slice(args);
            users_git(dir, &ws.root, &with_file_protocol);
        };
        let lib = ws.root.join("lib-origin");
        let repo = ws.root.join("repo");
        std::fs::create_dir_all(&lib).unwrap();
        std::fs::create_dir_all(&repo).unwrap();
        git(&lib, &["init", "-q"]);
        git(&lib, &["commit", "-q", "--allow-empty", "-m", "lib"]);
        git(&repo, &["init", "-q"]);
        git(&repo, &["submodule", "add", "-q", "../lib-origin", "sub"]);
        git(&repo, &["commit", "-q", "-m", "with a submodule"]);
        let script = format!(
            r#"
            mkdir -p planted && cp -r .git/modules/sub/. planted/
            printf '[core]\n\tfsmonitor = "touch {marker}; false"\n\tworktree = ../sub\n' >> planted/config
            echo 'gitdir: ../planted' > sub/.git
            echo 'gitdir: ../planted' > staged; mv -f staged sub/.git
            echo done
            "#,
            marker = marker.display()
        );
        let (_, stdout, stderr) = run(
            &sh(&script, &repo),
            &workspace_write(&repo, false),
            preference,
        )
        .await;
        assert!(stdout.ends_with("done\n"), "{backend:?}: {stdout} {stderr}");
        assert_eq!(
            std::fs::read_to_string(repo.join("sub/.git")).unwrap(),
            "gitdir: ../.git/modules/sub\n",
            "{backend:?}"
        );
        git(&repo, &["status", "--porcelain"]);
        assert!(
            !marker.exists(),
            "{backend:?}: code planted by the sandboxed command ran outside it"
        );
    }
}
