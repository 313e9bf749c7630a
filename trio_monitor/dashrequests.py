"""Requests to Dash's endpoints checked before Dash sees them.

Dash trusts its own renderer: a callback body of the wrong shape, naming an output no
callback has, with inputs other than the callback declares, with a number JavaScript
cannot hold or nested a thousand levels deep, fails somewhere inside Dash with a 500 and
a traceback. Here each such body is answered 400 with one log line, before dispatch:

- the body is parsed once, strictly: JSON only, integers within +-2**53, finite floats,
  at most ``MAX_DEPTH`` levels of nesting;
- its shape is that of Dash's renderer: ``output`` names a registered callback;
  ``outputs``, ``inputs`` and ``state`` list exactly the callback's declared components
  and properties (a pattern id matches its wildcards); ``changedPropIds`` is a list of
  strings;
- values of the counting properties Dash components have (``n_clicks``, ``n_intervals``,
  ...) are non-negative integers or null, so a callback never meets ``"x"`` there.

Files under ``_dash-component-suites/`` that Dash did not register are 404, not 500, and
any other 400 Flask raises for these endpoints (JSON it cannot read) is one log line too.
"""

from __future__ import annotations

import json
import logging
import math
from dataclasses import dataclass
from typing import Any

import dash
import flask
from dash.fingerprint import check_fingerprint
from werkzeug.exceptions import BadRequest, HTTPException, NotFound

log = logging.getLogger(__name__)

# Dash's routes, after its routes_pathname_prefix.
UPDATE_PATH = "_dash-update-component"
SUITES_PATH = "_dash-component-suites/<string:package_name>/<path:fingerprinted_path>"
MAX_DEPTH = 64
MAX_SAFE_INTEGER = 2**53  # JavaScript numbers above this are not exact integers
_COUNTERS = frozenset({"n_clicks", "n_intervals", "n_submit", "n_blur", "n_clicks_timestamp",
                       "n_submit_timestamp", "n_blur_timestamp", "n_dblclicks"})


class BadBody(ValueError):
    """The request body is not what Dash's renderer sends; the message says why."""


class DashRequestChecks:
    """The checks on one server. ``install`` them before the Dash app is built (their
    hook must run before any other hook that reads a callback body, such as the wall
    screen's response cache), then ``attach`` the Dash app."""

    def __init__(self, server: flask.Flask) -> None:
        self._server = server
        self._app: dash.Dash | None = None
        self._update_endpoint: str | None = None
        self._declared: dict[str, _Declared] = {}
        server.before_request(self._check_update)
        server.register_error_handler(BadRequest, _bad_request)
        server.register_error_handler(dash.exceptions.DependencyException,
                                      _unknown_dependency)

    def attach(self, app: dash.Dash) -> None:
        self._update_endpoint = _endpoint(self._server, app, UPDATE_PATH)
        suites_endpoint = _endpoint(self._server, app, SUITES_PATH)
        suites = self._server.view_functions[suites_endpoint]

        def checked_suites(package_name: str, fingerprinted_path: str) -> Any:
            path, _ = check_fingerprint(fingerprinted_path)
            if path not in app.registered_paths.get(package_name, ()):
                return _refuse(404, f"unknown component file {package_name}/{path}")
            return suites(package_name=package_name, fingerprinted_path=fingerprinted_path)

        self._server.view_functions[suites_endpoint] = checked_suites
        self._app = app

    def _check_update(self) -> flask.Response | None:
        request = flask.request
        if request.endpoint != self._update_endpoint or request.method != "POST":
            return None
        if self._app is None:
            return _refuse(503, "the dashboard is not ready")
        if not request.is_json:
            return _refuse(400, f"malformed callback request: content type "
                                f"{request.mimetype or 'none'}, not application/json")
        try:
            check_update(request.get_data(cache=True), self._app.callback_map, self._declared)
        except BadBody as exc:
            return _refuse(400, f"malformed callback request: {exc}")
        return None


def install(server: flask.Flask) -> DashRequestChecks:
    """Put the checks on ``server``: call right after the auth guard, before the Dash app
    is built, then ``attach`` the app."""
    return DashRequestChecks(server)


