"""HTTP helpers shared by the TE API handlers and the fault middleware."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from simulator._state import Shared

SHARED = web.AppKey("shared", Shared)
ROLE = web.AppKey("role", str)

LATIN1 = "iso-8859-1"
DENIED = "Authorization has been denied for this request."


class BadRequest(Exception):
    """A query the API refuses with 400."""


def shared_of(request: web.Request) -> Shared:
    return request.app[SHARED]


def role_of(request: web.Request) -> str:
    return request.app[ROLE]


def response_charset(request: web.Request) -> str:
    """ISO-8859-1 when the request names it (Content-Type or Accept-Charset) or the server
    is configured for it; UTF-8 otherwise."""
    for header in ("Content-Type", "Accept-Charset"):
        if LATIN1 in request.headers.get(header, "").lower():
            return LATIN1
    return shared_of(request).config.charset


def json_response(
    request: web.Request,
    payload: Any,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    charset = response_charset(request)
    text = json.dumps(payload, ensure_ascii=False, separators=(",", ":"))
    return web.Response(
        body=text.encode(charset, errors="replace"),
        status=status,
        headers=headers,
        content_type="application/json",
        charset=charset,
    )


def decode_json_response(response: web.Response) -> Any:
    body = response.body
    if not isinstance(body, bytes | bytearray):
        raise TypeError("only buffered responses can be rewritten")
    return json.loads(bytes(body).decode(response.charset or "utf-8"))


def message(request: web.Request, text: str, status: int) -> web.Response:
    """An ASP.NET Web API error: `{"message": ...}`."""
    return json_response(request, {"message": text}, status)


def link(rel: str, desc: str, href: str, method: str = "GET") -> dict[str, str]:
    return {"rel": rel, "desc": desc, "method": method, "href": href}


def envelope(
    request: web.Request,
    data: Any,
    links: list[dict[str, str]],
    headers: Mapping[str, str] | None = None,
) -> web.Response:
    self_link = link("self", "This resource", str(request.url))
    return json_response(request, {"links": [self_link, *links], "data": data}, headers=headers)


@dataclass(frozen=True)
class CollectionSpec:
    id_field: str
    name_field: str
    default_fields: tuple[str, ...] | None  # None: every field unless `fields` is given
    name_filter: bool = True  # False: `name=` is ignored (agents/state filters by id only)


def _query(request: web.Request) -> dict[str, str]:
    """Query parameters by lower-case name (ASP.NET binds them case-insensitively)."""
    return {key.lower(): value for key, value in request.query.items()}


def _positive_int(value: str, name: str) -> int:
    try:
        number = int(value)
    except ValueError:
        raise BadRequest(f"The value '{value}' is not valid for {name}.") from None
    if number < 1:
        raise BadRequest(f"The value '{value}' is not valid for {name}.")
    return number


def _names(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _filter(
    items: Sequence[dict[str, Any]], query: dict[str, str], spec: CollectionSpec
) -> list[dict[str, Any]]:
    selected = list(items)
    if "id" in query:
        try:
            ids = {int(part) for part in _names(query["id"])}
        except ValueError:
            raise BadRequest(f"The value '{query['id']}' is not valid for id.") from None
        selected = [item for item in selected if item[spec.id_field] in ids]
    if "name" in query and spec.name_filter:
        selected = [item for item in selected if item[spec.name_field] == query["name"]]
    return selected


def _sort(items: list[dict[str, Any]], sort: str) -> list[dict[str, Any]]:
    keys = _names(sort)
    if not items:
        return items
    known = items[0].keys()
    # Stable sorts from the last key to the first give a multi-key sort with mixed order.
    for key in reversed(keys):
        descending = key.startswith("-")
        field = key.lstrip("+-").lower()
        if field not in known:
            continue
        items.sort(key=lambda item: _sort_key(item[field]), reverse=descending)
    return items


def _sort_key(value: Any) -> tuple[bool, Any]:
    if isinstance(value, list):
        value = tuple(value)
    return (value is not None, value if value is not None else 0)


def project(item: dict[str, Any], fields: Iterable[str] | None) -> dict[str, Any]:
    if fields is None:
        return dict(item)
    wanted = set(fields)
    return {key: value for key, value in item.items() if key in wanted}


def selected_fields(request: web.Request, spec: CollectionSpec) -> tuple[str, ...] | None:
    query = _query(request)
    if "fields" in query:
        return tuple(name.lower() for name in _names(query["fields"]))
    return spec.default_fields


def _page_link(request: web.Request, page: int | None) -> str | None:
    if page is None:
        return None
    pairs = [(k, v) for k, v in request.query.items() if k.lower() != "page"]
    pairs.append(("page", str(page)))
    return str(request.url.with_query(pairs))


def collection(
    request: web.Request,
    items: Sequence[dict[str, Any]],
    spec: CollectionSpec,
    links: list[dict[str, str]],
) -> web.Response:
    """Filter (`id`, `name`), sort, page and project (`fields`) a collection."""
    query = _query(request)
    try:
        page = _positive_int(query.get("page", "1"), "page")
        page_size = _positive_int(query.get("pagesize", "10"), "pageSize")
        selected = _filter(items, query, spec)
    except BadRequest as exc:
        return message(request, f"The request is invalid. {exc}", 400)
    if "sort" in query:
        selected = _sort(selected, query["sort"])
    page_size = min(page_size, shared_of(request).config.max_page_size)
    total = len(selected)
    total_pages = math.ceil(total / page_size)
    fields = selected_fields(request, spec)
    start = (page - 1) * page_size
    data = [project(item, fields) for item in selected[start : start + page_size]]
    pagination = {
        "currentPage": page,
        "pageSize": page_size,
        "totalCount": total,
        "totalPages": total_pages,
        "previousPageLink": _page_link(request, page - 1 if page > 1 else None),
        "nextPageLink": _page_link(request, page + 1 if page < total_pages else None),
    }
    headers = {"X-Pagination": json.dumps(pagination)}
    return envelope(request, data, links, headers=headers)


async def json_object(
    request: web.Request, error: type[Exception], *, empty_ok: bool = False
) -> dict[str, Any]:
    """The request body as a JSON object; ``error`` with a readable message otherwise.
    With ``empty_ok``, a request without a body reads as ``{}``."""
    if empty_ok and not request.can_read_body:
        return {}
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise error("the body must be JSON") from None
    if not isinstance(body, dict):
        raise error("the body must be a JSON object")
    return body
