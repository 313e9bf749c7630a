"""Which servers the Trio source talks to, with the seam's transport swapped.

The simulator tests (test_trio_failover.py) cover the same over real HTTP on loopback;
these cover what loopback cannot: announced host names on the configured port, DNS-like
hosts, and the one gate every request passes.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import httpx
import pytest

from collectors.clock import ManualClock
from collectors.deadline import Deadline
from collectors.errors import ErrorKind, SourceError
from collectors.http import HttpConfig, HttpSeam
from collectors.retry import RetryPolicy
from collectors.trio import TrioConfig, TrioSource, json_request_body
from collectors.trio_servers import TrustedServers, parse_server_info
from trio_monitor.probe import format_probe
from trio_monitor.settings import (
    DEFAULT_AGENT_FIELDS,
    DEFAULT_QUEUE_FIELDS,
    ConfigError,
    load_settings,
)

PRIMARY = "https://trio-a.test/te/api"
TOKEN = {"access_token": "a1", "token_type": "bearer", "expires_in": 3600, "refresh_token": "r1"}
QUEUE = {"serviceid": 1, "servicename": "Växel", "open": True, "callswaiting": 2}


def info(secondary: str | None = "trio-b.test", failover: bool = False) -> dict:
    return {
        "links": [{"rel": "self", "desc": "", "method": "GET", "href": PRIMARY}],
        "data": [{
            "links": [{"rel": "login", "desc": "", "method": "POST", "href": "login"}],
            "binaryVersion": "8.2.0.0", "failoverMode": failover,
            "primaryServer": "trio-a.test", "secondaryServer": secondary,
        }],
    }


def make_source(handler: Callable[[httpx.Request], httpx.Response], clock: ManualClock,
                **config) -> TrioSource:
    seam = HttpSeam(HttpConfig(), clock=clock, transport=httpx.MockTransport(handler), name="t")
    cfg = TrioConfig(
        name="trio", base_url=PRIMARY, client_key="S0VZ", username="monitor", password="lösen",
        queue_fields=dict(DEFAULT_QUEUE_FIELDS), agent_fields=dict(DEFAULT_AGENT_FIELDS),
        collect_agents=False, **config,
    )
    return TrioSource(cfg, seam, retry=RetryPolicy(max_attempts=2, base_delay_s=0), clock=clock)


def serving(host: str, seen: list[httpx.Request], *, info_body: dict | None = None):
    """A handler for which ``host`` serves (others refuse connections)."""

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.host != host:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if request.url.path.rstrip("/").endswith("/te/api"):
            return httpx.Response(200, json=info_body or info())
        if request.url.path.endswith("login"):
            return httpx.Response(200, json=TOKEN)
        return httpx.Response(200, json={"links": [], "data": [QUEUE]})

    return handler


async def test_it_fails_over_to_the_announced_secondary_on_the_configured_port(clock):
    seen: list[httpx.Request] = []
    state = {"host": "trio-a.test"}
    source = make_source(lambda r: serving(state["host"], seen)(r), clock)

    await source.poll(Deadline(clock, 5))  # reads GET /te/api: trio-b.test is announced
    state["host"] = "trio-b.test"
    outcome = await source.poll(Deadline(clock, 5))

    assert outcome.failover_active and outcome.active_url == "https://trio-b.test/te/api"
    to_b = [r for r in seen if r.url.host == "trio-b.test"]
    assert [r.url.path for r in to_b] == ["/te/api/login", "/te/api/cc/1/services/state"]
    assert all(r.url.scheme == "https" and r.url.port is None for r in to_b)
    assert {r.url.host for r in seen} == {"trio-a.test", "trio-b.test"}


async def test_it_names_the_missing_secondary_when_the_primary_is_unreachable(clock):
    seen: list[httpx.Request] = []
    source = make_source(serving("nowhere.test", seen), clock)

    with pytest.raises(SourceError) as err:
        await source.poll(Deadline(clock, 5))

    assert err.value.kind == ErrorKind.CONNECT
    assert "no secondary Trio server is known" in str(err.value)
    assert "TRIO_MONITOR_TRIO_SECONDARY_URL" in str(err.value)
    assert {r.url.host for r in seen} == {"trio-a.test"}


@pytest.mark.parametrize("location", [
    "https://evil.test/te/api/login",
    "https://trio-b.test.evil.test/te/api/login",
    "https://trio-a.test:8443/te/api/login",  # another port of a trusted host
    "https://user:pw@trio-b.test/te/api/login",
    "http://trio-a.test/te/api/login",  # the primary itself, without TLS
])
async def test_it_refuses_a_login_redirect_outside_the_trusted_servers(clock, location):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.rstrip("/").endswith("/te/api"):
            return httpx.Response(200, json=info())
        return httpx.Response(307, headers={"Location": location})

    with pytest.raises(SourceError) as err:
        await make_source(handler, clock).poll(Deadline(clock, 5))

    assert err.value.kind == ErrorKind.PROTOCOL and not err.value.retryable
    assert "refused" in str(err.value) and "pw" not in str(err.value)
    assert {r.url.host for r in seen} == {"trio-a.test"}
    assert all(r.url.scheme == "https" and r.url.port is None for r in seen)


async def test_it_follows_a_redirect_to_the_announced_secondary_and_logs_in_there(clock):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.rstrip("/").endswith("/te/api"):
            return httpx.Response(200, json=info(failover=True))
        if request.url.host == "trio-a.test":
            return httpx.Response(
                307, headers={"Location": f"https://trio-b.test{request.url.path}"}
            )
        if request.url.path.endswith("login"):
            return httpx.Response(200, json=TOKEN)
        return httpx.Response(200, json={"links": [], "data": [QUEUE]})

    outcome = await make_source(handler, clock).poll(Deadline(clock, 5))

    assert outcome.active_url == "https://trio-b.test/te/api"
    assert [r.url.path for r in seen if r.url.host == "trio-b.test"] == [
        "/te/api/login", "/te/api/cc/1/services/state",
    ]


async def test_it_ignores_announced_servers_that_are_not_bare_host_names(clock):
    servers = TrustedServers(PRIMARY)
    servers.learn(parse_server_info(info(secondary="evil.test/te/api")))
    assert servers.secondary is None
    servers.learn(parse_server_info(info(secondary="https://evil.test")))
    assert servers.secondary is None
    servers.learn(parse_server_info(info(secondary="TRIOSRV2")))
    assert servers.secondary is not None
    assert servers.secondary.base_url == "https://triosrv2/te/api"


def test_it_refuses_an_http_secondary_beside_an_https_primary():
    with pytest.raises(ValueError, match="http while the primary is https"):
        TrustedServers(PRIMARY, "http://trio-b.test/te/api")


async def test_it_sends_json_bodies_in_latin1_with_the_documented_content_type(clock):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.endswith("login"):
            return httpx.Response(200, json=TOKEN)
        return httpx.Response(200, json={"links": [], "data": []})

    source = make_source(handler, clock, charset="iso-8859-1")
    await source._send("POST", "cc/1/tasks", Deadline(clock, 5),
                       json_body={"servicename": "Kundtjänst", "note": "5 €"})
    await source._login(Deadline(clock, 5))

    task, login = seen
    assert task.headers["content-type"] == "application/json;charset=iso-8859-1"
    assert task.content == '{"servicename":"Kundtjänst","note":"5 \\u20ac"}'.encode("latin-1")
    assert json.loads(task.content.decode("latin-1"))["note"] == "5 €"
    # Login and refresh are forms, as the vendor documents them.
    assert login.headers["content-type"] == "application/x-www-form-urlencoded"


def test_it_sends_utf8_json_on_a_utf8_site():
    body, content_type = json_request_body({"servicename": "Växel"}, "utf-8")
    assert content_type == "application/json; charset=utf-8"
    assert body == '{"servicename":"Växel"}'.encode()


def test_it_prints_the_server_and_the_types_seen_per_field():
    report = {
        "server": {"url": PRIMARY, "binaryVersion": "8.2.0.0", "failoverMode": False,
                   "primaryServer": "trio-a.test", "secondaryServer": "trio-b.test",
                   "secondary_url": "https://trio-b.test/te/api"},
        "queues": {"path": "cc/1/services/state", "mapping": {"open": "open"},
                   "received": {"open": 1, "extra": None},
                   "types": {"open": ["int", "bool"], "extra": ["null"]}},
    }

    text = format_probe(report)

    assert 'binaryVersion    "8.2.0.0"' in text and "failoverMode     false" in text
    assert 'secondaryServer  "trio-b.test"' in text
    assert "failover goes to https://trio-b.test/te/api" in text
    assert "int/bool" in text and "extra (null)" in text


@pytest.mark.parametrize(("secondary", "problem"), [
    ("http://trio-b.test/te/api", "http while the primary is https"),
    ("https://trio-a.test/te/api", "is the primary's"),
    ("ftp://trio-b.test/te/api", "expected an http:// or https:// URL"),
])
def test_it_refuses_a_bad_secondary_setting_at_start(tmp_path, secondary, problem):
    with pytest.raises(ConfigError) as err:
        load_settings(data_dir=tmp_path, trio_base_url=PRIMARY, trio_secondary_url=secondary)
    assert "TRIO_SECONDARY_URL" in str(err.value).upper() and problem in str(err.value)


def test_production_refuses_a_plain_http_secondary_to_a_remote_host(tmp_path):
    settings = load_settings(data_dir=tmp_path, trio_base_url="http://127.0.0.1:1/te/api",
                             trio_secondary_url="http://trio-b.test/te/api")
    assert any("TRIO_SECONDARY_URL uses plain http" in p for p in settings.production_problems())


async def test_it_reads_a_redirect_to_the_primarys_announced_name_as_the_primary(clock):
    """The secondary names the primary as the Trio system knows it (TRIOSRV1), not as the
    site reaches it: following it is a return to the configured primary."""
    seen: list[httpx.Request] = []
    announced = info(secondary="triosrv2")
    announced["data"][0]["primaryServer"] = "TRIOSRV1"
    state = {"serving": "trio-a.test"}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        host = request.url.host
        if host == "trio-a.test" and state["serving"] == "nobody":
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request)
        if request.url.path.rstrip("/").endswith("/te/api"):
            return httpx.Response(200, json=announced)
        if host == "triosrv2" and state["serving"] == "trio-a.test":
            return httpx.Response(
                307, headers={"Location": f"https://TRIOSRV1{request.url.path}"}
            )
        if request.url.path.endswith("login"):
            return httpx.Response(200, json=TOKEN)
        return httpx.Response(200, json={"links": [], "data": [QUEUE]})

    source = make_source(handler, clock)
    await source.poll(Deadline(clock, 5))
    state["serving"] = "nobody"
    assert (await source.poll(Deadline(clock, 5))).active_url == "https://triosrv2/te/api"
    state["serving"] = "trio-a.test"
    outcome = await source.poll(Deadline(clock, 5))

    assert not outcome.failover_active and outcome.active_url == PRIMARY
    assert "triosrv1" not in {r.url.host for r in seen}
