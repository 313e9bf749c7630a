"""Rollups of ``samples`` into 1-minute and 1-hour buckets, and retention per resolution.

The collector's rollup and retention jobs drive this in small steps; each step is one
bounded read (outside any write transaction: WAL readers block no writer) and short write
transactions fenced with the lease token. Storage never reads the clock.

Guarantees:

- A bucket is always recomputed whole from the finer data (raw for ``1m``, ``1m`` for
  ``1h``) and upserted, so re-running a step is harmless.
- ``rollup_state[1m].watermark = W``: every raw sample with ``ts < W`` stored by the time
  its bucket was rolled is in ``rollup_1m``; ``1h`` likewise over ``1m``. Watermarks are
  bucket aligned and move forward only, in the transaction that writes the last rows.
- Late samples (a buffer flushed after a database outage writes old timestamps) are
  caught by ``recheck``: a 1-minute bucket below the watermark whose raw count grew is
  re-rolled, and its hour too if that was rolled already. The caller decides how far
  back to look (the collector: its write buffer's maximum age plus a margin).
- ``1d`` (built only when the store is given the site's zone): one row per series and
  local day, ``ts`` the day's start (UTC epoch ms; a day has 23, 24 or 25 hours), computed
  from the ``1h`` rows whose start falls in the day, exactly as the daily figures grouped
  them before (a stretch of constant UTC offset per query, the parts of a DST day merged).
  Its watermark is a local midnight; ``rollup_state[1d].zone`` names the zone, and a store
  given another zone starts ``1d`` over. Late samples re-roll their day after their hour.
- Retention never deletes what is not rolled up: raw rows only below the ``1m``
  watermark, ``1m`` rows only below the ``1h`` watermark. ``retained_from`` records the
  cutoff so readers know from where a resolution is complete.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Select, Table, bindparam, exists, func, literal_column, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.engine import Connection, Engine

from ._schema import rollup_1d, rollup_1h, rollup_1m, rollup_state, samples, series
from ._sql import upsert_insert
from ._tx import EngineStore
from ._write import check_fence

MINUTE_MS = 60_000
HOUR_MS = 3_600_000
DAY_MS = 86_400_000
_EPOCH = date(1970, 1, 1)
_NOTHING = -(2**62)  # a cutoff before every timestamp


class Resolution(StrEnum):
    RAW = "raw"  # the samples as polled
    MINUTE = "1m"  # rollup_1m: one row per series and minute
    HOUR = "1h"  # rollup_1h: one row per series and hour
    DAY = "1d"  # rollup_1d: one row per series and local day of the site's zone


BUCKET_MS = {Resolution.MINUTE: MINUTE_MS, Resolution.HOUR: HOUR_MS}
TABLES: dict[Resolution, Table] = {
    Resolution.RAW: samples, Resolution.MINUTE: rollup_1m, Resolution.HOUR: rollup_1h,
    Resolution.DAY: rollup_1d,
}
# The resolution each rollup is computed from.
FINER = {Resolution.MINUTE: Resolution.RAW, Resolution.HOUR: Resolution.MINUTE,
         Resolution.DAY: Resolution.HOUR}


@dataclass(frozen=True, slots=True)
class Bucket:
    """One aggregated bucket of one series; ``ts`` is the bucket start (epoch ms)."""

    series_id: int
    ts: int
    min: float
    max: float
    sum: float
    count: int
    last: float  # value of the newest sample in the bucket
    last_ts: int  # and its timestamp

    @property
    def mean(self) -> float:
        return self.sum / self.count


def merge(a: Bucket, b: Bucket) -> Bucket:
    """Two partial aggregates of the same bucket (e.g. one from 1m rows, one from raw)."""
    newest = a if a.last_ts >= b.last_ts else b
    return Bucket(a.series_id, a.ts, min(a.min, b.min), max(a.max, b.max), a.sum + b.sum,
                  a.count + b.count, newest.last, newest.last_ts)


@dataclass(frozen=True, slots=True)
class TierState:
    """``rollup_state`` of one resolution (see the module docstring)."""

    watermark_ms: int | None
    retained_from_ms: int | None
    zone: str | None = None  # 1d: the zone of its local days


@dataclass(frozen=True, slots=True)
class StepResult:
    """What one rollup step did. ``done``: the watermark reached the cutoff."""

    buckets: int  # rollup rows written
    rows_read: int  # finer rows aggregated
    watermark_ms: int | None
    done: bool
    slowest_write_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class RecheckResult:
    minutes: int  # 1-minute buckets re-rolled because late samples arrived
    hours: int  # 1-hour buckets re-rolled for them
    days: int = 0  # and local-day buckets
    slowest_write_ms: float = 0.0


@dataclass(frozen=True, slots=True)
class DeleteResult:
    """One retention batch. ``done``: nothing older than the cutoff is left."""

    deleted: int
    before_ms: int  # the cutoff applied (after clamping to the watermark)
    done: bool
    slowest_write_ms: float = 0.0


def floor_to(ts_ms: int, bucket_ms: int) -> int:
    return ts_ms - ts_ms % bucket_ms


# -- queries shared with the history reader ----------------------------------------------


def read_state(conn: Connection) -> dict[Resolution, TierState]:
    rows = conn.execute(select(rollup_state))
    return {Resolution(row.resolution): TierState(row.watermark, row.retained_from, row.zone)
            for row in rows}


# -- local days ----------------------------------------------------------------------------


def day_start(ts_ms: int, zone: ZoneInfo) -> int:
    """The start (UTC epoch ms) of the local day of ``zone`` holding ``ts_ms``."""
    return local_midnight(datetime.fromtimestamp(ts_ms / 1000, zone).date(), zone)


def local_midnight(day: date, zone: ZoneInfo) -> int:
    return int(datetime(day.year, day.month, day.day, tzinfo=zone).timestamp() * 1000)


def add_days(start_ms: int, days: int, zone: ZoneInfo) -> int:
    """The local midnight ``days`` local days after the one at ``start_ms``."""
    day = datetime.fromtimestamp(start_ms / 1000, zone).date()
    return local_midnight(day + timedelta(days=days), zone)


def offset_spans(zone: ZoneInfo, lo_ms: int, hi_ms: int) -> list[tuple[int, int, int]]:
    """``[lo, hi)`` cut where the zone's UTC offset changes (checked every hour, where
    DST changes happen): ``(from_ms, to_ms, offset_ms)``."""
    def offset(ts_ms: int) -> int:
        delta = datetime.fromtimestamp(ts_ms / 1000, zone).utcoffset()
        return int(delta.total_seconds() * 1000) if delta is not None else 0

    spans = []
    start, current = lo_ms, offset(lo_ms)
    t = floor_to(lo_ms, HOUR_MS)
    while t < hi_ms:
        if offset(min(t + DAY_MS, hi_ms - 1)) == current:
            t += DAY_MS  # the same offset a day later: no change in between
            continue
        t += HOUR_MS
        if t < hi_ms and offset(t) != current:
            spans.append((start, t, current))
            start, current = t, offset(t)
    spans.append((start, hi_ms, current))
    return spans


def local_day_buckets(
    conn: Connection, source: Resolution, ids: Sequence[int], lo_ms: int, hi_ms: int,
    zone: ZoneInfo, out: dict[int, dict[date, Bucket]] | None = None,
) -> tuple[dict[int, dict[date, Bucket]], int]:
    """Per series, one bucket per local day over the ``source`` rows with lo <= ts < hi
    (``ts`` of a bucket: its local epoch ms), aggregated by the database; a stretch of
    constant UTC offset is one query, so a DST change splits a day in two parts, merged
    here (earlier part first), and into ``out`` when given. And how many source rows
    were read.

    The daily rollup and the daily figures' reading of what is not rolled up both come
    through here, so a day's figures are the same float operations either way."""
    if out is None:
        out = {sid: {} for sid in ids}
    read = 0
    if not ids or hi_ms <= lo_ms:
        return out, read
    for lo, hi, offset in offset_spans(zone, lo_ms, hi_ms):
        found, rows = aggregate(conn, source, ids, lo, hi, DAY_MS, offset)
        read += rows
        for bucket in found:
            day = _EPOCH + timedelta(days=bucket.ts // DAY_MS)
            days = out[bucket.series_id]
            days[day] = merge(days[day], bucket) if day in days else bucket
    return out, read


def series_ids(conn: Connection) -> list[int]:
    return list(conn.execute(select(series.c.id).order_by(series.c.id)).scalars())


def aggregate(
    conn: Connection,
    source: Resolution,
    ids: Sequence[int],
    lo_ms: int,
    hi_ms: int,
    bucket_ms: int,
    offset_ms: int = 0,
) -> tuple[list[Bucket], int]:
    """Buckets of ``bucket_ms`` over the ``source`` rows of ``ids`` with lo <= ts < hi,
    ordered by series and time; and how many source rows were read. With ``offset_ms``
    (a UTC offset, for local days) a bucket's ``ts`` is its start in local epoch ms.

    One range scan of the source's primary key per series; ``last`` is one more primary
    key lookup per bucket (the row at the bucket's newest ``ts``).
    """
    if not ids or hi_ms <= lo_ms:
        return [], 0
    t = TABLES[source]
    # Literals, not parameters: GROUP BY must repeat the select's expression exactly.
    local = t.c.ts + literal_column(str(int(offset_ms))) if offset_ms else t.c.ts
    bucket = local - local % literal_column(str(int(bucket_ms)))
    value = t.c.value if source is Resolution.RAW else t.c.last
    if source is Resolution.RAW:
        measures = [func.min(t.c.value), func.max(t.c.value), func.sum(t.c.value),
                    func.count(), func.max(t.c.ts)]
    else:
        measures = [func.min(t.c.min), func.max(t.c.max), func.sum(t.c.sum),
                    func.sum(t.c.count), func.max(t.c.last_ts)]
    where = (t.c.series_id.in_(list(ids)), t.c.ts >= lo_ms, t.c.ts < hi_ms)
    stmt: Select[Any]
    if conn.dialect.name == "postgresql":
        # The newest value by an ordered aggregate: a per-bucket lookup (below) pushed the
        # plan's cost over PostgreSQL's JIT threshold (+20 ms per 2000 buckets, measured).
        last = postgresql.array_agg(aggregate_order_by(value, t.c.ts.desc()))[1]
        stmt = (
            select(t.c.series_id, bucket, *measures[:4], last, measures[4], func.count())
            .where(*where).group_by(t.c.series_id, bucket).order_by(t.c.series_id, bucket)
        )
    else:
        grouped = (
            select(t.c.series_id, bucket.label("bucket"),
                   *(m.label(n) for m, n in zip(measures, ("mn", "mx", "sm", "n", "last_ts"),
                                                strict=True)),
                   func.max(t.c.ts).label("newest"), func.count().label("rows"))
            .where(*where).group_by(t.c.series_id, bucket).subquery()
        )
        newest = t.alias("newest")
        lookup = (select(newest.c[value.name])
                  .where(newest.c.series_id == grouped.c.series_id,
                         newest.c.ts == grouped.c.newest)
                  .scalar_subquery())
        stmt = (
            select(grouped.c.series_id, grouped.c.bucket, grouped.c.mn, grouped.c.mx,
                   grouped.c.sm, grouped.c.n, lookup, grouped.c.last_ts, grouped.c.rows)
            .order_by(grouped.c.series_id, grouped.c.bucket)
        )
    rows = conn.execute(stmt).all()
    buckets = [Bucket(int(r[0]), int(r[1]), float(r[2]), float(r[3]), float(r[4]), int(r[5]),
                      float(r[6]), int(r[7])) for r in rows]
    return buckets, sum(int(r[8]) for r in rows)


def stored_buckets(
    conn: Connection, resolution: Resolution, ids: Sequence[int], lo_ms: int, hi_ms: int
) -> list[Bucket]:
    """Stored rollup rows of ``ids`` with lo <= ts < hi (a primary key range scan)."""
    return [Bucket(*row) for row in stored_rows(conn, resolution, ids, lo_ms, hi_ms)]


def stored_rows(
    conn: Connection, resolution: Resolution, ids: Sequence[int], lo_ms: int, hi_ms: int
) -> list[tuple[int, int, float, float, float, int, float, int]]:
    """Like ``stored_buckets``, as plain tuples in the order of ``Bucket``'s fields, by
    series and time (chart reads: no object per row but the point they draw)."""
    if not ids or hi_ms <= lo_ms:
        return []
    t = TABLES[resolution]
    stmt = (
        select(t.c.series_id, t.c.ts, t.c.min, t.c.max, t.c.sum, t.c.count, t.c.last,
               t.c.last_ts)
        .where(t.c.series_id.in_(list(ids)), t.c.ts >= lo_ms, t.c.ts < hi_ms)
        .order_by(t.c.series_id, t.c.ts)
    )
    # Rows index and unpack like the tuples they stand for.
    return conn.execute(stmt).all()  # type: ignore[return-value]


# -- writes ------------------------------------------------------------------------------------


_COLUMNS = ("series_id", "ts", "min", "max", "sum", "count", "last", "last_ts")
_UPDATE = ", ".join(f"{c} = excluded.{c}" for c in _COLUMNS[2:])
_PG_TYPES = ("int[]", "bigint[]", "float8[]", "float8[]", "float8[]", "int[]", "float8[]",
             "bigint[]")


def _upsert_buckets(conn: Connection, resolution: Resolution, rows: Sequence[Bucket]) -> None:
    """Insert or replace rollup rows, on the driver cursor: SQLAlchemy's executemany of an
    upsert took ~3x longer on PostgreSQL than one statement over arrays (measured)."""
    if not rows:
        return
    table = TABLES[resolution].name
    head = f"INSERT INTO {table} ({', '.join(_COLUMNS)}) "
    tail = f" ON CONFLICT (series_id, ts) DO UPDATE SET {_UPDATE}"
    driver: Any = conn.connection.driver_connection
    if conn.dialect.name == "postgresql":
        arrays = [[getattr(row, column) for row in rows] for column in _COLUMNS]
        unnest = ", ".join(f"%s::{t}" for t in _PG_TYPES)
        with driver.cursor() as cursor:
            cursor.execute(f"{head}SELECT * FROM unnest({unnest}){tail}", arrays)
        return
    cursor = driver.cursor()
    try:
        cursor.executemany(f"{head}VALUES ({', '.join('?' * len(_COLUMNS))}){tail}",
                           [(b.series_id, b.ts, b.min, b.max, b.sum, b.count, b.last, b.last_ts)
                            for b in rows])
    finally:
        cursor.close()


def _set_state(
    conn: Connection, resolution: Resolution, now_ms: int, column: str, value: int,
    zone: str | None = None,
) -> None:
    """Move ``column`` (``watermark`` or ``retained_from``) of ``resolution`` forward to
    ``value``; never back (two overlapping runs cannot undo each other's progress).
    ``zone`` (1d) is recorded with a new row."""
    extra = {"zone": zone} if zone is not None else {}
    stmt = upsert_insert(conn, rollup_state).values(
        resolution=resolution.value, updated_at=now_ms, **{column: value}, **extra)
    stored = rollup_state.c[column]
    stmt = stmt.on_conflict_do_update(
        index_elements=["resolution"],
        set_={column: stmt.excluded[column], "updated_at": stmt.excluded.updated_at},
        where=or_(stored.is_(None), stored < stmt.excluded[column]),
    )
    conn.execute(stmt)


class RollupStore(EngineStore):
    """Rollup and retention steps over ``engine``; see the module docstring.

    ``lease_name``/``lease_token`` fence every write like ``Store.write_poll`` (``LeaseLost``,
    nothing written); ``lease_name=None`` skips the fence (tools, tests, the bench). Any
    method may raise ``StorageUnavailable``. Keeps a per-resolution estimate of rows per
    bucket to size its next read, so one instance should drive the steps of one process.
    ``zone`` (the site's IANA zone) is what ``1d`` needs: without it there is no daily
    rollup (``roll_step(DAY)`` raises ``ValueError``, ``recheck`` leaves days alone).
    """

    def __init__(
        self, engine: Engine, *, read_rows: int = 50_000, write_rows: int = 1_000,
        recheck_rows: int = 10_000, zone: str | None = None,
    ) -> None:
        if read_rows < 1 or write_rows < 1 or recheck_rows < 1:
            raise ValueError("read_rows, write_rows and recheck_rows must be at least 1")
        super().__init__(engine)
        self.zone = zone
        self._zone = ZoneInfo(zone) if zone is not None else None
        self.read_rows = read_rows
        self.recheck_rows = recheck_rows
        self.write_rows = write_rows
        # Finer rows per bucket and series, learnt from the previous step (5-s polls: 12).
        self._density = {Resolution.MINUTE: 12.0, Resolution.HOUR: 60.0, Resolution.DAY: 24.0}

    def state(self) -> dict[Resolution, TierState]:
        """The stored state per resolution; a resolution never rolled/retained is absent."""
        with self._reading() as conn:
            return read_state(conn)

    # -- rollup ----------------------------------------------------------------------------

    def roll_step(
        self,
        resolution: Resolution,
        cutoff_ms: int,
        *,
        lease_name: str | None,
        lease_token: int | None,
        now_ms: int,
    ) -> StepResult:
        """Roll up the next chunk of closed buckets of ``resolution`` below ``cutoff_ms``.

        The first step ever only places the watermark: at the oldest finer row, or at the
        cutoff when there is none. A chunk reads about ``read_rows`` finer rows; its
        rows are written in transactions of at most ``write_rows``, the watermark with
        the last of them. ``DAY``: local days of the store's zone, over ``1h``.
        """
        if resolution is Resolution.DAY:
            return self._roll_days(cutoff_ms, lease_name, lease_token, now_ms)
        bucket_ms = BUCKET_MS[resolution]
        cutoff_ms = floor_to(cutoff_ms, bucket_ms)
        with self._reading() as conn:
            known = read_state(conn).get(resolution)
            start = None if known is None else known.watermark_ms
            if start is None:
                first = self._initial_watermark(conn, resolution, cutoff_ms)
            elif start < cutoff_ms:
                ids = series_ids(conn)
                hi = min(cutoff_ms, start + self._window(resolution, len(ids)) * bucket_ms)
                buckets, rows_read = aggregate(conn, FINER[resolution], ids, start, hi,
                                               bucket_ms)
                if not rows_read:
                    # An empty stretch (the collector was stopped): skip to the next data.
                    hi = self._next_data(conn, resolution, hi, cutoff_ms)
        if start is None:
            slowest = self._write(lease_name, lease_token, now_ms, resolution, [],
                                  watermark=first)
            return StepResult(0, 0, first, first >= cutoff_ms, slowest)
        if start >= cutoff_ms:
            return StepResult(0, 0, start, True)
        self._learn(resolution, rows_read, len(ids), (hi - start) // bucket_ms)
        slowest = self._write_buckets(resolution, buckets, lease_name, lease_token, now_ms,
                                      watermark=hi)
        return StepResult(len(buckets), rows_read, hi, hi >= cutoff_ms, slowest)

    def _roll_days(
        self, cutoff_ms: int, lease_name: str | None, lease_token: int | None, now_ms: int
    ) -> StepResult:
        """``roll_step`` of ``DAY``: the same steps, with local midnights for bucket edges."""
        zone = self._zone
        if zone is None or self.zone is None:
            raise ValueError("the daily rollup needs the site's zone: RollupStore(zone=...)")
        cutoff_ms = day_start(cutoff_ms, zone)
        with self._reading() as conn:
            known = read_state(conn).get(Resolution.DAY)
        if known is not None and known.zone != self.zone:
            # Built for another zone: its days are not this site's days. Start over.
            self._forget_days(lease_name, lease_token, now_ms)
            known = None
        start = None if known is None else known.watermark_ms
        if start is None:
            with self._reading() as conn:
                first = self._initial_watermark(conn, Resolution.DAY, cutoff_ms)
            slowest = self._write(lease_name, lease_token, now_ms, Resolution.DAY, [],
                                  watermark=first)
            return StepResult(0, 0, first, first >= cutoff_ms, slowest)
        if start >= cutoff_ms:
            return StepResult(0, 0, start, True)
        with self._reading() as conn:
            ids = series_ids(conn)
            hi = min(cutoff_ms, add_days(start, self._window(Resolution.DAY, len(ids)), zone))
            by_series, rows_read = local_day_buckets(conn, Resolution.HOUR, ids, start, hi, zone)
            if not rows_read:
                hi = self._next_data(conn, Resolution.DAY, hi, cutoff_ms)
        self._learn(Resolution.DAY, rows_read, len(ids), max(1, (hi - start) // DAY_MS))
        buckets = self._day_rows(by_series, zone)
        slowest = self._write_buckets(Resolution.DAY, buckets, lease_name, lease_token, now_ms,
                                      watermark=hi)
        return StepResult(len(buckets), rows_read, hi, hi >= cutoff_ms, slowest)

    @staticmethod
    def _day_rows(by_series: dict[int, dict[date, Bucket]], zone: ZoneInfo) -> list[Bucket]:
        """Local-day buckets as ``rollup_1d`` rows: ``ts`` the day's start in UTC ms."""
        return [Bucket(b.series_id, local_midnight(day, zone), b.min, b.max, b.sum, b.count,
                       b.last, b.last_ts)
                for _sid, days in sorted(by_series.items())
                for day, b in sorted(days.items())]

    def _forget_days(self, lease_name: str | None, lease_token: int | None, now_ms: int) -> None:
        with self._writing() as conn:
            if lease_name is not None:
                check_fence(conn, lease_name, lease_token, now_ms)
            conn.execute(rollup_1d.delete())
            conn.execute(rollup_state.delete().where(
                rollup_state.c.resolution == Resolution.DAY.value))

    def _floor(self, resolution: Resolution, ts_ms: int) -> int:
        if resolution is Resolution.DAY:
            assert self._zone is not None
            return day_start(ts_ms, self._zone)
        return floor_to(ts_ms, BUCKET_MS[resolution])

    def _initial_watermark(self, conn: Connection, resolution: Resolution, cutoff_ms: int) -> int:
        # The oldest finer row, found with one primary-key seek per series.
        t = TABLES[FINER[resolution]]
        oldest = select(func.min(t.c.ts)).where(t.c.series_id == series.c.id).scalar_subquery()
        found = conn.execute(select(func.min(oldest))).scalar()
        if found is None:
            return cutoff_ms
        return min(self._floor(resolution, int(found)), cutoff_ms)

    def _window(self, resolution: Resolution, n_series: int) -> int:
        """Buckets per chunk: about ``read_rows`` finer rows, 1 to a day's worth."""
        most = {Resolution.MINUTE: 24 * 60, Resolution.HOUR: 7 * 24}.get(resolution, 31)
        per_bucket = max(1, n_series) * self._density[resolution]
        return max(1, min(most, int(self.read_rows / per_bucket)))

    def _learn(self, resolution: Resolution, rows: int, n_series: int, buckets: int) -> None:
        if rows:
            self._density[resolution] = max(0.01, rows / max(1, n_series * buckets))

    def _next_data(
        self, conn: Connection, resolution: Resolution, after_ms: int, cutoff_ms: int
    ) -> int:
        """The bucket of the oldest finer row at or after ``after_ms`` (one primary-key
        seek per series), or the cutoff if none is older."""
        t = TABLES[FINER[resolution]]
        first = (select(func.min(t.c.ts)).where(t.c.series_id == series.c.id, t.c.ts >= after_ms)
                 .scalar_subquery())
        found = conn.execute(select(func.min(first))).scalar()
        if found is None:
            return cutoff_ms
        return min(cutoff_ms, self._floor(resolution, int(found)))

    def _write_buckets(
        self,
        resolution: Resolution,
        buckets: Sequence[Bucket],
        lease_name: str | None,
        lease_token: int | None,
        now_ms: int,
        watermark: int | None = None,
    ) -> float:
        """Upsert in transactions of at most ``write_rows``; a new ``watermark`` goes with
        the last one. Returns the slowest transaction in ms."""
        chunks = [buckets[i:i + self.write_rows]
                  for i in range(0, len(buckets), self.write_rows)] or [[]]
        slowest = 0.0
        for index, chunk in enumerate(chunks):
            last = watermark if index == len(chunks) - 1 else None
            slowest = max(slowest, self._write(lease_name, lease_token, now_ms, resolution,
                                               chunk, watermark=last))
        return slowest

    def _write(
        self,
        lease_name: str | None,
        lease_token: int | None,
        now_ms: int,
        resolution: Resolution,
        rows: Sequence[Bucket],
        *,
        watermark: int | None = None,
    ) -> float:
        """One fenced write transaction; returns its duration in ms."""
        started = time.perf_counter()
        with self._writing() as conn:
            if lease_name is not None:
                check_fence(conn, lease_name, lease_token, now_ms)
            _upsert_buckets(conn, resolution, rows)
            if watermark is not None:
                _set_state(conn, resolution, now_ms, "watermark", watermark,
                           self.zone if resolution is Resolution.DAY else None)
        return (time.perf_counter() - started) * 1000

    # -- late samples ------------------------------------------------------------------------

    def recheck(
        self,
        since_ms: int,
        *,
        lease_name: str | None,
        lease_token: int | None,
        now_ms: int,
    ) -> RecheckResult:
        """Re-roll the 1-minute buckets from ``since_ms`` up to the watermark whose raw
        sample count grew since they were rolled (late samples), then their hours that
        were rolled already. Counts only grow on late arrival: retention deletes raw rows
        only further back, and ``since_ms`` is clamped to where raw data is complete.
        """
        with self._reading() as conn:
            state = read_state(conn)
            minute = state.get(Resolution.MINUTE)
            if minute is None or minute.watermark_ms is None:
                return RecheckResult(0, 0)
            raw_from = (state.get(Resolution.RAW) or TierState(None, None)).retained_from_ms
            lo = floor_to(since_ms if raw_from is None else max(since_ms, raw_from),
                          MINUTE_MS)
            hi = minute.watermark_ms
            ids = series_ids(conn)
            # A few series at a time, about ``recheck_rows`` raw rows each: this runs every
            # interval, so what one read holds (rows, SQLite's sort of them) is what the
            # process keeps in its heap however many series the site has.
            per_series = self._density[Resolution.MINUTE] * max(1, (hi - lo) // MINUTE_MS)
            size = max(1, int(self.recheck_rows / max(1.0, per_series)))
            grown: list[Bucket] = []
            for i in range(0, len(ids), size):
                chunk = ids[i:i + size]
                fresh, _rows = aggregate(conn, Resolution.RAW, chunk, lo, hi, MINUTE_MS)
                stored = {(b.series_id, b.ts): b.count
                          for b in stored_buckets(conn, Resolution.MINUTE, chunk, lo, hi)}
                grown += [b for b in fresh if b.count > stored.get((b.series_id, b.ts), 0)]
        if not grown:
            return RecheckResult(0, 0)
        slowest = self._write_buckets(Resolution.MINUTE, grown, lease_name, lease_token, now_ms)
        hour = state.get(Resolution.HOUR)
        hour_wm = hour.watermark_ms if hour is not None else None
        hours = sorted({(b.series_id, floor_to(b.ts, HOUR_MS)) for b in grown
                        if hour_wm is not None and b.ts < hour_wm})
        rerolled = self._reroll_hours(hours)
        if rerolled:
            slowest = max(slowest, self._write_buckets(
                Resolution.HOUR, rerolled, lease_name, lease_token, now_ms))
        day = state.get(Resolution.DAY)
        days: list[Bucket] = []
        if (rerolled and self._zone is not None and day is not None
                and day.zone == self.zone and day.watermark_ms is not None):
            days = self._reroll_days([(b.series_id, b.ts) for b in rerolled
                                      if b.ts < day.watermark_ms], self._zone)
            if days:
                slowest = max(slowest, self._write_buckets(
                    Resolution.DAY, days, lease_name, lease_token, now_ms))
        return RecheckResult(len(grown), len(rerolled), len(days), slowest)

    def _reroll_hours(self, hours: Sequence[tuple[int, int]]) -> list[Bucket]:
        if not hours:
            return []
        wanted = set(hours)
        with self._reading() as conn:
            buckets, _rows = aggregate(
                conn, Resolution.MINUTE, sorted({sid for sid, _ in hours}),
                min(ts for _, ts in hours), max(ts for _, ts in hours) + HOUR_MS, HOUR_MS)
        return [b for b in buckets if (b.series_id, b.ts) in wanted]

    def _reroll_days(self, hours: Sequence[tuple[int, int]], zone: ZoneInfo) -> list[Bucket]:
        """The local days holding these (series, hour) rows, recomputed whole."""
        wanted: dict[int, set[int]] = {}
        for sid, ts in hours:
            wanted.setdefault(day_start(ts, zone), set()).add(sid)
        out: list[Bucket] = []
        with self._reading() as conn:
            for start, sids in sorted(wanted.items()):
                by_series, _rows = local_day_buckets(
                    conn, Resolution.HOUR, sorted(sids), start, add_days(start, 1, zone), zone)
                out += self._day_rows(by_series, zone)
        return out

    # -- retention ---------------------------------------------------------------------------

    def retention_step(
        self,
        resolution: Resolution,
        before_ms: int,
        *,
        batch_rows: int,
        lease_name: str | None,
        lease_token: int | None,
        now_ms: int,
    ) -> DeleteResult:
        """Delete at most ``batch_rows`` rows of ``resolution`` with ``ts < before_ms``, in
        one transaction. The cutoff is clamped to what is rolled up (raw: below the 1m
        watermark; 1m: below the 1h watermark; nothing before the first rollup) and
        recorded as the resolution's ``retained_from``.
        """
        if batch_rows < 1:
            raise ValueError(f"batch_rows must be at least 1, got {batch_rows}")
        table = TABLES[resolution]
        with self._reading() as conn:
            state = read_state(conn)
            before_ms = self._clamp(resolution, before_ms, state)
            plan, whole, more = self._plan_delete(conn, table, before_ms, batch_rows)
        if before_ms == _NOTHING or (not plan and not whole):
            return DeleteResult(0, before_ms, True)
        started = time.perf_counter()
        with self._writing() as conn:
            if lease_name is not None:
                check_fence(conn, lease_name, lease_token, now_ms)
            # Readers must stop trusting the range before its rows go.
            _set_state(conn, resolution, now_ms, "retained_from", before_ms)
            deleted = self._delete(conn, table, before_ms, whole, plan)
        slowest = (time.perf_counter() - started) * 1000
        return DeleteResult(deleted, before_ms, not more, slowest)

    @staticmethod
    def _clamp(resolution: Resolution, before_ms: int, state: dict[Resolution, TierState]) -> int:
        """The cutoff actually applied: below what is rolled up, and bucket aligned
        (raw to the minute, rollups to the hour) so readers can stitch resolutions."""
        coarser = {Resolution.RAW: Resolution.MINUTE, Resolution.MINUTE: Resolution.HOUR}
        if resolution in coarser:
            rolled = state.get(coarser[resolution])
            if rolled is None or rolled.watermark_ms is None:
                return _NOTHING  # nothing is rolled up: keep everything
            before_ms = min(before_ms, rolled.watermark_ms)
        return floor_to(before_ms, MINUTE_MS if resolution is Resolution.RAW else HOUR_MS)

    @staticmethod
    def _plan_delete(
        conn: Connection, table: Table, before_ms: int, batch_rows: int
    ) -> tuple[list[tuple[int, int]], list[int], bool]:
        """Which rows one batch deletes, sharing ``batch_rows`` equally among the series
        with rows before the cutoff: whole series (fewer old rows than their share) and
        partial ones ``(series_id, ts of the share-th oldest row)``; and whether old rows
        may remain. Two queries, both primary-key seeks per series; reads only.
        """
        old = exists().where(table.c.series_id == series.c.id, table.c.ts < before_ms)
        found = list(conn.execute(select(series.c.id).where(old).order_by(series.c.id)).scalars())
        candidates = found[:batch_rows]  # a share is at least one row
        if not candidates:
            return [], [], False
        share = batch_rows // len(candidates)
        inner = table.alias("old")
        upto = (select(inner.c.ts).where(inner.c.series_id == series.c.id, inner.c.ts < before_ms)
                .order_by(inner.c.ts).limit(1).offset(share - 1).scalar_subquery())
        rows = conn.execute(select(series.c.id, upto).where(series.c.id.in_(candidates))).all()
        whole = [int(sid) for sid, ts in rows if ts is None]
        partial = [(int(sid), int(ts)) for sid, ts in rows if ts is not None]
        return partial, whole, bool(partial) or len(found) > len(candidates)

    @staticmethod
    def _delete(
        conn: Connection,
        table: Table,
        before_ms: int,
        whole: Sequence[int],
        partial: Sequence[tuple[int, int]],
    ) -> int:
        deleted = 0
        if whole:
            deleted += conn.execute(table.delete().where(
                table.c.series_id.in_(list(whole)), table.c.ts < before_ms)).rowcount
        if partial:
            stmt = table.delete().where(table.c.series_id == bindparam("sid"),
                                        table.c.ts <= bindparam("upto"))
            deleted += conn.execute(stmt, [{"sid": sid, "upto": upto}
                                           for sid, upto in partial]).rowcount
        return deleted
