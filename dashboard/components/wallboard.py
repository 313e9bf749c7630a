"""Everything the wall screen's refresh callback renders, from one snapshot."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from dash import html
from dash.development.base_component import Component

from storage import ViewRow

from .. import ids
from .._config import DashboardConfig
from ..i18n import t
from ..readmodel import QueueView, Snapshot
from ..status import (
    NO_ALERTS,
    QueueAlerts,
    TileLevel,
    alerts_by_queue,
    critical_alert_ids,
    site_state,
)
from ..teams import GoneQueue, site_screen, team_screen
from . import format as fmt
from .site_strip import build_site_strip
from .strip import build_status_strip, no_collector_text
from .tiles import build_tile, build_tiles
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
    # The top bar's title: the site's name, or the team view's title.
    title: str = ""


def build_wallboard(
    snapshot: Snapshot, now_ms: int, lang: str, config: DashboardConfig,
    view: ViewRow | None = None,
) -> WallboardParts:
    """When no number on the screen can be current (database unreadable, no collector),
    the tiles are replaced by one banner saying so. ``view``: a team's screen, its
    queues in its order, its totals, its queues' alerts (dashboard/teams.py)."""
    # A queue that left the Trio server is gone, as on a team's screen (one rule:
    # teams.is_gone), out of the totals; never while the server is out (then: stale).
    if view is not None:
        team = team_screen(snapshot, view, now_ms, config)
        return _screen_parts(snapshot, team.snapshot, team.order, now_ms, lang, config,
                             title=view.title, service_level=True)
    shown, order = site_screen(snapshot, now_ms, config)
    return _screen_parts(snapshot, shown, order, now_ms, lang, config,
                         title=config.site_name, service_level=False)


def _screen_parts(
    snapshot: Snapshot, shown: Snapshot, order: Sequence[QueueView | GoneQueue],
    now_ms: int, lang: str, config: DashboardConfig, *, title: str, service_level: bool,
) -> WallboardParts:
    """The wall's parts for the queues of ``order`` (``shown``: the snapshot narrowed to
    those still reported): the whole site's or a team's. The status strip and the
    workers' row are the site's on every screen."""
    alerts = alerts_by_queue(shown, now_ms, config.source_name)
    tiles = build_tile_area(snapshot, now_ms, lang, config, alerts)
    if snapshot.db_error is None and snapshot.collector_active and snapshot.queues:
        tiles = _ordered_tiles(order, shown, now_ms, lang, config, alerts)
    return WallboardParts(
        summary=build_summary(site_state(shown, now_ms, config, alerts), lang,
                              service_level=service_level),
        strip=build_status_strip(snapshot, now_ms, lang, config.timezone),
        tiles=tiles,
        logout_label=t("log_out", lang),
        overlay_text=t("connection_lost", lang),
        site=[] if snapshot.db_error is not None
        else build_site_strip(snapshot.others, snapshot.drift, now_ms, lang, config.timezone),
        critical_ids=critical_alert_ids(shown, now_ms),
        title=title,
    )


def _ordered_tiles(
    order: Sequence[QueueView | GoneQueue], shown: Snapshot, now_ms: int, lang: str,
    config: DashboardConfig, alerts: Mapping[str, QueueAlerts],
) -> list[Component]:
    """A tile per queue in ``order``: present ones with their figures, gone ones quiet."""
    return [build_tile(entry, now_ms, lang, config, alerts.get(entry.id, NO_ALERTS),
                       shown.source)
            if not isinstance(entry, GoneQueue)
            else build_gone_tile(entry, now_ms, lang, config)
            for entry in order]


def build_unknown_view(name: str, lang: str, config: DashboardConfig) -> WallboardParts:
    """``/?view=<name>`` of a view that does not exist (or no longer does)."""
    return WallboardParts(
        summary=[], strip=[],
        tiles=[_banner(t("team_unknown_view", lang, name=name[:64]), "unknown-view")],
        logout_label=t("log_out", lang), overlay_text=t("connection_lost", lang),
        title=config.site_name,
    )


def build_gone_tile(
    queue: GoneQueue, now_ms: int, lang: str, config: DashboardConfig,
) -> html.Div:
    """A queue of the team the Trio server no longer lists: its name (or id), "Gone",
    and since when it was last reported if that is known. No figures: none is current."""
    lines: list[Component] = [
        html.Div(queue.name or queue.id, className="tile__name"),
        html.Div(t("team_gone", lang), className="tile__marker"),
        html.Div(t("team_gone_text", lang), className="tile__gone-text"),
    ]
    if queue.last_seen_ms is not None:
        lines.append(html.Div(t("team_gone_since", lang, time=fmt.short_time(
            queue.last_seen_ms, now_ms, config.timezone)), className="tile__as-of"))
    return html.Div(
        lines, id={"type": ids.WALLBOARD_TILE, "queue": queue.id},
        className=f"tile tile--{TileLevel.GONE.value}",
        **fmt.data_attributes(level=TileLevel.GONE.value, queue=queue.id),
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
