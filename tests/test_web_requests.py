"""What the real web app builds from a request (issue 11): links from PUBLIC_URL and never
the Host header, 400 for other hosts, Dash bodies checked before dispatch, unknown
component files 404, formula-shaped cells neutralised in the CSV download."""

from __future__ import annotations

import csv
import io
import json
import logging
import re
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import flask
import pytest
from flask.testing import FlaskClient
from sqlalchemy.engine import Engine

import auth
import storage
from auth import passwords
from dashboard import ids as dash_ids
from dashboard.components import admin as adm_ids
from dashboard.components.history import daily_csv
from storage import DailyRow, PollWrite, Sample, SeriesKey, SourceFacts, Store
from tests.fixtures.dashboard import PASSWORD
from tests.fixtures.screens import _dependencies, call, text_of
from trio_monitor.settings import load_settings
from trio_monitor.webapp import create_app

PUBLIC = "https://monitor.example.se"
HOST = "monitor.example.se"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[flask.Flask, Engine]]:
    """The app as `trio-monitor web` builds it, with PUBLIC_URL set, on a real SQLite file."""
    folder: Path = tmp_path_factory.mktemp("web")
    url = f"sqlite:///{folder / 'db' / 'trio-monitor.db'}"
    engine = storage.make_engine(url)
    storage.upgrade(engine)
    cheap = passwords.CONTEXT.copy(argon2__time_cost=1, argon2__memory_cost=1024,
                                   argon2__parallelism=1)
    original, passwords.CONTEXT = passwords.CONTEXT, cheap
    auth.add_user(engine, "anna", PASSWORD, auth.Role.ADMIN)
    _write_formula_queues(Store(engine))
    app = create_app(load_settings(database_url=url, data_dir=folder, public_url=PUBLIC),
                     engine)
    try:
        yield app, engine
    finally:
        passwords.CONTEXT = original
        engine.dispose()


class PublicClient(FlaskClient):
    """A browser that reached the site at ``base`` (PUBLIC_URL unless a test changes it)."""

    base = PUBLIC

    def open(self, *args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("base_url", self.base)
        return super().open(*args, **kwargs)


@pytest.fixture
def admin(site: tuple[flask.Flask, Engine]) -> Iterator[FlaskClient]:
    app, _ = site
    with PublicClient(app, flask.Response, use_cookies=True) as client:
        page = client.get("/login").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token is not None
        assert client.post("/login", data={"csrf_token": token.group(1), "username": "anna",
                                           "password": PASSWORD}).status_code in (302, 303)
        cookie = client.get_cookie("_csrf_token", domain=HOST)
        assert cookie is not None
        client.environ_base["HTTP_X_CSRFTOKEN"] = cookie.value
        yield client


# -- hosts and links ---------------------------------------------------------------------


@pytest.mark.parametrize("host", ["evil.example.com", "monitor.example.se.evil.com",
                                  "monitor.example.se:8443", "127.0.0.1:8050", "localhost"])
def test_it_refuses_requests_for_another_host_with_400(site, host, caplog) -> None:
    app, _ = site
    client = app.test_client()
    caplog.set_level(logging.WARNING)
    for path in ("/login", "/", "/_dash-layout", "/display/x"):
        response = client.get(path, headers={"Host": host})
        assert response.status_code == 400, (path, host)
    refusals = [r for r in caplog.records if "refused" in r.getMessage()]
    assert len(refusals) == 4 and host[:20] in refusals[0].getMessage()


@pytest.mark.parametrize("host", [HOST, "MONITOR.example.se", f"{HOST}:443", f"{HOST}."])
def test_it_answers_its_own_host_in_any_spelling(site, host) -> None:
    app, _ = site
    assert app.test_client().get("/login", headers={"Host": host}).status_code == 200


def test_it_answers_healthz_for_any_host_as_load_balancers_probe_by_address(site) -> None:
    app, _ = site
    response = app.test_client().get("/healthz", headers={"Host": "10.1.2.3:8050"})
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}


def test_it_builds_a_display_address_from_public_url_whatever_host_was_sent(
        site, admin) -> None:
    # The Host header is right (or the request is refused), but the proxy in front may
    # forward another name, scheme or port: the address shown must be PUBLIC_URL's.
    admin.base = f"{PUBLIC}:443"  # type: ignore[attr-defined]
    admin.environ_base["HTTP_X_FORWARDED_HOST"] = "evil.example.com"
    created = call(admin, adm_ids.ADM_DISPLAYS_MESSAGE,
                   {adm_ids.ADM_DISPLAY_CREATE: 1, adm_ids.ADM_DISPLAY_NAME: "Lobby"},
                   (adm_ids.ADM_DISPLAY_CREATE, "n_clicks"))
    panel = text_of(created[adm_ids.ADM_DISPLAY_TOKEN])
    urls = re.findall(r"[a-z]+://[^\s\"'<>]+/display/", panel)
    assert urls == [f"{PUBLIC}/display/"], panel


