"""deploy/nginx/: a real nginx (Debian's) with the shipped site config and a certificate
made here, in front of `trio-monitor web` under /monitor/, and a real Chromium logging in
over https.

Shown: the Secure session cookie works, HSTS is sent, plain http is sent to https, the
client address the app records is the browser's from X-Forwarded-For (nginx connects to
the app from 127.0.0.2, the browser from 127.0.0.1) with WEB_TRUSTED_PROXIES=1, and the
sub-path works for the pages, Dash's files and callbacks (a wall tile shows a value) and
a link between pages.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from selenium.webdriver.common.by import By

import auth
from storage import AlertStore, make_engine
from tests.fixtures.live import (
    LiveStack,
    chromium,
    click,
    console_errors,
    free_port,
    log_in_browser,
    wait,
)
from tests.fixtures.waits import wait_until

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.timeout(240),
              pytest.mark.sqlite_only]

NGINX = "/usr/sbin/nginx"
SITE = Path(__file__).resolve().parent.parent / "deploy" / "nginx" / "trio-monitor.conf"
PREFIX = "/monitor"
PROXY_ADDR = "127.0.0.2"  # nginx's side of its connections to the app
KIOSK_EVERY_S = 5


@dataclass
class Proxy:
    https_url: str  # the site: https://127.0.0.1:<port>/monitor
    http_port: int
    folder: Path


def _certificate(folder: Path) -> tuple[Path, Path]:
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
         "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60)
    return cert, key


def render_site(*, app_port: int, https_port: int, http_port: int, cert: Path,
                key: Path) -> str:
    """The shipped site config on this machine's free ports and certificate; nothing
    else changed (each replacement must match exactly once)."""
    text = SITE.read_text(encoding="utf-8")
    for old, new in [
        ("server 127.0.0.1:8050;", f"server 127.0.0.1:{app_port};"),
        ("listen 80;", f"listen 127.0.0.1:{http_port};"),
        ("listen [::]:80;\n", ""),
        ("listen 443 ssl http2;", f"listen 127.0.0.1:{https_port} ssl http2;"),
        ("listen [::]:443 ssl http2;\n", ""),
        ("/etc/ssl/certs/monitor.example.se.pem", str(cert)),
        ("/etc/ssl/private/monitor.example.se.key", str(key)),
    ]:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


def _main_config(folder: Path, site: Path) -> str:
    """nginx.conf for a non-daemon nginx whose every file is in ``folder``."""
    temp = "\n".join(f"    {kind}_temp_path {folder / kind};"
                     for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root, nginx's workers would switch to "nobody", who cannot enter pytest's folder.
    user = "user root;\n" if os.geteuid() == 0 else ""
    return f"""{user}worker_processes 1;
daemon off;
pid {folder / 'nginx.pid'};
error_log {folder / 'error.log'} info;
events {{ worker_connections 256; }}
http {{
    access_log {folder / 'access.log'};
{temp}
    proxy_bind {PROXY_ADDR};
    include {site};
}}
"""


def _nginx_or_skip() -> None:
    if not Path(NGINX).exists() or shutil.which("openssl") is None:
        message = f"needs Debian's nginx ({NGINX}) and openssl: apt-get install nginx"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)


@pytest.fixture
def proxy(live_stack: LiveStack, tmp_path: Path) -> Iterator[Proxy]:
    """nginx in front of `web`, restarted with the settings that go with the config."""
    _nginx_or_skip()
    folder = tmp_path / "nginx"
    folder.mkdir()
    app_port = int(live_stack.env["TRIO_MONITOR_WEB_BIND"].rsplit(":", 1)[1])
    https_port, http_port = free_port(), free_port()
    site_url = f"https://127.0.0.1:{https_port}{PREFIX}"
    live_stack.stop("web")
    live_stack.env.update({
        "TRIO_MONITOR_URL_PREFIX": PREFIX,
        "TRIO_MONITOR_PUBLIC_URL": site_url,
        "TRIO_MONITOR_WEB_TLS_PROXY": "true",
        "TRIO_MONITOR_WEB_TRUSTED_PROXIES": "1",
    })
    live_stack.start("web")

    cert, key = _certificate(folder)
    site = folder / "site.conf"
    site.write_text(render_site(app_port=app_port, https_port=https_port,
                                http_port=http_port, cert=cert, key=key), encoding="utf-8")
    conf = folder / "nginx.conf"
    conf.write_text(_main_config(folder, site), encoding="utf-8")
    checked = subprocess.run([NGINX, "-t", "-p", str(folder), "-e", str(folder / "error.log"),
                              "-c", str(conf)], capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stderr
    with open(folder / "nginx.out", "wb") as out:
        nginx = subprocess.Popen([NGINX, "-p", str(folder), "-e", str(folder / "error.log"),
                                  "-c", str(conf)], stdout=out, stderr=subprocess.STDOUT)
    try:
        def answers() -> bool:
            assert nginx.poll() is None, (folder / "error.log").read_text()
            try:
                return httpx.get(f"{site_url}/healthz", verify=False,
                                 timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        wait_until(answers, 30, "nginx answering /monitor/healthz over https")
        yield Proxy(site_url, http_port, folder)
    finally:
        nginx.send_signal(signal.SIGQUIT)  # graceful: finish what is in flight
        try:
            nginx.wait(timeout=15)
        except subprocess.TimeoutExpired:
            nginx.kill()
            nginx.wait(timeout=5)


@pytest.fixture
def tls_browser(tmp_path: Path) -> Iterator[Any]:
    """Chromium as tests/fixtures/live.py starts it, accepting the test's certificate."""
    yield from chromium(tmp_path, "--ignore-certificate-errors")


