#!/usr/bin/env python3
"""Whole-process figures of duet's stored sessions (issue 6): `duet sessions
list` and `duet sessions search` over 10,000 sessions of 20 items, `duet
usage` over their 200,000 cost-ledger rows (issue 20), and
resuming a 10,000-item (~47 MB) session up to the moment its next request
reaches the model. See docs/performance.md ("sessions").

The database comes from core's bench, which writes it through the store
(about a minute):

    cargo build --release -p duet
    DUET_BENCH_HOME=/tmp/duet-sessions cargo bench -p duet-core --bench sessions
    python3 benches/sessions_bench.py --home /tmp/duet-sessions [--bin target/release/duet]

Wall times come from a monotonic clock around posix_spawn and wait4 (see
bench.py). "Time to the request" runs `duet exec resume` against a bare TCP
listener: the clock stops when the request's first bytes arrive (the body is
serialised before the headers are sent), then duet is killed. A one-turn
`duet exec` of a new session, timed the same way, is the baseline.
"""

import argparse
import os
import signal
import socket
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import ROOT, measure  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import fresh_copy  # noqa: E402


def time_to_request(argv_for_port, env, cwd, runs, warmup=2):
    """Median seconds from spawn to the first bytes of the model request."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    argv = argv_for_port(listener.getsockname()[1])
    times = []
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        for run in range(warmup + runs):
            old_cwd = os.getcwd()
            os.chdir(cwd)
            try:
                start = time.perf_counter()
                pid = os.posix_spawn(argv[0], argv, env, file_actions=[
                    (os.POSIX_SPAWN_DUP2, devnull, 0),
                    (os.POSIX_SPAWN_DUP2, devnull, 1),
                    (os.POSIX_SPAWN_DUP2, devnull, 2),
                ])
            finally:
                os.chdir(old_cwd)
            listener.settimeout(30)
            conn, _ = listener.accept()
            first = conn.recv(4096)
            elapsed = time.perf_counter() - start
            if not first.startswith(b"POST"):
                sys.exit(f"unexpected request start: {first[:40]!r}")
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
            conn.close()
            if run >= warmup:
                times.append(elapsed)
    finally:
        os.close(devnull)
        listener.close()
    return {"median_ms": statistics.median(times) * 1000, "min_ms": min(times) * 1000,
            "max_ms": max(times) * 1000, "runs": runs}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--home", required=True, help="DUET_BENCH_HOME of the core bench")
    parser.add_argument("--bin", default=str(ROOT / "target/release/duet"))
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    duet = str(fresh_copy(args.bin))
    home = Path(args.home).resolve()
    big = (home / "big-thread-id").read_text().strip()
    project = home / "project-3"
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "DUET_HOME": str(home),
        "OPENAI_API_KEY": "sk-bench",
    }

    rows = [
        measure("duet --version (start-up, for scale)", [duet, "--version"], env, args.runs, cwd=project),
        measure("duet sessions list (this cwd: 1,000 sessions, newest 50)",
                [duet, "sessions", "list"], env, args.runs, cwd=project),
        measure("duet sessions list --all (newest 50)",
                [duet, "sessions", "list", "--all"], env, args.runs, cwd=project),
        measure("duet sessions list --json (this cwd, newest 50)",
                [duet, "sessions", "list", "--json"], env, args.runs, cwd=project),
        measure("duet sessions search marker4242 --all (one session)",
                [duet, "sessions", "search", "marker4242", "--all"], env, args.runs, cwd=project),
        measure("duet sessions search tests --all (every session, best 20)",
                [duet, "sessions", "search", "tests", "--all"], env, args.runs, cwd=project),
        measure("duet sessions search tests (this cwd, best 20)",
                [duet, "sessions", "search", "tests"], env, args.runs, cwd=project),
        measure("duet usage (200,000 ledger rows of 10,000 sessions, by model)",
                [duet, "usage"], env, args.runs, cwd=project),
        measure("duet usage --by day --json",
                [duet, "usage", "--by", "day", "--json"], env, args.runs, cwd=project),
        measure("duet usage --by dir",
                [duet, "usage", "--by", "dir"], env, args.runs, cwd=project),
        measure("duet usage --since 7d",
                [duet, "usage", "--since", "7d"], env, args.runs, cwd=project),
        measure("duet sessions cost (this cwd's newest: 20 requests)",
                [duet, "sessions", "cost"], env, args.runs, cwd=project),
    ]

    def exec_argv(extra):
        return lambda port: [
            duet, "exec", "--skip-git-repo-check", "-s", "danger-full-access",
            "-c", f'openai_base_url="http://127.0.0.1:{port}/v1"', *extra,
        ]

    fresh = time_to_request(exec_argv(["next step"]), env, project, args.runs)
    fresh["name"] = "exec, new session: spawn to request"
    resume = time_to_request(exec_argv(["resume", big, "next step"]), env, project, max(5, args.runs // 2))
    resume["name"] = "exec resume of the 10,000-item session: spawn to request"

    print("| measure | median | min | max |")
    print("| --- | --- | --- | --- |")
    for r in rows + [fresh, resume]:
        print(f"| {r['name']} ({r['runs']} runs) | {r['median_ms']:.2f} ms | {r['min_ms']:.2f} ms "
              f"| {r['max_ms']:.2f} ms |")
    print()
    print(f"resume beyond a new session: {resume['median_ms'] - fresh['median_ms']:.1f} ms")
    print(f"load average: {os.getloadavg()}")


if __name__ == "__main__":
    main()
