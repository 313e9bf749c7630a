"""Field validators shared by every spec (health targets, drift sources, alert rules).

Each raises ``SpecError(field, message)`` with a message a person can act on.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from typing import Any, Protocol, TypeVar
from urllib.parse import urlsplit

from .errors import SpecError


class _Named(Protocol):
    @property
    def name(self) -> str: ...


N = TypeVar("N", bound=_Named)


def named_list(text: str, label: str, validate: Callable[[dict[str, Any]], N]) -> list[N]:
    """The items of a JSON list of objects, each through ``validate``, in order. Raises
    ``SpecError`` naming the index and field (``targets[2].url``); a name used twice is
    refused."""
    try:
        items = json.loads(text)
    except ValueError as exc:
        raise SpecError(label, f"not valid JSON: {exc}") from None
    if not isinstance(items, list):
        raise SpecError(label, f"must be a JSON list, not {type(items).__name__}")
    result: list[N] = []
    seen: dict[str, int] = {}
    for index, item in enumerate(items):
        where = f"{label}[{index}]"
        if not isinstance(item, dict):
            raise SpecError(where, f"must be a JSON object, not {type(item).__name__}")
        try:
            spec = validate(item)
        except SpecError as exc:
            raise SpecError(f"{where}.{exc.field}", exc.message) from None
        if spec.name in seen:
            message = f'duplicate name "{spec.name}" (also {label}[{seen[spec.name]}])'
            raise SpecError(f"{where}.name", message)
        seen[spec.name] = index
        result.append(spec)
    return result


def number(field: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise SpecError(field, f"{value!r} is not a number")
    try:
        result = float(value)
    except ValueError:
        raise SpecError(field, f"{value!r} is not a number") from None
    if not math.isfinite(result):
        raise SpecError(field, f"{value!r} is not a finite number")
    return result


def boolean(field: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise SpecError(field, f"{value!r} is not true or false")
    return value


def record_id(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise SpecError("id", f"{value!r} is not an integer")
    return value


def http_url(value: Any) -> str:
    if value is None:
        raise SpecError("url", "required")
    if not isinstance(value, str) or not value.strip():
        raise SpecError("url", f"{value!r} is not a URL")
    url = value.strip()
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise SpecError("url", f"{url!r} is not a valid URL ({exc})") from None
    if parts.scheme not in ("http", "https"):
        raise SpecError("url", f"{url!r} must start with http:// or https://")
    if not parts.hostname or any(ch.isspace() for ch in url):
        raise SpecError("url", f"{url!r} has no host or contains spaces")
    return url
