//! The vocabulary of the escape suite: backends, modes, outcomes, and what a
//! probe is (a script, how its effect is judged, what it needs from the
//! host, and the outcome each mode must show).
//!
//! A probe's outcome is judged on the host whenever the effect can be seen
//! from outside (a file that appeared, a listener that got a connection, a
//! process that survived); the script's own `ALLOWED`/`DENIED` line is used
//! only for effects that leave nothing behind (a system call that
//! succeeded). A script that prints neither is `BROKEN`, never a denial.
//!
//! This file knows no individual probe (`probes_*.rs`), no host directory
//! (`fixture.rs`) and does not run anything (`run.rs`).

use crate::fixture::Fixture;
use std::fmt;
use std::net::{TcpListener, UdpSocket};
use std::os::unix::net::UnixListener;
use std::path::PathBuf;

/// The Python every probe script is run with. A pyenv shim would try to
/// write under `$HOME`, so a system interpreter is used directly.
pub const PYTHON: &str = "/usr/bin/python3";

/// The Linux enforcement backends under test.
pub use duet_sandbox::Backend;

/// The sandbox modes a probe runs in. `Unconfined` is the control: it
/// shows the probe can detect the effect at all.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Unconfined,
    ReadOnly,
    WorkspaceWrite,
    WorkspaceWriteNetwork,
}

impl Mode {
    pub const CONFINED: [Mode; 3] = [
        Mode::ReadOnly,
        Mode::WorkspaceWrite,
        Mode::WorkspaceWriteNetwork,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Mode::Unconfined => "danger-full-access",
            Mode::ReadOnly => "read-only",
            Mode::WorkspaceWrite => "workspace-write",
            Mode::WorkspaceWriteNetwork => "workspace-write+net",
        }
    }
}

/// What a probe run showed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The attempted effect happened.
    Allowed,
    /// It did not.
    Denied,
    /// The probe did not run as written; the text says what went wrong.
    Broken(String),
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Allowed => f.write_str("ALLOWED"),
            Outcome::Denied => f.write_str("DENIED"),
            Outcome::Broken(why) => write!(f, "BROKEN ({why})"),
        }
    }
}

/// A probe's program: a `sh -c` script or a `python3 -c` script (which gets
/// [`PY_PRELUDE`] first). Both end by printing `ALLOWED` or `DENIED …`.
pub enum Script {
    Sh(String),
    Py(String),
}

/// How the outcome is judged after the command ended (and its process
/// group was killed).
pub enum Check {
    /// The script's last line decides.
    Reported,
    /// Allowed if this path exists.
    PathExists(PathBuf),
    /// Allowed if this path no longer exists.
    PathGone(PathBuf),
    /// Allowed if the file's bytes differ from these.
    FileChanged(PathBuf, Vec<u8>),
    /// Allowed if the permission bits differ from these.
    ModeChanged(PathBuf, u32),
    /// Allowed if the listener has a connection waiting.
    TcpAccepted(TcpListener),
    /// Allowed if the connection waiting on the listener carries these
    /// bytes (sent over a descriptor the command inherited).
    TcpReceived(TcpListener, Vec<u8>),
    /// Allowed if the socket received a datagram.
    UdpReceived(UdpSocket),
    /// Allowed if the listener has a connection waiting.
    UnixAccepted(UnixListener),
    /// Allowed if a process whose command line holds this token is alive.
    ProcessAlive(String),
    /// Allowed if this host process (not in the sandbox) has died.
    HostChildDied(std::process::Child),
    /// Allowed if any of these directories' listings changed.
    ListingChanged(Vec<(PathBuf, Vec<String>)>),
}

/// One attempt: the script to run confined and how to judge it.
pub struct Attempt {
    pub script: Script,
    pub check: Check,
}

/// What a probe needs from the host to be meaningful.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Needs {
    Nothing,
    /// Only root can do it unconfined, so only as root can the sandbox be
    /// shown to stop it.
    Root,
    /// The host has `::1`.
    Ipv6Loopback,
    /// The host has a route towards the IPv4 documentation prefix.
    RouteV4,
    /// The host has a route towards the IPv6 documentation prefix.
    RouteV6,
}

/// An expected outcome in the tables.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    A,
    D,
}

impl From<Expect> for Outcome {
    fn from(expect: Expect) -> Self {
        match expect {
            Expect::A => Outcome::Allowed,
            Expect::D => Outcome::Denied,
        }
    }
}

/// One probe: what it tries, what it needs, and what each mode must show.
pub struct Probe {
    pub name: &'static str,
    /// Expected in read-only, workspace-write, workspace-write with network.
    pub expect: [Expect; 3],
    /// Expected unconfined: almost always allowed, proving the probe works.
    pub control: Expect,
    pub needs: Needs,
    /// Where Landlock differs by design (a limit documented in the
    /// backend's module docs), its own row; never to accept an escape.
    pub landlock: Option<[Expect; 3]>,
    pub attempt: fn(&Fixture) -> Attempt,
}

impl Probe {
    pub fn expected(&self, backend: Option<Backend>, mode: Mode) -> Outcome {
        let expect = match (backend, self.landlock) {
            (Some(Backend::Landlock), Some(landlock)) => landlock,
            _ => self.expect,
        };
        match mode {
            Mode::Unconfined => self.control.into(),
            Mode::ReadOnly => expect[0].into(),
            Mode::WorkspaceWrite => expect[1].into(),
            Mode::WorkspaceWriteNetwork => expect[2].into(),
        }
    }
}

/// Defined before every Python probe: `attempt(action)` prints `ALLOWED`
/// when `action()` returns and `DENIED <errno>` when it raises `OSError`;
/// `ok(ret)` turns a failed libc call into `OSError`; `NR` holds the system
/// call numbers that libc does not wrap.
pub const PY_PRELUDE: &str = r#"
import ctypes, errno, os, platform, socket, sys, time
libc = ctypes.CDLL(None, use_errno=True)
libc.syscall.restype = ctypes.c_long
def ok(ret):
    if ret < 0:
        code = ctypes.get_errno()
        raise OSError(code, os.strerror(code))
    return ret
def attempt(action):
    try:
        action()
    except OSError as error:
        print("DENIED", errno.errorcode.get(error.errno, type(error).__name__))
    else:
        print("ALLOWED")
NR = {
    "x86_64": {"add_key": 248, "bpf": 321, "perf_event_open": 298, "io_uring_setup": 425},
    "aarch64": {"add_key": 217, "bpf": 280, "perf_event_open": 241, "io_uring_setup": 425},
}[platform.machine()]
"#;