def test_it_redirects_with_paths_only(site) -> None:
    app, _ = site
    response = app.test_client().get("/thresholds", headers={"Host": HOST})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


# -- Dash endpoints ----------------------------------------------------------------------


def _refresh_body(app: flask.Flask, client: FlaskClient) -> dict[str, Any]:
    """The wall screen refresh exactly as the renderer sends it (known to be accepted)."""
    [dep] = [d for d in _dependencies(client) if f"{dash_ids.WALLBOARD_HEARTBEAT}." in
             d["output"]]
    outputs = [dict(zip(("id", "property"), p.rsplit(".", 1), strict=True))
               for p in dep["output"].strip(".").split("...")]
    return {"output": dep["output"], "outputs": outputs,
            "inputs": [{"id": s["id"], "property": s["property"], "value": 1}
                       for s in dep["inputs"]],
            "state": [], "changedPropIds": [f"{dash_ids.WALLBOARD_REFRESH}.n_intervals"]}


def _malformed(good: dict[str, Any]) -> list[tuple[str, bytes | str]]:
    deep: Any = 1
    for _ in range(200):
        deep = [deep]
    very_deep = "[" * 100_000 + "]" * 100_000

    def with_(**changes: Any) -> str:
        return json.dumps({**good, **changes})

    first_input = good["inputs"][0]
    return [
        ("not json", b"this is not json"),
        ("truncated", json.dumps(good)[:-5]),
        ("a list", json.dumps([good])),
        ("a string", json.dumps("x")),
        ("null", "null"),
        ("no output", json.dumps({k: v for k, v in good.items() if k != "output"})),
        ("unknown output", with_(output="nope.children")),
        ("output not a string", with_(output=["x"])),
        ("inputs missing", json.dumps({k: v for k, v in good.items() if k != "inputs"})),
        ("inputs not a list", with_(inputs={"id": "x"})),
        ("one input too many", with_(inputs=[*good["inputs"], first_input])),
        ("one input too few", with_(inputs=good["inputs"][:-1])),
        ("unknown input id", with_(inputs=[{**first_input, "id": "other"},
                                           *good["inputs"][1:]])),
        ("unknown input property", with_(inputs=[{**first_input, "property": "style"},
                                                 *good["inputs"][1:]])),
        ("input not an object", with_(inputs=[7, *good["inputs"][1:]])),
        ("counter not a number", with_(inputs=[{**first_input, "value": "x"},
                                               *good["inputs"][1:]])),
        ("negative counter", with_(inputs=[{**first_input, "value": -1},
                                           *good["inputs"][1:]])),
        ("huge integer", with_(inputs=[{**first_input, "value": 10**400},
                                       *good["inputs"][1:]])),
        ("integer past the digit limit", json.dumps(good).replace(
            '"value": 1', '"value": ' + "9" * 5000, 1)),
        ("infinite float", json.dumps(good).replace('"value": 1', '"value": 1e999', 1)),
        ("NaN", json.dumps(good).replace('"value": 1', '"value": NaN', 1)),
        ("deep nesting", with_(state=deep)),
        ("nesting past the recursion limit", json.dumps(good)[:-1] + ', "x": '
         + very_deep + "}"),
        ("unknown state", with_(state=[{"id": "x", "property": "data", "value": 1}])),
        ("outputs not matching", with_(outputs=good["outputs"][:-1])),
        ("output of another component", with_(outputs=[{"id": "x", "property": "children"},
                                                       *good["outputs"][1:]])),
        ("changedPropIds not strings", with_(changedPropIds=[1, {"a": 2}])),
        ("invalid utf-8", b'{"output": "\xff\xfe"}'),
    ]


