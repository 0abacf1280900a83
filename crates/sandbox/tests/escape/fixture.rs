//! A fresh set of host directories per probe run, the host preconditions a
//! probe may need, and finding processes by the token in their command line.
//!
//! This file does not start confined commands (`run.rs`).

use crate::harness::{Mode, Needs, PY_PRELUDE, PYTHON, Script};
use duet_sandbox::{CommandSpec, SandboxPolicy, StdinMode};
use std::collections::HashMap;
use std::io::ErrorKind;
use std::net::{TcpListener, UdpSocket};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};

static NEXT_FIXTURE: AtomicUsize = AtomicUsize::new(0);

/// A fresh set of host directories for one probe run, all outside `/tmp`
/// and `$TMPDIR` (see `outside_tmp`), so `/tmp` being writable says
/// nothing about them, plus the names of files a probe may create in
/// shared places, removed on drop.
pub struct Fixture {
    _dir: tempfile::TempDir,
    /// Unique per fixture; part of every shared-place file name and token.
    pub nonce: String,
    /// The parent of everything below; not writable in any mode.
    pub root: PathBuf,
    /// The workspace and cwd, with `.git/config` and `.git/hooks/`.
    pub ws: PathBuf,
    /// An extra writable root with its own `.git`.
    pub extra: PathBuf,
    /// A directory beside the workspace, with `file.txt`.
    pub sibling: PathBuf,
    /// The child's `$HOME`, with `secret.txt`.
    pub home: PathBuf,
    /// The child's `$TMPDIR`, a writable root without `.git`.
    pub tmpdir: PathBuf,
    /// Host processes a probe started, killed and reaped on drop.
    host_children: Mutex<Vec<std::process::Child>>,
    /// Descriptors left open for the command to inherit, closed on drop.
    inheritable: Mutex<Vec<std::os::fd::OwnedFd>>,
}

pub const ORIGINAL: &[u8] = b"original\n";

impl Fixture {
    /// Make the workspace hold two submodules as git records them: `lib`,
    /// populated (its `.git` a file naming `.git/modules/lib`), and
    /// `empty-sub`, registered in `.gitmodules` but not checked out. Returns
    /// `lib/.git`, which holds [`ORIGINAL`].
    pub fn submodule(&self) -> PathBuf {
        let modules = self.ws.join(".git/modules/lib");
        std::fs::create_dir_all(&modules).expect("module dir");
        std::fs::write(
            modules.join("config"),
            "[core]\n\tworktree = ../../../lib\n",
        )
        .expect("module config");
        std::fs::write(
            self.ws.join(".gitmodules"),
            "[submodule \"lib\"]\n\tpath = lib\n[submodule \"empty\"]\n\tpath = empty-sub\n",
        )
        .expect(".gitmodules");
        std::fs::create_dir_all(self.ws.join("lib")).expect("lib");
        std::fs::create_dir_all(self.ws.join("empty-sub")).expect("empty-sub");
        let git_file = self.ws.join("lib/.git");
        std::fs::write(&git_file, ORIGINAL).expect("lib/.git");
        git_file
    }

    pub fn new() -> Fixture {
        let parent = crate::outside_tmp::base();
        let dir = tempfile::Builder::new()
            .prefix("escape-")
            .tempdir_in(&parent)
            .expect("fixture dir");
        let root = dir.path().canonicalize().expect("canonical fixture dir");
        let nonce = format!(
            "{}-{}",
            std::process::id(),
            NEXT_FIXTURE.fetch_add(1, Ordering::Relaxed)
        );
        let fixture = Fixture {
            _dir: dir,
            nonce,
            ws: root.join("ws"),
            extra: root.join("extra"),
            sibling: root.join("sibling"),
            home: root.join("home"),
            tmpdir: root.join("tmpdir"),
            root,
            host_children: Mutex::new(Vec::new()),
            inheritable: Mutex::new(Vec::new()),
        };
        for dir in [
            fixture.ws.join(".git/hooks"),
            fixture.ws.join("sub"),
            fixture.extra.join(".git"),
            fixture.sibling.clone(),
            fixture.home.clone(),
            fixture.tmpdir.clone(),
        ] {
            std::fs::create_dir_all(&dir).expect("fixture dirs");
        }
        for file in [
            fixture.ws.join(".git/config"),
            fixture.ws.join("README.md"),
            fixture.sibling.join("file.txt"),
            fixture.home.join("secret.txt"),
        ] {
            std::fs::write(&file, ORIGINAL).expect("fixture files");
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644))
                .expect("fixture file mode");
        }
        std::fs::set_permissions(
            fixture.ws.join(".git"),
            std::fs::Permissions::from_mode(0o755),
        )
        .expect("fixture .git mode");
        let keys = fixture.saved_keys();
        std::fs::create_dir_all(keys.parent().expect("a parent")).expect("fixture .duet");
        std::fs::write(&keys, format!("{{\"openai\": \"{}\"}}\n", fixture.token()))
            .expect("fixture auth.json");
        fixture
    }

    /// `$HOME/.duet/auth.json`, holding [`Fixture::token`]: the keys
    /// `duet login` saves, which the sandbox hides from every command.
    pub fn saved_keys(&self) -> PathBuf {
        self.home.join(".duet/auth.json")
    }

    /// A file name in a place shared with the rest of the host (`/tmp`,
    /// `/etc`, `/dev/shm`), unique to this fixture and removed on drop.
    pub fn shared(&self, dir: &str) -> PathBuf {
        Path::new(dir).join(format!("duet-escape-{}", self.nonce))
    }

    /// Keep a host process until the fixture is dropped, then kill it.
    pub fn adopt(&self, child: std::process::Child) {
        self.host_children
            .lock()
            .expect("host children lock")
            .push(child);
    }

    /// Keep `fd` open, without close-on-exec, until the fixture is
    /// dropped, as if duet had inherited it from whoever started it; a
    /// command started meanwhile would inherit it too unless the sandbox
    /// closes it. Returns its number.
    #[allow(unsafe_code)]
    pub fn leave_open(&self, fd: std::os::fd::OwnedFd) -> i32 {
        use std::os::fd::AsRawFd;
        let number = fd.as_raw_fd();
        // SAFETY: F_SETFD only changes the flags of a descriptor we own.
        let cleared = unsafe { libc::fcntl(number, libc::F_SETFD, 0) };
        assert_eq!(cleared, 0, "clear close-on-exec");
        self.inheritable.lock().expect("inheritable lock").push(fd);
        number
    }

    pub fn token(&self) -> String {
        format!("duet-escape-token-{}", self.nonce)
    }

    pub fn policy(&self, mode: Mode) -> SandboxPolicy {
        match mode {
            Mode::Unconfined => SandboxPolicy::DangerFullAccess,
            Mode::ReadOnly => SandboxPolicy::ReadOnly,
            Mode::WorkspaceWrite | Mode::WorkspaceWriteNetwork => SandboxPolicy::WorkspaceWrite {
                writable_roots: vec![self.ws.clone(), self.extra.clone()],
                network_access: mode == Mode::WorkspaceWriteNetwork,
                exclude_tmpdir_env_var: false,
                exclude_slash_tmp: false,
            },
        }
    }

    pub fn spec(&self, script: &Script) -> CommandSpec {
        let (program, args) = match script {
            Script::Sh(text) => ("/bin/sh", vec!["-c".to_string(), text.clone()]),
            Script::Py(text) => (
                PYTHON,
                vec!["-c".to_string(), format!("{PY_PRELUDE}{text}")],
            ),
        };
        CommandSpec {
            program: PathBuf::from(program),
            args,
            cwd: self.ws.clone(),
            env: HashMap::from([
                ("PATH".to_string(), "/usr/bin:/bin".to_string()),
                ("HOME".to_string(), self.home.display().to_string()),
                ("TMPDIR".to_string(), self.tmpdir.display().to_string()),
                ("LANG".to_string(), "C.UTF-8".to_string()),
            ]),
            stdin: StdinMode::Null,
        }
    }
}

