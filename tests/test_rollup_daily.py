"""The daily rollup (1d): local days of the site's zone across DST, built in steps from
the hour rows, re-rolled for late samples, and the daily figures read from it exactly as
they were computed from the hour rows."""

from __future__ import annotations

from dataclasses import astuple
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine

from collectors.clock import ManualClock
from collectors.rollup import RollupConfig, RollupJob
from storage import (
    HistoryStore,
    PollWrite,
    Resolution,
    RollupStore,
    Sample,
    SeriesKey,
    SourceFacts,
    Store,
    current_revision,
    make_engine,
    upgrade,
)
from storage._migrate import alembic_config
from storage._schema import rollup_1d
from trio_monitor.settings import load_settings

MIN, HOUR = 60_000, 3_600_000
TZ = "Europe/Stockholm"
ZONE = ZoneInfo(TZ)
FACTS = SourceFacts(name="trio", kind="trio", url="http://te.example/api")
NO_FENCE: dict[str, None] = {"lease_name": None, "lease_token": None}
METRICS = ("answered_today", "abandoned_today", "longest_wait_s", "service_level_pct")
QUEUES = ("7", "8", "12")
FIRST = date(2024, 3, 25)  # 25 March .. 5 April: spring forward on 31 March (23 hours)
DAYS = 12


def local_ms(day: date, hour: int = 0, minute: int = 0) -> int:
    return int(datetime(day.year, day.month, day.day, hour, minute, tzinfo=ZONE)
               .timestamp() * 1000)


def key(metric: str, queue: str) -> SeriesKey:
    return SeriesKey("trio", "queue", queue, metric, "x", f"Kö {queue}")


