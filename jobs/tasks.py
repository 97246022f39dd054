"""The task worker: claims queued tasks (storage/tasks.py) and runs them on a thread pool.

`python bot.py` runs it in a process of its own beside the web server (TASK_PROCESSES), at a
lower CPU priority, so that the work after an ack never delays the next ack: Slack gives an
ack 3 seconds and shows the user an error after that, while a response_url takes a message
for 30 minutes. With TASK_PROCESSES=0 it runs as threads inside the web process instead.
"""
from __future__ import annotations

import logging
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from typing import Callable, Mapping

from services.logs import bind
from services.metrics import TASK_WAIT_SECONDS, TASKS
from storage.tasks import ClaimedTask, TaskStore

log = logging.getLogger(__name__)

TaskHandler = Callable[[ClaimedTask], None]

# A worker that has not finished a task by then is taken to be dead, and another takes it.
LEASE = timedelta(seconds=120)
# After a task failed: tried again this much later, at most MAX_ATTEMPTS times in all.
RETRY_AFTER = timedelta(seconds=10)
MAX_ATTEMPTS = 3
# A response_url takes messages for 30 minutes; a task older than that can no longer answer.
MAX_AGE = timedelta(minutes=30)
# How often an idle worker looks for new tasks (the longest a task waits for an idle worker).
POLL_SECONDS = 0.05
CLAIM_BATCH = 16


class TaskRunner:
    def __init__(
        self,
        store: TaskStore,
        handlers: Mapping[str, TaskHandler],
        *,
        clock: Callable[[], datetime],
        threads: int,
        lease: timedelta = LEASE,
        poll_seconds: float = POLL_SECONDS,
    ) -> None:
        self._store = store
        self._handlers = dict(handlers)
        self._clock = clock
        self._threads = threads
        self._lease = lease
        self._poll = poll_seconds
        self._pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="zoombot-task")
        self._in_flight = 0
        self._finished: list[int] = []  # done, to be deleted in one statement by the loop
        self._changed = threading.Condition()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="zoombot-tasks", daemon=True)
        self._thread.start()

    def notify(self) -> None:
        """A task was just queued in this process: look now rather than at the next poll."""
        with self._changed:
            self._changed.notify_all()

    def close(self) -> None:
        """Take no more tasks; let those in flight finish (unclaimed ones stay queued)."""
        self._stop.set()
        self.notify()
        if self._thread is not None:
            self._thread.join(timeout=10)
        self._pool.shutdown(wait=True)
        try:
            self._flush_finished()
        except Exception:  # noqa: BLE001 - they will run again after their lease: at least once
            log.warning("could not delete the last finished tasks", exc_info=True)

    def _flush_finished(self) -> None:
        with self._changed:
            finished, self._finished = self._finished, []
        if finished:
            try:
                self._store.finish(*finished)
            except Exception:
                with self._changed:
                    self._finished.extend(finished)
                raise

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self._flush_finished()
                claimed = self._claim()
            except Exception:  # noqa: BLE001 - the database may be away for a moment
                log.exception("could not claim tasks; trying again in a second")
                self._stop.wait(1.0)
                continue
            if claimed:
                continue  # there may be more: claim again at once
            with self._changed:
                self._changed.wait(self._poll)
        try:  # a command acked just before the stop is not left for another process
            self._claim(last=True)
        except Exception:  # noqa: BLE001
            log.warning("could not take the last queued tasks before stopping", exc_info=True)

    def _claim(self, *, last: bool = False) -> int:
        with self._changed:
            while self._in_flight >= self._threads and not (self._stop.is_set() and not last):
                self._changed.wait(self._poll)
            free = self._threads - self._in_flight
        if self._stop.is_set() and not last:
            return 0
        now = self._clock()
        if not self._store.any_ready(now=now):
            return 0
        tasks = self._store.claim(limit=min(free, CLAIM_BATCH), lease=self._lease, now=now)
        with self._changed:
            self._in_flight += len(tasks)
        for task in tasks:
            self._pool.submit(self._run, task)
        return len(tasks)

    def _run(self, task: ClaimedTask) -> None:
        try:
            bind(request_id=task.payload.get("request_id"), team_id=task.team_id, user_id=task.user_id)
            self._run_one(task)
        except Exception:  # noqa: BLE001 - the database went away: the lease brings it back
            log.exception("could not record the end of a %s task; it may run again", task.kind)
        finally:
            with self._changed:
                self._in_flight -= 1
                self._changed.notify_all()

    def _run_one(self, task: ClaimedTask) -> None:
        now = self._clock()
        handler = self._handlers.get(task.kind)
        if handler is None:
            log.error("dropped a task of unknown kind %r (queued by a newer zoombot?)", task.kind)
            return self._done(task, "unknown")
        if now - task.created_at > MAX_AGE:
            log.warning("dropped a %s task queued %s ago: its response_url has expired", task.kind, now - task.created_at)
            return self._done(task, "expired")
        TASK_WAIT_SECONDS.labels(task.kind).observe(max(0.0, (now - task.created_at).total_seconds()))
        try:
            handler(task)
        except Exception:  # noqa: BLE001 - one task's failure must not stop the others
            if task.attempts >= MAX_ATTEMPTS:
                log.exception("a %s task failed %d times; giving up on it", task.kind, task.attempts)
                return self._done(task, "failed")
            log.exception("a %s task failed (attempt %d of %d); it will be tried again", task.kind,
                          task.attempts, MAX_ATTEMPTS)
            self._store.release(task.id, retry_at=self._clock() + RETRY_AFTER)
            TASKS.labels(task.kind, "retried").inc()
            return
        self._done(task, "done")

    def _done(self, task: ClaimedTask, outcome: str) -> None:
        # Deleted with the others that finish meanwhile (one write instead of one each).
        with self._changed:
            self._finished.append(task.id)
            self._changed.notify_all()
        TASKS.labels(task.kind, outcome).inc()
