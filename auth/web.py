"""The web side of auth: login/logout pages, the request guard, sessions, headers.

``install(server, engine, config)`` wires everything onto a Flask server (the one Dash
runs on). Sessions are Flask's signed cookies, holding the user id, the user's session
version, a CSRF token and ``seen``: the last time the session was confirmed.

Bounds (``CHECK_INTERVAL_S`` = 30 s):
- The user row is re-read at most once per 30 s per session (not on every Dash callback).
  A password change, disabling or deletion therefore ends a session within 30 s; a role
  change shows in ``current_user()`` within 30 s, but ``require_role`` reads the row
  every time, so a demoted or disabled user can never act.
- ``seen`` is written at the same time, so the cookie changes at most every 30 s, and the
  idle timeout ends a session between ``idle_timeout_s - 30`` and ``idle_timeout_s`` after
  its last request.
- ``logout`` clears the cookie in the browser; as with any signed-cookie session, a copy
  of the cookie taken before stays valid until the idle timeout or a password change.
"""

from __future__ import annotations

import hmac
import logging
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlencode, urlsplit

import flask
from flask import Blueprint, Flask, current_app, g, request, session, url_for
from sqlalchemy.engine import Engine
from werkzeug.wrappers import Response

from storage import StorageUnavailable, UserStore

from . import _pages
from .config import LANGUAGES, AuthConfig
from .errors import PermissionDenied
from .users import AuthResult, AuthStatus, Role, authenticate

log = logging.getLogger(__name__)

Clock = Callable[[], float]

EXTENSION = "trio_monitor_auth"
COOKIE_NAME = "trio_monitor_session"
LANG_COOKIE = "lang"
SESSION_LIFETIME = timedelta(days=30)
CHECK_INTERVAL_S = 30.0
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

# Session keys.
_UID, _VERSION, _NAME, _ROLE, _SEEN, _CSRF = "uid", "sv", "name", "role", "seen", "csrf"

_LOGIN_ENDPOINT = "trio_auth.login"
_LOGOUT_ENDPOINT = "trio_auth.logout"
_ASSETS_ENDPOINT = "trio_auth.static"
_PUBLIC_ENDPOINTS = frozenset({_LOGIN_ENDPOINT, _LOGOUT_ENDPOINT, _ASSETS_ENDPOINT})
# Paths answered with 401 JSON rather than a redirect: made by scripts, not by people
# typing an address. Dash's own endpoints all start with "_" (/_dash-layout,
# /_dash-update-component, /_dash-component-suites/..., /_reload-hash, /_favicon.ico);
# any segment is checked so a Dash url prefix (/monitor/_dash-layout) is covered too.
_MACHINE_DIRS = frozenset({"assets", "static"})
_SAFE_METHODS = frozenset({"GET", "HEAD"})

_CSP = (
    "default-src 'self'; script-src 'self'{hashes}; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self' data:; connect-src 'self'; "
    "frame-ancestors 'none'; base-uri 'self'; form-action 'self'; object-src 'none'"
)
_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}


@dataclass(frozen=True)
class SessionUser:
    """The user of the current request, as confirmed at most CHECK_INTERVAL_S ago."""

    id: int
    username: str
    role: Role


@dataclass(frozen=True)
class _State:
    engine: Engine
    config: AuthConfig
    clock: Clock

    @property
    def store(self) -> UserStore:
        return UserStore(self.engine)


# -- public API -----------------------------------------------------------------------


def install(server: Flask, engine: Engine, config: AuthConfig, *, clock: Clock = time.time) -> None:
    """Put the login, the logout, the guard and the security headers on ``server``.

    Call once per server, before it serves. Every route other than /login, /logout,
    /login-assets/* and ``config.public_paths`` then needs a session, including routes
    added after this call. ``server.config["CSP_SCRIPT_HASHES"]`` (quoted CSP sources
    such as ``'sha256-...'``) is read on each response, so it may be set later.
    """
    if EXTENSION in server.extensions:
        raise RuntimeError("auth.install() was already called on this server")
    server.extensions[EXTENSION] = _State(engine=engine, config=config, clock=clock)
    server.secret_key = config.secret_key
    server.config.update(
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        SESSION_COOKIE_SECURE=config.cookie_secure,
        PERMANENT_SESSION_LIFETIME=SESSION_LIFETIME,
        # Only write the cookie when the session changed (at most every 30 s, see above),
        # not on every one of a wall screen's callbacks.
        SESSION_REFRESH_EACH_REQUEST=False,
    )
    server.register_blueprint(_blueprint())
    server.before_request(_guard)
    server.after_request(_security_headers)


def current_user() -> SessionUser | None:
    """The logged-in user of the current request, or None (also outside a request)."""
    if not flask.has_request_context():
        return None
    user: SessionUser | None = g.get("trio_auth_user")
    return user


