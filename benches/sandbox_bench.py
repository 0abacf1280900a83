#!/usr/bin/env python3
"""What `duet sandbox -- true` costs beyond the host's own floor.

The sandbox's wall time is mostly the host's: starting bubblewrap with
fresh namespaces and mounts, or starting any process at all. Those costs
change by a factor of two or three from hour to hour on a shared VM, so
absolute figures from different runs cannot be compared. This script
measures the floors and duet *interleaved* (each round runs every variant
once, in a rotating order) and reports medians and duet's share:

- `/bin/true` and `duet --version`: a process start, and duet's start;
- bare `bwrap` with exactly the arguments duet passes for read-only and for
  workspace-write in the bench repository (built here the way
  crates/sandbox/src/bwrap.rs builds them; `--check` compares them with
  what duet really runs, via `strace` when it is installed), running
  `/bin/true`;
- the same `bwrap` running duet's helper (`duet --duet-linux-sandbox`),
  which then `exec`s `/bin/true`: the helper's share;
- `duet sandbox [-s workspace-write] -c sandbox_backend=B -- true` for each
  backend `duet doctor --json` reports usable;
- 200 opens for writing in the repository root by `sh`, unconfined and
  under each backend in workspace-write: under Landlock each is a round
  trip to the supervising helper's entry service.

- the floor of the design: `benches/start_floor.rs`, the smallest Rust
  program that starts and `exec`s its arguments, compiled here with
  `rustc -O` (when `rustc` is on `PATH`) and chained the way duet chains
  itself (`floor bwrap … floor true`): what a sandboxed `true` would take if
  duet started as fast as a minimal program and did no work;
- with `--reference CODEX --reference-home DIR`, the reference's own
  `codex sandbox -- true` in the same rounds (Codex 0.169.0 from npm; it
  refuses a `CODEX_HOME` under `/tmp`, hence the explicit directory).

    cargo build --release -p duet
    python3 benches/sandbox_bench.py [--bin target/release/duet] [--rounds 100] \
        [--reference path/to/codex --reference-home DIR]
"""

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import usable_backends  # benches/bench.py, next to this script

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import fresh_copy  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
PROTECTED = (".git", ".duet", ".agents")
PROC_READ_ONLY = ("/proc/sys", "/proc/sysrq-trigger", "/proc/irq", "/proc/bus")


def run_once(argv, env, cwd, devnull, mount_points=()):
    """One timed run; `mount_points` are created before and removed after,
    untimed (what duet does around a command for missing protected folders,
    which bare `bwrap` would otherwise leave behind on the host)."""
    for path in mount_points:
        path.mkdir()
    old_cwd = os.getcwd()
    os.chdir(cwd)
    try:
        start = time.perf_counter()
        pid = os.posix_spawn(
            argv[0], argv, env,
            file_actions=[
                (os.POSIX_SPAWN_DUP2, devnull, 0),
                (os.POSIX_SPAWN_DUP2, devnull, 1),
                (os.POSIX_SPAWN_DUP2, devnull, 2),
            ],
        )
        _, status = os.waitpid(pid, 0)
        elapsed = time.perf_counter() - start
    finally:
        os.chdir(old_cwd)
        for path in mount_points:
            path.rmdir()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        sys.exit(f"exited {code}: {' '.join(argv)}")
    return elapsed * 1000


def bwrap_args(repo, writable):
    """duet's bubblewrap arguments for `true` in `repo` (see bwrap.rs), and
    the mount points it creates for missing protected folders."""
    missing = []
    args = ["--new-session", "--die-with-parent", "--ro-bind", "/", "/", "--dev", "/dev"]
    # Every root its own mount, outer ones first (a root inside another too).
    roots = []
    for root in writable:
        if root not in roots:
            roots.append(root)
    for root in sorted(roots, key=lambda root: len(root.parts)):
        args += ["--bind", str(root), str(root)]
    for root in writable:
        for name in PROTECTED:
            path = root / name
            if path.exists():
                args += ["--ro-bind", str(path), str(path)]
            else:
                args += ["--perms", "555", "--tmpfs", str(path), "--remount-ro", str(path)]
                missing.append(path)
    args += ["--unshare-user", "--unshare-pid", "--unshare-ipc", "--unshare-net", "--proc", "/proc"]
    for knob in PROC_READ_ONLY:
        args += ["--ro-bind-try", knob, knob]
    args += ["--cap-drop", "ALL", "--chdir", str(repo), "--"]
    return args, missing


def build_start_floor(work):
    """benches/start_floor.rs compiled like duet's release binary (PIE,
    dynamically linked, symbols stripped), or None without `rustc`."""
    if shutil.which("rustc") is None:
        return None
    out = work / "start_floor"
    subprocess.run(
        ["rustc", "--edition", "2021", "-O", "-C", "strip=symbols", "-o", str(out),
         str(ROOT / "benches" / "start_floor.rs")],
        check=True,
    )
    return str(out)


