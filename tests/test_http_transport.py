"""The seam's contract on each transport it can choose (collectors/_transport.py).

Real loopback servers only: the aiohttp-based transport must give the same statuses,
timeouts, body cap, error kinds and messages as httpx's own transport. The loopback
tests of test_http_seam.py run there on the default transport (aiohttp); they are
imported here and run again on httpx's transport.
"""

from __future__ import annotations

import asyncio
import gzip
import shutil
import socket
import ssl
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from aiohttp import web

from collectors import _transport
from collectors.clock import SystemClock
from collectors.deadline import Deadline
from collectors.errors import ErrorKind, SourceError
from collectors.http import HttpConfig, HttpSeam
from tests.test_http_seam import (  # noqa: F401  (fixture and tests run again on httpx)
    server,
    test_it_aborts_a_streamed_body_over_the_cap,
    test_it_bounds_a_trickling_body_by_the_deadline,
    test_it_reports_a_connection_reset_mid_body,
    test_it_reports_a_refused_connection,
    test_it_reuses_one_connection_across_requests,
    test_it_stops_at_the_deadline_before_the_read_timeout,
    test_it_times_out_a_body_that_stalls,
    test_it_times_out_a_server_that_never_answers,
)

# The imported tests run with httpx's transport; the tests below on both.
KINDS = ["aiohttp", "httpx"]


@pytest.fixture(autouse=True)
def transport_kind(request: pytest.FixtureRequest) -> Iterator[str]:
    kind = request.node.callspec.params.get("kind", "httpx") if hasattr(
        request.node, "callspec") else "httpx"
    _transport.configure(kind)
    yield kind
    _transport._configured = None


class Site:
    """A loopback server for the contract: one route per behaviour."""

    def __init__(self) -> None:
        self.base = ""
        self.seen: list[web.Request] = []
        self.release = asyncio.Event()
        self.hanging = asyncio.Event()

    async def ok(self, request: web.Request) -> web.Response:
        self.seen.append(request)
        return web.json_response({"ok": True})

    async def form(self, request: web.Request) -> web.Response:
        self.seen.append(request)
        fields = await request.post()
        return web.json_response({k: str(v) for k, v in fields.items()})

    async def cookie(self, request: web.Request) -> web.Response:
        self.seen.append(request)
        response = web.json_response({})
        response.set_cookie("session", "abc")
        return response

    async def moved(self, request: web.Request) -> web.Response:
        return web.Response(status=307, headers={"Location": f"{self.base}/ok"}, text="moved")

    async def bomb(self, request: web.Request) -> web.Response:
        # 5 MiB of zeros compress to about 5 KiB: only decoded bytes can meet the cap.
        body = gzip.compress(b"0" * (5 * 1024 * 1024))
        return web.Response(body=body, headers={"Content-Encoding": "gzip",
                                                "Content-Type": "application/json"})

    async def gzipped(self, request: web.Request) -> web.Response:
        body = gzip.compress(b'{"status": "ok"}')
        return web.Response(body=body, headers={"Content-Encoding": "gzip",
                                                "Content-Type": "application/json"})

    async def hang(self, request: web.Request) -> web.Response:
        self.hanging.set()
        try:
            await asyncio.wait_for(self.release.wait(), 5.0)
        except TimeoutError:
            pass
        return web.Response(text="late")

    async def drop(self, request: web.Request) -> web.Response:
        assert request.transport is not None
        request.transport.close()  # hang up before any response
        await asyncio.sleep(0.1)
        return web.Response(text="never sent")

    async def error(self, request: web.Request) -> web.Response:
        return web.Response(status=503, text='{"error": "down", "token": "s3cret"}',
                            content_type="application/json")


@pytest.fixture
async def site() -> AsyncIterator[Site]:
    srv = Site()
    app = web.Application()
    for name in ("ok", "cookie", "moved", "bomb", "gzipped", "hang", "drop", "error"):
        app.router.add_get(f"/{name}", getattr(srv, name))
    app.router.add_post("/form", srv.form)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    host, port = runner.addresses[0][:2]
    srv.base = f"http://{host}:{port}"
    yield srv
    srv.release.set()
    await runner.cleanup()


