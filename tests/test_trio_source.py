"""TrioSource logic with the HTTP seam's transport swapped (httpx.MockTransport).

The simulator tests cover the same flows over real HTTP; these pin the exact order of
requests and the messages a site administrator reads.
"""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from collectors.clock import ManualClock
from collectors.deadline import Deadline
from collectors.errors import ErrorKind, SourceError
from collectors.http import HttpConfig, HttpSeam
from collectors.retry import RetryPolicy
from collectors.trio import BadRecord, TrioConfig, TrioSource, parse_agent, parse_queue
from trio_monitor.settings import DEFAULT_AGENT_FIELDS, DEFAULT_QUEUE_FIELDS

BASE = "http://trio.test/te/api"
TOKEN = {"access_token": "a1", "token_type": "bearer", "expires_in": 3600, "refresh_token": "r1"}


def make_source(handler: Callable[[httpx.Request], httpx.Response], clock: ManualClock,
                **config) -> TrioSource:
    seam = HttpSeam(HttpConfig(), clock=clock, transport=httpx.MockTransport(handler), name="t")
    cfg = TrioConfig(
        name="trio", base_url=BASE, client_key="S0VZ", username="monitor", password="lösen",
        queue_fields=dict(DEFAULT_QUEUE_FIELDS), agent_fields=dict(DEFAULT_AGENT_FIELDS),
        collect_agents=False, **config,
    )
    return TrioSource(cfg, seam, retry=RetryPolicy(max_attempts=2, base_delay_s=0), clock=clock)


def page(items: list[dict], **headers: str) -> httpx.Response:
    return httpx.Response(200, json={"links": [], "data": items}, headers=headers)


QUEUE = {"serviceid": 1, "servicename": "Växel", "open": True, "callswaiting": 2,
         "longestwaittime": 31, "servicelevel": 91.5}


def is_info(request: httpx.Request) -> bool:
    """`GET /te/api`, read without credentials before the first poll (the servers)."""
    return request.url.path.rstrip("/").endswith("/te/api")


async def test_it_sends_the_client_key_and_base64_latin1_credentials(clock):
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if is_info(request):
            assert "authorization" not in request.headers
            return page([{"binaryVersion": "8.2.0.0"}])
        seen.append(request)
        return httpx.Response(200, json=TOKEN) if request.url.path.endswith("/login") \
            else page([QUEUE])

    source = make_source(handler, clock)
    await source.poll(Deadline(clock, 5))

    login = seen[0]
    assert login.headers["authorization"] == "Basic S0VZ"
    form = dict(x.split("=", 1) for x in login.content.decode().split("&"))
    assert form["password"] == "bPZzZW4%3D"  # base64 of the ISO-8859-1 bytes of "lösen"
    assert form["username"] == "bW9uaXRvcg%3D%3D"
    assert seen[1].headers["authorization"] == "Bearer a1"
    assert "callswaiting" in seen[1].url.params["fields"]


async def test_it_refreshes_then_logs_in_then_gives_up_on_401(clock):
    calls: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if is_info(request):
            return page([{"binaryVersion": "8.2.0.0"}])
        path = request.url.path.rsplit("/", 1)[-1]
        calls.append(path)
        if path in ("login", "refreshlogin"):
            return httpx.Response(200, json=TOKEN)
        return httpx.Response(401, json={"message": "Authorization has been denied"})

    source = make_source(handler, clock)
    with pytest.raises(SourceError) as err:
        await source.poll(Deadline(clock, 5))

    assert calls == ["login", "state", "refreshlogin", "state", "login", "state"]
    assert err.value.permanent and err.value.kind == ErrorKind.AUTH
    assert "even after a fresh login" in str(err.value)


async def test_it_names_the_fields_it_got_when_the_token_is_missing(clock):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, json={"token": "x", "expires": 5})

    source = make_source(handler, clock)
    with pytest.raises(SourceError, match=r"no access_token; received \['expires', 'token'\]"):
        await source.poll(Deadline(clock, 5))


async def test_it_accepts_a_token_wrapped_in_data(clock):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json={"links": [], "data": TOKEN})
        return page([QUEUE])

    outcome = await make_source(handler, clock).poll(Deadline(clock, 5))
    assert {s.key.metric for s in outcome.samples} >= {"calls_waiting", "service_level_pct"}


