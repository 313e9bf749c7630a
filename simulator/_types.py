"""Field types as a real .NET server may send them, chosen per run (CLI) or at run time
(control API): ``open`` as true/false or 0/1, agent states as names or numeric codes,
timestamps in UTC with a ``Z`` or as local time without a zone offset.

The model keeps one typed form (booleans, state names, UTC); this renders it on the way
out, so a cached snapshot is never changed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

# The simulator's own numeric agent state codes (the collector's default state map
# matches these; it does not import them).
STATE_CODES: dict[str, int] = {
    "loggedout": 0,
    "available": 1,
    "busy": 2,
    "wrapup": 3,
    "paused": 4,
}
OPEN_AS = ("bool", "int")
STATES_AS = ("name", "code")
TIMES_AS = ("utc", "local")


class FieldTypesError(ValueError):
    """A field type choice the simulator refuses (answered with 400)."""


@dataclass(frozen=True)
class FieldTypes:
    open: str = "bool"  # "bool": true/false; "int": 1/0
    state: str = "name"  # "name": "busy"; "code": 2
    time: str = "utc"  # "utc": "2026-11-24T08:00:00Z"; "local": "2026-11-24T09:00:00"

    def __post_init__(self) -> None:
        for name, allowed in (("open", OPEN_AS), ("state", STATES_AS), ("time", TIMES_AS)):
            if getattr(self, name) not in allowed:
                raise FieldTypesError(f"'{name}' must be one of {', '.join(allowed)}")

    @property
    def plain(self) -> bool:
        return self == FieldTypes()

    def describe(self) -> dict[str, str]:
        return asdict(self)

    @classmethod
    def parse(cls, body: Any, current: FieldTypes | None = None) -> FieldTypes:
        """A control API body, e.g. ``{"open": "int"}``; unnamed types keep ``current``."""
        if not isinstance(body, dict):
            raise FieldTypesError("the body must be a JSON object")
        unknown = sorted(set(body) - {"open", "state", "time"})
        if unknown:
            raise FieldTypesError(f"unknown field type(s) {', '.join(unknown)}")
        base = (current or cls()).describe()
        return cls(**{**base, **{k: str(v) for k, v in body.items()}})

    @classmethod
    def dotnet(cls) -> FieldTypes:
        """Every choice a .NET server may make at once."""
        return cls(open="int", state="code", time="local")


def render_services(items: Sequence[dict[str, Any]], types: FieldTypes) -> Sequence[dict[str, Any]]:
    if types.open == "bool":
        return items
    return [_open_as_int(item) for item in items]


def _open_as_int(item: dict[str, Any]) -> dict[str, Any]:
    value = item.get("open")
    if not isinstance(value, bool):
        return item
    return {**item, "open": int(value)}


def render_agents(
    items: Sequence[dict[str, Any]], types: FieldTypes, tz: tzinfo
) -> Sequence[dict[str, Any]]:
    if types.state == "name" and types.time == "utc":
        return items
    return [_agent(item, types, tz) for item in items]


def _agent(item: dict[str, Any], types: FieldTypes, tz: tzinfo) -> dict[str, Any]:
    out = dict(item)
    if types.state == "code" and item.get("state") in STATE_CODES:
        out["state"] = STATE_CODES[item["state"]]
    since = item.get("statesince")
    if types.time == "local" and isinstance(since, str) and since.endswith("Z"):
        utc = datetime.fromisoformat(since[:-1]).replace(tzinfo=UTC)
        out["statesince"] = utc.astimezone(tz).replace(tzinfo=None).isoformat()
    return out
