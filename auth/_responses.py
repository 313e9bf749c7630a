"""The HTML answers of auth, in the visitor's language: the login page and its
refusals, and the pages a wall screen sees at ``/display/...``."""

from __future__ import annotations

from urllib.parse import urlencode

import flask
from flask import request, url_for
from werkzeug.wrappers import Response

from . import _pages
from .config import LANGUAGES, AuthConfig
from .users import AuthResult, AuthStatus

LANG_COOKIE = "lang"
LOGIN_ENDPOINT = "trio_auth.login"
LOGOUT_ENDPOINT = "trio_auth.logout"
ASSETS_ENDPOINT = "trio_auth.static"
DISPLAY_ENDPOINT = "trio_auth.display"
REVOKED_ENDPOINT = "trio_auth.display_revoked"


def language(config: AuthConfig) -> tuple[str, bool]:
    """(language, chosen now by ?lang=)."""
    asked = request.args.get("lang")
    if asked in LANGUAGES:
        return asked, True
    remembered = request.cookies.get(LANG_COOKIE)
    if remembered in LANGUAGES:
        return remembered, False
    return config.default_language, False


def page_context(config: AuthConfig, target: str) -> dict[str, object]:
    lang, _chosen = language(config)
    texts = _pages.TEXTS[lang]
    return {
        "lang": lang,
        "t": texts,
        "site_name": config.site_name,
        "css_url": url_for(ASSETS_ENDPOINT, filename="login.css"),
        "switch_url": url_for(LOGIN_ENDPOINT) + "?" + urlencode(
            {"lang": texts["switch_lang"], "next": target}),
        "back_url": url_for(LOGIN_ENDPOINT),
        "display_url": url_for(DISPLAY_ENDPOINT, token="TOKEN"),
        "screen_js": url_for(ASSETS_ENDPOINT, filename="screen.js"),
    }


def finish_page(config: AuthConfig, html: str, status: int) -> Response:
    response = flask.make_response(html, status)
    response.headers["Content-Type"] = "text/html; charset=utf-8"
    lang, chosen = language(config)
    if chosen:
        set_language_cookie(response, lang, config)
    return response


def set_language_cookie(response: Response, lang: str, config: AuthConfig) -> None:
    """This browser's language: read by the login page and every page of the app."""
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, httponly=True,
                        samesite="Lax", secure=config.cookie_secure)


def login_page(
    config: AuthConfig, target: str, csrf_token: str, *, username: str = "",
    message_key: str | None = None, status: int = 200,
) -> Response:
    """``csrf_token``: the session's, for the form."""
    context = page_context(config, target)
    texts = _pages.TEXTS[str(context["lang"])]
    html = _pages.render_login(
        **context,
        action=url_for(LOGIN_ENDPOINT),
        csrf_token=csrf_token,
        next=target,
        username=username.strip()[:64],
        message=texts[message_key] if message_key else "",
    )
    return finish_page(config, html, status)


def refused_page(config: AuthConfig, target: str, csrf_token: str, username: str,
                 result: AuthResult) -> Response:
    """One answer for every refusal about an account (wrong password, unknown user,
    disabled, password too long, locked): same status, body and headers, so none tells
    whether the account exists or is locked. Only the address limit, which is about the
    client and not about any account, says "too many attempts" with a Retry-After."""
    if result.status is AuthStatus.RATE_LIMITED:
        response = login_page(config, target, csrf_token, username=username,
                              message_key="too_many", status=429)
        if result.retry_after_s is not None:
            response.headers["Retry-After"] = str(max(1, round(result.retry_after_s)))
        return response
    return login_page(config, target, csrf_token, username=username, message_key="invalid",
                      status=401)


def csrf_failure_page(config: AuthConfig) -> Response:
    context = page_context(config, "/")
    texts = _pages.TEXTS[str(context["lang"])]
    html = _pages.render_error(**context, heading=texts["csrf_title"], message=texts["csrf"])
    return finish_page(config, html, 400)


def screen_page_response(
    config: AuthConfig, heading_key: str, message_key: str, status: int, *,
    error: bool = False, token: str = "", next: str = "", forget: str = "", retry_s: int = 0,
) -> Response:
    """A page a wall screen's browser sees at /display/... (assets/screen.js acts on
    ``token``, ``next``, ``forget`` and ``retry_s``)."""
    lang, _chosen = language(config)
    texts = _pages.TEXTS[lang]
    html = _pages.render_screen(
        lang=lang, t=texts, site_name=config.site_name,
        css_url=url_for(ASSETS_ENDPOINT, filename="login.css"),
        screen_js=url_for(ASSETS_ENDPOINT, filename="screen.js"),
        heading=texts[heading_key], message=texts[message_key].format(seconds=retry_s),
        error=error, token=token, next=next, forget=forget, retry_s=retry_s,
    )
    response = finish_page(config, html, status)
    # The token is in this page: keep it out of caches and of other sites' Referer.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response
