#!/usr/bin/env python3
"""Whole-process time of `duet execpolicy check`, measured as benches/bench.py
measures `duet`: a monotonic clock around posix_spawn and wait4, medians.

    cargo build --release -p duet
    python3 crates/execpolicy/benches/check_process.py [--bin target/release/duet] [--runs 200]

Cases: the conformance `basic.rules` with one argv, and a generated file of
1,000 rules (the criterion bench's shape) with one argv.
"""

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def run_once(argv):
    devnull = os.open(os.devnull, os.O_RDWR)
    try:
        start = time.perf_counter()
        pid = os.posix_spawn(
            argv[0], argv, dict(os.environ),
            file_actions=[
                (os.POSIX_SPAWN_DUP2, devnull, 0),
                (os.POSIX_SPAWN_DUP2, devnull, 1),
                (os.POSIX_SPAWN_DUP2, devnull, 2),
                (os.POSIX_SPAWN_CLOSE, devnull),
            ],
        )
        _, status, _ = os.wait4(pid, 0)
        elapsed = time.perf_counter() - start
    finally:
        os.close(devnull)
    return elapsed, os.waitstatus_to_exitcode(status)


def measure(name, argv, runs):
    for _ in range(5):
        _, code = run_once(argv)
        if code != 0:
            sys.exit(f"{name}: exited {code}: {' '.join(argv)}")
    times = sorted(run_once(argv)[0] for _ in range(runs))
    print(f"{name}: median {statistics.median(times) * 1000:.2f} ms, "
          f"p10 {times[len(times) // 10] * 1000:.2f} ms, p90 {times[len(times) * 9 // 10] * 1000:.2f} ms")


def thousand_rules():
    lines = []
    for i in range(1000):
        program = f"tool{i % 200}"
        decision = ["allow", "prompt", "forbidden"][i % 3]
        if i % 3 == 0:
            lines.append(f'prefix_rule(pattern = ["{program}", ["sub{i}", "alt{i}"], "--flag"], '
                         f'decision = "{decision}", justification = "rule {i}")')
        else:
            lines.append(f'prefix_rule(pattern = ["{program}", "sub{i}"], decision = "{decision}")')
    return "\n".join(lines) + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--bin", default=str(ROOT / "target/release/duet"))
    ap.add_argument("--runs", type=int, default=200)
    a = ap.parse_args()
    basic = ROOT.parent / "shared/conformance/execpolicy/rules/basic.rules"
    if not basic.exists():
        basic = Path(tempfile.mkstemp(suffix=".rules")[1])
        basic.write_text('prefix_rule(pattern = ["git", "status"], decision = "allow")\n')
    big = Path(tempfile.mkstemp(suffix=".rules")[1])
    big.write_text(thousand_rules())
    measure("check, basic.rules, `git status`",
            [a.bin, "execpolicy", "check", "--rules", str(basic), "git", "status"], a.runs)
    measure("check, 1,000 rules, `tool3 sub3 --flag`",
            [a.bin, "execpolicy", "check", "--rules", str(big), "tool3", "sub3", "--flag"], a.runs)
    measure("--version", [a.bin, "--version"], a.runs)


if __name__ == "__main__":
    main()
