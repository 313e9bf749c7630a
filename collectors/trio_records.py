"""Reading the TE API's bodies into records, one field at a time.

The vendor documents no field types (../shared/TRIO_API.md): a real .NET server may send
booleans as true/false or 0/1, agent states as names or numeric codes, and timestamps
without a zone offset. So each field is read on its own: a field that cannot be read, or
whose value cannot be true (``specs.metrics``), is refused and counted, and the rest of
the record is kept. A record is skipped only when it cannot be told apart from the others
(no id, a duplicate id, not an object). Undecodable bytes in a text become U+FFFD and are
counted. Everything here is pure and CPU-only, so the source can run it off the event loop.
"""

from __future__ import annotations

import codecs
import json
import logging
import math
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any

from specs.metrics import (
    PARTIAL_PREFIX,
    QUEUE_METRICS,
    ValueKind,
    implausible,
    implausible_together,
)
from storage import AgentRecord

log = logging.getLogger(__name__)

# The simulator's numeric agent state codes: the default of the configurable state map.
DEFAULT_AGENT_STATE_CODES: dict[str, str] = {
    "0": "loggedout",
    "1": "available",
    "2": "busy",
    "3": "wrapup",
    "4": "paused",
}
# An agent whose state cannot be read is kept under this state (and the refusal counted).
UNKNOWN_STATE = "unknown"
# Refusals quoted in a log line per poll; the rest are counted only.
_EXAMPLES = 5
_REASONS_SHOWN = 5
_UTF8_NAMES = frozenset({"utf-8", "utf-8-sig"})


class BadRecord(ValueError):
    """A record that cannot be told apart from the others; it is skipped and counted."""


@dataclass
class QueueRecord:
    queue_id: str
    name: str | None  # None: the name field was refused
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class ParseReport:
    """What one poll refused, repaired or skipped, for the log and the source's state."""

    refused: Counter[str] = field(default_factory=Counter)  # "field why" -> values
    skipped: Counter[str] = field(default_factory=Counter)  # "why" -> records
    repaired: int = 0  # texts in which undecodable bytes became U+FFFD
    zoneless: int = 0  # timestamps without a zone offset, read in the site's zone
    examples: list[str] = field(default_factory=list)

    def refuse(self, where: str, name: str, why: str, value: Any) -> None:
        self.refused[f"{name} {why}"] += 1
        self._example(f"{where}: {name} {value!r} refused ({why})")

    def skip(self, why: str, detail: str) -> None:
        self.skipped[why] += 1
        self._example(f"record skipped: {detail}")

    def _example(self, text: str) -> None:
        if len(self.examples) < _EXAMPLES:
            self.examples.append(text)

    @property
    def values_refused(self) -> int:
        return sum(self.refused.values())

    @property
    def records_skipped(self) -> int:
        return sum(self.skipped.values())

    def summary(self) -> str | None:
        """``partial: 3 values refused (2 longest_wait_s negative, 1 open not a boolean);
        1 record skipped (duplicate id)``; None when nothing was refused or skipped."""
        parts = []
        if self.refused:
            parts.append(f"{_n(self.values_refused, 'value')} refused ({_top(self.refused)})")
        if self.skipped:
            parts.append(f"{_n(self.records_skipped, 'record')} skipped ({_top(self.skipped)})")
        if self.repaired:
            parts.append(f"{_n(self.repaired, 'text')} with undecodable bytes shown as \ufffd")
        return PARTIAL_PREFIX + "; ".join(parts) if parts else None

    def log(self, what: str) -> None:
        summary = self.summary()
        if summary is None:
            return
        log.warning("%s: %s; e.g. %s", what, summary, "; ".join(self.examples))


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _top(counts: Counter[str]) -> str:
    shown = [f"{n} {why}" for why, n in counts.most_common(_REASONS_SHOWN)]
    more = len(counts) - _REASONS_SHOWN
    return ", ".join(shown) + (f", {more} more kinds" if more > 0 else "")


# -- bodies --------------------------------------------------------------------------------


def load_json(body: bytes, charset: str | None) -> Any:
    """A body as JSON. Bad bytes of a UTF-8 body survive as lone surrogates, which the
    field readers turn into U+FFFD and count (one bad byte must not lose the page).

    Raises ``ValueError`` (incl. ``JSONDecodeError``) or ``RecursionError``.
    """
    encoding = charset or json.detect_encoding(body)
    name = codecs.lookup(encoding).name
    errors = "surrogateescape" if name in _UTF8_NAMES else "replace"
    text = body.decode(encoding, errors=errors)
    return json.loads(text, object_hook=_let_others_run)


def _let_others_run(obj: dict[str, Any]) -> dict[str, Any]:
    """Identity, but Python: json's C scanner never hands the GIL over while it runs, so
    parsing 20 MB on a worker thread would still stall the event loop for most of a
    second; running bytecode once per object lets the interpreter switch threads.
    (Measured: largest loop gap 0.72 s without, 0.05 s with, same parse time.)"""
    return obj


