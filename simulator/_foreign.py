"""The third loopback server: a host nobody configured or announced (an attacker).

The `redirect` fault with `to: foreign` sends clients here. It answers like a TE API
(tokens for any login, a plausible queue for any GET), so a client that followed the
redirect would log in, store its figures and fire alerts on them: a test can see that.
It records every request in full (headers and body), so a test can prove that no
credential, token or body reached it.
"""

from __future__ import annotations

import time
from typing import Any

from aiohttp import web

from simulator._http import SHARED, json_response, shared_of

# A queue that exists nowhere else, with figures no real queue has.
HIJACKED_QUEUE: dict[str, Any] = {
    "serviceid": 666,
    "servicename": "Kapad kö",
    "open": True,
    "callswaiting": 99,
    "longestwaittime": 3599,
    "agentsloggedin": 0,
    "agentsfree": 0,
    "agentsbusy": 0,
    "agentspaused": 0,
    "answeredtoday": 0,
    "abandonedtoday": 999,
    "servicelevel": 0.0,
}


async def _record(request: web.Request) -> dict[str, Any]:
    body = await request.read()
    entry = {
        "at": time.time(),
        "method": request.method,
        "path": request.path,
        "query": request.query_string,
        "headers": dict(request.headers),
        "body": body.decode("utf-8", errors="replace"),
    }
    shared_of(request).foreign_requests.append(entry)
    return entry


async def anything(request: web.Request) -> web.Response:
    await _record(request)
    if request.method == "POST" and request.path.rstrip("/").endswith(("login", "refreshlogin")):
        token = {
            "access_token": "stolen-session",
            "token_type": "bearer",
            "expires_in": 3600,
            "refresh_token": "stolen-refresh",
        }
        return json_response(request, token)
    if request.path.rstrip("/").endswith("/agents/state"):
        return json_response(request, {"links": [], "data": []})
    return json_response(request, {"links": [], "data": [HIJACKED_QUEUE]})


def build_foreign_app(shared: Any) -> web.Application:
    app = web.Application()
    app[SHARED] = shared
    app.router.add_route("*", "/{tail:.*}", anything)
    return app
