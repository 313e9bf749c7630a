"""Hostile responses: what a broken or malicious server sends that a collector must
survive without losing the rest of the site (see FaultKind's "hostile" block).

- ``gzip_bomb``: a small compressed body that inflates to ``megabytes`` of JSON.
- ``bad_byte``: an invalid UTF-8 byte in the name of ``n`` records.
- ``wrong_type``: ``field`` of ``n`` records holds ``value`` (default a string).
- ``duplicate_id``: ``n`` records sent twice, the copies with other values.
- ``implausible``: ``fields`` of ``n`` records set to values that cannot be true.
- ``bad_expires_in``: a token response with ``expires_in`` set to ``value`` (or missing).
- ``large_body``: one page of ``records`` distinct records, costly to parse.
"""

from __future__ import annotations

import functools
import json
import struct
import zlib
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from simulator._hostile_spec import (
    BAD_BYTE,
    BAD_EXPIRES_IN,
    DUPLICATE_ID,
    GZIP_BOMB,
    HOSTILE_KINDS,
    IMPLAUSIBLE,
    LARGE_BODY,
    WRONG_TYPE,
)
from simulator._http import decode_json_response, json_response, shared_of

__all__ = ["HOSTILE_KINDS", "apply"]

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]

_NAME_FIELDS = ("servicename", "agentname")
_ID_FIELDS = ("serviceid", "agentid")
# Marks where the bad byte goes; a private-use character no name contains.
_MARK = "\ue000"
_BOMB_BLOCK = 1024 * 1024


async def apply(kind: str, p: dict[str, Any], request: web.Request,
                handler: Handler) -> web.StreamResponse:
    if kind == GZIP_BOMB:
        return _bomb(p["megabytes"], p["encoding"])
    if kind == LARGE_BODY:
        return _large(request, p["records"])
    response = await handler(request)
    if (not isinstance(response, web.Response) or not isinstance(response.body, bytes)
            or response.content_type != "application/json" or response.status != 200):
        return response
    payload = decode_json_response(response)
    headers = {k: v for k, v in response.headers.items() if k == "X-Pagination"}
    if kind == BAD_EXPIRES_IN:
        if isinstance(payload, dict):
            payload.pop("expires_in", None)
            if not p["missing"]:
                payload["expires_in"] = p["value"]
        kept = {k: v for k, v in response.headers.items() if k == "Cache-Control"}
        return json_response(request, payload, 200, kept)
    items = _items(payload)
    if kind == WRONG_TYPE:
        for item in items[: p["n"]]:
            item[p["field"]] = p["value"]
    elif kind == IMPLAUSIBLE:
        for item in items[: p["n"]]:
            item.update(p["fields"])
    elif kind == DUPLICATE_ID:
        if isinstance(payload.get("data"), list):
            payload["data"].extend(_copy(item) for item in items[: p["n"]])
    elif kind == BAD_BYTE:
        return _with_bad_byte(request, payload, items[: p["n"]], headers)
    return json_response(request, payload, 200, headers)


def _items(payload: Any) -> list[dict[str, Any]]:
    data = payload.get("data") if isinstance(payload, dict) else None
    if isinstance(data, dict):
        return [data]
    return [item for item in data if isinstance(item, dict)] if isinstance(data, list) else []


def _copy(item: dict[str, Any]) -> dict[str, Any]:
    """The same id, other values: a collector that stores the copy shows wrong figures."""
    copy = dict(item)
    for name in _NAME_FIELDS:
        if isinstance(copy.get(name), str):
            copy[name] += " (copy)"
    if isinstance(copy.get("callswaiting"), int):
        copy["callswaiting"] += 1000
    return copy


def _with_bad_byte(request: web.Request, payload: Any, items: list[dict[str, Any]],
                   headers: dict[str, str]) -> web.Response:
    """0xFF inside each name: never valid in UTF-8. (In ISO-8859-1 every byte is a
    character, so there the body stays valid: a 'ÿ'.)"""
    for item in items:
        for name in _NAME_FIELDS:
            if isinstance(item.get(name), str) and item[name]:
                item[name] = item[name][:1] + _MARK + item[name][1:]
    response = json_response(request, payload, 200, headers)
    assert isinstance(response.body, bytes)
    charset = response.charset or "utf-8"
    response.body = response.body.replace(_MARK.encode(charset, errors="replace"), b"\xff")
    return response


# -- bodies made here ----------------------------------------------------------------------


def _bomb(megabytes: int, encoding: str) -> web.Response:
    body, size = _bomb_body(megabytes, encoding)
    return web.Response(
        body=body,
        status=200,
        headers={"Content-Encoding": encoding, "Content-Type": "application/json; charset=utf-8",
                 "X-Inflated-Length": str(size)},
    )


@functools.lru_cache(maxsize=4)
def _bomb_body(megabytes: int, encoding: str) -> tuple[bytes, int]:
    """A valid JSON document of ``megabytes`` MiB, mostly spaces, compressed: a block of
    spaces is deflated once with a full flush (so it stands alone) and repeated."""
    head, tail = b'{"links":[],"data":[', b"]}"
    blocks = megabytes
    compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    first = compressor.compress(head) + compressor.flush(zlib.Z_FULL_FLUSH)
    spaces = b" " * _BOMB_BLOCK
    block = compressor.compress(spaces) + compressor.flush(zlib.Z_FULL_FLUSH)
    last = compressor.compress(tail) + compressor.flush(zlib.Z_FINISH)
    deflated = first + block * blocks + last
    size = len(head) + blocks * _BOMB_BLOCK + len(tail)
    if encoding == "gzip":
        crc = zlib.crc32(head)
        for _ in range(blocks):
            crc = zlib.crc32(spaces, crc)
        crc = zlib.crc32(tail, crc)
        header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
        return header + deflated + struct.pack("<II", crc, size & 0xFFFFFFFF), size
    adler = zlib.adler32(head)
    for _ in range(blocks):
        adler = zlib.adler32(spaces, adler)
    adler = zlib.adler32(tail, adler)
    return b"\x78\xda" + deflated + struct.pack(">I", adler), size


def _large(request: web.Request, records: int) -> web.Response:
    charset = shared_of(request).config.charset
    agents = "/agents/" in request.path
    body = _large_body(records, agents, charset)
    pagination = {"currentPage": 1, "pageSize": records, "totalCount": records, "totalPages": 1,
                  "previousPageLink": None, "nextPageLink": None}
    return web.Response(
        body=body, status=200, content_type="application/json", charset=charset,
        headers={"X-Pagination": json.dumps(pagination)},
    )


@functools.lru_cache(maxsize=2)
def _large_body(records: int, agents: bool, charset: str) -> bytes:
    """Made once per size (the simulator shares the test's GIL: rendering 20 MB on every
    request would stall the collector under test, not the one parsing)."""
    if agents:
        data: list[dict[str, Any]] = [
            {"agentid": 100_000 + i, "agentname": f"Agent {i}", "state": "available",
             "statesince": "2026-01-05T08:00:00Z", "serviceids": [100 + i % 8]}
            for i in range(records)
        ]
    else:
        data = [
            {"serviceid": 100_000 + i, "servicename": f"Kö {i}", "open": True,
             "callswaiting": i % 7, "longestwaittime": i % 300, "agentsloggedin": 6,
             "agentsfree": 2, "agentsbusy": 3, "agentspaused": 1, "answeredtoday": i % 500,
             "abandonedtoday": i % 20, "servicelevel": 80.5}
            for i in range(records)
        ]
    text = json.dumps({"links": [], "data": data}, ensure_ascii=False, separators=(",", ":"))
    return text.encode(charset, errors="replace")
