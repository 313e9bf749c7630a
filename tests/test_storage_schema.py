"""Migrations, schema check and engine set-up."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine

import storage
from storage import (
    SchemaOutOfDate,
    check_schema,
    current_revision,
    head_revision,
    make_engine,
    metadata,
    upgrade,
)


@pytest.fixture
def empty_engine(empty_db_url: str):
    engine = make_engine(empty_db_url)
    yield engine
    engine.dispose()


def test_it_exports_the_documented_names() -> None:
    documented = {
        "make_engine", "upgrade", "current_revision", "head_revision", "check_schema",
        "Store", "SeriesKey", "Sample", "AgentRecord", "SourceFacts", "PollWrite",
        "CurrentRow", "AgentRow", "LeaseInfo", "StorageError", "StorageUnavailable",
        "LeaseLost", "SchemaOutOfDate", "metadata",
    }
    assert documented <= set(storage.__all__)
    assert all(hasattr(storage, name) for name in storage.__all__)


def test_it_migrates_an_empty_database_to_head(empty_engine: Engine) -> None:
    assert current_revision(empty_engine) is None

    upgrade(empty_engine)

    assert current_revision(empty_engine) == head_revision() == "0012"
    tables = set(inspect(empty_engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= tables


def test_it_is_a_no_op_to_upgrade_twice(empty_engine: Engine) -> None:
    upgrade(empty_engine)
    upgrade(empty_engine)
    assert current_revision(empty_engine) == head_revision()


def test_it_produces_exactly_the_metadata(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, metadata) == []


def test_it_refuses_an_empty_database_and_says_what_to_run(empty_engine: Engine) -> None:
    with pytest.raises(SchemaOutOfDate) as caught:
        check_schema(empty_engine)
    message = str(caught.value)
    assert "none" in message and head_revision() in message
    assert "trio-monitor db upgrade" in message


def test_it_refuses_a_database_at_another_revision(engine: Engine) -> None:
    with engine.begin() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = '0000'"))

    with pytest.raises(SchemaOutOfDate, match=r"revision 0000.*expects 0012.*db upgrade"):
        check_schema(engine)


def test_it_accepts_a_database_at_head(engine: Engine) -> None:
    check_schema(engine)


def test_it_creates_the_sqlite_folder_and_sets_the_pragmas(tmp_path) -> None:
    path = tmp_path / "deep" / "er" / "x.db"
    engine = make_engine(f"sqlite:///{path}", busy_timeout_s=0.25)
    try:
        with engine.connect() as conn:
            pragma = {
                name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
                for name in ("journal_mode", "synchronous", "busy_timeout", "foreign_keys")
            }
    finally:
        engine.dispose()
    assert path.parent.is_dir()
    assert pragma == {"journal_mode": "wal", "synchronous": 1, "busy_timeout": 250,
                      "foreign_keys": 1}


@pytest.mark.parametrize("scheme", ["postgres", "postgresql", "postgresql+psycopg"])
def test_it_uses_psycopg_for_every_postgres_spelling(scheme: str) -> None:
    engine = make_engine(f"{scheme}://u@db.invalid:5433/trio", statement_timeout_s=7.5)
    try:
        assert engine.dialect.driver == "psycopg"
        assert engine.pool.timeout() == 5.0  # type: ignore[attr-defined]
    finally:
        engine.dispose()


def test_it_rejects_other_databases() -> None:
    with pytest.raises(ValueError, match="unsupported database URL"):
        make_engine("mysql://u@h/db")