def dataset(first: date, days: int, *, every_ms: int = 10 * MIN) -> list[Sample]:
    """Deterministic counters of three queues: the day's counts so far (reset at local
    midnight), a longest wait and a service level that vary with queue, day and time.
    Values are multiples of 1/4, so sums are exact in any order the database adds them."""
    out: list[Sample] = []
    for d in range(days):
        day = first + timedelta(days=d)
        start, end = local_ms(day), local_ms(day + timedelta(days=1))
        for q, queue in enumerate(QUEUES):
            if (d + q) % 5 == 4:
                continue  # a day without data for this queue
            for n, ts in enumerate(range(start, end, every_ms), start=1):
                wait = float((n * 7 + q * 13 + d * 3) % 90) + 0.25 * (n % 4)
                out += [Sample(key("answered_today", queue), ts, float(n * (q + 1))),
                        Sample(key("abandoned_today", queue), ts, float(n // (q + 2))),
                        Sample(key("longest_wait_s", queue), ts, wait),
                        Sample(key("service_level_pct", queue), ts, 50.0 + (n % 200) / 4)]
    return out


def write(store: Store, samples: list[Sample], now: int) -> None:
    for i in range(0, len(samples), 20_000):
        store.write_poll(PollWrite("trio", samples[i:i + 20_000], None, FACTS),
                         lease_name=None, lease_token=None, now_ms=now)


def roll(rollups: RollupStore, cutoff: int) -> None:
    """Every resolution up to ``cutoff`` in steps, as the rollup job does."""
    limit = cutoff
    for resolution in (Resolution.MINUTE, Resolution.HOUR, Resolution.DAY):
        while not rollups.roll_step(resolution, limit, now_ms=cutoff, **NO_FENCE).done:
            pass
        limit = rollups.state()[resolution].watermark_ms or 0


def stored_days(engine: Engine) -> list[tuple[int, int, int]]:
    with engine.connect() as conn:
        rows = conn.execute(select(rollup_1d.c.series_id, rollup_1d.c.ts, rollup_1d.c.count)
                            .order_by(rollup_1d.c.series_id, rollup_1d.c.ts))
        return [(int(a), int(b), int(c)) for a, b, c in rows]


def test_it_rolls_local_days_of_23_24_and_25_hours(engine: Engine, store: Store) -> None:
    # Autumn: 27 October 2024 has 25 local hours; spring: 31 March has 23.
    for first in (date(2024, 3, 30), date(2024, 10, 26)):
        write(store, dataset(first, 3, every_ms=HOUR), local_ms(first))
    now = local_ms(date(2024, 10, 29), 2)
    rollups = RollupStore(engine, read_rows=100, zone=TZ)  # small steps

    roll(rollups, now)

    state = rollups.state()[Resolution.DAY]
    assert (state.watermark_ms, state.zone) == (local_ms(date(2024, 10, 29)), TZ)
    hours_per_day = {datetime.fromtimestamp(ts / 1000, ZONE).date(): count
                     for _sid, ts, count in stored_days(engine)}
    assert hours_per_day[date(2024, 3, 31)] == 23
    assert hours_per_day[date(2024, 10, 27)] == 25
    assert hours_per_day[date(2024, 10, 28)] == 24
    # Every row starts at a local midnight.
    assert all(datetime.fromtimestamp(ts / 1000, ZONE).time().hour == 0
               for _sid, ts, _n in stored_days(engine))


def test_the_daily_figures_are_the_same_from_the_daily_rollup_as_from_the_hours(
    engine: Engine, store: Store
) -> None:
    last = FIRST + timedelta(days=DAYS - 1)
    now = local_ms(last, 14, 37)  # today is half done: the rest of it is not rolled up
    samples = [s for s in dataset(FIRST, DAYS) if s.ts_ms <= now]
    write(store, samples, now)
    rollups = RollupStore(engine, read_rows=2_000, zone=TZ)
    roll(rollups, now - 40 * MIN)
    assert rollups.state()[Resolution.DAY].watermark_ms == local_ms(last)
    history = HistoryStore(engine)

    for days in (1, 3, DAYS, 90):
        from_rollup = history.daily(now, days=days, tz=TZ)
        from_hours = history.daily(now, days=days, tz=TZ, rollup=False)
        assert [astuple(r) for r in from_rollup] == [astuple(r) for r in from_hours]
    rows = history.daily(now, days=90, tz=TZ)
    assert {r.day for r in rows} == {FIRST + timedelta(days=d) for d in range(DAYS)}
    assert len(rows) == sum(1 for d in range(DAYS) for q in range(3) if (d + q) % 5 != 4)
    spring = [r for r in rows if r.day == date(2024, 3, 31) and r.queue_id == "7"]
    assert spring[0].answered == 23 * 6  # 23 hours of polls every 10 minutes


def test_another_zone_reads_from_the_hours_and_a_new_zone_starts_over(
    engine: Engine, store: Store
) -> None:
    now = local_ms(FIRST + timedelta(days=4), 3)
    write(store, dataset(FIRST, 4, every_ms=30 * MIN), now)
    roll(RollupStore(engine, zone="UTC"), now)
    history = HistoryStore(engine)

    # Built for UTC days: Stockholm's days come from the hours, unchanged.
    assert history.daily(now, days=5, tz=TZ) == history.daily(now, days=5, tz=TZ,
                                                              rollup=False)
    rollups = RollupStore(engine, zone=TZ)
    roll(rollups, now)
    state = rollups.state()[Resolution.DAY]
    assert state.zone == TZ and state.watermark_ms == local_ms(FIRST + timedelta(days=4))
    assert all(datetime.fromtimestamp(ts / 1000, ZONE).hour == 0
               for _sid, ts, _n in stored_days(engine))
    assert history.daily(now, days=5, tz=TZ) == history.daily(now, days=5, tz=TZ,
                                                              rollup=False)


def test_a_late_sample_re_rolls_its_minute_hour_and_day(engine: Engine, store: Store) -> None:
    now = local_ms(FIRST + timedelta(days=2), 1)
    write(store, dataset(FIRST, 2, every_ms=30 * MIN), now)
    rollups = RollupStore(engine, zone=TZ)
    roll(rollups, now)
    late_ts = local_ms(FIRST + timedelta(days=1), 23, 59)
    write(store, [Sample(key("longest_wait_s", "7"), late_ts, 999.0)], now)

    result = rollups.recheck(late_ts - HOUR, now_ms=now, **NO_FENCE)

    assert (result.minutes, result.hours, result.days) == (1, 1, 1)
    history = HistoryStore(engine)
    rows = history.daily(now, days=3, tz=TZ, queue_ids=["7"])
    assert rows == history.daily(now, days=3, tz=TZ, queue_ids=["7"], rollup=False)
    assert rows[-1].max_wait_s == 999.0


def test_the_rollup_job_rolls_days_in_the_site_zone(engine: Engine, store: Store) -> None:
    start = local_ms(FIRST)
    write(store, dataset(FIRST, 3, every_ms=30 * MIN), start)
    clock = ManualClock(local_ms(FIRST + timedelta(days=3), 0, 30) / 1000)
    job = RollupJob(engine, RollupConfig(timezone=TZ, budget_s=3600), clock)

    report = job.run_once(None)

    assert report is not None and not report.behind
    assert report.days == sum(1 for d in range(3) for q in range(3)
                              if (d + q) % 5 != 4) * len(METRICS)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(rollup_1d)).scalar() == report.days
    assert RollupStore(engine).state()[Resolution.DAY].zone == TZ


def test_without_a_zone_there_is_no_daily_rollup(engine: Engine) -> None:
    with pytest.raises(ValueError, match="zone"):
        RollupStore(engine).roll_step(Resolution.DAY, 0, now_ms=0, **NO_FENCE)


def test_the_collector_rolls_the_days_of_trio_monitor_timezone(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TRIO_MONITOR_TIMEZONE", "America/New_York")
    settings = load_settings(trio_base_url="https://trio.example.se/te/api",
                             trio_client_key="k", trio_username="u", trio_password="p")
    assert settings.rollup_config().timezone == "America/New_York"


def test_revision_0011_adds_the_daily_rollup_and_its_downgrade_removes_it(
    empty_db_url: str,
) -> None:
    engine = make_engine(empty_db_url)
    try:
        upgrade(engine, "0010")
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO rollup_state (resolution, watermark, updated_at) "
                              "VALUES ('1h', 5, 1)"))
        upgrade(engine)
        assert RollupStore(engine).state()[Resolution.HOUR].zone is None
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO rollup_state (resolution, watermark, updated_at, "
                              "zone) VALUES ('1d', 7, 1, 'Europe/Stockholm')"))

        with engine.connect() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.downgrade(config, "0010")
            conn.commit()

        assert current_revision(engine) == "0010"
        assert "rollup_1d" not in inspect(engine).get_table_names()
        with engine.connect() as conn:
            # What the code of 0010 reads back: no "1d" row it would not know.
            assert conn.execute(text("SELECT resolution FROM rollup_state")).all() == [("1h",)]
    finally:
        engine.dispose()
