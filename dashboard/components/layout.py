"""The wall screen's static frame; the refresh callback fills in the rest."""

from __future__ import annotations

from typing import Any

from dash import dcc, html
from dash.development.base_component import Component

from auth import current_user

from .. import ids, registry
from .._config import DashboardConfig
from .._language import current_language
from .._paths import app_path
from ..i18n import Lang, t

LOGOUT_URL = "/logout"
SOUND_OFF_CLASS = "sound__button"  # assets/alerts.js sets "sound__button--on" when on
CSRF_FIELD = "csrf_token"


def build_layout(
    config: DashboardConfig, csrf_token: str | None, *, view: str | None = None,
) -> html.Div:
    """``csrf_token`` is put into the logout form (shown if ``config.logout_form``).
    ``view``: the team view the address asked for (``?view=``), for the callbacks."""
    lang = current_language(config.default_language)
    return html.Div(
        [
            dcc.Store(id=ids.WALLBOARD_VIEW, data=view if isinstance(view, str) else None),
            # The visitor's language (dashboard/_language.py), for the callbacks.
            dcc.Store(id=ids.WALLBOARD_LANG, data=lang.value),
            dcc.Store(id=ids.WALLBOARD_HEARTBEAT, storage_type="memory"),
            dcc.Store(id=ids.WALLBOARD_HEARTBEAT_SEEN, storage_type="memory"),
            dcc.Store(
                id=ids.WALLBOARD_WATCHDOG_CONFIG,
                # The clock (assets/wallboard.js) shows the site's zone, not the screen's.
                data={"lostAfterMs": config.connection_lost_after_ms,
                      "timeZone": config.timezone},
            ),
            dcc.Interval(id=ids.WALLBOARD_REFRESH,
                         interval=int(config.refresh_interval_s * 1000)),
            dcc.Interval(id=ids.WALLBOARD_TICK, interval=1000),
            # The beep on a new critical alert: switched per screen, off until switched on.
            dcc.Store(id=ids.ALR_WALL_SOUND, storage_type="local"),
            dcc.Store(id=ids.ALR_WALL_CRITICAL, storage_type="memory"),
            dcc.Store(id=ids.ALR_WALL_BEEPED, storage_type="memory"),
            _top_bar(config, csrf_token, lang),
            html.Div(id=ids.WALLBOARD_STRIP, className="strip", role="status"),
            html.Main(id=ids.WALLBOARD_TILES, className="tiles"),
            html.Div(
                html.Div(t("connection_lost", lang), id=ids.WALLBOARD_OVERLAY_TEXT,
                         className="overlay__text"),
                id=ids.WALLBOARD_OVERLAY,
                className="overlay overlay--hidden",
                role="alert",
            ),
        ],
        className="wallboard",
    )


def build_nav(active: str, lang: str, *, role: str | None = None,
              nav_id: str | None = None) -> html.Nav:
    """The links to the pages that declare ``nav=`` (dashboard/registry.py) and are
    shown to ``role``: the viewer's role (None: the current request's user, see
    ``nav_role``). Administrators also get /admin, a wall screen (display) no links."""
    role = nav_role() if role is None else role
    return html.Nav(
        [
            dcc.Link(t(key, lang), href=app_path(path),
                     className="nav__link nav__link--active" if path == active
                     else "nav__link")
            for path, key in registry.nav_links(role)
        ],
        className="nav",
        **_given_id(nav_id),
    )


def _given_id(element_id: str | None) -> dict[str, Any]:
    """``id=element_id`` when there is one (Dash would send an explicit None)."""
    return {"id": element_id} if element_id else {}


def nav_role() -> str:
    """The current request's user's role ("" outside a request or without a user)."""
    user = current_user()
    return user.role.value if user is not None else ""