def deadline(seconds: float = 5.0) -> Deadline:
    return Deadline(SystemClock(), seconds)


async def fail(seam: HttpSeam, url: str, within: float = 5.0) -> SourceError:
    with pytest.raises(SourceError) as caught:
        await seam.request("GET", url, deadline=deadline(within))
    return caught.value


def test_it_chooses_aiohttp_unless_told_otherwise(monkeypatch: pytest.MonkeyPatch) -> None:
    _transport._configured = None
    monkeypatch.delenv(_transport.TRANSPORT_ENV, raising=False)
    assert isinstance(_transport.make_transport(verify=True, max_connections=2),
                      _transport.AiohttpTransport)
    monkeypatch.setenv(_transport.TRANSPORT_ENV, "httpx")
    assert _transport.make_transport(verify=True, max_connections=2) is None
    with pytest.raises(ValueError, match="must be one of aiohttp, httpx, not 'curl'"):
        _transport.make_transport(verify=True, max_connections=2, kind="curl")
    with pytest.raises(ValueError, match="must be one of aiohttp, httpx"):
        _transport.configure("curl")


@pytest.mark.parametrize("kind", KINDS)
async def test_it_sends_httpx_headers_and_form_fields_unchanged(site: Site, kind: str) -> None:
    async with HttpSeam(HttpConfig(), name="t") as seam:
        assert isinstance(seam._client._transport, _transport.AiohttpTransport) == (
            kind == "aiohttp")
        response = await seam.request("POST", f"{site.base}/form", deadline=deadline(),
                                      data={"username": "a b", "password": "p&q"})
    assert response.json() == {"username": "a b", "password": "p&q"}
    headers = site.seen[0].headers
    assert headers["User-Agent"] == "trio-monitor/0.1"
    assert headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert "aiohttp" not in " ".join(headers.values()).lower()


@pytest.mark.parametrize("kind", KINDS)
async def test_it_returns_a_redirect_from_a_real_server_unfollowed(site: Site,
                                                                    kind: str) -> None:
    async with HttpSeam(HttpConfig(), name="t") as seam:
        response = await seam.request("GET", f"{site.base}/moved", deadline=deadline())
    assert response.status == 307
    assert response.headers["location"] == f"{site.base}/ok"
    assert site.seen == []


@pytest.mark.parametrize("kind", KINDS)
async def test_it_sends_only_the_cookies_httpx_keeps(site: Site, kind: str) -> None:
    async with HttpSeam(HttpConfig(), name="t") as seam:
        await seam.request("GET", f"{site.base}/cookie", deadline=deadline())
        await seam.request("GET", f"{site.base}/ok", deadline=deadline())
    assert site.seen[1].headers.getall("Cookie") == ["session=abc"]


@pytest.mark.parametrize("kind", KINDS)
async def test_it_decodes_a_compressed_body(site: Site, kind: str) -> None:
    async with HttpSeam(HttpConfig(), name="t") as seam:
        response = await seam.request("GET", f"{site.base}/gzipped", deadline=deadline())
    assert response.json() == {"status": "ok"}


@pytest.mark.parametrize("kind", KINDS)
async def test_it_counts_decoded_bytes_against_the_cap(site: Site, kind: str) -> None:
    async with HttpSeam(HttpConfig(max_body_bytes=100_000), name="t") as seam:
        err = await fail(seam, f"{site.base}/bomb")
        # The connection of the abandoned body is dropped; the seam goes on working.
        assert (await seam.request("GET", f"{site.base}/ok", deadline=deadline())).status == 200
    assert err.kind is ErrorKind.TOO_LARGE and not err.retryable
    assert str(err).endswith(", over the limit of 100000 bytes")


@pytest.mark.parametrize("kind", KINDS)
async def test_it_reports_a_server_hanging_up_before_answering(site: Site, kind: str) -> None:
    async with HttpSeam(HttpConfig(), name="t") as seam:
        err = await fail(seam, f"{site.base}/drop")
    assert err.kind is ErrorKind.PROTOCOL and err.retryable
    assert str(err).startswith(f"connection closed before a response from GET {site.base}/drop")


