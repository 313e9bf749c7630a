"""The web side of auth: login/logout pages, the request guard, sessions, headers.

``install(server, engine, config)`` wires everything onto a Flask server (the one Dash
runs on). A person's session lives on the server (``auth.sessions``): Flask's signed
cookie holds only the session's random token and a CSRF token. Every request reads the
session and its user (one indexed query, no cache), so logout, a password change,
disabling, demotion and an administrator's "end session" refuse the cookie at its very
next request, in every web process; ``require_role`` reads them again. The idle timeout
is ``AuthConfig.idle_timeout_s`` (the last request is written at most every 30 s), and no
session outlives 30 days.

Display sessions (wall screens, ``/display/<token>``, see ``auth.displays``): role DISPLAY,
view only. Every request confirms the token (its row read at most once per second per
process), so revoking ends the session within one refresh of the screen; the screen is
then sent to ``/display/revoked``, never to the login page. They have no idle timeout (the
token is the control, and a screen switched off over a weekend must come back), and
``seen`` is rewritten every 30 s so the cookie's 30-day lifetime slides while the screen
polls. What the screen last did (time, address, user agent, page) is written at most
every 10 s per token.

CSRF: forms (login, logout) carry the session's token in a field. Dash callbacks (POSTs
to ``.../_dash-update-component``) must carry it in the ``X-CSRFToken`` header, which
Dash's renderer fills from the cookie ``_csrf_token``: every response to a logged-in
browser that lacks that cookie sets it (readable by script, SameSite=Strict). A callback
without the header, or with another token, is refused with 403 and logged.
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

from specs.clock import Clock
from storage import AlertStore, DisplayRow, DisplayStore, SeenRequest, StorageUnavailable, UserStore

from . import sessions
from ._requests import SAFE_METHODS, is_dash_update, is_machine_path, outside_display_scope
from ._responses import (
    ASSETS_ENDPOINT,
    DISPLAY_ENDPOINT,
    LANG_COOKIE,
    LOGIN_ENDPOINT,
    LOGOUT_ENDPOINT,
    REVOKED_ENDPOINT,
    csrf_failure_page,
    login_page,
    refused_page,
    set_language_cookie,
)
from ._responses import screen_page_response as screen_response
from .config import LANGUAGES, AuthConfig
from .displays import DisplayChecker, find_display, looks_like_token, set_display_language
from .errors import PermissionDenied
from .users import SYSTEM_ACTOR, Actor, AuthResult, AuthStatus, Role, authenticate, set_language

log = logging.getLogger(__name__)


EXTENSION = "trio_monitor_auth"
LOGIN_OBSERVERS = "trio_monitor_auth.login_observers"
COOKIE_NAME = "trio_monitor_session"
SESSION_LIFETIME = timedelta(days=30)
CHECK_INTERVAL_S = 30.0
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
# Dash's renderer sends the value of this cookie as this header with every callback
# (dash-renderer getCSRFHeader). The cookie holds the session's CSRF token and is
# readable by the page's script (not HttpOnly); another site can neither read it nor,
# with SameSite=Strict, have it sent, so it cannot forge the header.
DASH_CSRF_COOKIE = "_csrf_token"
DASH_CSRF_HEADER = "X-CSRFToken"

# Session keys. A person's session has _SID (the server-side session's token); a display
# session has _DISPLAY (the display token's id), _NAME and _SEEN instead.
_SID, _NAME, _SEEN, _CSRF = "sid", "name", "seen", "csrf"
_DISPLAY = "did"
# POST /logout with this field set to "1" ends every session of the user.
EVERYWHERE_FIELD = "everywhere"
# Query parameters /display/<token> passes on to the screen's start page.
DISPLAY_PARAMS = ("rotate", "every", "lang")
DISPLAY_PREFIX = "display:"  # the "username" of a display session: display:<name>

_PUBLIC_ENDPOINTS = frozenset({LOGIN_ENDPOINT, LOGOUT_ENDPOINT, ASSETS_ENDPOINT,
                               DISPLAY_ENDPOINT, REVOKED_ENDPOINT})

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
    """The user of the current request, as confirmed by this request.

    A wall screen's display session is one too: role DISPLAY, ``display_id`` its token's
    id, ``id`` 0 (no user), ``username`` "display:<token name>"."""

    id: int
    username: str
    role: Role
    display_id: int | None = None
    # The server-side session's id (a person's session only).
    session_id: int | None = None
    # The language the user chose (stored on the user), or the screen's (on its token).
    language: str | None = None
    # A display session's team view (on its token): the screen always shows it.
    view_id: int | None = None

    @property
    def is_display(self) -> bool:
        return self.display_id is not None


@dataclass(frozen=True)
class _State:
    engine: Engine
    config: AuthConfig
    clock: Clock
    displays: DisplayChecker

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
    server.extensions[EXTENSION] = _State(
        engine=engine, config=config, clock=clock,
        displays=DisplayChecker(DisplayStore(engine)),
    )
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
    server.before_request(_language_from_query)
    server.after_request(_security_headers)
    server.after_request(_dash_csrf_cookie)


def on_login_attempt(server: Flask, observer: Callable[[AuthResult], None]) -> None:
    """Have ``observer`` told the result of every login attempt judged (metrics)."""
    server.extensions.setdefault(LOGIN_OBSERVERS, []).append(observer)


def current_user() -> SessionUser | None:
    """The logged-in user of the current request, or None (also outside a request)."""
    if not flask.has_request_context():
        return None
    user: SessionUser | None = g.get("trio_auth_user")
    return user


def require_role(role: Role | str) -> SessionUser:
    """Return the current user if their role allows ``role``; else raise PermissionDenied.

    Reads the session and the user's row again (one query), so an ended session, a role
    change or a disabling takes effect at once here. For Dash callbacks that change
    anything.
    """
    required = Role(role)
    user = current_user()
    if user is None:
        raise PermissionDenied("not logged in")
    if user.display_id is not None:
        return _require_display_role(user, user.display_id, required)
    state = _state()
    live, why = sessions.confirm(state.engine, session.get(_SID), state.clock(), state.config,
                                 touch=False)
    if live is None:
        raise PermissionDenied(f"the session of {user.username!r} has ended: {why}")
    if not live.role.allows(required):
        raise PermissionDenied(
            f"user {live.username!r} has role {live.role.value}; this needs {required.value}"
        )
    return _session_of(live)


def _session_of(live: sessions.LiveSession) -> SessionUser:
    return SessionUser(id=live.user_id, username=live.username, role=live.role,
                       session_id=live.id, language=live.language)


def _require_display_role(user: SessionUser, display_id: int, required: Role) -> SessionUser:
    state = _state()
    row = state.displays.fresh(display_id, state.clock())
    if row is None or row.revoked:
        raise PermissionDenied(f"the display token of {user.username!r} was revoked")
    if not Role.DISPLAY.allows(required):
        raise PermissionDenied(
            f"{user.username!r} is a wall screen and may only view; this needs "
            f"{required.value}"
        )
    return user


def remember_language(lang: str) -> None:
    """The visitor of the current request chose ``lang``: it is kept in this browser
    (the ``lang`` cookie, which the login page reads too), on the user (the default of
    their next login in any browser) or on the display token (that screen's language).
    Raises ValueError for an unknown language; a database failure is logged and the
    cookie is still set (the choice holds in this browser)."""
    if lang not in LANGUAGES:
        raise ValueError(f"unknown language {lang!r}: expected one of {LANGUAGES}")
    g.trio_language = lang
    if EXTENSION not in current_app.extensions:
        return  # a dashboard served without logins (tests): nothing to keep it in
    state = _state()

    @flask.after_this_request
    def _keep_in_browser(response: Response) -> Response:
        set_language_cookie(response, lang, state.config)
        return response

    user = current_user()
    if user is None or user.language == lang:
        return
    try:
        if user.display_id is not None:
            set_display_language(state.engine, user.display_id, lang,
                                 actor=Actor(user.username, client_address(state.config)),
                                 clock=state.clock)
            state.displays.forget(user.display_id)
        else:
            set_language(state.engine, user.id, lang)
    except StorageUnavailable as err:
        log.error("cannot store the language chosen: %s", err,
                  extra={"username": user.username})


def visitor_language(default: str) -> str:
    """The language of the current request's visitor: the one chosen in this request
    (``?lang=``, the switch), else the user's or the screen's stored one, else this
    browser's ``lang`` cookie, else ``default``."""
    if not flask.has_request_context():
        return default
    user = current_user()
    for candidate in (g.get("trio_language"), user.language if user else None,
                      request.cookies.get(LANG_COOKIE)):
        if candidate in LANGUAGES:
            return str(candidate)
    return default


def _language_from_query() -> None:
    """``?lang=sv`` on a page of a logged-in user or a screen chooses the language as
    the switch does (how a display token's address sets its screen's language)."""
    asked = request.args.get("lang")
    if request.method == "GET" and asked in LANGUAGES and current_user() is not None:
        remember_language(str(asked))


def installed_config() -> AuthConfig:
    """The AuthConfig that ``install`` put on the current request's server."""
    return _state().config


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


def request_client_address() -> str | None:
    """``client_address`` with the installed auth's configuration; None outside a
    request or on a server without auth (for audit rows)."""
    if not flask.has_request_context() or EXTENSION not in current_app.extensions:
        return None
    return client_address(_state().config)


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
    if g.trio_auth_user is not None:
        return _refuse_forged_callback(state) or _refuse_outside_display_scope(state)
    if _is_public(state.config):
        return None
    if g.get("trio_display_ended"):
        return _refuse_display()
    return _refuse()


def _refuse_forged_callback(state: _State) -> Response | None:
    """403 for a Dash callback POST without the session's CSRF token in its header."""
    if request.method in SAFE_METHODS or not is_dash_update(request.path):
        return None
    expected = session.get(_CSRF)
    sent = request.headers.get(DASH_CSRF_HEADER, "")
    if isinstance(expected, str) and expected and sent and hmac.compare_digest(
            expected.encode(), sent.encode()):
        return None
    user = g.trio_auth_user
    log.warning("Dash callback refused: %s CSRF token", "wrong" if sent else "no",
                extra={"username": user.username if user else None,
                       "client_addr": client_address(state.config)})
    return _json({"error": "CSRF token missing or wrong; reload the page"}, 403)


def _refuse_outside_display_scope(state: _State) -> Response | None:
    """403 for a display session asking for anything a wall screen does not show (see
    ``auth._requests``)."""
    user: SessionUser = g.trio_auth_user
    config = state.config
    if not user.is_display or _is_public(config):
        return None
    what = outside_display_scope(config)
    if what is None:
        return None
    log.warning("display session refused %s", what,
                extra={"username": user.username, "client_addr": client_address(config)})
    return _json({"error": "a wall screen may not open this"}, 403)


def _session_user(state: _State, now: float) -> SessionUser | None:
    """Confirm the session on the server; clear the cookie and return None if it has
    ended (logged out, revoked, idle, user disabled...)."""
    if _DISPLAY in session:
        return _display_session_user(state, now)
    if _SID not in session:
        if session.get("uid") is not None:
            # A cookie from before server-side sessions: it was never stored, so it ends.
            _end_session("session from before server-side sessions")
        return None
    live, why = sessions.confirm(state.engine, session.get(_SID), now, state.config)
    if live is None:
        _end_session(why)
        return None
    return _session_of(live)


def _display_session_user(state: _State, now: float) -> SessionUser | None:
    """Confirm a display session: its token exists and is not revoked."""
    display_id = session.get(_DISPLAY)
    if not isinstance(display_id, int):
        _end_session("malformed display session")
        return None
    row = state.displays.current(display_id, now)
    if row is None or row.revoked:
        _end_session(f"display token {display_id} revoked")
        g.trio_display_ended = True
        return None
    seen = session.get(_SEEN)
    if not isinstance(seen, int | float) or now - seen >= CHECK_INTERVAL_S:
        # Re-signs the cookie, so its lifetime slides while the screen keeps polling.
        session[_SEEN] = now
    state.displays.seen(display_id, _seen_request(state), now)
    return _display_user(row)


def _display_user(row: DisplayRow) -> SessionUser:
    return SessionUser(id=0, username=DISPLAY_PREFIX + row.name, role=Role.DISPLAY,
                       display_id=row.id, language=row.language, view_id=row.view_id)


def _seen_request(state: _State, page: str | None = None) -> SeenRequest:
    return SeenRequest(addr=client_address(state.config),
                       user_agent=request.user_agent.string or None,
                       page=page or _screen_page())


def _screen_page() -> str | None:
    """The page the screen shows: a page's own path, or for a script's request (a Dash
    callback) the path of the page that made it, from the Referer header (sent for
    same-origin requests, see Referrer-Policy)."""
    if request.method in SAFE_METHODS and not is_machine_path(request.path):
        return request.path
    referrer = urlsplit(request.referrer or "")
    if referrer.netloc != request.host:
        return None
    path, root = referrer.path or "/", request.script_root
    # Like request.path, from the application's root (without a URL prefix).
    return path[len(root):] if root and path.startswith(root + "/") else path


def _has_session() -> bool:
    return session.get(_SID) is not None or session.get(_DISPLAY) is not None


def _end_session(reason: str) -> None:
    log.info("session ended: %s", reason, extra={"username": session.get(_NAME),
                                                  "client_addr": request.remote_addr})
    session.clear()


def _is_public(config: AuthConfig) -> bool:
    return request.endpoint in _PUBLIC_ENDPOINTS or request.path in config.public_paths


def _refuse_display() -> Response:
    """A display session just ended (token revoked): a page goes to the revoked page, a
    script gets 401 (assets/kiosk.js then does the same); never the login page."""
    if request.method in SAFE_METHODS and not is_machine_path(request.path):
        return flask.redirect(url_for(REVOKED_ENDPOINT), 303)
    return _json({"error": "display token revoked", "display": "revoked"}, 401)


def _refuse() -> Response:
    if request.method in SAFE_METHODS and not is_machine_path(request.path):
        target = request.path + (
            "?" + request.query_string.decode("latin-1") if request.query_string else ""
        )
        return flask.redirect(url_for(LOGIN_ENDPOINT, next=target), 302)
    return _json({"error": "not logged in"}, 401)


def _json(body: dict[str, str], status: int) -> Response:
    response = flask.jsonify(body)
    response.status_code = status
    return response


def _security_headers(response: Response) -> Response:
    hashes = "".join(f" {h}" for h in current_app.config.get("CSP_SCRIPT_HASHES", []))
    response.headers["Content-Security-Policy"] = _CSP.format(hashes=hashes)
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)  # a page may be stricter (screen pages)
    if response.status_code == 401 or request.endpoint in (LOGIN_ENDPOINT, LOGOUT_ENDPOINT):
        response.headers["Cache-Control"] = "no-store"
    return response


