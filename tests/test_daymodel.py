"""The floor figures read from stored series (SQLite and PostgreSQL): the queue's target,
the current interval's service level, staffing now and the day's intervals."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.engine import Engine

from dashboard import DashboardConfig
from dashboard.daymodel import FloorModel
from specs.staffing import NotEnough
from storage import PollWrite, QueueTargetStore, Sample, SeriesKey, SourceFacts, Store

TZ = "Europe/Stockholm"
FACTS = SourceFacts(name="trio", kind="trio", url="http://te.example/api")
NOW = int(datetime(2026, 6, 1, 10, 7, tzinfo=ZoneInfo(TZ)).timestamp() * 1000)
CONFIG = DashboardConfig(source_name="trio", refresh_interval_s=5.0, poll_interval_s=5.0,
                         timezone=TZ, sl_target_pct=80.0, sl_threshold_s=20)


def key(queue: str, metric: str) -> SeriesKey:
    return SeriesKey("trio", "queue", queue, metric, "x", f"Kö {queue}")


def busy_queue(queue: str, from_ms: int, to_ms: int) -> list[Sample]:
    """Polls every 5 s: 100 calls answered per 30 minutes (whole calls), 80 % of them in
    threshold, 10 agents busy, 11 logged in: 10 erlangs of 180 s calls."""
    samples = []
    for ts in range(from_ms, to_ms + 1, 5000):
        answered = float(round((ts - from_ms) / 18_000)) + 40
        samples += [Sample(key(queue, "answered_today"), ts, answered),
                    Sample(key(queue, "abandoned_today"), ts, 3.0),
                    Sample(key(queue, "service_level_pct"), ts, 80.0),
                    Sample(key(queue, "agents_busy"), ts, 10.0),
                    Sample(key(queue, "agents_logged_in"), ts, 11.0)]
    return samples


@pytest.fixture
def model(engine: Engine) -> FloorModel:
    store = Store(engine)
    samples = (busy_queue("7", NOW - 37 * 60_000, NOW) + busy_queue("8", NOW - 37 * 60_000, NOW)
               + busy_queue("9", NOW - 10 * 60_000, NOW))
    store.write_poll(PollWrite("trio", samples, None, FACTS), lease_name=None,
                     lease_token=None, now_ms=NOW)
    QueueTargetStore(engine).set_target("trio", "8", 95.0, 20, actor="admin", now_ms=NOW)
    return FloorModel(engine, CONFIG, lambda: NOW / 1000)


def test_it_gives_each_queue_its_target_interval_level_and_staffing(model: FloorModel) -> None:
    floor = model.floor()
    seven, eight, nine = floor.queues["7"], floor.queues["8"], floor.queues["9"]
    assert (seven.target.text(), seven.target.own) == ("80/20", False)
    assert (eight.target.text(), eight.target.own) == ("95/20", True)
    # 10:00-10:07: about 23 calls answered, 80 % within the threshold.
    assert seven.interval.label == "10:00"
    assert 20 <= seven.interval.answered <= 25
    assert seven.interval.service_level_pct == pytest.approx(80.0)
    # 10 erlangs: 14 agents for 80/20 (Erlang C), 16 for 95/20; 11 are logged in.
    load = seven.staffing.workload
    assert load is not None and load.load == pytest.approx(10.0 * load.offered / load.answered)
    assert (seven.staffing.needed, seven.staffing.logged_in, seven.staffing.short_by) == (
        14, 11, 3)
    assert (eight.staffing.needed, eight.staffing.short_by) == (16, 5)
    # Ten minutes stored: not enough for the 30-minute window.
    assert (nine.staffing.needed, nine.staffing.reason) == (None, NotEnough.SHORT)


def test_it_reads_the_day_as_intervals_against_the_target(model: FloorModel) -> None:
    day = model.day("8")
    assert day is not None
    assert day.target.text() == "95/20"
    labels = [iv.label for iv in day.intervals]
    assert labels[0] == "00:00" and labels[-1] == "10:00" and len(labels) == 41
    levels = {iv.label: iv.service_level_pct for iv in day.intervals}
    assert levels["09:15"] is None  # nothing stored before 09:30
    assert levels["09:30"] == pytest.approx(80.0) and levels["09:45"] == pytest.approx(80.0)
    needed = {p.label: p.needed for p in day.staffing}
    assert needed["09:30"] is None  # its window ends at 09:45, with 15 minutes stored
    assert needed["10:00"] == 16  # the window ending now
    assert day.now.needed == 16 and day.now.logged_in == 11
    assert model.day("nope") is None


def test_a_changed_target_shows_after_invalidate(model: FloorModel) -> None:
    assert model.floor().queues["7"].target.text() == "80/20"
    model.targets.set_target("trio", "7", 90.0, 30, actor="admin", now_ms=NOW)
    model.invalidate()
    assert model.floor().queues["7"].target.text() == "90/30"
    assert model.target("7").own is True
