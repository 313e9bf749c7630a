"""The frame of /health and /drift: a top bar with the site name, the page title,
navigation, language and logout; the page's own content below. Scrolls, unlike the
wall screen."""

from __future__ import annotations

from dash import dcc, html
from dash.development.base_component import Component

from .. import ids
from .._config import DashboardConfig
from .._language import current_language
from ..i18n import Lang, t
from .layout import (
    build_nav,
    language_switch,
    language_titles,
    logout_form,
    top_bar_controls,
)

ACTIVE_LANG_CLASS = "lang__button lang__button--active"
LANG_CLASS = "lang__button"


def build_frame_texts(
    lang: str, meta: dict[str, str] | None, tz: str
) -> tuple[str, html.Nav, str, str, str, str, str, str, str]:
    """Title, nav, EN and SV button classes, the zone footer, the menu button's and the
    EN and SV buttons' titles, and the logout label (last: not every frame has it) in
    ``lang``."""
    meta = meta or {}
    return (
        t(meta.get("title", "health_title"), lang),
        build_nav(meta.get("path", ""), lang),
        ACTIVE_LANG_CLASS if lang == Lang.EN else LANG_CLASS,
        ACTIVE_LANG_CLASS if lang == Lang.SV else LANG_CLASS,
        t("times_in", lang, zone=tz),
        t("lay_menu_title", lang),
        *language_titles(lang),
        t("log_out", lang),
    )


def build_page_frame(
    config: DashboardConfig,
    csrf_token: str | None,
    path: str,
    title_key: str,
    content: list[Component],
) -> html.Div:
    lang = current_language(config.default_language)
    controls: list[Component] = [
        html.Div(build_nav(path, lang), id=ids.PAGES_NAV, className="topbar__nav"),
        language_switch(ids.PAGES_LANG_EN, ids.PAGES_LANG_SV, lang),
    ]
    if config.logout_form:
        controls.append(logout_form(csrf_token, Lang(lang), ids.PAGES_LOGOUT_BUTTON))
    return html.Div(
        [
            # The visitor's language (dashboard/_language.py), for the callbacks.
            dcc.Store(id=ids.PAGES_LANG, data=lang.value),
            # What the frame callback needs to translate the top bar.
            dcc.Store(id=ids.PAGES_META, data={"title": title_key, "path": path}),
            html.Header(
                [
                    html.Div(config.site_name, className="topbar__site",
                             title=config.site_name),
                    html.H1(t(title_key, lang), className="page__title",
                            id=ids.PAGES_TITLE),
                    # Navigation, language and logout; behind a menu button where the
                    # bar is too narrow for them (a phone, assets/wallboard.css).
                    *top_bar_controls(controls, lang, with_menu=True,
                                      menu_id=ids.PAGES_MENU),
                ],
                className="topbar page__topbar",
            ),
            *content,
            # Every time on the page is in the site's zone: said once, for a reader
            # elsewhere (a time in a table has its zone in its title too).
            html.Footer(t("times_in", lang, zone=config.timezone), id=ids.PAGES_ZONE,
                        className="page__zone muted"),
        ],
        className="page",
    )
