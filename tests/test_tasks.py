"""The task queue (storage/tasks.py) and its worker (jobs/tasks.py), on SQLite and PostgreSQL."""
from __future__ import annotations

import threading
import time
from collections import Counter
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterator

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from jobs.tasks import MAX_ATTEMPTS, TaskRunner
from storage.crypto import TokenCipher
from storage.db import Database
from storage.grants import GrantStore, NewTokens
from storage.migrate import upgrade_to_head
from storage.tasks import NEEDS_RECONNECT, NOT_CONNECTED, QUEUED, ClaimedTask, TaskStore
from tests.harness import MovableClock

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=timezone.utc)
SECRET_URL = "https://hooks.slack.test/commands/T1/123/very-secret-response-url"
LEASE = timedelta(seconds=120)


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'tasks.db'}"
        upgrade_to_head(url)
    else:
        url = request.getfixturevalue("postgres_url")
    database = Database.from_url(url, pool_size=12)
    yield database
    database.dispose()


@pytest.fixture
def cipher() -> TokenCipher:
    return TokenCipher([Fernet.generate_key().decode()])


@pytest.fixture
def store(db: Database, cipher: TokenCipher) -> TaskStore:
    return TaskStore(db, cipher)


def connect_user(db: Database, cipher: TokenCipher, user_id: str = "U1") -> GrantStore:
    grants = GrantStore(db, cipher)
    grants.save(
        team_id="T1", user_id=user_id, zoom_user_id=f"z-{user_id}", zoom_email=f"{user_id}@example.com",
        zoom_account_id="acct", tokens=NewTokens("access", "refresh", NOW + timedelta(hours=1), "meeting:read"),
        now=NOW,
    )
    return grants


def queue(store: TaskStore, n: int, *, kind: str = "test.kind", now: datetime = NOW) -> list[int]:
    return [store.enqueue(kind, {"n": i}, team_id="T1", user_id="U1", now=now) for i in range(n)]


# -- the store ---------------------------------------------------------------------------
def test_a_task_is_queued_only_for_a_connected_user(store: TaskStore, db: Database, cipher: TokenCipher) -> None:
    payload = {"response_url": SECRET_URL}
    assert store.enqueue_if_connected("meetings.list", payload, team_id="T1", user_id="U1", now=NOW) == NOT_CONNECTED
    assert store.count() == 0

    grants = connect_user(db, cipher)
    assert store.enqueue_if_connected("meetings.list", payload, team_id="T1", user_id="U1", now=NOW) == QUEUED
    assert store.enqueue_if_connected("meetings.list", payload, team_id="T2", user_id="U1", now=NOW) == NOT_CONNECTED
    assert store.count() == 1

    grant = grants.find(team_id="T1", user_id="U1")
    assert grant is not None
    with grants.lock(grant.id, now=NOW) as locked:
        assert locked is not None
        locked.mark_needs_reconnect()
    assert store.enqueue_if_connected("meetings.list", payload, team_id="T1", user_id="U1", now=NOW) == NEEDS_RECONNECT
    assert store.count() == 1

    [task] = store.claim(limit=5, lease=LEASE, now=NOW)
    assert (task.kind, task.team_id, task.user_id, task.payload, task.attempts) == ("meetings.list", "T1", "U1", payload, 1)
    assert task.created_at == NOW


def test_the_payload_is_encrypted_at_rest(store: TaskStore, db: Database, cipher: TokenCipher) -> None:
    connect_user(db, cipher)
    store.enqueue_if_connected("meetings.list", {"response_url": SECRET_URL}, team_id="T1", user_id="U1", now=NOW)
    with db.engine.connect() as connection:
        raw = connection.execute(text("SELECT * FROM tasks")).mappings().all()
    assert len(raw) == 1
    assert "very-secret" not in repr(raw) and "hooks.slack" not in repr(raw)


