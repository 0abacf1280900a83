#!/usr/bin/env python3
"""Whole-process figures of the interactive TUI (issue 7): time from spawn to
a usable composer, CPU used while idle, and resident memory, with `duet`
running on a real pseudo-terminal. See docs/performance.md ("tui").

    cargo build --release -p duet
    python3 benches/tui_bench.py [--bin target/release/duet] [--runs 20] [--resume-home DIR --resume-id ID]

The script plays the terminal: it answers the queries a terminal answers
at start-up (cursor position, primary device attributes), so nothing waits
for a timeout, and the clock stops when the composer's placeholder text
reaches the pty. Idle CPU is the process's user+system time over a quiet
interval (`/proc/PID/stat`), after start-up has settled. With
`--resume-home` and `--resume-id`, the same is measured for `duet resume`
of a stored session (its transcript is drawn before the composer).
"""

import argparse
import os
import pty
import select
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import fresh_copy  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
COMPOSER = b"Ask duet to do anything"
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def answer_queries(fd, chunk, state):
    """Reply to the terminal queries crossterm sends at start-up."""
    state["seen"] += chunk
    seen = state["seen"]
    while True:
        cpr = seen.find(b"\x1b[6n")
        da = seen.find(b"\x1b[c")
        hits = [i for i in (cpr, da) if i >= 0]
        if not hits:
            break
        first = min(hits)
        if first == cpr:
            os.write(fd, b"\x1b[1;1R")
            seen = seen[cpr + 4:]
        else:
            os.write(fd, b"\x1b[?62;22c")
            seen = seen[da + 3:]
    # Keep a short tail: a query may be split across reads.
    state["seen"] = seen[-8:]


def cpu_ticks(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def rss_kib(pid, key="VmRSS"):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(key + ":"):
                return int(line.split()[1])
    return 0


def one_run(argv, env, cwd, idle_seconds=0.0, size=(40, 120)):
    """Spawn `argv` on a pty; return (seconds to the composer, idle CPU
    seconds over `idle_seconds`, RSS KiB, peak RSS KiB)."""
    pid, fd = pty.fork()
    if pid == 0:
        os.chdir(cwd)
        os.execve(argv[0], argv, env)
    import fcntl
    import struct
    import termios
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", size[0], size[1], 0, 0))
    start = time.perf_counter()
    state = {"seen": b""}
    window = b""
    elapsed = None
    deadline = start + 30
    while elapsed is None:
        if time.perf_counter() > deadline:
            os.kill(pid, signal.SIGKILL)
            sys.exit("the composer did not appear within 30 s")
        ready, _, _ = select.select([fd], [], [], 1.0)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError:
            sys.exit("duet exited before drawing the composer")
        answer_queries(fd, chunk, state)
        window = (window + chunk)[-4096:]
        if COMPOSER in window:
            elapsed = time.perf_counter() - start
    idle_cpu = None
    if idle_seconds:
        # Let start-up finish (drain output), then measure a quiet stretch.
        settle = time.perf_counter() + 0.5
        while time.perf_counter() < settle:
            if select.select([fd], [], [], 0.05)[0]:
                answer_queries(fd, os.read(fd, 65536), state)
        before = cpu_ticks(pid)
        quiet_end = time.perf_counter() + idle_seconds
        while time.perf_counter() < quiet_end:
            if select.select([fd], [], [], 0.1)[0]:
                answer_queries(fd, os.read(fd, 65536), state)
        idle_cpu = (cpu_ticks(pid) - before) / CLOCK_TICKS
    rss = rss_kib(pid)
    peak = rss_kib(pid, "VmHWM")
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    os.close(fd)
    return elapsed, idle_cpu, rss, peak


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=str(ROOT / "target/release/duet"))
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--idle", type=float, default=10.0)
    parser.add_argument("--resume-home")
    parser.add_argument("--resume-id")
    args = parser.parse_args()
    duet = str(fresh_copy(args.bin))

    with tempfile.TemporaryDirectory(prefix="duet-tui-bench-") as tmp:
        home = Path(tmp) / "home"
        repo = Path(tmp) / "repo"
        home.mkdir()
        repo.mkdir()
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(home),
            "DUET_HOME": str(home),
            "TERM": "xterm-256color",
            "LANG": "C.UTF-8",
            # Never contacted: nothing is sent while the composer is idle.
            "OPENAI_API_KEY": "sk-bench",
        }
        argv = [duet, "-c", 'openai_base_url="http://127.0.0.1:9"']
        rows = []
        times = [one_run(argv, env, repo)[0] for _ in range(args.runs)]
        _, idle, rss, peak = one_run(argv, env, repo, idle_seconds=args.idle)
        rows.append(("new session", times, idle, rss, peak))

        if args.resume_home and args.resume_id:
            renv = dict(env, DUET_HOME=args.resume_home)
            rargv = [duet, "-c", 'openai_base_url="http://127.0.0.1:9"', "resume", args.resume_id]
            rtimes = [one_run(rargv, renv, repo)[0] for _ in range(max(3, args.runs // 4))]
            _, ridle, rrss, rpeak = one_run(rargv, renv, repo, idle_seconds=args.idle)
            rows.append((f"duet resume {args.resume_id[:8]}…", rtimes, ridle, rrss, rpeak))

    print(f"binary: {duet}")
    print(f"| start-up | spawn to composer (median, min, max) | idle CPU over {args.idle:.0f} s | RSS | peak RSS |")
    print("| --- | --- | --- | --- | --- |")
    for name, ts, idle, rss, peak in rows:
        ms = sorted(t * 1000 for t in ts)
        print(
            f"| {name} ({len(ts)} runs) | {statistics.median(ms):.1f} ms ({ms[0]:.1f}, {ms[-1]:.1f}) "
            f"| {idle * 1000:.0f} ms ({idle / args.idle * 100:.2f} %) | {rss / 1024:.1f} MiB | {peak / 1024:.1f} MiB |"
        )


if __name__ == "__main__":
    main()