def _endpoint(server: flask.Flask, app: dash.Dash, path: str) -> str:
    rule = f"{app.config.routes_pathname_prefix}{path}"
    found = [r.endpoint for r in server.url_map.iter_rules() if r.rule == rule]
    if len(found) != 1:
        raise RuntimeError(f"expected one Dash route {rule}, found {found}: Dash's routes "
                           "changed; check trio_monitor/dashrequests.py")
    return found[0]


@dataclass(frozen=True)
class _Spec:
    """One declared input, state or output: a string id, or a dict id (``pattern``; its
    wildcard values are lists such as ``["ALL"]``), and the property."""

    id: str
    pattern: dict[str, Any] | None
    wildcard: bool
    prop: str


@dataclass(frozen=True)
class _Declared:
    inputs: tuple[_Spec, ...]
    state: tuple[_Spec, ...]
    outputs: tuple[_Spec, ...] | None  # None: the callback has no output
    many_outputs: bool


def _spec(component_id: str, prop: str) -> _Spec:
    if not component_id.startswith("{"):
        return _Spec(component_id, None, False, prop)
    pattern = json.loads(component_id)
    return _Spec(component_id, pattern, any(isinstance(v, list) for v in pattern.values()),
                 prop)


def _declared(callback: dict[str, Any]) -> _Declared:
    declared = callback["output"]
    many = isinstance(declared, list)
    outputs = None if callback.get("no_output") else tuple(
        _spec(out.component_id_str(), out.component_property)
        for out in (declared if many else [declared]))
    return _Declared(
        inputs=tuple(_spec(d["id"], d["property"]) for d in callback["inputs"]),
        state=tuple(_spec(d["id"], d["property"]) for d in callback.get("state", [])),
        outputs=outputs, many_outputs=many)


def check_update(raw: bytes, callback_map: dict[str, Any],
                 cache: dict[str, _Declared] | None = None) -> dict[str, Any]:
    """The parsed body of a callback request; raises BadBody. ``cache`` keeps each
    callback's declared items between calls (callbacks do not change once served)."""
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise BadBody("the body is not a JSON object")
    output = body.get("output")
    if not isinstance(output, str) or output not in callback_map:
        raise BadBody("'output' names no callback")
    callback = callback_map[output]
    if "callback" not in callback:
        raise BadBody("'output' names a callback that runs in the browser")
    declared = cache.get(output) if cache is not None else None
    if declared is None:
        declared = _declared(callback)
        if cache is not None:
            cache[output] = declared
    _check_list(body.get("inputs"), declared.inputs, "inputs")
    _check_list(body.get("state", []), declared.state, "state")
    _check_outputs(body.get("outputs"), declared)
    changed = body.get("changedPropIds", [])
    if not isinstance(changed, list) or not all(isinstance(c, str) for c in changed):
        raise BadBody("'changedPropIds' is not a list of strings")
    return body


