//! Process and kernel probes: tracing, signalling host processes, the
//! system calls the seccomp filter refuses, privileges (setuid, capabilities,
//! `no_new_privs`), and children that try to outlive their command.
//!
//! Expectations are `[read-only, workspace-write, workspace-write + net]`;
//! none of these depends on the mode, so every row is the same.

use crate::fixture::{Fixture, running_as_root};
use crate::harness::Expect::{A, D};
use crate::harness::{Attempt, Check, Needs, PYTHON, Probe, Script};
use std::os::unix::fs::PermissionsExt;

const fn probe(name: &'static str, needs: Needs, attempt: fn(&Fixture) -> Attempt) -> Probe {
    Probe {
        name,
        expect: [D, D, D],
        control: A,
        needs,
        landlock: None,
        attempt,
    }
}

fn reported(body: &str) -> Attempt {
    Attempt {
        script: Script::Py(format!("{body}\nattempt(go)\n")),
        check: Check::Reported,
    }
}

/// A process on the host, outside any sandbox, that sleeps with the
/// fixture's token in its command line.
fn host_sleeper(fixture: &Fixture) -> std::process::Child {
    duet_sandbox::host_std_command(PYTHON)
        .args(["-c", "import time; time.sleep(60)", &fixture.token()])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("start a host sleeper")
}

