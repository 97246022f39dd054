"""The APScheduler 3 BackgroundScheduler each process runs.

Its jobs live in memory only: APScheduler's persistent job stores must not be shared
between processes (each would run every job). Instead every process runs every job,
and the database decides who does what (row locks, SKIP LOCKED, unique keys).
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta, timezone
from typing import Callable

from apscheduler.executors.pool import ThreadPoolExecutor as SchedulerPool
from apscheduler.schedulers.background import BackgroundScheduler

from services.limits import SWEEP_INTERVAL

log = logging.getLogger(__name__)


def create_scheduler(
    *,
    refresh_sweep: Callable[[], object],
    purge_states: Callable[[], object],
    digests: Callable[[], object],
    reminders: Callable[[], object],
    timezones: Callable[[], object],
    sweep_interval: timedelta = SWEEP_INTERVAL,
) -> BackgroundScheduler:
    scheduler = BackgroundScheduler(
        executors={"default": SchedulerPool(6)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 60},
        timezone=timezone.utc,
    )
    scheduler.add_job(
        refresh_sweep,
        "interval",
        seconds=sweep_interval.total_seconds(),
        jitter=15,
        id="refresh_sweep",
        next_run_time=datetime.now(timezone.utc),  # once at start, then every interval
    )
    scheduler.add_job(purge_states, "interval", hours=1, jitter=60, id="purge_states")
    # At the top of every minute: a digest due at 08:00 goes out before 08:01. A crowded
    # minute's run goes on past it (DigestService.run_due); a second instance is allowed so
    # that the next minute's firing is not refused with a warning: it returns at once, as
    # the run still going holds the service's lock.
    scheduler.add_job(digests, "cron", second=0, id="digests", misfire_grace_time=30, max_instances=2)
    scheduler.add_job(reminders, "cron", second=20, id="reminders", misfire_grace_time=30)
    # 100 users a run, every 5 minutes: 28,800 zones re-read a day, within users.info's limits.
    scheduler.add_job(timezones, "interval", minutes=5, jitter=30, id="timezones")
    return scheduler
