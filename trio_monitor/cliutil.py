"""What every trio-monitor command shares: exit statuses, the one-line error, opening
the database without creating it, settings and logging at start."""

from __future__ import annotations

import argparse
import logging
import os
import re
from pathlib import Path
from typing import Any

from .settings import Settings, load_settings, removed_settings

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_CONFIG = 2


NO_SCHEMA = "no schema: run trio-monitor db upgrade"


class CommandError(Exception):
    """A command cannot go on: one line per problem for stderr, and the exit status."""

    def __init__(self, lines: list[str], code: int = EXIT_CONFIG) -> None:
        super().__init__("\n".join(lines))
        self.lines = lines
        self.code = code


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite URL; None for PostgreSQL or an in-memory database."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database or "").expanduser()


def open_database(settings: Settings, *, schema: bool = True) -> Any:
    """The engine for a command that must find a database, never create one.

    A missing SQLite file or an empty schema is one line (NO_SCHEMA), an old schema says
    which revision it is at, a PostgreSQL database that does not exist says so; each
    exits 2. An unreachable server exits 1.
    """
    import storage

    from .wiring import make_engine

    path = sqlite_path(settings.database_url)
    if path is not None and not path.exists():
        raise CommandError([f"{NO_SCHEMA} (no database file at {path})"])
    engine = make_engine(settings)
    try:
        if schema and storage.current_revision(engine) is None:
            raise CommandError([NO_SCHEMA])
        if schema:
            storage.check_schema(engine)
    except storage.SchemaOutOfDate as exc:
        engine.dispose()
        raise CommandError([str(exc)]) from None
    except storage.StorageUnavailable as exc:
        engine.dispose()
        raise unavailable(exc) from None
    except CommandError:
        engine.dispose()
        raise
    return engine


_MISSING_PG_DATABASE = re.compile(r'database "([^"]+)" does not exist')


def unavailable(exc: Exception) -> CommandError:
    missing = _MISSING_PG_DATABASE.search(str(exc))
    if missing:
        name = missing.group(1)
        return CommandError([
            f"the PostgreSQL database {name!r} does not exist: create it (createdb {name}) "
            "and run trio-monitor db upgrade, or fix TRIO_MONITOR_DATABASE_URL"
        ])
    return CommandError([f"database unavailable: {exc}"], EXIT_FAILURE)


def start(args: argparse.Namespace, *, quiet: bool = False) -> Settings:
    settings = load_settings()
    if not quiet:
        configure_logging(settings)
    return settings


def configure_logging(settings: Settings) -> None:
    from . import logs

    logs.configure_logging(settings)
    for name, why in removed_settings(os.environ):
        logging.getLogger("trio_monitor").warning("%s is set but no longer used: %s", name, why)
