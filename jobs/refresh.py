"""The refresh sweep: renew every grant that expires soon, before anyone needs it."""
from __future__ import annotations

import logging
import random
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from services.clock import Clock
from services.limits import SWEEP_WINDOW
from services.tokens import NeedsReconnect, NotConnected, TokenManager
from storage.grants import GrantStore
from zoom.errors import ZoomUnavailable

log = logging.getLogger(__name__)

SWEEP_CONCURRENCY = 8  # parallel refreshes per process; ZoomHttp's pacer spaces their token calls
SWEEP_BATCH = 500
MAX_JITTER = 0.25  # seconds; spreads each worker's first calls so processes don't align


@dataclass
class SweepReport:
    refreshed: int = 0
    skipped: int = 0  # fresh already, or held by someone else
    postponed: int = 0  # network trouble or rate limits: retried by a later sweep
    dead: int = 0  # Zoom refused the refresh token
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, outcome: str) -> None:
        with self._lock:
            setattr(self, outcome, getattr(self, outcome) + 1)


class RefreshSweep:
    def __init__(
        self,
        grants: GrantStore,
        tokens: TokenManager,
        *,
        clock: Clock,
        window: timedelta = SWEEP_WINDOW,
        concurrency: int = SWEEP_CONCURRENCY,
        sleep: Callable[[float], None] | None = None,
        stop: threading.Event | None = None,
    ) -> None:
        self._grants = grants
        self._tokens = tokens
        self._clock = clock
        self._window = window
        self._concurrency = concurrency
        self._sleep = sleep
        self._stop = stop or threading.Event()
        self._running = threading.Lock()

    def run(self) -> SweepReport:
        """One sweep over every grant due now. Returns what happened (also logged)."""
        report = SweepReport()
        if not self._running.acquire(blocking=False):
            return report  # the previous sweep in this process is still going
        try:
            attempted: set[int] = set()
            while not self._stop.is_set():
                now = self._clock()
                due = [
                    grant_id
                    for grant_id in self._grants.due_for_refresh(
                        expiring_before=now + self._window, now=now, limit=SWEEP_BATCH
                    )
                    if grant_id not in attempted
                ]
                if not due:
                    break
                attempted.update(due)
                random.shuffle(due)  # other processes take other grants first
                with ThreadPoolExecutor(self._concurrency, thread_name_prefix="zoombot-sweep") as pool:
                    for index, grant_id in enumerate(due):
                        pool.submit(self._one, grant_id, report, index < self._concurrency)
        finally:
            self._running.release()
        if report.refreshed or report.postponed or report.dead:
            log.info(
                "refresh sweep: %d refreshed, %d skipped, %d postponed, %d need reconnecting",
                report.refreshed, report.skipped, report.postponed, report.dead,
            )
        return report

    def _one(self, grant_id: int, report: SweepReport, first: bool) -> None:
        if self._stop.is_set():
            return
        if first and self._sleep is not None:
            self._sleep(random.uniform(0, MAX_JITTER))
        try:
            outcome = self._tokens.refresh(grant_id, skip_locked=True, margin=self._window)
        except NeedsReconnect:
            report.add("dead")
        except NotConnected:
            report.add("skipped")
        except ZoomUnavailable as exc:
            log.info("refresh of grant %s postponed: %s", grant_id, exc)
            report.add("postponed")
        except Exception:
            log.exception("refresh of grant %s failed unexpectedly", grant_id)
            report.add("postponed")
        else:
            report.add("refreshed" if outcome.refreshed else "skipped")
