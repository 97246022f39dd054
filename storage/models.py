"""The tables. Tokens are only ever stored encrypted (see storage.crypto)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from .types import UTCDateTime

GRANT_ACTIVE = "active"
GRANT_NEEDS_RECONNECT = "needs_reconnect"


class Base(DeclarativeBase):
    pass


class ZoomGrant(Base):
    """One Slack user's connection to one Zoom user."""

    __tablename__ = "zoom_grants"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "team_id", "slack_user_id", name="uq_zoom_grants_slack_user"),
        Index("ix_zoom_grants_expires_at", "status", "expires_at"),
        Index("ix_zoom_grants_zoom_user", "zoom_user_id"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # "" rather than NULL outside Enterprise Grid, so that the unique constraint holds.
    enterprise_id: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    team_id: Mapped[str] = mapped_column(String(32), nullable=False)
    slack_user_id: Mapped[str] = mapped_column(String(32), nullable=False)
    zoom_user_id: Mapped[str] = mapped_column(String(64), nullable=False)
    zoom_email: Mapped[str] = mapped_column(String(320), nullable=False, default="")
    zoom_account_id: Mapped[str] = mapped_column(String(64), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=GRANT_ACTIVE)
    access_token_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    refresh_token_enc: Mapped[str | None] = mapped_column(Text, nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    scopes: Mapped[str] = mapped_column(String(1000), nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    last_refreshed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # A transient refresh failure (network, 5xx, 429) pushes the next sweep attempt back.
    refresh_failures: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    next_refresh_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # Set once when the user has been told that the grant needs reconnecting.
    reconnect_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


class OAuthState(Base):
    """A pending Zoom authorization: single use, short-lived, bound to one Slack user."""

    __tablename__ = "zoom_oauth_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    # Only a SHA-256 of the state is kept: the database alone cannot complete a flow.
    state_hash: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    enterprise_id: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    team_id: Mapped[str] = mapped_column(String(32), nullable=False)
    slack_user_id: Mapped[str] = mapped_column(String(32), nullable=False)
    verifier_enc: Mapped[str] = mapped_column(Text, nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False, index=True)
    # Kept (without the verifier) until it expires, so that a replay is told apart from a forgery.
    consumed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)


DIGEST_WEEKDAYS = "weekdays"
DIGEST_DAILY = "daily"


class UserPrefs(Base):
    """One Slack user's zoombot settings, and when their next digest is due."""

    __tablename__ = "user_prefs"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "team_id", "slack_user_id", name="uq_user_prefs_slack_user"),
        Index("ix_user_prefs_next_digest", "next_digest_at"),
        Index("ix_user_prefs_reminders", "remind_minutes", "reminders_checked_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    enterprise_id: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    team_id: Mapped[str] = mapped_column(String(32), nullable=False)
    slack_user_id: Mapped[str] = mapped_column(String(32), nullable=False)
    # IANA name from Slack's users.info; refreshed at least daily.
    tz: Mapped[str] = mapped_column(String(64), nullable=False, default="UTC")
    tz_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    digest_enabled: Mapped[bool] = mapped_column(Boolean, nullable=False, default=True)
    digest_minute: Mapped[int] = mapped_column(Integer, nullable=False, default=8 * 60)  # local minute of day
    digest_days: Mapped[str] = mapped_column(String(10), nullable=False, default=DIGEST_WEEKDAYS)
    digest_when_empty: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    remind_minutes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # The UTC instant of the next digest; NULL when the digest is off.
    next_digest_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    # A short lease taken by the process that is sending this user's digest.
    digest_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reminders_checked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    reminders_lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class DigestDelivery(Base):
    """A digest sent (or deliberately skipped) for one user and one local day: at most one."""

    __tablename__ = "digest_deliveries"
    __table_args__ = (UniqueConstraint("prefs_id", "local_date", name="uq_digest_deliveries_day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    prefs_id: Mapped[int] = mapped_column(ForeignKey("user_prefs.id", ondelete="CASCADE"), nullable=False)
    local_date: Mapped[str] = mapped_column(String(10), nullable=False)  # YYYY-MM-DD in the user's zone
    status: Mapped[str] = mapped_column(String(12), nullable=False)  # sending | sent | skipped
    meetings: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class Reminder(Base):
    """A reminder for one meeting occurrence: at most one per (user, meeting, start)."""

    __tablename__ = "reminders"
    __table_args__ = (
        UniqueConstraint("prefs_id", "meeting_id", "starts_at", name="uq_reminders_occurrence"),
        Index("ix_reminders_due", "status", "remind_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    prefs_id: Mapped[int] = mapped_column(ForeignKey("user_prefs.id", ondelete="CASCADE"), nullable=False)
    meeting_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    remind_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    topic: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    join_url: Mapped[str] = mapped_column(String(3000), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="pending")  # pending | sent | cancelled
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)


class Task(Base):
    """Work a Slack request asked for, done after its ack by a task worker (jobs/tasks.py).

    A row is the promise that the work will be done: it is written before the ack and
    deleted once the work is finished, so a process that dies in between loses nothing.
    """

    __tablename__ = "tasks"
    __table_args__ = (Index("ix_tasks_ready", "lease_until", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    enterprise_id: Mapped[str] = mapped_column(String(32), default="", nullable=False)
    team_id: Mapped[str] = mapped_column(String(32), nullable=False)
    user_id: Mapped[str] = mapped_column(String(32), nullable=False)
    # Encrypted JSON: it holds a response_url, which lets anyone post to the user for 30 minutes.
    payload_enc: Mapped[str] = mapped_column(Text, nullable=False)
    attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), nullable=False)
    # NULL: waiting for a worker; otherwise a worker has it until then (and may be dead after).
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime(), nullable=True)