impl Drop for Fixture {
    fn drop(&mut self) {
        for dir in ["/tmp", "/etc", "/dev/shm"] {
            let _ = std::fs::remove_file(self.shared(dir));
        }
        kill_processes_with(&self.token());
        for mut child in self
            .host_children
            .lock()
            .expect("host children lock")
            .drain(..)
        {
            let _ = child.kill();
            let _ = child.wait();
        }
        // A probe may have left unreadable or unwritable directories; give
        // them back so the temp dir can be removed (root needs no help).
        restore_permissions(&self.root);
    }
}

fn restore_permissions(dir: &Path) {
    let _ = std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o755));
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        if entry.file_type().is_ok_and(|kind| kind.is_dir()) {
            restore_permissions(&entry.path());
        }
    }
}

/// Host processes whose command line contains `token`.
pub fn processes_with(token: &str) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    entries
        .flatten()
        .filter_map(|entry| entry.file_name().to_str()?.parse::<i32>().ok())
        .filter(|pid| {
            let cmdline = std::fs::read(format!("/proc/{pid}/cmdline")).unwrap_or_default();
            let zombie = std::fs::read_to_string(format!("/proc/{pid}/stat"))
                .ok()
                .and_then(|stat| Some(stat.rsplit_once(')')?.1.trim_start().starts_with('Z')))
                .unwrap_or(true);
            !zombie && String::from_utf8_lossy(&cmdline).contains(token)
        })
        .collect()
}

fn kill_processes_with(token: &str) {
    for pid in processes_with(token) {
        let _ = duet_sandbox::host_std_command("/bin/kill")
            .args(["-KILL", &pid.to_string()])
            .status();
    }
}

/// Whether this test runs as root, judged by the owner of `/proc/self`.
pub fn running_as_root() -> bool {
    std::fs::metadata("/proc/self").is_ok_and(|meta| meta.uid() == 0)
}

/// Why the host cannot show this probe's effect, if it cannot.
pub fn unmet(needs: Needs) -> Option<String> {
    match needs {
        Needs::Nothing => None,
        Needs::Root if !running_as_root() => {
            Some("only root can do this unconfined, and the test is not root".to_string())
        }
        Needs::Root => None,
        Needs::Ipv6Loopback => TcpListener::bind("[::1]:0")
            .err()
            .map(|error| format!("the host has no IPv6 loopback: {error}")),
        Needs::RouteV4 => route_missing(crate::probes_net::NONROUTABLE_V4),
        Needs::RouteV6 => route_missing(crate::probes_net::NONROUTABLE_V6),
    }
}

/// Whether a datagram towards `address` has a route from the host.
fn route_missing(address: &str) -> Option<String> {
    let bind = if address.starts_with('[') {
        "[::]:0"
    } else {
        "0.0.0.0:0"
    };
    let socket = UdpSocket::bind(bind).ok()?;
    socket
        .connect(address)
        .err()
        .map(|error| format!("the host has no route to {address}: {error}"))
}

/// The sorted names in `dir` (empty if it cannot be read).
pub fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = match std::fs::read_dir(dir) {
        Ok(entries) => entries
            .flatten()
            .map(|entry| entry.file_name().to_string_lossy().into_owned())
            .collect(),
        Err(error) if error.kind() == ErrorKind::NotFound => Vec::new(),
        Err(_) => Vec::new(),
    };
    names.sort();
    names
}
