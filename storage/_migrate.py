"""Alembic, configured in code: upgrade, revisions, and the start-up schema check."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from ._errors import SchemaOutOfDate
from ._tx import reading, writing

_MIGRATIONS = Path(__file__).resolve().parent / "migrations"
UPGRADE_COMMAND = "trio-monitor db upgrade"


def alembic_config() -> Config:
    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config


def head_revision() -> str:
    """The revision this code expects the database to be at."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError(f"no Alembic revisions found in {_MIGRATIONS}")
    return head


def current_revision(engine: Engine) -> str | None:
    """The database's revision, or None for an empty (never migrated) database."""
    with reading(engine) as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: head), in one transaction."""
    config = alembic_config()
    with writing(engine) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def check_schema(engine: Engine) -> None:
    """Raise SchemaOutOfDate unless the database is at the head revision."""
    found = current_revision(engine)
    expected = head_revision()
    if found == expected:
        return
    shown = found if found is not None else "none (empty database)"
    raise SchemaOutOfDate(
        f"database schema is at revision {shown}, this version of Trio Monitor "
        f"expects {expected}: run `{UPGRADE_COMMAND}`"
    )
