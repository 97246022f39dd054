"""Alembic's environment, for both ways in:

- from code (storage.migrate: `python bot.py migrate` and the start of `python bot.py`), which
  hands over a connection that already holds the migration lock, in config.attributes;
- from the alembic command line (developers: `alembic revision --autogenerate`, `alembic
  history`, `alembic downgrade`), which connects to DATABASE_URL from the environment or .env
  and takes the same lock.

The options (every owned table, batch mode, how UTCDateTime is written) live in storage.migrate.
"""
from __future__ import annotations

import sys
from pathlib import Path

from alembic import context

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from storage.migrate import context_options, migration_transaction  # noqa: E402

config = context.config


def run_with(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        on_version_apply=config.attributes.get("on_version_apply", ()),
        **context_options(),
    )
    # When the connection is already in a transaction (always, from storage.migrate), Alembic
    # joins it instead of committing by itself.
    with context.begin_transaction():
        context.run_migrations()


def database_url() -> str:
    from settings import read_environment

    return read_environment().get("DATABASE_URL") or "sqlite:///zoombot.db"


if context.is_offline_mode():
    # `alembic upgrade head --sql`: print the SQL instead of running it.
    context.configure(url=database_url(), literal_binds=True, **context_options())
    with context.begin_transaction():
        context.run_migrations()
elif config.attributes.get("connection") is not None:
    run_with(config.attributes["connection"])
else:
    from logging.config import fileConfig

    from storage.db import create_db_engine

    if config.config_file_name is not None:
        fileConfig(config.config_file_name, disable_existing_loggers=False)

    engine = create_db_engine(database_url(), pool_size=1)
    try:
        with migration_transaction(engine) as connection:
            run_with(connection)
    finally:
        engine.dispose()