def _top_bar(config: DashboardConfig, csrf_token: str | None, lang: Lang) -> html.Header:
    """Site, clock, summary, then the controls; never wraps (assets/wallboard.css). The
    navigation sits behind a menu button: with alerts firing the summary needs the room."""
    controls: list[Component] = [
        # A button of the bar's size (assets/wallboard.css), named for a screen reader:
        # the note is only its picture.
        html.Button(html.Span("♪", className="sound__icon", **_aria(hidden="true")),
                    id=ids.ALR_WALL_SOUND_BUTTON, type="button", title=t("alr_sound", lang),
                    className=SOUND_OFF_CLASS, **_aria(label=t("alr_sound", lang))),
        language_switch(ids.WALLBOARD_LANG_EN, ids.WALLBOARD_LANG_SV, lang),
    ]
    if config.logout_form:
        # An interactive session (not a kiosk): a discreet way to the other pages.
        controls.insert(0, build_nav("/", lang, nav_id=ids.WALLBOARD_NAV))
        controls.append(logout_form(csrf_token, lang, ids.WALLBOARD_LOGOUT_BUTTON))
    return html.Header(
        [
            html.Div(config.site_name, id=ids.WALLBOARD_TITLE, className="topbar__site",
                     title=config.site_name),
            html.Div(id=ids.WALLBOARD_CLOCK, className="topbar__clock",
                     title=t("times_in", lang, zone=config.timezone)),
            html.Div(id=ids.WALLBOARD_SUMMARY, className="summary"),
            *top_bar_controls(controls, lang, with_menu=config.logout_form,
                              menu_id=ids.WALLBOARD_MENU),
        ],
        className="topbar topbar--wall",
    )


def wall_bar_texts(config: DashboardConfig, lang: str) -> tuple[Any, ...]:
    """What the wall's bar says in ``lang`` beyond what the refresh renders, for a
    language switch without a reload (the pages' frame does the same: ``pageframe.
    build_frame_texts``): the clock's title, the sound button's title and name, the
    language buttons' titles, then with ``config.logout_form`` the menu button's title
    and the navigation's links (the viewer's: never in the shared refresh response)."""
    sound = t("alr_sound", lang)
    texts: tuple[Any, ...] = (t("times_in", lang, zone=config.timezone), sound, sound,
                              *language_titles(lang))
    if config.logout_form:
        texts += (t("lay_menu_title", lang), build_nav("/", lang).children)
    return texts


def language_titles(lang: str) -> tuple[str, str]:
    """The EN and SV buttons' titles in ``lang``."""
    return t("language", lang), t("language", lang)


def _aria(**values: str) -> dict[str, Any]:
    """``aria-<name>`` attributes (Dash passes ``aria-*`` through as they are)."""
    return {f"aria-{name}": value for name, value in values.items()}


def top_bar_controls(
    controls: list[Component], lang: str, *, with_menu: bool, menu_id: str | None = None,
) -> list[Component]:
    """The controls of a top bar, after a menu button (assets/layout.js opens it) when
    ``with_menu``. What the menu holds depends on the width (assets/wallboard.css): on the
    wall screen the navigation, on a phone everything (navigation, language, logout)."""
    panel = html.Div(controls, className="topbar__controls")
    if not with_menu:
        return [panel]
    # An icon, not a word: its title (``menu_id``'s, set again by the frame's language
    # callback) follows a switch of language, an icon needs nothing more.
    button = html.Button(
        "☰", className="menu__button", type="button", title=t("lay_menu_title", lang),
        **_given_id(menu_id),
    )
    return [button, panel]


def language_switch(en_id: str, sv_id: str, lang: str) -> html.Div:
    """The EN / SV buttons of a top bar; a callback marks the active one."""
    return html.Div(
        [
            html.Button("EN", id=en_id, className="lang__button", title=t("language", lang)),
            html.Button("SV", id=sv_id, className="lang__button", title=t("language", lang)),
        ],
        className="lang",
    )


def logout_form(csrf_token: str | None, lang: Lang, button_id: str) -> html.Form:
    return html.Form(
        [
            dcc.Input(type="hidden", name=CSRF_FIELD, value=csrf_token or ""),
            html.Button(t("log_out", lang), id=button_id, type="submit",
                        className="logout__button"),
        ],
        method="POST",
        action=app_path(LOGOUT_URL),
        className="logout",
    )
