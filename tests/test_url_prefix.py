"""The site under a sub-path (URL_PREFIX): routes, redirects, cookies, Dash's files and
callbacks, and links built from PUBLIC_URL all carry the prefix."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

import auth
from trio_monitor.settings import ConfigError, load_settings
from trio_monitor.settings import _secret_file_problems as secret_file_problems
from trio_monitor.webapp import create_app

pytestmark = pytest.mark.sqlite_only

PREFIX = "/monitor"
PASSWORD = "prefix-test-password"


@pytest.fixture
def app(db_url, engine, tmp_path):
    auth.add_user(engine, "anna", PASSWORD, auth.Role.ADMIN)
    settings = load_settings(database_url=db_url, data_dir=tmp_path, url_prefix=PREFIX)
    return create_app(settings, engine)


def _log_in(client) -> None:
    page = client.get(f"{PREFIX}/login").get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token is not None
    assert f'action="{PREFIX}/login"' in page
    response = client.post(f"{PREFIX}/login", data={
        "csrf_token": token.group(1), "username": "anna", "password": PASSWORD})
    assert response.status_code == 303
    assert response.headers["Location"] == f"{PREFIX}/"
    client.environ_base["HTTP_X_CSRFTOKEN"] = client.get_cookie(
        "_csrf_token", path=PREFIX).value


def test_it_answers_only_under_the_prefix(app):
    client = app.test_client()
    assert client.get(PREFIX).status_code == 308
    assert client.get(f"{PREFIX}?lang=sv").headers["Location"] == f"{PREFIX}/?lang=sv"
    assert client.get("/login").status_code == 404
    assert client.get("/_dash-layout").status_code == 404
    # Load balancers probe by address, wherever the site is mounted.
    assert client.get("/healthz").get_json() == {"status": "ok"}
    assert client.get(f"{PREFIX}/healthz").get_json() == {"status": "ok"}


def test_it_sends_a_visitor_to_the_login_under_the_prefix(app):
    client = app.test_client()
    response = client.get(f"{PREFIX}/alerts?x=1")
    assert response.status_code == 302
    assert response.headers["Location"] == f"{PREFIX}/login?next=/alerts?x%3D1"
    assert client.get(f"{PREFIX}/_dash-layout").status_code == 401


def test_it_logs_in_and_serves_dash_under_the_prefix(app):
    client = app.test_client()
    _log_in(client)
    assert client.get_cookie("trio_monitor_session", path=PREFIX) is not None
    index = client.get(f"{PREFIX}/").get_data(as_text=True)
    config = json.loads(re.search(
        r'<script id="_dash-config" type="application/json">(.*?)</script>', index,
        re.S).group(1))
    assert config["requests_pathname_prefix"] == f"{PREFIX}/"
    scripts = re.findall(r'<script src="([^"]+)"', index)
    assert scripts
    css = re.findall(r'<link rel="stylesheet" href="([^"]+)"', index)
    assert css
    for url in [*scripts, *css]:
        assert url.startswith(f"{PREFIX}/"), url
        with client.get(url) as response:  # files: closed, or they leak a handle
            assert response.status_code == 200, url

    layout = client.get(f"{PREFIX}/_dash-layout")
    assert layout.status_code == 200
    deps = client.get(f"{PREFIX}/_dash-dependencies").get_json()
    assert deps


def test_its_page_links_and_logout_carry_the_prefix(app):
    client = app.test_client()
    _log_in(client)
    deps = client.get(f"{PREFIX}/_dash-dependencies").get_json()
    router = next(d for d in deps if "_pages_content.children" in d["output"])
    body = {
        "output": router["output"],
        "outputs": [{"id": o.split(".")[0], "property": o.split(".")[1]}
                    for o in router["output"].strip(".").split("...")],
        "inputs": [{"id": i["id"], "property": i["property"],
                    "value": f"{PREFIX}/alerts" if i["property"] == "pathname" else None}
                   for i in router["inputs"]],
        "changedPropIds": ["_pages_location.pathname"],
        "state": [{"id": s["id"], "property": s["property"]} for s in router["state"]],
    }
    response = client.post(f"{PREFIX}/_dash-update-component", json=body)
    assert response.status_code == 200, response.get_data(as_text=True)
    hrefs = set(_values(response.get_json(), "href"))
    assert f"{PREFIX}/alerts" in hrefs and f"{PREFIX}/" in hrefs, hrefs
    assert all(href.startswith(f"{PREFIX}/") for href in hrefs), hrefs
    assert list(_values(response.get_json(), "action")) == [f"{PREFIX}/logout"]

    logout = client.post(f"{PREFIX}/logout", data={"csrf_token": client.environ_base[
        "HTTP_X_CSRFTOKEN"]})
    assert logout.headers["Location"] == f"{PREFIX}/login"


def _values(tree: object, key: str) -> Iterator[str]:
    if isinstance(tree, dict):
        for name, value in tree.items():
            if name == key and isinstance(value, str):
                yield value
            else:
                yield from _values(value, key)
    elif isinstance(tree, list):
        for item in tree:
            yield from _values(item, key)


def test_it_builds_links_from_public_url_under_the_prefix(tmp_path):
    settings = load_settings(data_dir=tmp_path, url_prefix="/monitor/",
                             public_url="https://monitor.example.se")
    assert settings.url_prefix == PREFIX
    assert settings.public_base_url == "https://monitor.example.se/monitor"
    assert settings.dashboard_config().public_url == "https://monitor.example.se/monitor"
    assert settings.evaluator_config().link == "https://monitor.example.se/monitor/alerts"
    same = load_settings(data_dir=tmp_path, url_prefix=PREFIX,
                         public_url="https://monitor.example.se/monitor")
    assert same.public_base_url == "https://monitor.example.se/monitor"
    assert load_settings(data_dir=tmp_path, url_prefix=PREFIX,
                         web_bind="127.0.0.1:8050").public_base_url == \
        "http://127.0.0.1:8050/monitor"
    assert load_settings(data_dir=tmp_path).url_prefix == ""


@pytest.mark.parametrize("bad", ["monitor", "/a b", "/../x", "/x/./y", "/x?y", "/%2e"])
def test_it_refuses_a_prefix_that_is_not_a_plain_path(tmp_path, bad):
    with pytest.raises(ConfigError, match="TRIO_MONITOR_URL_PREFIX"):
        load_settings(data_dir=tmp_path, url_prefix=bad)


def test_it_refuses_a_public_url_under_another_path(tmp_path):
    with pytest.raises(ConfigError, match="PUBLIC_URL's path"):
        load_settings(data_dir=tmp_path, url_prefix=PREFIX,
                      public_url="https://monitor.example.se/other")


def test_it_trusts_the_mode_systemd_gives_a_credential(tmp_path, monkeypatch):
    """systemd's LoadCredential= files read 0440 (an ACL's mask in the group bits)."""
    credentials = tmp_path / "credentials"
    credentials.mkdir()
    secret = credentials / "secret_key"
    secret.write_text("x")
    secret.chmod(0o440)
    elsewhere = tmp_path / "secret_key"
    elsewhere.write_text("x")
    elsewhere.chmod(0o440)
    monkeypatch.delenv("CREDENTIALS_DIRECTORY", raising=False)
    assert secret_file_problems("secret_key_file", secret)
    monkeypatch.setenv("CREDENTIALS_DIRECTORY", str(credentials))
    assert secret_file_problems("secret_key_file", secret) == []
    assert secret_file_problems("secret_key_file", Path(elsewhere))
