"""The tile's floor lines and the queue page's floor builders, as plain components."""

from __future__ import annotations

import json

import plotly.io
import pytest

from dashboard.components.queueday import interval_figure, staffing_text
from dashboard.components.tile_extras import (
    abandon_rate,
    day_line,
    interval_line,
    staffing_line,
)
from dashboard.daymodel import QueueDay, StaffingPoint
from dashboard.readmodel import QueueView
from specs.intervals import IntervalLevel
from specs.sltarget import ServiceLevelTarget, check_target, target_for
from specs.staffing import NotEnough, Staffing

TARGET = ServiceLevelTarget(80.0, 20)


def text(component: object) -> str:
    return json.dumps(component.to_plotly_json(), cls=plotly.utils.PlotlyJSONEncoder,  # type: ignore[attr-defined]
                      ensure_ascii=False)


def queue(**metrics: float) -> QueueView:
    return QueueView("7", "Kundtjänst", dict(metrics), 0, True)


def test_it_computes_the_abandon_rate_of_offered_calls() -> None:
    assert abandon_rate(120.0, 8.0) == pytest.approx(6.25)
    assert abandon_rate(0.0, 0.0) is None and abandon_rate(None, 3.0) is None


@pytest.mark.parametrize(("lang", "expected"), [
    ("en", "Today 120 answered · 8 abandoned (6 %) · ASA 0:12"),
    ("sv", "I dag 120 besvarade · 8 tappade (6 %) · Svarstid 0:12"),
])
def test_the_day_line_says_the_days_totals_in_both_languages(lang: str, expected: str) -> None:
    line = day_line(queue(answered_today=120, abandoned_today=8, asa_s=12), lang)
    assert line is not None and line.children == expected


def test_the_day_line_leaves_out_an_asa_the_server_does_not_send() -> None:
    line = day_line(queue(answered_today=120, abandoned_today=0), "en")
    assert line is not None and "ASA" not in line.children
    assert day_line(queue(calls_waiting=3), "en") is None


def test_the_interval_line_is_marked_below_the_target() -> None:
    below = interval_line(72.0, 85.0, TARGET, "en")
    assert below.children == "SL this 15 min 72 % · today 85 % · target 80/20"
    assert "tile__interval--below" in below.className
    assert "--below" not in interval_line(None, None, TARGET, "sv").className


def test_the_staffing_line_says_how_many_more_are_needed() -> None:
    short = staffing_line(Staffing(11, 14), "en")
    assert "needs 3 more" in text(short) and short.className.endswith("--short")
    assert "behöver 3 till" in text(staffing_line(Staffing(11, 14), "sv"))
    enough = staffing_line(Staffing(16, 14), "en")
    assert enough.children == "14 needed · 16 logged in" and "more" not in text(enough)
    none = staffing_line(Staffing(11, reason=NotEnough.FEW_CALLS), "en")
    assert none.children == "Staffing: not enough data"
    assert none.title == "fewer than 10 calls answered in 30 minutes"
    assert staffing_text(Staffing(11, reason=NotEnough.SHORT), "sv") == (
        "Bemanning: för lite data: mindre än 20 av de senaste 30 minuterna lagrade")


def test_the_interval_bars_are_coloured_against_the_target_with_its_line() -> None:
    levels = [IntervalLevel(0, 1, "08:00", 10, 9), IntervalLevel(1, 2, "08:15", 10, 5),
              IntervalLevel(2, 3, "08:30", 0, 0)]
    day = QueueDay(ServiceLevelTarget(90.0, 30, own=True), levels,
                   [StaffingPoint(1, "08:00", 4, 3.0)], Staffing(3, 4), levels[-1])
    bars, line = interval_figure(day, "sv")["data"]
    assert bars["y"] == [90.0, 50.0, None]
    assert bars["marker"]["color"][0] != bars["marker"]["color"][1]
    assert line["y"] == [90.0, 90.0, 90.0] and line["name"] == "Mål 90/30"


@pytest.mark.parametrize(("pct", "seconds"), [(0, 20), (100, 20), (80, 0), (80, 2.5),
                                              (80, 3601), (float("nan"), 20)])
def test_a_target_that_makes_no_sense_is_refused(pct: float, seconds: float) -> None:
    with pytest.raises(ValueError):
        check_target(pct, seconds)


def test_a_queue_without_its_own_target_has_the_default() -> None:
    assert target_for("7", {"8": (90.0, 30)}, TARGET) is TARGET
    assert target_for("8", {"8": (90.0, 30)}, TARGET) == ServiceLevelTarget(90.0, 30, own=True)
