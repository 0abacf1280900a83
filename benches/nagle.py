#!/usr/bin/env python3
"""Delayed-ACK stalls: `duet exec` through a tool loop of 30 calls against a
Responses server that writes the response headers and the first event in
separate writes, the way Python's `http.server` (and many gateways) do.

With Nagle's algorithm on at the server (the default), its second small
write waits until the client ACKs the first; a client in delayed-ACK mode
waits ~40 ms to do so, on every request after the first of a kept-alive
connection. The same loop against the same server with TCP_NODELAY set is
the floor. Runs alternate between the two servers; figures are medians.

    cargo build --release -p duet
    python3 benches/nagle.py [--bin target/release/duet] [--runs 10] [--calls 30]
"""

import argparse
import http.server
import json
import os
import socket
import statistics
import sys
import tempfile
import threading
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench import fresh_copy, run_once  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent


def event(kind, **fields):
    fields["type"] = kind
    return f"event: {kind}\ndata: {json.dumps(fields)}\n\n"


def answer(calls_done, calls):
    """The SSE body after `calls_done` outputs: the next call, or the answer."""
    rid = f"resp_{calls_done}"
    head = event("response.created", response={"id": rid})
    if calls_done < calls:
        plan = json.dumps({"plan": [{"step": f"step {calls_done}", "status": "in_progress"}]})
        item = {"type": "function_call", "call_id": f"call_{calls_done}",
                "name": "update_plan", "arguments": plan}
    else:
        item = {"type": "message", "role": "assistant", "id": "msg_1",
                "content": [{"type": "output_text", "text": "done", "annotations": []}]}
    rest = event("response.output_item.done", item=item) + event(
        "response.completed",
        response={"id": rid, "usage": {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}},
    )
    return head, rest


def serve(nodelay, calls):
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def setup(self):
            super().setup()
            if nodelay:
                self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

        def log_message(self, *args):
            pass

        def do_POST(self):
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            done = sum(1 for item in body["input"] if item.get("type") == "function_call_output")
            head, rest = answer(done, calls)
            payload = (head + rest).encode()
            self.send_response(200)
            self.send_header("content-type", "text/event-stream")
            self.send_header("content-length", str(len(payload)))
            self.end_headers()  # one write: the headers
            self.wfile.write(head.encode())  # a second small write
            self.wfile.write(rest.encode())

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--bin", default=str(ROOT / "target/release/duet"))
    parser.add_argument("--label", default=None)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--calls", type=int, default=30)
    args = parser.parse_args()
    duet = fresh_copy(args.bin)
    servers = {"nagle on": serve(False, args.calls), "nagle off": serve(True, args.calls)}
    work = Path(tempfile.mkdtemp(prefix="duet-nagle-"))
    (work / "repo").mkdir()
    (work / "home").mkdir()
    times = {name: [] for name in servers}
    for round_number in range(args.runs + 1):
        for name, server in servers.items():
            env = {
                "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
                "HOME": str(work / "home"),
                "DUET_HOME": str(work / "home"),
                "OPENAI_API_KEY": "sk-bench",
            }
            argv = [str(duet), "exec", "--ephemeral", "--skip-git-repo-check",
                    "-c", f'openai_base_url="http://127.0.0.1:{server.server_address[1]}/v1"',
                    "loop"]
            seconds, code = run_once(argv, env, str(work / "repo"))
            if code != 0:
                sys.exit(f"{name}: duet exited {code}")
            if round_number > 0:  # the first round warms up
                times[name].append(seconds * 1000)
    label = args.label or Path(args.bin).name
    for name, samples in times.items():
        median = statistics.median(samples)
        print(f"{label}: {args.calls} calls, {name}: {median:.0f} ms "
              f"({median / (args.calls + 1):.2f} ms per request)")


if __name__ == "__main__":
    main()
