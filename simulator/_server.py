"""Running the two servers inside an event loop."""

from __future__ import annotations

import asyncio
from types import TracebackType

from aiohttp import web

from simulator import _api, _control_api
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