@pytest.mark.parametrize("kind", KINDS)
async def test_it_reports_a_response_that_is_not_http(kind: str) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        port = listener.getsockname()[1]
        loop = asyncio.get_running_loop()
        listener.setblocking(False)

        async def answer_garbage() -> None:
            conn, _ = await loop.sock_accept(listener)
            with conn:
                await loop.sock_recv(conn, 65536)
                await loop.sock_sendall(conn, b"SMTP ready\r\n\r\n")

        server_task = asyncio.create_task(answer_garbage())
        async with HttpSeam(HttpConfig(), name="t") as seam:
            err = await fail(seam, f"http://127.0.0.1:{port}/x")
        await server_task
    assert err.kind is ErrorKind.PROTOCOL and err.retryable


@pytest.mark.parametrize("kind", KINDS)
async def test_it_times_out_waiting_for_a_free_connection(site: Site, kind: str) -> None:
    config = HttpConfig(max_connections=1, pool_timeout_s=0.2)
    async with HttpSeam(config, name="t") as seam:
        busy = asyncio.create_task(seam.request("GET", f"{site.base}/hang",
                                                deadline=deadline(3)))
        async with asyncio.timeout(3):  # until it holds the only connection
            await site.hanging.wait()
        err = await fail(seam, f"{site.base}/ok")
        site.release.set()
        await busy
    assert err.kind is ErrorKind.TIMEOUT and err.retryable
    assert str(err) == f"no free connection within 0.2 s for GET {site.base}/ok (all 1 busy)"


@pytest.mark.parametrize("kind", KINDS)
async def test_it_frees_the_connection_of_every_failed_request(site: Site, kind: str) -> None:
    """With one connection, failures of every phase must each give it back."""
    config = HttpConfig(max_connections=1, pool_timeout_s=0.5, read_timeout_s=0.2,
                        max_body_bytes=100_000)
    async with HttpSeam(config, name="t") as seam:
        for path in ("bomb", "drop", "error", "hang"):
            await fail(seam, f"{site.base}/{path}")
        site.release.set()
        assert (await seam.request("GET", f"{site.base}/ok", deadline=deadline())).status == 200
        # A request cancelled by the poll's deadline gives it back too.
        site.release.clear()
        await fail(seam, f"{site.base}/hang", within=0.2)
        site.release.set()
        assert (await seam.request("GET", f"{site.base}/ok", deadline=deadline())).status == 200


@pytest.mark.parametrize("kind", KINDS)
async def test_it_maps_an_error_status_with_its_body_masked(site: Site, kind: str) -> None:
    async with HttpSeam(HttpConfig(), name="t") as seam:
        err = await fail(seam, f"{site.base}/error")
    assert err.kind is ErrorKind.HTTP_STATUS and err.status == 503 and err.retryable
    assert str(err) == f'HTTP 503 from GET {site.base}/error: {{"error": "down", "token": "***"}}'


@pytest.fixture
def certificate(tmp_path: Path) -> tuple[Path, Path]:
    """A self-signed certificate for 127.0.0.1 that no CA vouches for, and its key."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
         "-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )
    return cert, key


@pytest.fixture
async def tls_site(certificate: tuple[Path, Path]) -> AsyncIterator[str]:
    """A loopback HTTPS server with that certificate."""
    cert, key = certificate
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)

    async def ok(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_get("/ok", ok)
    runner = web.AppRunner(app, shutdown_timeout=0.5)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0, ssl_context=context)
    await tcp.start()
    host, port = runner.addresses[0][:2]
    yield f"https://{host}:{port}"
    await runner.cleanup()


@pytest.mark.parametrize("kind", KINDS)
async def test_it_refuses_a_certificate_no_ca_vouches_for(tls_site: str, kind: str) -> None:
    async with HttpSeam(HttpConfig(), name="t") as seam:
        err = await fail(seam, f"{tls_site}/ok")
    assert err.kind is ErrorKind.CONNECT
    assert "certificate verify failed" in str(err).lower()
    # Only a site that turned verification off gets through.
    async with HttpSeam(HttpConfig(verify_tls=False), name="t") as seam:
        response = await seam.request("GET", f"{tls_site}/ok", deadline=deadline())
    assert response.json() == {"ok": True}