def data_list(body: Any, url: str) -> list[Any]:
    """The ``data`` list of a links/data wrapper; raises ``ValueError`` naming the shape."""
    if not isinstance(body, dict) or "data" not in body:
        shape = sorted(body)[:8] if isinstance(body, dict) else type(body).__name__
        raise ValueError(f"response from {url} is not a links/data wrapper (got {shape})")
    data = body["data"]
    if not isinstance(data, list):
        raise ValueError(
            f"response from {url} has data of type {type(data).__name__}, expected a list"
        )
    return data


# -- fields --------------------------------------------------------------------------------


class _Refused(ValueError):
    """Internal: one field's value refused; the message is the short reason."""


def _text(value: Any, report: ParseReport | None) -> str:
    if not isinstance(value, str):
        raise _Refused("not a text")
    if any("\udc80" <= ch <= "\udcff" or "\ud800" <= ch <= "\udbff" for ch in value):
        if report is not None:
            report.repaired += 1
        value = "".join(
            "\ufffd" if "\ud800" <= ch <= "\udfff" else ch for ch in value
        )
    return value


def identifier(item: Mapping[str, Any], field_name: str, report: ParseReport | None) -> str:
    """The id of a record; raises ``BadRecord`` (a record without an id is skipped)."""
    value = item.get(field_name)
    if isinstance(value, bool) or not isinstance(value, int | str) or value == "":
        raise BadRecord(f"{field_name} is {value!r}, expected an integer or a string")
    return _text(value, report) if isinstance(value, str) else str(value)


def read_number(value: Any) -> float:
    """A number as sent: a JSON number or a numeric string (some servers quote decimals).
    Raises ``_Refused``."""
    if isinstance(value, bool):
        raise _Refused("not a number")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise _Refused("not a number") from None
    if not isinstance(value, int | float):
        raise _Refused("not a number")
    number = float(value)
    if not math.isfinite(number):
        raise _Refused("not finite")
    return number


_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


def read_bool(value: Any) -> bool:
    """true/false, 0/1, or those as strings ("True" from a .NET ToString); ``_Refused``."""
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value)
    if isinstance(value, str) and value.strip().lower() in _TRUE | _FALSE:
        return value.strip().lower() in _TRUE
    raise _Refused("not a boolean")


# -- queues --------------------------------------------------------------------------------


def _refuser(report: ParseReport | None, where: str) -> Callable[[str, str, Any], None]:
    """How one record refuses a field: counted into ``report``, or, without one (strict
    callers), ``BadRecord`` at the first refusal."""

    def refuse(name: str, why: str, value: Any) -> None:
        if report is None:
            raise BadRecord(f"{where}: {name} is {value!r}, {why}")
        report.refuse(where, name, why, value)

    return refuse


def parse_queue(
    item: Any, fields: Mapping[str, str], report: ParseReport | None = None
) -> QueueRecord:
    """One services/state item -> a QueueRecord with the fields that could be read.

    A field that is absent gives no metric (never a made-up zero); a field of the wrong
    type or with an implausible value is refused into ``report`` (with ``report`` None, the
    first refusal raises ``BadRecord``, for strict callers). Raises ``BadRecord`` when the
    item is not an object or has no usable id.
    """
    if not isinstance(item, dict):
        raise BadRecord(f"item is a {type(item).__name__}, expected an object")
    queue_id = identifier(item, fields["queue_id"], report)
    refuse = _refuser(report, f"queue {queue_id}")

    name: str | None = None
    raw_name = item.get(fields["queue_name"])
    try:
        name = _text(raw_name, report).strip() or None
        if name is None:
            refuse(fields["queue_name"], "empty", raw_name)
    except _Refused as exc:
        refuse(fields["queue_name"], str(exc), raw_name)
    metrics: dict[str, float] = {}
    for metric in QUEUE_METRICS:
        raw = item.get(fields[metric.id])
        if raw is None:
            continue
        try:
            if metric.kind is ValueKind.BOOL:
                value = 1.0 if read_bool(raw) else 0.0
            else:
                value = read_number(raw)
        except _Refused as exc:
            refuse(metric.id, str(exc), raw)
            continue
        why = implausible(metric, value)
        if why is not None:
            refuse(metric.id, why, raw)
            continue
        metrics[metric.id] = value
    for metric_id, why in implausible_together(metrics).items():
        refuse(metric_id, why, metrics.pop(metric_id))
    return QueueRecord(queue_id=queue_id, name=name, metrics=metrics)


def parse_queues(
    items: list[Any], fields: Mapping[str, str], report: ParseReport
) -> list[QueueRecord]:
    """Every readable queue, each id once (the first wins; later ones are counted)."""
    records: dict[str, QueueRecord] = {}
    for item in items:
        try:
            record = parse_queue(item, fields, report)
        except BadRecord as exc:
            report.skip("no usable id", f"queue: {exc}")
            continue
        if record.queue_id in records:
            report.skip("duplicate id", f"queue {record.queue_id} sent twice")
            continue
        records[record.queue_id] = record
    return list(records.values())


# -- agents --------------------------------------------------------------------------------


