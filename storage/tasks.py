"""The task queue: work that a Slack request asked for, kept until it is done.

A listener writes a task and acks; a task worker (jobs/tasks.py, usually in a process of
its own) claims it, does it and deletes it. Claims are leases: a worker that dies holding
one loses it when the lease runs out, and another worker takes the task again. Tasks are
therefore done at least once; the one kind we have (post a meeting list to a response_url)
is harmless to repeat after a crash.

PostgreSQL: workers claim with FOR UPDATE SKIP LOCKED, so they never wait on each other.
SQLite: a claim is one short BEGIN IMMEDIATE transaction (the database's write lock).
"""
from __future__ import annotations

import contextlib
import json
import logging
import threading
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Integer, String, bindparam, column, delete, func, or_, select, text, update

from .crypto import EncryptionKeyError, TokenCipher
from .db import Database
from .models import GRANT_ACTIVE, Task, ZoomGrant
from .types import UTCDateTime

log = logging.getLogger(__name__)

QUEUED = "queued"
NOT_CONNECTED = "not_connected"
NEEDS_RECONNECT = "needs_reconnect"


@dataclass(frozen=True)
class ClaimedTask:
    id: int
    kind: str
    enterprise_id: str
    team_id: str
    user_id: str
    payload: dict[str, Any]
    attempts: int  # including this one
    created_at: datetime


class TaskStore:
    def __init__(self, db: Database, cipher: TokenCipher) -> None:
        self._db = db
        self._cipher = cipher
        # SQLite takes one writer at a time, and a writer that finds the lock taken sleeps in
        # growing steps (1, 2, 5 ... 100 ms): 16 threads queueing tasks at once made a p99 of
        # 700 ms. Threads of one process wait their turn here instead, in microseconds.
        self._writing: Any = threading.Lock() if db.is_sqlite else contextlib.nullcontext()
        dialect = db.engine.dialect
        # The driver's own placeholders: :name for sqlite3, %(name)s for psycopg.
        placeholder = (lambda name: f":{name}") if db.is_sqlite else (lambda name: f"%({name})s")
        self._enqueue_sql = _ENQUEUE_TEMPLATE.format(**{name: placeholder(name) for name in _ENQUEUE_PARAMS})
        self._bind_time = UTCDateTime().bind_processor(dialect) or (lambda value: value)

    def enqueue_if_connected(
        self, kind: str, payload: dict[str, Any], *, team_id: str, user_id: str, enterprise_id: str = "",
        now: datetime,
    ) -> str:
        """Queue a task for a user with an active Zoom grant, in one statement (this runs
        before Slack's ack). Returns QUEUED, or why not: NOT_CONNECTED or NEEDS_RECONNECT."""
        params = {
            "kind": kind, "task_enterprise": enterprise_id, "task_team": team_id, "task_user": user_id,
            "payload": self._encrypt(payload), "created_at": now,
            "enterprise_id": enterprise_id, "team_id": team_id, "user_id": user_id, "active": GRANT_ACTIVE,
        }
        with self._writing:
            queued = self._enqueue_on_driver(params)
        if queued:
            return QUEUED
        with self._db.session() as session:
            status = session.scalar(
                select(ZoomGrant.status).where(
                    ZoomGrant.enterprise_id == enterprise_id,
                    ZoomGrant.team_id == team_id,
                    ZoomGrant.slack_user_id == user_id,
                )
            )
        return NOT_CONNECTED if status is None else NEEDS_RECONNECT

    def _enqueue_on_driver(self, params: dict[str, Any]) -> bool:
        """The INSERT on the driver's own connection, autocommitted (Database.autocommit_engine).

        It runs before every ack, and SQLAlchemy's execution machinery, a transaction's BEGIN
        and COMMIT and the pool's pre-ping cost more CPU than the statement itself (profiles in
        bench/ack_path.py: 340 -> 120 us on PostgreSQL, 700 -> 84 us on SQLite). Without the
        pre-ping, a connection the server has dropped fails once: then it is thrown away and
        the INSERT tried again on a new one."""
        params = {**params, "created_at": self._bind_time(params["created_at"])}
        engine = self._db.autocommit_engine
        for attempt in (1, 2):
            connection = engine.raw_connection()
            try:
                cursor = connection.cursor()
                try:
                    cursor.execute(self._enqueue_sql, params)
                    row = cursor.fetchone()
                finally:
                    cursor.close()
                connection.commit()  # autocommitted already: a no-op
                return row is not None
            except engine.dialect.loaded_dbapi.Error as exc:
                if attempt == 1 and engine.dialect.is_disconnect(exc, connection.dbapi_connection, None):
                    log.info("a pooled database connection was gone; queueing again on a new one")
                    connection.invalidate()
                    continue
                raise
            finally:
                connection.close()  # back to the pool
        raise AssertionError("unreachable")

    def enqueue(
        self, kind: str, payload: dict[str, Any], *, team_id: str, user_id: str, enterprise_id: str = "",
        now: datetime,
    ) -> int:
        with self._db.session() as session:
            task = Task(
                kind=kind, enterprise_id=enterprise_id, team_id=team_id, user_id=user_id,
                payload_enc=self._encrypt(payload), attempts=0, created_at=now,
            )
            session.add(task)
            session.flush()
            return task.id

    def any_ready(self, *, now: datetime) -> bool:
        """A cheap read, so that an idle worker's polling takes no write lock."""
        with self._db.session() as session:
            return session.scalar(select(Task.id).where(_ready(now)).limit(1)) is not None

    def claim(self, *, limit: int, lease: timedelta, now: datetime) -> list[ClaimedTask]:
        """Take up to `limit` tasks nobody holds (oldest first) until `now + lease`.

        One UPDATE ... RETURNING: on SQLite the write lock is held for that statement only,
        so a web process queueing a task never waits behind a task process for long."""
        if limit <= 0:
            return []
        statement = _CLAIM_SQLITE if self._db.is_sqlite else _CLAIM_POSTGRES
        with self._writing, self._db.engine.begin() as connection:
            rows = connection.execute(statement, {"now": now, "until": now + lease, "limit": limit}).all()
        claimed, unreadable = [], []
        for row in sorted(rows, key=lambda r: r.id):
            try:
                payload = json.loads(self._cipher.decrypt(row.payload_enc))
            except EncryptionKeyError:
                unreadable.append(row.id)  # written under a key that has been removed since
                continue
            claimed.append(ClaimedTask(
                id=row.id, kind=row.kind, enterprise_id=row.enterprise_id, team_id=row.team_id,
                user_id=row.user_id, payload=payload, attempts=row.attempts, created_at=row.created_at,
            ))
        if unreadable:
            log.warning("dropped %d task(s) that no current TOKEN_ENCRYPTION_KEY can read", len(unreadable))
            self.finish(*unreadable)
        return claimed

    def finish(self, *task_ids: int) -> None:
        """Done (or given up on): the tasks are deleted."""
        if task_ids:
            with self._writing, self._db.session() as session:
                session.execute(delete(Task).where(Task.id.in_(task_ids)))

    def release(self, task_id: int, *, retry_at: datetime) -> None:
        """Not done, to be tried again once `retry_at` has passed (by any worker)."""
        with self._writing, self._db.session() as session:
            session.execute(update(Task).where(Task.id == task_id).values(lease_until=retry_at))

    def count(self) -> int:
        with self._db.session() as session:
            return int(session.scalar(select(func.count(Task.id))) or 0)

    def _encrypt(self, payload: dict[str, Any]) -> str:
        return self._cipher.encrypt(json.dumps(payload, separators=(",", ":")))


