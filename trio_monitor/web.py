"""`trio-monitor web` (gunicorn) and `serve` (web + collector, supervised)."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import httpx
from gunicorn.app.base import BaseApplication
from gunicorn.glogging import Logger as GunicornLogger

from .settings import Settings

log = logging.getLogger(__name__)


class _Gunicorn(BaseApplication):
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        super().__init__()

    def load_config(self) -> None:
        s = self.settings
        options: dict[str, Any] = {
            "bind": [s.web_bind],
            "workers": s.web_workers,
            "worker_class": "gthread",
            "threads": s.web_threads,
            "timeout": int(s.web_timeout_s),
            "graceful_timeout": int(s.shutdown_timeout_s),
            # Longer than a screen's refresh period: otherwise the server closes an idle
            # connection just as the screen reuses it, and that refresh fails.
            "keepalive": int(s.refresh_interval_s * 2 + 5),
            # One stream: gunicorn's lines go to the root logger, whose handler
            # (logs.configure_logging) writes them like every other line.
            "logger_class": OneStreamLogger,
            "accesslog": None,
            "errorlog": "-",
            "loglevel": s.log_level.lower(),
            "limit_request_line": 8190,
            "proc_name": "trio-monitor-web",
            "child_exit": _worker_exited,
        }
        for key, value in options.items():
            self.cfg.set(key, value)

    def load(self) -> Any:
        # Runs in each worker after the fork: every worker has its own engine and pool.
        from .logs import configure_logging
        from .webapp import create_app

        configure_logging(self.settings)
        return create_app(self.settings)


# A wall screen's address carries its token: never written to a log.
_DISPLAY_TOKEN = re.compile(r"/display/(?!revoked$)[^/]+$")


class OneStreamLogger(GunicornLogger):
    """gunicorn's error and access logs through the root logger's handler, so they come
    out in the project's format (JSON lines for journald or Loki) in the same stream.

    An access line has its fields as data (``client_addr``, ``method``, ``path``,
    ``status``, ``bytes``, ``duration_ms``, ``user_agent``, ``forwarded_for``).
    Answered requests are DEBUG (screens refresh every few seconds: the proxy in front
    keeps the full access log), 4xx INFO, 5xx WARNING. The path goes without its query
    string, and a display token in it is masked.
    """

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        for log in (self.error_log, self.access_log):
            for handler in list(log.handlers):
                log.removeHandler(handler)
            log.propagate = True
        self.access_log.setLevel(logging.NOTSET)  # the root's level decides

    def access(self, resp: Any, req: Any, environ: dict[str, Any], request_time: Any) -> None:
        status = _status_code(resp.status)
        level = (logging.DEBUG if status < 400 else logging.INFO if status < 500
                 else logging.WARNING)
        if not self.access_log.isEnabledFor(level):
            return
        path = _DISPLAY_TOKEN.sub("/display/***", str(environ.get("RAW_URI", "")).split("?")[0])
        method = environ.get("REQUEST_METHOD", "-")
        self.access_log.log(level, "%s %s %d", method, path, status, extra={
            "client_addr": environ.get("REMOTE_ADDR"),
            "method": method,
            "path": path,
            "status": status,
            "bytes": getattr(resp, "sent", None),
            "duration_ms": round(request_time.total_seconds() * 1000, 1),
            "user_agent": environ.get("HTTP_USER_AGENT"),
            "forwarded_for": environ.get("HTTP_X_FORWARDED_FOR"),
        })


def _status_code(status: object) -> int:
    try:
        return int(str(status).split(None, 1)[0])
    except ValueError:
        return 0


def run_web(settings: Settings) -> int:
    with _metrics_dir(settings):
        _Gunicorn(settings).run()
    return 0


MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"


@contextlib.contextmanager
def _metrics_dir(settings: Settings) -> Iterator[None]:
    """With a metrics token, the folder where every worker keeps its counts (prometheus
    multiprocess mode), set before any worker starts. One made for this run and removed
    after it; or the operator's ``PROMETHEUS_MULTIPROC_DIR``, emptied of an earlier run's
    files (counts of dead processes would otherwise be added forever)."""
    if settings.metrics_token is None:
        yield
        return
    given = os.environ.get(MULTIPROC_ENV)
    if given:
        for stale in Path(given).glob("*.db"):
            stale.unlink(missing_ok=True)
        yield
        return
    made = tempfile.mkdtemp(prefix="trio-monitor-metrics-")
    os.environ[MULTIPROC_ENV] = made
    try:
        yield
    finally:
        os.environ.pop(MULTIPROC_ENV, None)
        shutil.rmtree(made, ignore_errors=True)


def _worker_exited(_server: Any, worker: Any) -> None:
    """gunicorn's child_exit hook: a dead worker's live gauges leave the sums."""
    if os.environ.get(MULTIPROC_ENV):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)


Ready = tuple[Callable[[], bool], Callable[[], None]]


def serve(env: Mapping[str, str], shutdown_timeout_s: float, *, ready: Ready | None = None
          ) -> int:
    """Run `web` and `collect` as children; stop both when either ends or on a signal.

    ``ready``: (check, then): ``check`` is called each round while both children run
    until it returns True (it must return within a second), then ``then`` once.
    """
    children = {
        name: subprocess.Popen([sys.executable, "-m", "trio_monitor", name], env=dict(env))
        for name in ("collect", "web")
    }
    stopping = False

    def stop(signum: int, _frame: object) -> None:
        nonlocal stopping
        stopping = True

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        failed: str | None = None
        while not stopping and failed is None:
            for name, child in children.items():
                if child.poll() is not None:
                    failed = name
            if ready is not None and failed is None and ready[0]():
                ready[1]()
                ready = None
            time.sleep(0.2)
        if failed is not None:
            log.error("%s exited with status %s; stopping the rest",
                      failed, children[failed].returncode)
        return _stop_children(children, shutdown_timeout_s) or (1 if failed else 0)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _stop_children(children: Mapping[str, subprocess.Popen[bytes]], timeout_s: float) -> int:
    for child in children.values():
        if child.poll() is None:
            child.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + timeout_s + 2
    status = 0
    for name, child in children.items():
        try:
            code = child.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            log.error("%s did not stop within %.0f s; killing it", name, timeout_s)
            child.kill()
            code = child.wait(timeout=5)
        if code not in (0, -signal.SIGTERM, -signal.SIGINT):
            status = 1
    return status


def port_in_use(host: str, port: int) -> bool:
    """Whether binding ``host:port`` fails because something else holds it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        # As gunicorn binds: SO_REUSEADDR, so a port in TIME_WAIT counts as free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host or "0.0.0.0", port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def wait_for_web(url: str) -> bool:
    """One short try: does ``url`` answer 200?"""
    try:
        return httpx.get(url, timeout=0.5).status_code == 200
    except httpx.HTTPError:
        return False


def child_env(**values: str) -> dict[str, str]:
    return {**os.environ, **values}
