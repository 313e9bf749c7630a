"""The hostile faults' names and parameters (no I/O: the fault book validates with it).
What each one does is described in simulator/_hostile.py."""

from __future__ import annotations

from typing import Any

GZIP_BOMB = "gzip_bomb"
BAD_BYTE = "bad_byte"
WRONG_TYPE = "wrong_type"
DUPLICATE_ID = "duplicate_id"
IMPLAUSIBLE = "implausible"
BAD_EXPIRES_IN = "bad_expires_in"
LARGE_BODY = "large_body"
HOSTILE_KINDS = (
    GZIP_BOMB, BAD_BYTE, WRONG_TYPE, DUPLICATE_ID, IMPLAUSIBLE, BAD_EXPIRES_IN, LARGE_BODY,
)
BOMB_ENCODINGS = ("gzip", "deflate")

# Values no queue can have: a negative count, a wait over a day, a share over 100 %,
# more agents busy than logged in.
DEFAULT_IMPLAUSIBLE: dict[str, Any] = {
    "callswaiting": -1,
    "longestwaittime": 90_000,
    "servicelevel": 140,
    "agentsloggedin": 2,
    "agentsbusy": 7,
}
class HostileError(ValueError):
    """A hostile fault request the control API refuses (answered with 400)."""


def _count(body: dict[str, Any], name: str, default: int, minimum: int) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int | float) or value < minimum:
        raise HostileError(f"'{name}' must be a number >= {minimum}")
    return int(value)


def params(kind: str, body: dict[str, Any]) -> dict[str, Any]:
    """The parameters of a hostile fault, validated; raises ``HostileError``."""
    if kind == GZIP_BOMB:
        encoding = body.get("encoding", "gzip")
        if encoding not in BOMB_ENCODINGS:
            raise HostileError(f"'encoding' must be one of {', '.join(BOMB_ENCODINGS)}")
        return {"megabytes": _count(body, "megabytes", 1024, 1), "encoding": encoding}
    if kind == WRONG_TYPE:
        return {"field": str(body.get("field", "callswaiting")),
                "value": body.get("value", "many"), "n": _count(body, "n", 1, 1)}
    if kind == IMPLAUSIBLE:
        fields = body.get("fields", DEFAULT_IMPLAUSIBLE)
        if not isinstance(fields, dict) or not fields:
            raise HostileError("'fields' must be a JSON object of field: value")
        return {"fields": fields, "n": _count(body, "n", 1, 1)}
    if kind == BAD_EXPIRES_IN:
        return {"value": body.get("value", 0), "missing": bool(body.get("missing", False))}
    if kind == LARGE_BODY:
        return {"records": _count(body, "records", 50_000, 1)}
    return {"n": _count(body, "n", 1, 1)}  # bad_byte, duplicate_id


