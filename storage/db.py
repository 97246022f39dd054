"""Engines and transactions, SQLite and PostgreSQL alike.

SQLite: WAL so readers never wait for the writer, a busy timeout so writers queue
instead of failing, and transactions that we begin ourselves, so that a locking
transaction can be `BEGIN IMMEDIATE` (take the write lock first, then read).
PostgreSQL: row locks with SELECT ... FOR UPDATE [SKIP LOCKED].
"""
from __future__ import annotations

import functools
import logging
from contextlib import contextmanager
from typing import Any, Iterator

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import Session, sessionmaker


log = logging.getLogger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
IMMEDIATE = "zoombot_sqlite_immediate"


def create_db_engine(url: str, *, pool_size: int = 10) -> Engine:
    """An engine for `url` with the settings each backend needs to be safe under threads."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            url,
            connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000, "check_same_thread": False},
            pool_size=pool_size,
            max_overflow=pool_size,
        )
        _configure_sqlite(engine)
        return engine
    return create_engine(
        # At most 2 x pool_size connections per process: with N processes the database must
        # allow 2 x N x pool_size (PostgreSQL's default max_connections is 100).
        url, pool_size=pool_size, max_overflow=pool_size, pool_timeout=60, pool_pre_ping=True, pool_recycle=1800
    )


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below emit BEGIN, instead of pysqlite's own
        # implicit transactions (which cannot be made IMMEDIATE).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        if connection.get_execution_options().get(IMMEDIATE):
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        else:
            connection.exec_driver_sql("BEGIN")


class Database:
    """The engine plus the two kinds of transaction the stores use."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.is_sqlite = engine.dialect.name == "sqlite"
        self._sessions = sessionmaker(engine, expire_on_commit=False)
        self._locking_sessions = sessionmaker(
            engine.execution_options(**{IMMEDIATE: True}) if self.is_sqlite else engine,
            expire_on_commit=False,
        )

    @classmethod
    def from_url(cls, url: str, *, pool_size: int = 10) -> "Database":
        return cls(create_db_engine(url, pool_size=pool_size))

    @functools.cached_property
    def autocommit_engine(self) -> Engine:
        """For one-statement writes on the ack's path: no BEGIN and COMMIT round trips and no
        pre-ping (a connection the server dropped fails its statement, and the caller tries
        again once on a new one). PostgreSQL only; made on first use, so only processes that
        queue tasks (the web workers) hold its connections: at most half the main pool more."""
        if self.is_sqlite:
            return self.engine  # its connections autocommit single statements already
        size = max(2, self.engine.pool.size() // 2)  # type: ignore[attr-defined]
        return create_engine(
            self.engine.url, isolation_level="AUTOCOMMIT", pool_size=size, max_overflow=size,
            pool_timeout=60, pool_recycle=1800,
        )

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A transaction that commits on success and rolls back on error."""
        with self._sessions() as session, session.begin():
            yield session

    @contextmanager
    def locking_session(self) -> Iterator[Session]:
        """A transaction meant for SELECT ... FOR UPDATE.

        On SQLite it begins IMMEDIATE: the database-wide write lock is taken before the
        first read, which is what FOR UPDATE gives on PostgreSQL for one row.
        """
        with self._locking_sessions() as session, session.begin():
            yield session

    def ping(self) -> bool:
        try:
            with self.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
            return True
        except Exception:  # noqa: BLE001 - reported as "down" by /healthz, logged here
            log.warning("database ping failed", exc_info=True)
            return False

    def dispose(self) -> None:
        self.engine.dispose()
        if "autocommit_engine" in self.__dict__ and self.autocommit_engine is not self.engine:
            self.autocommit_engine.dispose()
