#!/usr/bin/env python3
"""Whole-process benchmarks of the `duet` binary: size, start-up, a one-turn
`duet exec`, and the overhead of a tool call, against the scripted mock model
server `duet-mock-responses`; then the sandbox: `duet sandbox -- true` and 30
sandboxed `true` calls in a session, for each backend this host can run. Each run's wall time comes from a monotonic
clock around posix_spawn and wait4. Peak RSS comes from separate runs under
GNU time (`/usr/bin/time -f %M`, Debian's `time` package): `ru_maxrss` of a
child spawned straight from Python would include Python's own high-water
mark, which survives `exec`. Figures are medians; see docs/performance.md.

    cargo build --release -p duet -p duet-test-support
    python3 benches/bench.py [--bin target/release/duet] [--runs 30]
"""

import argparse
import atexit
import http.client
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def fresh_copy(binary):
    """`binary` copied into a new temporary folder, under its own name.

    Every bench measures a copy: a file as the linker wrote it (many small
    writes) sits in the page cache in small pieces and takes more page
    faults to start than a copy written at once; a fresh build measured
    0.6-0.8 ms slower per process than its own copy (docs/performance.md)."""
    binary = Path(binary).resolve()
    folder = tempfile.mkdtemp(prefix="duet-bin-")
    atexit.register(shutil.rmtree, folder, True)
    copy = Path(folder) / binary.name
    copy.write_bytes(binary.read_bytes())
    copy.chmod(0o755)
    return copy


def run_once(argv, env, cwd):
    """Spawn, wait, and return (seconds, exit code).

    posix_spawn has no cwd argument, so the parent changes directory around
    the spawn: this keeps Python's own overhead out of the timing."""
    devnull = os.open(os.devnull, os.O_RDWR)
    old_cwd = os.getcwd()
    os.chdir(cwd or old_cwd)
    try:
        start = time.perf_counter()
        pid = os.posix_spawn(
            argv[0],
            argv,
            env,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, devnull, 0),
                (os.POSIX_SPAWN_DUP2, devnull, 1),
                (os.POSIX_SPAWN_DUP2, devnull, 2),
                (os.POSIX_SPAWN_CLOSE, devnull),
            ],
        )
        _, status, usage = os.wait4(pid, 0)
        elapsed = time.perf_counter() - start
    finally:
        os.chdir(old_cwd)
        os.close(devnull)
    return elapsed, os.waitstatus_to_exitcode(status)


def peak_rss_kib(argv, env, cwd, runs=7):
    """Median peak RSS in KiB over `runs` runs under GNU time, or None."""
    if not Path("/usr/bin/time").exists():
        return None
    values = []
    for _ in range(runs):
        done = subprocess.run(
            ["/usr/bin/time", "-f", "%M", *argv],
            env=env, cwd=cwd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE, text=True, check=False,
        )
        values.append(int(done.stderr.strip().splitlines()[-1]))
    return statistics.median(values)


def measure(name, argv, env, runs, warmup=3, cwd=None):
    for _ in range(warmup):
        _, code = run_once(argv, env, cwd)
        if code != 0:
            sys.exit(f"{name}: warm-up run exited {code}: {' '.join(argv)}")
    times = []
    for _ in range(runs):
        elapsed, code = run_once(argv, env, cwd)
        if code != 0:
            sys.exit(f"{name}: run exited {code}")
        times.append(elapsed)
    rss = peak_rss_kib(argv, env, cwd)
    return {
        "name": name,
        "median_ms": statistics.median(times) * 1000,
        "min_ms": min(times) * 1000,
        "max_ms": max(times) * 1000,
        "rss": "n/a" if rss is None else f"{rss / 1024:.1f} MiB",
        "runs": runs,
    }


