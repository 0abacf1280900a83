#!/usr/bin/env python3
"""MCP start-up figures for docs/performance.md ("MCP"): how soon a one-turn
`duet exec` sends its first request with no MCP servers configured, and
with three (two that start at once and one that takes 2 s), in the same
run, interleaved. Servers start in the background, so the first request
should not wait for any of them.

    cargo build --release -p duet
    npm ci --prefix tests/mcp
    python3 benches/mcp_bench.py [--bin target/release/duet] [--rounds 30]

The time is from `posix_spawn` to the moment this script's mock receives
the request (one clock: the mock runs in this process), and the whole
process's wall time beside it. Figures are medians over the rounds.
"""

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import fresh_copy  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCRIPTED = ROOT / "tests/mcp/servers/scripted.mjs"

ARRIVALS = []


def sse(events):
    return "".join(f"event: {e['type']}\ndata: {json.dumps(e)}\n\n" for e in events).encode()


ANSWER = sse([
    {"type": "response.created", "response": {"id": "r1"}},
    {"type": "response.output_item.done", "item": {
        "type": "message", "role": "assistant", "id": "m1",
        "content": [{"type": "output_text", "text": "hi"}]}},
    {"type": "response.completed", "response": {
        "id": "r1", "usage": {"input_tokens": 1, "output_tokens": 1, "total_tokens": 2}}},
])


class Mock(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_POST(self):  # noqa: N802
        ARRIVALS.append(time.perf_counter())
        self.rfile.read(int(self.headers.get("content-length", 0)))
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("content-length", str(len(ANSWER)))
        self.end_headers()
        self.wfile.write(ANSWER)

    def log_message(self, *args):
        pass


def server_table(name, *args):
    argv = json.dumps([str(SCRIPTED), *args])
    return f"[mcp_servers.{name}]\ncommand = \"node\"\nargs = {argv}\nstartup_timeout_sec = 10\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=str(ROOT / "target/release/duet"))
    parser.add_argument("--rounds", type=int, default=30)
    args = parser.parse_args()
    if not (ROOT / "tests/mcp/node_modules/@modelcontextprotocol/sdk").is_dir():
        sys.exit("run `npm ci --prefix tests/mcp` first")
    duet = fresh_copy(args.bin)
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Mock)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    port = httpd.server_address[1]

    work = Path(tempfile.mkdtemp(prefix="duet-mcp-bench-"))
    repo = work / "repo"
    repo.mkdir()
    subprocess.run(["git", "init", "-q", str(repo)], check=True)
    homes = {}
    for label, servers in [
        ("no servers", ""),
        ("three servers, one slow (2 s)",
         server_table("one") + server_table("two") + server_table("slow", "--delay-ms", "2000")),
    ]:
        home = work / label.split()[0]
        home.mkdir()
        (home / "config.toml").write_text(servers)
        homes[label] = home

    first, wall = {label: [] for label in homes}, {label: [] for label in homes}
    devnull = os.open(os.devnull, os.O_RDWR)
    for _ in range(args.rounds):
        for label, home in homes.items():
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": str(home),
                "DUET_HOME": str(home),
                "OPENAI_API_KEY": "sk-bench",
            }
            argv = [str(duet), "exec", "-c", f'openai_base_url="http://127.0.0.1:{port}/v1"',
                    "--ephemeral", "hi"]
            ARRIVALS.clear()
            os.chdir(repo)
            start = time.perf_counter()
            pid = os.posix_spawn(argv[0], argv, env, file_actions=[
                (os.POSIX_SPAWN_DUP2, devnull, 0),
                (os.POSIX_SPAWN_DUP2, devnull, 1),
                (os.POSIX_SPAWN_DUP2, devnull, 2),
            ])
            _, status, _ = os.wait4(pid, 0)
            done = time.perf_counter()
            if status != 0 or not ARRIVALS:
                sys.exit(f"{label}: exit status {status}, {len(ARRIVALS)} requests")
            first[label].append((ARRIVALS[0] - start) * 1000)
            wall[label].append((done - start) * 1000)
    httpd.shutdown()
    print(f"{'':34} {'first request':>14} {'whole run':>10}  (median ms, {args.rounds} rounds)")
    for label in homes:
        print(f"{label:34} {statistics.median(first[label]):14.2f} "
              f"{statistics.median(wall[label]):10.2f}")
    labels = list(homes)
    delta = statistics.median(first[labels[1]]) - statistics.median(first[labels[0]])
    print(f"first request later with the servers by {delta:.2f} ms")


if __name__ == "__main__":
    main()
