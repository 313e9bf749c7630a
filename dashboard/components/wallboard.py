"""Everything the wall screen's refresh callback renders, from one snapshot."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from dash import html
from dash.development.base_component import Component

from .._config import DashboardConfig
from ..i18n import t
from ..readmodel import Snapshot
from ..status import QueueAlerts, alerts_by_queue, critical_alert_ids, site_state
from . import format as fmt
from .site_strip import build_site_strip
from .strip import build_status_strip, no_collector_text
from .tiles import build_tiles
from .topbar import build_summary


@dataclass(frozen=True, slots=True)
class WallboardParts:
    summary: list[html.Div | html.A]
    strip: list[html.Div]
    tiles: list[Component]
    logout_label: str
    overlay_text: str
    # Workers and drift in one row, shown above the status strip's alerts.
    site: list[html.Div] = field(default_factory=list)
    # Ids of the critical alerts firing now: the screen beeps on one it has not seen.
    critical_ids: list[str] = field(default_factory=list)


def build_wallboard(
    snapshot: Snapshot, now_ms: int, lang: str, config: DashboardConfig
) -> WallboardParts:
    """When no number on the screen can be current (database unreadable, no collector),
    the tiles are replaced by one banner saying so."""
    alerts = alerts_by_queue(snapshot, now_ms, config.source_name)
    return WallboardParts(
        summary=build_summary(site_state(snapshot, now_ms, config, alerts), lang),
        strip=build_status_strip(snapshot, now_ms, lang, config.timezone),
        tiles=build_tile_area(snapshot, now_ms, lang, config, alerts),
        logout_label=t("log_out", lang),
        overlay_text=t("connection_lost", lang),
        site=[] if snapshot.db_error is not None
        else build_site_strip(snapshot.others, snapshot.drift, now_ms, lang),
        critical_ids=critical_alert_ids(snapshot, now_ms),
    )


def build_tile_area(
    snapshot: Snapshot, now_ms: int, lang: str, config: DashboardConfig,
    alerts: Mapping[str, QueueAlerts],
) -> list[Component]:
    if snapshot.db_error is not None:
        return [_banner(t("db_unavailable", lang), "db-unavailable")]
    if not snapshot.collector_active:
        text = no_collector_text(snapshot, now_ms, lang, config.timezone)
        return [_banner(text, "no-collector")]
    if not snapshot.queues:
        return [_banner(t("no_queues", lang), "no-queues")]
    return build_tiles(snapshot.queues, now_ms, lang, config, alerts, snapshot.source)


def _banner(text: str, kind: str) -> html.Div:
    return html.Div(text, className=f"banner banner--{kind}", **fmt.data_attributes(banner=kind))
