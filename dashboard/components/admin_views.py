"""Builders of /admin's team screens: the saved views, the form that edits one, and the
form that sets a screen's (display token's) view and language.

Plain data in, components out; the callbacks are in pages/admin.py.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import quote

from dash import dcc, html
from dash.development.base_component import Component

from specs.languages import LANGUAGES
from storage import DisplayRow, ViewRow

from ..i18n import t
from ..readmodel import QueueView
from . import format as fmt

# Component ids, "adm-" first (browser tests use the strings).
ADM_VIEWS = "adm-views"
ADM_VIEWS_MESSAGE = "adm-views-message"
ADM_VIEWS_CHANGED = "adm-views-changed"  # set after a view or a screen's settings changed
ADM_VIEW_PICK = "adm-view-pick"  # the view edited: its id, or NEW_VIEW
ADM_VIEW_NAME = "adm-view-name"
ADM_VIEW_TITLE = "adm-view-title"
ADM_VIEW_QUEUES = "adm-view-queues"  # a multi-select: the order chosen is the screen's
ADM_VIEW_SAVE = "adm-view-save"
# A view's delete button (a confirm dialog): {"type": ADM_VIEW_DELETE, "view": id}.
ADM_VIEW_DELETE = "adm-view-delete"
ADM_SCREEN_PICK = "adm-screen-pick"  # a display token's id
ADM_SCREEN_VIEW = "adm-screen-view"  # a view's id, or WHOLE_SITE
ADM_SCREEN_LANG = "adm-screen-lang"  # "default", "en", "sv"
ADM_SCREEN_SAVE = "adm-screen-save"

NEW_VIEW = 0  # the pick's value for a view not saved yet
WHOLE_SITE = 0  # the screen's view: none, every queue
VIEW_PATH = "/?view="


def view_url(public_url: str, name: str) -> str:
    return f"{public_url.rstrip('/')}{VIEW_PATH}{quote(name, safe='')}"


def build_views(
    views: Sequence[ViewRow], displays: Sequence[DisplayRow], queue_names: Mapping[str, str],
    public_url: str, lang: str,
) -> Component:
    """The saved views: name, title, queues in order (by name), the address a logged-in
    user opens it at, the screens showing it, and a delete button."""
    if not views:
        return html.P(t("adm_no_views", lang), className="muted")
    header = html.Tr([html.Th(t(f"adm_col_view_{name}", lang))
                      for name in ("name", "title", "queues", "url", "screens")]
                     + [html.Th("")])
    body = []
    for view in views:
        screens = [d.name for d in displays if d.view_id == view.id and not d.revoked]
        url = view_url(public_url, view.name)
        body.append(html.Tr([
            html.Td(view.name),
            html.Td(view.title),
            html.Td(", ".join(queue_label(q, queue_names, lang) for q in view.queue_ids)),
            html.Td(html.A(url, href=url, className="adm-views__url")),
            html.Td(", ".join(screens) or "–"),
            html.Td(dcc.ConfirmDialogProvider(
                html.Button(t("adm_view_delete", lang),
                            className="button button--small button--danger"),
                id={"type": ADM_VIEW_DELETE, "view": view.id},
                message=t("adm_view_delete_confirm", lang, name=view.name))),
        ], **fmt.data_attributes(view=view.name)))
    return html.Table([html.Thead(header), html.Tbody(body)], className="table adm-views")


def queue_label(queue_id: str, queue_names: Mapping[str, str], lang: str) -> str:
    name = queue_names.get(queue_id)
    return f"{name} ({queue_id})" if name is not None else t("adm_view_gone_queue", lang,
                                                              id=queue_id)


def queue_names(queues: Sequence[QueueView]) -> dict[str, str]:
    """Queue id -> name, of the queues the Trio server reports (the snapshot's)."""
    return {queue.id: queue.name for queue in queues}


def queue_options(
    names: Mapping[str, str], chosen: Sequence[str], lang: str,
) -> list[dict[str, str]]:
    """Every queue reported, by name, and the chosen ones that are gone (so a view's
    gone queue can be kept or taken out)."""
    options = [{"label": queue_label(queue_id, names, lang), "value": queue_id}
               for queue_id, _ in sorted(names.items(), key=lambda item: item[1].casefold())]
    gone = [queue_id for queue_id in chosen if queue_id not in names]
    return options + [{"label": queue_label(q, names, lang), "value": q} for q in gone]


def view_options(views: Sequence[ViewRow], lang: str, *, none_key: str) -> list[dict[str, Any]]:
    return [{"label": t(none_key, lang), "value": 0},
            *({"label": f"{view.title} ({view.name})", "value": view.id} for view in views)]


def screen_options(displays: Sequence[DisplayRow]) -> list[dict[str, Any]]:
    return [{"label": d.name, "value": d.id} for d in displays if not d.revoked]


def build_view_form(lang: str) -> html.Div:
    """Edit a view (or make one): pick it, then its name, title and queues in order."""
    return html.Div([
        html.Div([
            _field("adm_view_pick", dcc.Dropdown(
                id=ADM_VIEW_PICK, clearable=False, value=NEW_VIEW,
                options=[{"label": t("adm_view_new", lang), "value": NEW_VIEW}]), lang),
            _field("adm_col_view_name", dcc.Input(id=ADM_VIEW_NAME, type="text", maxLength=64,
                                                  className="input", autoComplete="off"), lang),
            _field("adm_col_view_title", dcc.Input(id=ADM_VIEW_TITLE, type="text",
                                                   maxLength=100, className="input",
                                                   autoComplete="off"), lang),
        ], className="form__fields"),
        html.Div([
            _field("adm_col_view_queues", dcc.Dropdown(
                id=ADM_VIEW_QUEUES, multi=True, options=[], value=[],
                placeholder=t("adm_col_view_queues", lang),
                className="adm-views__queues"), lang),
        ], className="form__fields"),
        html.Div(html.Button(t("adm_view_save", lang), id=ADM_VIEW_SAVE, className="button"),
                 className="form__buttons"),
    ], className="form")


def build_screen_form(lang: str) -> html.Div:
    """A screen's view and language (a token's language can be changed here too)."""
    return html.Div([
        html.H3(t("adm_screen_settings", lang), className="section__title"),
        html.Div([
            _field("adm_screen_pick", dcc.Dropdown(
                id=ADM_SCREEN_PICK, options=[], placeholder=t("adm_screen_pick", lang)), lang),
            _field("adm_col_view", dcc.Dropdown(
                id=ADM_SCREEN_VIEW, clearable=False, value=WHOLE_SITE,
                options=[{"label": t("adm_view_whole_site", lang), "value": WHOLE_SITE}]),
                lang),
            _field("adm_col_language", dcc.Dropdown(
                id=ADM_SCREEN_LANG, clearable=False, searchable=False, value="default",
                options=[{"label": t(f"adm_lang_{code}", lang), "value": code}
                         for code in ("default", *LANGUAGES)]), lang),
        ], className="form__fields"),
        html.Div(html.Button(t("adm_screen_save", lang), id=ADM_SCREEN_SAVE,
                             className="button"), className="form__buttons"),
    ], className="form")


def _field(label_key: str, control: Component, lang: str) -> html.Label:
    return html.Label([html.Span(t(label_key, lang), className="field__label"), control],
                      className="field")