def test_a_claimed_task_is_not_claimed_again_until_its_lease_runs_out(store: TaskStore) -> None:
    queue(store, 3)
    first = store.claim(limit=2, lease=LEASE, now=NOW)
    second = store.claim(limit=5, lease=LEASE, now=NOW)
    assert [t.payload["n"] for t in first] == [0, 1]  # oldest first
    assert [t.payload["n"] for t in second] == [2]
    assert store.claim(limit=5, lease=LEASE, now=NOW + LEASE) == []  # not yet: the lease ends after
    again = store.claim(limit=5, lease=LEASE, now=NOW + LEASE + timedelta(seconds=1))
    assert sorted(t.payload["n"] for t in again) == [0, 1, 2]
    assert {t.attempts for t in again} == {2}


def test_finish_deletes_and_release_waits_until_the_retry_time(store: TaskStore) -> None:
    done, retried = queue(store, 2)
    store.claim(limit=2, lease=LEASE, now=NOW)
    store.finish(done)
    store.release(retried, retry_at=NOW + timedelta(seconds=10))
    assert store.count() == 1
    assert not store.any_ready(now=NOW + timedelta(seconds=9))
    assert store.claim(limit=2, lease=LEASE, now=NOW + timedelta(seconds=9)) == []
    assert store.any_ready(now=NOW + timedelta(seconds=11))
    assert [t.id for t in store.claim(limit=2, lease=LEASE, now=NOW + timedelta(seconds=11))] == [retried]


def test_a_task_no_key_can_read_is_dropped_with_a_warning(db: Database, caplog: pytest.LogCaptureFixture) -> None:
    old = TaskStore(db, TokenCipher([Fernet.generate_key().decode()]))
    queue(old, 1)
    new = TaskStore(db, TokenCipher([Fernet.generate_key().decode()]))
    readable = queue(new, 1)
    assert [t.id for t in new.claim(limit=5, lease=LEASE, now=NOW)] == readable
    assert "dropped 1 task(s) that no current TOKEN_ENCRYPTION_KEY can read" in caplog.text
    assert new.count() == 1


def test_claimers_racing_each_take_every_task_exactly_once(store: TaskStore) -> None:
    queue(store, 240)
    taken: list[int] = []
    guard = threading.Lock()
    start = threading.Barrier(6)

    def claimer() -> None:
        start.wait()
        while True:
            batch = store.claim(limit=7, lease=LEASE, now=NOW)
            if not batch:
                return
            with guard:
                taken.extend(t.id for t in batch)

    threads = [threading.Thread(target=claimer) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    counts = Counter(taken)
    assert len(counts) == 240
    assert max(counts.values()) == 1


# -- the worker --------------------------------------------------------------------------
def wait_for(check, timeout: float = 10.0) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.01)
    return bool(check())


def test_the_worker_runs_each_task_once_and_deletes_it(store: TaskStore) -> None:
    seen: list[int] = []
    guard = threading.Lock()

    def handler(task: ClaimedTask) -> None:
        time.sleep(0.01)
        with guard:
            seen.append(task.payload["n"])

    runner = TaskRunner(store, {"test.kind": handler}, clock=lambda: NOW, threads=8)
    runner.start()
    try:
        for i in range(50):
            store.enqueue("test.kind", {"n": i}, team_id="T1", user_id="U1", now=NOW)
        assert wait_for(lambda: store.count() == 0)
    finally:
        runner.close()
    assert sorted(seen) == list(range(50))


