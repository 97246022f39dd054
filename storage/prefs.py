"""Per-user settings, digest leases and delivery records, reminders.

Exactly-once lives here: a due user is claimed with a short lease (FOR UPDATE SKIP LOCKED
on PostgreSQL, a write transaction on SQLite), and each digest is recorded under a unique
(user, local date) before it is sent, so no two processes, restarts or retries can send
a second one for the same day.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Callable, Iterable

from sqlalchemy import delete, or_, select, update
from sqlalchemy.exc import IntegrityError

from .db import Database
from .models import DigestDelivery, Reminder, UserPrefs

SENDING, SENT, SKIPPED = "sending", "sent", "skipped"


@dataclass(frozen=True)
class PrefsRecord:
    id: int
    enterprise_id: str
    team_id: str
    slack_user_id: str
    tz: str
    tz_checked_at: datetime | None
    digest_enabled: bool
    digest_minute: int
    digest_days: str
    digest_when_empty: bool
    remind_minutes: int | None
    next_digest_at: datetime | None


@dataclass(frozen=True)
class Occurrence:
    meeting_id: int
    starts_at: datetime
    topic: str
    join_url: str


@dataclass(frozen=True)
class DueReminder:
    id: int
    prefs: PrefsRecord
    occurrence: Occurrence
    remind_at: datetime


NextDigest = Callable[[PrefsRecord], "datetime | None"]
EDITABLE = {"digest_enabled", "digest_minute", "digest_days", "digest_when_empty", "remind_minutes", "tz"}


def _record(row: UserPrefs) -> PrefsRecord:
    return PrefsRecord(
        id=row.id,
        enterprise_id=row.enterprise_id,
        team_id=row.team_id,
        slack_user_id=row.slack_user_id,
        tz=row.tz,
        tz_checked_at=row.tz_checked_at,
        digest_enabled=row.digest_enabled,
        digest_minute=row.digest_minute,
        digest_days=row.digest_days,
        digest_when_empty=row.digest_when_empty,
        remind_minutes=row.remind_minutes,
        next_digest_at=row.next_digest_at,
    )


class PrefsStore:
    def __init__(self, db: Database) -> None:
        self._db = db

    # -- settings ----------------------------------------------------------------------
    def get(self, *, team_id: str, user_id: str, enterprise_id: str = "") -> PrefsRecord | None:
        with self._db.session() as session:
            row = session.scalar(_by_user(enterprise_id, team_id, user_id))
            return _record(row) if row else None

    def get_by_id(self, prefs_id: int) -> PrefsRecord | None:
        with self._db.session() as session:
            row = session.get(UserPrefs, prefs_id)
            return _record(row) if row else None

    def ensure(
        self, *, team_id: str, user_id: str, enterprise_id: str = "", tz: str, now: datetime, next_digest: NextDigest
    ) -> PrefsRecord:
        """The user's settings, created with the defaults on first use."""
        existing = self.get(team_id=team_id, user_id=user_id, enterprise_id=enterprise_id)
        if existing is not None:
            return existing
        try:
            with self._db.session() as session:
                row = UserPrefs(
                    enterprise_id=enterprise_id, team_id=team_id, slack_user_id=user_id, tz=tz,
                    tz_checked_at=now, digest_enabled=True, digest_minute=8 * 60, digest_days="weekdays",
                    digest_when_empty=False, remind_minutes=None, created_at=now, updated_at=now,
                )
                session.add(row)
                session.flush()
                row.next_digest_at = next_digest(_record(row))
                return _record(row)
        except IntegrityError:  # created by a concurrent request a moment ago
            found = self.get(team_id=team_id, user_id=user_id, enterprise_id=enterprise_id)
            assert found is not None
            return found

    def update(
        self, *, team_id: str, user_id: str, enterprise_id: str = "", now: datetime, next_digest: NextDigest, **changes: object
    ) -> PrefsRecord:
        """Change settings and recompute when the next digest is due, in one transaction."""
        unknown = set(changes) - EDITABLE
        if unknown:
            raise ValueError(f"not editable: {sorted(unknown)}")
        with self._db.locking_session() as session:
            row = session.scalar(_by_user(enterprise_id, team_id, user_id).with_for_update())
            if row is None:
                raise LookupError("no settings for this user")
            for name, value in changes.items():
                setattr(row, name, value)
            if "tz" in changes:
                row.tz_checked_at = now
            if "remind_minutes" in changes:
                row.reminders_checked_at = None  # plan with the new lead time at the next run
            row.updated_at = now
            row.next_digest_at = next_digest(_record(row))
            return _record(row)

    def delete_team(self, *, team_id: str) -> int:
        with self._db.session() as session:
            ids = select(UserPrefs.id).where(UserPrefs.team_id == team_id)
            session.execute(delete(DigestDelivery).where(DigestDelivery.prefs_id.in_(ids)))
            session.execute(delete(Reminder).where(Reminder.prefs_id.in_(ids)))
            return session.execute(delete(UserPrefs).where(UserPrefs.team_id == team_id)).rowcount or 0

    # -- digests -----------------------------------------------------------------------
    def claim_due_digests(self, *, now: datetime, lease: timedelta, limit: int) -> list[PrefsRecord]:
        """Take up to `limit` users whose digest is due and whom nobody else holds."""
        with self._db.locking_session() as session:
            query = (
                select(UserPrefs)
                .where(UserPrefs.next_digest_at.is_not(None))
                .where(UserPrefs.next_digest_at <= now)
                .where(or_(UserPrefs.digest_lease_until.is_(None), UserPrefs.digest_lease_until < now))
                .order_by(UserPrefs.next_digest_at)
                .limit(limit)
            )
            if not self._db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = list(session.scalars(query))
            for row in rows:
                row.digest_lease_until = now + lease
            return [_record(row) for row in rows]

    def start_delivery(self, prefs_id: int, local_date: str, *, now: datetime, status: str = SENDING, meetings: int = 0) -> bool:
        """Record the day's digest before sending it. False if that day already has one."""
        try:
            with self._db.session() as session:
                session.add(DigestDelivery(prefs_id=prefs_id, local_date=local_date, status=status, meetings=meetings, created_at=now))
            return True
        except IntegrityError:
            return False

    def delivery(self, prefs_id: int, local_date: str) -> tuple[str, datetime] | None:
        """(status, when it was recorded) of the day's digest, if there is one."""
        with self._db.session() as session:
            row = session.execute(
                select(DigestDelivery.status, DigestDelivery.created_at)
                .where(DigestDelivery.prefs_id == prefs_id)
                .where(DigestDelivery.local_date == local_date)
            ).first()
            return (row[0], row[1]) if row else None

    def take_over_delivery(self, prefs_id: int, local_date: str, *, recorded_before: datetime, now: datetime) -> bool:
        """Claim a day whose sender died while sending: True for exactly one caller."""
        with self._db.session() as session:
            result = session.execute(
                update(DigestDelivery)
                .where(DigestDelivery.prefs_id == prefs_id)
                .where(DigestDelivery.local_date == local_date)
                .where(DigestDelivery.status == SENDING)
                .where(DigestDelivery.created_at < recorded_before)
                .values(created_at=now)
            )
            return (result.rowcount or 0) == 1

    def finish_delivery(self, prefs_id: int, local_date: str, *, status: str = SENT) -> None:
        with self._db.session() as session:
            session.execute(
                update(DigestDelivery)
                .where(DigestDelivery.prefs_id == prefs_id)
                .where(DigestDelivery.local_date == local_date)
                .values(status=status)
            )

    def forget_delivery(self, prefs_id: int, local_date: str) -> None:
        """Slack definitely refused the message: the day is free to be tried again."""
        with self._db.session() as session:
            session.execute(
                delete(DigestDelivery)
                .where(DigestDelivery.prefs_id == prefs_id)
                .where(DigestDelivery.local_date == local_date)
                .where(DigestDelivery.status == SENDING)
            )

    def deliveries(self, prefs_id: int) -> list[tuple[str, str]]:
        with self._db.session() as session:
            rows = session.execute(
                select(DigestDelivery.local_date, DigestDelivery.status).where(DigestDelivery.prefs_id == prefs_id).order_by(DigestDelivery.local_date)
            )
            return [(d, s) for d, s in rows]

    def advance_digest(self, prefs_id: int, *, next_at: datetime | None, tz: str | None = None, now: datetime) -> None:
        """Set the next due time and let go of the lease."""
        values: dict[str, object] = {"next_digest_at": next_at, "digest_lease_until": None, "updated_at": now}
        if tz is not None:
            values.update(tz=tz, tz_checked_at=now)
        with self._db.session() as session:
            session.execute(update(UserPrefs).where(UserPrefs.id == prefs_id).values(**values))

    def retry_digest_at(self, prefs_id: int, when: datetime) -> None:
        """Keep the digest due, but let nobody take it again before `when`."""
        with self._db.session() as session:
            session.execute(update(UserPrefs).where(UserPrefs.id == prefs_id).values(digest_lease_until=when))

    def touch_timezone(self, prefs_id: int, *, now: datetime) -> None:
        with self._db.session() as session:
            session.execute(update(UserPrefs).where(UserPrefs.id == prefs_id).values(tz_checked_at=now))

    def stale_timezones(self, *, older_than: datetime, limit: int) -> list[PrefsRecord]:
        with self._db.session() as session:
            rows = session.scalars(
                select(UserPrefs)
                .where(or_(UserPrefs.tz_checked_at.is_(None), UserPrefs.tz_checked_at < older_than))
                .order_by(UserPrefs.tz_checked_at)
                .limit(limit)
            )
            return [_record(row) for row in rows]

    # -- reminders ---------------------------------------------------------------------
    def claim_reminder_checks(self, *, now: datetime, every: timedelta, lease: timedelta, limit: int) -> list[PrefsRecord]:
        """Users with reminders on whose upcoming meetings were not looked at for `every`."""
        with self._db.locking_session() as session:
            query = (
                select(UserPrefs)
                .where(UserPrefs.remind_minutes.is_not(None))
                .where(or_(UserPrefs.reminders_checked_at.is_(None), UserPrefs.reminders_checked_at <= now - every))
                .where(or_(UserPrefs.reminders_lease_until.is_(None), UserPrefs.reminders_lease_until < now))
                .order_by(UserPrefs.reminders_checked_at)
                .limit(limit)
            )
            if not self._db.is_sqlite:
                query = query.with_for_update(skip_locked=True)
            rows = list(session.scalars(query))
            for row in rows:
                row.reminders_lease_until = now + lease
            return [_record(row) for row in rows]

    def plan_reminders(self, prefs: PrefsRecord, occurrences: Iterable[Occurrence], *, horizon_end: datetime, now: datetime) -> int:
        """Make sure each upcoming occurrence has one pending reminder; cancel those that vanished."""
        assert prefs.remind_minutes is not None
        wanted = {(o.meeting_id, o.starts_at): o for o in occurrences}
        added = 0
        with self._db.locking_session() as session:
            existing = {
                (r.meeting_id, r.starts_at): r
                for r in session.scalars(
                    select(Reminder).where(Reminder.prefs_id == prefs.id).where(Reminder.starts_at > now).where(Reminder.starts_at <= horizon_end)
                )
            }
            for key, row in existing.items():
                if key not in wanted and row.status == "pending":
                    row.status = "cancelled"  # moved or deleted at Zoom
            for key, occ in wanted.items():
                row = existing.get(key)
                remind_at = occ.starts_at - timedelta(minutes=prefs.remind_minutes)
                if row is None:
                    session.add(Reminder(prefs_id=prefs.id, meeting_id=occ.meeting_id, starts_at=occ.starts_at, remind_at=remind_at,
                                         topic=occ.topic[:300], join_url=occ.join_url[:3000], status="pending", created_at=now))
                    added += 1
                elif row.status in ("pending", "cancelled"):
                    row.status, row.remind_at, row.topic, row.join_url = "pending", remind_at, occ.topic[:300], occ.join_url[:3000]
            session.execute(update(UserPrefs).where(UserPrefs.id == prefs.id).values(reminders_checked_at=now, reminders_lease_until=None))
        return added

    def release_reminder_check(self, prefs_id: int) -> None:
        with self._db.session() as session:
            session.execute(update(UserPrefs).where(UserPrefs.id == prefs_id).values(reminders_lease_until=None))

    def claim_due_reminders(self, *, now: datetime, limit: int) -> list[DueReminder]:
        """Take due reminders, marking them sent as they are taken (at most once)."""
        with self._db.locking_session() as session:
            query = (
                select(Reminder, UserPrefs)
                .join(UserPrefs, UserPrefs.id == Reminder.prefs_id)
                .where(Reminder.status == "pending")
                .where(Reminder.remind_at <= now)
                .order_by(Reminder.remind_at)
                .limit(limit)
            )
            if not self._db.is_sqlite:
                query = query.with_for_update(skip_locked=True, of=Reminder)
            taken = []
            for reminder, prefs in session.execute(query):
                reminder.status = "sent"
                taken.append(
                    DueReminder(reminder.id, _record(prefs), Occurrence(reminder.meeting_id, reminder.starts_at, reminder.topic, reminder.join_url), reminder.remind_at)
                )
            return taken

    def reminder_failed(self, reminder_id: int) -> None:
        """Slack definitely refused it: put it back for the next run."""
        with self._db.session() as session:
            session.execute(update(Reminder).where(Reminder.id == reminder_id).values(status="pending"))

    def reminders_for(self, prefs_id: int) -> list[tuple[int, datetime, str]]:
        with self._db.session() as session:
            return [(m, s, st) for m, s, st in session.execute(
                select(Reminder.meeting_id, Reminder.starts_at, Reminder.status).where(Reminder.prefs_id == prefs_id).order_by(Reminder.starts_at)
            )]


def _by_user(enterprise_id: str, team_id: str, user_id: str):  # type: ignore[no-untyped-def]
    return (
        select(UserPrefs)
        .where(UserPrefs.enterprise_id == enterprise_id)
        .where(UserPrefs.team_id == team_id)
        .where(UserPrefs.slack_user_id == user_id)
    )


__all__ = ["PrefsStore", "PrefsRecord", "Occurrence", "DueReminder", "SENDING", "SENT", "SKIPPED", "replace"]
