"""/drift: drift over time, what drifts now, the reconcilers' own health, and how long
drift lasted before it was reconciled."""

from __future__ import annotations

from collections.abc import Sequence

from dash import html
from dash.development.base_component import Component

from specs.text import stored
from storage import DriftEventRow

from ..i18n import t
from ..opsmodel import OpsSnapshot, ReconcilerView
from ..sites import DAY_MS, DriftView, duration_bins
from . import charts
from . import format as fmt
from .health import last_success_text, state_badge
from .tables import card_table


def build_drift_page(snapshot: OpsSnapshot, now_ms: int, lang: str, tz: str) -> list[Component]:
    """The page's sections (charts.graph draws them legible from four metres on a
    display session's screen, like every chart)."""
    if snapshot.db_error is not None:
        return [html.Div(f"{t('db_unavailable', lang)}: {snapshot.db_error}",
                         className="page__banner")]
    labels, counts = zip(*duration_bins(snapshot.durations_ms), strict=True)
    return [
        _section(t("drifting_now", lang), build_drift_table(snapshot.drift, now_ms, lang, tz)),
        _section(t("drift_over_time", lang),
                 # Counts over the last 24 h (opsmodel): steps, over the whole day.
                 charts.graph(charts.time_lines(snapshot.drift_counts, tz,
                                                span=(now_ms - DAY_MS, now_ms), step=True),
                              "chart")
                 if snapshot.drift_counts else _muted(t("no_data_yet", lang))),
        _section(t("reconcilers", lang), build_reconcilers(snapshot.reconcilers, now_ms, lang, tz)),
        _section(t("drift_durations", lang),
                 charts.graph(charts.bars(labels, counts), "chart")
                 if snapshot.durations_ms else _muted(t("no_data_yet", lang))),
        _section(t("recent_drift_events", lang),
                 build_drift_events(snapshot.drift_events, now_ms, lang, tz)),
    ]


def build_drift_table(drift: Sequence[DriftView], now_ms: int, lang: str, tz: str) -> Component:
    """Rows in the given order (the read model gives longest first)."""
    if not drift:
        return _muted(t("no_drift_now", lang))
    header = ["col_resource", "col_provider", "col_field", "col_desired_actual", "col_since",
              "col_how_long"]
    return card_table([t(key, lang) for key in header], [
        html.Tr([
            html.Td(item.resource_id), html.Td(item.provider), html.Td(item.field),
            html.Td(f"{item.desired} → {item.actual}"),
            html.Td(fmt.moment(item.since_ms, now_ms, tz)),
            html.Td(fmt.age(now_ms - item.since_ms)),
        ], **fmt.data_attributes(resource=item.resource_id, field=item.field))
        for item in drift
    ], "drift-table")


def build_reconcilers(reconcilers: Sequence[ReconcilerView], now_ms: int,
                      lang: str, tz: str) -> Component:
    if not reconcilers:
        return _muted(t("no_reconcilers", lang))
    return html.Div([build_reconciler(r, now_ms, lang, tz) for r in reconcilers],
                    className="cards cards--wide")


def build_reconciler(view: ReconcilerView, now_ms: int, lang: str, tz: str) -> html.Div:
    status = view.status
    healthy = ("–" if view.healthy is None
               else t("healthy", lang) if view.healthy else t("unhealthy", lang))
    last_run = view.last_success_ms
    body: list[Component] = [
        html.Div([html.Span(status.label, className="card__name"),
                  state_badge(status.state, lang), html.Span(healthy, className="badge")],
                 className="card__head"),
        _fact(t("last_run", lang),
              "–" if last_run is None else
              f"{fmt.clock_time(last_run, now_ms, tz)} "
              f"({last_success_text(last_run, now_ms, lang)})",
              "last-run"),
        _fact(t("consecutive_failures", lang), fmt.count(view.consecutive_failures),
              "failures"),
    ]
    if status.last_error:
        body.append(_fact(t("last_error_label", lang), stored(status.last_error, lang, tz=tz),
                          "last-error"))
    body.append(html.Div(t("cycle_trend", lang), className="fact__label"))
    body.append(charts.graph(charts.time_lines({status.label: view.cycle_durations_s}, tz,
                                                span=(now_ms - DAY_MS, now_ms)),
                             "card__chart")
                if view.cycle_durations_s else _muted(t("no_data_yet", lang)))
    return html.Div(body, className=f"card card--{status.state.value}",
                    **fmt.data_attributes(source=status.name, state=status.state.value))


def build_drift_events(events: Sequence[DriftEventRow], now_ms: int,
                       lang: str, tz: str) -> Component:
    if not events:
        return _muted(t("no_data_yet", lang))
    rows = []
    for event in events:
        what = (t("drift_reconciled", lang, age=fmt.age(event.duration_ms))
                if event.duration_ms is not None else t("drift_started", lang))
        rows.append(html.Tr([
            html.Td(fmt.moment(event.ts_ms, now_ms, tz)), html.Td(event.resource_id),
            html.Td(event.field), html.Td(f"{event.desired or '–'} → {event.actual or '–'}"),
            html.Td(what),
        ]))
    return html.Table(html.Tbody(rows), className="table drift-events")


def _fact(label: str, value: str, name: str) -> html.Div:
    return html.Div([html.Span(label, className="fact__label"),
                     html.Span(value, className="fact__value")],
                    className=f"fact fact--{name}")


def _section(title: str, body: Component) -> html.Section:
    return html.Section([html.H3(title, className="section__title"), body],
                        className="page__section")


def _muted(text: str) -> html.Div:
    return html.Div(text, className="muted")
