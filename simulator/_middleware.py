"""Middlewares: request stats, failover redirects, JSON errors, and fault injection."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import struct
import time
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web
from yarl import URL

from simulator import _hostile
from simulator._api import not_found, resource_of
from simulator._faults import Fault, FaultKind
from simulator._fleet_api import fleet_resource_of
from simulator._http import decode_json_response, json_response, message, role_of, shared_of
from simulator._state import PRIMARY, SECONDARY

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
_OUTCOME = web.RequestKey("sim_outcome", str)  # overrides the status in stats (e.g. reset)
_ID_FIELDS = ("serviceid", "agentid", "ccid", "servicegroupid", "access_token")
_HUGE_CHUNK_BYTES = 64 * 1024
# Between the partial body and the reset, so the client has read the headers: a reset
# arriving first would make the kernel drop the bytes still unread.
_RESET_AFTER_S = 0.05

# Garbage for typed fields; ids stay intact so a collector can name the bad record.
_GARBAGE: dict[str, Any] = {
    "servicename": 4711,
    "open": "maybe",
    "callswaiting": "many",
    "longestwaittime": "a while",
    "agentsloggedin": "some",
    "agentsfree": [],
    "agentsbusy": "-",
    "agentspaused": {"n": 1},
    "answeredtoday": "lots",
    "abandonedtoday": "few",
    "servicelevel": "high",
    "agentname": 17,
    "state": 42,
    "statesince": "yesterday",
    "serviceids": "all",
    "servicegroup": 12,
    "servicegroupname": 12,
    "ccname": 0,
}


def _resource(path: str) -> str | None:
    """The resource name for stats and faults: the TE API's, or `workers`/`reconcilers`."""
    return resource_of(path) or fleet_resource_of(path)


@web.middleware
async def stats_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    resource = _resource(request.path)
    if resource is None:
        return await handler(request)
    shared, role = shared_of(request), role_of(request)
    # Wall-clock time, not the injected clock: these serve real rate-limit measurements.
    shared.stats.arrived(role, resource, time.time())
    outcome = "error"
    try:
        response = await handler(request)
        outcome = str(response.status)
        return response
    except web.HTTPException as exc:
        outcome = str(exc.status)
        raise
    except asyncio.CancelledError:
        outcome = "cancelled"
        raise
    finally:
        shared.stats.finished(role, resource, request.get(_OUTCOME, outcome))


@web.middleware
async def down_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """A request reaching the primary while it is down (on a connection opened before)
    is reset, as a crashed server's connections are: nothing is answered."""
    if role_of(request) != PRIMARY or not shared_of(request).primary_down:
        return await handler(request)
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    # Writing this fails quietly on the aborted connection: the client sees a reset.
    return web.Response(status=503)


@web.middleware
async def failover_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Redirect every TE API call but `GET /te/api` to the server that is active."""
    resource = resource_of(request.path)
    if resource is None or resource == "info":
        return await handler(request)
    shared, role = shared_of(request), role_of(request)
    active = SECONDARY if shared.failover_active else PRIMARY
    if role == active or request.query.get("redirect", "").lower() == "false":
        return await handler(request)
    location = shared.origins[active] + request.raw_path
    response = message(request, f"The active server is {shared.base_url(active)}.", 307)
    response.headers["Location"] = location
    return response


@web.middleware
async def json_errors_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Routing errors under /te/api answer JSON, like the rest of the API."""
    try:
        return await handler(request)
    except web.HTTPNotFound:
        if resource_of(request.path) is None:
            raise
        return not_found(request)
    except web.HTTPMethodNotAllowed as exc:
        if resource_of(request.path) is None:
            raise
        text = f"The requested resource does not support http method '{request.method}'."
        response = message(request, text, 405)
        response.headers["Allow"] = ",".join(sorted(exc.allowed_methods))
        return response


@web.middleware
async def fault_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    resource = _resource(request.path)
    if resource is None:
        return await handler(request)
    fault = shared_of(request).faults.take(resource, role_of(request))
    if fault is None:
        return await handler(request)
    return await _apply(fault, request, handler)


async def _apply(fault: Fault, request: web.Request, handler: Handler) -> web.StreamResponse:
    kind, params = fault.kind, fault.params
    if kind.value in _hostile.HOSTILE_KINDS:
        return await _hostile.apply(kind.value, params, request, handler)
    stopping = shared_of(request).stopping
    if kind is FaultKind.LATENCY:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stopping.wait(), params["seconds"])
        return await handler(request)
    if kind is FaultKind.HANG:
        # Cancellable: ends when the client disconnects or the server stops.
        await stopping.wait()
        return message(request, "The server is stopping.", 503)
    if kind is FaultKind.STATUS:
        status = params["status"]
        if status in (204, 304):
            return web.Response(status=status)
        return message(request, f"Simulated fault: HTTP {status}.", status)
    if kind is FaultKind.RETRY_AFTER:
        too_many = message(request, "Too many requests.", 429)
        too_many.headers["Retry-After"] = str(params["seconds"])
        return too_many
    if kind is FaultKind.HUGE:
        return await _huge(request, params["megabytes"], params["declare_length"])
    if kind is FaultKind.REDIRECT:
        return _redirect(request, params["to"], params["scheme"])
    response = await handler(request)
    if not isinstance(response, web.Response) or not isinstance(response.body, bytes):
        return response
    if kind is FaultKind.MALFORMED:
        return _malformed(response)
    if kind in (FaultKind.WRONG_SHAPE, FaultKind.BAD_RECORDS) and not _is_json(response):
        return response  # e.g. Prometheus text: there is no JSON shape to get wrong
    if kind is FaultKind.WRONG_SHAPE:
        payload = _wrong_shape(decode_json_response(response), params["shape"])
        return json_response(request, payload, response.status, _pagination(response))
    if kind is FaultKind.BAD_RECORDS:
        payload = _bad_records(decode_json_response(response), params["n"])
        return json_response(request, payload, response.status, _pagination(response))
    if kind is FaultKind.RESET:
        return await _reset(request, response)
    raise AssertionError(f"unhandled fault kind {kind}")


