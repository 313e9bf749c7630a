"""Running the simulator on its own event loop in a daemon thread (tests, the demo)."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from types import TracebackType

from simulator._config import SimulatorConfig
from simulator._control_client import SimulatorControl
from simulator._server import SimulatorServers, serve

START_DEADLINE_S = 60.0  # a 1000-queue site warms up in a few seconds
STOP_DEADLINE_S = 5.0


class SimulatorStartError(RuntimeError):
    """The simulator did not start listening (the cause is chained when known)."""


class RunningSimulator:
    """A started simulator. A context manager: leaving it stops the servers."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop_event: asyncio.Event | None = None
        self._servers: SimulatorServers | None = None
        self._thread = threading.Thread(target=self._run, name="trio-simulator", daemon=True)
        self._control: SimulatorControl | None = None

    @property
    def primary_url(self) -> str:
        return self._started().primary_url

    @property
    def secondary_url(self) -> str:
        return self._started().secondary_url

    @property
    def control_url(self) -> str:
        return self._started().control_url

    @property
    def foreign_url(self) -> str:
        """The foreign (attacker) server's base URL; see `SimulatorControl.foreign_requests`."""
        return self._started().foreign_url

    @property
    def worker_names(self) -> tuple[str, ...]:
        return self._started().worker_names

    @property
    def reconciler_names(self) -> tuple[str, ...]:
        return self._started().reconciler_names

    def worker_url(self, name: str) -> str:
        """`http://host:port/workers/{name}/health` on the primary."""
        return self._started().worker_url(name)

    def reconciler_url(self, name: str, form: str = "json") -> str:
        """`.../reconcilers/{name}/status` ("json") or `.../metrics` ("prometheus")."""
        return self._started().reconciler_url(name, form)

    @property
    def control(self) -> SimulatorControl:
        if self._control is None:
            servers = self._started()
            self._control = SimulatorControl(servers.control_url, servers.secondary_control_url)
        return self._control

    def _started(self) -> SimulatorServers:
        if self._servers is None:
            raise RuntimeError("the simulator is not running")
        return self._servers

    def start(self, deadline_s: float = START_DEADLINE_S) -> RunningSimulator:
        self._thread.start()
        if not self._ready.wait(deadline_s):
            self.stop()
            raise SimulatorStartError(f"the simulator did not start within {deadline_s} s")
        if self._error is not None:
            raise SimulatorStartError(f"the simulator failed to start: {self._error}") from (
                self._error
            )
        return self

    def stop(self) -> None:
        """Stop the servers and join the thread; raises if it outlives STOP_DEADLINE_S."""
        if self._control is not None:
            self._control.close()
            self._control = None
        loop, stop_event = self._loop, self._stop_event
        if loop is not None and stop_event is not None and not loop.is_closed():
            # The loop may close in between: then the thread is ending anyway.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(stop_event.set)
        if self._thread.is_alive():
            self._thread.join(STOP_DEADLINE_S)
            if self._thread.is_alive():
                raise RuntimeError(f"the simulator thread did not stop in {STOP_DEADLINE_S} s")

    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop_event = asyncio.Event()
        try:
            self._servers = await serve(self.config)
        except Exception as exc:  # noqa: BLE001 - handed to the starting thread, raised there
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        try:
            await self._stop_event.wait()
        finally:
            await self._servers.stop()

    def __enter__(self) -> RunningSimulator:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def run_in_thread(config: SimulatorConfig | None = None) -> RunningSimulator:
    """Start the simulator in a daemon thread and wait until both servers listen."""
    return RunningSimulator(config or SimulatorConfig()).start()
