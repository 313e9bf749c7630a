"""History reads: resolution per range, stitching of resolutions, daily queue figures."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from storage import (
    HistoryStore,
    PollWrite,
    Resolution,
    RollupStore,
    Sample,
    SeriesKey,
    SourceFacts,
    Store,
    choose_resolution,
)

MIN, HOUR, DAY = 60_000, 3_600_000, 86_400_000
T0 = 1_700_000_000_000 - 1_700_000_000_000 % DAY  # a UTC midnight
FACTS = SourceFacts(name="trio", kind="trio", url="http://te.example/api")
NO_FENCE: dict[str, None] = {"lease_name": None, "lease_token": None}
STOCKHOLM = ZoneInfo("Europe/Stockholm")


def key(metric: str, queue: str = "7") -> SeriesKey:
    return SeriesKey("trio", "queue", queue, metric, "x", f"Kö {queue}")


WAIT, CALLS = key("longest_wait_s"), key("calls_waiting")


def write(store: Store, samples: list[Sample]) -> None:
    for i in range(0, len(samples), 50_000):
        store.write_poll(PollWrite("trio", samples[i:i + 50_000], None, FACTS),
                         lease_name=None, lease_token=None, now_ms=T0)


def series_id(store: Store, k: SeriesKey) -> int:
    return next(row.id for row in store.series() if row.key.natural == k.natural)


def roll(engine: Engine, cutoff: int) -> RollupStore:
    rollups = RollupStore(engine)
    for resolution in (Resolution.MINUTE, Resolution.HOUR):
        limit = cutoff
        if resolution is Resolution.HOUR:
            limit = rollups.state()[Resolution.MINUTE].watermark_ms or 0
        while not rollups.roll_step(resolution, limit, now_ms=cutoff, **NO_FENCE).done:
            pass
    return rollups


RANGES = {"1 h": HOUR, "8 h": 8 * HOUR, "24 h": DAY, "7 d": 7 * DAY, "30 d": 30 * DAY}


@pytest.mark.parametrize(("name", "expected"), [
    ("1 h", Resolution.RAW), ("8 h", Resolution.MINUTE), ("24 h", Resolution.MINUTE),
    ("7 d", Resolution.HOUR), ("30 d", Resolution.HOUR),
])
def test_it_chooses_the_resolution_from_the_range(name: str, expected: Resolution) -> None:
    assert choose_resolution(T0, T0 + RANGES[name], 2000, raw_interval_ms=5000) is expected


def test_it_sends_at_most_about_2000_points_per_series_for_every_range(
    engine: Engine, store: Store
) -> None:
    now = T0 + 31 * DAY
    write(store, [Sample(k, ts, float(ts % 97)) for ts in range(T0, now, 30_000)
                  for k in (WAIT, CALLS)])
    roll(engine, now - 2 * MIN)
    ids = [series_id(store, WAIT), series_id(store, CALLS)]
    history = HistoryStore(engine, raw_interval_s=5.0)
    # Samples every 30 s up to 30 s before now; points start at now - range.
    expected = {"1 h": (Resolution.RAW, 120), "8 h": (Resolution.MINUTE, 480),
                "24 h": (Resolution.MINUTE, 1440), "7 d": (Resolution.HOUR, 168),
                "30 d": (Resolution.HOUR, 720)}

    for name, span in RANGES.items():
        result = history.history(ids, now - span, now)

        counts = {len(points) for points in result.points.values()}
        assert (result.resolution, counts) == (expected[name][0], {expected[name][1]}), name
        newest = result.points[ids[0]][-1].ts_ms
        assert now - newest <= (BUCKET.get(result.resolution, 30_000)), name


BUCKET = {Resolution.MINUTE: MIN, Resolution.HOUR: HOUR}


def test_it_completes_the_newest_minutes_from_raw_samples(engine: Engine, store: Store) -> None:
    write(store, [Sample(WAIT, T0 + s * 1000, float(s)) for s in range(0, 3 * 3600, 5)])
    roll(engine, T0 + 2 * HOUR + 30 * MIN)  # 30 minutes are not rolled up yet
    sid = series_id(store, WAIT)

    result = HistoryStore(engine).history([sid], T0, T0 + 3 * HOUR - 1, max_points=100)

    assert result.resolution is Resolution.HOUR
    assert [(s.source, s.from_ms, s.to_ms) for s in result.segments] == [
        (Resolution.HOUR, T0, T0 + 2 * HOUR),
        (Resolution.MINUTE, T0 + 2 * HOUR, T0 + 2 * HOUR + 30 * MIN),
        (Resolution.RAW, T0 + 2 * HOUR + 30 * MIN, T0 + 3 * HOUR),
    ]
    points = result.points[sid]
    assert [p.ts_ms for p in points] == [T0, T0 + HOUR, T0 + 2 * HOUR]
    third = points[2]  # merged from 1-minute rows and raw samples
    values = [float(s) for s in range(7200, 10800, 5)]
    assert (third.min, third.max, third.last, third.count) == (7200, 10795, 10795, 720)
    assert third.mean == pytest.approx(sum(values) / len(values))


def test_it_shows_the_minutes_not_rolled_up_as_one_minute_points(
    engine: Engine, store: Store
) -> None:
    write(store, [Sample(WAIT, T0 + s * 1000, float(s % 60)) for s in range(0, 4 * 3600, 5)])
    roll(engine, T0 + 3 * HOUR)
    sid = series_id(store, WAIT)

    result = HistoryStore(engine).history([sid], T0 + 4 * HOUR - 8 * HOUR, T0 + 4 * HOUR)

    assert result.resolution is Resolution.MINUTE
    points = result.points[sid]
    assert len(points) == 240 and points[-1].ts_ms == T0 + 4 * HOUR - MIN
    assert {(p.min, p.max, p.last, p.count) for p in points} == {(0, 55, 55, 12)}


def test_it_aggregates_raw_samples_before_the_first_rollup(
    engine: Engine, store: Store
) -> None:
    write(store, [Sample(WAIT, T0 + s * 1000, float(s)) for s in range(0, 4 * 3600, 5)])
    sid = series_id(store, WAIT)

    result = HistoryStore(engine).history([sid], T0, T0 + 4 * HOUR - 1, max_points=100)

    assert result.resolution is Resolution.HOUR
    assert [(s.source, s.bucket_ms) for s in result.segments] == [(Resolution.RAW, HOUR)]
    assert [(p.ts_ms, p.min, p.max, p.last, p.count) for p in result.points[sid]] == [
        (T0 + h * HOUR, h * 3600, h * 3600 + 3595, h * 3600 + 3595, 720) for h in range(4)]


def test_it_shows_raw_samples_as_they_are(engine: Engine, store: Store) -> None:
    write(store, [Sample(WAIT, T0 + 5_000, 3.0), Sample(WAIT, T0 + 10_000, 4.0)])
    sid = series_id(store, WAIT)

    result = HistoryStore(engine).history([sid, 999], T0, T0 + HOUR)

    assert result.resolution is Resolution.RAW
    assert [(p.ts_ms, p.min, p.max, p.mean, p.last, p.count) for p in result.points[sid]] == [
        (T0 + 5_000, 3.0, 3.0, 3.0, 3.0, 1), (T0 + 10_000, 4.0, 4.0, 4.0, 4.0, 1)]
    assert result.points[999] == []


def test_it_serves_a_range_older_than_raw_retention_from_the_rollups(
    engine: Engine, store: Store
) -> None:
    write(store, [Sample(WAIT, T0 + s * 1000, 1.0) for s in range(0, 2 * 3600, 5)])
    rollups = roll(engine, T0 + 3 * HOUR)
    rollups.retention_step(Resolution.RAW, T0 + HOUR + 30 * MIN, batch_rows=10_000,
                           now_ms=T0 + 3 * HOUR, **NO_FENCE)
    sid = series_id(store, WAIT)

    result = HistoryStore(engine).history([sid], T0 + HOUR, T0 + 2 * HOUR - 1)

    assert result.resolution is Resolution.RAW
    assert [(s.source, s.from_ms, s.to_ms) for s in result.segments] == [
        (Resolution.MINUTE, T0 + HOUR, T0 + HOUR + 30 * MIN),
        (Resolution.RAW, T0 + HOUR + 30 * MIN, T0 + 2 * HOUR),
    ]
    points = result.points[sid]
    assert [p.count for p in points] == [12] * 30 + [1] * 360


def test_it_shows_one_minute_points_when_polled_faster_than_assumed(
    engine: Engine, store: Store
) -> None:
    write(store, [Sample(WAIT, T0 + ms, 1.0) for ms in range(0, HOUR, 1000)])
    sid = series_id(store, WAIT)

    result = HistoryStore(engine, raw_interval_s=5).history([sid], T0, T0 + HOUR - 1)

    assert result.resolution is Resolution.MINUTE
    assert len(result.points[sid]) == 60


@pytest.mark.parametrize(("args", "message"), [
    ((T0 + 1, T0), "after to_ms"),
    ((T0, T0 + 1, 0), "max_points"),
])
def test_it_rejects_a_bad_range(engine: Engine, args: tuple[int, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        HistoryStore(engine).history([1], *args)


def test_it_rejects_too_many_series(engine: Engine) -> None:
    with pytest.raises(ValueError, match="at most 500 series"):
        HistoryStore(engine).history(list(range(501)), T0, T0 + 1)


# -- daily figures ---------------------------------------------------------------------------


def local_ms(day: date, hour: int, minute: int = 0) -> int:
    return int(datetime(day.year, day.month, day.day, hour, minute, tzinfo=STOCKHOLM)
               .timestamp() * 1000)


def queue_day(day: date, *, until_ms: int | None = None) -> list[Sample]:
    """A queue's counters over one local day, polled every 5 minutes from 00:00 local:
    answered +1 each poll, abandoned +1 every second poll (reset at local midnight),
    longest wait 10 s except 40 s at 12:00, service level = the poll's number / 10."""
    start, end = local_ms(day, 0), local_ms(day, 0) + 25 * HOUR
    out = []
    for n, ts in enumerate(range(start, end, 5 * MIN), start=1):
        if datetime.fromtimestamp(ts / 1000, STOCKHOLM).date() != day:
            break
        if until_ms is not None and ts > until_ms:
            break
        noon = datetime.fromtimestamp(ts / 1000, STOCKHOLM).hour == 12 and ts % HOUR == 0
        out += [Sample(key("answered_today"), ts, float(n)),
                Sample(key("abandoned_today"), ts, float(n // 2)),
                Sample(key("longest_wait_s"), ts, 40.0 if noon else 10.0),
                Sample(key("service_level_pct"), ts, n / 10)]
    return out


@pytest.mark.parametrize(("days", "polls"), [
    # spring forward on 31 March 2024: 23 local hours; fall back on 27 October: 25 hours
    ((date(2024, 3, 30), date(2024, 3, 31), date(2024, 4, 1)), (288, 276, 288)),
    ((date(2024, 10, 26), date(2024, 10, 27), date(2024, 10, 28)), (288, 300, 288)),
], ids=["spring", "autumn"])
def test_it_gives_the_figures_of_each_local_day_across_dst(
    engine: Engine, store: Store, days: tuple[date, ...], polls: tuple[int, ...]
) -> None:
    write(store, [s for day in days for s in queue_day(day)])
    now = local_ms(days[-1], 23, 59) + 2 * HOUR  # the next morning, all rolled up
    roll(engine, now)

    rows = HistoryStore(engine).daily(now, days=4, tz="Europe/Stockholm")

    assert [r.day for r in rows] == list(days)
    for row, n in zip(rows, polls, strict=True):
        assert (row.source, row.queue_id, row.queue_name) == ("trio", "7", "Kö 7")
        assert (row.answered, row.abandoned) == (n, n // 2)
        assert row.abandon_rate_pct == pytest.approx(100 * (n // 2) / (n + n // 2))
        assert row.service_level_pct == pytest.approx(n / 10)
        assert row.max_wait_s == 40.0
        assert row.avg_wait_s == pytest.approx((10 * (n - 1) + 40) / n)
        assert row.as_of_ms == local_ms(row.day, 23, 55)


def test_it_gives_today_so_far_including_what_is_not_rolled_up(
    engine: Engine, store: Store
) -> None:
    today = date(2024, 6, 10)
    now = local_ms(today, 14, 2)
    write(store, queue_day(today, until_ms=now))
    roll(engine, now - 40 * MIN)  # the last 40 minutes are raw only

    rows = HistoryStore(engine).daily(now, days=1, queue_ids=["7"], source="trio")

    assert len(rows) == 1
    polls = 14 * 12 + 1  # 00:00 .. 14:00
    assert (rows[0].day, rows[0].answered, rows[0].as_of_ms) == (
        today, polls, local_ms(today, 14, 0))
    assert rows[0].max_wait_s == 40.0


def test_it_leaves_out_other_queues_and_empty_days(engine: Engine, store: Store) -> None:
    day = date(2024, 6, 10)
    write(store, queue_day(day) + [Sample(key("answered_today", "8"), local_ms(day, 9), 3.0)])
    now = local_ms(day, 23, 59) + 3 * DAY
    roll(engine, now)

    rows = HistoryStore(engine).daily(now, days=10, queue_ids=["8"])

    assert [(r.queue_id, r.day, r.answered, r.abandoned, r.abandon_rate_pct,
             r.service_level_pct, r.avg_wait_s) for r in rows] == [
        ("8", day, 3, None, None, None, None)]


@pytest.mark.parametrize(("kwargs", "message"), [
    ({"days": 0}, "days must be"), ({"tz": "Mars/Olympus"}, "unknown time zone"),
])
def test_it_rejects_bad_daily_arguments(
    engine: Engine, kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        HistoryStore(engine).daily(T0, **kwargs)  # type: ignore[arg-type]
