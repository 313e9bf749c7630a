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
    others: Sequence[SourceStatus], drift: Sequence[DriftView], now_ms: int, lang: str,
    tz: str,
) -> list[html.Div]:
    """One row, or nothing when the site has neither workers nor reconcilers.

    ``drift`` is longest first (as the read model orders it)."""
    workers = [s for s in others if s.kind == HEALTH_KIND and s.enabled]
    reconcilers = [s for s in others if s.kind == DRIFT_KIND]
    parts: list[html.Span] = []
    if workers:
        parts.append(_workers(workers, lang, tz))
    if reconcilers or drift:
        parts.append(_drift(reconcilers, drift, now_ms, lang, tz))
    if not parts:
        return []
    return [html.Div(parts, className="site", role="status")]


def workers_text(workers: Sequence[SourceStatus], lang: str, tz: str) -> str:
    """``Workers: 3 up / 0 degraded / 1 down · worker-3 DOWN: HTTP 503``."""
    figure, detail = _workers_parts(workers, lang, tz)
    return f"{figure} · {detail}" if detail else figure


def _workers_parts(workers: Sequence[SourceStatus], lang: str, tz: str) -> tuple[str, str]:
    """The counts (never cut on the screen) and the worst worker's state ("" if none)."""
    counts = state_counts(workers)
    text = f"{t('workers', lang)}: " + " / ".join(
        t(f"n_{state.value}", lang, n=counts[state]) for state in _COUNTED
    )
    if counts[HealthState.PENDING]:
        text += " / " + t("n_pending", lang, n=counts[HealthState.PENDING])
    bad = worst(workers)
    return text, state_text(bad, lang, tz) if bad else ""


def state_text(status: SourceStatus, lang: str, tz: str) -> str:
    """``worker-3 DOWN: HTTP 503``."""
    head = f"{status.label} {t(f'state_{status.state.value}', lang)}"
    return f"{head}: {stored(status.reason, lang, tz=tz)}" if status.reason else head


def drift_text(
    reconcilers: Sequence[SourceStatus], drift: Sequence[DriftView], now_ms: int, lang: str,
    tz: str,
) -> str:
    figure, detail = _drift_parts(reconcilers, drift, now_ms, lang, tz)
    return f"{figure} · {detail}" if detail else figure


def _drift_parts(
    reconcilers: Sequence[SourceStatus], drift: Sequence[DriftView], now_ms: int, lang: str,
    tz: str,
) -> tuple[str, str]:
    """How many resources drift (or "no drift"), then the reconciler in trouble and the
    longest drift."""
    details = []
    bad = worst(reconcilers)
    if bad is not None:
        details.append(state_text(bad, lang, tz))
    if not drift:
        return t("no_drift", lang), " · ".join(details)
    longest = drift[0]
    details.append(t("drift_item", lang, resource=longest.resource_id, field=longest.field,
                     desired=longest.desired, actual=longest.actual,
                     age=fmt.age(now_ms - longest.since_ms)))
    return tn("drifting", len(drift), lang), " · ".join(details)


def _part(figure: str, detail: str, level: str, part: str, lang: str) -> html.Span:
    """The figure whole; the detail after it cut to the room left (a .clip, see
    assets/wallboard.css), whole in its title and on a click."""
    children: list[html.Span] = [html.Span(figure, className="site__figure")]
    if detail:
        children.append(html.Span(f"· {detail}", className="site__detail clip",
                                  title=f"{detail} ({t('lay_more', lang)})"))
    return html.Span(children, className=f"site__part site__part--{part} "
                     f"site__part--{level}", **fmt.data_attributes(part=part, level=level))


def _workers(workers: Sequence[SourceStatus], lang: str, tz: str) -> html.Span:
    bad = worst(workers)
    level = bad.state.value if bad else HealthState.UP.value
    return _part(*_workers_parts(workers, lang, tz), level, "workers", lang)


def _drift(
    reconcilers: Sequence[SourceStatus], drift: Sequence[DriftView], now_ms: int, lang: str,
    tz: str,
) -> html.Span:
    bad = worst(reconcilers)
    level = (bad.state if bad else HealthState.DEGRADED if drift else HealthState.UP).value
    return _part(*_drift_parts(reconcilers, drift, now_ms, lang, tz), level, "drift", lang)
