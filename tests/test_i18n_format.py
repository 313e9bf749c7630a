"""Numbers per language on the pages: a decimal comma in Swedish, one place
(dashboard/components/format.py over specs.text)."""

from __future__ import annotations

import pytest

from dashboard.components import format as fmt
from dashboard.components.alerts import entity_text, value_text
from specs import text

pytestmark = pytest.mark.sqlite_only


def test_it_writes_a_share_with_a_decimal_comma_in_swedish() -> None:
    assert fmt.ratio(0.925, "sv") == "92,5 %"
    assert fmt.ratio(0.925, "en") == "92.5 %"
    assert fmt.ratio(None, "sv") == "–"
    assert fmt.percent(95.4, "sv") == "95 %"
    assert fmt.percent(82.25, "sv", 1) == "82,2 %"


def test_it_writes_an_alerts_value_in_the_pages_language() -> None:
    assert value_text("service_level_pct", 82.5, "sv") == "82,5 %"
    assert value_text("service_level_pct", 82.5, "en") == "82.5 %"
    assert value_text("longest_wait_s", 95, "sv") == "1:35"
    assert entity_text("Kundtjänst", "100", "queue", "sv") == "Kundtjänst (kö)"


def test_it_shows_what_the_program_stored_in_english_in_swedish() -> None:
    assert text.stored_name("Longest wait", "sv") == "Längsta väntetid"
    assert text.stored("longest_wait_s = 95 (critical at or above 20) for 3 s", "sv",
                       tz="Europe/Stockholm") == (
        "Längsta väntetid = 1:35 (kritisk vid eller över 0:20) i 3 s")
    assert text.stored("timeout after 0.5 s", "sv", tz="Europe/Stockholm") == (
        "inget svar inom 0,5 s")
    # A name someone typed, and any text of English, stay as they are.
    assert text.stored_name("Kvällskön", "sv") == "Kvällskön"
    assert text.stored_name("Longest wait", "en") == "Longest wait"
