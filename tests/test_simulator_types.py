"""The simulator's field types (as a .NET server may send them) and hostile faults, as a
client sees them over HTTP."""

from __future__ import annotations

import json
import re

import httpx
import pytest

from simulator import FieldTypes
from simulator._cli import _config, _parser

pytestmark = pytest.mark.timeout(60)


def _login(sim) -> dict[str, str]:
    import base64

    def b64(text: str) -> str:
        return base64.b64encode(text.encode("iso-8859-1")).decode()

    response = httpx.post(
        f"{sim.primary_url}/login",
        headers={"Authorization": f"Basic {sim.config.client_key}"},
        data={"username": b64(sim.config.username), "password": b64(sim.config.password)},
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _get(sim, path: str, **params: str) -> list[dict]:
    response = httpx.get(f"{sim.primary_url}/{path}", headers=_login(sim), params=params)
    response.raise_for_status()
    return response.json()["data"]


def test_it_takes_field_types_from_the_command_line():
    assert _config(_parser().parse_args(["--dotnet-types"])).field_types == FieldTypes.dotnet()
    args = _parser().parse_args(["--open-as", "int", "--times-as", "local"])
    assert _config(args).field_types == FieldTypes(open="int", state="name", time="local")
    assert _config(_parser().parse_args([])).field_types == FieldTypes()


def test_it_sends_dotnet_types_for_a_run_started_with_them(sim_factory):
    sim = sim_factory(field_types=FieldTypes.dotnet())

    queues = _get(sim, "cc/1/services/state")
    agents = _get(sim, "cc/1/agents/state", fields="agentid,state,statesince")

    assert {q["open"] for q in queues} <= {0, 1} and all(type(q["open"]) is int for q in queues)
    assert {a["state"] for a in agents} <= {0, 1, 2, 3, 4}
    assert all(re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", a["statesince"]) for a in agents)


def test_it_switches_field_types_at_run_time_and_back(sim):
    assert sim.control.field_types(state="code") == {"open": "bool", "state": "code",
                                                     "time": "utc"}
    assert all(isinstance(a["state"], int) for a in _get(sim, "cc/1/agents/state"))

    sim.control.reset_field_types()
    assert all(isinstance(a["state"], str) for a in _get(sim, "cc/1/agents/state"))


@pytest.mark.parametrize("body", [{"open": "yes"}, {"colour": "red"}, {"time": 5}])
def test_it_refuses_an_unknown_field_type(sim, body):
    response = httpx.post(f"{sim.control_url}/field-types", json=body)
    assert response.status_code == 400 and response.json()["message"]


@pytest.mark.parametrize("body", [
    {"kind": "gzip_bomb", "encoding": "br"},
    {"kind": "gzip_bomb", "megabytes": 0},
    {"kind": "implausible", "fields": []},
    {"kind": "large_body", "records": -1},
])
def test_it_refuses_a_hostile_fault_with_bad_parameters(sim, body):
    response = httpx.post(f"{sim.control_url}/faults",
                          json={"resource": "services/state", **body})
    assert response.status_code == 400 and response.json()["message"]


def test_it_sends_a_gzip_bomb_that_inflates_to_valid_json(sim):
    sim.control.inject("services/state", "gzip_bomb", megabytes=4)
    response = httpx.get(f"{sim.primary_url}/cc/1/services/state",
                         headers={"Accept-Encoding": "identity"})

    assert response.headers["content-encoding"] == "gzip"
    raw = response.content  # httpx inflated it
    assert len(raw) == int(response.headers["x-inflated-length"]) > 4 * 1024 * 1024
    assert json.loads(raw) == {"links": [], "data": []}