def _dash_csrf_cookie(response: Response) -> Response:
    """Give a logged-in browser the session's CSRF token as the cookie Dash reads (only
    when it lacks it or holds another); take it away once the session has ended."""
    token = csrf_token() if _has_session() else None
    held = request.cookies.get(DASH_CSRF_COOKIE)
    if token is not None:
        if held != token:
            response.set_cookie(DASH_CSRF_COOKIE, token, httponly=False, samesite="Strict",
                                secure=_state().config.cookie_secure,
                                path=request.script_root or "/")
    elif held is not None:
        response.delete_cookie(DASH_CSRF_COOKIE, path=request.script_root or "/",
                               samesite="Strict", secure=_state().config.cookie_secure)
    return response


# -- login and logout -----------------------------------------------------------------


def _blueprint() -> Blueprint:
    bp = Blueprint("trio_auth", __name__, static_folder="static",
                   static_url_path="/login-assets")
    bp.add_url_rule("/login", "login", _login, methods=["GET", "POST"])
    bp.add_url_rule("/logout", "logout", _logout, methods=["POST"])
    bp.add_url_rule("/display/revoked", "display_revoked", _display_revoked)
    bp.add_url_rule("/display/<token>", "display", _display_login)
    return bp


def _login() -> Response:
    state = _state()
    target = safe_next(request.values.get("next"))
    if request.method != "POST":
        user = current_user()
        # A person at a screen's browser may log in (a screen is never sent here).
        if user is not None and not user.is_display:
            return _redirect_local(target)
        return login_page(state.config, target, csrf_token())
    if not _csrf_ok():
        log.warning("login refused: bad CSRF token",
                    extra={"client_addr": client_address(state.config)})
        return csrf_failure_page(state.config)

    username = request.form.get("username", "")
    addr = client_address(state.config)
    now = state.clock()
    try:
        result = authenticate(state.engine, username, request.form.get("password", ""),
                              addr, int(now * 1000), state.config)
    except StorageUnavailable as err:
        log.error("login impossible: %s", err, extra={"username": username[:64],
                                                      "client_addr": addr})
        return login_page(state.config, target, csrf_token(), username=username,
                          message_key="unavailable", status=503)
    _log_attempt(result, username, addr)
    for observer in current_app.extensions.get(LOGIN_OBSERVERS, ()):
        observer(result)
    _audit_attempt(state, result, username, addr, now)
    if not result.ok:
        return refused_page(state.config, target, csrf_token(), username, result)

    assert result.user is not None
    try:
        token = sessions.start(state.engine, result.user.id, now, state.config,
                               client_addr=addr, user_agent=request.user_agent.string or None)
    except StorageUnavailable as err:
        log.error("login impossible: %s", err, extra={"username": result.user.username,
                                                      "client_addr": addr})
        return login_page(state.config, target, csrf_token(), username=username,
                          message_key="unavailable", status=503)
    # A fresh session: nothing chosen before login (e.g. a planted cookie) survives.
    session.clear()
    session.permanent = True
    session.update({_SID: token, _CSRF: secrets.token_urlsafe(32)})
    response = _redirect_local(target)
    if result.user.language in LANGUAGES:
        # The language the user chose last, in whatever browser, is this one's from now.
        set_language_cookie(response, str(result.user.language), state.config)
    return response