@dataclass(frozen=True)
class AgentReading:
    """How to read agent fields a server types its own way."""

    state_codes: Mapping[str, str] = field(default_factory=lambda: dict(DEFAULT_AGENT_STATE_CODES))
    # The zone of timestamps sent without an offset (a .NET server's local time).
    tz: tzinfo | None = None


def read_state(value: Any, codes: Mapping[str, str]) -> str:
    """A state name, or a numeric code through ``codes``; raises ``_Refused``."""
    if isinstance(value, bool):
        raise _Refused("not a state")
    if isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit()):
        code = str(int(value))
        if code not in codes:
            raise _Refused(f"code {code} not in the state map")
        return codes[code]
    if isinstance(value, str) and value.strip():
        return value.strip().lower()
    raise _Refused("not a state")


def read_time(value: Any, tz: tzinfo | None, report: ParseReport | None) -> int:
    """Epoch ms of an ISO-8601 time; one without a zone offset is read in ``tz`` (and
    counted). Raises ``_Refused``."""
    if not isinstance(value, str):
        raise _Refused("not a time")
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        raise _Refused("not ISO-8601") from None
    if parsed.tzinfo is None:
        if tz is None:
            raise _Refused("no time zone")
        parsed = parsed.replace(tzinfo=tz)
        if report is not None:
            report.zoneless += 1
    return int(parsed.timestamp() * 1000)


def parse_agent(
    item: Any,
    fields: Mapping[str, str],
    reading: AgentReading | None = None,
    report: ParseReport | None = None,
) -> AgentRecord:
    """One agents/state item -> an AgentRecord; refusals as in ``parse_queue``. An agent
    whose state cannot be read is kept as ``unknown``: it still exists and is logged in
    or out of queues the screens show."""
    reading = reading or AgentReading()
    if not isinstance(item, dict):
        raise BadRecord(f"item is a {type(item).__name__}, expected an object")
    agent_id = identifier(item, fields["agent_id"], report)
    refuse = _refuser(report, f"agent {agent_id}")

    raw_state = item.get(fields["agent_state"])
    state = UNKNOWN_STATE
    try:
        state = read_state(raw_state, reading.state_codes)
    except _Refused as exc:
        refuse(fields["agent_state"], str(exc), raw_state)
    name = agent_id
    raw_name = item.get(fields["agent_name"])
    if raw_name is not None:
        try:
            name = _text(raw_name, report).strip() or agent_id
        except _Refused as exc:
            refuse(fields["agent_name"], str(exc), raw_name)
    since_ms: int | None = None
    raw_since = item.get(fields["agent_state_since"])
    if raw_since is not None:
        try:
            since_ms = read_time(raw_since, reading.tz, report)
        except _Refused as exc:
            refuse(fields["agent_state_since"], str(exc), raw_since)
    queue_ids: tuple[str, ...] = ()
    raw_queues = item.get(fields["agent_queue_ids"])
    if raw_queues is not None:
        if isinstance(raw_queues, list) and all(
            isinstance(q, int | str) and not isinstance(q, bool) for q in raw_queues
        ):
            queue_ids = tuple(str(q) for q in raw_queues)
        else:
            refuse(fields["agent_queue_ids"], "not a list of ids", raw_queues)
    return AgentRecord(
        agent_id=agent_id, name=name, state=state, state_since_ms=since_ms, queue_ids=queue_ids
    )


def parse_agents(
    items: list[Any],
    fields: Mapping[str, str],
    reading: AgentReading | None = None,
    report: ParseReport | None = None,
) -> tuple[list[AgentRecord], int]:
    """Every readable agent, each id once; and how many records were skipped."""
    report = report if report is not None else ParseReport()
    before = report.records_skipped
    agents: dict[str, AgentRecord] = {}
    for item in items:
        try:
            agent = parse_agent(item, fields, reading, report)
        except BadRecord as exc:
            report.skip("no usable id", f"agent: {exc}")
            continue
        if agent.agent_id in agents:
            report.skip("duplicate id", f"agent {agent.agent_id} sent twice")
            continue
        agents[agent.agent_id] = agent
    return list(agents.values()), report.records_skipped - before


# -- tokens --------------------------------------------------------------------------------

# When a token response gives no usable lifetime: refresh this often. Short enough that a
# token of the usual hour never lapses unnoticed, long enough to cost nothing.
FALLBACK_TOKEN_LIFETIME_S = 300.0


def token_lifetime(body: Mapping[str, Any]) -> tuple[float, str | None]:
    """Seconds the access token lives, and a warning when ``expires_in`` was unusable
    (missing, not a number, zero or negative): then ``FALLBACK_TOKEN_LIFETIME_S``."""
    raw = body.get("expires_in")
    try:
        seconds = read_number(raw) if raw is not None else None
    except _Refused:
        seconds = None
    if seconds is not None and seconds > 0:
        return seconds, None
    return FALLBACK_TOKEN_LIFETIME_S, (
        f"the token response has an unusable expires_in ({raw!r}); refreshing the token"
        f" every {FALLBACK_TOKEN_LIFETIME_S:g} s instead"
    )
