"""Log context: every line logged during one poll carries its source and poll id."""

from __future__ import annotations

import contextlib
import logging
import secrets
from collections.abc import Iterator
from contextvars import ContextVar

_source: ContextVar[str | None] = ContextVar("source", default=None)
_poll_id: ContextVar[str | None] = ContextVar("poll_id", default=None)


def new_poll_id() -> str:
    return secrets.token_hex(4)


@contextlib.contextmanager
def poll_context(source: str, poll_id: str) -> Iterator[None]:
    """Bind source and poll id for the current task (contextvars follow asyncio tasks)."""
    source_token = _source.set(source)
    poll_token = _poll_id.set(poll_id)
    try:
        yield
    finally:
        _poll_id.reset(poll_token)
        _source.reset(source_token)


class ContextFilter(logging.Filter):
    """Adds ``source`` and ``poll_id`` attributes to every record (None outside a poll)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "source"):
            record.source = _source.get()
        if not hasattr(record, "poll_id"):
            record.poll_id = _poll_id.get()
        return True
