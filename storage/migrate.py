"""Alembic migrations, run from code: no alembic.ini needed by operators.

`python bot.py migrate` and the start of `python bot.py` call `upgrade_to_head`. Any number of
processes may call it at once: the upgrade runs under a database-wide lock (an advisory lock on
PostgreSQL, the `BEGIN IMMEDIATE` write lock on SQLite), in one transaction, so the first process
migrates and the others wait, then find nothing to do. When the database is already at head (every
start but the first after an upgrade) it costs one SELECT and takes no lock.

The migrations own every table on the database: ours (storage.models) and slack_sdk's
SQLAlchemy installation and OAuth state stores, which a later feature uses on the same database.
"""
from __future__ import annotations

import time

import functools
import logging
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator

# Alembic says "Context impl SQLiteImpl." and the like at INFO on every check (and on import);
# at start that is noise. What was migrated is logged below, as zoombot's own line. (The alembic
# CLI's logging config, in alembic.ini, turns its lines back on for developers.)
if logging.getLogger("alembic").level == logging.NOTSET:
    logging.getLogger("alembic").setLevel(logging.WARNING)

from alembic import command  # noqa: E402
from alembic.autogenerate import compare_metadata  # noqa: E402
from alembic.config import Config  # noqa: E402
from alembic.runtime.migration import MigrationContext, MigrationInfo  # noqa: E402
from alembic.script import ScriptDirectory  # noqa: E402
from sqlalchemy import MetaData, inspect, text  # noqa: E402
from sqlalchemy.engine import Connection, Engine  # noqa: E402

from sqlalchemy.exc import OperationalError  # noqa: E402

from .db import IMMEDIATE, create_db_engine  # noqa: E402
from .models import Base  # noqa: E402
from .types import UTCDateTime  # noqa: E402

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"
# The first revision: the schema that `Base.metadata.create_all()` made before there were
# migrations. A database made that way is stamped with it (see _upgrade).
BASELINE = "0001"
# pg_advisory_xact_lock key for "someone is migrating this database" (any constant will do;
# this one is b"zoommigr" as a big-endian int64, unlikely to clash with another app's).
PG_MIGRATION_LOCK = 0x7A6F6F6D6D696772
VERSION_TABLE = "alembic_version"


def target_metadata() -> MetaData:
    """Every table the migrations own: storage.models plus slack_sdk's stores' tables."""
    return _target_metadata()


@functools.cache
def _target_metadata() -> MetaData:
    from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
    from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore

    metadata = MetaData()
    for table in Base.metadata.sorted_tables:
        table.to_metadata(metadata)
    # The stores build their tables on a MetaData of their own; these are the same builders
    # with the stores' default table names.
    installations = SQLAlchemyInstallationStore
    installations.build_installations_table(metadata, installations.default_installations_table_name)
    installations.build_bots_table(metadata, installations.default_bots_table_name)
    states = SQLAlchemyOAuthStateStore
    states.build_oauth_states_table(metadata, states.default_table_name)
    return metadata


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Autogenerate hook: write UTCDateTime as the plain column type it stores.

    Migration files must not import storage.types: they describe the schema as it was then,
    and UTCDateTime only adds Python-side conversion.
    """
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def context_options() -> dict[str, Any]:
    """EnvironmentContext.configure() options shared by this module and migrations/env.py."""
    return {
        "target_metadata": target_metadata(),
        # SQLite cannot ALTER most things; batch mode copies the table instead. On PostgreSQL
        # batch operations are plain ALTERs, so the same files serve both.
        "render_as_batch": True,
        "render_item": render_item,
        # Alembic compares a TypeDecorator by its impl: UTCDateTime is DateTime(timezone=True).
        "compare_type": True,
        "compare_server_default": True,
        "version_table": VERSION_TABLE,
    }


def alembic_config() -> Config:
    """An Alembic Config pointing at migrations/ (what alembic.ini would say)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    return config


@functools.cache
def _script() -> ScriptDirectory:
    # Parsed once per process: reading the revision files is most of what a check costs.
    return ScriptDirectory.from_config(alembic_config())


def head_revisions() -> tuple[str, ...]:
    return tuple(_script().get_heads())


# -- the API ------------------------------------------------------------------------------


def upgrade_to_head(target: Engine | str) -> list[str]:
    """Apply every pending migration; return the revisions applied, oldest first.

    `target` is an engine from storage.db.create_db_engine (SQLite's write lock relies on its
    BEGIN IMMEDIATE) or a database URL. A database made by `create_all()` before there were
    migrations is stamped instead of migrated (and logged).
    """
    for attempt in range(5):
        try:
            with _engine(target) as engine:
                with engine.connect() as connection:
                    if not _pending(connection):
                        return []
                with migration_transaction(engine) as connection:
                    # Read again under the lock: another process may have migrated while we waited.
                    return _upgrade(connection)
        except OperationalError as exc:
            # SQLite answers "database is locked" at once, busy timeout or not, when a brand-new
            # file is switched to WAL by several processes at the same moment: try again.
            if "database is locked" not in str(exc) or attempt == 4:
                raise
            time.sleep(0.2 * (attempt + 1))
    raise AssertionError("unreachable")


