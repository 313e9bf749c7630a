"""The TE API's wire format, apart from the source's conversation with the servers:
pages and their X-Pagination header, token responses, request bodies in the site's
charset, and the base URL a redirect names. Pure functions (and one gather helper),
raising ``SourceError`` with the URL they read.
"""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Awaitable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

from .errors import ErrorKind, SourceError
from .http import HttpResponse, redact_url
from .trio_records import data_list, load_json, token_lifetime

_T = TypeVar("_T")
LATIN1 = "iso-8859-1"


@dataclass
class Phase:
    """What a poll is doing now, for the error when its deadline runs out."""

    doing: str = "starting"


@dataclass
class Tokens:
    """The tokens of one login or refresh, and the server they are valid on."""

    access: str
    refresh: str | None
    access_expires_at: float  # epoch seconds
    server: str  # the base URL that issued them; tokens are per server
    warning: str | None = None  # e.g. an unusable expires_in, replaced by a safe lifetime


def json_type(value: Any) -> str:
    """The JSON type name of a decoded value, as `trio probe` shows it."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, list):
        return "list"
    return "object"


def json_request_body(value: Any, charset: str) -> tuple[bytes, str]:
    """A JSON request body in the site's charset and its Content-Type. The vendor: say
    `application/json;charset=iso-8859-1` when the server works in ISO-8859-1; characters
    outside it are sent as JSON escapes, which every charset carries."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    if charset.lower() == LATIN1:
        text = "".join(
            c if ord(c) < 256 else json.dumps(c)[1:-1] for c in text
        )
        return text.encode(LATIN1), f"application/json;charset={LATIN1}"
    return text.encode("utf-8"), "application/json; charset=utf-8"


def b64_latin1(value: str, what: str) -> str:
    try:
        raw = value.encode("iso-8859-1")
    except UnicodeEncodeError:
        raise SourceError(
            f"the Trio {what} contains characters outside ISO-8859-1, which the API cannot take",
            kind=ErrorKind.AUTH, permanent=True,
        ) from None
    return base64.b64encode(raw).decode("ascii")


def parse_tokens(response: HttpResponse, server: str, now: float) -> Tokens:
    """The tokens of a login or refresh. A missing access token fails (naming the fields
    received); an unusable ``expires_in`` does not: the token is then refreshed on a
    short safe interval, with a warning (``Tokens.warning``, for the caller to log)."""
    body = response.json()
    if isinstance(body, dict) and "access_token" not in body and isinstance(body.get("data"), dict):
        body = body["data"]
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str):
        received = sorted(body) if isinstance(body, dict) else type(body).__name__
        raise SourceError(
            f"token response from {response.url} has no access_token; received {received}",
            kind=ErrorKind.BAD_SHAPE, url=response.url,
        )
    lifetime, warning = token_lifetime(body)
    refresh = body.get("refresh_token")
    return Tokens(
        access=body["access_token"],
        refresh=refresh if isinstance(refresh, str) and refresh else None,
        access_expires_at=now + lifetime,
        server=server,
        warning=warning,
    )


def base_from_location(location: str, path: str) -> str | None:
    """The other server's base URL: the Location with the requested path cut off."""
    parts = urlsplit(location)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return None
    suffix = "/" + path.strip("/") if path.strip("/") else ""
    if suffix and not parts.path.endswith(suffix):
        return None
    base_path = parts.path[: len(parts.path) - len(suffix)]
    return f"{parts.scheme}://{parts.netloc}{base_path}".rstrip("/")


def data_list_of(response: HttpResponse) -> list[Any]:
    """The ``data`` list of one response, parsed on the caller's thread (small bodies)."""
    return page_items(response)


def page_items(response: HttpResponse) -> list[Any]:
    """Raises ``SourceError`` (malformed JSON, or not a links/data wrapper)."""
    try:
        body = load_json(response.body, response.charset)
    except (ValueError, RecursionError) as exc:
        start = " ".join(response.text()[:120].split())[:80]
        raise SourceError(
            f"malformed JSON from {response.method} {redact_url(response.url)}: {exc};"
            f" body starts with {start!r}",
            kind=ErrorKind.MALFORMED, status=response.status, url=response.url,
        ) from exc
    try:
        return data_list(body, response.url)
    except ValueError as exc:
        raise SourceError(str(exc), kind=ErrorKind.BAD_SHAPE, url=response.url) from None


def pagination(response: HttpResponse) -> dict[str, int] | None:
    raw = response.headers.get("x-pagination")
    if raw is None:
        return None
    try:
        info = json.loads(raw)
        total_pages = info["totalPages"]
        total_count = info["totalCount"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise SourceError(
            f"unreadable X-Pagination header from {response.url}: {raw[:120]!r} ({exc})",
            kind=ErrorKind.BAD_SHAPE, url=response.url,
        ) from None
    if not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0
               for v in (total_pages, total_count)):
        raise SourceError(
            f"X-Pagination from {response.url} has non-integer totals: {raw[:120]!r}",
            kind=ErrorKind.BAD_SHAPE, url=response.url,
        )
    return {"totalPages": total_pages, "totalCount": total_count}


async def gather_all(coros: list[Awaitable[_T]]) -> list[_T]:
    """Run all; on the first failure cancel the rest and raise that failure."""
    tasks = [asyncio.ensure_future(c) for c in coros]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


def items_of(pages: list[HttpResponse], path: str, phase: Phase) -> list[Any]:
    size = sum(len(p.body) for p in pages)
    phase.doing = f"parsing {len(pages)} page(s) ({size} bytes) of {path}"
    items: list[Any] = []
    for page in pages:
        items.extend(page_items(page))
    return items
