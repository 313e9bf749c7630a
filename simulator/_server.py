"""Running the two servers inside an event loop."""

from __future__ import annotations

import asyncio
import ssl
from types import TracebackType
from typing import Any

from aiohttp import web

from simulator import _api, _control_api, _fleet_api
from simulator._config import SimulatorConfig
from simulator._foreign import build_foreign_app
from simulator._http import ROLE, SHARED
from simulator._middleware import (
    down_middleware,
    failover_middleware,
    fault_middleware,
    json_errors_middleware,
    stats_middleware,
)
from simulator._model import build_contact_center
from simulator._state import FOREIGN, PRIMARY, SECONDARY, Shared

# Requests still running this long after shutdown began are cancelled.
SHUTDOWN_TIMEOUT_S = 1.0


def build_app(shared: Shared, role: str) -> web.Application:
    app = web.Application(
        middlewares=[
            down_middleware,
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


def _origin(host: str, port: int, scheme: str = "http") -> str:
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


class SimulatorServers:
    """The primary and the secondary server, and the foreign (attacker) server, listening.
    Stop with `await stop()`."""

    def __init__(self, config: SimulatorConfig, shared: Shared) -> None:
        self.config = config
        self.shared = shared
        self._runners: dict[str, web.AppRunner] = {}
        self._sites: dict[str, web.TCPSite] = {}
        self._ports: dict[str, int] = {}
        shared.set_primary_listening = self._set_primary_listening

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
    def secondary_control_url(self) -> str:
        """The same control API on the secondary: reachable while the primary is down."""
        return self.shared.origins[SECONDARY] + _control_api.PREFIX

    @property
    def foreign_url(self) -> str:
        """The foreign server's TE API base URL (it answers any path)."""
        return self.shared.base_url(FOREIGN)

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

    def _tls(self, role: str) -> ssl.SSLContext | None:
        if role == PRIMARY:
            return self.config.primary_tls
        if role == SECONDARY:
            return self.config.secondary_tls
        return None

    async def _listen(self, role: str, port: int) -> None:
        tls = self._tls(role)
        site = web.TCPSite(self._runners[role], self.config.host, port, ssl_context=tls)
        await site.start()
        self._sites[role] = site
        bound = self._runners[role].addresses[0][1]  # one site per runner at a time
        self._ports[role] = bound
        self.shared.origins[role] = _origin(
            self.config.host, bound, "https" if tls is not None else "http"
        )

    async def _start(self) -> None:
        ports = {
            PRIMARY: self.config.port,
            SECONDARY: self.config.secondary_port,
            FOREIGN: self.config.foreign_port,
        }
        for role in (PRIMARY, SECONDARY, FOREIGN):
            app = build_foreign_app(self.shared) if role == FOREIGN else build_app(
                self.shared, role
            )
            runner = web.AppRunner(
                app,
                handler_cancellation=True,
                access_log=None,
                shutdown_timeout=SHUTDOWN_TIMEOUT_S,
            )
            await runner.setup()
            self._runners[role] = runner
            await self._listen(role, ports[role])

    async def _set_primary_listening(self, up: bool, keep: Any = None) -> None:
        """Take the primary down (its port refuses connections and open connections are
        closed, as when its host is down) or bring it back on the same port. `keep` is
        the connection of the control request itself, closed only after its answer."""
        if up:
            if PRIMARY not in self._sites:
                await self._listen(PRIMARY, self._ports[PRIMARY])
            self.shared.primary_down = False
            return
        self.shared.primary_down = True
        site = self._sites.pop(PRIMARY, None)
        if site is not None:
            await site.stop()
        server = self._runners[PRIMARY].server
        for connection in server.connections if server is not None else ():
            if connection is keep:
                connection.close()
            else:
                connection.force_close()

    async def stop(self) -> None:
        """Stop every server; hung requests are released first, so this never waits long."""
        self.shared.stopping.set()
        runners, self._runners = list(self._runners.values()), {}
        self._sites.clear()
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
    model = config.model if config.model is not None else await asyncio.to_thread(
        build_contact_center,
        queues=config.queues,
        agents=config.agents,
        seed=config.seed,
        now=config.clock(),
        warmup_s=config.warmup_s,
        behaviour=config.behaviour,
    )
    servers = SimulatorServers(config, Shared(config, model))
    try:
        await servers._start()
    except BaseException:
        await servers.stop()
        raise
    return servers
