"""HTTP for the fake workers and reconcilers, and their control routes.

Served by the primary server: `GET /workers/{name}/health`, `GET /reconcilers/{name}/status`
(JSON) and `GET /reconcilers/{name}/metrics` (Prometheus text). Control (both servers):
`/_control/workers[/{name}]` and `/_control/reconcilers[/{name}[/drift]]`.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from aiohttp import web

from simulator._control_api import PREFIX
from simulator._fleet import FleetError, Reconciler, Worker, WorkerBehaviour
from simulator._http import json_object, shared_of

WORKERS = "workers"
RECONCILERS = "reconcilers"
PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_GARBAGE_JSON = b'{"worker": {"healthy": tru, "last_successful_run": <html>oops</html>'
_GARBAGE_TEXT = (
    b'reconciliation_drift_resources{provider="aws" 2\n'
    b"<html><body>502 Bad Gateway</body></html>\n"
    b"reconciliation_cycle_duration_seconds four point two\n"
)


def fleet_resource_of(path: str) -> str | None:
    """The fault resource for a fleet path (`workers`, `reconcilers`), else None."""
    if path.startswith("/workers/"):
        return WORKERS
    if path.startswith("/reconcilers/"):
        return RECONCILERS
    return None


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.json_response(payload, status=status)


def _unknown(kind: str, name: str) -> web.Response:
    return _json({"message": f"no {kind} named {name!r}"}, 404)


async def _wait(request: web.Request, seconds: float | None) -> None:
    """Sleep `seconds` (None: until the server stops); cancelled if the client goes away."""
    stopping = shared_of(request).stopping
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)


def _worker(request: web.Request) -> Worker | None:
    return shared_of(request).fleet.workers.get(request.match_info["name"])


def _reconciler(request: web.Request) -> Reconciler | None:
    return shared_of(request).fleet.reconcilers.get(request.match_info["name"])


# -- served endpoints -------------------------------------------------------------------


async def worker_health(request: web.Request) -> web.Response:
    worker = _worker(request)
    if worker is None:
        return _unknown("worker", request.match_info["name"])
    answer = worker.answer(shared_of(request).now())
    if answer.hang:
        await _wait(request, None)
        return _json({"message": "The server is stopping."}, 503)
    if answer.delay_s > 0:
        await _wait(request, answer.delay_s)
    return _json(answer.payload, answer.status)


async def _reconciler_answer(request: web.Request, prometheus: bool) -> web.Response:
    reconciler = _reconciler(request)
    if reconciler is None:
        return _unknown("reconciler", request.match_info["name"])
    mode = reconciler.overrides.mode
    if mode == "hang":
        await _wait(request, None)
        return _json({"message": "The server is stopping."}, 503)
    if mode == "failing":
        status = reconciler.overrides.status or 503
        return _json({"message": f"Simulated failure: HTTP {status}."}, status)
    now = shared_of(request).now()
    if prometheus:
        body = _GARBAGE_TEXT if mode == "garbage" else reconciler.metrics_text(now).encode()
        response = web.Response(body=body)
        response.headers["Content-Type"] = PROMETHEUS_CONTENT_TYPE
        return response
    if mode == "garbage":
        return web.Response(body=_GARBAGE_JSON, content_type="application/json")
    return _json(reconciler.status_json(now))


async def reconciler_status(request: web.Request) -> web.Response:
    return await _reconciler_answer(request, prometheus=False)


async def reconciler_metrics(request: web.Request) -> web.Response:
    return await _reconciler_answer(request, prometheus=True)


# -- control ----------------------------------------------------------------------------


async def _body(request: web.Request) -> dict[str, Any]:
    return await json_object(request, FleetError, empty_ok=True)


async def list_workers(request: web.Request) -> web.Response:
    workers = shared_of(request).fleet.workers
    return _json({name: w.behaviour.describe() for name, w in workers.items()})


async def drive_worker(request: web.Request) -> web.Response:
    worker = _worker(request)
    if worker is None:
        return _unknown("worker", request.match_info["name"])
    try:
        worker.behaviour = WorkerBehaviour.parse(await _body(request))
    except FleetError as exc:
        return _json({"message": str(exc)}, 400)
    return _json({"name": worker.name, **worker.behaviour.describe()})


async def reset_worker(request: web.Request) -> web.Response:
    worker = _worker(request)
    if worker is None:
        return _unknown("worker", request.match_info["name"])
    worker.behaviour = WorkerBehaviour()
    return _json({"name": worker.name, **worker.behaviour.describe()})


async def list_reconcilers(request: web.Request) -> web.Response:
    reconcilers = shared_of(request).fleet.reconcilers
    return _json({name: r.describe() for name, r in reconcilers.items()})


async def drive_reconciler(request: web.Request) -> web.Response:
    reconciler = _reconciler(request)
    if reconciler is None:
        return _unknown("reconciler", request.match_info["name"])
    try:
        reconciler.control(await _body(request), shared_of(request).now())
    except FleetError as exc:
        return _json({"message": str(exc)}, 400)
    return _json(reconciler.describe())


async def reset_reconciler(request: web.Request) -> web.Response:
    reconciler = _reconciler(request)
    if reconciler is None:
        return _unknown("reconciler", request.match_info["name"])
    reconciler.reset()
    return _json(reconciler.describe())


async def clear_reconciler_drift(request: web.Request) -> web.Response:
    reconciler = _reconciler(request)
    if reconciler is None:
        return _unknown("reconciler", request.match_info["name"])
    reconciler.clear_drift()
    return _json(reconciler.describe())


def add_served_routes(app: web.Application) -> None:
    router = app.router
    router.add_get("/workers/{name}/health", worker_health)
    router.add_get("/reconcilers/{name}/status", reconciler_status)
    router.add_get("/reconcilers/{name}/metrics", reconciler_metrics)


def add_control_routes(app: web.Application) -> None:
    router = app.router
    router.add_get(PREFIX + "/workers", list_workers)
    router.add_post(PREFIX + "/workers/{name}", drive_worker)
    router.add_delete(PREFIX + "/workers/{name}", reset_worker)
    router.add_get(PREFIX + "/reconcilers", list_reconcilers)
    router.add_post(PREFIX + "/reconcilers/{name}", drive_reconciler)
    router.add_delete(PREFIX + "/reconcilers/{name}", reset_reconciler)
    router.add_delete(PREFIX + "/reconcilers/{name}/drift", clear_reconciler_drift)