def _redirect(request: web.Request, target: str, scheme: str | None) -> web.Response:
    origin = URL(shared_of(request).origins[target])
    if scheme is not None:
        origin = origin.with_scheme(scheme)
    location = str(origin).rstrip("/") + request.raw_path
    response = message(request, f"The active server is {origin}.", 307)
    response.headers["Location"] = location
    return response


def _pagination(response: web.Response) -> dict[str, str]:
    value = response.headers.get("X-Pagination")
    return {"X-Pagination": value} if value is not None else {}


def _is_json(response: web.Response) -> bool:
    return response.content_type == "application/json"


def _malformed(response: web.Response) -> web.Response:
    body = bytes(response.body) if isinstance(response.body, bytes) else b"{}"
    truncated = body[: max(1, len(body) // 2)]
    if not _is_json(response):
        # Keep the content type as it was (e.g. Prometheus text, version parameter and all).
        content_type = response.headers.get("Content-Type", response.content_type)
        headers = {**_pagination(response), "Content-Type": content_type}
        return web.Response(body=truncated, status=200, headers=headers)
    return web.Response(
        body=truncated,
        status=200,
        headers=_pagination(response),
        content_type="application/json",
        charset=response.charset or "utf-8",
    )


def _without_ids(item: Any) -> Any:
    if isinstance(item, dict):
        return {k: v for k, v in item.items() if k not in _ID_FIELDS}
    return item


def _wrong_shape(payload: Any, shape: str) -> Any:
    data = payload.get("data") if isinstance(payload, dict) and "data" in payload else payload
    if shape == "missing_id":
        if isinstance(payload, dict) and "data" in payload:
            if isinstance(data, list):
                return {**payload, "data": [_without_ids(item) for item in data]}
            return {**payload, "data": _without_ids(data)}
        return _without_ids(payload)
    if shape == "bare_list":
        return data if isinstance(data, list) else [data]
    if shape == "no_envelope":
        return {"result": data}
    return {"links": [], "data": "unexpected"}


def _garble(item: Any) -> Any:
    if not isinstance(item, dict):
        return item
    return {key: _GARBAGE.get(key, value) for key, value in item.items()}


def _bad_records(payload: Any, n: int) -> Any:
    if not isinstance(payload, dict) or "data" not in payload:
        return payload
    data = payload["data"]
    if isinstance(data, list):
        data = [_garble(item) if i < n else item for i, item in enumerate(data)]
    else:
        data = _garble(data)
    return {**payload, "data": data}


def _huge_parts(megabytes: float) -> tuple[bytes, bytes, int, bytes]:
    """head, chunk, number of chunks, tail: together one valid JSON document."""
    item = json.dumps(
        {"serviceid": 1, "servicename": "Kundtjänst", "open": True, "callswaiting": 0},
        ensure_ascii=False,
    ).encode("utf-8")
    head, tail = b'{"links":[],"data":[', item + b"]}"
    chunk = (item + b",") * max(1, _HUGE_CHUNK_BYTES // (len(item) + 1))
    target = int(megabytes * 1024 * 1024)
    chunks = max(0, (target - len(head) - len(tail)) // len(chunk))
    return head, chunk, chunks, tail


async def _huge(request: web.Request, megabytes: float, declare_length: bool) -> web.StreamResponse:
    head, chunk, chunks, tail = _huge_parts(megabytes)
    response = web.StreamResponse(status=200)
    response.content_type = "application/json"
    response.charset = "utf-8"
    if declare_length:
        response.content_length = len(head) + chunks * len(chunk) + len(tail)
    stopping = shared_of(request).stopping
    try:
        await response.prepare(request)
        await response.write(head)
        for _ in range(chunks):
            if stopping.is_set():
                break
            await response.write(chunk)
        await response.write(tail)
        await response.write_eof()
    except ConnectionError:
        # The client stopped reading (as a size cap should make it): nothing to answer.
        request[_OUTCOME] = "client-disconnected"
    return response


async def _reset(request: web.Request, full: web.Response) -> web.StreamResponse:
    body = bytes(full.body) if isinstance(full.body, bytes) else b""
    response = web.StreamResponse(status=full.status, headers=_pagination(full))
    response.content_type = full.content_type
    response.charset = full.charset
    response.content_length = len(body)
    await response.prepare(request)
    await response.write(body[: len(body) // 2])
    await asyncio.sleep(_RESET_AFTER_S)
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            # Linger 0 makes close() send RST instead of FIN: a real connection reset.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    request[_OUTCOME] = "reset"
    return response
