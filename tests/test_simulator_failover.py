"""The simulator's failover as the vendor documents it: a primary that is down (refused)
while the secondary serves, counters on the secondary from the switchover, redirects to a
foreign (recording) host or to another scheme, and `agents/state` filtering by id only."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from simulator import RunningSimulator
from tests.test_simulator import ManualClock, at_local, bearer, login

pytestmark = pytest.mark.timeout(60)

COUNTERS = "serviceid,answeredtoday,abandonedtoday,servicelevel"


def counters(base_url: str, tokens: dict[str, Any], **params: str) -> dict[int, dict[str, Any]]:
    response = httpx.get(
        f"{base_url}/cc/1/services/state", headers=bearer(tokens),
        params={"fields": COUNTERS, "pageSize": "50", **params},
    )
    assert response.status_code == 200, response.text
    return {item["serviceid"]: item for item in response.json()["data"]}


def test_it_refuses_connections_on_the_primary_while_the_secondary_serves(
    sim: RunningSimulator,
) -> None:
    with httpx.Client() as kept_alive:
        assert kept_alive.get(sim.primary_url).status_code == 200

        sim.control.primary(False)

        with pytest.raises(httpx.ConnectError):
            httpx.get(sim.primary_url, timeout=2)
        with pytest.raises(httpx.TransportError):  # an open connection is closed too
            kept_alive.get(sim.primary_url, timeout=2)
    info = httpx.get(sim.secondary_url).json()["data"][0]
    assert info["failoverMode"] is True
    tokens = login(sim.secondary_url, sim.config)
    assert httpx.get(f"{sim.secondary_url}/cc/1/services/state",
                     headers=bearer(tokens)).status_code == 200

    sim.control.primary(True)

    assert httpx.get(sim.primary_url).json()["data"][0]["failoverMode"] is False
    back = httpx.get(f"{sim.secondary_url}/cc/1/services/state", headers=bearer(tokens))
    assert back.status_code == 307
    assert back.headers["Location"].startswith(sim.primary_url + "/")


def test_it_can_bring_the_primary_back_still_in_failover_mode(sim: RunningSimulator) -> None:
    sim.control.primary(False)
    sim.control.primary(True, failover=True)

    redirected = httpx.get(f"{sim.primary_url}/cc/1/services/state")

    assert redirected.status_code == 307
    assert redirected.headers["Location"].startswith(sim.secondary_url + "/")
    assert httpx.get(sim.primary_url).json()["data"][0]["failoverMode"] is True


def test_it_counts_the_secondarys_contact_center_figures_from_the_switchover(
    sim_factory: Any,
) -> None:
    clock = ManualClock(at_local(10, 0))
    sim = sim_factory(clock=clock, warmup_s=3 * 3600, queues=4, agents=20)
    primary_tokens = login(sim.primary_url, sim.config)
    at_switch = counters(sim.primary_url, primary_tokens)

    sim.control.failover(True)
    secondary_tokens = login(sim.secondary_url, sim.config)
    right_after = counters(sim.secondary_url, secondary_tokens)
    clock.advance(1800)
    later_primary = counters(sim.primary_url, primary_tokens, redirect="false")
    later = counters(sim.secondary_url, secondary_tokens)

    assert sum(q["answeredtoday"] for q in at_switch.values()) > 0
    for serviceid, item in right_after.items():
        assert (item["answeredtoday"], item["abandonedtoday"], item["servicelevel"]) == (
            0, 0, None
        ), serviceid
    for serviceid, item in later.items():
        primary_now, primary_then = later_primary[serviceid], at_switch[serviceid]
        assert item["answeredtoday"] == (
            primary_now["answeredtoday"] - primary_then["answeredtoday"]
        )
        assert item["abandonedtoday"] == (
            primary_now["abandonedtoday"] - primary_then["abandonedtoday"]
        )
    assert sum(q["answeredtoday"] for q in later.values()) > 0
    assert all(
        q["servicelevel"] is None or 0 <= q["servicelevel"] <= 100 for q in later.values()
    )


def test_it_filters_agents_by_id_only(sim: RunningSimulator) -> None:
    tokens = login(sim.primary_url, sim.config)
    url = f"{sim.primary_url}/cc/1/agents/state"
    first = httpx.get(url, headers=bearer(tokens)).json()["data"][0]

    by_name = httpx.get(url, headers=bearer(tokens),
                        params={"name": first["agentname"], "pageSize": "100"})
    by_id = httpx.get(url, headers=bearer(tokens), params={"id": "1000,1001"})

    assert len(by_name.json()["data"]) == sim.config.agents, "name is ignored"
    assert sorted(a["agentid"] for a in by_id.json()["data"]) == [1000, 1001]


def test_it_redirects_to_the_foreign_server_which_records_everything(
    sim: RunningSimulator,
) -> None:
    sim.control.inject("login", "redirect", to="foreign", count=1)
    headers = {"Authorization": f"Basic {sim.config.client_key}"}

    redirected = httpx.post(f"{sim.primary_url}/login", headers=headers, data={"username": "x"})
    assert sim.control.foreign_requests() == []
    followed = httpx.post(redirected.headers["Location"], headers=headers,
                          data={"username": "x"})

    assert redirected.status_code == 307
    assert redirected.headers["Location"] == sim.foreign_url + "/login"
    assert followed.json()["access_token"] == "stolen-session"
    (recorded,) = sim.control.foreign_requests()
    assert recorded["method"] == "POST" and recorded["path"] == "/te/api/login"
    assert recorded["headers"]["Authorization"] == f"Basic {sim.config.client_key}"
    assert recorded["body"] == "username=x"


def test_it_redirects_with_another_scheme(sim: RunningSimulator) -> None:
    sim.control.inject("*", "redirect", to="secondary", scheme="https")

    redirected = httpx.get(f"{sim.primary_url}/cc/1/services/state?pageSize=3")

    secondary = httpx.URL(sim.secondary_url)
    assert redirected.status_code == 307
    assert redirected.headers["Location"] == (
        f"https://{secondary.host}:{secondary.port}/te/api/cc/1/services/state?pageSize=3"
    )


@pytest.mark.parametrize("body", [
    {"resource": "*", "kind": "redirect", "to": "elsewhere"},
    {"resource": "*", "kind": "redirect", "scheme": "ftp"},
])
def test_it_refuses_bad_redirect_faults(sim: RunningSimulator, body: dict[str, Any]) -> None:
    response = httpx.post(sim.control_url + "/faults", json=body)
    assert response.status_code == 400


@pytest.mark.parametrize("body", [{}, {"up": "no"}, {"up": True, "failover": "yes"}])
def test_it_refuses_bad_primary_switches(sim: RunningSimulator, body: dict[str, Any]) -> None:
    response = httpx.post(sim.control_url + "/primary", json=body)
    assert response.status_code == 400
    assert httpx.get(sim.primary_url).status_code == 200


def test_it_tells_where_the_foreign_server_listens(sim: RunningSimulator) -> None:
    answer = httpx.get(sim.control_url + "/foreign").json()
    assert answer == {"url": sim.foreign_url}
    assert httpx.get(sim.foreign_url + "/cc/1/services/state").json()["data"][0][
        "servicename"] == "Kapad kö"
