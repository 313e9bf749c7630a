"""The one HTTP seam: every outbound call of the project goes through `HttpSeam.request`.

It owns one reused `httpx.AsyncClient` with explicit per-phase timeouts, bounds each
request (body included) by the poll's `Deadline`, caps the body size while streaming,
waits on a rate limiter, and turns every failure into a `SourceError` with a message a
person can act on. Messages name the method and the URL without its query string or
credentials; request headers and form data never appear in messages or logs.
"""

from __future__ import annotations

import asyncio
import codecs
import json
import logging
import re
import zlib
from collections.abc import AsyncIterator, Iterator, Mapping
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime
from types import TracebackType
from typing import Any

import httpx

from collectors._transport import make_transport
from collectors.clock import Clock, SystemClock
from collectors.deadline import Deadline
from collectors.errors import ErrorKind, SourceError
from collectors.ratelimit import RateLimiter

log = logging.getLogger(__name__)

# Statuses that need a person (wrong URL, credentials, request shape), not another try.
PERMANENT_STATUSES = frozenset({400, 401, 403, 404, 405, 410})
AUTH_STATUSES = frozenset({401, 403})
# 4xx statuses that are about timing, not about the request itself.
RETRYABLE_4XX = frozenset({408, 429})

# How much of an error response is read: enough for a message, not a whole page.
_ERROR_BODY_BYTES = 4096
_PREVIEW_CHARS = 200
_JSON_PREVIEW_CHARS = 80

# Content codings the seam decodes itself, each with a bound on what one step may produce,
# so that a compressed body cannot grow past the size cap (a gzip bomb). httpx's own
# decoders inflate a whole network chunk at once; br and zstd are not asked for, and are
# refused when a server sends them anyway.
ACCEPT_ENCODING = "gzip, deflate"
# Decoded bytes produced per decompression step: memory stays at cap + about this much.
_INFLATE_STEP_BYTES = 64 * 1024

