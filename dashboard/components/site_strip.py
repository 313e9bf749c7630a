"""The wall screen's row for workers and drift: counts and the worst item of each."""

from __future__ import annotations

from collections.abc import Sequence

from dash import html

from specs.health import HealthState
from specs.text import stored

from ..i18n import t, tn
from ..sites import DRIFT_KIND, HEALTH_KIND, DriftView, SourceStatus, state_counts, worst
from . import format as fmt

_COUNTED = (HealthState.UP, HealthState.DEGRADED, HealthState.DOWN)


def build_site_strip(
    others: Sequence[SourceStatus], drift: Sequence[DriftView], now_ms: int, lang: str
) -> list[html.Div]:
    """One row, or nothing when the site has neither workers nor reconcilers.

    ``drift`` is longest first (as the read model orders it)."""
    workers = [s for s in others if s.kind == HEALTH_KIND and s.enabled]
    reconcilers = [s for s in others if s.kind == DRIFT_KIND]
    parts: list[html.Span] = []
    if workers:
        parts.append(_workers(workers, lang))
    if reconcilers or drift:
        parts.append(_drift(reconcilers, drift, now_ms, lang))
    if not parts:
        return []
    return [html.Div(parts, className="site", role="status")]


def workers_text(workers: Sequence[SourceStatus], lang: str) -> str:
    counts = state_counts(workers)
    text = f"{t('workers', lang)}: " + " / ".join(
        t(f"n_{state.value}", lang, n=counts[state]) for state in _COUNTED
    )
    if counts[HealthState.PENDING]:
        text += " / " + t("n_pending", lang, n=counts[HealthState.PENDING])
    bad = worst(workers)
    return f"{text} · {state_text(bad, lang)}" if bad else text


def state_text(status: SourceStatus, lang: str) -> str:
    """``worker-3 DOWN: HTTP 503``."""
    head = f"{status.label} {t(f'state_{status.state.value}', lang)}"
    return f"{head}: {stored(status.reason, lang)}" if status.reason else head


def drift_text(
    reconcilers: Sequence[SourceStatus], drift: Sequence[DriftView], now_ms: int, lang: str
) -> str:
    parts = []
    bad = worst(reconcilers)
    if bad is not None:
        parts.append(state_text(bad, lang))
    if not drift:
        parts.append(t("no_drift", lang))
    else:
        longest = drift[0]
        parts.append(tn("drifting", len(drift), lang))
        parts.append(t("drift_item", lang, resource=longest.resource_id, field=longest.field,
                       desired=longest.desired, actual=longest.actual,
                       age=fmt.age(now_ms - longest.since_ms)))
    return " · ".join(parts)


def _workers(workers: Sequence[SourceStatus], lang: str) -> html.Span:
    bad = worst(workers)
    level = bad.state.value if bad else HealthState.UP.value
    return html.Span(workers_text(workers, lang), className=f"site__part site__part--{level}",
                     **fmt.data_attributes(part="workers", level=level))


def _drift(
    reconcilers: Sequence[SourceStatus], drift: Sequence[DriftView], now_ms: int, lang: str
) -> html.Span:
    bad = worst(reconcilers)
    level = (bad.state if bad else HealthState.DEGRADED if drift else HealthState.UP).value
    return html.Span(drift_text(reconcilers, drift, now_ms, lang),
                     className=f"site__part site__part--{level}",
                     **fmt.data_attributes(part="drift", level=level))