def _ready(now: datetime) -> Any:
    return or_(Task.lease_until.is_(None), Task.lease_until < now)


# The two statements of the hot path, written once: building and compiling them with the ORM on
# every command cost more CPU than the rest of the ack (measured in bench/ack_path.py).
_ENQUEUE_PARAMS = (
    "kind", "task_enterprise", "task_team", "task_user", "payload", "created_at",
    "enterprise_id", "team_id", "user_id", "active",
)
_ENQUEUE_TEMPLATE = (
    "INSERT INTO tasks (kind, enterprise_id, team_id, user_id, payload_enc, attempts, created_at) "
    "SELECT {kind}, {task_enterprise}, {task_team}, {task_user}, {payload}, 0, {created_at} "
    "WHERE EXISTS (SELECT 1 FROM zoom_grants WHERE enterprise_id = {enterprise_id} AND team_id = {team_id} "
    "AND slack_user_id = {user_id} AND status = {active}) "
    "RETURNING id"  # (rowcount of INSERT ... SELECT is not reliable across drivers)
)

_CLAIMED_COLUMNS = (
    column("id", Integer), column("kind", String), column("enterprise_id", String), column("team_id", String),
    column("user_id", String), column("payload_enc", String), column("attempts", Integer),
    column("created_at", UTCDateTime()),
)
_CLAIM = (
    "UPDATE tasks SET lease_until = :until, attempts = attempts + 1 WHERE id IN ("
    "SELECT id FROM tasks WHERE lease_until IS NULL OR lease_until < :now ORDER BY id LIMIT :limit{lock}) "
    "RETURNING id, kind, enterprise_id, team_id, user_id, payload_enc, attempts, created_at"
)
_CLAIM_PARAMS = (bindparam("now", type_=UTCDateTime()), bindparam("until", type_=UTCDateTime()))
_CLAIM_SQLITE = text(_CLAIM.format(lock="")).bindparams(*_CLAIM_PARAMS).columns(*_CLAIMED_COLUMNS)
# SKIP LOCKED: task processes claiming at the same moment take different tasks, without waiting.
_CLAIM_POSTGRES = (
    text(_CLAIM.format(lock=" FOR UPDATE SKIP LOCKED")).bindparams(*_CLAIM_PARAMS).columns(*_CLAIMED_COLUMNS)
)
