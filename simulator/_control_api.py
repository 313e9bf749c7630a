"""The control API under /_control/: fault injection, tokens, failover, stats (no auth)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from simulator._faults import FaultError
from simulator._http import json_object, shared_of
from simulator._state import FOREIGN
from simulator._types import FieldTypes, FieldTypesError

PREFIX = "/_control"


def _json(payload: Any, status: int = 200) -> web.Response:
    return web.json_response(payload, status=status)


def _error(text: str) -> web.Response:
    return _json({"message": text}, 400)


async def _body(request: web.Request) -> dict[str, Any]:
    return await json_object(request, FaultError)


async def add_fault(request: web.Request) -> web.Response:
    try:
        fault = shared_of(request).faults.add(await _body(request))
    except FaultError as exc:
        return _error(str(exc))
    return _json(fault.describe(), 201)


async def list_faults(request: web.Request) -> web.Response:
    return _json([fault.describe() for fault in shared_of(request).faults.faults])


async def clear_faults(request: web.Request) -> web.Response:
    shared_of(request).faults.clear()
    return _json({"cleared": True})


async def delete_fault(request: web.Request) -> web.Response:
    if not shared_of(request).faults.remove(request.match_info["fault_id"]):
        return _json({"message": "no such fault"}, 404)
    return _json({"cleared": True})


async def revoke_tokens(request: web.Request) -> web.Response:
    shared_of(request).revoke_tokens()
    return _json({"revoked": True})


async def failover(request: web.Request) -> web.Response:
    try:
        body = await _body(request)
    except FaultError as exc:
        return _error(str(exc))
    active = body.get("active")
    if not isinstance(active, bool):
        return _error("'active' must be true or false")
    shared_of(request).set_failover(active)
    return _json({"active": active})


async def primary(request: web.Request) -> web.Response:
    """{"up": false}: the primary goes down (connections refused) and the secondary takes
    over in failover mode. {"up": true}: it listens again; failover mode ends unless
    {"failover": true} keeps it (then the primary redirects to the secondary)."""
    try:
        body = await _body(request)
    except FaultError as exc:
        return _error(str(exc))
    up = body.get("up")
    keep_failover = body.get("failover", not up)
    if not isinstance(up, bool) or not isinstance(keep_failover, bool):
        return _error("'up' and 'failover' must be true or false")
    shared = shared_of(request)
    assert shared.set_primary_listening is not None
    if not up:
        shared.set_failover(True)
        await shared.set_primary_listening(False, request.protocol)
    else:
        await shared.set_primary_listening(True, None)
        shared.set_failover(keep_failover)
    response = _json({"up": up, "failover": shared.failover_active})
    if not up:
        response.force_close()  # "Connection: close": no client reuses it for the next call
    return response


async def foreign(request: web.Request) -> web.Response:
    """Where the foreign server listens (its TE API base URL)."""
    return _json({"url": shared_of(request).base_url(FOREIGN)})


async def foreign_requests(request: web.Request) -> web.Response:
    """Every request the foreign server received, headers and body in full."""
    return _json(list(shared_of(request).foreign_requests))


async def clear_foreign_requests(request: web.Request) -> web.Response:
    shared_of(request).foreign_requests.clear()
    return _json({"cleared": True})


async def token_lifetime(request: web.Request) -> web.Response:
    try:
        body = await _body(request)
    except FaultError as exc:
        return _error(str(exc))
    seconds = body.get("seconds")
    if isinstance(seconds, bool) or not isinstance(seconds, int | float) or seconds <= 0:
        return _error("'seconds' must be a positive number")
    shared_of(request).token_lifetime_s = float(seconds)
    return _json({"seconds": seconds})


async def override_queue(request: web.Request) -> web.Response:
    """Pin fields of one queue's state: {"longestwaittime": 95, "open": false}."""
    try:
        serviceid = int(request.match_info["serviceid"])
        body = await _body(request)
    except ValueError:
        return _error("the service id must be an integer")
    except FaultError as exc:
        return _error(str(exc))
    try:
        shared_of(request).model.override(serviceid, body)
    except KeyError:
        return _json({"message": f"no queue with serviceid {serviceid}"}, 404)
    return _json({"serviceid": serviceid, "pinned": body})


async def release_queue(request: web.Request) -> web.Response:
    try:
        serviceid = int(request.match_info["serviceid"])
    except ValueError:
        return _error("the service id must be an integer")
    shared_of(request).model.release(serviceid)
    return _json({"serviceid": serviceid, "released": True})


async def stats(request: web.Request) -> web.Response:
    return _json(shared_of(request).stats.as_dict())


async def reset_stats(request: web.Request) -> web.Response:
    shared_of(request).stats.reset()
    return _json({"reset": True})


# -- field types (simulator/_types.py) ------------------------------------------------------


async def get_field_types(request: web.Request) -> web.Response:
    shared = shared_of(request)
    return _json((shared.model.field_types or shared.config.field_types).describe())


async def set_field_types(request: web.Request) -> web.Response:
    """{"open": "int", "state": "code", "time": "local"}: any subset; the rest stay."""
    shared = shared_of(request)
    try:
        body = await _body(request)
        types = FieldTypes.parse(body, shared.model.field_types or shared.config.field_types)
    except (FaultError, FieldTypesError) as exc:
        return _error(str(exc))
    shared.model.field_types = types
    return _json(types.describe())


async def reset_field_types(request: web.Request) -> web.Response:
    shared = shared_of(request)
    shared.model.field_types = None
    return _json(shared.config.field_types.describe())


def _add_field_type_routes(router: web.UrlDispatcher) -> None:
    router.add_get(PREFIX + "/field-types", get_field_types)
    router.add_post(PREFIX + "/field-types", set_field_types)
    router.add_delete(PREFIX + "/field-types", reset_field_types)


def add_routes(app: web.Application) -> None:
    router = app.router
    _add_field_type_routes(router)
    router.add_post(PREFIX + "/faults", add_fault)
    router.add_get(PREFIX + "/faults", list_faults)
    router.add_delete(PREFIX + "/faults", clear_faults)
    router.add_delete(PREFIX + "/faults/{fault_id}", delete_fault)
    router.add_post(PREFIX + "/revoke-tokens", revoke_tokens)
    router.add_post(PREFIX + "/failover", failover)
    router.add_post(PREFIX + "/primary", primary)
    router.add_get(PREFIX + "/foreign", foreign)
    router.add_get(PREFIX + "/foreign/requests", foreign_requests)
    router.add_delete(PREFIX + "/foreign/requests", clear_foreign_requests)
    router.add_post(PREFIX + "/token-lifetime", token_lifetime)
    router.add_post(PREFIX + "/queues/{serviceid}", override_queue)
    router.add_delete(PREFIX + "/queues/{serviceid}", release_queue)
    router.add_get(PREFIX + "/stats", stats)
    router.add_post(PREFIX + "/reset-stats", reset_stats)
