"""The simulated TE API over real HTTP on loopback: login, tokens, paging, charsets,
failover, fault injection and the control API."""

from __future__ import annotations

import base64
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest

from simulator import RunningSimulator, SimulatorConfig, SimulatorServers, serve
from tests.fixtures.waits import wait_until

Factory = Callable[..., RunningSimulator]

STOCKHOLM = ZoneInfo("Europe/Stockholm")
ALL_SERVICE_FIELDS = (
    "serviceid", "servicename", "open", "callswaiting", "longestwaittime", "agentsloggedin",
    "agentsfree", "agentsbusy", "agentspaused", "answeredtoday", "abandonedtoday",
    "servicelevel",
)  # fmt: skip
ALL_AGENT_FIELDS = ("agentid", "agentname", "state", "statesince", "serviceids")


class ManualClock:
    """Epoch seconds that move only when told to."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def at_local(hour: int, minute: int = 0) -> float:
    return datetime(2024, 3, 12, hour, minute, tzinfo=STOCKHOLM).timestamp()


def b64(text: str, encoding: str = "iso-8859-1") -> str:
    return base64.b64encode(text.encode(encoding)).decode("ascii")


def login_response(
    base_url: str,
    config: SimulatorConfig,
    *,
    client_key: str | None = None,
    username: str | None = None,
    password: str | None = None,
    params: dict[str, str] | None = None,
) -> httpx.Response:
    return httpx.post(
        f"{base_url}/login",
        params=params,
        headers={"Authorization": f"Basic {client_key or config.client_key}"},
        data={
            "username": b64(username or config.username),
            "password": b64(password or config.password),
        },
    )


def login(
    base_url: str, config: SimulatorConfig, params: dict[str, str] | None = None
) -> dict[str, Any]:
    response = login_response(base_url, config, params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def bearer(tokens: dict[str, Any]) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def refresh(base_url: str, config: SimulatorConfig, refresh_token: str) -> httpx.Response:
    return httpx.post(
        f"{base_url}/refreshlogin",
        headers={"Authorization": f"Basic {config.client_key}"},
        data={"refresh_token": refresh_token},
    )


def get(sim: RunningSimulator, path: str, **params: Any) -> httpx.Response:
    headers = bearer(login(sim.primary_url, sim.config))
    return httpx.get(f"{sim.primary_url}/{path}", headers=headers, params=params)


def pagination(response: httpx.Response) -> dict[str, Any]:
    return dict(json.loads(response.headers["X-Pagination"]))


# -- info and login ---------------------------------------------------------------------


def test_it_reports_version_and_servers_without_login(sim: RunningSimulator) -> None:
    response = httpx.get(sim.primary_url)

    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json; charset=utf-8"
    body = response.json()
    # The vendor's documented shape: top-level links with `self` only; data a list of one
    # object with its own relative links and the servers as bare host names.
    assert [link["rel"] for link in body["links"]] == ["self"]
    assert {"rel", "desc", "method", "href"} <= set(body["links"][0])
    (item,) = body["data"]
    assert {k: v for k, v in item.items() if k != "links"} == {
        "binaryVersion": "8.2.0.0",
        "failoverMode": False,
        "primaryServer": "127.0.0.1",
        "secondaryServer": "127.0.0.1",
    }
    assert [link["rel"] for link in item["links"]] == [
        "help", "cc", "directory", "login", "refreshlogin"
    ]
    assert all("://" not in link["href"] for link in item["links"])


def test_it_issues_bearer_tokens_for_a_correct_login(sim: RunningSimulator) -> None:
    tokens = login(sim.primary_url, sim.config)

    assert tokens["token_type"] == "bearer"
    assert tokens["expires_in"] == 3600
    assert tokens["access_token"] and tokens["refresh_token"]
    response = httpx.get(f"{sim.primary_url}/cc", headers=bearer(tokens))
    assert response.status_code == 200
    assert response.json()["data"][0]["ccid"] == 1


def test_it_decodes_the_password_as_base64_of_iso_8859_1(sim: RunningSimulator) -> None:
    latin1 = httpx.post(
        f"{sim.primary_url}/login",
        headers={"Authorization": f"Basic {sim.config.client_key}"},
        data={"username": b64("monitor"), "password": b64("sim-pässword", "iso-8859-1")},
    )
    utf8 = httpx.post(
        f"{sim.primary_url}/login",
        headers={"Authorization": f"Basic {sim.config.client_key}"},
        data={"username": b64("monitor"), "password": b64("sim-pässword", "utf-8")},
    )

    assert latin1.status_code == 200
    assert utf8.status_code == 400


def test_it_accepts_a_password_with_o_umlaut(sim_factory: Factory) -> None:
    sim = sim_factory(username="övervakning", password="Lösenord-ö")

    response = login_response(sim.primary_url, sim.config)

    assert response.status_code == 200


@pytest.mark.parametrize(
    "authorization", [None, "Basic d3Jvbmc=", "Bearer c2ltLWNsaWVudC1rZXk=", "c2ltLWNsaWVudC1rZXk="]
)
def test_it_rejects_a_wrong_or_missing_client_key_with_401(
    sim: RunningSimulator, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}
    response = httpx.post(
        f"{sim.primary_url}/login",
        headers=headers,
        data={"username": b64("monitor"), "password": b64("sim-pässword")},
    )

    assert response.status_code == 401
    assert "message" in response.json()


@pytest.mark.parametrize(
    ("username", "password"),
    [("monitor", "wrong"), ("someone", "sim-pässword"), ("monitor", "sim-passw\u00f6rd")],
)
def test_it_rejects_wrong_credentials_with_invalid_grant(
    sim: RunningSimulator, username: str, password: str
) -> None:
    response = login_response(sim.primary_url, sim.config, username=username, password=password)

    assert response.status_code == 400
    assert response.json() == {
        "error": "invalid_grant",
        "error_description": "The user name or password is incorrect.",
    }


def test_it_rejects_fields_that_are_not_base64(sim: RunningSimulator) -> None:
    response = httpx.post(
        f"{sim.primary_url}/login",
        headers={"Authorization": f"Basic {sim.config.client_key}"},
        data={"username": "monitor", "password": "sim-pässword"},
    )

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"


def test_it_rotates_refresh_tokens(sim: RunningSimulator) -> None:
    first = login(sim.primary_url, sim.config)

    renewed = refresh(sim.primary_url, sim.config, first["refresh_token"])
    reused = refresh(sim.primary_url, sim.config, first["refresh_token"])

    assert renewed.status_code == 200
    second = renewed.json()
    assert second["access_token"] != first["access_token"]
    assert second["refresh_token"] != first["refresh_token"]
    assert reused.status_code == 400
    assert reused.json()["error"] == "invalid_grant"
    assert httpx.get(f"{sim.primary_url}/cc", headers=bearer(second)).status_code == 200
    assert refresh(sim.primary_url, sim.config, second["refresh_token"]).status_code == 200


def test_it_answers_401_when_the_access_token_expires(sim_factory: Factory) -> None:
    clock = ManualClock(at_local(10))
    sim = sim_factory(clock=clock, token_lifetime_s=60)
    tokens = login(sim.primary_url, sim.config)
    url = f"{sim.primary_url}/cc/1/services/state"

    clock.advance(59)
    before = httpx.get(url, headers=bearer(tokens))
    clock.advance(2)
    after = httpx.get(url, headers=bearer(tokens))
    renewed = refresh(sim.primary_url, sim.config, tokens["refresh_token"])

    assert before.status_code == 200
    assert after.status_code == 401
    assert after.json() == {"message": "Authorization has been denied for this request."}
    assert renewed.status_code == 200
    assert httpx.get(url, headers=bearer(renewed.json())).status_code == 200


def test_it_rejects_an_expired_refresh_token(sim_factory: Factory) -> None:
    clock = ManualClock(at_local(10))
    sim = sim_factory(clock=clock, token_lifetime_s=60, refresh_lifetime_s=600)
    tokens = login(sim.primary_url, sim.config)

    clock.advance(601)
    response = refresh(sim.primary_url, sim.config, tokens["refresh_token"])

    assert response.status_code == 400
    assert response.json()["error"] == "invalid_grant"
    assert login_response(sim.primary_url, sim.config).status_code == 200


@pytest.mark.parametrize(
    "authorization", [None, "Bearer not-a-token", "Basic c2ltLWNsaWVudC1rZXk="]
)
def test_it_answers_401_without_a_valid_bearer_token(
    sim: RunningSimulator, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = httpx.get(f"{sim.primary_url}/cc/1/services/state", headers=headers)

    assert response.status_code == 401
    assert response.json() == {"message": "Authorization has been denied for this request."}


def test_it_applies_a_new_token_lifetime_to_tokens_issued_later(sim: RunningSimulator) -> None:
    before = login(sim.primary_url, sim.config)

    sim.control.token_lifetime(5)
    after = login(sim.primary_url, sim.config)

    assert before["expires_in"] == 3600
    assert after["expires_in"] == 5


# -- collections ------------------------------------------------------------------------


def test_it_pages_collections_covering_every_item_exactly_once(sim_factory: Factory) -> None:
    sim = sim_factory(queues=23, agents=57)
    headers = bearer(login(sim.primary_url, sim.config))
    seen: list[int] = []
    url: str | None = f"{sim.primary_url}/cc/1/services/state?pageSize=5&fields=serviceid,open"
    pages = 0
    while url is not None:
        response = httpx.get(url, headers=headers)
        assert response.status_code == 200
        page = pagination(response)
        pages += 1
        assert page["currentPage"] == pages
        assert page["pageSize"] == 5
        assert page["totalCount"] == 23
        assert page["totalPages"] == 5
        seen += [item["serviceid"] for item in response.json()["data"]]
        url = page["nextPageLink"]

    assert pages == 5
    assert len(seen) == len(set(seen)) == 23
    assert "fields=serviceid" in pagination(response)["previousPageLink"]


def test_it_pages_agents_by_ten_by_default(sim: RunningSimulator) -> None:
    first = get(sim, "cc/1/agents/state")
    last = get(sim, "cc/1/agents/state", page=4)

    assert len(first.json()["data"]) == 10
    assert pagination(first)["previousPageLink"] is None
    assert pagination(first)["totalCount"] == 40
    assert pagination(last)["nextPageLink"] is None
    assert pagination(last)["previousPageLink"].endswith("page=3")


def test_it_caps_the_page_size(sim_factory: Factory) -> None:
    sim = sim_factory(agents=30, max_page_size=25)

    response = get(sim, "cc/1/agents/state", pageSize=1000)

    assert len(response.json()["data"]) == 25
    assert pagination(response)["pageSize"] == 25
    assert pagination(response)["totalPages"] == 2


@pytest.mark.parametrize(
    "params", [{"page": 0}, {"page": "one"}, {"pageSize": 0}, {"pageSize": "x"}]
)
def test_it_rejects_invalid_paging_with_400(sim: RunningSimulator, params: dict[str, Any]) -> None:
    response = get(sim, "cc/1/services/state", **params)

    assert response.status_code == 400
    assert "message" in response.json()


def test_it_answers_an_empty_page_past_the_end(sim: RunningSimulator) -> None:
    response = get(sim, "cc/1/services/state", page=9)

    assert response.status_code == 200
    assert response.json()["data"] == []
    assert pagination(response)["totalPages"] == 1


def test_it_returns_only_default_fields_unless_asked(sim: RunningSimulator) -> None:
    services = get(sim, "cc/1/services/state").json()["data"]
    agents = get(sim, "cc/1/agents/state").json()["data"]
    all_services = get(sim, "cc/1/services/state", fields=",".join(ALL_SERVICE_FIELDS))
    all_agents = get(sim, "cc/1/agents/state", fields=",".join(ALL_AGENT_FIELDS))
    some = get(sim, "cc/1/services/state", fields="serviceid,callswaiting,nosuchfield")

    assert all(set(item) == {"serviceid", "servicename", "open"} for item in services)
    assert all(set(item) == {"agentid", "agentname", "state"} for item in agents)
    assert all(set(item) == set(ALL_SERVICE_FIELDS) for item in all_services.json()["data"])
    assert all(set(item) == set(ALL_AGENT_FIELDS) for item in all_agents.json()["data"])
    assert all(set(item) == {"serviceid", "callswaiting"} for item in some.json()["data"])


def test_it_types_the_state_fields(sim: RunningSimulator) -> None:
    services = get(sim, "cc/1/services/state", fields=",".join(ALL_SERVICE_FIELDS)).json()
    agents = get(sim, "cc/1/agents/state", fields=",".join(ALL_AGENT_FIELDS)).json()

    for item in services["data"]:
        assert isinstance(item["open"], bool)
        for name in ALL_SERVICE_FIELDS[3:-1]:
            assert type(item[name]) is int
        assert item["servicelevel"] is None or isinstance(item["servicelevel"], float)
    for item in agents["data"]:
        assert item["state"] in {"available", "busy", "paused", "wrapup", "loggedout"}
        assert datetime.fromisoformat(item["statesince"]).utcoffset() is not None
        assert item["serviceids"] and all(type(s) is int for s in item["serviceids"])


def test_it_sorts_in_both_directions(sim: RunningSimulator) -> None:
    names = [s["servicename"] for s in get(sim, "cc/1/services", pageSize=50).json()["data"]]

    ascending = get(sim, "cc/1/services/state", sort="servicename").json()["data"]
    descending = get(sim, "cc/1/services/state", sort="-servicename").json()["data"]
    by_two = get(sim, "cc/1/agents/state", sort="-state,agentid", pageSize=100).json()["data"]

    assert [s["servicename"] for s in ascending] == sorted(names)
    assert [s["servicename"] for s in descending] == sorted(names, reverse=True)
    by_id = sorted(by_two, key=lambda agent: agent["agentid"])
    assert by_two == sorted(by_id, key=lambda agent: agent["state"], reverse=True)


def test_it_filters_by_id_and_name(sim: RunningSimulator) -> None:
    by_id = get(sim, "cc/1/services/state", id="101,103").json()["data"]
    by_name = get(sim, "cc/1/services/state", name="Kundtjänst").json()["data"]
    agent = get(sim, "cc/1/agents/state", name="Åsa Öberg").json()["data"]

    assert [s["serviceid"] for s in by_id] == [101, 103]
    assert [s["servicename"] for s in by_name] == ["Kundtjänst"]
    assert agent[0]["agentid"] == 1000


def test_it_serves_one_service_state_and_404_for_unknown_ids(sim: RunningSimulator) -> None:
    headers = bearer(login(sim.primary_url, sim.config))
    base = f"{sim.primary_url}/cc"

    one = httpx.get(f"{base}/1/services/100/state", headers=headers)
    full = httpx.get(f"{base}/1/services/100/state?fields=serviceid,callswaiting", headers=headers)
    unknown_service = httpx.get(f"{base}/1/services/999/state", headers=headers)
    unknown_cc = httpx.get(f"{base}/2/services/state", headers=headers)

    assert one.json()["data"] == {"serviceid": 100, "servicename": "Kundtjänst", "open": True}
    assert set(full.json()["data"]) == {"serviceid", "callswaiting"}
    assert unknown_service.status_code == 404
    assert unknown_cc.status_code == 404
    assert "message" in unknown_cc.json()


def test_it_lists_services_with_their_groups(sim: RunningSimulator) -> None:
    services = get(sim, "cc/1/services").json()["data"]
    groups = get(sim, "cc/1/servicegroups").json()["data"]

    group_names = {g["servicegroupname"] for g in groups}
    assert {s["servicename"] for s in services} >= {"Kundtjänst", "Växel", "Återbetalning"}
    assert all(s["servicegroup"] in group_names for s in services)
    assert all({"serviceid", "servicename", "servicegroup"} <= set(s) for s in services)


# -- charsets ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        {"Content-Type": "application/json;charset=iso-8859-1"},
        {"Accept-Charset": "iso-8859-1"},
    ],
)
def test_it_encodes_iso_8859_1_when_the_request_names_it(
    sim: RunningSimulator, header: dict[str, str]
) -> None:
    headers = {**bearer(login(sim.primary_url, sim.config)), **header}

    response = httpx.get(f"{sim.primary_url}/cc/1/services/state", headers=headers)

    assert response.headers["content-type"] == "application/json; charset=iso-8859-1"
    assert b"Kundtj\xe4nst" in response.content
    assert json.loads(response.content.decode("iso-8859-1"))["data"][0]["servicename"] == (
        "Kundtjänst"
    )


def test_it_encodes_iso_8859_1_when_configured(sim_factory: Factory) -> None:
    sim = sim_factory(charset="iso-8859-1")

    response = get(sim, "cc/1/agents/state", name="Åsa Öberg")

    assert response.headers["content-type"] == "application/json; charset=iso-8859-1"
    assert b"\xc5sa \xd6berg" in response.content
    # httpx's .json() ignores the charset (it sniffs UTF-8/16/32); .text honours it.
    assert json.loads(response.text)["data"][0]["agentname"] == "Åsa Öberg"


def test_it_answers_utf_8_by_default(sim: RunningSimulator) -> None:
    response = get(sim, "cc/1/services/state")

    assert "Kundtjänst".encode() in response.content


# -- failover ---------------------------------------------------------------------------


def test_it_redirects_to_the_secondary_in_failover_mode(sim: RunningSimulator) -> None:
    primary_tokens = login(sim.primary_url, sim.config)
    sim.control.failover(True)
    path = "/cc/1/services/state?pageSize=3&fields=serviceid"

    redirected = httpx.get(sim.primary_url + path, headers=bearer(primary_tokens))
    login_redirected = login_response(sim.primary_url, sim.config)
    with_primary_token = httpx.get(sim.secondary_url + path, headers=bearer(primary_tokens))
    secondary_tokens = login(sim.secondary_url, sim.config)
    on_secondary = httpx.get(sim.secondary_url + path, headers=bearer(secondary_tokens))
    not_redirected = httpx.get(
        sim.primary_url + path + "&redirect=false", headers=bearer(primary_tokens)
    )

    assert redirected.status_code == 307
    assert redirected.headers["Location"] == sim.secondary_url + path
    assert login_redirected.status_code == 307
    assert login_redirected.headers["Location"] == sim.secondary_url + "/login"
    assert with_primary_token.status_code == 401
    assert on_secondary.status_code == 200
    assert not_redirected.status_code == 200
    for url in (sim.primary_url, sim.secondary_url):
        assert httpx.get(url).json()["data"][0]["failoverMode"] is True


def test_it_redirects_back_to_the_primary_when_failover_ends(sim: RunningSimulator) -> None:
    path = "/cc/1/agents/state?page=2"

    from_secondary = httpx.get(sim.secondary_url + path)
    sim.control.failover(True)
    sim.control.failover(False)
    again = httpx.get(sim.secondary_url + path)
    primary = httpx.get(sim.primary_url + path)

    assert from_secondary.status_code == 307
    assert from_secondary.headers["Location"] == sim.primary_url + path
    assert again.status_code == 307
    assert primary.status_code == 401
    assert httpx.get(sim.secondary_url).json()["data"][0]["failoverMode"] is False


def test_it_accepts_the_redirected_login_at_the_location(sim: RunningSimulator) -> None:
    # httpx drops Authorization when following a redirect to another origin (port), so a
    # client must re-send the login itself at the Location it was given.
    sim.control.failover(True)
    redirected = login_response(sim.primary_url, sim.config)

    response = login_response(redirected.headers["Location"].removesuffix("/login"), sim.config)

    assert redirected.status_code == 307
    assert response.status_code == 200


# -- faults -----------------------------------------------------------------------------


def test_it_delays_answers_with_latency(sim: RunningSimulator) -> None:
    headers = bearer(login(sim.primary_url, sim.config))
    sim.control.inject("services/state", "latency", count=1, seconds=0.3)

    started = time.monotonic()
    response = httpx.get(f"{sim.primary_url}/cc/1/services/state", headers=headers)
    elapsed = time.monotonic() - started

    assert response.status_code == 200
    assert elapsed >= 0.3


def test_it_hangs_until_the_client_gives_up(sim: RunningSimulator) -> None:
    headers = bearer(login(sim.primary_url, sim.config))
    sim.control.inject("agents/state", "hang")

    with pytest.raises(httpx.ReadTimeout):
        httpx.get(f"{sim.primary_url}/cc/1/agents/state", headers=headers, timeout=0.3)
    assert httpx.get(f"{sim.primary_url}/cc/1/services", headers=headers).status_code == 200


def test_it_stops_promptly_with_hung_requests_outstanding(sim_factory: Factory) -> None:
    sim = sim_factory()
    sim.control.inject("info", "hang")
    outcome: list[object] = []

    def hung_request() -> None:
        try:
            outcome.append(httpx.get(sim.primary_url, timeout=30).status_code)
        except httpx.HTTPError as exc:
            outcome.append(exc)

    client = threading.Thread(target=hung_request)
    client.start()
    wait_until(lambda: sim.control.stats()["servers"]["primary"]["requests"] >= 1, 5,
               "the hung request arrived")
    started = time.monotonic()
    sim.stop()
    client.join(5)

    assert time.monotonic() - started < 5
    assert not client.is_alive()
    assert outcome


@pytest.mark.parametrize("status", [500, 502, 503, 504, 418])
def test_it_answers_an_injected_status(sim: RunningSimulator, status: int) -> None:
    headers = bearer(login(sim.primary_url, sim.config))
    sim.control.inject("services/state", "status", status=status)

    response = httpx.get(f"{sim.primary_url}/cc/1/services/state", headers=headers)

    assert response.status_code == status
    assert "message" in response.json()


def test_it_asks_clients_to_retry_after(sim: RunningSimulator) -> None:
    headers = bearer(login(sim.primary_url, sim.config))
    sim.control.inject("*", "retry_after", seconds=7)

    response = httpx.get(f"{sim.primary_url}/cc/1/agents/state", headers=headers)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "7"


def test_it_sends_truncated_json_when_malformed(sim: RunningSimulator) -> None:
    headers = bearer(login(sim.primary_url, sim.config))
    sim.control.inject("services/state", "malformed")

    response = httpx.get(f"{sim.primary_url}/cc/1/services/state", headers=headers)

    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.content)


@pytest.mark.parametrize(
    ("shape", "check"),
    [
        ("data_not_list", lambda body: body == {"links": [], "data": "unexpected"}),
        ("missing_id", lambda body: all("serviceid" not in i for i in body["data"])),
        ("bare_list", lambda body: isinstance(body, list) and "serviceid" in body[0]),
        ("no_envelope", lambda body: "data" not in body and "links" not in body),
    ],
)
def test_it_sends_json_of_the_wrong_shape(
    sim: RunningSimulator, shape: str, check: Callable[[Any], bool]
) -> None:
    headers = bearer(login(sim.primary_url, sim.config))
    sim.control.inject("services/state", "wrong_shape", shape=shape)

    response = httpx.get(f"{sim.primary_url}/cc/1/services/state", headers=headers)

    assert response.status_code == 200
    assert check(response.json())


def test_it_puts_garbage_in_n_records(sim: RunningSimulator) -> None:
    headers = bearer(login(sim.primary_url, sim.config))
    sim.control.inject("services/state", "bad_records", n=2)
    fields = ",".join(ALL_SERVICE_FIELDS)

    response = httpx.get(f"{sim.primary_url}/cc/1/services/state?fields={fields}", headers=headers)

    data = response.json()["data"]
    assert response.status_code == 200
    assert "X-Pagination" in response.headers
    assert [item["callswaiting"] for item in data[:2]] == ["many", "many"]
    assert all(type(item["callswaiting"]) is int for item in data[2:])
    assert all(type(item["serviceid"]) is int for item in data)


@pytest.mark.parametrize("declare_length", [False, True])
def test_it_streams_a_huge_body(sim: RunningSimulator, declare_length: bool) -> None:
    headers = bearer(login(sim.primary_url, sim.config))
    sim.control.inject("services/state", "huge", megabytes=2, declare_length=declare_length)

    response = httpx.get(f"{sim.primary_url}/cc/1/services/state", headers=headers)

    assert response.status_code == 200
    assert 2 * 1024 * 1024 - 70_000 <= len(response.content) <= 2 * 1024 * 1024
    assert ("content-length" in response.headers) is declare_length
    assert len(response.json()["data"]) > 10_000


def test_it_survives_a_client_that_stops_reading_a_huge_body(sim: RunningSimulator) -> None:
    headers = bearer(login(sim.primary_url, sim.config))
    sim.control.inject("services/state", "huge", count=1, megabytes=50)

    with httpx.stream("GET", f"{sim.primary_url}/cc/1/services/state", headers=headers) as r:
        first = next(r.iter_bytes())

    assert first.startswith(b'{"links":[],"data":[')
    assert httpx.get(f"{sim.primary_url}/cc/1/services", headers=headers).status_code == 200


def test_it_resets_the_connection_mid_body(sim: RunningSimulator) -> None:
    headers = bearer(login(sim.primary_url, sim.config))
    sim.control.inject("services/state", "reset")

    with httpx.stream("GET", f"{sim.primary_url}/cc/1/services/state", headers=headers) as r:
        status = r.status_code
        with pytest.raises((httpx.ReadError, httpx.RemoteProtocolError)):
            r.read()

    assert status == 200
    assert _stats_for(sim, "services/state")["statuses"] == {"reset": 1}


def _stats_for(sim: RunningSimulator, resource: str, server: str = "primary") -> dict[str, Any]:
    return dict(sim.control.stats()["servers"][server]["resources"][resource])


def test_it_clears_a_counted_fault_after_n_requests(sim: RunningSimulator) -> None:
    headers = bearer(login(sim.primary_url, sim.config))
    sim.control.inject("services/state", "status", count=2, status=503)
    url = f"{sim.primary_url}/cc/1/services/state"

    statuses = [httpx.get(url, headers=headers).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]
    assert sim.control.faults() == []


def test_it_applies_star_faults_to_authenticated_resources_only(sim: RunningSimulator) -> None:
    sim.control.inject("*", "status", status=502)

    info = httpx.get(sim.primary_url)
    tokens = login_response(sim.primary_url, sim.config)
    services = httpx.get(f"{sim.primary_url}/cc/1/services", headers=bearer(tokens.json()))

    assert info.status_code == 200
    assert tokens.status_code == 200
    assert services.status_code == 502


def test_it_injects_faults_into_login_and_info(sim: RunningSimulator) -> None:
    sim.control.inject("login", "status", count=1, status=503)
    sim.control.inject("info", "malformed", count=1)

    assert login_response(sim.primary_url, sim.config).status_code == 503
    with pytest.raises(json.JSONDecodeError):
        json.loads(httpx.get(sim.primary_url).content)
    assert login_response(sim.primary_url, sim.config).status_code == 200


def test_it_limits_a_fault_to_one_server(sim: RunningSimulator) -> None:
    sim.control.inject("info", "status", status=500, server="secondary")

    assert httpx.get(sim.primary_url).status_code == 200
    assert httpx.get(sim.secondary_url).status_code == 500


def test_it_clears_all_faults(sim: RunningSimulator) -> None:
    sim.control.inject("info", "status", status=500)
    sim.control.inject("login", "status", status=500)

    sim.control.clear()

    assert sim.control.faults() == []
    assert httpx.get(sim.primary_url).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"resource": "nothing", "kind": "status", "status": 500},
        {"resource": "info", "kind": "explode"},
        {"resource": "info", "kind": "status"},
        {"resource": "info", "kind": "latency"},
        {"resource": "info", "kind": "hang", "count": 0},
        {"resource": "info", "kind": "hang", "server": "tertiary"},
    ],
)
def test_it_refuses_invalid_fault_requests(sim: RunningSimulator, body: dict[str, Any]) -> None:
    response = httpx.post(f"{sim.control_url}/faults", json=body)

    assert response.status_code == 400
    assert "message" in response.json()


# -- control API ------------------------------------------------------------------------


def test_it_revokes_every_token_on_both_servers(sim: RunningSimulator) -> None:
    primary = login(sim.primary_url, sim.config)
    secondary = login(sim.secondary_url, sim.config, params={"redirect": "false"})

    sim.control.revoke_tokens()

    assert httpx.get(f"{sim.primary_url}/cc", headers=bearer(primary)).status_code == 401
    secondary_url = f"{sim.secondary_url}/cc?redirect=false"
    assert httpx.get(secondary_url, headers=bearer(secondary)).status_code == 401
    assert refresh(sim.primary_url, sim.config, primary["refresh_token"]).status_code == 400
    assert login_response(sim.primary_url, sim.config).status_code == 200


def test_it_counts_requests_per_server_resource_and_status(sim: RunningSimulator) -> None:
    tokens = login(sim.primary_url, sim.config)
    sim.control.reset_stats()
    url = f"{sim.primary_url}/cc/1/services/state"
    before = time.time()

    for _ in range(3):
        httpx.get(url, headers=bearer(tokens))
    httpx.get(url)
    httpx.get(f"{sim.secondary_url}/cc/1/agents/state")
    stats = sim.control.stats()

    primary = stats["servers"]["primary"]
    assert stats["total"] == 5
    assert primary["resources"]["services/state"] == {
        "requests": 4,
        "statuses": {"200": 3, "401": 1},
    }
    assert stats["servers"]["secondary"]["resources"]["agents/state"]["statuses"] == {"307": 1}
    assert stats["by_resource"] == {"services/state": 4, "agents/state": 1}
    assert stats["by_status"] == {"200": 3, "401": 1, "307": 1}
    recent = stats["recent"]["services/state"]
    assert len(recent) == 4
    assert recent == sorted(recent)
    assert before <= recent[0] <= time.time()
    sim.control.reset_stats()
    assert sim.control.stats()["total"] == 0


# -- scale, asyncio and the command line ------------------------------------------------


def test_it_answers_every_page_of_a_big_site_as_the_model_moves(sim_factory: Factory) -> None:
    # How fast it answers depends on the machine; that is measured in bench/, not here.
    clock = ManualClock(at_local(10))
    sim = sim_factory(clock=clock, queues=1000, agents=4000, warmup_s=1800)
    headers = bearer(login(sim.primary_url, sim.config))
    fields = ",".join(ALL_SERVICE_FIELDS)
    seen: set[int] = set()
    with httpx.Client(headers=headers) as client:
        for page in range(1, 11):
            clock.advance(2)
            response = client.get(
                f"{sim.primary_url}/cc/1/services/state",
                params={"page": page, "pageSize": 100, "fields": fields, "sort": "serviceid"},
            )
            assert response.status_code == 200
            seen |= {row["serviceid"] for row in response.json()["data"]}

    assert pagination(response)["totalCount"] == 1000
    assert len(seen) == 1000, "every queue on exactly one of the ten pages"


async def test_it_serves_inside_a_running_event_loop() -> None:
    config = SimulatorConfig(warmup_s=60, queues=2, agents=4)
    servers: SimulatorServers = await serve(config)
    async with servers, httpx.AsyncClient() as client:
        info = await client.get(servers.primary_url)
        secondary = await client.get(servers.secondary_url)

    assert info.json()["data"][0]["secondaryServer"] == "127.0.0.1"
    assert secondary.status_code == 200


@pytest.mark.slow
def test_it_runs_from_the_command_line_until_sigint(tmp_path: Path) -> None:
    password_file = tmp_path / "password"
    password_file.write_text("Hemlig-ö\n", encoding="utf-8")
    with subprocess.Popen(
        [sys.executable, "-m", "simulator", "--queues", "3", "--agents", "6",
         "--password-file", str(password_file)],
        stdout=subprocess.PIPE,
        text=True,
        encoding="utf-8",
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
    ) as process:  # fmt: skip
        try:
            assert process.stdout is not None
            lines = [process.stdout.readline() for _ in range(6)]
            primary_url = lines[0].split()[-1]
            response = login_response(primary_url, SimulatorConfig(password="Hemlig-ö"))
            process.send_signal(signal.SIGINT)
            code = process.wait(timeout=10)
        finally:
            if process.poll() is None:
                process.kill()

    assert lines[1].startswith("secondary: http://127.0.0.1:")
    assert "Hemlig-ö" in lines[5]
    assert response.status_code == 200
    assert code == 0


def test_it_pins_a_queues_fields_until_released(sim):
    with httpx.Client() as client:
        token = client.post(
            f"{sim.primary_url}/login",
            headers={"Authorization": f"Basic {sim.config.client_key}"},
            data={"username": base64.b64encode(sim.config.username.encode("latin-1")).decode(),
                  "password": base64.b64encode(sim.config.password.encode("latin-1")).decode()},
        ).json()["access_token"]

        def state() -> dict:
            return client.get(
                f"{sim.primary_url}/cc/1/services/100/state",
                params={"fields": "serviceid,longestwaittime,open"},
                headers={"Authorization": f"Bearer {token}"},
            ).json()["data"]

        sim.control.override_queue(100, longestwaittime=95, open=False)
        assert (state()["longestwaittime"], state()["open"]) == (95, False)
        sim.control.release_queue(100)
        assert state()["open"] is True  # queue 100 is open around the clock
