"""Transactions: the one way every storage module opens a connection.

``writing`` and ``reading`` clear the watchdog's mark of an earlier cut, map driver errors
onto the storage exception tree (``translate_errors``: locked, full, unavailable, past the
client-side deadline), and mark writers so the SQLite "begin" listener of ``_engine``
issues ``BEGIN IMMEDIATE``. ``EngineStore`` is the base of every store class: one engine,
one transaction per method.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

from sqlalchemy.engine import Connection, Engine

from ._errors import translate_errors
from ._watchdog import clear_here

# Execution option read by the SQLite "begin" listener: a connection carrying it opens
# its transaction with BEGIN IMMEDIATE (takes the write lock up front, so a writer
# waits for busy_timeout instead of failing mid-transaction on lock upgrade).
WRITE_OPTION = "trio_write"


@contextmanager
def writing(engine: Engine) -> Iterator[Connection]:
    """One write transaction (``BEGIN IMMEDIATE`` on SQLite); driver errors are mapped."""
    clear_here()
    with translate_errors(engine), engine.connect() as conn:
        conn.execution_options(**{WRITE_OPTION: True})
        with conn.begin():
            yield conn


@contextmanager
def reading(engine: Engine) -> Iterator[Connection]:
    """A connection for reads; driver errors are mapped."""
    clear_here()
    with translate_errors(engine), engine.connect() as conn:
        yield conn


class EngineStore:
    """A store over one engine; each public method runs in its own transaction, opened
    with ``_reading``/``_writing``, and leaves none open. Safe to share between threads."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def _writing(self) -> AbstractContextManager[Connection]:
        return writing(self.engine)

    def _reading(self) -> AbstractContextManager[Connection]:
        return reading(self.engine)