def current_revision(target: Engine | str) -> str | None:
    """The database's revision (None when it has never been migrated or stamped)."""
    with _engine(target) as engine, engine.connect() as connection:
        heads = _context(connection).get_current_heads()
    return ",".join(sorted(heads)) or None


def pending(target: Engine | str) -> bool:
    """True when the database is not at head (including a database never migrated)."""
    with _engine(target) as engine, engine.connect() as connection:
        return _pending(connection)


def check_models_match(target: Engine | str) -> list[Any]:
    """The autogenerate diff between the database and the models (ours and slack_sdk's).

    Empty means they agree. Meant for a database at head: anything listed is a model change
    that still needs a migration (or a migration the models lost).
    """
    with _engine(target) as engine, engine.connect() as connection:
        options = context_options()
        context = MigrationContext.configure(
            connection,
            opts={key: options[key] for key in ("compare_type", "compare_server_default", "render_item", "version_table")},
        )
        return list(compare_metadata(context, options["target_metadata"]))


# -- how ----------------------------------------------------------------------------------


@contextmanager
def _engine(target: Engine | str) -> Iterator[Engine]:
    if isinstance(target, Engine):
        yield target
        return
    engine = create_db_engine(target, pool_size=1)
    try:
        yield engine
    finally:
        engine.dispose()


def _context(connection: Connection) -> MigrationContext:
    return MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})


def _pending(connection: Connection) -> bool:
    return set(_context(connection).get_current_heads()) != set(head_revisions())


@contextmanager
def migration_transaction(engine: Engine) -> Iterator[Connection]:
    """One connection, one transaction, and the database-wide migration lock for its length."""
    with engine.connect() as connection:
        if connection.dialect.name == "sqlite":
            with _sqlite_foreign_keys_off(connection):
                # The begin listener of storage.db turns this into BEGIN IMMEDIATE: the write
                # lock first, so a second process waits here (busy_timeout) before reading.
                connection.execution_options(**{IMMEDIATE: True})
                with connection.begin():
                    yield connection
            return
        with connection.begin():
            if connection.dialect.name == "postgresql":
                # A transaction-level lock: released by the COMMIT or ROLLBACK that ends the
                # upgrade, so it can never stay behind on a pooled connection.
                connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK})
            yield connection


@contextmanager
def _sqlite_foreign_keys_off(connection: Connection) -> Iterator[None]:
    """SQLite batch mode rebuilds a table by copy, drop and rename; with foreign keys on, the
    DROP of user_prefs would cascade-delete every digest delivery and reminder. The pragma only
    works outside a transaction, so it is set on the raw connection before BEGIN."""
    raw = connection.connection.driver_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
    finally:
        raw.execute("PRAGMA foreign_keys=ON")
    problems = raw.execute("PRAGMA foreign_key_check").fetchall()
    if problems:
        log.error("after migrating, %d row(s) break a foreign key: %s", len(problems), problems[:5])


def _upgrade(connection: Connection) -> list[str]:
    tables = set(inspect(connection).get_table_names())
    legacy = VERSION_TABLE not in tables and bool(tables & set(target_metadata().tables))
    if legacy:
        log.info(
            "the database has zoombot's tables but no %s (made by create_all before migrations): "
            "stamping it at %s instead of migrating", VERSION_TABLE, BASELINE,
        )
        _run(connection, lambda config: command.stamp(config, BASELINE))
    applied = _run(connection, lambda config: command.upgrade(config, "heads"))
    if legacy:  # what the upgrade itself created counts as there
        _create_missing_tables(connection, set(inspect(connection).get_table_names()))
    for revision in applied:
        log.info("database migrated to %s", revision)
    return applied


def _run(connection: Connection, alembic_command: Callable[[Config], None]) -> list[str]:
    """Run an Alembic command on our connection (migrations/env.py picks it up) and return
    the revisions it applied."""
    applied: list[str] = []

    def record(*, ctx: MigrationContext, step: MigrationInfo, heads: set[str], run_args: Any) -> None:
        if step.is_upgrade and not step.is_stamp:
            applied.extend(step.up_revision_ids)

    config = alembic_config()
    config.attributes["connection"] = connection
    config.attributes["on_version_apply"] = record
    alembic_command(config)
    return applied


def _create_missing_tables(connection: Connection, existing: set[str]) -> None:
    # A create_all() database from an older zoombot may lack tables added since. Created after
    # the upgrade, from the models, they come out as head has them.
    missing = [table for name, table in target_metadata().tables.items() if name not in existing]
    if missing:
        target_metadata().create_all(connection, tables=missing)
        log.info("created the tables the old database lacked: %s", ", ".join(t.name for t in missing))
