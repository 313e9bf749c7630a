"""Worker health checks: one GET per poll, judged by status, body conditions and latency.

Every target is its own source ``health:<name>``; the runner schedules it at the target's
interval, keeps its breaker, and stores the state ``assess`` returns. A global semaphore
caps how many checks are in flight, so hundreds of targets share the machine politely.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import Hashable, Iterable
from typing import Any

from sqlalchemy.engine import Engine

from specs.clock import now_ms
from specs.health import HealthState, HealthTarget, parse_condition, status_matches
from storage import HealthTargetStore, Sample, SeriesKey

from ._collector_state import DynamicSources
from .base import Assessment, BuildContext, PollOutcome, Source, SourceKind, SourcePlan
from .clock import Clock
from .deadline import Deadline
from .errors import ErrorKind, SourceError
from .http import HttpConfig, HttpSeam

# Error kinds of the seam that mean "no answer in time" (its own deadline, or a phase).
_TIMEOUT_KINDS = frozenset({ErrorKind.TIMEOUT, ErrorKind.DEADLINE})
# Seam errors that carry a response status (the seam raises every status >= 400).
_STATUS_KINDS = frozenset({ErrorKind.HTTP_STATUS, ErrorKind.AUTH, ErrorKind.RATE_LIMITED})


class HealthSource:
    """A ``collectors.base.Source`` checking one ``HealthTarget``.

    ``poll`` sends exactly one GET (no retries: ``down_after`` absorbs a lost packet) and
    raises ``SourceError`` when the status, a condition or the time limit fails.
    ``owns_seam``: ``aclose`` closes the seam (False when several sources share one).
    """

    kind = "health"

    def __init__(
        self,
        target: HealthTarget,
        seam: HttpSeam,
        *,
        clock: Clock,
        gate: asyncio.Semaphore,
        owns_seam: bool = True,
    ) -> None:
        self.target = target
        self.name = f"health:{target.name}"
        self.url = target.url
        self.interval_s: float | None = target.interval_s
        self._seam = seam
        self._clock = clock
        self._gate = gate
        self._owns_seam = owns_seam
        self._conditions = [parse_condition(text) for text in target.conditions]
        self._key = SeriesKey(
            source=self.name,
            entity_kind="target",
            entity_id=target.name,
            metric="latency_ms",
            unit="ms",
            entity_name=target.name,
        )
        self._last_status: int | None = None

    async def aclose(self) -> None:
        if self._owns_seam:
            await self._seam.aclose()

    async def poll(self, deadline: Deadline) -> PollOutcome:
        await self._acquire_slot(deadline)
        try:
            deadline.check("waiting for a free health-check slot")
            status, body, latency_ms = await self._check(deadline)
        finally:
            self._gate.release()
        self._judge(status, body)
        self._last_status = status
        ts_ms = now_ms(self._clock.time)
        return PollOutcome(samples=[Sample(self._key, ts_ms, latency_ms)], requests=1)

    def assess(
        self, outcome: PollOutcome | None, error: SourceError | None, consecutive_failures: int
    ) -> Assessment | None:
        """Up, or degraded when slower than the latency limit; down once ``down_after``
        checks in a row failed; None (unchanged) for a failure before that."""
        if error is not None:
            if consecutive_failures >= self.target.down_after:
                return (HealthState.DOWN.value, str(error))
            return None
        assert outcome is not None and outcome.samples
        latency = round(outcome.samples[0].value)
        limit = self.target.degraded_latency_ms
        if limit is not None and latency > limit:
            return (HealthState.DEGRADED.value, f"latency {latency} ms > {limit} ms")
        return (HealthState.UP.value, f"HTTP {self._last_status} in {latency} ms")

    # -- one check -------------------------------------------------------------------------

    async def _acquire_slot(self, deadline: Deadline) -> None:
        """Wait for the global concurrency cap, but not past the poll's deadline."""
        try:
            async with asyncio.timeout(deadline.remaining()):
                await self._gate.acquire()
        except TimeoutError:
            raise deadline.error("waiting for a free health-check slot") from None

    async def _check(self, deadline: Deadline) -> tuple[int, bytes | None, float]:
        """(status, body or None when the seam raised an accepted status, latency ms)."""
        limit_s = min(self.target.timeout_s, deadline.remaining())
        started = self._clock.monotonic()
        try:
            response = await self._seam.request(
                "GET", self.target.url, deadline=Deadline(self._clock, limit_s)
            )
        except SourceError as exc:
            latency_ms = (self._clock.monotonic() - started) * 1000
            if exc.status is not None and exc.kind in _STATUS_KINDS:
                if status_matches(self.target.expected_status, exc.status):
                    return exc.status, None, latency_ms
                raise _status_error(exc.status, exc.url) from exc
            if exc.kind in _TIMEOUT_KINDS:
                raise SourceError(
                    f"timeout after {limit_s:.1f} s", kind=ErrorKind.TIMEOUT,
                    retryable=False, url=exc.url,
                ) from exc
            raise
        latency_ms = (self._clock.monotonic() - started) * 1000
        if not status_matches(self.target.expected_status, response.status):
            raise _status_error(response.status, response.url)
        return response.status, response.body, latency_ms

    def _judge(self, status: int, body: bytes | None) -> None:
        """Raise the reasons of failed conditions as one ``SourceError``."""
        if not self._conditions:
            return
        if body is None:
            raise SourceError(
                f"HTTP {status} is expected but its body is not read: conditions cannot"
                " be checked",
                kind=ErrorKind.BAD_SHAPE, status=status, url=self.target.url,
            )
        parsed = _json_body(body)
        now_s = self._clock.time()
        failed = [
            reason
            for ok, reason in (c.evaluate(parsed, now_s) for c in self._conditions)
            if not ok
        ]
        if failed:
            raise SourceError(
                "; ".join(failed), kind=ErrorKind.BAD_SHAPE, status=status, url=self.target.url
            )


