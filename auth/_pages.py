"""The login and error pages: Jinja templates (autoescaped) and their texts in en/sv."""

from __future__ import annotations

from typing import Any

from flask import current_app, render_template_string

TEXTS: dict[str, dict[str, str]] = {
    "en": {
        "title": "Log in",
        "username": "Username",
        "password": "Password",
        "submit": "Log in",
        "invalid": "Wrong username or password, or too many attempts: then try "
                   "again later or ask an administrator to unlock the account.",
        "too_many": "Too many attempts. Try again later.",
        "unavailable": "The service is unavailable right now. Try again in a moment.",
        "csrf_title": "Form expired",
        "csrf": "This form has expired or did not come from this site. "
                "Go back to the login page and try again.",
        "back": "Back to the login page",
        "switch_lang": "sv",
        "switch_label": "På svenska",
        "display_title": "Wall screen",
        "display_starting": "Starting the wall screen…",
        "display_continue": "Continue",
        "revoked_title": "Access revoked",
        "revoked": "This screen's access was revoked. An administrator can create a new "
                   "display token on the admin page and open its address on this screen.",
        "display_unavailable": "The service is unavailable right now. This screen tries "
                               "again every {seconds} seconds.",
    },
    "sv": {
        "title": "Logga in",
        "username": "Användarnamn",
        "password": "Lösenord",
        "submit": "Logga in",
        "invalid": "Fel användarnamn eller lösenord, eller för många försök: försök "
                   "då igen senare eller be en administratör att låsa upp kontot.",
        "too_many": "För många försök. Försök igen senare.",
        "unavailable": "Tjänsten är inte tillgänglig just nu. Försök igen om en stund.",
        "csrf_title": "Formuläret har gått ut",
        "csrf": "Formuläret har gått ut eller kom inte från den här webbplatsen. "
                "Gå tillbaka till inloggningssidan och försök igen.",
        "back": "Tillbaka till inloggningssidan",
        "switch_lang": "en",
        "switch_label": "In English",
        "display_title": "Väggskärm",
        "display_starting": "Väggskärmen startar…",
        "display_continue": "Fortsätt",
        "revoked_title": "Åtkomsten är återkallad",
        "revoked": "Den här skärmens åtkomst har återkallats. En administratör kan skapa en "
                   "ny skärmnyckel på administrationssidan och öppna dess adress på skärmen.",
        "display_unavailable": "Tjänsten är inte tillgänglig just nu. Skärmen försöker igen "
                               "var {seconds}:e sekund.",
    },
}

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
