"""The wall screen's settings, filled in by trio_monitor from its own settings."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DashboardConfig:
    """Display settings. Times are seconds; percentages are 0-100.

    ``poll_interval_s`` is the collector's interval: a queue is stale when its newest
    values are older than ``stale_after_polls`` of them.
    """

    site_name: str = "Trio Monitor"
    source_name: str = "trio"
    refresh_interval_s: float = 5.0
    poll_interval_s: float = 5.0
    stale_after_polls: int = 3
    sl_target_pct: float = 80.0
    sl_threshold_s: int = 20
    default_language: str = "en"
    lease_name: str = "collector"
    logout_form: bool = True
    # Alert rules (/thresholds): the configured notification channels' names, offered
    # for routing; the time zone a new rule's windows start in.
    channels: tuple[str, ...] = ()
    timezone: str = "Europe/Stockholm"
    # Where people reach the site (TRIO_MONITOR_PUBLIC_URL): the base of the links pages
    # build (a display token's address, notification links), never a request's Host
    # header. Empty: links are paths on this site.
    public_url: str = ""
    # The collector's status file (specs.collector_status): /health shows a database that
    # refuses writes from it. Empty: none.
    collector_status_path: str = ""

    @property
    def stale_after_ms(self) -> int:
        return int(self.stale_after_polls * self.poll_interval_s * 1000)

    @property
    def connection_lost_after_ms(self) -> int:
        """How long a screen waits for a heartbeat before saying the server is gone."""
        return int(2.5 * self.refresh_interval_s * 1000)
