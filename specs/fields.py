"""Field validators shared by every spec (health targets, drift sources, alert rules).

Each raises ``SpecError(field, message)`` with a message a person can act on.
"""

from __future__ import annotations

import math
from typing import Any
from urllib.parse import urlsplit

from .errors import SpecError


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
