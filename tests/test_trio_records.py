"""Reading Trio fields one by one, and the plausibility rules of specs.metrics."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import AsyncIterator
from zoneinfo import ZoneInfo

import httpx
import pytest

from collectors.clock import ManualClock
from collectors.deadline import Deadline
from collectors.errors import ErrorKind, SourceError
from collectors.http import HttpConfig, HttpSeam
from collectors.trio_records import (
    FALLBACK_TOKEN_LIFETIME_S,
    AgentReading,
    ParseReport,
    load_json,
    parse_agent,
    parse_queue,
    parse_queues,
    token_lifetime,
)
from specs.metrics import QUEUE_METRIC_BY_ID, implausible, implausible_together
from trio_monitor.settings import DEFAULT_AGENT_FIELDS, DEFAULT_QUEUE_FIELDS

STOCKHOLM = ZoneInfo("Europe/Stockholm")


@pytest.mark.parametrize(("raw", "stored"), [
    (True, 1.0), (False, 0.0), (1, 1.0), (0, 0.0), ("true", 1.0), ("False", 0.0), ("1", 1.0),
])
def test_it_reads_open_as_a_boolean_or_0_1(raw, stored):
    record = parse_queue({"serviceid": 1, "servicename": "A", "open": raw}, DEFAULT_QUEUE_FIELDS)
    assert record.metrics == {"open": stored}


@pytest.mark.parametrize("raw", [2, -1, "yes", "", [], {}, 0.5])
def test_it_refuses_only_an_unreadable_open(raw):
    report = ParseReport()
    item = {"serviceid": 1, "servicename": "A", "open": raw, "callswaiting": 3}
    record = parse_queue(item, DEFAULT_QUEUE_FIELDS, report)
    assert record.metrics == {"calls_waiting": 3.0}
    assert report.refused == {"open not a boolean": 1}


def test_it_reads_numbers_sent_as_strings_and_refuses_words():
    report = ParseReport()
    item = {"serviceid": "7", "servicename": "Växel", "callswaiting": "4",
            "servicelevel": "91.5", "longestwaittime": "a while"}
    record = parse_queue(item, DEFAULT_QUEUE_FIELDS, report)
    assert record.queue_id == "7"
    assert record.metrics == {"calls_waiting": 4.0, "service_level_pct": 91.5}
    assert report.summary() == "partial: 1 value refused (1 longest_wait_s not a number)"


def test_it_keeps_a_queue_whose_name_is_refused_without_a_name():
    report = ParseReport()
    record = parse_queue({"serviceid": 3, "servicename": 17, "callswaiting": 1},
                         DEFAULT_QUEUE_FIELDS, report)
    assert record.name is None and record.metrics == {"calls_waiting": 1.0}
    assert report.refused == {"servicename not a text": 1}


def test_it_repairs_bad_bytes_and_counts_them():
    body = '{"data": [{"serviceid": 1, "servicename": "KöX"}]}'.encode()
    body = body.replace(b"X", b"\xff\xfe")
    report = ParseReport()
    records = parse_queues(load_json(body, None)["data"], DEFAULT_QUEUE_FIELDS, report)
    assert records[0].name == "Kö\ufffd\ufffd"
    assert report.repaired == 1


def test_it_skips_a_duplicate_id_and_keeps_the_first():
    report = ParseReport()
    items = [{"serviceid": 1, "servicename": "A", "callswaiting": 1},
             {"serviceid": 1, "servicename": "B", "callswaiting": 9},
             {"servicename": "no id"}]
    records = parse_queues(items, DEFAULT_QUEUE_FIELDS, report)
    assert [(r.name, r.metrics) for r in records] == [("A", {"calls_waiting": 1.0})]
    assert report.skipped == {"duplicate id": 1, "no usable id": 1}


@pytest.mark.parametrize(("metric", "value", "why"), [
    ("calls_waiting", -1, "negative"),
    ("calls_waiting", 2.5, "not a whole number"),
    ("longest_wait_s", 86_401, "longer than a day"),
    ("longest_wait_s", -0.5, "negative"),
    ("service_level_pct", 100.1, "over 100"),
    ("service_level_pct", -3, "negative"),
    ("agents_logged_in", 2_000_000, "over 1e+06"),
])
def test_it_names_why_a_value_cannot_be_true(metric, value, why):
    assert implausible(QUEUE_METRIC_BY_ID[metric], value) == why


@pytest.mark.parametrize(("metric", "value"), [
    ("calls_waiting", 0), ("longest_wait_s", 86_400), ("service_level_pct", 100),
    ("service_level_pct", 0), ("answered_today", 12_000), ("longest_wait_s", 12.5),
])
def test_it_accepts_values_at_the_edges(metric, value):
    assert implausible(QUEUE_METRIC_BY_ID[metric], value) is None


def test_it_refuses_agent_figures_over_the_logged_in_total_and_keeps_the_total():
    values = {"agents_logged_in": 2.0, "agents_busy": 3.0, "agents_available": 2.0,
              "agents_paused": 0.0}
    assert implausible_together(values) == {"agents_busy": "more than agents_logged_in"}


def test_it_reads_agent_states_as_names_or_codes():
    reading = AgentReading(state_codes={"2": "busy"}, tz=STOCKHOLM)
    for raw in ("Busy", 2, "2"):
        agent = parse_agent({"agentid": 5, "state": raw}, DEFAULT_AGENT_FIELDS, reading)
        assert agent.state == "busy"
    report = ParseReport()
    agent = parse_agent({"agentid": 5, "state": 7}, DEFAULT_AGENT_FIELDS, reading, report)
    assert agent.state == "unknown"
    assert report.refused == {"state code 7 not in the state map": 1}


def test_it_reads_a_zone_less_time_in_the_site_zone_and_counts_it():
    reading = AgentReading(tz=STOCKHOLM)
    report = ParseReport()
    local = parse_agent({"agentid": 5, "state": "busy", "statesince": "2026-07-01T10:00:00"},
                        DEFAULT_AGENT_FIELDS, reading, report)
    utc = parse_agent({"agentid": 5, "state": "busy", "statesince": "2026-07-01T08:00:00Z"},
                      DEFAULT_AGENT_FIELDS, reading, report)
    assert local.state_since_ms == utc.state_since_ms  # CEST is UTC+2
    assert report.zoneless == 1 and report.summary() is None


@pytest.mark.parametrize("raw", [0, -5, "soon", None, float("nan"), True, [3600]])
def test_it_falls_back_to_a_safe_token_lifetime(raw):
    body = {"access_token": "a"} if raw is None else {"access_token": "a", "expires_in": raw}
    seconds, warning = token_lifetime(body)
    assert seconds == FALLBACK_TOKEN_LIFETIME_S
    assert warning is not None and "unusable expires_in" in warning


def test_it_takes_a_usable_token_lifetime_as_sent():
    assert token_lifetime({"expires_in": "1800"}) == (1800.0, None)


# -- the seam's own decoding -------------------------------------------------------------


class _Chunks(httpx.AsyncByteStream):
    """A body that arrives in pieces, as from a socket (not pre-read by httpx)."""

    def __init__(self, data: bytes, size: int = 4096) -> None:
        self._data, self._size = data, size

    async def __aiter__(self) -> AsyncIterator[bytes]:
        for i in range(0, len(self._data), self._size):
            yield self._data[i:i + self._size]


def _seam(body: bytes, encoding: str, cap: int = 1024 * 1024) -> HttpSeam:
    def handler(request: httpx.Request) -> httpx.Response:
        headers = {"Content-Encoding": encoding, "Content-Type": "application/json"}
        return httpx.Response(200, headers=headers, stream=_Chunks(body))

    return HttpSeam(HttpConfig(max_body_bytes=cap), name="t",
                    transport=httpx.MockTransport(handler))


@pytest.mark.parametrize(("encoding", "compress"), [
    ("gzip", gzip.compress),
    ("deflate", zlib.compress),
    ("deflate", lambda data: zlib.compress(data, wbits=-15)),  # raw deflate, as some send
])
async def test_it_decodes_a_compressed_body_in_steps(encoding, compress):
    document = b'{"data": [' + b" " * 500_000 + b"]}"
    async with _seam(compress(document), encoding) as seam:
        response = await seam.request("GET", "http://t.test/x", deadline=Deadline(
            ManualClock(), 5))
    assert response.body == document


async def test_it_refuses_a_content_encoding_it_did_not_ask_for():
    async with _seam(b"\x00" * 100, "br") as seam:
        with pytest.raises(SourceError) as err:
            await seam.request("GET", "http://t.test/x", deadline=Deadline(ManualClock(), 5))
    assert err.value.kind is ErrorKind.MALFORMED and "'br'" in str(err.value)


async def test_it_stops_inflating_at_the_cap():
    bomb = gzip.compress(b" " * (64 * 1024 * 1024))
    async with _seam(bomb, "gzip", cap=256 * 1024) as seam:
        with pytest.raises(SourceError) as err:
            await seam.request("GET", "http://t.test/x", deadline=Deadline(ManualClock(), 5))
    assert err.value.kind is ErrorKind.TOO_LARGE
    assert "exceeded 327680 bytes once decoded" in str(err.value)  # cap + one 64 KiB step
