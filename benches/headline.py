#!/usr/bin/env python3
"""The headline figures of docs/performance.md, each measured beside its
floor in the same run, interleaved so that the machine's mood reaches every
column alike.

    cargo build --release -p duet -p duet-test-support
    python3 benches/headline.py [--bin target/release/duet ...] [--rounds 40]

Several `--bin`s (e.g. a release build of an older commit, then this one)
are measured round-robin: each round runs every measure once for each
binary and for its floor, in turn, so a before/after comparison comes from
one run. Figures are medians over the rounds.

The floors are what any program doing the same job must spend on this
host:

- start: `start_floor` (benches/start_floor.rs, `rustc -O`), a Rust program
  that starts and exits, for `duet --version`;
- one request: that start plus a connection and one request to the same
  mock, read to the end (`start_floor`, then the request from this
  script), for a one-turn `duet exec`;
- thirty commands: the one-request floor plus, thirty times, a `bash -c
  true` and a request on the same connection, for thirty `exec_command
  true` calls and an answer.

Each measure and binary gets a `DUET_HOME` of its own, so a run never pays
for another measure's database.

Each binary is copied into the run's folder first and measured there (see
the comment in `main`). Wall time is `posix_spawn` to `wait4`. Peak RSS is GNU time's `%M`, the
median of 7 runs (`ru_maxrss` straight from Python would include Python's).
"""

import argparse
import http.client
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import fresh_copy, peak_rss_kib, run_once, start_mock  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def spawn_wait(argv, env, cwd):
    """Seconds from posix_spawn to wait4 of `argv`; exits on failure."""
    elapsed, code = run_once([str(arg) for arg in argv], env, cwd)
    if code != 0:
        sys.exit(f"exited {code}: {' '.join(map(str, argv))}")
    return elapsed


def request(conn):
    """Seconds for one POST /v1/responses on `conn`, read to the end (a
    client keeps its connection for the next request, as duet does)."""
    body = json.dumps({"prompt_cache_key": f"floor-{time.perf_counter_ns()}", "input": []})
    start = time.perf_counter()
    conn.request("POST", "/v1/responses", body, {"content-type": "application/json"})
    conn.getresponse().read()
    return time.perf_counter() - start


def peak_rss_mib(argv, env, cwd):
    kib = peak_rss_kib([str(arg) for arg in argv], env, cwd)
    return None if kib is None else kib / 1024


