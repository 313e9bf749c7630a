"""CPU per HTTP request of each client the seam could use. Run by hand.

    python bench/http_transport.py [--requests 5000] [--inflight 50] [--rounds 3]

A small aiohttp server in its own process answers GET /health with a worker-health-sized
JSON body on loopback; this process sends ``--requests`` GETs with ``--inflight`` in
flight through each client and prints the CPU time of this process per request (the
median of ``--rounds`` rounds, clients interleaved so a busy machine hurts them alike),
and each as a ratio to bare aiohttp, the raw baseline measured in the same run.

Clients: bare aiohttp; httpx with its own transport; httpx over the ``httpx-aiohttp``
package's transport (if installed); httpx over ``collectors._transport.AiohttpTransport``;
and the whole seam (``HttpSeam.request``: rate limiter, deadline, capped read) on each of
the two transports it can choose.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.health import free_port  # noqa: E402
from collectors._transport import AiohttpTransport  # noqa: E402
from collectors.clock import SystemClock  # noqa: E402
from collectors.deadline import Deadline  # noqa: E402
from collectors.http import HttpConfig, HttpSeam  # noqa: E402

SERVER = """
import sys
from aiohttp import web
body = b'{"status": "ok", "consecutive_failures": 0, "last_successful_run": "2026-01-01T00:00:00Z"}'
async def health(request):
    return web.Response(body=body, content_type="application/json")
app = web.Application()
app.router.add_get("/health", health)
web.run_app(app, host="127.0.0.1", port=int(sys.argv[1]), print=None, access_log=None)
"""

Send = Callable[[], Awaitable[int]]


async def drive(send: Send, requests: int, inflight: int) -> float:
    """CPU seconds of this process per request."""
    remaining = requests

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            status = await send()
            assert status == 200, status

    for _ in range(inflight):  # warm the connections up
        await send()
    cpu0 = time.process_time()
    await asyncio.gather(*(worker() for _ in range(inflight)))
    return (time.process_time() - cpu0) / requests


async def measure(url: str, requests: int, inflight: int, rounds: int) -> dict[str, float]:
    results: dict[str, list[float]] = {}

    async def bare() -> float:
        async with aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=inflight)
        ) as session:

            async def send() -> int:
                async with session.get(url) as reply:
                    await reply.read()
                    return reply.status

            return await drive(send, requests, inflight)

    def over(transport: httpx.AsyncBaseTransport | None) -> Callable[[], Awaitable[float]]:
        async def run() -> float:
            limits = httpx.Limits(max_connections=inflight, max_keepalive_connections=inflight)
            async with httpx.AsyncClient(transport=transport, limits=limits) as client:

                async def send() -> int:
                    return (await client.get(url)).status_code

                return await drive(send, requests, inflight)

        return run

    def seam(kind: str) -> Callable[[], Awaitable[float]]:
        async def run() -> float:
            config = HttpConfig(rate_per_s=1e6, burst=1_000_000, max_connections=inflight)
            transport = (AiohttpTransport(max_connections=inflight) if kind == "aiohttp"
                         else httpx.AsyncHTTPTransport(limits=httpx.Limits(
                             max_connections=inflight, max_keepalive_connections=inflight)))
            clock = SystemClock()
            async with HttpSeam(config, name="bench", clock=clock, transport=transport) as s:

                async def send() -> int:
                    return (await s.request("GET", url, deadline=Deadline(clock, 10))).status

                return await drive(send, requests, inflight)

        return run

    clients: dict[str, Callable[[], Awaitable[float]]] = {"aiohttp (bare)": bare}
    clients["httpx (httpcore)"] = over(None)
    try:
        from httpx_aiohttp import AiohttpTransport as PackageTransport

        clients["httpx + httpx-aiohttp"] = lambda: over(PackageTransport(
            limits=httpx.Limits(max_connections=inflight)))()
    except ImportError:
        pass
    clients["httpx + _transport"] = lambda: over(AiohttpTransport(max_connections=inflight))()
    clients["seam on httpcore"] = seam("httpx")
    clients["seam on _transport"] = seam("aiohttp")
    for _ in range(rounds):
        for name, run in clients.items():
            results.setdefault(name, []).append(await run())
    return {name: statistics.median(values) for name, values in results.items()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--inflight", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SERVER, str(port)])
    url = f"http://127.0.0.1:{port}/health"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise SystemExit("server did not start") from None
                time.sleep(0.1)
        results = asyncio.run(measure(url, args.requests, args.inflight, args.rounds))
    finally:
        server.terminate()
        server.wait(timeout=10)
    base = results["aiohttp (bare)"]
    print(f"{args.requests} GETs, {args.inflight} in flight, median of {args.rounds} rounds;"
          " CPU of the client process per request")
    for name, cpu in results.items():
        print(f"  {name:<24}{cpu * 1000:>8.3f} ms  {cpu / base:>6.1f} x bare aiohttp")
    return 0


if __name__ == "__main__":
    sys.exit(main())
