"""The TE API resources: info, login, refresh, and the real-time contact-center state."""

from __future__ import annotations

import base64
import binascii
import hmac
import re
from typing import Any

from aiohttp import web

from simulator._config import BINARY_VERSION
from simulator._http import (
    DENIED,
    CollectionSpec,
    collection,
    envelope,
    json_response,
    link,
    message,
    project,
    role_of,
    selected_fields,
    shared_of,
)
from simulator._state import SECONDARY
from simulator._types import FieldTypes, render_agents, render_services

CCID = 1
CC_NAME = "Kontaktcenter Söder"
BASE = "/te/api"

SERVICE_STATE = CollectionSpec("serviceid", "servicename", ("serviceid", "servicename", "open"))
# The vendor: agents/state filters only by `id` (a `name` is ignored, as ASP.NET ignores
# query parameters it does not bind).
AGENT_STATE = CollectionSpec(
    "agentid", "agentname", ("agentid", "agentname", "state"), name_filter=False
)
SERVICES = CollectionSpec("serviceid", "servicename", None)
SERVICE_GROUPS = CollectionSpec("servicegroupid", "servicegroupname", None)
CONTACT_CENTERS = CollectionSpec("ccid", "ccname", None)

_RESOURCE_PATTERNS = (
    (re.compile(r"^/te/api/?$"), "info"),
    (re.compile(r"^/te/api/login/?$"), "login"),
    (re.compile(r"^/te/api/refreshlogin/?$"), "refreshlogin"),
    (re.compile(r"^/te/api/cc(/[^/]+)?/?$"), "cc"),
    (re.compile(r"^/te/api/cc/[^/]+/services/?$"), "services"),
    (re.compile(r"^/te/api/cc/[^/]+/services(/[^/]+)?/state/?$"), "services/state"),
    (re.compile(r"^/te/api/cc/[^/]+/agents/state/?$"), "agents/state"),
    (re.compile(r"^/te/api/cc/[^/]+/servicegroups/?$"), "servicegroups"),
)


def resource_of(path: str) -> str | None:
    """The control API's name for the resource at `path`; None outside the TE API."""
    if path != BASE and not path.startswith(BASE + "/"):
        return None
    for pattern, name in _RESOURCE_PATTERNS:
        if pattern.match(path):
            return name
    return "other"


# -- info and login ---------------------------------------------------------------------


async def info(request: web.Request) -> web.Response:
    """`GET /te/api` as the vendor documents it: top-level `links` with `self` only, and
    `data` a list of one object with its own relative links and the two servers' bare
    host names (a client adds the scheme and port it was configured with)."""
    shared = shared_of(request)
    config = shared.config
    item = {
        "links": [
            link("help", "The API's help page", "help"),
            link("cc", "Contact centers", "cc"),
            link("directory", "The company directory", "directory"),
            link("login", "Log in with the API client key and user credentials", "login",
                 "POST"),
            link("refreshlogin", "Renew the access token with a refresh token",
                 "refreshlogin", "POST"),
        ],
        "binaryVersion": BINARY_VERSION,
        "failoverMode": shared.failover_active,
        "primaryServer": config.primary_server_name or config.host,
        "secondaryServer": config.secondary_server_name or config.host,
    }  # fmt: skip
    return envelope(request, [item], [])


def _client_key_ok(request: web.Request) -> bool:
    scheme, _, key = request.headers.get("Authorization", "").partition(" ")
    expected = shared_of(request).config.client_key
    return scheme.lower() == "basic" and hmac.compare_digest(
        key.strip().encode("utf-8"), expected.encode("utf-8")
    )


def _invalid_grant(request: web.Request, description: str) -> web.Response:
    body = {"error": "invalid_grant", "error_description": description}
    return json_response(request, body, 400)


def _b64_latin1(value: str | None) -> str | None:
    if value is None:
        return None
    try:
        return base64.b64decode(value, validate=True).decode("iso-8859-1")
    except (binascii.Error, ValueError):
        return None


async def _form(request: web.Request) -> dict[str, str] | None:
    if request.content_type != "application/x-www-form-urlencoded":
        return None
    form = await request.post()
    return {key: value for key, value in form.items() if isinstance(value, str)}


def _token_response(request: web.Request) -> web.Response:
    shared = shared_of(request)
    issued = shared.tokens[role_of(request)].issue(
        shared.now(), shared.token_lifetime_s, shared.config.refresh_lifetime_s
    )
    body = {
        "access_token": issued.access_token,
        "token_type": "bearer",
        "expires_in": issued.expires_in,
        "refresh_token": issued.refresh_token,
    }
    return json_response(request, body, headers={"Cache-Control": "no-store"})


def _unsupported_body(request: web.Request) -> web.Response:
    body = {
        "error": "invalid_request",
        "error_description": "The body must be application/x-www-form-urlencoded.",
    }
    return json_response(request, body, 400)


async def login(request: web.Request) -> web.Response:
    if not _client_key_ok(request):
        return message(request, DENIED, 401)
    form = await _form(request)
    if form is None:
        return _unsupported_body(request)
    config = shared_of(request).config
    username = _b64_latin1(form.get("username"))
    password = _b64_latin1(form.get("password"))
    if username != config.username or password != config.password:
        return _invalid_grant(request, "The user name or password is incorrect.")
    return _token_response(request)


