"""What the collector says about the database: one line when an outage starts, one
summary a minute while it lasts, one when it ends; and the tally of samples lost.

Every caller that meets ``StorageUnavailable`` (the writer, the lease, the lease jobs)
reports here instead of logging, so an outage costs three lines, not five a second.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

log = logging.getLogger("collectors.runner")

SUMMARY_EVERY_MS = 60_000


@dataclass
class Outage:
    since_ms: int
    error: str
    write_refused: bool  # the database answers but will not store (full, read-only, ...)
    failures: int = 0
    last_summary_ms: int = 0


class OutageLog:
    """The current database outage (None: the database answers) and its log lines."""

    def __init__(self) -> None:
        self.current: Outage | None = None

    def failed(self, what: str, err: Exception, now_ms: int, buffered: str,
               *, write_refused: bool = False) -> None:
        outage = self.current
        if outage is None:
            self.current = Outage(now_ms, str(err), write_refused, 1, now_ms)
            kind = "refuses writes" if write_refused else "unavailable"
            log.error("database %s (%s): %s; polling continues into the buffer (%s)",
                      kind, what, err, buffered,
                      extra={"db_outage": "start", "db_error": str(err)})
            return
        outage.failures += 1
        outage.error = str(err)
        outage.write_refused = outage.write_refused or write_refused
        log.debug("database still unavailable (%s): %s", what, err)
        if now_ms - outage.last_summary_ms >= SUMMARY_EVERY_MS:
            outage.last_summary_ms = now_ms
            log.warning(
                "database unavailable for %.0f s: %d failed call(s), %s; last error: %s",
                (now_ms - outage.since_ms) / 1000, outage.failures, buffered, err,
                extra={"db_outage": "ongoing", "db_error": str(err)},
            )

    def succeeded(self, now_ms: int, buffered: str) -> Outage | None:
        """The database answered; returns the outage that just ended, if any."""
        outage = self.current
        if outage is None:
            return None
        self.current = None
        log.warning(
            "database back after %.1f s (%d failed call(s)); %s",
            (now_ms - outage.since_ms) / 1000, outage.failures, buffered,
            extra={"db_outage": "end"},
        )
        return outage


@dataclass
class Loss:
    """Samples that will never be stored, per source, with the time they cover."""

    samples: int = 0
    polls: int = 0
    first_ms: int | None = None
    last_ms: int | None = None

    def add(self, samples: int, polls: int, first_ms: int | None, last_ms: int | None) -> None:
        self.samples += samples
        self.polls += polls
        if first_ms is not None:
            self.first_ms = first_ms if self.first_ms is None else min(self.first_ms, first_ms)
        if last_ms is not None:
            self.last_ms = last_ms if self.last_ms is None else max(self.last_ms, last_ms)
