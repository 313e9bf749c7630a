"""History reads: chart points at the resolution a range needs, and daily queue figures.

A chart asks for ``[from_ms, to_ms]``; the resolution is the finest of raw, 1 minute and
1 hour that gives at most ``max_points`` points per series over the range (raw assumes one
sample per ``raw_interval_s``, and is re-planned at 1 minute if a series still has more).
Each part of the range is then served from what exists (see ``plan``):

- the newest part, not rolled up yet (above the resolution's watermark), is aggregated on
  the fly from the finer data into the same buckets, so a chart is complete to now;
- the part older than the resolution's retention is served from the next coarser
  resolution that still has it (a "1 h" view of last month shows 1-minute points);
- everything else is read from the resolution's table.
Buckets split between two sources (the hour that holds the 1-minute watermark) are merged.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import groupby
from operator import itemgetter
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.engine import Connection, Engine

from ._rollup import (
    BUCKET_MS,
    Bucket,
    Resolution,
    TierState,
    aggregate,
    floor_to,
    local_day_buckets,
    read_state,
    stored_rows,
)
from ._schema import samples, series
from ._tx import EngineStore

DEFAULT_MAX_POINTS = 2000
DAY_MS = 86_400_000
MAX_SERIES = 500
_ORDER = (Resolution.RAW, Resolution.MINUTE, Resolution.HOUR)  # finest first
_NEVER = -(2**62)  # before any timestamp
_FOREVER = 2**62  # after any timestamp

# Queue metrics the daily figures are computed from (collectors/trio.py QUEUE_METRICS).
ANSWERED, ABANDONED = "answered_today", "abandoned_today"
SERVICE_LEVEL, LONGEST_WAIT = "service_level_pct", "longest_wait_s"
DAILY_METRICS = (ANSWERED, ABANDONED, SERVICE_LEVEL, LONGEST_WAIT)


@dataclass(frozen=True, slots=True)
class Point:
    """One chart point: a raw sample (min = max = mean = last, count 1) or a bucket
    starting at ``ts_ms`` with the statistics of the samples in it."""

    ts_ms: int
    min: float
    max: float
    mean: float
    last: float
    count: int


@dataclass(frozen=True, slots=True)
class Segment:
    """One part of a history answer: ``[from_ms, to_ms)`` read from ``source`` (a table)
    as points of ``bucket_ms`` (None: raw samples, one point each)."""

    source: Resolution
    from_ms: int
    to_ms: int
    bucket_ms: int | None


@dataclass(frozen=True, slots=True)
class History:
    """``points`` has every asked series id (oldest first, maybe empty). ``resolution``
    is the one chosen for the range; ``segments`` say which parts came from where."""

    resolution: Resolution
    from_ms: int
    to_ms: int
    points: dict[int, list[Point]]
    segments: tuple[Segment, ...]


@dataclass(frozen=True, slots=True)
class DailyRow:
    """The figures of one queue on one local day (``tz`` of the query).

    - ``answered`` / ``abandoned``: the last ``answered_today`` / ``abandoned_today`` value
      sampled that day (the counters are Trio's counts for the day so far, reset at local
      midnight, so the last value is the day's total as far as it was seen); None when no
      sample that day.
    - ``abandon_rate_pct``: abandoned / (answered + abandoned) x 100; None when either is
      unknown or both are 0.
    - ``service_level_pct``: the last ``service_level_pct`` sampled that day (Trio's
      service level of the day so far); None when none (no call answered yet).
    - ``avg_wait_s`` / ``max_wait_s``: mean and maximum of the sampled ``longest_wait_s``
      (the oldest waiting call's wait at each poll, 0 when nobody waits) over the day:
      a measure of how long the queue made callers wait, not the mean answer time.
    - ``as_of_ms``: the newest sample behind the counters (today: how current it is).
    A day counts the hour rows whose start falls in it: exact for zones whose offsets and
    DST changes are whole hours (Europe/Stockholm).
    """

    source: str
    queue_id: str
    queue_name: str
    day: date
    answered: int | None
    abandoned: int | None
    abandon_rate_pct: float | None
    service_level_pct: float | None
    avg_wait_s: float | None
    max_wait_s: float | None
    as_of_ms: int | None


def choose_resolution(
    from_ms: int, to_ms: int, max_points: int = DEFAULT_MAX_POINTS, raw_interval_ms: int = 5000
) -> Resolution:
    """The finest resolution giving at most ``max_points`` points over the range."""
    span = max(0, to_ms - from_ms)
    if span / raw_interval_ms <= max_points:
        return Resolution.RAW
    if span / BUCKET_MS[Resolution.MINUTE] <= max_points:
        return Resolution.MINUTE
    return Resolution.HOUR


def plan(
    resolution: Resolution, from_ms: int, to_ms: int, state: dict[Resolution, TierState]
) -> list[Segment]:
    """Which table serves which part of ``[from_ms, to_ms]`` (oldest part first)."""
    bucket = BUCKET_MS.get(resolution)
    lo = floor_to(from_ms, bucket) if bucket else from_ms
    hi = to_ms + 1
    start, end = _coverage(resolution, state)
    segments = _older(resolution, lo, min(hi, start), state)
    if max(lo, start) < min(hi, end):
        segments.append(Segment(resolution, max(lo, start), min(hi, end), bucket))
    # Newer than the watermark: the finer resolutions, aggregated into this one's buckets.
    for finer in reversed(_ORDER[:_ORDER.index(resolution)]):
        f_start, f_end = _coverage(finer, state)
        seg_lo, seg_hi = max(lo, end, f_start), min(hi, f_end)
        if seg_lo < seg_hi:
            segments.append(Segment(finer, seg_lo, seg_hi, bucket))
        end = max(end, seg_hi)
    return segments


def _coverage(resolution: Resolution, state: dict[Resolution, TierState]) -> tuple[int, int]:
    """``[start, end)`` where a table holds complete data."""
    tier = state.get(resolution) or TierState(None, None)
    start = tier.retained_from_ms if tier.retained_from_ms is not None else _NEVER
    if resolution is Resolution.RAW:
        return start, _FOREVER
    return start, tier.watermark_ms if tier.watermark_ms is not None else _NEVER


def _older(
    resolution: Resolution, lo: int, hi: int, state: dict[Resolution, TierState]
) -> list[Segment]:
    """The part older than ``resolution`` keeps, from the coarser tables (own buckets)."""
    segments: list[Segment] = []
    for coarser in _ORDER[_ORDER.index(resolution) + 1:]:
        if lo >= hi:
            break
        start, end = _coverage(coarser, state)
        bucket = BUCKET_MS[coarser]
        seg_lo, seg_hi = max(floor_to(lo, bucket), start), min(hi, end)
        if seg_lo < seg_hi:
            segments.insert(0, Segment(coarser, seg_lo, seg_hi, bucket))
        hi = min(hi, start)
    return segments


class HistoryStore(EngineStore):
    """History reads over ``engine``; see the module docstring. ``raw_interval_s`` is the
    poll interval, which decides how long a range may be shown raw. Any method may raise
    ``StorageUnavailable``; bad arguments raise ``ValueError`` with the reason."""

    def __init__(self, engine: Engine, *, raw_interval_s: float = 5.0) -> None:
        if not raw_interval_s > 0:
            raise ValueError(f"raw_interval_s must be > 0, got {raw_interval_s}")
        super().__init__(engine)
        self.raw_interval_ms = max(1, round(raw_interval_s * 1000))

    def history(
        self,
        series_ids: Sequence[int],
        from_ms: int,
        to_ms: int,
        max_points: int = DEFAULT_MAX_POINTS,
    ) -> History:
        """Points of each series over ``[from_ms, to_ms]`` (bucket points start at or up
        to one bucket before ``from_ms``), at most about ``max_points`` per series."""
        ids = _check_ids(series_ids)
        if from_ms > to_ms:
            raise ValueError(f"from_ms ({from_ms}) is after to_ms ({to_ms})")
        if max_points < 1:
            raise ValueError(f"max_points must be at least 1, got {max_points}")
        resolution = choose_resolution(from_ms, to_ms, max_points, self.raw_interval_ms)
        with self._reading() as conn:
            state = read_state(conn)
            segments = plan(resolution, from_ms, to_ms, state)
            points = _read(conn, ids, segments)
            if resolution is Resolution.RAW and any(len(p) > max_points for p in points.values()):
                # Polled faster than raw_interval_s: one point per minute instead.
                resolution = Resolution.MINUTE
                segments = plan(resolution, from_ms, to_ms, state)
                points = _read(conn, ids, segments)
        return History(resolution, from_ms, to_ms, {sid: _points(points[sid]) for sid in ids},
                       tuple(segments))

    def daily(
        self,
        now_ms: int,
        *,
        days: int = 90,
        tz: str = "Europe/Stockholm",
        queue_ids: Sequence[str] | None = None,
        source: str | None = None,
        rollup: bool = True,
    ) -> list[DailyRow]:
        """Daily figures (see ``DailyRow``) of every queue (or ``queue_ids`` of
        ``source``) for the ``days`` local days up to and including today, by queue and
        day, oldest first. Days without any sample of a queue are left out.

        The days the daily rollup holds (built for ``tz``) are its stored rows; the rest
        (today, and any day not rolled up yet) is grouped from the hour rows and the
        finer data past them. ``rollup=False`` groups every day from the hour rows (the
        same figures, slower: for tests and the bench)."""
        if not 1 <= days <= 3660:
            raise ValueError(f"days must be between 1 and 3660, got {days}")
        zone = _zone(tz)
        today = datetime.fromtimestamp(now_ms / 1000, zone).date()
        first = today - timedelta(days=days - 1)
        from_ms = int(datetime.combine(first, time(0), tzinfo=zone).timestamp() * 1000)
        with self._reading() as conn:
            queue_series = _queue_series(conn, queue_ids, source)
            ids = list(queue_series)
            state = read_state(conn)
            split = from_ms
            day = state.get(Resolution.DAY)
            if rollup and day is not None and day.zone == tz and day.watermark_ms is not None:
                # The watermark is a local midnight of ``tz``: whole days below it.
                split = max(from_ms, min(day.watermark_ms, now_ms))
            days_by_series = _stored_days(conn, ids, from_ms, split, zone)
            if split <= now_ms:
                segments = plan(Resolution.HOUR, split, now_ms, state)
                _local_days(conn, ids, segments, zone, days_by_series)
        return _daily_rows(queue_series, days_by_series)


def _check_ids(series_ids: Sequence[int]) -> list[int]:
    ids = list(dict.fromkeys(int(sid) for sid in series_ids))
    if len(ids) > MAX_SERIES:
        raise ValueError(f"at most {MAX_SERIES} series per history query, got {len(ids)}")
    return ids


def _zone(tz: str) -> ZoneInfo:
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError(f"unknown time zone {tz!r}: use an IANA name like Europe/Stockholm") \
            from exc


# A bucket as a plain row: (series_id, ts, min, max, sum, count, last, last_ts). Chart
# reads build one Point per row and nothing else: building a Bucket per row first, and
# checking every row for a merge, was 3/4 of a 24-hour chart's time (measured with
# bench/history.py: the database's own read is the rest).
_Row = tuple[int, int, float, float, float, int, float, int]


def _read(
    conn: Connection, ids: Sequence[int], segments: Iterable[Segment]
) -> dict[int, list[_Row]]:
    """Every segment's buckets per series, oldest first; a bucket split over two segments
    (only ever the first bucket of a segment) is merged."""
    out: dict[int, list[_Row]] = {sid: [] for sid in ids}
    if not ids:
        return out
    for seg in segments:
        if seg.bucket_ms is None:
            found: list[_Row] = _raw(conn, ids, seg.from_ms, seg.to_ms)
        elif seg.bucket_ms == BUCKET_MS.get(seg.source):
            found = stored_rows(conn, seg.source, ids, seg.from_ms, seg.to_ms)
        else:
            buckets, _rows = aggregate(conn, seg.source, ids, seg.from_ms, seg.to_ms,
                                       seg.bucket_ms)
            found = [(b.series_id, b.ts, b.min, b.max, b.sum, b.count, b.last, b.last_ts)
                     for b in buckets]
        # Rows come ordered by series and time: one run per series.
        for sid, group in groupby(found, key=itemgetter(0)):
            column = out[sid]
            run = list(group)
            if column and column[-1][1] == run[0][1]:
                column[-1] = _merge_rows(column[-1], run[0])
                run = run[1:]
            column.extend(run)
    return out


def _merge_rows(a: _Row, b: _Row) -> _Row:
    newest = a if a[7] >= b[7] else b
    return (a[0], a[1], min(a[2], b[2]), max(a[3], b[3]), a[4] + b[4], a[5] + b[5],
            newest[6], newest[7])


def _raw(conn: Connection, ids: Sequence[int], lo_ms: int, hi_ms: int) -> list[_Row]:
    # A range scan of the samples primary key per series.
    stmt = (
        select(samples.c.series_id, samples.c.ts, samples.c.value)
        .where(samples.c.series_id.in_(list(ids)), samples.c.ts >= lo_ms, samples.c.ts < hi_ms)
        .order_by(samples.c.series_id, samples.c.ts)
    )
    return [(sid, ts, v, v, v, 1, v, ts) for sid, ts, v in conn.execute(stmt).all()]


def _points(rows: list[_Row]) -> list[Point]:
    return [Point(ts, mn, mx, sm / n, last, n) for _, ts, mn, mx, sm, n, last, _ in rows]


# -- daily figures -------------------------------------------------------------------------

QueueSeries = tuple[str, str, str, str]  # source, queue id, queue name, metric


def _queue_series(
    conn: Connection, queue_ids: Sequence[str] | None, source: str | None
) -> dict[int, QueueSeries]:
    stmt = select(series.c.id, series.c.source, series.c.entity_id, series.c.entity_name,
                  series.c.metric).where(series.c.entity_kind == "queue",
                                         series.c.metric.in_(DAILY_METRICS))
    if source is not None:
        stmt = stmt.where(series.c.source == source)
    if queue_ids is not None:
        stmt = stmt.where(series.c.entity_id.in_([str(q) for q in queue_ids]))
    return {row[0]: (row[1], row[2], row[3], row[4]) for row in conn.execute(stmt)}


def _stored_days(
    conn: Connection, ids: Sequence[int], lo_ms: int, hi_ms: int, zone: ZoneInfo
) -> dict[int, dict[date, Bucket]]:
    """Per series, the daily rollup's rows of the local days in ``[lo, hi)``."""
    out: dict[int, dict[date, Bucket]] = {sid: {} for sid in ids}
    days: dict[int, date] = {}  # a day's start -> the day: 90 of them, for 100 x the rows
    for row in stored_rows(conn, Resolution.DAY, ids, lo_ms, hi_ms):
        day = days.get(row[1])
        if day is None:
            day = days[row[1]] = datetime.fromtimestamp(row[1] / 1000, zone).date()
        out[row[0]][day] = Bucket(*row)
    return out


def _local_days(
    conn: Connection, ids: Sequence[int], segments: Iterable[Segment], zone: ZoneInfo,
    out: dict[int, dict[date, Bucket]],
) -> None:
    """Add to ``out`` per series one bucket per local day, aggregated by the database
    from each segment's table (hour rows for all but the newest hour); a day split over
    two segments is merged."""
    for seg in segments:
        local_day_buckets(conn, seg.source, ids, seg.from_ms, seg.to_ms, zone, out)


def _daily_rows(
    queue_series: dict[int, QueueSeries], days_by_series: dict[int, dict[date, Bucket]]
) -> list[DailyRow]:
    # (source, queue id) -> day -> metric -> that day's bucket
    days: dict[tuple[str, str], dict[date, dict[str, Bucket]]] = defaultdict(
        lambda: defaultdict(dict))
    names: dict[tuple[str, str], str] = {}
    for sid, (source, queue_id, name, metric) in queue_series.items():
        names[(source, queue_id)] = name
        for day, bucket in days_by_series.get(sid, {}).items():
            days[(source, queue_id)][day][metric] = bucket
    rows = [
        _day_row(queue, names[queue], day, metrics)
        for queue, by_day in days.items()
        for day, metrics in by_day.items()
    ]
    rows.sort(key=lambda r: (r.source, _natural(r.queue_id), r.day))
    return rows


def _day_row(
    queue: tuple[str, str], name: str, day: date, metrics: dict[str, Bucket]
) -> DailyRow:
    answered, abandoned = metrics.get(ANSWERED), metrics.get(ABANDONED)
    level, wait = metrics.get(SERVICE_LEVEL), metrics.get(LONGEST_WAIT)
    offered = (answered.last if answered else 0.0) + (abandoned.last if abandoned else 0.0)
    stamps = [b.last_ts for b in (answered, abandoned) if b is not None]
    return DailyRow(
        source=queue[0],
        queue_id=queue[1],
        queue_name=name,
        day=day,
        answered=_count(answered),
        abandoned=_count(abandoned),
        abandon_rate_pct=(100.0 * abandoned.last / offered
                          if answered is not None and abandoned is not None and offered > 0
                          else None),
        service_level_pct=level.last if level is not None else None,
        avg_wait_s=wait.mean if wait is not None else None,
        max_wait_s=wait.max if wait is not None else None,
        as_of_ms=max(stamps) if stamps else None,
    )


def _count(bucket: Bucket | None) -> int | None:
    return None if bucket is None or math.isnan(bucket.last) else round(bucket.last)


def _natural(text: str) -> tuple[int, str]:
    return (int(text), "") if text.isdigit() else (1 << 62, text)
