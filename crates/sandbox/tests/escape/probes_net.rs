//! Network probes: reaching the host's loopback (judged by listeners the
//! test holds), sending towards addresses that route nowhere useful,
//! sockets inside the sandbox, netlink, and AF_UNIX.
//!
//! Expectations are `[read-only, workspace-write, workspace-write + net]`.

use crate::fixture::Fixture;
use crate::harness::Expect::{A, D};
use crate::harness::{Attempt, Check, Needs, Probe, Script};
use std::net::{TcpListener, UdpSocket};
use std::os::unix::net::UnixListener;

/// Documentation prefixes (TEST-NET-2, 2001:db8::/32): routed by a default
/// route, answered by nobody. A connect that is still in progress means a
/// packet left.
pub const NONROUTABLE_V4: &str = "198.51.100.1:9";
pub const NONROUTABLE_V6: &str = "[2001:db8::1]:9";

fn py(body: String, check: Check) -> Attempt {
    Attempt {
        script: Script::Py(body),
        check,
    }
}

const fn probe(
    name: &'static str,
    expect: [crate::harness::Expect; 3],
    needs: Needs,
    attempt: fn(&Fixture) -> Attempt,
) -> Probe {
    Probe {
        name,
        expect,
        control: A,
        needs,
        landlock: None,
        attempt,
    }
}

fn tcp_to_host(bind: &str, family: &str, host: &str) -> Attempt {
    let listener = TcpListener::bind(bind).expect("host listener");
    let port = listener.local_addr().expect("listener address").port();
    py(
        format!(
            "def go():\n    s = socket.socket(socket.{family}, socket.SOCK_STREAM)\n    \
             s.settimeout(3)\n    s.connect(('{host}', {port}))\nattempt(go)\n"
        ),
        Check::TcpAccepted(listener),
    )
}

fn udp_to_host(bind: &str, family: &str, host: &str) -> Attempt {
    let socket = UdpSocket::bind(bind).expect("host udp socket");
    let port = socket.local_addr().expect("socket address").port();
    py(
        format!(
            "def go():\n    s = socket.socket(socket.{family}, socket.SOCK_DGRAM)\n    \
             s.sendto(b'escape', ('{host}', {port}))\n    time.sleep(0.05)\nattempt(go)\n"
        ),
        Check::UdpReceived(socket),
    )
}

/// A non-blocking connect towards `address`: `EINPROGRESS` means the SYN
/// went out.
fn tcp_nonroutable(family: &str, address: &str) -> Attempt {
    let (host, port) = split(address);
    py(
        format!(
            "def go():\n    s = socket.socket(socket.{family}, socket.SOCK_STREAM)\n    \
             s.setblocking(False)\n    code = s.connect_ex(('{host}', {port}))\n    \
             if code != errno.EINPROGRESS:\n        raise OSError(code, os.strerror(code))\n\
             attempt(go)\n"
        ),
        Check::Reported,
    )
}

fn udp_nonroutable(family: &str, address: &str) -> Attempt {
    let (host, port) = split(address);
    py(
        format!(
            "def go():\n    s = socket.socket(socket.{family}, socket.SOCK_DGRAM)\n    \
             s.sendto(b'escape', ('{host}', {port}))\nattempt(go)\n"
        ),
        Check::Reported,
    )
}

fn split(address: &str) -> (&str, &str) {
    let (host, port) = address.rsplit_once(':').expect("host:port");
    (host.trim_start_matches('[').trim_end_matches(']'), port)
}

