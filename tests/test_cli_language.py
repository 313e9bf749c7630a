"""The operator's output of `status`, `check-config` and `db` in the site's language
(TRIO_MONITOR_LANGUAGE, as every CLI message): Swedish words, decimal commas and
durations, the same facts and exit statuses as in English."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from specs.collector_status import StorageStatus
from storage import CurrentRow, LeaseInfo, SourceFacts
from tests.test_cli_operator import _facts, run, site  # noqa: F401 - the fixture
from trio_monitor.cliutil import say
from trio_monitor.settings import load_settings
from trio_monitor.status import Report, problems, render

NOW = 1_700_000_000_000
# English words of the status output that must not stand in its Swedish form.
_ENGLISH = re.compile(r"\b(collector|storage|failing|since|held|lost|breaker|last|success|"
                      r"failures|never|ago|none|queues?|open|yes|no|age|waiting|longest|free|"
                      r"busy|paused|state|closed|down|not polled|yet|workers|reconcilers|"
                      r"sites|current|head|empty|warning)\b")


def _report() -> Report:
    lease = LeaseInfo(name="collector", holder="host-a:7", token=3, acquired_at_ms=NOW,
                      expires_at_ms=NOW + 60_000, renewed_at_ms=NOW)
    sources = [
        SourceFacts(name="trio", kind="trio", url="http://t", last_success_at_ms=NOW - 95_000,
                    breaker_state="open", consecutive_failures=4, last_error="timeout",
                    failing_since_ms=NOW - 60_000),
        SourceFacts(name="health:worker-1", kind="health", url="http://w", state="down",
                    last_success_at_ms=NOW - 3_600_000),
    ]
    rows = [CurrentRow(1, "trio", "queue", "12", "Kundtjänst", metric, "", NOW - 4_000, value)
            for metric, value in (("open", 1.0), ("calls_waiting", 3.0),
                                  ("longest_wait_s", 95.0), ("service_level_pct", 82.5))]
    storage = StorageStatus(holder="host-a:7", updated_at_ms=NOW, fresh_until_ms=NOW + 60_000,
                            failing_since_ms=NOW - 120_000, reason="disk full",
                            buffered_polls=2, buffered_samples=40, lost_samples=1)
    return Report(lease=lease, sources=sources, watched={"trio": 5.0, "health:worker-1": 10.0,
                                                         "drift:recon": 15.0},
                  rows=rows, storage=storage, zone="Europe/Stockholm")


def test_it_prints_the_status_in_swedish_with_swedish_numbers() -> None:
    lines = render(_report(), NOW, "sv")
    shown = "\n".join(lines)
    assert lines[0] == "insamlare: host-a:7 (leasens nummer 3)"
    assert lines[1].startswith("lagring: fallerar sedan 23:11: disk full; 2 hämtning(ar)")
    assert "\nTrio-siter:\n  trio: brytaren öppen, senast lyckad för 95 s sedan, fel 4" in shown
    assert "\n    senaste fel: timeout" in shown
    assert "  health:worker-1: nere, brytaren stängd, senast lyckad för 60 min sedan" in shown
    assert "\navstämmare:\n  (inga)\n" in shown
    [queue] = [line for line in lines if "Kundtjänst" in line]
    assert queue.split() == ["Kundtjänst", "ja", "3", "95", "82", "-", "-", "-", "för", "4",
                             "s", "sedan"]
    assert not _ENGLISH.findall(shown.replace("trio", "").replace("health:worker", "")), shown


def test_it_says_the_same_in_english_as_before() -> None:
    lines = render(_report(), NOW, "en")
    assert lines[0] == "collector: host-a:7 (lease token 3)"
    assert "  trio: breaker open, last success 95 s ago, failures 4" in lines[4]
    assert "  health:worker-1: down, breaker closed, last success 60 min ago, failures 0" in lines


def test_it_lists_the_problems_in_swedish(tmp_path: Path) -> None:
    settings = load_settings(data_dir=str(tmp_path))
    found = problems(_report(), settings, NOW, "sv")
    assert found == [
        "lagring: fallerar sedan 23:11: disk full; 2 hämtning(ar) med 40 mätvärde(n) hålls "
        "i minnet, 1 mätvärde(n) förlorade",
        "drift:recon: inte hämtad ännu",
        "health:worker-1: tillstånd nere",
        "health:worker-1: senast lyckad för 60 min sedan",
        "trio: brytaren öppen (senaste fel: timeout)",
        "trio: senast lyckad för 95 s sedan",
    ]
    assert len(problems(_report(), settings, NOW, "en")) == len(found)


def test_it_writes_a_decimal_comma_for_a_backup_size() -> None:
    assert say("cli_db_backup_written", "sv", path="a.db", revision="0011", target="b.db",
               size="1,5") == ("säkerhetskopia av a.db med schemarevision 0011 skriven till "
                               "b.db (1,5 MiB)")


@pytest.mark.slow
@pytest.mark.timeout(180)
def test_the_commands_speak_swedish_with_the_same_exit_statuses(site, tmp_path) -> None:  # noqa: F811
    env, store = site
    swedish = {**env, "TRIO_MONITOR_LANGUAGE": "sv"}
    _facts(store, "trio", "trio", NOW, breaker_state="open", consecutive_failures=4,
           last_error="connect timeout", failing_since_ms=NOW - 60_000)
    check = run("status", "--check", env=swedish, cwd=tmp_path)
    assert check.returncode == 1, check.stderr
    lines = check.stdout.strip().splitlines()
    assert lines[0] == "insamlare: ingen aktiv (leasen har gått ut eller togs aldrig)"
    assert "drift:recon: inte hämtad ännu" in lines
    assert "trio: brytaren öppen (senaste fel: connect timeout)" in lines
    current = run("db", "current", env=swedish, cwd=tmp_path)
    assert current.returncode == 0, current.stderr
    assert re.fullmatch(r"nuvarande: \w+\nsenaste:   \w+\n", current.stdout), current.stdout
    config = run("check-config", env={**swedish, "TRIO_MONITOR_TRIO_BASE_URL": ""},
                 cwd=tmp_path)
    assert config.returncode == 0, config.stderr
    assert "TRIO_MONITOR_TRIO_BASE_URL" in config.stdout and "(inte satt)" in config.stdout
    assert config.stderr.startswith("varning: ")


def test_one_language_for_every_command_the_sites_else_the_terminals() -> None:
    from trio_monitor.cliutil import cli_language

    assert cli_language({"TRIO_MONITOR_LANGUAGE": "sv", "LANG": "en_GB.UTF-8"}) == "sv"
    assert cli_language({"TRIO_MONITOR_LANGUAGE": "en", "LANG": "sv_SE.UTF-8"}) == "en"
    # Unset or not a language: the terminal's locale, then English.
    assert cli_language({"TRIO_MONITOR_LANGUAGE": "fi", "LANG": "sv_SE.UTF-8"}) == "sv"
    assert cli_language({"LANG": "C.UTF-8"}) == "en" and cli_language({}) == "en"
