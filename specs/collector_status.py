"""The collector's status file: what it says about the database while the database cannot
record it (a full disk, a read-only or locked file, a server that does not answer).

The collector replaces the file atomically each time its storage state changes and on
every lease tick; ``trio-monitor status`` and the web /health page read it. A file not
refreshed by ``fresh_until_ms`` is from a collector that stopped: it is ignored.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, fields
from pathlib import Path

STATUS_FILE = "collector-status.json"


@dataclass(frozen=True)
class StorageStatus:
    holder: str  # the collector that wrote it (host:pid)
    updated_at_ms: int
    fresh_until_ms: int  # after this, the collector is taken to have stopped writing it
    # None: the database takes writes. Else when it stopped, and its last error.
    failing_since_ms: int | None = None
    reason: str | None = None
    write_refused: bool = False  # the database answers but will not store
    buffered_polls: int = 0  # waiting in memory for the database
    buffered_samples: int = 0
    lost_samples: int = 0  # in this collector's run: never to be stored

    @property
    def failing(self) -> bool:
        return self.failing_since_ms is not None


def status_path(data_dir: Path) -> Path:
    return Path(data_dir) / STATUS_FILE


def write_status(path: Path, status: StorageStatus) -> None:
    """Replace the file atomically (a reader sees the old or the new, never half).
    Raises OSError (e.g. the disk is full)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(asdict(status), out)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_status(path: Path, now_ms: int) -> StorageStatus | None:
    """The status a running collector wrote; None when there is no file, it cannot be
    read, or it is stale (its collector stopped)."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        known = {f.name for f in fields(StorageStatus)}
        status = StorageStatus(**{k: v for k, v in data.items() if k in known})
    except (OSError, ValueError, TypeError):
        return None
    return status if status.fresh_until_ms >= now_ms else None
