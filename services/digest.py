"""The daily digest: who is due, what they get, exactly once per local day."""
from __future__ import annotations

import logging
import threading
import time as _time
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Callable

from slack_sdk import WebClient

from blocks.account import reconnect_message
from blocks.digest import digest_message
from storage.grants import GrantStore
from storage.prefs import SENDING, SENT, SKIPPED, PrefsRecord, PrefsStore
from zoom.errors import ZoomError, ZoomUnavailable

from .clock import Clock
from .connect import ConnectService
from .meetings import MeetingService, window_for, zone
from .metrics import DIGESTS
from .notify import Notifier
from .people import TimezoneDirectory
from .slack_client import slack_deadline
from .schedule import LATE_LIMIT, DigestSchedule, local_date_of, next_slot, schedule_of
from .tokens import NeedsReconnect, NotConnected

log = logging.getLogger(__name__)

# A digest's sender makes no Slack attempt after SEND_DEADLINE; so a "sending" record older
# than STALE_SENDING (the deadline, one attempt's timeout, a margin) means its sender died.
SEND_DEADLINE = timedelta(seconds=60)
STALE_SENDING = timedelta(seconds=90)
DIGEST_EVENT = "zoombot_digest"
LEASE = timedelta(seconds=60)  # a dead process's users are taken over this soon
RETRY_AFTER_FAILURE = timedelta(minutes=1)
# Digests in flight. Posts wait for their turn on the workspace's pacer lane (a second or
# so behind the others at Slack's ceiling), so it takes this many to keep 50/s busy.
CONCURRENCY = 48
CLAIM_BATCH = 16  # users claimed at a time, so that other processes share a crowded minute


def schedule_for(prefs: PrefsRecord, tz: str | None = None) -> DigestSchedule:
    return schedule_of(enabled=prefs.digest_enabled, minute=prefs.digest_minute, days=prefs.digest_days, tz=tz or prefs.tz)


def next_digest_for(clock: Clock) -> Callable[[PrefsRecord], datetime | None]:
    """For the store: the next due time of (changed) settings, from now."""
    return lambda prefs: next_slot(schedule_for(prefs), after=clock())


@dataclass
class DigestReport:
    sent: int = 0
    empty: int = 0
    late: int = 0
    duplicate: int = 0
    reconnect: int = 0
    retry: int = 0
    rescheduled: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def add(self, outcome: str) -> None:
        with self._lock:
            setattr(self, outcome, getattr(self, outcome) + 1)