async def refresh_login(request: web.Request) -> web.Response:
    if not _client_key_ok(request):
        return message(request, DENIED, 401)
    form = await _form(request)
    if form is None:
        return _unsupported_body(request)
    shared = shared_of(request)
    token = form.get("refresh_token", "")
    if not shared.tokens[role_of(request)].take_refresh(token, shared.now()):
        return _invalid_grant(request, "The refresh token is invalid, expired or revoked.")
    return _token_response(request)


# -- authenticated resources ------------------------------------------------------------


def _authorized(request: web.Request) -> bool:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    shared = shared_of(request)
    store = shared.tokens[role_of(request)]
    return scheme.lower() == "bearer" and store.access_valid(token.strip(), shared.now())


def _denied(request: web.Request) -> web.Response:
    response = message(request, DENIED, 401)
    response.headers["WWW-Authenticate"] = "Bearer"
    return response


def not_found(request: web.Request) -> web.Response:
    text = f"No HTTP resource was found that matches the request URI '{request.url}'."
    return message(request, text, 404)


def _known_cc(request: web.Request) -> bool:
    return request.match_info.get("ccid", "") == str(CCID)


def _cc_links(request: web.Request) -> list[dict[str, str]]:
    cc = f"{request.url.origin()}{BASE}/cc/{CCID}"
    return [
        link("services", "Queues (services)", f"{cc}/services"),
        link("servicesstate", "Current state of every queue", f"{cc}/services/state"),
        link("agentsstate", "Current state of every agent", f"{cc}/agents/state"),
        link("servicegroups", "Queue groups", f"{cc}/servicegroups"),
    ]


def _contact_centers() -> list[dict[str, Any]]:
    return [{"ccid": CCID, "ccname": CC_NAME}]


async def contact_centers(request: web.Request) -> web.Response:
    if not _authorized(request):
        return _denied(request)
    return collection(request, _contact_centers(), CONTACT_CENTERS, _cc_links(request))


async def contact_center(request: web.Request) -> web.Response:
    if not _authorized(request):
        return _denied(request)
    if not _known_cc(request):
        return not_found(request)
    return envelope(request, _contact_centers()[0], _cc_links(request))


async def services(request: web.Request) -> web.Response:
    if not _authorized(request):
        return _denied(request)
    if not _known_cc(request):
        return not_found(request)
    items = shared_of(request).model.services()
    return collection(request, items, SERVICES, _cc_links(request))


async def services_state(request: web.Request) -> web.Response:
    if not _authorized(request):
        return _denied(request)
    if not _known_cc(request):
        return not_found(request)
    items = render_services(
        _as_served(request, shared_of(request).snapshot().services_state), _types(request)
    )
    return collection(request, items, SERVICE_STATE, _cc_links(request))


async def service_state(request: web.Request) -> web.Response:
    if not _authorized(request):
        return _denied(request)
    if not _known_cc(request):
        return not_found(request)
    snapshot = shared_of(request).snapshot()
    try:
        item = snapshot.services_state_by_id.get(int(request.match_info["serviceid"]))
    except ValueError:
        item = None
    if item is None:
        return not_found(request)
    item = render_services(_as_served(request, [item]), _types(request))[0]
    data = project(item, selected_fields(request, SERVICE_STATE))
    return envelope(request, data, _cc_links(request))


def _as_served(request: web.Request, items: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The secondary's counters start at its takeover; the primary's run all day."""
    if role_of(request) != SECONDARY:
        return items
    shared = shared_of(request)
    return [shared.as_served_by_secondary(item) for item in items]


async def agents_state(request: web.Request) -> web.Response:
    if not _authorized(request):
        return _denied(request)
    if not _known_cc(request):
        return not_found(request)
    shared = shared_of(request)
    items = render_agents(shared.snapshot().agents_state, _types(request), shared.model.tz)
    return collection(request, items, AGENT_STATE, _cc_links(request))


async def service_groups(request: web.Request) -> web.Response:
    if not _authorized(request):
        return _denied(request)
    if not _known_cc(request):
        return not_found(request)
    items = shared_of(request).model.servicegroups()
    return collection(request, items, SERVICE_GROUPS, _cc_links(request))


def _types(request: web.Request) -> FieldTypes:
    shared = shared_of(request)
    return shared.model.field_types or shared.config.field_types


def add_routes(app: web.Application) -> None:
    cc = BASE + "/cc/{ccid}"
    app.router.add_get(BASE, info)
    app.router.add_get(BASE + "/", info)
    app.router.add_post(BASE + "/login", login)
    app.router.add_post(BASE + "/refreshlogin", refresh_login)
    app.router.add_get(BASE + "/cc", contact_centers)
    app.router.add_get(cc, contact_center)
    app.router.add_get(cc + "/services", services)
    app.router.add_get(cc + "/services/state", services_state)
    app.router.add_get(cc + "/services/{serviceid}/state", service_state)
    app.router.add_get(cc + "/agents/state", agents_state)
    app.router.add_get(cc + "/servicegroups", service_groups)