def _status_error(status: int, url: str | None) -> SourceError:
    return SourceError(
        f"HTTP {status}", kind=ErrorKind.HTTP_STATUS, retryable=False, status=status, url=url
    )


def _json_body(body: bytes) -> Any:
    try:
        return json.loads(body)
    except (ValueError, RecursionError):
        raise SourceError("response is not JSON", kind=ErrorKind.MALFORMED) from None


def build_health_sources(
    targets: Iterable[HealthTarget],
    *,
    http_config: HttpConfig,
    clock: Clock,
    gate: asyncio.Semaphore,
) -> list[HealthSource]:
    """One ``HealthSource`` with its own ``HttpSeam`` per target.

    The seam's read timeout is raised above the target's timeout, so a slow worker is
    reported as "timeout after <timeout_s> s" rather than by the per-read limit.
    """
    sources: list[HealthSource] = []
    for target in targets:
        config = dataclasses.replace(
            http_config, read_timeout_s=max(http_config.read_timeout_s, target.timeout_s + 1.0)
        )
        seam = HttpSeam(config, name=target.name, clock=clock)
        sources.append(HealthSource(target, seam, clock=clock, gate=gate))
    return sources


# -- the kind -------------------------------------------------------------------------------

_TARGET_FIELDS = tuple(f.name for f in dataclasses.fields(HealthTarget))


def sync_configured_targets(settings: Any, engine: Engine, clock: Clock) -> None:
    """Create/update the targets of TRIO_MONITOR_HEALTH_TARGETS (read-only in the UI)."""
    targets = settings.health_target_specs()
    HealthTargetStore(engine).sync_from_config(
        [{f: getattr(t, f) for f in _TARGET_FIELDS if f != "id"} for t in targets],
        now_ms(clock.time))


def health_sources(settings: Any, engine: Engine, http: HttpConfig,
                   clock: Clock) -> DynamicSources:
    """Health targets as dynamic sources: admins add and edit them while the collector runs.

    All checks share one HTTP client (a pool sized to the concurrency cap) and one
    semaphore, the global cap on checks in flight.
    """
    targets = HealthTargetStore(engine)
    gate = asyncio.Semaphore(settings.health_concurrency)
    seam = HttpSeam(
        dataclasses.replace(http, rate_per_s=10_000.0, burst=10_000,
                            max_connections=settings.health_concurrency),
        clock=clock, name="health",
    )

    async def load() -> dict[str, Hashable]:
        rows = await asyncio.to_thread(targets.list, True)
        specs = (HealthTarget(**{f: getattr(row, f) for f in _TARGET_FIELDS}) for row in rows)
        return {f"health:{spec.name}": spec for spec in specs}

    def build(spec: Hashable) -> Source:
        assert isinstance(spec, HealthTarget)
        return HealthSource(spec, seam, clock=clock, gate=gate, owns_seam=False)

    return DynamicSources(load=load, build=build, every_s=settings.target_sync_interval_s,
                          aclose=seam.aclose)


def _plan(ctx: BuildContext) -> SourcePlan:
    sync_configured_targets(ctx.settings, ctx.engine, ctx.clock)
    return SourcePlan(dynamic=health_sources(ctx.settings, ctx.engine, ctx.http, ctx.clock))


def _watched(settings: Any, engine: Engine) -> set[str]:
    return {f"health:{row.name}" for row in HealthTargetStore(engine).list(True)}


def _intervals(settings: Any, engine: Engine) -> dict[str, float]:
    return {f"health:{row.name}": row.interval_s for row in HealthTargetStore(engine).list(True)}


KIND = SourceKind(plan=_plan, watched=_watched, intervals=_intervals)