def test_a_failing_task_is_retried_then_given_up(store: TaskStore, caplog: pytest.LogCaptureFixture) -> None:
    clock = MovableClock(NOW)
    attempts: list[int] = []

    def handler(task: ClaimedTask) -> None:
        attempts.append(task.attempts)
        raise RuntimeError("Zoom exploded")

    runner = TaskRunner(store, {"test.kind": handler}, clock=clock, threads=2)
    runner.start()
    try:
        queue(store, 1)
        for expected in range(1, MAX_ATTEMPTS):
            assert wait_for(lambda: len(attempts) == expected)
            # Released for a retry 10 s on (RETRY_AFTER), not still held for its 120 s lease:
            assert wait_for(lambda: store.any_ready(now=clock.now() + timedelta(seconds=11)))
            clock.advance(seconds=11)
        assert wait_for(lambda: len(attempts) == MAX_ATTEMPTS)
        assert wait_for(lambda: store.count() == 0)
    finally:
        runner.close()
    assert attempts == list(range(1, MAX_ATTEMPTS + 1))
    assert f"failed {MAX_ATTEMPTS} times; giving up on it" in caplog.text


def test_stale_and_unknown_tasks_are_dropped_without_running(store: TaskStore, caplog: pytest.LogCaptureFixture) -> None:
    ran: list[int] = []
    runner = TaskRunner(store, {"test.kind": lambda task: ran.append(task.id)}, clock=lambda: NOW, threads=2)
    store.enqueue("test.kind", {}, team_id="T1", user_id="U1", now=NOW - timedelta(minutes=31))
    store.enqueue("from.the.future", {}, team_id="T1", user_id="U1", now=NOW)
    runner.start()
    try:
        assert wait_for(lambda: store.count() == 0)
    finally:
        runner.close()
    assert ran == []
    assert "its response_url has expired" in caplog.text
    assert "unknown kind 'from.the.future'" in caplog.text


def test_a_task_held_by_a_dead_worker_is_done_by_another_after_the_lease(store: TaskStore) -> None:
    clock = MovableClock(NOW)
    [task_id] = queue(store, 1)
    store.claim(limit=1, lease=LEASE, now=NOW)  # a worker took it, then died
    done: list[ClaimedTask] = []
    runner = TaskRunner(store, {"test.kind": done.append}, clock=clock, threads=2, lease=LEASE)
    runner.start()
    try:
        time.sleep(0.3)
        assert done == []  # still leased
        clock.advance(seconds=LEASE.total_seconds() + 1)
        assert wait_for(lambda: store.count() == 0)
    finally:
        runner.close()
    assert [(t.id, t.attempts) for t in done] == [(task_id, 2)]


def test_tasks_queued_just_before_a_stop_are_still_taken(store: TaskStore) -> None:
    done: list[int] = []
    runner = TaskRunner(store, {"test.kind": lambda t: done.append(t.id)}, clock=lambda: NOW, threads=4,
                        poll_seconds=5.0)  # it would not look again for 5 s
    runner.start()
    time.sleep(0.2)  # idle, waiting for the next poll
    ids = queue(store, 3)
    runner.close()
    assert sorted(done) == ids
    assert store.count() == 0


def test_queueing_survives_a_connection_the_server_dropped(
    postgres_url: str, cipher: TokenCipher, caplog: pytest.LogCaptureFixture
) -> None:
    """The enqueue's pool has no pre-ping: a dead connection is retried once on a new one."""
    db = Database.from_url(postgres_url, pool_size=2)
    try:
        connect_user(db, cipher)
        store = TaskStore(db, cipher)
        payload = {"response_url": SECRET_URL}
        assert store.enqueue_if_connected("meetings.list", payload, team_id="T1", user_id="U1", now=NOW) == QUEUED
        raw = db.autocommit_engine.raw_connection()  # the connection the next enqueue gets
        pid = raw.cursor().execute("SELECT pg_backend_pid()").fetchone()[0]
        raw.close()
        with db.engine.begin() as connection:
            assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar() is True

        with caplog.at_level("INFO", logger="storage.tasks"):
            assert store.enqueue_if_connected("meetings.list", payload, team_id="T1", user_id="U1", now=NOW) == QUEUED
        assert "a pooled database connection was gone; queueing again on a new one" in caplog.text
        assert store.count() == 2
    finally:
        db.dispose()
