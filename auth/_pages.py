"""The login and error pages: Jinja templates (autoescaped) and their texts in en/sv
(from the one catalog, specs/locale/)."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template_string

from specs import text
from specs.languages import LANGUAGES

# The login and screen pages' texts, ``login_<name>`` in the catalog (specs/locale/).
_SWITCH_TO = {"en": "sv", "sv": "en"}  # the language the page's link switches to


def _texts(lang: str) -> dict[str, str]:
    names = {key.removeprefix("login_") for key in text.keys() if key.startswith("login_")}
    return {**{name: text.t("login_" + name, lang) for name in names},
            "switch_lang": _SWITCH_TO[lang]}


TEXTS: dict[str, dict[str, str]] = {lang: _texts(lang) for lang in LANGUAGES}

_BASE = """<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
<title>{{ heading }} · {{ site_name }}</title>
<link rel="stylesheet" href="{{ css_url }}">
{# No request for the host's /favicon.ico: under a URL prefix it is not ours. #}
<link rel="icon" href="data:,">
</head>
<body>
<main class="login-box"
{%- if display_url %} id="trio-login" data-display-url="{{ display_url }}"{% endif %}>
<h1>{{ site_name }}</h1>
{% block content %}{% endblock %}
<p class="lang">
<a href="{{ switch_url }}" hreflang="{{ t.switch_lang }}">{{ t.switch_label }}</a>
</p>
</main>
{% if screen_js %}<script src="{{ screen_js }}"></script>{% endif %}
</body>
</html>
"""

# The pages a wall screen sees: starting (stores the token, goes on), revoked, unavailable
# (retries). No language link and no way to the login page: nobody is at the screen.
_SCREEN = """<!doctype html>
<html lang="{{ lang }}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex">
{% if retry_s %}<meta http-equiv="refresh" content="{{ retry_s }}">{% endif %}
<title>{{ heading }} · {{ site_name }}</title>
<link rel="stylesheet" href="{{ css_url }}">
{# No request for the host's /favicon.ico: under a URL prefix it is not ours. #}
<link rel="icon" href="data:,">
</head>
<body class="screen">
<main class="login-box screen__box" id="trio-display" data-token="{{ token }}"
 data-next="{{ next }}" data-forget="{{ forget }}">
<h1>{{ site_name }}</h1>
<h2>{{ heading }}</h2>
<p class="{{ 'error' if error else 'screen__message' }}" role="status">{{ message }}</p>
{% if next %}<p><a href="{{ next }}">{{ t.display_continue }}</a></p>{% endif %}
</main>
<script src="{{ screen_js }}"></script>
</body>
</html>
"""

_LOGIN = """{% extends base %}
{% block content %}
<h2>{{ t.title }}</h2>
{% if message %}<p class="error" role="alert">{{ message }}</p>{% endif %}
<form method="post" action="{{ action }}">
<input type="hidden" name="csrf_token" value="{{ csrf_token }}">
<input type="hidden" name="next" value="{{ next }}">
<label for="username">{{ t.username }}</label>
<input id="username" name="username" type="text" value="{{ username }}" maxlength="64"
 autocomplete="username" autocapitalize="none" spellcheck="false" required
 {% if not username %}autofocus{% endif %}>
<label for="password">{{ t.password }}</label>
<input id="password" name="password" type="password" autocomplete="current-password" required
 {% if username %}autofocus{% endif %}>
<button type="submit">{{ t.submit }}</button>
</form>
{% endblock %}
"""

_ERROR = """{% extends base %}
{% block content %}
<h2>{{ heading }}</h2>
<p class="error" role="alert">{{ message }}</p>
<p><a href="{{ back_url }}">{{ t.back }}</a></p>
{% endblock %}
"""


def render_login(**context: Any) -> str:
    """The login form. Expects lang, t, site_name, css_url, switch_url, action,
    csrf_token, next, username, message."""
    return render_template_string(_LOGIN, base=_base(), heading=context["t"]["title"], **context)


def render_error(**context: Any) -> str:
    """A small page with a message and a link back. Expects lang, t, site_name,
    css_url, switch_url, heading, message, back_url."""
    return render_template_string(_ERROR, base=_base(), **context)


def render_screen(**context: Any) -> str:
    """A wall screen's page. Expects lang, t, site_name, css_url, screen_js, heading,
    message, error, token, next, forget ("", "token" or "all"), retry_s (0: none)."""
    return render_template_string(_SCREEN, **context)


def _base() -> Any:
    # Compiled per request, like render_template_string: the login page is rarely shown.
    return current_app.jinja_env.from_string(_BASE)
