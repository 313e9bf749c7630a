"""The Trio site as a kind of source: its one ``TrioSource`` built from the settings."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Engine

from .base import BuildContext, SourceKind, SourcePlan
from .clock import Clock
from .http import HttpConfig, HttpSeam
from .retry import RetryPolicy
from .trio import TrioConfig, TrioSource
from .trio_records import DEFAULT_AGENT_STATE_CODES


def trio_source(settings: Any, http: HttpConfig, clock: Clock) -> TrioSource:
    """The site's source from the settings (its credentials must be set)."""
    assert settings.trio_client_key is not None and settings.trio_password is not None
    config = TrioConfig(
        name=settings.trio_source_name,
        base_url=settings.trio_base_url,
        client_key=settings.trio_client_key.get_secret_value(),
        username=settings.trio_username,
        password=settings.trio_password.get_secret_value(),
        queue_fields=settings.queue_fields,
        agent_fields=settings.agent_fields,
        ccid=settings.trio_ccid,
        charset=settings.trio_charset.value,
        page_size=settings.trio_page_size,
        page_concurrency=settings.trio_page_concurrency,
        refresh_margin_s=settings.trio_token_refresh_margin_s,
        collect_agents=settings.trio_collect_agents,
        secondary_url=settings.trio_secondary_url,
        failback_check_s=settings.trio_failback_check_s,
        agent_state_codes=dict(settings.trio_agent_state_codes or DEFAULT_AGENT_STATE_CODES),
        timezone=settings.timezone,
    )
    seam = HttpSeam(http, clock=clock, name=settings.trio_source_name)
    retry = RetryPolicy(
        max_attempts=settings.retry_max_attempts,
        base_delay_s=settings.retry_base_delay_s,
        max_delay_s=settings.retry_max_delay_s,
    )
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