def parse_json(raw: bytes) -> Any:
    try:
        value = json.loads(raw, parse_int=_int, parse_float=_float, parse_constant=_constant)
    except RecursionError:
        raise BadBody("nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError is a ValueError
        raise BadBody(f"not JSON ({str(exc)[:80]})") from None
    if _too_deep(raw, value):
        raise BadBody(f"nested deeper than {MAX_DEPTH} levels")
    return value


def _int(text: str) -> int:
    # Length first: int() of a 100 000-digit string is itself the cost to avoid.
    if len(text) > 17 or abs(value := int(text)) > MAX_SAFE_INTEGER:
        raise BadBody(f"integer {text[:20]}... out of range")
    return value


def _float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadBody(f"number {text[:20]} out of range")
    return value


def _constant(text: str) -> Any:
    raise BadBody(f"{text} is not JSON")


def _too_deep(raw: bytes, value: Any) -> bool:
    """Whether ``value`` nests deeper than MAX_DEPTH. A body with fewer brackets than that
    cannot (counted in C, so a wall screen's refresh pays nothing more); otherwise the
    containers are walked level by level, without recursion."""
    if raw.count(b"[") + raw.count(b"{") <= MAX_DEPTH:
        return False
    level = [value] if isinstance(value, dict | list) else []
    for _ in range(MAX_DEPTH):
        if not level:
            return False
        children: list[Any] = []
        for node in level:
            children.extend(c for c in (node.values() if isinstance(node, dict) else node)
                            if isinstance(c, dict | list))
        level = children
    return bool(level)


def _check_list(sent: Any, declared: tuple[_Spec, ...], name: str) -> None:
    if not isinstance(sent, list) or len(sent) != len(declared):
        raise BadBody(f"{name!r} does not list the callback's {len(declared)} item(s)")
    for item, spec in zip(sent, declared, strict=True):
        _check_item(item, spec, name, with_value=True)


def _check_outputs(sent: Any, declared: _Declared) -> None:
    if declared.outputs is None:
        return
    # One output is sent bare (a list only for a wildcard id); several as a list.
    items = sent if declared.many_outputs else [sent]
    if not isinstance(items, list) or len(items) != len(declared.outputs):
        raise BadBody(f"'outputs' does not list the callback's {len(declared.outputs)} "
                      "output(s)")
    for item, spec in zip(items, declared.outputs, strict=True):
        _check_item(item, spec, "outputs", with_value=False)


def _check_item(item: Any, spec: _Spec, name: str, *, with_value: bool) -> None:
    """One entry: ``{"id", "property"[, "value"]}``; for a wildcard id (ALL,
    ALLSMALLER) a list of them, or one (MATCH)."""
    if spec.pattern is None:
        _check_entry(item, spec.prop, name, with_value)
        if item["id"] != spec.id:
            raise BadBody(f"{name!r}: unknown component {str(item['id'])[:80]}")
        return
    entries = item if spec.wildcard and isinstance(item, list) else [item]
    for one in entries:
        _check_entry(one, spec.prop, name, with_value)
        if not _matches(one["id"], spec.pattern):
            raise BadBody(f"{name!r}: id {str(one['id'])[:80]} does not match the callback")


def _check_entry(item: Any, prop: str, name: str, with_value: bool) -> None:
    if not isinstance(item, dict) or not isinstance(item.get("id"), str | dict):
        raise BadBody(f"{name!r}: an entry is not an object with an id")
    sent = item.get("property")
    if not with_value and isinstance(sent, str):
        # An output with allow_duplicate is sent as "children@<hash>".
        sent = sent.split("@", 1)[0]
    if sent != prop:
        raise BadBody(f"{name!r}: unknown property {str(item.get('property'))[:40]}")
    value = item.get("value")
    if with_value and prop in _COUNTERS and value is not None and (
            not isinstance(value, int | float) or isinstance(value, bool) or value < 0):
        raise BadBody(f"{name!r}: {prop} is not a count")


def _matches(sent: Any, pattern: dict[str, Any]) -> bool:
    """A dict id against a declared one: the same keys, equal values except where the
    declared value is a wildcard."""
    if not isinstance(sent, dict) or set(sent) != set(pattern):
        return False
    return all(isinstance(want, list) or sent[key] == want for key, want in pattern.items())


def _refuse(status: int, reason: str) -> flask.Response:
    log.warning("%s %s refused (%d): %s", flask.request.method, flask.request.path, status,
                reason, extra={"client_addr": flask.request.remote_addr})
    response = flask.jsonify({"error": reason if status == 404 else "malformed request"})
    response.status_code = status
    return response


def _bad_request(exc: HTTPException) -> Any:
    """Flask's own 400s (unreadable JSON, a bad form): one log line; Dash's endpoints
    answer JSON, pages keep Flask's response."""
    if _is_dash_path(flask.request.path):
        return _refuse(exc.code or 400, exc.description or "bad request")
    return exc


def _unknown_dependency(exc: Exception) -> Any:
    return _refuse(NotFound.code, "unknown component file")


def _is_dash_path(path: str) -> bool:
    return any(segment.startswith("_dash-") for segment in path.split("/"))

