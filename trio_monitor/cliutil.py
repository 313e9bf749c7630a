"""What every trio-monitor command shares: exit statuses, the one-line error, opening
the database without creating it, settings and logging at start."""

from __future__ import annotations

import argparse
import functools
import importlib.util
import logging
import os
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from specs.languages import Lang

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


# -- operators' messages in the site's language -------------------------------------------


def cli_language(environ: Mapping[str, str] | None = None) -> Lang:
    """The language of every operator's message (every command's, the demo's progress
    too): the site's TRIO_MONITOR_LANGUAGE, read as it is (a message must not depend on
    the rest of the configuration being valid), when it names a language; else the
    terminal's locale, Swedish for a Swedish one (LC_ALL, LC_MESSAGES, LANG, the first
    one set); else English."""
    env = os.environ if environ is None else environ
    configured = env.get("TRIO_MONITOR_LANGUAGE", "").strip()
    if configured in Lang._value2member_map_:
        return Lang(configured)
    for name in ("LC_ALL", "LC_MESSAGES", "LANG"):
        value = env.get(name, "")
        if value:
            return Lang.SV if value.lower().startswith("sv") else Lang.EN
    return Lang.EN


def say(key: str, lang: str | None = None, **fields: object) -> str:
    """The operator's message ``key`` from the catalog in ``lang`` (None:
    ``cli_language``), formatted with ``fields``; KeyError if unknown."""
    from specs import text

    lang = cli_language() if lang is None else lang
    if text.has(key):
        return text.t(key, lang, **fields)
    staged = _staged_texts().get(key)
    if staged is None:
        raise KeyError(key)
    chosen = staged[1] if text.language(lang) is Lang.SV else staged[0]
    return chosen.format(**fields) if fields else chosen


def say_n(key: str, n: int, lang: str | None = None, **fields: object) -> str:
    """A counted message: ``<key>_one`` for exactly one, ``<key>_other`` otherwise (the
    rule of both languages; the catalog's plural once folded in)."""
    return say(f"{key}_one" if n == 1 else f"{key}_other", lang, n=n, **fields)


@functools.cache
def _staged_texts() -> dict[str, tuple[str, str]]:
    """The texts staged for the catalog (``dashboard/_texts_<name>.py``, see
    dashboard/i18n.py) until the lead folds them in, read from their files: importing the
    dashboard package would load Dash, seconds a command should not wait."""
    found = importlib.util.find_spec("dashboard")
    texts: dict[str, tuple[str, str]] = {}
    for folder in (found.submodule_search_locations or []) if found else []:
        for path in sorted(Path(folder).glob("_texts_*.py")):
            spec = importlib.util.spec_from_file_location(f"_staged_{path.stem}", path)
            if spec is None or spec.loader is None:
                continue
            module = importlib.util.module_from_spec(spec)
            spec.loader.exec_module(module)
            texts.update(getattr(module, "TEXTS", {}))
    return texts


def duration_ago(now_ms: int, then_ms: int | None, lang: str | None = None) -> str:
    """How long ago, for a terminal: ``42 s ago``, ``3 min ago`` from two minutes,
    ``never``; numbers in ``lang``'s notation."""
    from specs import text

    if then_ms is None:
        return say("cli_never", lang)
    seconds = max(0, (now_ms - then_ms) // 1000)
    if seconds < 120:
        return say("cli_ago_s", lang, n=text.format_number(seconds, lang or cli_language()))
    return say("cli_ago_min", lang, n=text.format_number(seconds // 60, lang or cli_language()))
