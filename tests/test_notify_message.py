"""Message text: one grouped message, English and Swedish, local times."""

from __future__ import annotations

from dataclasses import replace

import pytest

from alerts.notify import Notification, NotificationKind, Severity, render_text

# 2024-03-05 13:03:07 UTC: 14:03:07 in Stockholm (CET, winter).
WINTER_MS = 1_709_643_787_000
# 2024-07-01 10:00:00 UTC: 12:00:00 in Stockholm (CEST, summer).
SUMMER_MS = 1_719_828_000_000


def note(**changes: object) -> Notification:
    base = Notification(
        alert_id="a1",
        rule_name="Longest wait",
        severity=Severity.WARNING,
        kind=NotificationKind.FIRING,
        entity="Kundtjänst",
        value=16.0,
        threshold=15.0,
        unit="s",
        since_ms=WINTER_MS,
        link="https://monitor.example.se/alerts",
    )
    return replace(base, **changes)  # type: ignore[arg-type]


def test_it_renders_one_alert_with_entity_value_threshold_since_and_link() -> None:
    subject, body = render_text([note()], "en", "Europe/Stockholm")

    assert subject == "[WARNING] 1 alert firing: Longest wait (Kundtjänst)"
    assert "WARNING · Longest wait · Kundtjänst" in body
    assert "Value: 16 s (threshold 15 s)" in body
    assert "Since: 2024-03-05 14:03:07 CET" in body
    assert "Link: https://monitor.example.se/alerts" in body


def test_it_groups_several_alerts_into_one_message_worst_first() -> None:
    alerts = [
        note(alert_id="a1", entity="Kundtjänst"),
        note(alert_id="a2", entity="Växel", severity=Severity.CRITICAL, value=25.0),
        note(alert_id="a3", entity="Support"),
    ]

    subject, body = render_text(alerts, "en", "Europe/Stockholm")

    assert subject.startswith("[CRITICAL] 3 alerts firing: Longest wait (Växel), ")
    assert body.count("Longest wait ·") == 3
    assert body.index("Växel") < body.index("Kundtjänst") < body.index("Support")


def test_it_writes_swedish_with_decimal_comma_and_summer_time() -> None:
    alerts = [
        note(rule_name="Servicenivå", value=72.5, threshold=80.0, unit="%", since_ms=SUMMER_MS),
        note(alert_id="a2", kind=NotificationKind.RESOLVED, value=12.0, entity="Växel"),
    ]

    subject, body = render_text(alerts, "sv", "Europe/Stockholm")

    assert subject == (
        "[VARNING] 1 larm aktivt, 1 larm återställt: Servicenivå (Kundtjänst), "
        "Längsta väntetid (Växel)"
    )
    assert "Värde: 72,5 % (gräns 80 %)" in body
    assert "Sedan: 2024-07-01 12:00:00 CEST" in body
    assert "ÅTERSTÄLLT · Längsta väntetid · Växel" in body
    assert "Länk: https://monitor.example.se/alerts" in body


def test_it_says_no_data_when_there_is_no_value() -> None:
    _, body = render_text([note(value=None)], "sv", "UTC")

    assert "Värde: ingen data (gräns 15 s)" in body
    assert "Sedan: 2024-03-05 13:03:07 UTC" in body


def test_it_shortens_the_subject_but_lists_every_alert_in_the_body() -> None:
    alerts = [note(alert_id=str(i), entity=f"Kö {i}") for i in range(6)]

    subject, body = render_text(alerts, "en", "Europe/Stockholm")

    assert subject.endswith("Longest wait (Kö 2), …")
    assert all(f"Kö {i}" in body for i in range(6))


@pytest.mark.parametrize(
    ("lang", "tz", "message"),
    [("de", "UTC", "unknown language 'de'"), ("en", "Mars/Olympus", "unknown time zone")],
)
def test_it_refuses_an_unknown_language_or_zone(lang: str, tz: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render_text([note()], lang, tz)
