"""The web side as an operator runs it: users CLI, web/serve/demo processes, /healthz."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest
from sqlalchemy.engine import make_url

import storage
from tests.fixtures.cli_proc import trio_cli
from tests.fixtures.live import START_DEADLINE_S, free_port, wait_until
from trio_monitor.settings import load_settings
from trio_monitor.webapp import create_app

pytestmark = [pytest.mark.slow, pytest.mark.timeout(240)]


def run(*args: str, env: dict[str, str], cwd, stdin: str | None = None
        ) -> subprocess.CompletedProcess[str]:
    return trio_cli(args, input=stdin, env={**os.environ, **env}, cwd=cwd)


def login(client: httpx.Client, username: str, password: str) -> httpx.Response:
    page = client.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token, "the login form carries a CSRF token"
    return client.post("/login", data={"username": username, "password": password,
                                       "csrf_token": token.group(1)})


def test_users_add_list_passwd_disable(tmp_path):
    env = {"TRIO_MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'u.db'}"}
    assert run("db", "upgrade", env=env, cwd=tmp_path).returncode == 0
    secret = tmp_path / "pw"
    secret.write_text("långt-lösenord-1\n", encoding="utf-8")

    added = run("users", "add", "Anna", "--role", "admin", "--password-file", str(secret),
                env=env, cwd=tmp_path)
    assert added.returncode == 0, added.stderr
    again = run("users", "add", "anna", "--password-file", str(secret), env=env, cwd=tmp_path)
    assert again.returncode == 1 and "exists" in again.stderr

    weak = tmp_path / "weak"
    weak.write_text("kort", encoding="utf-8")
    refused = run("users", "passwd", "anna", "--password-file", str(weak), env=env, cwd=tmp_path)
    assert refused.returncode == 1 and "10" in refused.stderr

    no_tty = run("users", "add", "bo", env=env, cwd=tmp_path, stdin="whatever\n")
    assert no_tty.returncode == 2 and "--password-file" in no_tty.stderr

    assert run("users", "disable", "anna", env=env, cwd=tmp_path).returncode == 0
    listed = run("users", "list", env=env, cwd=tmp_path)
    assert re.search(r"^anna\s+admin\s+disabled\s+last login never$", listed.stdout, re.M)


def test_web_in_production_refuses_a_short_secret_key(tmp_path):
    result = run("web", env={"TRIO_MONITOR_MODE": "production",
                             "TRIO_MONITOR_SECRET_KEY": "too-short"}, cwd=tmp_path)
    assert result.returncode == 2
    assert "TRIO_MONITOR_SECRET_KEY (or _FILE) must be set to at least 32" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "db_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)
def test_healthz_says_ok_then_503_when_the_database_is_gone(db_url, tcp_proxy, tmp_path,
                                                            request):
    url = make_url(db_url)
    proxy = tcp_proxy(url.host or "127.0.0.1", url.port or 5432)
    proxy.start()
    proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    settings = load_settings(database_url=proxied, data_dir=tmp_path, db_busy_timeout_s=1.0)
    engine = storage.make_engine(proxied, busy_timeout_s=1.0)
    request.addfinalizer(engine.dispose)
    client = create_app(settings, engine).test_client()

    healthy = client.get("/healthz")
    assert (healthy.status_code, healthy.get_json()) == (200, {"status": "ok"})

    proxy.cut()
    down = client.get("/healthz")
    assert (down.status_code, down.get_json()) == (503, {"status": "unavailable"})
    assert "Cache-Control" in down.headers and "5432" not in down.get_data(as_text=True)

    proxy.restore()
    wait_until(lambda: client.get("/healthz").status_code == 200, 10, "healthy again")


def test_demo_prints_the_url_and_a_password_that_logs_in_then_stops_cleanly(tmp_path):
    port = free_port()
    env = {**os.environ, "TRIO_MONITOR_LOG_FORMAT": "json"}
    for key in [k for k in env if k.startswith("TRIO_MONITOR_") and k != "TRIO_MONITOR_LOG_FORMAT"]:
        del env[key]
    proc = subprocess.Popen(
        [sys.executable, "-m", "trio_monitor", "demo", "--port", str(port),
         "--data-dir", str(tmp_path / "demo"), "--history-days", "0"],
        env=env, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        assert proc.stdout is not None
        banner = "".join(proc.stdout.readline() for _ in range(3))
        match = re.search(rf"open http://127\.0\.0\.1:{port}/  and log in as  admin / (\S+)",
                          banner)
        assert match, banner
        base = f"http://127.0.0.1:{port}"
        wait_until(lambda: _up(base), START_DEADLINE_S, "demo web app up")
        with httpx.Client(base_url=base) as client:
            assert login(client, "admin", match.group(1)).status_code == 303
            assert client.get("/").status_code == 200
            assert client.post("/_dash-update-component", json={}).status_code != 401
    finally:
        proc.send_signal(signal.SIGINT)
        code = proc.wait(timeout=30)
        if proc.stdout is not None:
            proc.stdout.close()
    assert code == 0


# On a loaded machine the children need more than a few seconds to stop; a child still
# running at the deadline is killed and serve exits 1, so the deadline must hold under load.
SERVE_SHUTDOWN_S = 15


def test_serve_runs_web_and_collector_and_stops_both_on_sigterm(tmp_path, sim):
    port = free_port()
    db = f"sqlite:///{tmp_path / 's.db'}"
    engine = storage.make_engine(db)
    storage.upgrade(engine)
    engine.dispose()
    env = {**os.environ,
           "TRIO_MONITOR_DATABASE_URL": db, "TRIO_MONITOR_DATA_DIR": str(tmp_path),
           "TRIO_MONITOR_TRIO_BASE_URL": sim.primary_url,
           "TRIO_MONITOR_TRIO_CLIENT_KEY": sim.config.client_key,
           "TRIO_MONITOR_TRIO_USERNAME": sim.config.username,
           "TRIO_MONITOR_TRIO_PASSWORD": sim.config.password,
           "TRIO_MONITOR_WEB_BIND": f"127.0.0.1:{port}",
           "TRIO_MONITOR_POLL_INTERVAL_S": "1",
           "TRIO_MONITOR_SHUTDOWN_TIMEOUT_S": str(SERVE_SHUTDOWN_S),
           "TRIO_MONITOR_LOG_FORMAT": "json"}
    proc = subprocess.Popen([sys.executable, "-m", "trio_monitor", "serve"], env=env,
                            cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: _up(f"http://127.0.0.1:{port}"), START_DEADLINE_S, "web up")
        store_engine = storage.make_engine(db)
        try:
            wait_until(lambda: storage.Store(store_engine).latest(), 20, "collector writes")
        finally:
            store_engine.dispose()
        children = [int(pid) for pid in subprocess.run(
            ["pgrep", "-P", str(proc.pid)], capture_output=True, text=True).stdout.split()]
        assert len(children) == 2, "serve runs web and collect as its children"
        started = time.monotonic()
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=SERVE_SHUTDOWN_S + 20) == 0
        assert time.monotonic() - started < SERVE_SHUTDOWN_S + 7
    finally:
        if proc.poll() is None:
            # Its children first (a killed parent cannot stop them), then itself, reaped:
            # a process left running would outlive the test and warn at exit.
            for child in subprocess.run(["pgrep", "-P", str(proc.pid)], capture_output=True,
                                        text=True).stdout.split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(child), signal.SIGKILL)
            proc.kill()
            proc.wait(timeout=10)
    assert not _up(f"http://127.0.0.1:{port}")
    for pid in children:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


def _up(base: str) -> bool:
    try:
        return httpx.get(base + "/healthz", timeout=1).status_code == 200
    except httpx.HTTPError:
        return False


def test_serve_stops_the_collector_and_fails_when_the_web_server_cannot_start(tmp_path, sim):
    # A port in use is refused before anything starts (tests/test_cli_operator.py); here
    # the web workers fail to boot: the session key in the data folder cannot be read.
    db = f"sqlite:///{tmp_path / 's.db'}"
    engine = storage.make_engine(db)
    storage.upgrade(engine)
    engine.dispose()
    (tmp_path / "secret_key").mkdir()
    env = {**os.environ,
           "TRIO_MONITOR_DATABASE_URL": db, "TRIO_MONITOR_DATA_DIR": str(tmp_path),
           "TRIO_MONITOR_TRIO_BASE_URL": sim.primary_url,
           "TRIO_MONITOR_TRIO_CLIENT_KEY": sim.config.client_key,
           "TRIO_MONITOR_TRIO_USERNAME": sim.config.username,
           "TRIO_MONITOR_TRIO_PASSWORD": sim.config.password,
           "TRIO_MONITOR_WEB_BIND": f"127.0.0.1:{free_port()}",
           "TRIO_MONITOR_SHUTDOWN_TIMEOUT_S": "5", "TRIO_MONITOR_LOG_FORMAT": "json"}
    result = subprocess.run([sys.executable, "-m", "trio_monitor", "serve"], env=env,
                            cwd=tmp_path, capture_output=True, text=True, timeout=90)
    assert result.returncode == 1
    assert "web exited with status" in result.stderr and "stopping the rest" in result.stderr