_CHARSET_RE = re.compile(r"""charset\s*=\s*["']?([^"';,\s]+)""", re.IGNORECASE)
# Values of fields that look like secrets, in an error body echoed into a message.
_SECRET_RE = re.compile(
    r"""(["']?(?:access_token|refresh_token|id_token|token|password|passwd|secret|"""
    r"""client_secret|api_key|apikey|authorization)["']?\s*[:=]\s*["']?)[^"'&,\s}]+""",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class HttpConfig:
    """Limits of one seam. Timeouts are per phase; the poll's deadline bounds the whole."""

    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0
    write_timeout_s: float = 10.0
    pool_timeout_s: float = 3.0
    max_body_bytes: int = 10 * 1024 * 1024
    rate_per_s: float = 50.0
    burst: int = 100
    max_connections: int = 20
    user_agent: str = "trio-monitor/0.1"
    verify_tls: bool = True


@dataclass(frozen=True)
class HttpResponse:
    """A response read in full (within the size cap). `url` is the requested URL without
    credentials; `method` is kept for error messages."""

    status: int
    headers: httpx.Headers
    body: bytes
    url: str
    elapsed_s: float
    method: str = field(default="GET")

    @property
    def charset(self) -> str | None:
        """The charset declared in Content-Type, if it names a known codec."""
        return declared_charset(self.headers)

    def text(self) -> str:
        """The body decoded by the declared charset (default UTF-8); bad bytes become U+FFFD."""
        return self.body.decode(self.charset or "utf-8-sig", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON.

        Raises `SourceError(kind=malformed)` quoting the start of the body and the error.
        """
        try:
            if self.charset is not None:
                return json.loads(self.body.decode(self.charset))
            return json.loads(self.body)  # bytes: UTF-8/16/32 detected by json itself
        except (ValueError, RecursionError) as exc:  # JSONDecodeError, UnicodeDecodeError
            start = _preview(self.text(), _JSON_PREVIEW_CHARS)
            target = f"{self.method} {redact_url(self.url)}"
            raise SourceError(
                f"malformed JSON from {target}: {exc}; body starts with {start!r}",
                kind=ErrorKind.MALFORMED,
                status=self.status,
                url=redact_url(self.url),
            ) from exc


class HttpSeam:
    """One source's HTTP client. Use as an async context manager or call `aclose()`."""

    def __init__(
        self,
        config: HttpConfig,
        *,
        name: str,
        clock: Clock | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.name = name
        self._clock: Clock = clock if clock is not None else SystemClock()
        self._limiter = RateLimiter(config.rate_per_s, config.burst, self._clock)
        self._client = httpx.AsyncClient(
            timeout=httpx.Timeout(
                connect=config.connect_timeout_s,
                read=config.read_timeout_s,
                write=config.write_timeout_s,
                pool=config.pool_timeout_s,
            ),
            limits=httpx.Limits(
                max_connections=config.max_connections,
                max_keepalive_connections=config.max_connections,
            ),
            follow_redirects=False,
            verify=config.verify_tls,
            headers={"User-Agent": config.user_agent, "Accept-Encoding": ACCEPT_ENCODING},
            transport=transport if transport is not None else make_transport(
                verify=config.verify_tls, max_connections=config.max_connections
            ),
        )

    async def __aenter__(self) -> HttpSeam:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._client.aclose()

    async def request(
        self,
        method: str,
        url: str,
        *,
        deadline: Deadline,
        params: Mapping[str, str | int | float] | None = None,
        headers: Mapping[str, str] | None = None,
        data: Mapping[str, str] | bytes | str | None = None,
    ) -> HttpResponse:
        """Send one request and read its body.

        Returns 2xx and 3xx responses (3xx are not followed: the caller handles failover).
        `data` is form fields (a mapping) or a raw body (bytes/str).
        Raises `SourceError` for every failure: error statuses, timeouts, the deadline,
        connection faults, a body over `max_body_bytes`.
        """
        method = method.upper()
        safe_url = redact_url(url)
        target = f"{method} {safe_url}"
        # Checked first so that a deadline spent elsewhere is not blamed on the limiter.
        deadline.check(f"starting {target}")
        await self._limiter.acquire(deadline)
        deadline.check(f"sending {target}")
        progress = _Progress()
        started = self._clock.monotonic()
        bound = asyncio.timeout(deadline.remaining())
        try:
            async with bound:
                response = await self._exchange(method, url, params, headers, data, progress)
        except TimeoutError as exc:
            if not bound.expired():
                raise SourceError(
                    f"timeout {progress.doing()} {target}", kind=ErrorKind.TIMEOUT, url=safe_url
                ) from exc
            raise deadline.error(f"{progress.doing()} {target}") from exc
        except httpx.InvalidURL as exc:
            raise SourceError(
                f"invalid URL for {method}: {_reason(exc, url)}",
                kind=ErrorKind.PROTOCOL,
                permanent=True,
                url=safe_url,
            ) from exc
        except httpx.HTTPError as exc:
            raise self._map_error(exc, target, url, progress) from exc
        elapsed = self._clock.monotonic() - started
        status, resp_headers, body = response
        log.debug(
            "%s: %s -> %d in %.3f s (%d bytes)", self.name, target, status, elapsed, len(body)
        )
        if status >= 400:
            raise self._status_error(status, resp_headers, body, target, safe_url)
        return HttpResponse(
            status=status,
            headers=resp_headers,
            body=body,
            url=_strip_userinfo(url),
            elapsed_s=elapsed,
            method=method,
        )

    async def _exchange(
        self,
        method: str,
        url: str,
        params: Mapping[str, str | int | float] | None,
        headers: Mapping[str, str] | None,
        data: Mapping[str, str] | bytes | str | None,
        progress: _Progress,
    ) -> tuple[int, httpx.Headers, bytes]:
        content = data if isinstance(data, bytes | str) else None
        form = data if not isinstance(data, bytes | str) else None
        async with self._client.stream(
            method,
            url,
            params=params,
            headers=headers,
            content=content,
            data=form,
            extensions={"trace": progress.trace},
        ) as response:
            progress.status = response.status_code
            if response.status_code >= 400:
                body = await _read_capped(response, _ERROR_BODY_BYTES, progress, truncate=True)
            else:
                self._check_declared_length(response)
                body = await _read_capped(
                    response, self.config.max_body_bytes, progress, truncate=False
                )
            return response.status_code, response.headers, body

    def _check_declared_length(self, response: httpx.Response) -> None:
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > self.config.max_body_bytes:
            raise _TooLarge(int(declared), declared=True)

    def _map_error(
        self, exc: httpx.HTTPError, target: str, url: str, progress: _Progress
    ) -> SourceError:
        cfg = self.config
        safe_url = redact_url(url)
        reason = _reason(exc, url)

        def err(message: str, kind: ErrorKind, **kw: Any) -> SourceError:
            return SourceError(message, kind=kind, url=safe_url, status=progress.status, **kw)

        if isinstance(exc, _UnsupportedEncoding):
            return err(
                f"response of {target} has a content encoding the collector does not accept:"
                f" {exc.encoding!r} (asked for {ACCEPT_ENCODING})",
                ErrorKind.MALFORMED,
                retryable=False,
            )
        if isinstance(exc, _TooLarge):
            size = "declares" if exc.declared else "exceeded"
            decoded = " once decoded" if progress.encoded and not exc.declared else ""
            return err(
                f"response of {target} {size} {exc.size} bytes{decoded}, over the limit of"
                f" {_size(cfg.max_body_bytes)}",
                ErrorKind.TOO_LARGE,
                retryable=False,
            )
        if isinstance(exc, httpx.ConnectTimeout):
            return err(
                f"connect timeout after {cfg.connect_timeout_s} s to {target}", ErrorKind.TIMEOUT
            )
        if isinstance(exc, httpx.ReadTimeout):
            if progress.status is None:
                return err(
                    f"no response within {cfg.read_timeout_s} s from {target}", ErrorKind.TIMEOUT
                )
            return err(
                f"response body of {target} stalled for {cfg.read_timeout_s} s after"
                f" {progress.received} bytes",
                ErrorKind.TIMEOUT,
            )
        if isinstance(exc, httpx.WriteTimeout):
            return err(f"could not send {target} within {cfg.write_timeout_s} s", ErrorKind.TIMEOUT)
        if isinstance(exc, httpx.PoolTimeout):
            return err(
                f"no free connection within {cfg.pool_timeout_s} s for {target}"
                f" (all {cfg.max_connections} busy)",
                ErrorKind.TIMEOUT,
            )
        if isinstance(exc, httpx.TimeoutException):
            return err(f"timeout on {target}: {reason}", ErrorKind.TIMEOUT)
        if isinstance(exc, httpx.UnsupportedProtocol):
            return err(f"cannot send {target}: {reason}", ErrorKind.PROTOCOL, permanent=True)
        if isinstance(exc, httpx.ConnectError | httpx.ProxyError):
            return err(f"cannot connect to {target}: {reason}", ErrorKind.CONNECT)
        if isinstance(exc, httpx.DecodingError):
            return err(f"cannot decode the body of {target}: {reason}", ErrorKind.MALFORMED)
        if isinstance(exc, httpx.RemoteProtocolError | httpx.ReadError | httpx.WriteError):
            if progress.status is None:
                return err(
                    f"connection closed before a response from {target}: {reason}",
                    ErrorKind.PROTOCOL,
                )
            return err(
                f"connection closed mid-response after {progress.received} bytes"
                f" from {target}: {reason}",
                ErrorKind.PROTOCOL,
            )
        if isinstance(exc, httpx.TransportError):
            return err(f"transport error on {target}: {reason}", ErrorKind.PROTOCOL)
        return err(f"HTTP client error on {target}: {reason}", ErrorKind.PROTOCOL, retryable=False)

    def _status_error(
        self, status: int, headers: httpx.Headers, body: bytes, target: str, safe_url: str
    ) -> SourceError:
        retry_after = parse_retry_after(headers.get("retry-after"), now=self._clock.time())
        message = f"HTTP {status} from {target}"
        if status == 429:
            message += " (rate limited"
            message += f", retry after {retry_after:g} s)" if retry_after is not None else ")"
        preview = _body_preview(headers, body)
        if preview:
            message += f": {preview}"
        if status in AUTH_STATUSES:
            kind = ErrorKind.AUTH
        elif status == 429:
            kind = ErrorKind.RATE_LIMITED
        else:
            kind = ErrorKind.HTTP_STATUS
        return SourceError(
            message,
            kind=kind,
            permanent=status in PERMANENT_STATUSES,
            retryable=status >= 500 or status in RETRYABLE_4XX,
            status=status,
            retry_after_s=retry_after,
            url=safe_url,
        )


@dataclass
class _Progress:
    """How far one exchange got, for error messages: the phase httpcore last reported
    (through its ``trace`` extension) and the body bytes received."""

    status: int | None = None
    received: int = 0
    phase: str = "waiting for a free connection for"
    encoded: bool = False  # the body came with a content coding the seam decoded

    async def trace(self, event: str, info: dict[str, Any]) -> None:
        if not event.endswith(".started"):
            return
        step = event.rsplit(".", 2)[-2]
        phase = _TRACE_PHASES.get(step)
        if phase is not None:
            self.phase = phase

    def doing(self) -> str:
        if self.status is None:
            return self.phase
        return f"reading the body ({self.received} bytes so far) of"


# httpcore trace steps -> what the exchange was doing, for "deadline exceeded while ...".
_TRACE_PHASES = {
    "connect_tcp": "connecting to",
    "connect_unix_socket": "connecting to",
    "start_tls": "negotiating TLS with",
    "send_request_headers": "sending",
    "send_request_body": "sending the body of",
    "receive_response_headers": "waiting for the response headers of",
}


class _TooLarge(httpx.HTTPError):
    """Internal: raised inside the stream so the connection is dropped, mapped to too_large."""

    def __init__(self, size: int, *, declared: bool) -> None:
        super().__init__(f"body of {size} bytes is too large")
        self.size = size
        self.declared = declared


class _UnsupportedEncoding(httpx.HTTPError):
    """Internal: a Content-Encoding the seam cannot decode within its bounds."""

    def __init__(self, encoding: str) -> None:
        super().__init__(f"unsupported content encoding {encoding!r}")
        self.encoding = encoding


class _Inflater:
    """One zlib stream (gzip or deflate) decoded in bounded steps.

    ``feed`` yields pieces of at most ``_INFLATE_STEP_BYTES`` lazily: the input's
    unconsumed tail is kept by zlib, never the whole expansion, so the reader can stop a
    bomb at the cap having held at most one step more.
    """

    def __init__(self, encoding: str) -> None:
        self._gzip = encoding in ("gzip", "x-gzip")
        self._first = True
        self._z = zlib.decompressobj(zlib.MAX_WBITS | 16 if self._gzip else zlib.MAX_WBITS)

    def feed(self, data: bytes) -> Iterator[bytes]:
        if self._first and not self._gzip and data:
            self._first = False
            try:
                # Probe the header on a copy: on failure, restart as raw deflate.
                self._z.copy().decompress(data[:64], 1)
            except zlib.error:
                # "deflate" means zlib-wrapped; some servers send it raw (httpx takes both).
                self._z = zlib.decompressobj(-zlib.MAX_WBITS)
        while not self._z.eof:
            piece = self._z.decompress(data, _INFLATE_STEP_BYTES)
            data = self._z.unconsumed_tail
            if piece:
                yield piece
            if not data and len(piece) < _INFLATE_STEP_BYTES:
                break

    def flush(self) -> Iterator[bytes]:
        yield from self.feed(b"")


def _decoders(response: httpx.Response) -> list[_Inflater]:
    """Decoders in the order to apply them (codings are listed in the order applied)."""
    codings = [
        c.strip().lower()
        for c in response.headers.get("content-encoding", "").split(",")
        if c.strip() and c.strip().lower() != "identity"
    ]
    for coding in codings:
        if coding not in ("gzip", "x-gzip", "deflate"):
            raise _UnsupportedEncoding(coding)
    return [_Inflater(c) for c in reversed(codings)]


def _decoded(decoders: list[_Inflater], data: bytes, *, last: bool) -> Iterator[bytes]:
    """``data`` through every decoder, lazily; with ``last``, each decoder's tail too."""
    pieces: Iterator[bytes] = iter((data,))
    for decoder in decoders:
        pieces = _through(decoder, pieces, last=last)
    return pieces


def _through(decoder: _Inflater, pieces: Iterator[bytes], *, last: bool) -> Iterator[bytes]:
    for piece in pieces:
        yield from decoder.feed(piece)
    if last:
        yield from decoder.flush()


async def _once(data: bytes) -> AsyncIterator[bytes]:
    yield data


async def _read_capped(
    response: httpx.Response, limit: int, progress: _Progress, *, truncate: bool
) -> bytes:
    """Read the decoded body, stopping as soon as it passes `limit` decoded bytes: cut it
    there when `truncate`, else raise `_TooLarge` (leaving the block closes the connection).

    Decoding is done here, in bounded steps, instead of by httpx: what is counted against
    the limit is what would be held in memory, and at most one step more is ever made.
    """
    if response.is_stream_consumed:
        # Built in memory (a MockTransport's response): httpx has read and decoded it.
        decoders: list[_Inflater] = []
        stream: AsyncIterator[bytes] = _once(response.content)
    else:
        decoders = _decoders(response)
        stream = response.aiter_raw()
    progress.encoded = bool(decoders)
    chunks: list[bytes] = []

    def take(pieces: Iterator[bytes]) -> bool:
        """Keep the pieces; False once the limit is reached (and truncating)."""
        for piece in pieces:
            progress.received += len(piece)
            if progress.received > limit:
                if truncate:
                    chunks.append(piece[: len(piece) - (progress.received - limit)])
                    return False
                raise _TooLarge(progress.received, declared=False)
            chunks.append(piece)
        return True

    try:
        async for raw in stream:
            if not take(_decoded(decoders, raw, last=False)):
                return b"".join(chunks)
        if decoders:
            take(_decoded(decoders, b"", last=True))
    except zlib.error as exc:
        coding = response.headers.get("content-encoding")
        raise httpx.DecodingError(f"invalid {coding} data: {exc}") from exc
    return b"".join(chunks)


def declared_charset(headers: httpx.Headers) -> str | None:
    """The charset named in Content-Type, or None if absent or unknown to Python."""
    match = _CHARSET_RE.search(headers.get("content-type", ""))
    if match is None:
        return None
    try:
        return codecs.lookup(match.group(1)).name
    except LookupError:
        return None


def parse_retry_after(value: str | None, *, now: float) -> float | None:
    """Seconds to wait from a Retry-After header (delta seconds or HTTP-date), or None."""
    if value is None:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:  # RFC 9110 dates are GMT
            return None
        seconds = when.timestamp() - now
    if seconds != seconds or seconds == float("inf"):  # NaN or infinite
        return None
    return max(0.0, seconds)


def redact_url(url: str | httpx.URL) -> str:
    """The URL for messages: scheme, host, port and path; no credentials, query or fragment."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "<invalid URL>"
    port = f":{parsed.port}" if parsed.port is not None else ""
    host = f"[{parsed.host}]" if ":" in parsed.host else parsed.host
    return f"{parsed.scheme}://{host}{port}{parsed.path}"


def _strip_userinfo(url: str) -> str:
    parsed = httpx.URL(url)
    if not parsed.userinfo:
        return str(parsed)
    return str(parsed.copy_with(username=None, password=None))


def _reason(exc: BaseException, url: str) -> str:
    reason = str(exc).strip() or type(exc).__name__
    return reason.replace(url, redact_url(url)) if url else reason


def _body_preview(headers: httpx.Headers, body: bytes) -> str:
    """The start of an error body when it is text, with secret-looking values masked."""
    if not body:
        return ""
    content_type = headers.get("content-type", "").lower()
    textual = any(t in content_type for t in ("text/", "json", "xml", "html", "form"))
    charset = declared_charset(headers) or "utf-8"
    if not textual:
        if content_type:
            return ""
        try:  # no declared type: show it only if it decodes cleanly
            text = body.decode(charset)
        except UnicodeDecodeError:
            return ""
    else:
        text = body.decode(charset, errors="replace")
    return _preview(_SECRET_RE.sub(r"\1***", text), _PREVIEW_CHARS)


def _preview(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _size(n: int) -> str:
    if n >= 1024 * 1024:
        return f"{n / (1024 * 1024):g} MiB ({n} bytes)"
    return f"{n} bytes"
