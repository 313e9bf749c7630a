"""The queue metrics' registry (specs.metrics) drives the tile, the rule form's choices,
the settings' default fields and the CLI: a metric is declared once."""

from __future__ import annotations

import pytest

from dashboard.components import thresholds, tiles
from dashboard.i18n import Lang, t
from specs.languages import LANGUAGES
from specs.metrics import (
    COUNTED_SINCE_FAILOVER,
    DEFAULT_QUEUE_METRIC_FIELDS,
    QUEUE_METRIC_BY_ID,
    QUEUE_METRICS,
    STATUS_COLUMNS,
    SUGGESTED_QUEUE_METRICS,
    Display,
    QueueMetricId,
    TileRow,
    implausible,
    tile_metrics,
)
from trio_monitor.settings import DEFAULT_QUEUE_FIELDS


def test_it_declares_each_metric_once_under_its_id() -> None:
    assert [m.id for m in QUEUE_METRICS] == [m.value for m in QueueMetricId]
    assert all(type(m.id) is str for m in QUEUE_METRICS)


@pytest.mark.parametrize("lang", list(Lang))
def test_it_has_a_label_for_every_metric_in_every_language(lang: Lang) -> None:
    for metric in QUEUE_METRICS:
        assert t(metric.label_key, lang).strip()
    assert {lang.value for lang in Lang} == set(LANGUAGES)


def test_it_offers_every_suggested_metric_in_the_rule_form_in_its_order() -> None:
    queue_choices = thresholds.KNOWN_METRICS[: len(SUGGESTED_QUEUE_METRICS)]
    assert queue_choices == SUGGESTED_QUEUE_METRICS
    # Every queue metric but open (a condition of rules, not a threshold) is offered.
    assert set(SUGGESTED_QUEUE_METRICS) == {m.id for m in QUEUE_METRICS} - {"open"}


def test_it_shows_on_the_tile_every_metric_placed_there_in_its_format() -> None:
    shown = {m.id for row in TileRow for m in tile_metrics(row)}
    assert shown == {"longest_wait_s", "calls_waiting", "service_level_pct",
                     "agents_available", "agents_busy", "agents_paused"}
    assert all(m.display in tiles._FORMATS for row in TileRow for m in tile_metrics(row))
    assert QUEUE_METRIC_BY_ID["longest_wait_s"].display is Display.DURATION


def test_the_settings_default_fields_start_from_the_registry() -> None:
    for metric_id, field in DEFAULT_QUEUE_METRIC_FIELDS.items():
        assert DEFAULT_QUEUE_FIELDS[metric_id] == field


def test_the_cli_status_columns_and_failover_counters_come_from_the_registry() -> None:
    assert list(STATUS_COLUMNS) == ["calls_waiting", "longest_wait_s", "service_level_pct",
                                    "agents_available", "agents_busy", "agents_paused"]
    assert COUNTED_SINCE_FAILOVER == {"service_level_pct", "answered_today", "abandoned_today",
                                      "asa_s"}


def test_a_percentage_is_refused_over_its_declared_range_not_capped_by_its_name() -> None:
    level = QUEUE_METRIC_BY_ID["service_level_pct"]
    assert implausible(level, 100.0) is None
    assert implausible(level, 100.5) == "over 100"


def test_a_metric_added_to_the_registry_appears_on_the_tile(monkeypatch) -> None:
    import specs.metrics
    from dashboard._config import DashboardConfig
    from dashboard.readmodel import QueueView
    from specs.metrics import QueueMetric, ValueKind

    added = QueueMetric("agents_wrapup", "agents", "agentswrapup", ValueKind.COUNT,
                        "available", Display.INTEGER, tile=TileRow.AGENTS)
    monkeypatch.setattr(specs.metrics, "QUEUE_METRICS", (*QUEUE_METRICS, added))
    now_ms = 1_700_000_000_000
    queue = QueueView("7", "Kundtjänst", {"longest_wait_s": 5.0, "agents_wrapup": 4.0},
                      now_ms, True)
    tile = repr(tiles.build_tile(queue, now_ms, "en", DashboardConfig()))
    assert "tile__stat tile__stat--available" in tile
    assert tile.count("tile__stat--available") == 2  # agents_available and the new one
    assert "'4'" in tile


def test_it_shows_a_rules_value_in_the_format_its_metric_declares() -> None:
    from alerts.inputs import RULE_METRIC_DISPLAYS
    from dashboard.components.alerts import value_text

    # Every metric the rule form offers has a declared display, not a name suffix rule.
    assert set(thresholds.KNOWN_METRICS) <= set(RULE_METRIC_DISPLAYS)
    assert value_text("longest_wait_s", 75) == "1:15"
    assert value_text("service_level_pct", 81.44) == "81.4 %"
    assert value_text("latency_ms", 120.4) == "120 ms"
    assert value_text("data_age_s", 3600) == "1:00:00"
    assert value_text("cycle_duration_s", 4.2) == "0:04"
    assert value_text("calls_waiting", 3) == "3"
    assert value_text("state_down", 1.0) == "1"
    assert value_text("no_such_metric_s", 90) == "90"
    assert value_text("latency_ms", None) == "–"
