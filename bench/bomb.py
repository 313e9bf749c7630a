"""Memory under a compressed bomb: the HTTP seam against httpx's own decoding. Run by hand.

    python bench/bomb.py [--megabytes 1024] [--cap-mb 10] [--encoding gzip]

A loopback server (its own process) answers every GET with a body of about 1 MB that
inflates to ``--megabytes`` MiB of JSON. Each client runs in a fresh process and reads it
once with a size cap of ``--cap-mb``; printed are its RSS before, its peak RSS (VmHWM)
and its RSS after, so the growth is the client's own:

- ``seam``: ``collectors.http.HttpSeam`` (decodes in bounded steps as the body streams);
- ``httpx``: httpx decoding the body itself, the cap checked on each decoded chunk (what
  the seam did before).
"""

from __future__ import annotations

import argparse
import asyncio
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SERVER = """
import sys, http.server
sys.path.insert(0, {root!r})
from simulator._hostile import _bomb_body
body, size = _bomb_body({megabytes}, {encoding!r})
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Encoding", {encoding!r})
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            pass
    def log_message(self, *args):
        pass
server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), H)
print(server.server_address[1], len(body), size, flush=True)
server.serve_forever()
"""


def _kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


async def _seam(url: str, cap: int) -> str:
    from collectors.clock import SystemClock
    from collectors.deadline import Deadline
    from collectors.errors import SourceError
    from collectors.http import HttpConfig, HttpSeam

    async with HttpSeam(HttpConfig(max_body_bytes=cap), name="bench") as seam:
        try:
            response = await seam.request("GET", url, deadline=Deadline(SystemClock(), 60))
        except SourceError as exc:
            return str(exc)
        return f"read {len(response.body)} bytes"


async def _httpx(url: str, cap: int) -> str:
    import httpx

    async with httpx.AsyncClient() as client, client.stream("GET", url) as response:
        received = 0
        chunks = []
        async for chunk in response.aiter_bytes():
            received += len(chunk)
            if received > cap:
                return f"stopped after {received} decoded bytes"
            chunks.append(chunk)
        return f"read {received} bytes"


def client(mode: str, url: str, cap: int) -> None:
    import httpx  # noqa: F401 - imported before the baseline, as a collector has it

    import collectors.http  # noqa: F401

    before = _kib("VmRSS")
    started = time.perf_counter()
    result = asyncio.run((_seam if mode == "seam" else _httpx)(url, cap))
    elapsed = time.perf_counter() - started
    peak, after = _kib("VmHWM"), _kib("VmRSS")
    print(f"{mode:6} RSS before {before / 1024:7.1f} MiB, peak {peak / 1024:7.1f} MiB"
          f" (+{(peak - before) / 1024:.1f}), after {after / 1024:7.1f} MiB"
          f" (+{(after - before) / 1024:.1f}), {elapsed:.2f} s: {result}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--megabytes", type=int, default=1024)
    parser.add_argument("--cap-mb", type=float, default=10)
    parser.add_argument("--encoding", choices=("gzip", "deflate"), default="gzip")
    parser.add_argument("--client", choices=("seam", "httpx"), help=argparse.SUPPRESS)
    parser.add_argument("--url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    cap = int(args.cap_mb * 1024 * 1024)
    if args.client:
        client(args.client, args.url, cap)
        return
    code = SERVER.format(root=str(ROOT), megabytes=args.megabytes, encoding=args.encoding)
    server = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert server.stdout is not None
        port, compressed, inflated = server.stdout.readline().split()
        print(f"{args.encoding} bomb: {int(compressed) / 1e6:.2f} MB on the wire,"
              f" {int(inflated) / 2**20:.0f} MiB inflated; cap {args.cap_mb:g} MiB")
        url = f"http://127.0.0.1:{port}/te/api/cc/1/services/state"
        for mode in ("seam", "httpx"):
            subprocess.run([sys.executable, __file__, "--client", mode, "--url", url,
                            "--cap-mb", str(args.cap_mb)], check=True, timeout=300)
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