def require_role(role: Role | str) -> SessionUser:
    """Return the current user if their role allows ``role``; else raise PermissionDenied.

    Reads the user's row (one query), so a role change or a disabling takes effect at
    once here. For Dash callbacks that change anything.
    """
    required = Role(role)
    user = current_user()
    if user is None:
        raise PermissionDenied("not logged in")
    row = _state().store.get(user.id)
    if row is None or row.disabled or row.session_version != session.get(_VERSION):
        raise PermissionDenied(f"the session of {user.username!r} has ended")
    actual = Role(row.role)
    if not actual.allows(required):
        raise PermissionDenied(
            f"user {row.username!r} has role {actual.value}; this needs {required.value}"
        )
    return SessionUser(id=row.id, username=row.username, role=actual)


def csrf_token() -> str:
    """The session's CSRF token (created if missing), for forms posting to this server,
    e.g. a logout button: ``<input type=hidden name=csrf_token value=...>``. POSTs to
    /logout may send it as the ``X-CSRF-Token`` header instead."""
    token = session.get(_CSRF)
    if not isinstance(token, str) or not token:
        token = secrets.token_urlsafe(32)
        session[_CSRF] = token
    return token


def safe_next(target: str | None) -> str:
    """``target`` if it is a path on this site, else "/": never another host."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    # Browsers drop tabs and newlines and read "\" as "/", which could turn a path
    # back into "//host"; refuse them and any other control character.
    if "\\" in target or any(ord(ch) < 0x21 or ord(ch) == 0x7F for ch in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return "/"
    return target


def client_address(config: AuthConfig) -> str:
    """The client's address: the socket's, or the one ``trusted_proxies`` hops back in
    X-Forwarded-For (the proxies' own entries are the rightmost)."""
    remote = request.remote_addr or "unknown"
    if config.trusted_proxies <= 0:
        return remote
    hops = [
        hop.strip()
        for header in request.headers.getlist("X-Forwarded-For")
        for hop in header.split(",")
        if hop.strip()
    ]
    if len(hops) < config.trusted_proxies:
        return remote
    return hops[-config.trusted_proxies]


# -- the guard ------------------------------------------------------------------------


def _state() -> _State:
    state: _State = current_app.extensions[EXTENSION]
    return state


def _guard() -> Response | None:
    state = _state()
    try:
        g.trio_auth_user = _session_user(state, state.clock())
    except StorageUnavailable as err:
        log.error("cannot confirm session: %s", err)
        return _json({"error": "service unavailable"}, 503)
    if g.trio_auth_user is not None or _is_public(state.config):
        return None
    return _refuse()


def _session_user(state: _State, now: float) -> SessionUser | None:
    """Confirm the session (idle timeout, user row every CHECK_INTERVAL_S); clear it
    and return None if it has ended."""
    uid = session.get(_UID)
    if uid is None:
        return None
    seen = session.get(_SEEN)
    if not isinstance(seen, int | float) or now - seen > state.config.idle_timeout_s:
        _end_session(f"idle for more than {state.config.idle_timeout_s:.0f} s")
        return None
    if now - seen >= CHECK_INTERVAL_S:
        row = state.store.get(uid)
        if row is None or row.disabled or row.session_version != session.get(_VERSION):
            _end_session("user deleted, disabled or password changed")
            return None
        session[_NAME] = row.username
        session[_ROLE] = row.role
        session[_SEEN] = now
    try:
        return SessionUser(id=int(uid), username=str(session[_NAME]), role=Role(session[_ROLE]))
    except (KeyError, ValueError):
        _end_session("malformed session")
        return None


def _end_session(reason: str) -> None:
    log.info("session ended: %s", reason, extra={"username": session.get(_NAME),
                                                  "client_addr": request.remote_addr})
    session.clear()


def _is_public(config: AuthConfig) -> bool:
    return request.endpoint in _PUBLIC_ENDPOINTS or request.path in config.public_paths


def _is_machine_path(path: str) -> bool:
    segments = [s for s in path.split("/") if s]
    return any(s.startswith("_") for s in segments) or any(
        s in _MACHINE_DIRS for s in segments[:-1]
    )


def _refuse() -> Response:
    if request.method in _SAFE_METHODS and not _is_machine_path(request.path):
        target = request.path + (
            "?" + request.query_string.decode("latin-1") if request.query_string else ""
        )
        return flask.redirect(url_for(_LOGIN_ENDPOINT, next=target), 302)
    return _json({"error": "not logged in"}, 401)


def _json(body: dict[str, str], status: int) -> Response:
    response = flask.jsonify(body)
    response.status_code = status
    return response


def _security_headers(response: Response) -> Response:
    hashes = "".join(f" {h}" for h in current_app.config.get("CSP_SCRIPT_HASHES", []))
    response.headers["Content-Security-Policy"] = _CSP.format(hashes=hashes)
    response.headers.update(_HEADERS)
    if response.status_code == 401 or request.endpoint in (_LOGIN_ENDPOINT, _LOGOUT_ENDPOINT):
        response.headers["Cache-Control"] = "no-store"
    return response


# -- login and logout -----------------------------------------------------------------


def _blueprint() -> Blueprint:
    bp = Blueprint("trio_auth", __name__, static_folder="static",
                   static_url_path="/login-assets")
    bp.add_url_rule("/login", "login", _login, methods=["GET", "POST"])
    bp.add_url_rule("/logout", "logout", _logout, methods=["POST"])
    return bp


def _login() -> Response:
    state = _state()
    target = safe_next(request.values.get("next"))
    if request.method != "POST":
        if current_user() is not None:
            return _redirect_local(target)
        return _login_page(state, target)
    if not _csrf_ok():
        log.warning("login refused: bad CSRF token",
                    extra={"client_addr": client_address(state.config)})
        return _csrf_failure_page(state)

    username = request.form.get("username", "")
    addr = client_address(state.config)
    now = state.clock()
    try:
        result = authenticate(state.engine, username, request.form.get("password", ""),
                              addr, int(now * 1000), state.config)
    except StorageUnavailable as err:
        log.error("login impossible: %s", err, extra={"username": username[:64],
                                                      "client_addr": addr})
        return _login_page(state, target, username=username, message_key="unavailable",
                           status=503)
    _log_attempt(result, username, addr)
    if not result.ok:
        return _refused_page(state, target, username, result)

    assert result.user is not None and result.session_version is not None
    # A fresh session: nothing chosen before login (e.g. a planted cookie) survives.
    session.clear()
    session.permanent = True
    session.update({
        _UID: result.user.id, _VERSION: result.session_version,
        _NAME: result.user.username, _ROLE: result.user.role.value, _SEEN: now,
        _CSRF: secrets.token_urlsafe(32),
    })
    return _redirect_local(target)


def _logout() -> Response:
    state = _state()
    user = current_user()
    if user is None:
        # Nothing to end (e.g. the session already timed out): just go to the login page.
        return _redirect_local(url_for(_LOGIN_ENDPOINT), root_relative=False)
    if not _csrf_ok():
        log.warning("logout refused: bad CSRF token", extra={
            "username": user.username, "client_addr": client_address(state.config)})
        return _csrf_failure_page(state)
    session.clear()
    log.info("logout", extra={"username": user.username,
                              "client_addr": client_address(state.config)})
    return _redirect_local(url_for(_LOGIN_ENDPOINT), root_relative=False)


def _csrf_ok() -> bool:
    expected = session.get(_CSRF)
    sent = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER)
    if not isinstance(expected, str) or not expected or not sent:
        return False
    return hmac.compare_digest(expected.encode(), sent.encode())


