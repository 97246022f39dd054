"""Reminders a few minutes before each meeting: planned from Zoom, sent once per occurrence."""
from __future__ import annotations

import logging
import math
from datetime import timedelta

from blocks.digest import reminder_message
from storage.prefs import Occurrence, PrefsStore
from zoom.errors import ZoomError

from .clock import Clock
from .meetings import MeetingService, MeetingWindow, zone
from .metrics import REMINDERS
from .notify import Notifier
from .tokens import NeedsReconnect, NotConnected

log = logging.getLogger(__name__)

REMIND_CHOICES = (5, 10, 15)
CHECK_EVERY = timedelta(minutes=5)  # how often each user's upcoming meetings are re-read
HORIZON = timedelta(hours=2)
LEASE = timedelta(minutes=2)


class ReminderService:
    def __init__(self, *, prefs: PrefsStore, meetings: MeetingService, notifier: Notifier, clock: Clock) -> None:
        self._prefs = prefs
        self._meetings = meetings
        self._notifier = notifier
        self._clock = clock

    def run(self, *, limit: int = 200) -> tuple[int, int]:
        """Plan reminders for users due a check, then send the due ones: (planned, sent)."""
        return self.plan(limit=limit), self.send_due(limit=limit)

    def plan(self, *, limit: int = 200) -> int:
        now = self._clock()
        added = 0
        for prefs in self._prefs.claim_reminder_checks(now=now, every=CHECK_EVERY, lease=LEASE, limit=limit):
            window = MeetingWindow("upcoming", "Upcoming", now, now + HORIZON, zone(prefs.tz))
            try:
                meetings = self._meetings.list_for(
                    window=window, team_id=prefs.team_id, user_id=prefs.slack_user_id, enterprise_id=prefs.enterprise_id
                )
            except (NotConnected, NeedsReconnect, ZoomError) as exc:
                log.info("reminders for %s/%s not planned: %s", prefs.team_id, prefs.slack_user_id, type(exc).__name__)
                self._prefs.release_reminder_check(prefs.id)
                continue
            occurrences = [
                Occurrence(m.id, m.start_time, m.topic, m.join_url) for m in meetings if m.start_time is not None
            ]
            added += self._prefs.plan_reminders(prefs, occurrences, horizon_end=now + HORIZON, now=now)
        return added

    def send_due(self, *, limit: int = 200) -> int:
        now = self._clock()
        sent = 0
        for due in self._prefs.claim_due_reminders(now=now, limit=limit):
            starts_at = due.occurrence.starts_at
            if starts_at <= now or due.prefs.remind_minutes is None:
                continue  # too late to be useful, or reminders were switched off
            minutes = max(1, math.ceil((starts_at - now).total_seconds() / 60))
            message = reminder_message(
                topic=due.occurrence.topic, starts_at=starts_at, minutes=minutes,
                join_url=due.occurrence.join_url, tz=zone(due.prefs.tz),
            )
            if self._notifier.dm(team_id=due.prefs.team_id, user_id=due.prefs.slack_user_id, message=message):
                sent += 1
                REMINDERS.inc()
            else:
                self._prefs.reminder_failed(due.id)
        return sent
