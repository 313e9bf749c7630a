"""The Trio site as a kind of source: its one ``TrioSource`` built from the settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from .base import BuildContext, SourceKind, SourcePlan
from .clock import Clock
from .http import HttpConfig, HttpSeam
from .retry import RetryPolicy
from .trio import TrioConfig, TrioSource


def trio_source(settings: Any, http: HttpConfig, clock: Clock) -> TrioSource:
    """The site's source from the settings (its credentials must be set); the settings
    build its config and retry policy (``trio_monitor.settings``)."""
    config: TrioConfig = settings.trio_config(timezone=settings.timezone)
    seam = HttpSeam(http, clock=clock, name=settings.trio_source_name)
    retry: RetryPolicy = settings.retry_policy()
    return TrioSource(config, seam, retry=retry, clock=clock)


def _plan(ctx: BuildContext) -> SourcePlan:
    if not ctx.settings.trio_base_url:
        return SourcePlan()
    return SourcePlan(sources=[trio_source(ctx.settings, ctx.http, ctx.clock)])


def _watched(settings: Any, engine: Engine) -> set[str]:
    return {settings.trio_source_name} if settings.trio_base_url else set()


def _intervals(settings: Any, engine: Engine) -> dict[str, float]:
    # Also when no site is configured: values stored by an earlier one go stale.
    return {settings.trio_source_name: settings.poll_interval_s}


KIND = SourceKind(plan=_plan, watched=_watched, intervals=_intervals)