def _tiles(browser: Any) -> dict[str, str]:
    rows = browser.execute_script(
        "return Array.from(document.querySelectorAll('.tile[data-queue]'))"
        ".map(t => [t.dataset.queue, t.innerText]);")
    return dict(rows)


def test_it_logs_in_over_https_under_the_sub_path(live_stack, proxy, tls_browser):
    browser = tls_browser
    started_ms = int(time.time() * 1000)
    log_in_browser(browser, proxy.https_url, "/")
    assert browser.current_url == f"{proxy.https_url}/"

    # Dash's files and callbacks under the prefix: the tiles come, with a value.
    live_stack.sim.control.override_queue(100, longestwaittime=95, callswaiting=4)
    wait(browser, 30).until(lambda d: len(_tiles(d)) == 12)
    wait(browser, 20).until(lambda d: "1:35" in _tiles(d).get("100", ""))

    cookies = {c["name"]: c for c in browser.get_cookies()}
    session = cookies["trio_monitor_session"]
    assert session["secure"] and session["httpOnly"] and session["path"] == PREFIX
    assert cookies["_csrf_token"]["secure"]

    # A link between pages: client-side navigation to /monitor/alerts, callbacks and all.
    click(browser, By.CSS_SELECTOR, ".menu__button")  # the wall screen's nav is a menu
    click(browser, By.CSS_SELECTOR, f'a.nav__link[href="{PREFIX}/alerts"]')
    wait(browser, 20).until(lambda d: d.current_url == f"{proxy.https_url}/alerts")
    wait(browser, 20).until(lambda d: d.find_elements(By.CSS_SELECTOR, ".nav__link--active"))
    assert console_errors(browser) == [], "no console errors (CSP, 404s under the prefix)"

    # The login was recorded with the browser's address, which only X-Forwarded-For holds:
    # nginx reached the app from PROXY_ADDR.
    engine = make_engine(live_stack.env["TRIO_MONITOR_DATABASE_URL"])
    try:
        logins = AlertStore(engine).audit_log(since_ms=started_ms, action_prefix="login.ok")
    finally:
        engine.dispose()
    assert [(row.actor, row.client_addr) for row in logins] == [("admin", "127.0.0.1")]

    refused = httpx.post(f"{proxy.https_url}/_dash-update-component", json={},
                         verify=False, timeout=10)
    assert refused.status_code == 401
    assert refused.headers["strict-transport-security"].startswith("max-age=63072000")
    # gunicorn writes the access line after the answer has gone: wait for it.
    def web_log() -> str:
        return "\n".join(p.read_text(encoding="utf-8", errors="replace")
                         for p in sorted(live_stack.workdir.glob("web-*.log")))

    wait_until(lambda: re.search(rf'"client_addr": "{re.escape(PROXY_ADDR)}".*'
                                 r'"forwarded_for": "127\.0\.0\.1"', web_log()), 10,
               "the refused request's access line, with nginx's address and the browser's")

    plain = httpx.get(f"http://127.0.0.1:{proxy.http_port}{PREFIX}/", timeout=10)
    assert plain.status_code == 301
    assert plain.headers["location"] == f"https://127.0.0.1{PREFIX}/"


def test_a_wall_screen_rotates_its_pages_under_the_sub_path(live_stack, proxy, tls_browser):
    """assets/kiosk.js and the display login honour the prefix: the screen starts at
    /monitor/display/<token>, rotates /monitor/, /monitor/drift, /monitor/health by
    client-side navigation, records its pages without the prefix, and goes through
    /monitor/display/<token> to the revoked page once revoked."""
    browser = tls_browser
    engine = make_engine(live_stack.env["TRIO_MONITOR_DATABASE_URL"])
    try:
        made = auth.create_display(engine, "Skärm 7")
        browser.get(f"{proxy.https_url}/display/{made.token}"
                    f"?rotate=wallboard,drift,health&every={KIOSK_EVERY_S}")
        shown: list[str] = []
        playlist = [f"{PREFIX}/", f"{PREFIX}/drift", f"{PREFIX}/health"]

        def seen_a_step(driver: Any) -> bool:
            assert "/login" not in driver.current_url
            current = str(driver.execute_script("return window.location.pathname"))
            if not shown or shown[-1] != current:
                shown.append(current)
            # One step from a page of the playlist to the next, under the prefix (the
            # first path may be /kiosk); the playlist's whole order is
            # test_browser_kiosk.py's.
            return len([p for p in shown if p in playlist]) >= 2

        wait(browser, 3 * KIOSK_EVERY_S + 30).until(seen_a_step, "rotation")
        rotation = [p for p in shown if p in playlist]
        assert shown[shown.index(rotation[0]):] == rotation, shown  # nothing else between
        for before, after in zip(rotation, rotation[1:], strict=False):
            assert playlist[(playlist.index(before) + 1) % 3] == after, shown
        assert browser.execute_script(
            "return document.documentElement.classList.contains('kiosk')")

        wait_until(lambda: auth.find_display(engine, made.token).last_page
                   in ("/", "/drift", "/health"), 30, "the screen's page recorded")
        auth.revoke_display(engine, made.display.id)
    finally:
        engine.dispose()
    # kiosk.js goes through /monitor/display/<token> again, which says it was revoked.
    wait(browser, 20).until(lambda d: "access was revoked" in d.page_source)
    assert browser.current_url.startswith(f"{proxy.https_url}/display/")
    # The revocation's 401 and 403 are expected; a file missed under the prefix is not.
    assert [e for e in console_errors(browser)
            if "Content Security Policy" in e or "status of 404" in e] == []
