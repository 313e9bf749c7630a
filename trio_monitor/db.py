"""`trio-monitor db`: schema upgrade and revision, backup and restore, and the version.

Exit statuses: 0 done; 1 the backup or restore could not be made (the message says why:
the file exists, is not a Trio Monitor database, is damaged, or a disk error), or the
database cannot be reached; 2 configuration or no schema, as every command; 3 the database
is in use (a collector holds the lease, or another process has the SQLite file open):
stop the services and run it again.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from importlib import metadata
from pathlib import Path
from typing import Any

from specs import text

from .cliutil import (
    EXIT_FAILURE,
    EXIT_OK,
    CommandError,
    cli_language,
    open_database,
    say,
    sqlite_path,
    start,
    unavailable,
)

EXIT_IN_USE = 3


def version() -> str:
    """The installed distribution's version (pyproject.toml's)."""
    try:
        return metadata.version("trio-monitor")
    except metadata.PackageNotFoundError:  # run from a checkout that was never installed
        return "unknown (not installed)"


def add_commands(db: Any) -> None:
    p = db.add_parser("upgrade", help="apply all migrations")
    p.set_defaults(handler=cmd_db_upgrade)
    p = db.add_parser("current", help="print the schema revision")
    p.set_defaults(handler=cmd_db_current)
    p = db.add_parser("backup", help="SQLite: copy the database to FILE while it runs; "
                                     "PostgreSQL: print the pg_dump command to use")
    p.add_argument("file", type=Path)
    p.set_defaults(handler=cmd_db_backup)
    p = db.add_parser("restore", help="replace the database with a backup (stop the "
                                      "collector and the web app first)")
    p.add_argument("file", type=Path)
    p.set_defaults(handler=cmd_db_restore)


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    import storage

    from .wiring import make_engine

    settings = start(args)
    engine = make_engine(settings)
    try:
        before = storage.current_revision(engine)
        storage.upgrade(engine)
        after = storage.current_revision(engine)
    except storage.SchemaTooNew as exc:
        raise CommandError([str(exc)]) from None
    except storage.StorageUnavailable as exc:
        raise unavailable(exc) from None
    finally:
        engine.dispose()
    print(say("cli_db_upgraded", before=before or say("cli_db_empty"), after=after))
    return EXIT_OK


def cmd_db_current(args: argparse.Namespace) -> int:
    import storage

    settings = start(args)
    path = sqlite_path(settings.database_url)
    if path is not None and not path.exists():
        print(say("cli_db_current", revision=say("cli_db_no_file",
                                                  revision=say("cli_db_empty"), path=path)))
        print(say("cli_db_head", revision=storage.head_revision()))
        return EXIT_OK
    engine = open_database(settings, schema=False)
    try:
        print(say("cli_db_current",
                  revision=storage.current_revision(engine) or say("cli_db_empty")))
        print(say("cli_db_head", revision=storage.head_revision()))
    except storage.StorageUnavailable as exc:
        raise unavailable(exc) from None
    finally:
        engine.dispose()
    return EXIT_OK


def cmd_db_backup(args: argparse.Namespace) -> int:
    import storage

    settings = start(args, quiet=True)
    path = sqlite_path(settings.database_url)
    if path is None:
        print(_pg_command("pg_dump", settings.database_url,
                          ["--format=custom", f"--file={args.file}"]))
        print(say("cli_db_pg_backup"), file=sys.stderr)
        return EXIT_OK
    try:
        made = storage.backup_sqlite(path, args.file, busy_timeout_s=settings.db_busy_timeout_s)
    except storage.BackupError as exc:
        raise CommandError([str(exc)], EXIT_FAILURE) from None
    print(say("cli_db_backup_written", path=path, revision=made.revision, target=made.path,
              size=text.format_number(made.size_bytes / 1048576, cli_language(), 1)))
    return EXIT_OK


def cmd_db_restore(args: argparse.Namespace) -> int:
    import storage
    from specs.lease import COLLECTOR_LEASE

    settings = start(args, quiet=True)
    now_ms = int(time.time() * 1000)
    path = sqlite_path(settings.database_url)
    if path is None:
        _refuse_while_leased(settings, now_ms)
        if not args.file.is_file():
            raise CommandError([say("cli_db_no_backup_file", path=args.file)], EXIT_FAILURE)
        print(_pg_command("pg_restore", settings.database_url,
                          ["--clean", "--if-exists", "--no-owner", "--single-transaction"],
                          str(args.file)))
        print(say("cli_db_pg_restore"), file=sys.stderr)
        return EXIT_OK
    try:
        restored = storage.restore_sqlite(args.file, path, lease_name=COLLECTOR_LEASE,
                                          now_ms=now_ms,
                                          busy_timeout_s=settings.db_busy_timeout_s)
    except storage.DatabaseInUse as exc:
        raise CommandError([str(exc)], EXIT_IN_USE) from None
    except storage.BackupError as exc:
        raise CommandError([str(exc)], EXIT_FAILURE) from None
    print(say("cli_db_restored", path=path, file=args.file, revision=restored.revision))
    if restored.previous is not None:
        print(say("cli_db_previous_kept", path=restored.previous))
    if restored.revision != storage.head_revision():
        print(say("cli_db_upgrade_first"))
    return EXIT_OK


def _refuse_while_leased(settings: Any, now_ms: int) -> None:
    import storage
    from specs.lease import COLLECTOR_LEASE

    engine = open_database(settings, schema=False)
    try:
        held = storage.Store(engine).read_lease(COLLECTOR_LEASE)
    except storage.StorageUnavailable as exc:
        raise unavailable(exc) from None
    finally:
        engine.dispose()
    if held is not None and held.expires_at_ms > now_ms:
        raise CommandError([say("cli_db_leased", holder=held.holder)], EXIT_IN_USE)


def _pg_command(tool: str, url: str, options: list[str], *trailing: str) -> str:
    """The libpq command line for ``url``: host, port, user and database, never the
    password."""
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    words = [tool]
    if parsed.host:
        words.append(f"--host={parsed.host}")
    if parsed.port:
        words.append(f"--port={parsed.port}")
    if parsed.username:
        words.append(f"--username={parsed.username}")
    words += [f"--dbname={parsed.database or parsed.username or 'postgres'}", *options,
              *trailing]
    return " ".join(shlex.quote(word) for word in words)
