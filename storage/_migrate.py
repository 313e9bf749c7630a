"""Alembic, configured in code: upgrade, revisions, and the start-up schema check."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import Engine

from ._errors import SchemaOutOfDate, SchemaTooNew
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


def known_revisions() -> frozenset[str]:
    """Every revision this code can migrate from or to."""
    script = ScriptDirectory.from_config(alembic_config())
    return frozenset(rev.revision for rev in script.walk_revisions())


def is_known_revision(revision: str) -> bool:
    return revision in known_revisions()


def _is_newer(revision: str, head: str) -> bool:
    """An unknown revision past ours: revision ids are zero-padded sequence numbers, so a
    later release's revision sorts after this code's head."""
    return not is_known_revision(revision) and revision > head


def current_revision(engine: Engine) -> str | None:
    """The database's revision, or None for an empty (never migrated) database."""
    with reading(engine) as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Migrate the database to ``revision`` (default: head), in one transaction.

    Raises SchemaTooNew when a newer release has already migrated it past this code."""
    _refuse_newer(current_revision(engine))
    config = alembic_config()
    with writing(engine) as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, revision)


def check_schema(engine: Engine) -> None:
    """Raise SchemaOutOfDate unless the database is at the head revision; SchemaTooNew
    (a subclass) when a newer release has migrated it past this code."""
    found = current_revision(engine)
    expected = head_revision()
    if found == expected:
        return
    _refuse_newer(found)
    shown = found if found is not None else "none (empty database)"
    raise SchemaOutOfDate(
        f"database schema is at revision {shown}, this version of Trio Monitor "
        f"expects {expected}: run `{UPGRADE_COMMAND}`"
    )


def _refuse_newer(found: str | None) -> None:
    expected = head_revision()
    if found is None or not _is_newer(found, expected):
        return
    raise SchemaTooNew(
        f"database schema is at revision {found}, newer than this version of Trio Monitor "
        f"knows (its latest is {expected}): a newer release has upgraded this database. "
        "Run that release (or a later one), or restore a backup taken before the upgrade "
        "(trio-monitor db restore); `db upgrade` cannot go back"
    )