def build_floor(work):
    floor = work / "start_floor"
    subprocess.run(
        ["rustc", "-O", "-o", str(floor), str(ROOT / "benches/start_floor.rs")], check=True
    )
    return floor


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", action="append", help="a duet binary (repeatable)")
    parser.add_argument("--label", action="append", help="a column name per --bin")
    parser.add_argument("--env", action="append",
                        help="NAME=VALUE[,NAME=VALUE] set for the --bin of the same position "
                             "(an empty value sets nothing): the same binary measured with "
                             "and without a switch, in one run")
    parser.add_argument("--mock", default=str(ROOT / "target/release/duet-mock-responses"))
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--no-wires", action="store_true",
                        help="leave out the Chat and Anthropic wires (binaries before issue 18)")
    args = parser.parse_args()
    bins = [Path(b).resolve() for b in (args.bin or [str(ROOT / "target/release/duet")])]
    labels = args.label or [b.parent.parent.parent.name + ":" + b.name for b in bins]
    if len(labels) != len(bins):
        sys.exit("give one --label per --bin")
    extra_envs = [
        dict(pair.split("=", 1) for pair in spec.split(",") if "=" in pair)
        for spec in (args.env or [""] * len(bins))
    ]
    if len(extra_envs) != len(bins):
        sys.exit("give one --env per --bin")

    work = Path(tempfile.mkdtemp(prefix="duet-headline-"))
    # Each binary is measured as a fresh copy: a file as the linker wrote
    # it (many small writes) sits in the page cache in small pieces and
    # takes more page faults to start than a copy written at once, which
    # made one binary look 0.6 ms slower than its own copy.
    sizes = [bin.stat().st_size for bin in bins]
    bins = [fresh_copy(bin) for bin in bins]
    home, repo = work / "home", work / "repo"
    home.mkdir()
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    floor = build_floor(work)
    base_env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "OPENAI_API_KEY": "sk-bench",
    }

    hello = {"responses": [[{"message": "hello"}]], "per_thread": True}
    thirty = {
        "per_thread": True,
        "responses": [
            [{"function_call": {"name": "exec_command", "arguments": {"cmd": "true"}}}]
            for _ in range(30)
        ] + [[{"message": "done"}]],
    }
    mocks = []
    try:
        hello_proc, hello_port = start_mock(args.mock, {"name": "hello", "body": hello}, work)
        mocks.append(hello_proc)
        thirty_proc, thirty_port = start_mock(args.mock, {"name": "thirty", "body": thirty}, work)
        mocks.append(thirty_proc)
        # The wires: one answer, looped (chat and Anthropic requests carry
        # no thread id to keep a place per thread by).
        looped = {"responses": [[{"message": "hello"}]], "loop": True}
        wire_proc, wire_port = start_mock(args.mock, {"name": "wires", "body": looped}, work)
        mocks.append(wire_proc)

        def wire_argv(bin, wire):
            return [str(bin), "exec", "--skip-git-repo-check", "-s", "danger-full-access",
                    "-c", "model_provider=bench",
                    "-c", f'model_providers.bench.base_url="http://127.0.0.1:{wire_port}/v1"',
                    "-c", "model_providers.bench.env_key=OPENAI_API_KEY",
                    "-c", f'model_providers.bench.wire_api="{wire}"',
                    "say hello"]

        def exec_argv(bin, port, *extra):
            return [str(bin), "exec", "--skip-git-repo-check", "-s", "danger-full-access",
                    "-c", f'openai_base_url="http://127.0.0.1:{port}/v1"', *extra, "say hello"]

        measures = [
            ("`duet --version`", lambda b: [str(b), "--version"], "start"),
            ("one-turn `exec`, human output", lambda b: exec_argv(b, hello_port), "request"),
            ("one-turn `exec --json`", lambda b: exec_argv(b, hello_port, "--json"), "request"),
            ("one-turn `exec --ephemeral`", lambda b: exec_argv(b, hello_port, "--ephemeral"), "request"),
            ("30 × `exec_command true`, then an answer", lambda b: exec_argv(b, thirty_port), "thirty"),
        ]
        if not args.no_wires:
            measures += [
                ("one-turn `exec`, Responses wire", lambda b: wire_argv(b, "responses"), "request"),
                ("one-turn `exec`, Chat Completions wire", lambda b: wire_argv(b, "chat"), "request"),
                ("one-turn `exec`, Anthropic wire", lambda b: wire_argv(b, "anthropic"), "request"),
            ]

        def floor_time(kind):
            elapsed = spawn_wait([str(floor)], base_env, repo)
            if kind == "start":
                return elapsed
            start = time.perf_counter()
            conn = http.client.HTTPConnection("127.0.0.1", hello_port)
            conn.connect()
            elapsed += time.perf_counter() - start
            elapsed += request(conn)
            if kind == "thirty":
                for _ in range(30):
                    elapsed += spawn_wait(["/bin/bash", "-c", "true"], base_env, repo)
                    elapsed += request(conn)
            conn.close()
            return elapsed

        # Each measure and binary has a `DUET_HOME` of its own, so no run
        # pays for another's database (a checkpoint of a long log).
        homes = {}
        for name, _, _ in measures:
            for index in range(len(bins)):
                home_dir = work / f"duet-home-{len(homes)}"
                home_dir.mkdir()
                homes[(name, index)] = home_dir

        times = {(name, col): [] for name, _, _ in measures for col in ["floor", *labels]}
        # Warm the page cache, the mocks and each home's database.
        for name, argv, _ in measures:
            for index, bin in enumerate(bins):
                env = dict(base_env, DUET_HOME=str(homes[(name, index)]), **extra_envs[index])
                for _ in range(2):
                    spawn_wait(argv(bin), env, repo)
        for round_number in range(args.rounds):
            for name, argv, kind in measures:
                # Alternate the order, so no column always runs first.
                order = list(range(len(bins)))
                if round_number % 2:
                    order.reverse()
                times[(name, "floor")].append(floor_time(kind))
                for index in order:
                    env = dict(base_env, DUET_HOME=str(homes[(name, index)]), **extra_envs[index])
                    times[(name, labels[index])].append(spawn_wait(argv(bins[index]), env, repo))
        rss = {}
        for name, argv, kind in measures:
            rss[(name, "floor")] = peak_rss_mib([floor], base_env, repo)
            for index, bin in enumerate(bins):
                env = dict(base_env, DUET_HOME=str(homes[(name, index)]), **extra_envs[index])
                rss[(name, labels[index])] = peak_rss_mib(argv(bin), env, repo)
    finally:
        for proc in mocks:
            proc.kill()

    def cell(name, col):
        median = statistics.median(times[(name, col)]) * 1000
        text = f"{median:.2f} ms"
        mib = rss.get((name, col))
        if mib is not None and not (col == "floor" and name != measures[0][0]):
            text += f", {mib:.1f} MiB"
        return text

    print(f"{args.rounds} interleaved rounds, medians; load average before: "
          f"{open('/proc/loadavg').read().split()[0]}")
    print()
    print("| measure | floor | " + " | ".join(labels) + " |")
    print("| --- | --- | " + " | ".join("---" for _ in labels) + " |")
    print("| binary size | | " + " | ".join(f"{size / 2**20:.1f} MiB" for size in sizes) + " |")
    for name, _, _ in measures:
        print(f"| {name} | {cell(name, 'floor')} | "
              + " | ".join(cell(name, label) for label in labels) + " |")
    print()
    for label in labels:
        one = statistics.median(times[(measures[1][0], label)])
        many = statistics.median(times[(measures[4][0], label)])
        floor_one = statistics.median(times[(measures[1][0], "floor")])
        floor_many = statistics.median(times[(measures[4][0], "floor")])
        per_call = (many - one) / 30 * 1000
        floor_call = (floor_many - floor_one) / 30 * 1000
        print(f"{label}: per tool call {per_call:.2f} ms, floor {floor_call:.2f} ms "
              f"(a `bash -c true` and a request), so {per_call - floor_call:.2f} ms of duet's own")


if __name__ == "__main__":
    main()