pub const PROBES: &[Probe] = &[
    probe("tcp4_to_host_loopback", [D, D, A], Needs::Nothing, |_| {
        tcp_to_host("127.0.0.1:0", "AF_INET", "127.0.0.1")
    }),
    probe(
        "tcp6_to_host_loopback",
        [D, D, A],
        Needs::Ipv6Loopback,
        |_| tcp_to_host("[::1]:0", "AF_INET6", "::1"),
    ),
    probe("udp4_to_host_loopback", [D, D, A], Needs::Nothing, |_| {
        udp_to_host("127.0.0.1:0", "AF_INET", "127.0.0.1")
    }),
    probe(
        "udp6_to_host_loopback",
        [D, D, A],
        Needs::Ipv6Loopback,
        |_| udp_to_host("[::1]:0", "AF_INET6", "::1"),
    ),
    probe("tcp4_to_nonroutable", [D, D, A], Needs::RouteV4, |_| {
        tcp_nonroutable("AF_INET", NONROUTABLE_V4)
    }),
    probe("tcp6_to_nonroutable", [D, D, A], Needs::RouteV6, |_| {
        tcp_nonroutable("AF_INET6", NONROUTABLE_V6)
    }),
    probe("udp4_to_nonroutable", [D, D, A], Needs::RouteV4, |_| {
        udp_nonroutable("AF_INET", NONROUTABLE_V4)
    }),
    probe("udp6_to_nonroutable", [D, D, A], Needs::RouteV6, |_| {
        udp_nonroutable("AF_INET6", NONROUTABLE_V6)
    }),
    probe(
        "tcp_loopback_inside_sandbox",
        [D, D, A],
        Needs::Nothing,
        |_| {
            py(
                "def go():\n    server = socket.socket()\n    server.bind(('127.0.0.1', 0))\n    \
             server.listen(1)\n    client = socket.socket()\n    client.settimeout(3)\n    \
             client.connect(server.getsockname())\n    server.accept()\nattempt(go)\n"
                    .to_string(),
                Check::Reported,
            )
        },
    ),
    probe("netlink_route_socket", [D, D, A], Needs::Nothing, |_| {
        py(
            "def go():\n    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, 0)\n    \
             s.bind((0, 0))\nattempt(go)\n"
                .to_string(),
            Check::Reported,
        )
    }),
    // A Unix socket directly in the workspace root, and in a folder made by
    // the same command in `$TMPDIR` (Python's multiprocessing does that):
    // allowed with the network on, on both backends.
    probe(
        "unix_bind_in_workspace_root",
        [D, D, A],
        Needs::Nothing,
        |_| {
            py(
                "def go():\n    s = socket.socket(socket.AF_UNIX)\n    s.bind('probe.sock')\n\
             attempt(go)\n"
                    .to_string(),
                Check::Reported,
            )
        },
    ),
    probe(
        "unix_bind_in_a_new_temp_folder",
        [D, D, A],
        Needs::Nothing,
        |_| {
            py(
                "import tempfile\ndef go():\n    d = tempfile.mkdtemp()\n    \
             s = socket.socket(socket.AF_UNIX)\n    s.bind(d + '/listener')\nattempt(go)\n"
                    .to_string(),
                Check::Reported,
            )
        },
    ),
    probe(
        "unix_bind_path_in_workspace",
        [D, D, A],
        Needs::Nothing,
        |_| {
            py(
                "def go():\n    s = socket.socket(socket.AF_UNIX)\n    s.bind('sub/probe.sock')\n\
             attempt(go)\n"
                    .to_string(),
                Check::Reported,
            )
        },
    ),
    probe("unix_connect_host_socket", [D, D, A], Needs::Nothing, |f| {
        let path = f.root.join("host.sock");
        let listener = UnixListener::bind(&path).expect("host unix listener");
        py(
            format!(
                "def go():\n    s = socket.socket(socket.AF_UNIX)\n    \
                 s.connect('{}')\nattempt(go)\n",
                path.display()
            ),
            Check::UnixAccepted(listener),
        )
    }),
    probe(
        "unix_connect_host_abstract",
        [D, D, A],
        Needs::Nothing,
        |f| {
            use std::os::linux::net::SocketAddrExt;
            let name = f.token();
            let address = std::os::unix::net::SocketAddr::from_abstract_name(name.as_bytes())
                .expect("abstract address");
            let listener = UnixListener::bind_addr(&address).expect("host abstract listener");
            py(
                format!(
                    "def go():\n    s = socket.socket(socket.AF_UNIX)\n    \
                 s.connect('\\0{name}')\nattempt(go)\n"
                ),
                Check::UnixAccepted(listener),
            )
        },
    ),
    probe("unix_socketpair", [A, A, A], Needs::Nothing, |_| {
        py(
            "def go():\n    a, b = socket.socketpair()\n    a.send(b'x')\n    \
             assert b.recv(1) == b'x'\nattempt(go)\n"
                .to_string(),
            Check::Reported,
        )
    }),
];