class DigestService:
    def __init__(
        self,
        *,
        prefs: PrefsStore,
        grants: GrantStore,
        meetings: MeetingService,
        timezones: TimezoneDirectory,
        notifier: Notifier,
        connect: ConnectService,
        client_for_team: Callable[[str], WebClient],
        clock: Clock,
        concurrency: int = CONCURRENCY,
        stop: threading.Event | None = None,
    ) -> None:
        self._prefs = prefs
        self._grants = grants
        self._meetings = meetings
        self._timezones = timezones
        self._notifier = notifier
        self._connect = connect
        self._client_for_team = client_for_team
        self._clock = clock
        self._concurrency = concurrency
        self._stop = stop or threading.Event()
        self._running = threading.Lock()

    # -- the minute job ------------------------------------------------------------------
    def run_due(self, *, budget: float | None = None) -> DigestReport:
        """Send every digest that is due, claiming users so no other process does too.

        The run goes on, past its minute if need be, until a claim finds nobody due (or
        `budget` seconds, or shutdown): stopping at the minute left the seconds until the
        next minute's run idle (bench/README.md). Nothing depends on a run's length: each
        user is leased when claimed, in small batches as threads free up, and the next
        minute's run in this process returns at once while this one still runs (the
        scheduler lets it start, jobs/scheduler.py); other processes claim alongside.
        """
        report = DigestReport()
        if not self._running.acquire(blocking=False):
            return report
        started = _time.monotonic()
        try:
            with ThreadPoolExecutor(self._concurrency, thread_name_prefix="zoombot-digest") as pool:
                # Small batches, topped up as digests finish so that every thread stays busy
                # (one batch waits in the queue): waiting for a whole batch left the pool idle
                # behind the few posts that sit out a 429 (half of Slack's ceiling, measured
                # in bench/).
                batch = min(CLAIM_BATCH, self._concurrency)
                running: set[Future[str]] = set()
                exhausted = False
                while True:
                    in_budget = budget is None or _time.monotonic() - started < budget
                    claiming = not exhausted and not self._stop.is_set() and in_budget
                    if claiming and len(running) <= self._concurrency:
                        claimed = self._prefs.claim_due_digests(now=self._clock(), lease=LEASE, limit=batch)
                        exhausted = not claimed
                        running.update(pool.submit(self._process_safely, prefs) for prefs in claimed)
                    if not running:
                        break
                    done, running = wait(running, return_when=FIRST_COMPLETED)
                    for future in done:
                        report.add(future.result())
        finally:
            self._running.release()
        if report.sent or report.late or report.retry:
            log.info("digests: %d sent, %d empty, %d late, %d to retry", report.sent, report.empty, report.late, report.retry)
        return report

    def _process_safely(self, prefs: PrefsRecord) -> str:
        try:
            outcome = self.process(prefs)
        except Exception:
            log.exception("digest for %s/%s failed", prefs.team_id, prefs.slack_user_id)
            self._prefs.retry_digest_at(prefs.id, self._clock() + RETRY_AFTER_FAILURE)
            outcome = "retry"
        DIGESTS.labels(outcome).inc()
        return outcome

    def process(self, prefs: PrefsRecord) -> str:
        """Handle one claimed user whose digest is due. Returns the outcome's name."""
        now = self._clock()
        due = prefs.next_digest_at
        assert due is not None
        # The zone as last read from Slack (refresh_timezones keeps it current): calling
        # users.info here for thousands of users at 08:00 would hit Slack's limits.
        tz_name = prefs.tz
        schedule = schedule_for(prefs, tz_name)
        tz = zone(tz_name)
        local_day = local_date_of(due, tz)
        day_key = local_day.isoformat()
        following = next_slot(schedule, after=max(due, now - LATE_LIMIT))
        if now - due >= LATE_LIMIT:
            self._prefs.start_delivery(prefs.id, day_key, now=now, status=SKIPPED)
            self._prefs.advance_digest(prefs.id, next_at=next_slot(schedule, after=now), tz=tz_name, now=now)
            return "late"

        who = {"team_id": prefs.team_id, "user_id": prefs.slack_user_id, "enterprise_id": prefs.enterprise_id}
        grant = self._grants.find(**who)
        if grant is None:
            self._prefs.advance_digest(prefs.id, next_at=following, tz=tz_name, now=now)
            return "reconnect"
        if not grant.active:
            return self._reconnect_once(prefs, grant.id, following, tz_name, now)

        window = window_for("today", now=due, tz=tz)
        assert window is not None
        try:
            meetings = self._meetings.list_for(window=window, grant=grant, **who)
        except (NeedsReconnect, NotConnected):
            return self._reconnect_once(prefs, grant.id, following, tz_name, now)
        except ZoomUnavailable as exc:
            log.info("digest for %s/%s waits for Zoom: %s", prefs.team_id, prefs.slack_user_id, exc)
            self._prefs.retry_digest_at(prefs.id, now + RETRY_AFTER_FAILURE)
            return "retry"
        except ZoomError as exc:
            log.warning("digest for %s/%s: Zoom refused the list: %s", prefs.team_id, prefs.slack_user_id, exc)
            self._prefs.retry_digest_at(prefs.id, now + RETRY_AFTER_FAILURE * 10)
            return "retry"

        if not meetings and not prefs.digest_when_empty:
            self._prefs.start_delivery(prefs.id, day_key, now=now, status=SKIPPED)
            self._prefs.advance_digest(prefs.id, next_at=following, tz=tz_name, now=now)
            return "empty"
        # Recorded before it is sent, so nothing can ever send a second one for the same day.
        if not self._prefs.start_delivery(prefs.id, day_key, now=now, meetings=len(meetings)):
            verdict = self._recover(prefs, day_key, now)
            if verdict == "wait":
                self._prefs.retry_digest_at(prefs.id, now + RETRY_AFTER_FAILURE)
                return "retry"
            if verdict == "done":
                self._prefs.advance_digest(prefs.id, next_at=following, tz=tz_name, now=now)
                return "duplicate"
        message = digest_message(meetings, day=local_day, tz=tz, now=now)
        metadata = {"event_type": DIGEST_EVENT, "event_payload": {"local_date": day_key}}
        with slack_deadline(SEND_DEADLINE.total_seconds()):
            delivered = self._notifier.dm(
                team_id=prefs.team_id, user_id=prefs.slack_user_id, message=message, metadata=metadata
            )
        if not delivered:
            self._prefs.forget_delivery(prefs.id, day_key)
            self._prefs.retry_digest_at(prefs.id, now + RETRY_AFTER_FAILURE)
            return "retry"
        self._prefs.finish_delivery(prefs.id, day_key, status=SENT)
        self._prefs.advance_digest(prefs.id, next_at=following, tz=tz_name, now=now)
        return "sent" if meetings else "empty"

    def _recover(self, prefs: PrefsRecord, day_key: str, now: datetime) -> str:
        """The day already has a record. "done": it was handled; "wait": its sender may still
        be at work; "send": its sender died mid-send and Slack has no such message, so this
        process has taken the day over and sends it."""
        existing = self._prefs.delivery(prefs.id, day_key)
        if existing is None or existing[0] != SENDING:
            return "done"
        _status, recorded_at = existing
        if now - recorded_at < STALE_SENDING:
            return "wait"
        found = self._notifier.was_sent(
            team_id=prefs.team_id, user_id=prefs.slack_user_id, event_type=DIGEST_EVENT,
            key={"local_date": day_key}, since=(recorded_at - timedelta(minutes=1)).timestamp(),
        )
        if found is None:
            return "done"  # Slack cannot tell: at most once wins over at least once
        if found:
            self._prefs.finish_delivery(prefs.id, day_key, status=SENT)
            return "done"
        if self._prefs.take_over_delivery(prefs.id, day_key, recorded_before=now - STALE_SENDING, now=now):
            log.info("digest of %s/%s for %s: its sender died before Slack got it; sending it now",
                     prefs.team_id, prefs.slack_user_id, day_key)
            return "send"
        return "done"

    def _reconnect_once(self, prefs: PrefsRecord, grant_id: int, following: datetime | None, tz_name: str, now: datetime) -> str:
        if self._grants.claim_reconnect_notice(grant_id, now=now):
            link = self._connect.connect_link(team_id=prefs.team_id, user_id=prefs.slack_user_id, enterprise_id=prefs.enterprise_id)
            self._notifier.dm(
                team_id=prefs.team_id, user_id=prefs.slack_user_id,
                message=reconnect_message(link, note="The link stays valid for 7 days."),
            )
        self._prefs.advance_digest(prefs.id, next_at=following, tz=tz_name, now=now)
        return "reconnect"

    # -- settings -------------------------------------------------------------------------
    def settings_for(self, *, team_id: str, user_id: str, enterprise_id: str = "", client: WebClient | None = None) -> PrefsRecord:
        """The user's settings (created with the defaults if new), in their current zone."""
        client = client or self._client_for_team(team_id)
        existing = self._prefs.get(team_id=team_id, user_id=user_id, enterprise_id=enterprise_id)
        tz_name = self._timezones.lookup(
            client, team_id=team_id, user_id=user_id, fallback=existing.tz if existing else None
        ).key
        if existing is None:
            return self._prefs.ensure(
                team_id=team_id, user_id=user_id, enterprise_id=enterprise_id, tz=tz_name,
                now=self._clock(), next_digest=next_digest_for(self._clock),
            )
        if existing.tz != tz_name:
            now = self._clock()
            return self._prefs.update(
                team_id=team_id, user_id=user_id, enterprise_id=enterprise_id, now=now,
                next_digest=lambda p: next_slot(schedule_for(p), after=now - LATE_LIMIT), tz=tz_name,
            )
        return existing

    def change(self, *, team_id: str, user_id: str, enterprise_id: str = "", **changes: object) -> PrefsRecord:
        return self._prefs.update(
            team_id=team_id, user_id=user_id, enterprise_id=enterprise_id, now=self._clock(),
            next_digest=next_digest_for(self._clock), **changes,
        )

    # -- timezones ------------------------------------------------------------------------
    def refresh_timezones(self, *, older_than: timedelta = timedelta(hours=20), limit: int = 100) -> int:
        """Re-read the zone of users not checked for a while; a move reschedules the digest.

        Bounded per run (users.info is rate limited); the job runs often enough that
        everyone is re-read at least daily.
        """
        now = self._clock()
        changed = 0
        for prefs in self._prefs.stale_timezones(older_than=now - older_than, limit=limit):
            try:
                client = self._client_for_team(prefs.team_id)
            except LookupError:  # the workspace removed the app; its data is being deleted
                self._prefs.touch_timezone(prefs.id, now=now)
                continue
            tz_name = self._timezones.lookup(client, team_id=prefs.team_id, user_id=prefs.slack_user_id, fallback=prefs.tz, fresh=True).key
            if tz_name == prefs.tz:
                self._prefs.touch_timezone(prefs.id, now=now)
                continue
            # In the new zone the next digest is the chosen time there; one that fell due
            # in the last 3 hours is still sent, unless that local day already had one.
            self._prefs.update(
                team_id=prefs.team_id, user_id=prefs.slack_user_id, enterprise_id=prefs.enterprise_id, now=now,
                next_digest=lambda p: next_slot(schedule_for(p), after=now - LATE_LIMIT), tz=tz_name,
            )
            changed += 1
            log.info("timezone of %s/%s is now %s", prefs.team_id, prefs.slack_user_id, tz_name)
        return changed

    # -- on demand -----------------------------------------------------------------------
    def send_now(self, *, team_id: str, user_id: str, enterprise_id: str = "") -> bool:
        """Send today's digest right away (a preview: it does not count as the day's digest)."""
        who = {"team_id": team_id, "user_id": user_id, "enterprise_id": enterprise_id}
        now = self._clock()
        tz = self._timezones.lookup(self._client_for_team(team_id), team_id=team_id, user_id=user_id)
        window = window_for("today", now=now, tz=tz)
        assert window is not None
        try:
            meetings = self._meetings.list_for(window=window, **who)
        except (NotConnected, NeedsReconnect, ZoomError):
            return False
        return self._notifier.dm(team_id=team_id, user_id=user_id, message=digest_message(meetings, day=now.astimezone(tz).date(), tz=tz, now=now))
