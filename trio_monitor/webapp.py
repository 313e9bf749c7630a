"""The Flask server that carries the login, the guard, /healthz and the Dash app."""

from __future__ import annotations

import logging
import os
import secrets
import time
from pathlib import Path
from typing import Any

from flask import Flask, request
from werkzeug.exceptions import NotFound
from werkzeug.utils import redirect

import auth
import storage
from alerts import seed_default_rules
from dashboard import create_dash
from specs.clock import now_ms

from . import dashrequests, webmetrics
from .settings import Mode, Settings

log = logging.getLogger(__name__)

# SQLite's page cache per connection of a web worker: history charts read many pages.
WEB_SQLITE_CACHE_KIB = 16 * 1024
MAX_REQUEST_BYTES = 1024 * 1024  # Dash callbacks of a wall screen are a few kB
# Answered without a session: load balancers probe /healthz; /metrics has its own token.
PUBLIC_PATHS = ("/healthz", webmetrics.METRICS_PATH)


def secret_key(settings: Settings) -> str:
    """The configured key; in development a generated one kept in the data folder.

    Every gunicorn worker (and a restarted server) must sign sessions with the same key,
    or screens would be logged out; hence a file, not a per-process random value.
    """
    if settings.secret_key is not None:
        return settings.secret_key.get_secret_value()
    if settings.mode == Mode.PRODUCTION:
        raise RuntimeError("production needs TRIO_MONITOR_SECRET_KEY")  # web_problems() says so
    path = Path(settings.data_dir) / "secret_key"
    if not path.exists():
        _create_secret_file(path)
    key = path.read_text(encoding="utf-8").strip()
    if not key:
        raise RuntimeError(f"{path} is empty; delete it to have a new key generated")
    return key


def _create_secret_file(path: Path) -> None:
    """Write a new key so that it appears complete or not at all: gunicorn workers start
    together, and one must never read a file another has created but not yet written."""
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    staging = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(staging, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(secrets.token_urlsafe(48))
    try:
        os.link(staging, path)  # atomic; fails if another process got there first
        log.info("generated a session secret key in %s", path)
    except FileExistsError:
        pass  # another worker created it first: use theirs
    finally:
        staging.unlink()


def create_app(settings: Settings, engine: Any = None) -> Flask:
    """Build the web app; raises storage.SchemaOutOfDate on an old database."""
    from .wiring import make_engine, scrape_engine

    if engine is None:
        engine = make_engine(settings, sqlite_cache_kib=WEB_SQLITE_CACHE_KIB)
    storage.check_schema(engine)
    # Once per database; the collector does the same at takeover, whichever starts first.
    seed_default_rules(engine, now_ms(time.time))
    server = Flask("trio_monitor")
    server.config["MAX_CONTENT_LENGTH"] = MAX_REQUEST_BYTES
    mount_at(server, settings.url_prefix)
    # Before the guard: a request for another host is refused whoever sends it.
    install_host_check(server, settings)
    auth.install(server, engine,
                 settings.auth_config(secret_key=secret_key(settings), public_paths=PUBLIC_PATHS))
    # After the guard (an outsider gets 401, a forged callback 403), before every hook
    # of the dashboard that reads a callback's body.
    dash_checks = dashrequests.install(server)
    token = settings.metrics_token.get_secret_value() if settings.metrics_token else None
    webmetrics.install(server, scrape_engine(engine) if token else None, token)

    @server.get("/healthz")
    def healthz() -> tuple[dict[str, str], int, dict[str, str]]:
        headers = {"Cache-Control": "no-store"}
        try:
            storage.ping(engine)
        except storage.StorageUnavailable as exc:
            log.warning("health check: database unavailable: %s", exc)
            return {"status": "unavailable"}, 503, headers
        return {"status": "ok"}, 200, headers

    dash_app = create_dash(server, engine, settings.dashboard_config())
    dash_checks.attach(dash_app)
    server.config["CSP_SCRIPT_HASHES"] = list(dash_app.csp_hashes())
    return server


def mount_at(server: Flask, prefix: str) -> None:
    """Serve ``server`` under ``prefix`` (URL_PREFIX, e.g. "/monitor"; "" = the root).

    The proxy passes the path as the browser sent it; the prefix moves into SCRIPT_NAME,
    so Flask's routes, ``url_for``, ``request.script_root`` (auth's redirects and cookie
    paths) honour it; Dash is told by ``DashboardConfig.url_prefix``.
    ``prefix`` alone is redirected to ``prefix/``; other paths outside it are 404, except
    /healthz, which a load balancer probes by address.
    """
    if not prefix:
        return
    server.config["SESSION_COOKIE_PATH"] = prefix
    server.wsgi_app = _MountedAt(server.wsgi_app, prefix)  # type: ignore[method-assign]


class _MountedAt:
    def __init__(self, app: Any, prefix: str) -> None:
        self.app = app
        self.prefix = prefix

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path: str = environ.get("PATH_INFO", "")
        if path.startswith(self.prefix + "/"):
            environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "") + self.prefix
            environ["PATH_INFO"] = path[len(self.prefix):]
            return self.app(environ, start_response)
        if path in HOST_EXEMPT_PATHS:
            return self.app(environ, start_response)
        if path == self.prefix:
            query = environ.get("QUERY_STRING", "")
            moved = redirect(self.prefix + "/" + (f"?{query}" if query else ""), 308)
            return moved(environ, start_response)
        return NotFound()(environ, start_response)


# Answered for any Host: builds no link, tells nothing, and load balancers probe it by
# address (docs/DESIGN.md "Web"); Prometheus scrapes /metrics by address too (its token
# guards it).
HOST_EXEMPT_PATHS = frozenset({"/healthz", webmetrics.METRICS_PATH})
_DEFAULT_PORTS = {"http": "80", "https": "443"}


def install_host_check(server: Flask, settings: Settings) -> None:
    """With PUBLIC_URL set, answer 400 to requests whose Host header names another host.

    Links are built from PUBLIC_URL only, so this is not what keeps them right; it keeps
    the site from answering under names it does not have (DNS rebinding, cache poisoning
    of a proxy that keys on Host).
    """
    if settings.public_url is None or not settings.public_url:
        return
    scheme = settings.public_url.split("://", 1)[0]
    expected = _normal_host(settings.public_host or "", scheme)

    @server.before_request
    def _only_public_host() -> tuple[dict[str, str], int] | None:
        if request.path in HOST_EXEMPT_PATHS:
            return None
        sent = _normal_host(request.host, scheme)
        if sent == expected:
            return None
        log.warning("request for host %r refused (TRIO_MONITOR_PUBLIC_URL is %s)",
                    request.host[:100], settings.public_url,
                    extra={"client_addr": request.remote_addr})
        return {"error": "unknown host"}, 400


def _normal_host(host: str, scheme: str) -> str:
    host = host.strip().lower().rstrip(".")
    name, sep, port = host.rpartition(":")
    if sep and not name.endswith("]") and ":" in name:
        return host  # a bare IPv6 address without brackets: leave it to fail the match
    if sep and port == _DEFAULT_PORTS.get(scheme) and name:
        return name.rstrip(".")
    return host