def _logout() -> Response:
    state = _state()
    user = current_user()
    if user is None:
        # Nothing to end (e.g. the session already timed out): just go to the login page.
        return _redirect_local(url_for(LOGIN_ENDPOINT), root_relative=False)
    if not _csrf_ok():
        log.warning("logout refused: bad CSRF token", extra={
            "username": user.username, "client_addr": client_address(state.config)})
        return csrf_failure_page(state.config)
    everywhere = request.form.get(EVERYWHERE_FIELD) == "1"
    addr = client_address(state.config)
    try:
        if user.is_display:
            pass  # a screen's session is only in its cookie; the token is revoked on /admin
        elif everywhere:
            sessions.end_all(state.engine, user.username,
                             reason=sessions.EndReason.LOGOUT_EVERYWHERE,
                             actor=Actor(user.username, addr), clock=state.clock)
        elif user.session_id is not None:
            sessions.end(state.engine, user.session_id, state.clock(), sessions.EndReason.LOGOUT)
    except StorageUnavailable as err:
        # The cookie is cleared below, but a copy of it would still work: say so.
        log.error("logout could not end the session on the server: %s", err,
                  extra={"username": user.username, "client_addr": addr})
        return _json({"error": "service unavailable; the session was not ended"}, 503)
    session.clear()
    log.info("logout%s", " everywhere" if everywhere else "",
             extra={"username": user.username, "client_addr": addr})
    return _redirect_local(url_for(LOGIN_ENDPOINT), root_relative=False)


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