pub const PROBES: &[Probe] = &[
    probe("ptrace_attach_own_child", Needs::Nothing, |_| {
        reported(
            "def go():\n    pid = os.fork()\n    if pid == 0:\n        time.sleep(5)\n        \
             os._exit(0)\n    try:\n        ok(libc.ptrace(0x4206, pid, None, None))\n    \
             finally:\n        os.kill(pid, 9)",
        )
    }),
    probe("ptrace_attach_host_process", Needs::Nothing, |f| {
        let sleeper = host_sleeper(f);
        let attempt = reported(&format!(
            "def go():\n    ok(libc.ptrace(0x4206, {}, None, None))",
            sleeper.id()
        ));
        f.adopt(sleeper);
        attempt
    }),
    probe("kill_host_process", Needs::Nothing, |f| {
        let sleeper = host_sleeper(f);
        Attempt {
            script: Script::Sh(format!(
                "if kill -KILL {} 2>/dev/null; then echo ALLOWED; else echo DENIED; fi",
                sleeper.id()
            )),
            check: Check::HostChildDied(sleeper),
        }
    }),
    probe("mount_tmpfs", Needs::Root, |_| {
        reported(
            "def go():\n    ok(libc.mount(b'none', b'sub', b'tmpfs', 0, None))\n    \
             libc.umount2(b'sub', 0)",
        )
    }),
    probe("unshare_user_namespace", Needs::Nothing, |_| {
        reported("def go():\n    ok(libc.unshare(0x10000000))")
    }),
    probe("unshare_mount_namespace", Needs::Root, |_| {
        reported("def go():\n    ok(libc.unshare(0x00020000))")
    }),
    probe("setns_into_host_network", Needs::Root, |f| {
        // The network namespace of a process outside the sandbox.
        let sleeper = host_sleeper(f);
        let attempt = reported(&format!(
            "def go():\n    fd = os.open('/proc/{}/ns/net', os.O_RDONLY)\n    \
             ok(libc.setns(fd, 0x40000000))",
            sleeper.id()
        ));
        f.adopt(sleeper);
        attempt
    }),
    probe("chroot", Needs::Root, |_| {
        reported("def go():\n    ok(libc.chroot(b'/'))")
    }),
    probe("add_key", Needs::Nothing, |_| {
        reported(
            "def go():\n    ok(libc.syscall(NR['add_key'], b'user', b'duet-escape', b'x', 1, -2))",
        )
    }),
    probe("bpf_map_create", Needs::Root, |_| {
        // BPF_MAP_CREATE of a one-entry array: type 2, key 4, value 4, 1 entry.
        reported(
            "def go():\n    attr = (ctypes.c_uint32 * 32)(2, 4, 4, 1)\n    \
             ok(libc.syscall(NR['bpf'], 0, attr, 128))",
        )
    }),
    probe("perf_event_open", Needs::Nothing, |_| {
        // A software CPU-clock counter of this process, user space only.
        reported(
            "def go():\n    attr = (ctypes.c_uint8 * 128)()\n    attr[0] = 1\n    \
             attr[4] = 128\n    attr[40] = 0b1100000\n    \
             ok(libc.syscall(NR['perf_event_open'], attr, 0, -1, -1, 0))",
        )
    }),
    probe("io_uring_setup", Needs::Nothing, |_| {
        reported(
            "def go():\n    params = (ctypes.c_uint8 * 120)()\n    \
             ok(libc.syscall(NR['io_uring_setup'], 1, params))",
        )
    }),
    probe("sethostname_to_itself", Needs::Root, |_| {
        reported(
            "def go():\n    name = socket.gethostname().encode()\n    \
             ok(libc.sethostname(name, len(name)))",
        )
    }),
    probe("setuid_binary_changes_uid", Needs::Root, |f| {
        // A copy of `id` owned by `nobody` with the setuid bit: unconfined,
        // `id -u` prints 65534; confined, the bit must be ignored.
        let binary = f.root.join("suid-id");
        if running_as_root() {
            std::fs::copy("/usr/bin/id", &binary).expect("copy id");
            std::os::unix::fs::chown(&binary, Some(65534), Some(65534)).expect("chown id");
            std::fs::set_permissions(&binary, std::fs::Permissions::from_mode(0o4755))
                .expect("setuid id");
        }
        Attempt {
            script: Script::Sh(format!(
                "uid=$('{}' -u) || exit 9; if [ \"$uid\" = 65534 ]; then echo ALLOWED; \
                 else echo \"DENIED uid $uid\"; fi",
                binary.display()
            )),
            check: Check::Reported,
        }
    }),
    probe("keep_effective_capabilities", Needs::Root, |_| {
        reported(
            "def go():\n    caps = [l for l in open('/proc/self/status') if l.startswith('CapEff')]\n    \
             if int(caps[0].split()[1], 16) == 0:\n        raise OSError(errno.EPERM, 'no capabilities')",
        )
    }),
    // An empty bounding set is what keeps a root command's `exec` of any
    // program from granting capabilities again.
    probe("keep_bounding_capabilities", Needs::Root, |_| {
        reported(
            "def go():\n    caps = [l for l in open('/proc/self/status') if l.startswith('CapBnd')]\n    \
             if int(caps[0].split()[1], 16) == 0:\n        raise OSError(errno.EPERM, 'no capabilities')",
        )
    }),
    probe("no_new_privs_unset", Needs::Nothing, |_| {
        reported(
            "def go():\n    flag = [l for l in open('/proc/self/status') if l.startswith('NoNewPrivs')]\n    \
             if flag[0].split()[1] != '0':\n        raise OSError(errno.EPERM, 'no_new_privs is set')",
        )
    }),
    Probe {
        // The harness kills the command's process group once it returns, so
        // even unconfined a plain background child does not survive.
        control: D,
        ..probe(
            "outlive_command_in_background",
            Needs::Nothing,
            outlive_plain,
        )
    },
    probe("outlive_command_in_new_session", Needs::Nothing, |f| {
        outlive(f, "import os, time; os.setsid(); time.sleep(60)")
    }),
    probe("outlive_command_double_fork", Needs::Nothing, |f| {
        outlive(
            f,
            "import os, time\nif os.fork() == 0:\n    os.setsid()\n    \
             if os.fork() == 0:\n        time.sleep(60)\n    os._exit(0)\nos._exit(0)",
        )
    }),
    probe(
        "outlive_command_by_killing_its_helper",
        Needs::Nothing,
        |f| {
            // The parent of a confined command is the sandbox's own process
            // (under Landlock the supervising helper); killing it must not
            // leave the command's children running. Unconfined the parent is
            // the test itself, which is spared.
            let code = "import os, time; os.setsid(); time.sleep(60)";
            Attempt {
                script: Script::Sh(format!(
                    "'{PYTHON}' -c '{code}' {} </dev/null >/dev/null 2>&1 &\nsleep 0.3\n\
                 [ -n \"$DUET_SANDBOX\" ] && kill -KILL $PPID 2>/dev/null\nsleep 0.2\necho ALLOWED",
                    f.token()
                )),
                check: Check::ProcessAlive(f.token()),
            }
        },
    ),
    probe("send_over_an_inherited_socket", Needs::Nothing, |f| {
        // A connection to the host that duet had open: with it, a command
        // reaches the network whatever the policy says.
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("listener");
        let stream =
            std::net::TcpStream::connect(listener.local_addr().expect("address")).expect("connect");
        let fd = f.leave_open(stream.into());
        let attempt = reported(&format!("def go():\n    os.write({fd}, b'{}')", f.nonce));
        Attempt {
            check: Check::TcpReceived(listener, f.nonce.as_bytes().to_vec()),
            ..attempt
        }
    }),
];

fn outlive_plain(fixture: &Fixture) -> Attempt {
    outlive(fixture, "import time; time.sleep(60)")
}

/// Start `code` in the background with the fixture's token and return at
/// once; allowed if it is still alive after the command's group was killed.
fn outlive(fixture: &Fixture, code: &str) -> Attempt {
    let quoted = code.replace('\'', "'\\''");
    Attempt {
        script: Script::Sh(format!(
            "'{PYTHON}' -c '{quoted}' {} </dev/null >/dev/null 2>&1 &\nsleep 0.3\necho ALLOWED",
            fixture.token()
        )),
        check: Check::ProcessAlive(fixture.token()),
    }
}