def start_mock(mock_bin, script, workdir):
    script_path = workdir / f"{script['name']}.json"
    script_path.write_text(json.dumps(script["body"]))
    port_file = workdir / f"{script['name']}.port"
    proc = subprocess.Popen(
        [str(mock_bin), "--script", str(script_path), "--port-file", str(port_file)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        if port_file.exists() and port_file.read_text().strip():
            return proc, int(port_file.read_text().strip())
        time.sleep(0.01)
    proc.kill()
    sys.exit("the mock server did not start")


def mock_round_trip_ms(port, runs=200):
    """Median time of one POST /v1/responses to the mock, read to the end."""
    body = json.dumps({"prompt_cache_key": "rtt-probe", "input": []})
    times = []
    conn = http.client.HTTPConnection("127.0.0.1", port)
    for _ in range(runs):
        start = time.perf_counter()
        conn = http.client.HTTPConnection("127.0.0.1", port)
        conn.request("POST", "/v1/responses", body, {"content-type": "application/json"})
        conn.getresponse().read()
        conn.close()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def usable_backends(duet, env):
    """The sandbox backends `duet doctor --json` says work on this host."""
    done = subprocess.run([str(duet), "doctor", "--json"], env=env, capture_output=True, text=True)
    report = json.loads(done.stdout)
    usable = []
    for backend in report["backends"]:
        if backend["status"] == "available":
            usable.append(backend["backend"])
        else:
            print(f"skipped backend {backend['backend']}: {backend['reason']}", file=sys.stderr)
    return usable


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=str(ROOT / "target/release/duet"))
    parser.add_argument("--mock", default=str(ROOT / "target/release/duet-mock-responses"))
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    duet = fresh_copy(args.bin)
    mock = Path(args.mock).resolve()

    work = Path(tempfile.mkdtemp(prefix="duet-bench-"))
    home, duet_home, repo = work / "home", work / "duet-home", work / "repo"
    for path in (home, duet_home, repo):
        path.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(home),
        "DUET_HOME": str(duet_home),
        "OPENAI_API_KEY": "sk-bench",
    }

    results = []
    sandbox_results = []
    per_call_confined = {}
    size = duet.stat().st_size
    results.append(measure("duet --version", [str(duet), "--version"], env, args.runs * 5))

    hello = {"name": "hello", "body": {"responses": [[{"message": "hello"}]], "per_thread": True}}
    calls = {
        "name": "thirty",
        "body": {
            "per_thread": True,
            "responses": [
                [{"function_call": {"name": "exec_command", "arguments": {"cmd": "true"}}}]
                for _ in range(30)
            ]
            + [[{"message": "done"}]],
        },
    }
    mocks = []
    try:
        for script in (hello, calls):
            proc, port = start_mock(mock, script, work)
            mocks.append(proc)
            script["port"] = port
        rtt = mock_round_trip_ms(hello["port"])

        def exec_argv(port, extra=(), sandbox="danger-full-access"):
            return [
                str(duet), "exec", "--skip-git-repo-check", "-s", sandbox,
                "-c", f'openai_base_url="http://127.0.0.1:{port}/v1"', *extra, "say hello",
            ]

        results.append(measure("exec, 1 turn, human output", exec_argv(hello["port"]), env, args.runs, cwd=repo))
        results.append(measure("exec, 1 turn, --json", exec_argv(hello["port"], ["--json"]), env, args.runs, cwd=repo))
        results.append(measure("exec, 1 turn, --ephemeral", exec_argv(hello["port"], ["--ephemeral"]), env, args.runs, cwd=repo))
        thirty = measure("exec, 30 x exec_command true", exec_argv(calls["port"]), env, max(5, args.runs // 3), cwd=repo)
        results.append(thirty)

        sandbox_results.append(measure(
            "duet sandbox -s danger-full-access -- true",
            [str(duet), "sandbox", "-s", "danger-full-access", "--", "true"], env, args.runs * 3, cwd=repo))
        for backend in usable_backends(duet, env):
            choose = ["-c", f"sandbox_backend={backend}"]
            sandbox_results.append(measure(
                f"duet sandbox -- true ({backend}, read-only)",
                [str(duet), "sandbox", *choose, "--", "true"], env, args.runs * 3, cwd=repo))
            sandbox_results.append(measure(
                f"duet sandbox -s workspace-write -- true ({backend})",
                [str(duet), "sandbox", "-s", "workspace-write", *choose, "--", "true"],
                env, args.runs * 3, cwd=repo))
            confined = exec_argv(calls["port"], choose, sandbox="workspace-write")
            run = measure(f"exec, 30 x exec_command true ({backend}, workspace-write)",
                          confined, env, max(5, args.runs // 3), cwd=repo)
            sandbox_results.append(run)
            per_call_confined[backend] = (run["median_ms"] - results[1]["median_ms"]) / 30
    finally:
        for proc in mocks:
            proc.kill()

    one_turn = results[1]["median_ms"]
    per_call = (thirty["median_ms"] - one_turn) / 30
    print(f"binary: {size} bytes ({size / 2**20:.1f} MiB)")
    print(f"mock round trip (median): {rtt:.2f} ms")
    print()
    print("| measure | median | min | max | peak RSS (median of 7) |")
    print("| --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r['name']} ({r['runs']} runs) | {r['median_ms']:.2f} ms | {r['min_ms']:.2f} ms "
            f"| {r['max_ms']:.2f} ms | {r['rss']} |"
        )
    print()
    print(f"per tool call: {per_call:.2f} ms, of which the mock's own round trip is {rtt:.2f} ms "
          f"=> {per_call - rtt:.2f} ms of duet's own time per call")
    print()
    print("## sandbox")
    print()
    print("| measure | median | min | max | peak RSS (median of 7) |")
    print("| --- | --- | --- | --- | --- |")
    for r in sandbox_results:
        print(
            f"| {r['name']} ({r['runs']} runs) | {r['median_ms']:.2f} ms | {r['min_ms']:.2f} ms "
            f"| {r['max_ms']:.2f} ms | {r['rss']} |"
        )
    print()
    for backend, confined in per_call_confined.items():
        print(f"per sandboxed tool call ({backend}): {confined:.2f} ms => {confined - rtt:.2f} ms "
              f"beyond the mock's round trip ({confined - per_call:.2f} ms more than unconfined)")


if __name__ == "__main__":
    main()
