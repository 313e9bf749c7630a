"""`trio-monitor db backup` and `db restore` on real SQLite files, while a writer stores
polls through storage in another thread."""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

import storage
from specs.lease import COLLECTOR_LEASE
from storage import PollWrite, Sample, SeriesKey, SourceFacts, Store, make_engine, upgrade
from trio_monitor import cli

pytestmark = pytest.mark.timeout(120)

KEYS = [SeriesKey("trio", "queue", str(n), "calls_waiting", "count", f"Queue {n}")
        for n in range(4)]


@pytest.fixture
def db_path(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "data" / "trio-monitor.db"
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRIO_MONITOR_DATABASE_URL", f"sqlite:///{path}")
    return path


def now_ms() -> int:
    return int(time.time() * 1000)


class Writer(threading.Thread):
    """Stores one poll after another (ts 1, 2, 3, ...: one sample per series each) as
    the active collector would: fenced by the lease, samples and `current` together."""

    def __init__(self, path: Path) -> None:
        super().__init__(daemon=True)
        self.engine = make_engine(f"sqlite:///{path}")
        self.store = Store(self.engine)
        self.token = self.store.acquire_lease(COLLECTOR_LEASE, "writer", 60_000, now_ms())
        assert self.token is not None
        self.written = 0  # polls committed
        self.stop = threading.Event()
        self.error: storage.StorageError | None = None

    def run(self) -> None:
        try:
            while not self.stop.is_set():
                ts = self.written + 1
                write = PollWrite(
                    source="trio", samples=[Sample(k, ts, float(ts)) for k in KEYS],
                    agents=None, facts=SourceFacts(name="trio", kind="trio", url="http://t"),
                    events=[],
                )
                self.store.write_poll(write, lease_name=COLLECTOR_LEASE,
                                      lease_token=self.token, now_ms=now_ms())
                self.written = ts
        except storage.StorageError as exc:  # handed to the test, which fails on it
            self.error = exc

    def wait_for(self, polls: int) -> None:
        deadline = time.monotonic() + 60
        while self.written < polls and self.error is None:
            assert time.monotonic() < deadline, f"writer stuck at {self.written}"
            time.sleep(0.01)

    def finish(self) -> None:
        self.stop.set()
        self.join(30)
        assert self.error is None, self.error
        self.store.release_lease(COLLECTOR_LEASE, "writer", self.token, now_ms())  # type: ignore[arg-type]
        self.engine.dispose()


@pytest.fixture
def writer(db_path: Path) -> Iterator[Writer]:
    w = Writer(db_path)
    w.start()
    yield w
    if w.is_alive():
        w.finish()


def counts(path: Path) -> tuple[str, int, list[int], list[tuple[int, int]]]:
    """(integrity, polls stored, distinct sample times, (max sample ts, current ts) per
    series)."""
    conn = sqlite3.connect(path)
    try:
        integrity = conn.execute("PRAGMA integrity_check").fetchone()[0]
        times = [row[0] for row in conn.execute("SELECT DISTINCT ts FROM samples ORDER BY ts")]
        per_series = conn.execute(
            "SELECT (SELECT max(ts) FROM samples s WHERE s.series_id = c.series_id), c.ts "
            "FROM current c").fetchall()
        polls = conn.execute("SELECT count(*) FROM samples").fetchone()[0] // len(KEYS)
    finally:
        conn.close()
    return integrity, polls, times, per_series


def test_it_backs_up_under_write_load_and_restores_a_whole_database(
    db_path: Path, writer: Writer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    writer.wait_for(20)
    before = writer.written
    backup = tmp_path / "backups" / "monitor.db"
    backup.parent.mkdir()

    assert cli.main(["db", "backup", str(backup)]) == 0

    after = writer.written
    writer.wait_for(after + 20)  # the writer went on during and after the backup
    writer.finish()
    assert "written to" in capsys.readouterr().out
    assert backup.stat().st_mode & 0o777 == 0o600

    integrity, polls, times, per_series = counts(backup)
    assert integrity == "ok"
    assert before <= polls <= after + 1  # up to the backup's time, nothing after it
    assert times == list(range(1, polls + 1))  # whole polls: no gap, no partial one
    assert per_series == [(polls, polls)] * len(KEYS)  # `current` of the same instant

    live_polls = counts(db_path)[1]
    assert live_polls > polls
    assert cli.main(["db", "restore", str(backup)]) == 0
    out = capsys.readouterr().out
    assert "restored" in out and "kept as" in out

    integrity, restored_polls, times, per_series = counts(db_path)
    assert (integrity, restored_polls) == ("ok", polls)
    assert per_series == [(polls, polls)] * len(KEYS)
    assert not Path(f"{db_path}-wal").exists() or Path(f"{db_path}-wal").stat().st_size == 0
    kept = list(db_path.parent.glob("trio-monitor.db.before-restore-*"))
    assert len(kept) == 1 and counts(kept[0])[1] == live_polls

    # The restored database serves the application as before.
    engine = make_engine(f"sqlite:///{db_path}")
    try:
        storage.check_schema(engine)
        with engine.connect() as conn:
            assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert Store(engine).acquire_lease(COLLECTOR_LEASE, "next", 15_000, now_ms())
    finally:
        engine.dispose()


def test_it_refuses_to_restore_while_a_collector_holds_the_lease(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = tmp_path / "b.db"
    assert cli.main(["db", "backup", str(backup)]) == 0
    engine = make_engine(f"sqlite:///{db_path}")
    try:
        Store(engine).acquire_lease(COLLECTOR_LEASE, "host-a:4242", 60_000, now_ms())
    finally:
        engine.dispose()  # the collector's connection is not what stops the restore here
    capsys.readouterr()

    assert cli.main(["db", "restore", str(backup)]) == 3

    err = capsys.readouterr().err
    assert "host-a:4242" in err and "holds the lease" in err
    assert not list(db_path.parent.glob("*.before-restore-*"))
    engine = make_engine(f"sqlite:///{db_path}")
    try:
        assert Store(engine).read_lease(COLLECTOR_LEASE).holder == "host-a:4242"  # type: ignore[union-attr]
    finally:
        engine.dispose()


def test_it_refuses_to_restore_while_another_connection_has_the_database_open(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    backup = tmp_path / "b.db"
    assert cli.main(["db", "backup", str(backup)]) == 0
    engine = make_engine(f"sqlite:///{db_path}", busy_timeout_s=0.2)
    try:
        with engine.connect() as open_elsewhere:  # a web process, say
            open_elsewhere.execute(text("SELECT count(*) FROM users")).scalar()
            assert cli.main(["db", "restore", str(backup)]) == 3
    finally:
        engine.dispose()
    assert "open" in capsys.readouterr().err
    assert not list(db_path.parent.glob("*.before-restore-*"))


def test_it_refuses_files_that_are_not_a_trio_monitor_backup(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text_file = tmp_path / "notes.db"
    text_file.write_text("not a database " * 100)
    other = tmp_path / "other.db"
    sqlite3.connect(other).execute("CREATE TABLE t (x)").connection.close()
    newer = tmp_path / "newer.db"
    assert cli.main(["db", "backup", str(newer)]) == 0
    conn = sqlite3.connect(newer)
    conn.execute("UPDATE alembic_version SET version_num = '0999'")
    conn.commit()
    conn.close()
    capsys.readouterr()

    for bad, why in [(text_file, "not a readable SQLite database"),
                     (other, "not a Trio Monitor database"),
                     (newer, "revision 0999"), (tmp_path / "missing.db", "no file")]:
        assert cli.main(["db", "restore", str(bad)]) == 1, bad
        assert why in capsys.readouterr().err
    assert not list(db_path.parent.glob("*.before-restore-*"))


def test_it_never_overwrites_an_existing_backup(
    db_path: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    existing = tmp_path / "b.db"
    existing.write_text("yesterday's")

    assert cli.main(["db", "backup", str(existing)]) == 1

    assert "exists" in capsys.readouterr().err
    assert existing.read_text() == "yesterday's"


def test_it_prints_the_pg_dump_command_without_the_password(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRIO_MONITOR_DATABASE_URL",
                       "postgresql+psycopg://monitor:hemlis@db.example:5433/trio")

    assert cli.main(["db", "backup", str(tmp_path / "trio.dump")]) == 0

    out, err = capsys.readouterr()
    assert out.startswith("pg_dump --host=db.example --port=5433 --username=monitor "
                          "--dbname=trio --format=custom --file=")
    assert "hemlis" not in out + err


@pytest.mark.postgres
@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
def test_on_postgres_it_prints_pg_restore_only_while_no_collector_holds_the_lease(
    db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TRIO_MONITOR_DATABASE_URL", db_url)
    dump = tmp_path / "trio.dump"
    dump.write_bytes(b"PGDMP")
    engine = make_engine(db_url)
    store = Store(engine)
    try:
        token = store.acquire_lease(COLLECTOR_LEASE, "host-b:7", 60_000, now_ms())
        assert cli.main(["db", "restore", str(dump)]) == 3
        assert "host-b:7" in capsys.readouterr().err

        store.release_lease(COLLECTOR_LEASE, "host-b:7", token, now_ms())  # type: ignore[arg-type]
        assert cli.main(["db", "restore", str(dump)]) == 0
    finally:
        engine.dispose()
    out = capsys.readouterr().out
    assert out.startswith("pg_restore ") and "--clean" in out and str(dump) in out