def traced_bwrap_argv(duet, env, repo, mode):
    """The `bwrap` argv duet runs, from strace, or None."""
    if shutil.which("strace") is None:
        return None
    done = subprocess.run(
        ["strace", "-f", "-e", "trace=execve", "-s", "4096", str(duet), "sandbox", "-s", mode,
         "-c", "sandbox_backend=bwrap", "--", "true"],
        env=env, cwd=repo, capture_output=True, text=True,
    )
    for line in done.stderr.splitlines():
        match = re.search(r'execve\("[^"]*bwrap", \[(.*)\], 0x', line)
        if match and "--duet-linux-sandbox" in match.group(1):
            return json.loads("[" + match.group(1) + "]")
    return None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=str(ROOT / "target/release/duet"))
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--reference", help="a `codex` binary to measure in the same rounds")
    parser.add_argument("--reference-home", help="CODEX_HOME for --reference (not under /tmp)")
    args = parser.parse_args()
    if args.reference and not args.reference_home:
        sys.exit("--reference needs --reference-home")
    duet = fresh_copy(args.bin)
    bwrap = shutil.which("bwrap")

    work = Path(tempfile.mkdtemp(prefix="duet-sandbox-bench-"))
    home, duet_home, repo = work / "home", work / "duet-home", work / "repo"
    for path in (home, duet_home, repo):
        path.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(home), "DUET_HOME": str(duet_home)}
    helper = [str(duet), "--duet-linux-sandbox", "--policy", '{"network_disabled":true}', "--", "true"]

    variants = {
        "/bin/true": (["/bin/true"], []),
        "duet --version": ([str(duet), "--version"], []),
    }
    floor = build_start_floor(work)
    if floor is not None:
        variants["minimal Rust program, exec true"] = ([floor, "/bin/true"], [])
    backends = usable_backends(duet, env)
    if "bwrap" in backends:
        read_only, _ = bwrap_args(repo, [])
        workspace, mount_points = bwrap_args(repo, [repo, Path("/tmp")])
        for mode, built in (("read-only", read_only), ("workspace-write", workspace)):
            traced = traced_bwrap_argv(duet, env, repo, mode)
            if traced is not None:
                cut = traced.index("--") + 1
                if traced[1:cut] != built:
                    sys.exit(f"bwrap arguments for {mode} differ from duet's:\n{traced[1:cut]}\n{built}")
        variants["bare bwrap, read-only args, /bin/true"] = ([bwrap, *read_only, "/bin/true"], [])
        variants["bare bwrap, workspace-write args, /bin/true"] = (
            [bwrap, *workspace, "/bin/true"], mount_points)
        variants["bwrap, read-only args, duet's helper, true"] = ([bwrap, *read_only, *helper], [])
        if floor is not None:
            variants["floor of the design: minimal, bwrap, minimal, true"] = (
                [floor, bwrap, *read_only, floor, "/bin/true"], [])
    # 200 opens for writing in the repository root: each one a round trip
    # to the entry service under Landlock (crates/sandbox/src/entries.rs).
    writes = ["/bin/sh", "-c", "i=0; while [ $i -lt 200 ]; do : > written; i=$((i+1)); done"]
    variants["200 write-opens, unconfined"] = (writes, [])
    for backend in backends:
        choose = ["-c", f"sandbox_backend={backend}"]
        variants[f"duet sandbox -- true ({backend})"] = (
            [str(duet), "sandbox", *choose, "--", "true"], [])
        variants[f"duet sandbox -s workspace-write -- true ({backend})"] = (
            [str(duet), "sandbox", "-s", "workspace-write", *choose, "--", "true"], [])
        variants[f"200 write-opens, workspace-write ({backend})"] = (
            [str(duet), "sandbox", "-s", "workspace-write", *choose, "--", *writes], [])

    if args.reference:
        Path(args.reference_home).mkdir(parents=True, exist_ok=True)
        env["CODEX_HOME"] = str(Path(args.reference_home).resolve())
        variants["reference: codex sandbox -- true"] = (
            [str(Path(args.reference).resolve()), "sandbox", "--", "true"], [])

    devnull = os.open(os.devnull, os.O_RDWR)
    names = list(variants)
    times = {name: [] for name in names}
    for name in names:  # warm-up (also fills duet's bubblewrap probe cache)
        for _ in range(3):
            run_once(*variants[name][:1], env, repo, devnull, variants[name][1])
    for round_index in range(args.rounds):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            argv, mount_points = variants[name]
            times[name].append(run_once(argv, env, repo, devnull, mount_points))

    median = {name: statistics.median(values) for name, values in times.items()}
    print(f"binary: {duet.stat().st_size} bytes; {args.rounds} interleaved rounds")
    print()
    print("| measure | median | min |")
    print("| --- | --- | --- |")
    for name in names:
        print(f"| {name} | {median[name]:.2f} ms | {min(times[name]):.2f} ms |")
    print()
    start = median["duet --version"] - median["/bin/true"]
    print(f"duet's start beyond /bin/true's: {start:.2f} ms")
    if "bwrap" in backends:
        bare = median["bare bwrap, read-only args, /bin/true"]
        bare_ww = median["bare bwrap, workspace-write args, /bin/true"]
        helper_share = median["bwrap, read-only args, duet's helper, true"] - bare
        print(f"bubblewrap, read-only: duet adds {median['duet sandbox -- true (bwrap)'] - bare:.2f} ms "
              f"to bare bwrap (the helper {helper_share:.2f} ms of it)")
        floor_name = "floor of the design: minimal, bwrap, minimal, true"
        if floor_name in median:
            print(f"bubblewrap, read-only: the design's floor (two minimal starts, no work) is "
                  f"{median[floor_name]:.2f} ms; duet takes "
                  f"{median['duet sandbox -- true (bwrap)'] - median[floor_name]:.2f} ms more")
        print(f"bubblewrap, workspace-write: duet adds "
              f"{median['duet sandbox -s workspace-write -- true (bwrap)'] - bare_ww:.2f} ms to bare bwrap")
    if args.reference:
        reference = median["reference: codex sandbox -- true"]
        for backend in backends:
            ours = median[f"duet sandbox -- true ({backend})"]
            print(f"reference / duet ({backend}): {reference / ours:.1f}x")
    if "landlock" in backends:
        print(f"Landlock, read-only: duet adds {median['duet sandbox -- true (landlock)'] - median['/bin/true']:.2f} ms "
              f"to /bin/true ({median['duet sandbox -- true (landlock)'] - median['duet --version']:.2f} ms "
              f"beyond its own start)")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