def _log_attempt(result: AuthResult, username: str, addr: str) -> None:
    extra = {"username": username.strip().lower()[:64], "client_addr": addr,
             "status": result.status.value}
    if result.ok:
        log.info("login ok", extra=extra)
    else:
        log.warning("login refused: %s", result.status.value, extra=extra)


def _redirect_local(target: str, *, root_relative: bool = True) -> Response:
    # ``target`` is relative to the application's root; add the mount point (if any).
    location = request.script_root + target if root_relative else target
    return flask.redirect(location, 303)


# -- pages ----------------------------------------------------------------------------


def _language(config: AuthConfig) -> tuple[str, bool]:
    """(language, chosen now by ?lang=)."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked, True
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in LANGUAGES:
        return remembered, False
    return config.default_language, False


def _page_context(state: _State, target: str) -> dict[str, object]:
    lang, _chosen = _language(state.config)
    texts = _pages.TEXTS[lang]
    return {
        "lang": lang,
        "t": texts,
        "site_name": state.config.site_name,
        "css_url": url_for(_ASSETS_ENDPOINT, filename="login.css"),
        "switch_url": url_for(_LOGIN_ENDPOINT) + "?" + urlencode(
            {"lang": texts["switch_lang"], "next": target}),
        "back_url": url_for(_LOGIN_ENDPOINT),
    }


def _finish_page(state: _State, html: str, status: int) -> Response:
    response = flask.make_response(html, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    lang, chosen = _language(state.config)
    if chosen:
        response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True,
                            samesite="Lax", secure=state.config.cookie_secure)
    return response


def _login_page(
    state: _State, target: str, *, username: str = "", message_key: str | None = None,
    status: int = 200,
) -> Response:
    context = _page_context(state, target)
    texts = _pages.TEXTS[str(context["lang"])]
    html = _pages.render_login(
        **context,
        action=url_for(_LOGIN_ENDPOINT),
        csrf_token=csrf_token(),
        next=target,
        username=username.strip()[:64],
        message=texts[message_key] if message_key else "",
    )
    return _finish_page(state, html, status)


def _refused_page(state: _State, target: str, username: str, result: AuthResult) -> Response:
    if result.status in (AuthStatus.LOCKED, AuthStatus.RATE_LIMITED):
        response = _login_page(state, target, username=username, message_key="too_many",
                               status=429)
        if result.retry_after_s is not None:
            response.headers["Retry-After"] = str(max(1, round(result.retry_after_s)))
        return response
    # INVALID and DISABLED look the same from outside.
    return _login_page(state, target, username=username, message_key="invalid", status=401)


def _csrf_failure_page(state: _State) -> Response:
    context = _page_context(state, "/")
    texts = _pages.TEXTS[str(context["lang"])]
    html = _pages.render_error(**context, heading=texts["csrf_title"], message=texts["csrf"])
    return _finish_page(state, html, 400)
