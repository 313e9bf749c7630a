"""Unavailable databases surface as StorageUnavailable, with nothing written."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

import pytest

from storage import (
    PollWrite,
    Sample,
    SeriesKey,
    SourceFacts,
    StorageUnavailable,
    Store,
    make_engine,
    upgrade,
)

WAIT = SeriesKey("trio", "queue", "12", "longest_wait_s", "s", "Kundtjänst")


def _poll(ts_ms: int) -> PollWrite:
    return PollWrite("trio", [Sample(WAIT, ts_ms, 1.0)], None,
                     SourceFacts("trio", "trio", "http://te"), [])


def test_it_reports_a_locked_sqlite_database_and_writes_nothing(tmp_path: Path) -> None:
    path = str(tmp_path / "locked.db")
    engine = make_engine(f"sqlite:///{path}", busy_timeout_s=0.2)
    upgrade(engine)
    store = Store(engine)
    other = sqlite3.connect(path, isolation_level=None, timeout=0)
    try:
        other.execute("BEGIN IMMEDIATE")  # another writer holds the write lock
        started = time.monotonic()
        with pytest.raises(StorageUnavailable) as caught:
            store.write_poll(_poll(1_000), lease_name=None, lease_token=None, now_ms=1_000)
        assert time.monotonic() - started < 5
        assert str(caught.value) == (
            f"SQLite database is locked (busy for more than 0.2 s): {path}")
        assert store.series() == []  # readers are not blocked by the writer (WAL)

        other.execute("ROLLBACK")
        store.write_poll(_poll(1_000), lease_name=None, lease_token=None, now_ms=1_000)
        assert [r.ts_ms for r in store.latest()] == [1_000]
    finally:
        other.close()
        engine.dispose()


def test_it_reports_an_unreachable_postgres_quickly() -> None:
    engine = make_engine("postgresql://postgres@127.0.0.1:1/trio", connect_timeout_s=2)
    started = time.monotonic()
    try:
        with pytest.raises(StorageUnavailable) as caught:
            Store(engine).latest()
    finally:
        engine.dispose()
    assert time.monotonic() - started < 5
    assert str(caught.value) == "PostgreSQL unreachable at 127.0.0.1:1: connection refused"


def test_it_reports_an_unopenable_sqlite_file(tmp_path: Path) -> None:
    folder = tmp_path / "a-folder.db"
    folder.mkdir()  # a directory where the database file should be
    engine = make_engine(f"sqlite:///{folder}")
    try:
        with pytest.raises(StorageUnavailable, match="SQLite database unavailable"):
            Store(engine).latest()
    finally:
        engine.dispose()


def test_it_reports_an_exhausted_pool(db_url: str) -> None:
    engine = make_engine(db_url, pool_size=1, pool_timeout_s=0.1)
    try:
        with engine.connect(), engine.connect():  # pool_size + max_overflow both taken
            with pytest.raises(StorageUnavailable, match="no pooled connection free"):
                Store(engine).latest()
    finally:
        engine.dispose()
