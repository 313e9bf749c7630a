"""Fault injection: what to do wrong, to which resource, how many times."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from simulator import _hostile_spec as hostile


class FaultKind(StrEnum):
    LATENCY = "latency"  # wait `seconds`, then answer normally
    HANG = "hang"  # never answer until the client gives up or the server stops
    STATUS = "status"  # answer `status` with a JSON error body
    RETRY_AFTER = "retry_after"  # 429 with `Retry-After: seconds`
    MALFORMED = "malformed"  # 200, JSON content type, truncated JSON body
    WRONG_SHAPE = "wrong_shape"  # 200, valid JSON of the wrong shape (`shape` picks which)
    BAD_RECORDS = "bad_records"  # 200, normal page with `n` items holding garbage
    HUGE = "huge"  # 200, a streamed JSON body of `megabytes` MB
    RESET = "reset"  # status line, headers, part of the body, then a TCP reset
    # 307 to `to` (foreign: the recording third server; primary; secondary), the same
    # path and query, with `scheme` if given (e.g. "http" from an https server).
    REDIRECT = "redirect"
    # -- hostile responses (simulator/_hostile.py): survived field by field ---------------
    GZIP_BOMB = hostile.GZIP_BOMB  # a small gzip/deflate body inflating to `megabytes` MiB
    BAD_BYTE = hostile.BAD_BYTE  # an invalid UTF-8 byte in the names of `n` records
    WRONG_TYPE = hostile.WRONG_TYPE  # `field` of `n` records set to `value` (a string)
    DUPLICATE_ID = hostile.DUPLICATE_ID  # `n` records sent twice, the copies different
    IMPLAUSIBLE = hostile.IMPLAUSIBLE  # `fields` of `n` records set to impossible values
    BAD_EXPIRES_IN = hostile.BAD_EXPIRES_IN  # token response: expires_in `value` or `missing`
    LARGE_BODY = hostile.LARGE_BODY  # one page of `records` distinct records to parse


# Resources as the control API names them; "*" means every authenticated resource.
UNAUTHENTICATED_RESOURCES = ("info", "login", "refreshlogin")
AUTHENTICATED_RESOURCES = ("cc", "services", "services/state", "agents/state", "servicegroups")
ANY_AUTHENTICATED = "*"
# The fake workers and reconcilers (not covered by "*", which means the TE API).
FLEET_RESOURCES = ("workers", "reconcilers")
RESOURCES = (
    *UNAUTHENTICATED_RESOURCES,
    *AUTHENTICATED_RESOURCES,
    *FLEET_RESOURCES,
    ANY_AUTHENTICATED,
)
SERVERS = ("primary", "secondary")

REDIRECT_TARGETS = ("foreign", "primary", "secondary")
REDIRECT_SCHEMES = ("http", "https")
WRONG_SHAPES = ("data_not_list", "missing_id", "bare_list", "no_envelope")


class FaultError(ValueError):
    """A fault request the control API refuses (answered with 400)."""


@dataclass
class Fault:
    id: str
    resource: str
    kind: FaultKind
    params: dict[str, Any]
    remaining: int | None  # None: until cleared
    server: str | None  # None: both servers
    applied: int = 0

    def matches(self, resource: str, server: str) -> bool:
        if self.server is not None and self.server != server:
            return False
        if self.resource == ANY_AUTHENTICATED:
            return resource in AUTHENTICATED_RESOURCES
        return self.resource == resource

    def describe(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "resource": self.resource,
            "kind": str(self.kind),
            "params": self.params,
            "count": self.remaining,
            "server": self.server,
            "applied": self.applied,
        }


def _number(body: dict[str, Any], name: str, default: float | None, minimum: float) -> float:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FaultError(f"'{name}' must be a number")
    if value < minimum:
        raise FaultError(f"'{name}' must be >= {minimum}")
    return float(value)


def _params(kind: FaultKind, body: dict[str, Any]) -> dict[str, Any]:
    if kind.value in hostile.HOSTILE_KINDS:
        try:
            return hostile.params(kind.value, body)
        except hostile.HostileError as exc:
            raise FaultError(str(exc)) from None
    if kind is FaultKind.LATENCY:
        return {"seconds": _number(body, "seconds", None, 0)}
    if kind is FaultKind.STATUS:
        status = body.get("status")
        if not isinstance(status, int) or isinstance(status, bool) or not 200 <= status <= 599:
            raise FaultError("'status' must be an HTTP status code between 200 and 599")
        return {"status": status}
    if kind is FaultKind.RETRY_AFTER:
        return {"seconds": int(_number(body, "seconds", 1, 0))}
    if kind is FaultKind.WRONG_SHAPE:
        shape = body.get("shape", WRONG_SHAPES[0])
        if shape not in WRONG_SHAPES:
            raise FaultError(f"'shape' must be one of {', '.join(WRONG_SHAPES)}")
        return {"shape": shape}
    if kind is FaultKind.BAD_RECORDS:
        return {"n": int(_number(body, "n", 1, 1))}
    if kind is FaultKind.HUGE:
        return {
            "megabytes": _number(body, "megabytes", 50, 0.001),
            "declare_length": bool(body.get("declare_length", False)),
        }
    if kind is FaultKind.REDIRECT:
        target = body.get("to", "foreign")
        if target not in REDIRECT_TARGETS:
            raise FaultError(f"'to' must be one of {', '.join(REDIRECT_TARGETS)}")
        scheme = body.get("scheme")
        if scheme is not None and scheme not in REDIRECT_SCHEMES:
            raise FaultError(f"'scheme' must be one of {', '.join(REDIRECT_SCHEMES)} or null")
        return {"to": target, "scheme": scheme}
    return {}


@dataclass
class FaultBook:
    """The active faults, shared by both servers. The oldest matching fault wins."""

    faults: list[Fault] = field(default_factory=list)
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add(self, body: Any) -> Fault:
        if not isinstance(body, dict):
            raise FaultError("the body must be a JSON object")
        resource = body.get("resource")
        if resource not in RESOURCES:
            raise FaultError(f"'resource' must be one of {', '.join(RESOURCES)}")
        try:
            kind = FaultKind(str(body.get("kind")))
        except ValueError:
            raise FaultError(f"'kind' must be one of {', '.join(FaultKind)}") from None
        count = body.get("count")
        if count is not None and (not isinstance(count, int) or isinstance(count, bool)):
            raise FaultError("'count' must be a positive integer or null")
        if count is not None and count < 1:
            raise FaultError("'count' must be a positive integer or null")
        server = body.get("server")
        if server is not None and server not in SERVERS:
            raise FaultError(f"'server' must be one of {', '.join(SERVERS)} or null")
        fault = Fault(f"f{next(self._ids)}", resource, kind, _params(kind, body), count, server)
        self.faults.append(fault)
        return fault

    def take(self, resource: str, server: str) -> Fault | None:
        """The fault to apply to this request, counted; a fault used up is removed."""
        for fault in self.faults:
            if fault.matches(resource, server):
                fault.applied += 1
                if fault.remaining is not None:
                    fault.remaining -= 1
                    if fault.remaining <= 0:
                        self.faults.remove(fault)
                return fault
        return None

    def remove(self, fault_id: str) -> bool:
        before = len(self.faults)
        self.faults = [f for f in self.faults if f.id != fault_id]
        return len(self.faults) != before

    def clear(self) -> None:
        self.faults.clear()