def test_it_answers_malformed_dash_bodies_with_400_and_one_log_line(site, admin, caplog) -> None:
    app, _ = site
    good = _refresh_body(app, admin)
    assert admin.post("/_dash-update-component", json=good).status_code == 200
    for what, body in _malformed(good):
        caplog.clear()
        with caplog.at_level(logging.INFO):
            response = admin.post("/_dash-update-component", data=body,
                                  content_type="application/json")
        assert response.status_code == 400, (what, response.status_code)
        assert response.is_json and "Traceback" not in response.get_data(as_text=True)
        lines = [r for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(lines) == 1, (what, [r.getMessage() for r in lines])
        assert lines[0].exc_info is None and "refused (400)" in lines[0].getMessage(), what


def test_it_answers_a_body_that_is_not_declared_json_with_400(site, admin) -> None:
    app, _ = site
    good = _refresh_body(app, admin)
    response = admin.post("/_dash-update-component", data=json.dumps(good),
                          content_type="text/plain")
    assert response.status_code == 400


def _renderer_body(dep: dict[str, Any]) -> dict[str, Any]:
    """The body Dash's renderer sends for ``dep`` (from /_dash-dependencies), values
    null and pattern inputs matching nothing, as on a page where nothing was clicked."""
    outputs: Any = [dict(zip(("id", "property"), part.rsplit(".", 1), strict=True))
                    for part in dep["output"].strip(".").split("...")]
    if not dep["output"].startswith(".."):
        outputs = outputs[0]

    def filled(spec: dict[str, Any]) -> Any:
        if spec["id"].startswith("{"):
            return []
        return {"id": spec["id"], "property": spec["property"], "value": None}

    return {"output": dep["output"], "outputs": outputs,
            "inputs": [filled(spec) for spec in dep["inputs"]],
            "state": [filled(spec) for spec in dep["state"]], "changedPropIds": []}


def test_it_accepts_every_callback_of_the_app_as_the_renderer_sends_it(site, admin) -> None:
    """The checks refuse nothing the real renderer sends: each callback of every page,
    with its declared inputs and states, gets past them."""
    deps = _dependencies(admin)
    assert len(deps) >= 30
    statuses = {}
    for dep in deps:
        if "{" in dep["output"]:
            continue  # pattern outputs are covered by their page tests
        response = admin.post("/_dash-update-component", json=_renderer_body(dep))
        statuses[dep["output"]] = response.status_code
        # A clientside callback runs in the browser: its name sent here is a forgery.
        expected_refused = dep.get("clientside_function") is not None
        assert (response.status_code == 400) == expected_refused, (
            dep["output"], response.status_code, response.get_data(as_text=True)[:300])
    assert sum(code in (200, 204) for code in statuses.values()) >= 20, statuses


def test_it_answers_unknown_component_files_with_404(site, admin, caplog) -> None:
    app, _ = site
    page = admin.get("/").get_data(as_text=True)
    known = re.search(r'src="(/_dash-component-suites/[^"]+)"', page)
    assert known is not None and admin.get(known.group(1)).status_code == 200
    for path in ("/_dash-component-suites/dash/nope.js",
                 "/_dash-component-suites/os/path.py",
                 "/_dash-component-suites/nonexistent_pkg/x.js",
                 "/_dash-component-suites/dash/../../etc/passwd",
                 "/_dash-component-suites/dash/deps/react@18.v9_9_9m1.min.js.map"):
        caplog.clear()
        with caplog.at_level(logging.WARNING):
            response = admin.get(path)
        assert response.status_code == 404, path
        assert all(r.exc_info is None for r in caplog.records), path


# -- CSV ---------------------------------------------------------------------------------


FORMULAS = ["=HYPERLINK(\"http://evil\",\"x\")", "+1+2", "-2+3", "@SUM(A1)", "\tx", "\rx",
            "  =1+1", "\uff1d1+1"]


def test_it_neutralises_formula_shaped_cells_and_keeps_our_numbers_numeric() -> None:
    rows = [DailyRow(source="trio", queue_id=name, queue_name=name, day=date(2026, 1, 5),
                     answered=3, abandoned=0, abandon_rate_pct=-1.5, service_level_pct=80.0,
                     avg_wait_s=1.0, max_wait_s=2.0, as_of_ms=None)
            for name in [*FORMULAS, "Kundtjänst"]]
    for lang, delimiter in (("en", ","), ("sv", ";")):
        body = daily_csv(rows, lang).decode("utf-8-sig")
        parsed = list(csv.reader(io.StringIO(body, newline=""), delimiter=delimiter))[1:]
        assert [(r[0], r[1]) for r in parsed] == [
            *(("'" + name, "'" + name) for name in FORMULAS), ("Kundtjänst", "Kundtjänst")]
        assert parsed[0][5] == ("-1.5" if lang == "en" else "-1,5")  # ours: a number


def _write_formula_queues(store: Store) -> None:
    """A queue per formula-shaped name, written before the app reads anything (its
    history model caches the list of queues). The app runs on the system clock, as in
    production: the samples are from a minute ago, in today's or yesterday's figures,
    both in the download."""
    ts = int(time.time() * 1000) - 60_000
    writes = [PollWrite(source="trio", samples=[
        Sample(SeriesKey("trio", "queue", f"q{i}", metric, "calls", name), ts, 3.0)
        for metric in ("answered_today", "abandoned_today")], agents=None,
        facts=SourceFacts(name="trio", kind="trio", url="http://x", last_poll_at_ms=ts,
                          last_success_at_ms=ts)) for i, name in enumerate(FORMULAS)]
    store.write_batches(writes, lease_name=None, lease_token=None, now_ms=ts)


def test_it_neutralises_formula_shaped_queue_names_in_the_downloaded_csv(site, admin) -> None:
    for i, name in enumerate(FORMULAS):
        response = admin.get(f"/queues/q{i}/daily.csv")
        assert response.status_code == 200, response.get_data(as_text=True)
        body = response.get_data(as_text=True).lstrip("\ufeff")
        rows = list(csv.reader(io.StringIO(body, newline="")))[1:]
        assert rows and {row[1] for row in rows} == {"'" + name}, (name, rows)
