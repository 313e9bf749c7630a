"""Inputs of alert evaluation and backtests: current values and (bucketed) samples."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from sqlalchemy import Table, func, select
from sqlalchemy.engine import Connection

from ._alert_records import SeriesSamples
from ._records import CurrentRow
from ._schema import current, rollup_1m, rollup_state, samples, series
from ._sql import chunks
from ._tx import EngineStore

_REDUCERS = ("max", "min")
_MINUTE_MS = 60_000


class InputQueries(EngineStore):
    """The evaluation and backtest reads of ``AlertStore``."""

    def current_values(
        self, metrics: Iterable[str], *, sources: Iterable[str] | None = None,
    ) -> list[CurrentRow]:
        """The newest value of every series with one of ``metrics`` (of ``sources``)."""
        wanted = sorted(set(metrics))
        stmt = (
            select(*_SERIES_COLUMNS, current.c.ts, current.c.value)
            .join(current, current.c.series_id == series.c.id)
            .where(series.c.metric.in_(wanted))
            .order_by(*_SERIES_ORDER)
        )
        if sources is not None:
            stmt = stmt.where(series.c.source.in_(sorted(set(sources))))
        with self._reading() as conn:
            return [CurrentRow(*row) for row in conn.execute(stmt)]

    def samples_for(
        self, metric: str, *, from_ms: int, to_ms: int, source: str | None = None,
        entity_kind: str | None = None, entity_ids: Sequence[str] = (),
        max_series: int = 2000, bucket_ms: int = 0, reduce: str = "max",
    ) -> list[SeriesSamples]:
        """Samples in [from_ms, to_ms) of the series a scope selects (backtests).

        ``bucket_ms`` > 0 reduces each series to one point per bucket in SQL: ``reduce``
        "max" or "min" of the bucket's values at the bucket's start (a backtest of an
        "above" rule takes the max, so no breach is hidden by thinning). Buckets start at
        ``from_ms``. Series without samples in the range come back with no points; at
        most ``max_series`` series (by source, entity kind, entity id)."""
        if reduce not in _REDUCERS:
            raise ValueError(f'reduce must be "max" or "min", not {reduce!r}')
        if bucket_ms < 0:
            raise ValueError(f"bucket_ms must be 0 (no buckets) or positive, not {bucket_ms}")
        stmt = select(*_SERIES_COLUMNS).where(series.c.metric == metric)
        if source is not None:
            stmt = stmt.where(series.c.source == source)
        if entity_kind is not None:
            stmt = stmt.where(series.c.entity_kind == entity_kind)
        if entity_ids:
            stmt = stmt.where(series.c.entity_id.in_(sorted(set(entity_ids))))
        with self._reading() as conn:
            found = list(conn.execute(stmt.order_by(*_SERIES_ORDER).limit(max_series)))
            points = _points(conn, [row.id for row in found], from_ms, to_ms, bucket_ms,
                             reduce)
        return [SeriesSamples(*row, points=tuple(points.get(row.id, ()))) for row in found]


_SERIES_COLUMNS = (
    series.c.id, series.c.source, series.c.entity_kind, series.c.entity_id,
    series.c.entity_name, series.c.metric, series.c.unit,
)
_SERIES_ORDER = (series.c.source, series.c.entity_kind, series.c.entity_id, series.c.metric)


def _points(
    conn: Connection, series_ids: list[int], from_ms: int, to_ms: int, bucket_ms: int,
    reduce: str,
) -> dict[int, list[tuple[int, float]]]:
    """(ts_ms, value) per series in [from_ms, to_ms), oldest first; bucketed in SQL.

    Buckets of whole minutes read the 1-minute rollups (their per-minute min/max) below
    the rollup watermark and raw samples above it: a 7-day backtest then reads ~10k
    rows per series instead of ~120k, and still covers days whose raw samples retention
    has deleted."""
    watermark = None
    if bucket_ms >= _MINUTE_MS and bucket_ms % _MINUTE_MS == 0:
        watermark = conn.execute(
            select(rollup_state.c.watermark).where(rollup_state.c.resolution == "1m")
        ).scalar()
    if watermark is None or watermark <= from_ms:
        return _bucketed(conn, samples, series_ids, from_ms, to_ms, bucket_ms, reduce)
    origin = from_ms - from_ms % _MINUTE_MS  # rollup buckets start on whole minutes
    split = min(watermark, to_ms)
    old = _bucketed(conn, rollup_1m, series_ids, origin, split, bucket_ms, reduce)
    new = _bucketed(conn, samples, series_ids, split, to_ms, bucket_ms, reduce, origin=origin)
    pick = max if reduce == "max" else min
    for series_id, points in new.items():
        merged = dict(old.get(series_id, ()))
        for ts, value in points:  # a bucket across the watermark has a part in each
            merged[ts] = pick(merged[ts], value) if ts in merged else value
        old[series_id] = sorted(merged.items())
    return old


def _bucketed(
    conn: Connection, table: Table, series_ids: list[int], from_ms: int, to_ms: int,
    bucket_ms: int, reduce: str, *, origin: int | None = None,
) -> dict[int, list[tuple[int, float]]]:
    """Points of ``samples`` (column value) or a rollup table (columns min/max)."""
    found: dict[int, list[tuple[int, float]]] = {}
    origin = from_ms if origin is None else origin
    if table is samples:
        value = table.c.value
    else:
        value = table.c.max if reduce == "max" else table.c.min
    for chunk in chunks(series_ids):
        # A range scan of the primary key (series_id, ts) per series.
        in_range = (table.c.series_id.in_(chunk), table.c.ts >= from_ms, table.c.ts < to_ms)
        if bucket_ms > 0:
            start = (origin + (table.c.ts - origin) // bucket_ms * bucket_ms).label("start")
            inner = select(table.c.series_id, start, value.label("value")).where(*in_range)
            buckets = inner.subquery()
            # Grouped in an outer query: PostgreSQL cannot match a GROUP BY expression
            # with bound parameters to the same expression in the select list.
            stmt = (
                select(buckets.c.series_id, buckets.c.start,
                       func.max(buckets.c.value) if reduce == "max"
                       else func.min(buckets.c.value))
                .group_by(buckets.c.series_id, buckets.c.start)
                .order_by(buckets.c.series_id, buckets.c.start)
            )
        else:
            stmt = (
                select(table.c.series_id, table.c.ts, value)
                .where(*in_range).order_by(table.c.series_id, table.c.ts)
            )
        for series_id, ts, point in conn.execute(stmt):
            found.setdefault(int(series_id), []).append((int(ts), float(point)))
    return found