def _audit_attempt(
    state: _State, result: AuthResult, username: str, addr: str, now: float
) -> None:
    """Audit rows "login.ok", "login.failed" (wrong password, disabled user, password
    too long: the attempts that count towards a lock) and "login.lock" when an attempt
    started a lock. Attempts refused by a lock or the address limit are only logged, so
    a flood cannot fill the audit log."""
    name = result.user.username if result.user else username.strip().lower()[:64]
    if result.new_lock is not None:
        lock = result.new_lock
        _audit(state, SYSTEM_ACTOR, "login.lock", f"user:{name}", now, addr,
               after={"scope": lock.scope, "client_addr": lock.client_addr,
                      "until_ms": lock.until_ms})
        log.warning("login locked for %s from %s until %d", name,
                    lock.client_addr or "every address", lock.until_ms,
                    extra={"username": name, "client_addr": addr})
    if result.status not in (AuthStatus.OK, AuthStatus.INVALID, AuthStatus.DISABLED,
                             AuthStatus.TOO_LONG):
        return
    action = "login.ok" if result.ok else "login.failed"
    _audit(state, name, action, f"user:{name}", now, addr,
           after=None if result.ok else {"status": result.status.value})


def _audit(
    state: _State, actor: str, action: str, target: str, now: float, addr: str | None,
    after: object = None,
) -> None:
    try:
        AlertStore(state.engine).audit(actor=actor, action=action, target=target,
                                       after=after, now_ms=int(now * 1000), client_addr=addr)
    except StorageUnavailable as err:
        log.error("audit row %s of %s not written: %s", action, target, err,
                  extra={"client_addr": addr})


