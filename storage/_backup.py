"""SQLite backup and restore of a live database file.

Backup: SQLite's online backup API in one step, so the copy is one read transaction (a
consistent snapshot) while, in WAL mode, the collector goes on writing. The copy is
written beside the target under a temporary name and renamed into place.

Restore: the backup is checked first (a Trio Monitor database, intact, at a schema
revision this code knows), copied to a temporary file beside the database, and renamed
over it while this process holds the database's exclusive lock. Leaving WAL mode first is
both the check that no other process has the database open (SQLite refuses the change
while any other connection is open) and what folds the `-wal` file into the database, so
no stale `-wal` or `-shm` file can be replayed onto the restored one. The database that
was replaced is kept beside it (``<name>.before-restore-<UTC time>``).
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ._errors import StorageError
from ._migrate import is_known_revision

# Tables that make a file a Trio Monitor database (those of the first revision).
_OUR_TABLES = frozenset({"alembic_version", "series", "samples", "current", "sources", "lease"})
_SIDE_FILES = ("-wal", "-shm", "-journal")


class BackupError(StorageError):
    """A backup cannot be written, or a file cannot be restored. Nothing was changed."""


class DatabaseInUse(StorageError):
    """Another process has the database open, or a collector holds the lease."""


@dataclass(frozen=True, slots=True)
class BackupFile:
    path: Path
    revision: str
    size_bytes: int


@dataclass(frozen=True, slots=True)
class Restored:
    revision: str
    previous: Path | None  # the database that was replaced, kept beside it


def backup_sqlite(db_path: Path, dest: Path, *, busy_timeout_s: float = 5.0) -> BackupFile:
    """Copy the SQLite database at ``db_path`` to ``dest`` (mode 0600), consistent while
    others write. Raises BackupError when ``dest`` exists or the copy fails."""
    if not db_path.exists():
        raise BackupError(f"no database file at {db_path}")
    if dest.exists():
        raise BackupError(f"{dest} exists: choose a new file name (a backup never "
                          "overwrites one)")
    tmp = _temp_beside(dest)
    try:
        with _connect(db_path, busy_timeout_s) as src, _connect(tmp, busy_timeout_s) as dst:
            # pages=-1: the whole file in one step, i.e. one read transaction. Copying in
            # steps would start over each time another connection writes.
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
        revision = _examine(tmp)
        _fsync(tmp)
        os.replace(tmp, dest)
        _fsync(dest.parent)
    except sqlite3.Error as exc:
        raise BackupError(f"backup of {db_path} to {dest} failed: {exc}") from exc
    except OSError as exc:
        raise BackupError(f"cannot write {dest}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return BackupFile(dest, revision, dest.stat().st_size)


def inspect_backup(path: Path) -> BackupFile:
    """Check that ``path`` is an intact Trio Monitor database at a known schema revision.

    Raises BackupError saying what is wrong; opens the file read-only."""
    revision = _examine(path)
    if not is_known_revision(revision):
        raise BackupError(f"{path} is at schema revision {revision}, which this version of "
                          "Trio Monitor does not know (made by a newer release?)")
    return BackupFile(path, revision, path.stat().st_size)


def _examine(path: Path) -> str:
    """The schema revision of an intact Trio Monitor database file; BackupError if not."""
    if not path.is_file():
        raise BackupError(f"no file at {path}")
    try:
        with _connect(path, 5.0, read_only=True) as conn:
            tables = {row[0] for row in conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            if not _OUR_TABLES <= tables:
                raise BackupError(f"{path} is not a Trio Monitor database")
            revision = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            problems = [row[0] for row in conn.execute("PRAGMA integrity_check")]
    except sqlite3.DatabaseError as exc:  # "file is not a database", a truncated file
        raise BackupError(f"{path} is not a readable SQLite database: {exc}") from exc
    if problems != ["ok"]:
        raise BackupError(f"{path} is damaged (integrity check: {'; '.join(problems[:3])})")
    if revision is None:
        raise BackupError(f"{path} has no schema revision (never migrated)")
    return str(revision[0])


def restore_sqlite(
    backup: Path, db_path: Path, *, lease_name: str, now_ms: int, busy_timeout_s: float = 5.0
) -> Restored:
    """Replace the database at ``db_path`` with ``backup``.

    Raises BackupError (the file is unusable; nothing changed) or DatabaseInUse (a
    collector holds ``lease_name``, or another process has the database open)."""
    checked = inspect_backup(backup)
    tmp = _temp_beside(db_path)
    db_path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    try:
        with _connect(backup, busy_timeout_s, read_only=True) as src, \
                _connect(tmp, busy_timeout_s) as dst:
            src.backup(dst, pages=-1)
            dst.execute("PRAGMA journal_mode=DELETE")
            # The collector that held the lease when the backup was taken is not running
            # (checked below): its lease ends now, so the next collector takes over at
            # once (with the next token) instead of waiting for it to expire.
            dst.execute("UPDATE lease SET expires_at = ? WHERE expires_at > ?",
                        (now_ms, now_ms))
        _fsync(tmp)
        if not db_path.exists():
            os.replace(tmp, db_path)
            _fsync(db_path.parent)
            return Restored(checked.revision, None)
        with _connect(db_path, busy_timeout_s) as live:
            _check_lease(live, db_path, lease_name, now_ms)
            _take_exclusive(live, db_path)
            previous = db_path.with_name(
                f"{db_path.name}.before-restore-{time.strftime('%Y%m%dT%H%M%SZ', time.gmtime())}")
            os.link(db_path, previous)
            for suffix in _SIDE_FILES:
                Path(f"{db_path}{suffix}").unlink(missing_ok=True)
            os.replace(tmp, db_path)
            _fsync(db_path.parent)
    except sqlite3.Error as exc:
        raise BackupError(f"restore of {db_path} from {backup} failed: {exc}") from exc
    except OSError as exc:
        raise BackupError(f"cannot replace {db_path}: {exc.strerror or exc}") from exc
    finally:
        tmp.unlink(missing_ok=True)
    return Restored(checked.revision, previous)


def _check_lease(conn: sqlite3.Connection, db_path: Path, name: str, now_ms: int) -> None:
    try:
        row = conn.execute("SELECT holder, expires_at FROM lease WHERE name = ?",
                           (name,)).fetchone()
    except sqlite3.OperationalError as exc:
        if "no such table" in str(exc):
            return  # never migrated: no collector has run on it
        raise
    if row is not None and row[1] > now_ms:
        raise DatabaseInUse(
            f"a collector ({row[0]}) holds the lease on {db_path} for another "
            f"{(row[1] - now_ms) / 1000:.0f} s: stop every collector (and the web app) first")


def _take_exclusive(conn: sqlite3.Connection, db_path: Path) -> None:
    """Leave WAL mode and hold the exclusive lock, or raise DatabaseInUse."""
    in_use = DatabaseInUse(f"another process has {db_path} open: stop the collector and "
                           "the web app (trio-monitor collect, web, serve) first")
    try:
        mode = conn.execute("PRAGMA journal_mode=DELETE").fetchone()[0]
        conn.execute("BEGIN EXCLUSIVE")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc) or "busy" in str(exc):
            raise in_use from exc
        raise
    if str(mode).lower() != "delete":
        raise in_use
    wal = Path(f"{db_path}-wal")
    if wal.exists() and wal.stat().st_size > 0:
        raise in_use


@contextlib.contextmanager
def _connect(path: Path, busy_timeout_s: float, *,
             read_only: bool = False) -> Iterator[sqlite3.Connection]:
    """A plain connection in autocommit mode; never creates a file unless writing one
    (read-only opens a database that must exist)."""
    if read_only:
        uri = f"{path.resolve().as_uri()}?mode=ro"
    else:
        if not path.exists():
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
        uri = f"{path.resolve().as_uri()}?mode=rw"
    conn = sqlite3.connect(uri, uri=True, timeout=busy_timeout_s, isolation_level=None)
    try:
        yield conn
    finally:
        conn.close()


def _temp_beside(path: Path) -> Path:
    # Same folder: os.replace is atomic only within one file system.
    return path.with_name(f".{path.name}.tmp-{os.getpid()}")


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
