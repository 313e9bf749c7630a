"""The language a page is rendered in, and keeping the visitor's choice.

The choice is the server's, not the browser tab's: a logged-in user's is stored on the
user (their next login in any browser starts in it), a wall screen's on its display
token, and every browser keeps its own in the ``lang`` cookie that the login page reads
too (``auth.visitor_language``). So every page, and every page a link leads to, starts in
the chosen language; the page's language store only carries it to the callbacks.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import flask

import auth
from specs.languages import DEFAULT_LANG, Lang

from .i18n import language, t


def current_language(default: str) -> Lang:
    """The language to render the current request in (``default`` outside a request)."""
    if not flask.has_request_context():
        return language(default)
    return language(auth.visitor_language(default), default)


def choose(lang: Lang) -> str:
    """The visitor clicked ``lang``: keep it (cookie, user or display token) and return
    it for the page's language store."""
    if flask.has_request_context():
        auth.remember_language(lang.value)
    return lang.value


def page_title(key: str) -> Callable[..., str]:
    """A page's document title for ``dash.register_page(title=...)``: the text ``key``
    in the visitor's language (Dash calls it per request)."""
    def title(**_path_variables: Any) -> str:
        return t(key, current_language(_default()))
    return title


def _default() -> str:
    from . import _runtime  # at call time: _runtime imports the components, which need us

    if not flask.has_app_context():
        return DEFAULT_LANG
    return _runtime.current().config.default_language
