"""The transport under the HTTP seam: httpx's API on aiohttp's connection handling.

Why: on loopback with 50 requests in flight, httpx's own transport (httpcore on anyio)
costs 4-5 ms of CPU per request, aiohttp about 0.3 ms (measured in
``bench/http_transport.py``); 2000 health targets every 10 s did not fit in one core with
the former. The seam keeps httpx as its API (``httpx.AsyncClient``: request building,
headers, content decoding, ``follow_redirects=False``, ``httpx.MockTransport`` in tests);
only the bytes on the wire go through an ``aiohttp.ClientSession``.

What this transport guarantees, so the seam's contract holds unchanged:

- httpx's per-phase timeouts are honoured: connect as aiohttp's ``sock_connect``, read as
  ``sock_read`` (per read, headers and body), pool as the wait for one of
  ``max_connections`` slots, raised as ``httpx.PoolTimeout``. aiohttp has no write
  timeout; the seam's deadline bounds the whole exchange anyway.
- Every aiohttp failure is raised as the httpx exception of the same meaning (refused ->
  ``ConnectError``, read timeout -> ``ReadTimeout``, peer gone before or during the
  response -> ``RemoteProtocolError``/``ReadError``, unparsable response ->
  ``RemoteProtocolError``, non-HTTP URL -> ``UnsupportedProtocol``), so the seam's error
  mapping applies. (The ``httpx-aiohttp`` package's mapping reports a refused connection
  as a connect timeout and lets parser errors escape as aiohttp types; hence our own.)
- aiohttp does not decompress, follow redirects, keep cookies or read proxy settings:
  httpx decodes the body as it streams (so the seam's cap counts decoded bytes), the seam
  decides about redirects, and no cookie is ever sent that httpx did not put on the request.
- A body left unread (the cap, an error) closes its connection instead of returning it to
  the pool.
"""

from __future__ import annotations

import asyncio
import os
import ssl
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from functools import cache
from typing import Any

import aiohttp
import httpx

# TRIO_MONITOR_HTTP_TRANSPORT: "aiohttp" (default) or "httpx" (httpx's own transport, the
# fallback should a site's server or proxy need something only httpcore does).
TRANSPORT_ENV = "TRIO_MONITOR_HTTP_TRANSPORT"
TRANSPORTS = ("aiohttp", "httpx")
_configured: str | None = None


def configure(kind: str) -> None:
    """Set the process's transport from the settings (``HTTP_TRANSPORT``), at start."""
    global _configured
    if kind not in TRANSPORTS:
        raise ValueError(f"HTTP transport must be one of {', '.join(TRANSPORTS)}, not {kind!r}")
    _configured = kind


def make_transport(
    *, verify: bool, max_connections: int, kind: str | None = None
) -> httpx.AsyncBaseTransport | None:
    """The transport for one seam: ``AiohttpTransport``, or None for httpx's default.

    ``kind`` defaults to what ``configure`` set, else the ``TRIO_MONITOR_HTTP_TRANSPORT``
    environment variable, else aiohttp. Raises ``ValueError`` for an unknown kind."""
    chosen = kind or _configured or os.environ.get(TRANSPORT_ENV, "").strip() or "aiohttp"
    if chosen == "httpx":
        return None
    if chosen != "aiohttp":
        raise ValueError(f"{TRANSPORT_ENV} must be one of {', '.join(TRANSPORTS)}, not {chosen!r}")
    return AiohttpTransport(verify=verify, max_connections=max_connections)


# The httpx exception for each aiohttp failure, most specific first (first match wins).
_ERRORS: tuple[tuple[type[BaseException], Callable[[str], httpx.TransportError]], ...] = (
    (aiohttp.ConnectionTimeoutError, httpx.ConnectTimeout),
    (aiohttp.ServerTimeoutError, httpx.ReadTimeout),  # SocketTimeoutError: sock_read
    (aiohttp.ClientProxyConnectionError, httpx.ProxyError),
    (aiohttp.ClientConnectorError, httpx.ConnectError),  # refused, DNS, TLS handshake
    (aiohttp.ServerDisconnectedError, httpx.RemoteProtocolError),
    (aiohttp.ClientPayloadError, httpx.ReadError),  # cut mid-body
    (aiohttp.ClientResponseError, httpx.RemoteProtocolError),  # unparsable status/headers
    (aiohttp.NonHttpUrlClientError, httpx.UnsupportedProtocol),
    (aiohttp.InvalidURL, httpx.UnsupportedProtocol),
    (aiohttp.ClientOSError, httpx.ReadError),  # reset while sending or reading
    (aiohttp.ClientError, httpx.TransportError),
)