async def test_it_rejects_an_unreadable_pagination_header(clock):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json=TOKEN)
        return page([QUEUE], **{"X-Pagination": "{not json"})

    with pytest.raises(SourceError) as err:
        await make_source(handler, clock).poll(Deadline(clock, 5))
    assert err.value.kind == ErrorKind.BAD_SHAPE and "X-Pagination" in str(err.value)


async def test_it_refuses_a_redirect_to_an_unrelated_location(clock):
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(307, headers={"Location": "http://evil.test/elsewhere"})

    with pytest.raises(SourceError) as err:
        await make_source(handler, clock).poll(Deadline(clock, 5))
    assert err.value.kind == ErrorKind.PROTOCOL and "unexpected location" in str(err.value)


async def test_it_does_not_store_a_metric_it_did_not_receive(clock):
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/login"):
            return httpx.Response(200, json=TOKEN)
        return page([{"serviceid": 7, "servicename": "Kundtjänst", "open": False,
                      "servicelevel": None}])

    outcome = await make_source(handler, clock).poll(Deadline(clock, 5))
    assert {(s.key.metric, s.value) for s in outcome.samples} == {("open", 0.0)}


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ("x", "expected an object"),
        ({"servicename": "A"}, "serviceid is None"),
        ({"serviceid": True, "servicename": "A"}, "serviceid is True"),
        ({"serviceid": 1, "servicename": ""}, "servicename"),
        ({"serviceid": 1, "servicename": "A", "callswaiting": "many"}, "not a number"),
        ({"serviceid": 1, "servicename": "A", "callswaiting": -1}, "negative"),
        ({"serviceid": 1, "servicename": "A", "servicelevel": 140}, "over 100"),
        ({"serviceid": 1, "servicename": "A", "longestwaittime": float("nan")}, "not finite"),
        ({"serviceid": 1, "servicename": "A", "open": "yes"}, "not a boolean"),
    ],
)
def test_it_rejects_a_bad_queue_record_with_a_reason_when_strict(item, message):
    with pytest.raises(BadRecord, match=message):
        parse_queue(item, DEFAULT_QUEUE_FIELDS)


def test_it_reads_an_agent_with_its_state_since_and_queues():
    agent = parse_agent(
        {"agentid": 5, "agentname": "Åsa Öberg", "state": "Busy",
         "statesince": "2026-11-24T08:00:00Z", "serviceids": [1, 2]},
        DEFAULT_AGENT_FIELDS,
    )
    assert (agent.agent_id, agent.name, agent.state) == ("5", "Åsa Öberg", "busy")
    assert agent.state_since_ms == 1795507200000 and agent.queue_ids == ("1", "2")


@pytest.mark.parametrize(
    ("item", "message"),
    [
        ({"agentid": 5}, "state is None"),
        ({"agentid": 5, "state": "busy", "statesince": "igår"}, "not ISO-8601"),
        ({"agentid": 5, "state": "busy", "statesince": "2026-11-24T08:00:00"}, "no time zone"),
        ({"agentid": 5, "state": "busy", "serviceids": "1,2"}, "serviceids"),
    ],
)
def test_it_rejects_a_bad_agent_record_with_a_reason(item, message):
    with pytest.raises(BadRecord, match=message):
        parse_agent(item, DEFAULT_AGENT_FIELDS)



async def test_it_refuses_credentials_the_api_cannot_encode(clock):
    def handler(request: httpx.Request) -> httpx.Response:
        if is_info(request) and "authorization" not in request.headers:
            return page([{"binaryVersion": "8.2.0.0"}])
        raise AssertionError("nothing with credentials may be sent")

    source = make_source(handler, clock)
    source.config.password = "pässwörd€"  # the euro sign is not in ISO-8859-1
    with pytest.raises(SourceError) as err:
        await source.poll(Deadline(clock, 5))
    assert err.value.permanent and "outside ISO-8859-1" in str(err.value)


async def test_it_stops_following_redirects_that_loop(clock):
    def handler(request: httpx.Request) -> httpx.Response:
        other = "b" if request.url.host == "a.test" else "a"
        return httpx.Response(307, headers={
            "Location": f"http://{other}.test{request.url.path}"})

    source = make_source(handler, clock, secondary_url="http://b.test/te/api")
    source.config.base_url = "http://a.test/te/api"
    source = TrioSource(source.config, source._seam, clock=clock)
    with pytest.raises(SourceError, match="more than 2 redirects"):
        await source.poll(Deadline(clock, 5))