def _redirect_local(target: str, *, root_relative: bool = True) -> Response:
    # ``target`` is relative to the application's root; add the mount point (if any).
    location = request.script_root + target if root_relative else target
    return flask.redirect(location, 303)


# -- wall screens ---------------------------------------------------------------------

DISPLAY_RETRY_S = 10


def _display_login(token: str) -> Response:
    """Open a display session for the token's screen, or say why not (never a login)."""
    state = _state()
    addr = client_address(state.config)
    now = state.clock()
    try:
        row = find_display(state.engine, token)
    except StorageUnavailable as err:
        log.error("display login impossible: %s", err, extra={"client_addr": addr})
        return screen_response(state.config, "display_title", "display_unavailable", 503,
                               error=True, retry_s=DISPLAY_RETRY_S)
    if row is None or row.revoked:
        log.warning("display login refused: %s token", "revoked" if row else "unknown",
                    extra={"client_addr": addr})
        return screen_response(state.config, "revoked_title", "revoked", 403, error=True,
                               token=token if looks_like_token(token) else "",
                               forget="token")
    _start_display_session(state, row, now)
    _audit(state, DISPLAY_PREFIX + row.name, "display.login", f"display:{row.id}", now, addr)
    state.displays.seen(row.id, _seen_request(state, page=request.path.rsplit("/", 1)[0]), now)
    log.info("display login", extra={"username": DISPLAY_PREFIX + row.name,
                                     "client_addr": addr})
    return screen_response(state.config, "display_title", "display_starting", 200,
                           token=token, next=_display_start(state.config))


def _start_display_session(state: _State, row: DisplayRow, now: float) -> None:
    # A fresh session: whatever this browser held before (a person's login) ends.
    session.clear()
    session.permanent = True
    session.update({_DISPLAY: row.id, _NAME: DISPLAY_PREFIX + row.name, _SEEN: now,
                    _CSRF: secrets.token_urlsafe(32)})


def _display_start(config: AuthConfig) -> str:
    """The screen's start page, with the query parameters meant for it."""
    params = [(key, request.args[key]) for key in DISPLAY_PARAMS if key in request.args]
    query = "?" + urlencode(params) if params else ""
    return request.script_root + config.display_start_path + query


def _display_revoked() -> Response:
    state = _state()
    return screen_response(state.config, "revoked_title", "revoked", 403, error=True,
                           forget="all")


