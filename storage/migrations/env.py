"""Alembic environment for Trio Monitor.

Normally driven by ``storage.upgrade(engine)``, which passes an open connection in
``config.attributes["connection"]``. For ad-hoc use with the alembic CLI
(``alembic -c storage/alembic.ini -x url=sqlite:///data/x.db upgrade head``) it builds
its own engine from ``-x url=`` or ``sqlalchemy.url``.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from storage._engine import make_engine
from storage._schema import metadata
from storage._tx import WRITE_OPTION

config = context.config


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def _run_from_url() -> None:
    url = context.get_x_argument(as_dictionary=True).get("url") or config.get_main_option(
        "sqlalchemy.url"
    )
    if not url:
        raise SystemExit("no database URL: pass -x url=... or set sqlalchemy.url")
    engine = make_engine(url)
    try:
        with engine.connect() as connection:
            connection.execution_options(**{WRITE_OPTION: True})
            _run(connection)
            connection.commit()
    finally:
        engine.dispose()


if context.is_offline_mode():
    raise SystemExit("offline (--sql) mode is not supported; run against a database")

_connection = config.attributes.get("connection")
if _connection is not None:
    _run(_connection)
else:
    _run_from_url()
