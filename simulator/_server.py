"""Running the two servers inside an event loop."""

from __future__ import annotations

import asyncio
from types import TracebackType

from aiohttp import web

from simulator import _api, _control_api, _fleet_api
from simulator._config import SimulatorConfig
from simulator._http import ROLE, SHARED
from simulator._middleware import (
    failover_middleware,
    fault_middleware,
    json_errors_middleware,
    stats_middleware,
)
from simulator._model import build_contact_center
from simulator._state import PRIMARY, SECONDARY, Shared

# Requests still running this long after shutdown began are cancelled.
SHUTDOWN_TIMEOUT_S = 1.0


def build_app(shared: Shared, role: str) -> web.Application:
    app = web.Application(
        middlewares=[
            stats_middleware,
            failover_middleware,
            fault_middleware,
            json_errors_middleware,
        ]
    )
    app[SHARED] = shared
    app[ROLE] = role
    _api.add_routes(app)
    _control_api.add_routes(app)
    _fleet_api.add_control_routes(app)
    if role == PRIMARY:
        _fleet_api.add_served_routes(app)
    return app


def _origin(host: str, port: int) -> str:
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


class SimulatorServers:
    """The primary and the secondary server, listening. Stop with `await stop()`."""

    def __init__(self, config: SimulatorConfig, shared: Shared) -> None:
        self.config = config
        self.shared = shared
        self._runners: list[web.AppRunner] = []

    @property
    def primary_url(self) -> str:
        return self.shared.base_url(PRIMARY)

    @property
    def secondary_url(self) -> str:
        return self.shared.base_url(SECONDARY)

    @property
    def control_url(self) -> str:
        return self.shared.origins[PRIMARY] + _control_api.PREFIX

    @property
    def origin(self) -> str:
        """The primary's origin (`http://host:port`): workers and reconcilers live there."""
        return self.shared.origins[PRIMARY]

    @property
    def worker_names(self) -> tuple[str, ...]:
        return tuple(self.shared.fleet.workers)

    @property
    def reconciler_names(self) -> tuple[str, ...]:
        return tuple(self.shared.fleet.reconcilers)

    def worker_url(self, name: str) -> str:
        if name not in self.shared.fleet.workers:
            raise KeyError(f"no worker named {name!r}")
        return f"{self.origin}/workers/{name}/health"

    def reconciler_url(self, name: str, form: str = "json") -> str:
        """`form` "json" (`/status`) or "prometheus" (`/metrics`)."""
        if name not in self.shared.fleet.reconcilers:
            raise KeyError(f"no reconciler named {name!r}")
        if form not in ("json", "prometheus"):
            raise ValueError("form must be 'json' or 'prometheus'")
        path = "status" if form == "json" else "metrics"
        return f"{self.origin}/reconcilers/{name}/{path}"

    async def _start(self) -> None:
        ports = {PRIMARY: self.config.port, SECONDARY: self.config.secondary_port}
        for role in (PRIMARY, SECONDARY):
            runner = web.AppRunner(
                build_app(self.shared, role),
                handler_cancellation=True,
                access_log=None,
                shutdown_timeout=SHUTDOWN_TIMEOUT_S,
            )
            await runner.setup()
            self._runners.append(runner)
            await web.TCPSite(runner, self.config.host, ports[role]).start()
            port = runner.addresses[0][1]
            self.shared.origins[role] = _origin(self.config.host, port)

    async def stop(self) -> None:
        """Stop both servers; hung requests are released first, so this never waits long."""
        self.shared.stopping.set()
        runners, self._runners = self._runners, []
        await asyncio.gather(*(runner.cleanup() for runner in runners))

    async def __aenter__(self) -> SimulatorServers:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()


async def serve(config: SimulatorConfig) -> SimulatorServers:
    """Build the model (warm-up in a worker thread), start both servers, return them.

    Use as `async with await serve(config) as servers:` or call `await servers.stop()`.
    """
    model = await asyncio.to_thread(
        build_contact_center,
        queues=config.queues,
        agents=config.agents,
        seed=config.seed,
        now=config.clock(),
        warmup_s=config.warmup_s,
    )
    servers = SimulatorServers(config, Shared(config, model))
    try:
        await servers._start()
    except BaseException:
        await servers.stop()
        raise
    return servers
