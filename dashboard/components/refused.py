"""The page a signed-in user sees at an address their role may not open (a viewer at
/admin): a page of the app, in its colours and top bar, in the visitor's language.

Served by the server before Dash runs (the refusal is a 403, with its reason in the
body), so the language comes from ``?lang=`` or the ``lang`` cookie the login page
keeps, else the site's default; links switch it."""

from __future__ import annotations

from urllib.parse import urlencode

import flask
from markupsafe import escape

from ..i18n import Lang, language, t

LANG_COOKIE = "lang"  # the login page's (auth/_responses.py): one choice for both
_STYLESHEETS = ("wallboard.css", "pages.css")

_PAGE = """<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} · {site}</title>
{styles}
</head>
<body>
<div class="page page--refused">
<header class="topbar page__topbar">
<div class="topbar__site">{site}</div>
<h1 class="page__title">{title}</h1>
<div class="topbar__controls"><div class="lang">{switch}</div></div>
</header>
<div class="page__banner" role="alert">{message}</div>
<p><a class="nav__link nav__link--active" href="{home}">{back}</a></p>
</div>
</body>
</html>
"""


def refused_language(default: str) -> Lang:
    """``?lang=``, else the ``lang`` cookie, else ``default``."""
    request = flask.request
    for asked in (request.args.get("lang"), request.cookies.get(LANG_COOKIE)):
        if asked is not None and asked in Lang._value2member_map_:
            return Lang(asked)
    return language(default)


def refused_response(message_key: str, site_name: str, default_lang: str,
                     asset_url: str) -> flask.Response:
    """403 with the page; ``asset_url``: where the app's stylesheets are served
    (ending in "/")."""
    request = flask.request
    lang = refused_language(default_lang)
    home = request.script_root + "/"
    switch = "".join(
        f'<a class="lang__button{" lang__button--active" if code is lang else ""}" '
        f'href="{escape(request.path + "?" + urlencode({"lang": code.value}))}">'
        f"{code.value.upper()}</a>"
        for code in Lang
    )
    body = _PAGE.format(
        lang=lang.value,
        title=escape(t("refused_title", lang)),
        site=escape(site_name),
        styles="\n".join(f'<link rel="stylesheet" href="{escape(asset_url + name)}">'
                         for name in _STYLESHEETS),
        switch=switch,
        message=escape(t(message_key, lang)),
        home=escape(home),
        back=escape(t("refused_back", lang)),
    )
    response = flask.Response(body, status=403, mimetype="text/html")
    if request.args.get("lang") in Lang._value2member_map_:
        response.set_cookie(LANG_COOKIE, lang.value, max_age=365 * 24 * 3600, httponly=True,
                            samesite="Lax", secure=request.is_secure)
    return response
