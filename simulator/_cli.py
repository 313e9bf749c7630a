"""`python -m simulator`: run the two simulated TE API servers until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from pathlib import Path

from simulator._config import (
    DEFAULT_CLIENT_KEY,
    DEFAULT_PASSWORD,
    DEFAULT_USERNAME,
    SUPPORTED_CHARSETS,
    SimulatorConfig,
)
from simulator._server import serve
from simulator._types import OPEN_AS, STATES_AS, TIMES_AS, FieldTypes


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m simulator",
        description="A simulated Trio Enterprise TE API: a primary and a secondary server.",
    )
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="primary port (0: any free)")
    parser.add_argument("--secondary-port", type=int, default=0, help="0: any free")
    parser.add_argument("--queues", type=int, default=8)
    parser.add_argument("--agents", type=int, default=40)
    parser.add_argument("--workers", type=int, default=4, help="fake workers (worker-1..N)")
    parser.add_argument(
        "--reconcilers", type=int, default=1, help="fake reconcilers (reconciler-1..N)"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--token-lifetime", type=float, default=3600.0, metavar="SECONDS")
    parser.add_argument("--max-page-size", type=int, default=100)
    parser.add_argument("--charset", choices=SUPPORTED_CHARSETS, default="utf-8")
    types = parser.add_argument_group(
        "field types", "how typed fields are sent, as a real .NET server may send them"
    )
    types.add_argument("--open-as", choices=OPEN_AS, default="bool",
                       help="the queue's open flag as true/false or 1/0")
    types.add_argument("--states-as", choices=STATES_AS, default="name",
                       help="agent states as names or numeric codes (0 loggedout, 1 available,"
                            " 2 busy, 3 wrapup, 4 paused)")
    types.add_argument("--times-as", choices=TIMES_AS, default="utc",
                       help="timestamps in UTC with Z, or local time without a zone offset")
    types.add_argument("--dotnet-types", action="store_true",
                       help="all three at once: 1/0, numeric codes, local times")
    parser.add_argument("--client-key", default=DEFAULT_CLIENT_KEY)
    parser.add_argument("--username", default=DEFAULT_USERNAME)
    secret = parser.add_mutually_exclusive_group()
    secret.add_argument("--password", default=None)
    secret.add_argument("--password-file", type=Path, default=None)
    return parser


def _config(args: argparse.Namespace) -> SimulatorConfig:
    password = DEFAULT_PASSWORD
    if args.password_file is not None:
        password = args.password_file.read_text(encoding="utf-8").rstrip("\r\n")
    elif args.password is not None:
        password = args.password
    return SimulatorConfig(
        host=args.host,
        port=args.port,
        secondary_port=args.secondary_port,
        queues=args.queues,
        agents=args.agents,
        workers=args.workers,
        reconcilers=args.reconcilers,
        seed=args.seed,
        token_lifetime_s=args.token_lifetime,
        max_page_size=args.max_page_size,
        charset=args.charset,
        client_key=args.client_key,
        username=args.username,
        password=password,
        field_types=(FieldTypes.dotnet() if args.dotnet_types else
                     FieldTypes(open=args.open_as, state=args.states_as, time=args.times_as)),
    )


async def _run(config: SimulatorConfig) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    servers = await serve(config)
    try:
        print(f"primary:   {servers.primary_url}", flush=True)
        print(f"secondary: {servers.secondary_url}", flush=True)
        print(f"control:   {servers.control_url}", flush=True)
        print(f"client key: {config.client_key}", flush=True)
        print(f"username:   {config.username}", flush=True)
        print(f"password:   {config.password}", flush=True)
        for name in servers.worker_names:
            print(f"worker:     {servers.worker_url(name)}", flush=True)
        for name in servers.reconciler_names:
            print(f"reconciler: {servers.reconciler_url(name)}", flush=True)
            print(f"            {servers.reconciler_url(name, 'prometheus')}", flush=True)
        print("Press Ctrl+C to stop.", flush=True)
        await stop.wait()
    finally:
        await servers.stop()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        config = _config(args)
    except (OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    asyncio.run(_run(config))
    return 0