@contextmanager
def _mapped() -> Iterator[None]:
    try:
        yield
    except aiohttp.ClientError as exc:
        for source, target in _ERRORS:
            if isinstance(exc, source):
                raise target(str(exc) or type(exc).__name__) from exc
        raise httpx.TransportError(str(exc)) from exc  # unreachable: ClientError is last


@cache
def _ssl_context(verify: bool) -> ssl.SSLContext:
    """httpx's own context (the same CA bundle, certifi or SSL_CERT_FILE, as before), one
    per process: making one costs about 30 ms of CPU and 0.8 MiB (measured), per seam."""
    return httpx.create_ssl_context(verify=verify)


class AiohttpTransport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncBaseTransport`` sending through one ``aiohttp.ClientSession``.

    The session is made on the first request, inside the running loop; ``aclose`` closes
    it. At most ``max_connections`` requests are in flight; each holds its slot until its
    response is closed."""

    def __init__(self, *, verify: bool = True, max_connections: int = 20,
                 keepalive_s: float = 5.0) -> None:
        self._ssl = _ssl_context(verify)
        self._max_connections = max_connections
        self._keepalive_s = keepalive_s
        self._slots = asyncio.Semaphore(max_connections)
        self._session: aiohttp.ClientSession | None = None

    def _client(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                limit=self._max_connections, limit_per_host=0, ssl=self._ssl,
                keepalive_timeout=self._keepalive_s,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                trace_configs=[_phase_trace()],
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=False,
                trust_env=False,
                timeout=aiohttp.ClientTimeout(total=None),
                # httpx sets every header itself; aiohttp must add none of its own.
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding"),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        timeout: dict[str, float | None] = request.extensions.get("timeout", {})
        try:
            async with asyncio.timeout(timeout.get("pool")):
                await self._slots.acquire()
        except TimeoutError:
            raise httpx.PoolTimeout(
                f"no free connection within {timeout.get('pool')} s"
            ) from None
        try:
            body = await request.aread()
            with _mapped():
                response = await self._client().request(
                    request.method,
                    str(request.url),
                    headers=list(request.headers.multi_items()),
                    data=body or None,
                    allow_redirects=False,
                    compress=None,
                    timeout=aiohttp.ClientTimeout(
                        total=None,
                        sock_connect=timeout.get("connect"),
                        sock_read=timeout.get("read"),
                    ),
                    server_hostname=request.extensions.get("sni_hostname"),
                    trace_request_ctx=request.extensions.get("trace"),
                )
        except BaseException:
            self._slots.release()
            raise
        extensions: dict[str, Any] = {"http_version": b"HTTP/1.1"}
        if response.reason:
            extensions["reason_phrase"] = response.reason.encode("latin-1", "replace")
        return httpx.Response(
            status_code=response.status,
            headers=list(response.raw_headers),
            stream=_Body(response, self._slots),
            request=request,
            extensions=extensions,
        )

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def _phase_trace() -> aiohttp.TraceConfig:
    """aiohttp's request phases reported through httpx's ``trace`` extension, as httpcore
    names them, so the seam can say what a request was doing when its deadline ran out."""
    config = aiohttp.TraceConfig()

    def report(event: str) -> Callable[..., Awaitable[None]]:
        async def hook(session: Any, context: Any, params: Any) -> None:
            trace = context.trace_request_ctx
            if trace is not None:
                await trace(event, {})

        return hook

    config.on_connection_create_start.append(report("connection.connect_tcp.started"))
    config.on_connection_create_end.append(report("http11.send_request_headers.started"))
    config.on_connection_reuseconn.append(report("http11.send_request_headers.started"))
    config.on_request_headers_sent.append(
        report("http11.receive_response_headers.started"))
    return config


class _Body(httpx.AsyncByteStream):
    """The raw (still encoded) body; closing it frees the slot, and drops the connection
    unless the body was read to its end."""

    def __init__(self, response: aiohttp.ClientResponse, slots: asyncio.Semaphore) -> None:
        self._response = response
        self._slots = slots
        self._done = False
        self._closed = False

    async def __aiter__(self) -> AsyncIterator[bytes]:
        with _mapped():
            async for chunk in self._response.content.iter_any():
                yield chunk
        self._done = True

    async def aclose(self) -> None:
        if self._closed:
            return
        self._closed = True
        try:
            if self._done:
                self._response.release()
            else:
                self._response.close()
        finally:
            self._slots.release()
