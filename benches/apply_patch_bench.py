#!/usr/bin/env python3
"""Whole-process benchmark of `apply_patch`: the `duet` binary run under the
name `apply_patch` (argv[0]) applying 1,000 one-line chunks to a
100,000-line file, the patch given as the one argument. Wall time is taken
with a monotonic clock around posix_spawn and wait4 (as bench.py does);
peak RSS comes from separate runs under GNU time (`/usr/bin/time -f %M`).
Each run really applies a patch: runs alternate between the forward patch
and its reverse, so the file is back to its start after every pair.
Figures are medians; see docs/performance.md (`## apply_patch`).

    cargo build --release -p duet
    python3 benches/apply_patch_bench.py [--bin target/release/duet] [--runs 40]
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import fresh_copy  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
LINES = 100_000
CHUNKS = 1_000


def line(index, changed=False):
    suffix = " + 1" if changed else ""
    return f"    let value_{index:06} = compute({index}){suffix};"


def make_case(dir_path):
    text = "".join(line(index) + "\n" for index in range(LINES))
    (dir_path / "big.rs").write_text(text)
    step = LINES // CHUNKS
    indexes = [chunk * step + step // 2 for chunk in range(CHUNKS)]

    def patch(forward):
        out = ["*** Begin Patch", "*** Update File: big.rs"]
        for index in indexes:
            old, new = line(index, not forward), line(index, forward)
            out += ["@@", f"-{old}", f"+{new}"]
        out.append("*** End Patch")
        return "\n".join(out) + "\n"

    return len(text.encode()), patch(True), patch(False)


def run_once(argv, cwd):
    """Spawn with stdio on /dev/null, wait, return (seconds, exit code)."""
    devnull = os.open(os.devnull, os.O_RDWR)
    old_cwd = os.getcwd()
    os.chdir(cwd)
    try:
        start = time.perf_counter()
        pid = os.posix_spawn(
            argv[0],
            argv,
            dict(os.environ),
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
        os.chdir(old_cwd)
        os.close(devnull)
    return elapsed, os.waitstatus_to_exitcode(status)


def peak_rss_kib(argv, cwd):
    done = subprocess.run(
        ["/usr/bin/time", "-f", "%M", *argv],
        cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE, text=True, check=False,
    )
    return int(done.stderr.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=str(ROOT / "target/release/duet"))
    parser.add_argument("--runs", type=int, default=40)
    args = parser.parse_args()
    binary = fresh_copy(args.bin)
    if not binary.exists():
        sys.exit(f"no binary at {binary}: cargo build --release -p duet")
    with tempfile.TemporaryDirectory(prefix="apply_patch_bench_") as tmp:
        tmp = Path(tmp)
        link = tmp / "apply_patch"
        link.symlink_to(binary)
        work = tmp / "work"
        work.mkdir()
        size, forward, backward = make_case(work)
        patches = [forward, backward]
        for turn in range(4):  # warm-up, and a check that both directions apply
            _, code = run_once([str(link), patches[turn % 2]], work)
            if code != 0:
                sys.exit(f"warm-up run {turn} exited {code}")
        times = []
        for turn in range(args.runs):
            elapsed, code = run_once([str(link), patches[turn % 2]], work)
            if code != 0:
                sys.exit(f"run {turn} exited {code}")
            times.append(elapsed)
        rss = []
        if Path("/usr/bin/time").exists():
            for turn in range(6):
                rss.append(peak_rss_kib([str(link), patches[turn % 2]], work))
        ms = sorted(t * 1000 for t in times)
        print(f"file: {LINES} lines, {size} bytes; patch: {CHUNKS} chunks, {len(forward)} bytes")
        print(f"apply_patch whole process: median {statistics.median(ms):.2f} ms, "
              f"min {ms[0]:.2f} ms, p90 {ms[int(len(ms) * 0.9)]:.2f} ms over {len(ms)} runs")
        if rss:
            peak = statistics.median(rss)
            print(f"peak RSS: median {peak:.0f} KiB = {peak * 1024 / size:.2f} x the file size")


if __name__ == "__main__":
    main()
