"""HttpSeam: the one HTTP seam. Mapped statuses over MockTransport; socket-level faults
(hang, reset mid-body, oversized and slow bodies, refused connections) against a real
aiohttp server on loopback."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime
from email.utils import format_datetime

import httpx
import pytest
from aiohttp import web

from collectors.clock import ManualClock, SystemClock
from collectors.deadline import Deadline
from collectors.errors import ErrorKind, SourceError, is_transient
from collectors.http import HttpConfig, HttpResponse, HttpSeam, parse_retry_after

BASE = "http://trio.test/te/api"

Handler = Callable[[httpx.Request], httpx.Response]


def seam_for(handler: Handler, clock: ManualClock, **config: object) -> HttpSeam:
    return HttpSeam(
        HttpConfig(**config),  # type: ignore[arg-type]
        clock=clock,
        transport=httpx.MockTransport(handler),
        name="test",
    )


async def fail(seam: HttpSeam, url: str, deadline: Deadline, method: str = "GET") -> SourceError:
    with pytest.raises(SourceError) as caught:
        await seam.request(method, url, deadline=deadline)
    return caught.value


# -- responses ---------------------------------------------------------------------------


async def test_it_returns_a_2xx_response_read_in_full(clock: ManualClock) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={"data": [1, 2]}, headers={"X-Pagination": "{}"})

    async with seam_for(handler, clock) as seam:
        response = await seam.request(
            "get",
            f"{BASE}/cc",
            deadline=Deadline(clock, 10),
            params={"page": 2},
            headers={"Accept": "application/json"},
        )
    assert response.status == 200
    assert response.json() == {"data": [1, 2]}
    assert response.headers["x-pagination"] == "{}"
    assert response.url == f"{BASE}/cc"
    assert seen[0].method == "GET"
    assert seen[0].url.params["page"] == "2"
    assert seen[0].headers["user-agent"] == "trio-monitor/0.1"
    assert seen[0].headers["accept"] == "application/json"


async def test_it_sends_form_fields_url_encoded(clock: ManualClock) -> None:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json={})

    async with seam_for(handler, clock) as seam:
        await seam.request(
            "POST", f"{BASE}/login", deadline=Deadline(clock, 10), data={"username": "a b"}
        )
    assert seen[0].headers["content-type"] == "application/x-www-form-urlencoded"
    assert seen[0].content == b"username=a+b"


async def test_it_returns_redirects_without_following_them(clock: ManualClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(307, headers={"Location": "http://b.test/te/api/cc"}, text="moved")

    async with seam_for(handler, clock) as seam:
        response = await seam.request("GET", f"{BASE}/cc", deadline=Deadline(clock, 10))
    assert response.status == 307
    assert response.headers["location"] == "http://b.test/te/api/cc"
    assert response.body == b"moved"


def test_it_decodes_text_by_the_declared_charset() -> None:
    latin = HttpResponse(
        200,
        httpx.Headers({"Content-Type": "application/json; charset=iso-8859-1"}),
        '{"servicename": "Kundtjänst"}'.encode("latin-1"),
        f"{BASE}/x",
        0.0,
    )
    assert latin.text() == '{"servicename": "Kundtjänst"}'
    assert latin.json() == {"servicename": "Kundtjänst"}
    utf8 = HttpResponse(200, httpx.Headers(), "Växel".encode(), f"{BASE}/x", 0.0)
    assert utf8.text() == "Växel"


async def test_it_raises_malformed_for_a_body_that_is_not_json(clock: ManualClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, text="<html><body>Maintenance window " + "x" * 300)

    async with seam_for(handler, clock) as seam:
        response = await seam.request(
            "GET", f"{BASE}/cc?token=s3cret", deadline=Deadline(clock, 10)
        )
    with pytest.raises(SourceError) as caught:
        response.json()
    err = caught.value
    assert err.kind is ErrorKind.MALFORMED
    assert not err.retryable and not err.permanent
    assert str(err).startswith(f"malformed JSON from GET {BASE}/cc: Expecting value")
    assert "body starts with '<html><body>Maintenance window xxx" in str(err)
    assert len(str(err)) < 200
    assert "s3cret" not in str(err)


def test_it_raises_malformed_for_bytes_that_do_not_fit_the_charset() -> None:
    response = HttpResponse(200, httpx.Headers(), b'{"a": "\xe4"}', f"{BASE}/x", 0.0)
    with pytest.raises(SourceError, match="malformed JSON from GET .*codec can't decode"):
        response.json()


# -- error statuses ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "kind", "permanent", "retryable"),
    [
        (400, ErrorKind.HTTP_STATUS, True, False),
        (401, ErrorKind.AUTH, True, False),
        (403, ErrorKind.AUTH, True, False),
        (404, ErrorKind.HTTP_STATUS, True, False),
        (405, ErrorKind.HTTP_STATUS, True, False),
        (409, ErrorKind.HTTP_STATUS, False, False),
        (410, ErrorKind.HTTP_STATUS, True, False),
        (429, ErrorKind.RATE_LIMITED, False, True),
        (500, ErrorKind.HTTP_STATUS, False, True),
        (502, ErrorKind.HTTP_STATUS, False, True),
        (503, ErrorKind.HTTP_STATUS, False, True),
        (504, ErrorKind.HTTP_STATUS, False, True),
    ],
)
async def test_it_maps_error_statuses(
    clock: ManualClock, status: int, kind: ErrorKind, permanent: bool, retryable: bool
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, text="Service  temporarily\nunavailable")

    async with seam_for(handler, clock) as seam:
        err = await fail(seam, f"{BASE}/cc/1/services/state", Deadline(clock, 10))
    assert err.kind is kind
    assert err.status == status
    assert err.permanent is permanent
    assert is_transient(err) is retryable
    assert err.url == f"{BASE}/cc/1/services/state"
    assert str(err).startswith(f"HTTP {status} from GET {BASE}/cc/1/services/state")
    assert str(err).endswith(": Service temporarily unavailable")


async def test_it_quotes_only_the_start_of_a_long_error_body(clock: ManualClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, text="e" * 10_000)

    async with seam_for(handler, clock) as seam:
        err = await fail(seam, f"{BASE}/x", Deadline(clock, 10))
    assert str(err) == f"HTTP 503 from GET {BASE}/x: " + "e" * 199 + "…"


async def test_it_leaves_a_binary_error_body_out_of_the_message(clock: ManualClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            500, content=b"\x00\x01\xff", headers={"Content-Type": "application/octet-stream"}
        )

    async with seam_for(handler, clock) as seam:
        err = await fail(seam, f"{BASE}/x", Deadline(clock, 10))
    assert str(err) == f"HTTP 500 from GET {BASE}/x"


async def test_it_parses_retry_after_seconds_on_429(clock: ManualClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(429, headers={"Retry-After": "7"})

    async with seam_for(handler, clock) as seam:
        err = await fail(seam, f"{BASE}/x", Deadline(clock, 10))
    assert err.retry_after_s == 7.0
    assert str(err) == f"HTTP 429 from GET {BASE}/x (rate limited, retry after 7 s)"


async def test_it_parses_retry_after_as_an_http_date(clock: ManualClock) -> None:
    when = datetime.fromtimestamp(clock.time() + 120, tz=UTC)

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, headers={"Retry-After": format_datetime(when, usegmt=True)})

    async with seam_for(handler, clock) as seam:
        err = await fail(seam, f"{BASE}/x", Deadline(clock, 10))
    assert err.retry_after_s == pytest.approx(120.0)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(None, None), ("0", 0.0), ("1.5", 1.5), ("-3", 0.0), ("soon", None), ("nan", None)],
)
def test_it_reads_retry_after_values(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, now=1_700_000_000.0) == expected


async def test_it_keeps_secrets_out_of_error_messages(clock: ManualClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(
            401, json={"error": "invalid_grant", "access_token": "tok-123", "password": "pw-9"}
        )

    async with seam_for(handler, clock) as seam:
        with pytest.raises(SourceError) as caught:
            await seam.request(
                "POST",
                "http://admin:hunter2@trio.test/te/api/login?api_key=k-42",
                deadline=Deadline(clock, 10),
                headers={"Authorization": "Basic Y2xpZW50LWtleQ=="},
                data={"username": "dXNlcg==", "password": "cGFzcw=="},
            )
    text = str(caught.value) + repr(caught.value) + str(caught.value.url)
    for secret in ("hunter2", "k-42", "Y2xpZW50LWtleQ", "cGFzcw", "tok-123", "pw-9"):
        assert secret not in text
    assert str(caught.value).startswith("HTTP 401 from POST http://trio.test/te/api/login: ")
    assert "invalid_grant" in str(caught.value)


# -- limits before and around the exchange ----------------------------------------------


async def test_it_refuses_a_declared_content_length_over_the_cap(clock: ManualClock) -> None:
    class Endless(httpx.AsyncByteStream):
        async def __aiter__(self) -> AsyncIterator[bytes]:
            raise AssertionError("the body must not be read")
            yield b""  # pragma: no cover

    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"Content-Length": "5000"}, stream=Endless())

    async with seam_for(handler, clock, max_body_bytes=1000) as seam:
        err = await fail(seam, f"{BASE}/x", Deadline(clock, 10))
    assert err.kind is ErrorKind.TOO_LARGE
    assert not err.retryable and not err.permanent
    assert str(err) == (
        f"response of GET {BASE}/x declares 5000 bytes, over the limit of 1000 bytes"
    )


async def test_it_waits_on_the_rate_limiter_before_sending(clock: ManualClock) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200)

    async with seam_for(handler, clock, rate_per_s=2.0, burst=1) as seam:
        for _ in range(3):
            await seam.request("GET", f"{BASE}/x", deadline=Deadline(clock, 10))
    assert clock.sleeps == pytest.approx([0.5, 0.5])


async def test_it_does_not_send_when_the_rate_limit_would_pass_the_deadline(
    clock: ManualClock,
) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    async with seam_for(handler, clock, rate_per_s=0.1, burst=1) as seam:
        await seam.request("GET", f"{BASE}/x", deadline=Deadline(clock, 10))
        err = await fail(seam, f"{BASE}/x", Deadline(clock, 5))
    assert err.kind is ErrorKind.DEADLINE
    assert len(sent) == 1


async def test_it_does_not_send_once_the_deadline_has_passed(clock: ManualClock) -> None:
    sent: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request)
        return httpx.Response(200)

    deadline = Deadline(clock, 2.0)
    clock.advance(2.0)
    async with seam_for(handler, clock) as seam:
        err = await fail(seam, f"{BASE}/x", deadline)
    assert err.kind is ErrorKind.DEADLINE and not err.retryable
    assert str(err).startswith("deadline of 2.0 s exceeded while ")
    assert sent == []


@pytest.mark.parametrize(
    ("raised", "kind", "message"),
    [
        (
            httpx.ConnectTimeout(""),
            ErrorKind.TIMEOUT,
            f"connect timeout after 3.0 s to GET {BASE}/x",
        ),
        (httpx.ReadTimeout(""), ErrorKind.TIMEOUT, f"no response within 10.0 s from GET {BASE}/x"),
        (httpx.WriteTimeout(""), ErrorKind.TIMEOUT, f"could not send GET {BASE}/x within 10.0 s"),
        (
            httpx.PoolTimeout(""),
            ErrorKind.TIMEOUT,
            f"no free connection within 3.0 s for GET {BASE}/x (all 20 busy)",
        ),
        (
            httpx.ConnectError("Name or service not known"),
            ErrorKind.CONNECT,
            f"cannot connect to GET {BASE}/x: Name or service not known",
        ),
        (
            httpx.RemoteProtocolError("Server disconnected without sending a response."),
            ErrorKind.PROTOCOL,
            f"connection closed before a response from GET {BASE}/x:"
            " Server disconnected without sending a response.",
        ),
    ],
)
async def test_it_maps_transport_errors_to_retryable_source_errors(
    clock: ManualClock, raised: httpx.TransportError, kind: ErrorKind, message: str
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise raised

    async with seam_for(handler, clock) as seam:
        err = await fail(seam, f"{BASE}/x?token=abc", Deadline(clock, 10))
    assert err.kind is kind
    assert str(err) == message
    assert err.retryable and not err.permanent
    assert isinstance(err.__cause__, type(raised))


async def test_it_rejects_an_unsupported_scheme_as_permanent(clock: ManualClock) -> None:
    async with HttpSeam(HttpConfig(), clock=clock, name="test") as seam:
        err = await fail(seam, "ftp://trio.test/te/api", Deadline(clock, 10))
    assert err.kind is ErrorKind.PROTOCOL and err.permanent and not err.retryable


# -- a real server on loopback -----------------------------------------------------------


class Server:
    """A tiny aiohttp server misbehaving on purpose, one route per fault."""

    def __init__(self) -> None:
        self.release = asyncio.Event()  # set at teardown so parked handlers finish
        self.peers: list[tuple[str, int]] = []
        self.base = ""

    async def ok(self, request: web.Request) -> web.Response:
        self.peers.append(request.transport.get_extra_info("peername"))  # type: ignore[union-attr]
        return web.json_response({"data": "Kundtjänst"})

    async def hang(self, request: web.Request) -> web.Response:
        await self._park(5.0)
        return web.Response(text="too late")

    async def reset(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "1000"})
        await response.prepare(request)
        await response.write(b"x" * 100)
        await asyncio.sleep(0.05)
        assert request.transport is not None
        request.transport.abort()
        return response

    async def huge(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse()  # chunked: no Content-Length to check up front
        await response.prepare(request)
        chunk = b"y" * 65536
        for _ in range(200):  # 12.5 MiB unless the client hangs up first
            try:
                await response.write(chunk)
            except ConnectionError:
                break
        return response

    async def stall(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "1000"})
        await response.prepare(request)
        await response.write(b"z" * 10)
        await self._park(5.0)
        return response

    async def trickle(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Length": "1000"})
        await response.prepare(request)
        for _ in range(100):
            try:
                await response.write(b"t")
            except ConnectionError:
                break
            await self._park(0.02)
            if self.release.is_set():
                break
        return response

    async def _park(self, seconds: float) -> None:
        try:
            await asyncio.wait_for(self.release.wait(), seconds)
        except TimeoutError:
            pass


@pytest.fixture
async def server() -> AsyncIterator[Server]:
    srv = Server()
    app = web.Application()
    for name in ("ok", "hang", "reset", "huge", "stall", "trickle"):
        app.router.add_get(f"/{name}", getattr(srv, name))
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    srv.base = f"http://{host}:{port}"
    yield srv
    srv.release.set()
    await runner.cleanup()


def real_seam(**config: object) -> HttpSeam:
    return HttpSeam(HttpConfig(**config), name="loopback")  # type: ignore[arg-type]


def real_deadline(seconds: float = 5.0) -> Deadline:
    return Deadline(SystemClock(), seconds)


async def test_it_reuses_one_connection_across_requests(server: Server) -> None:
    async with real_seam() as seam:
        for _ in range(3):
            response = await seam.request("GET", f"{server.base}/ok", deadline=real_deadline())
            assert response.json() == {"data": "Kundtjänst"}
            assert response.elapsed_s >= 0.0
    assert len(set(server.peers)) == 1


async def test_it_times_out_a_server_that_never_answers(server: Server) -> None:
    async with real_seam(read_timeout_s=0.2) as seam:
        err = await fail(seam, f"{server.base}/hang", real_deadline())
    assert err.kind is ErrorKind.TIMEOUT and err.retryable
    assert str(err) == f"no response within 0.2 s from GET {server.base}/hang"


async def test_it_stops_at_the_deadline_before_the_read_timeout(server: Server) -> None:
    clock = SystemClock()
    started = clock.monotonic()
    async with real_seam(read_timeout_s=10.0) as seam:
        err = await fail(seam, f"{server.base}/hang", Deadline(clock, 0.3))
    assert clock.monotonic() - started < 1.0
    assert err.kind is ErrorKind.DEADLINE and not err.retryable
    assert str(err) == (
        f"deadline of 0.3 s exceeded while waiting for the response headers of GET"
        f" {server.base}/hang"
    )


async def test_it_reports_a_connection_reset_mid_body(server: Server) -> None:
    async with real_seam() as seam:
        err = await fail(seam, f"{server.base}/reset", real_deadline())
    assert err.kind is ErrorKind.PROTOCOL and err.retryable and err.status == 200
    assert str(err).startswith(
        f"connection closed mid-response after 100 bytes from GET {server.base}/reset: "
    )


async def test_it_aborts_a_streamed_body_over_the_cap(server: Server) -> None:
    clock = SystemClock()
    started = clock.monotonic()
    async with real_seam(max_body_bytes=100_000) as seam:
        err = await fail(seam, f"{server.base}/huge", real_deadline())
        # The seam still works after dropping that connection.
        assert (
            await seam.request("GET", f"{server.base}/ok", deadline=real_deadline())
        ).status == 200
    assert clock.monotonic() - started < 1.0
    assert err.kind is ErrorKind.TOO_LARGE and not err.retryable
    assert str(err).startswith(f"response of GET {server.base}/huge exceeded ")
    assert str(err).endswith("bytes, over the limit of 100000 bytes")


async def test_it_times_out_a_body_that_stalls(server: Server) -> None:
    async with real_seam(read_timeout_s=0.2) as seam:
        err = await fail(seam, f"{server.base}/stall", real_deadline())
    assert err.kind is ErrorKind.TIMEOUT and err.retryable
    assert str(err) == (
        f"response body of GET {server.base}/stall stalled for 0.2 s after 10 bytes"
    )


async def test_it_bounds_a_trickling_body_by_the_deadline(server: Server) -> None:
    async with real_seam(read_timeout_s=1.0) as seam:
        err = await fail(seam, f"{server.base}/trickle", real_deadline(0.3))
    assert err.kind is ErrorKind.DEADLINE
    assert str(err).startswith("deadline of 0.3 s exceeded while reading the body (")
    assert str(err).endswith(f" bytes so far) of GET {server.base}/trickle")


async def test_it_reports_a_refused_connection(clock: ManualClock) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    async with HttpSeam(HttpConfig(), clock=clock, name="test") as seam:
        err = await fail(seam, f"http://127.0.0.1:{port}/te/api", Deadline(clock, 5))
    assert err.kind is ErrorKind.CONNECT and err.retryable
    assert str(err).startswith(f"cannot connect to GET http://127.0.0.1:{port}/te/api: ")
