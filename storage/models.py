"""The tables. Tokens are only ever stored encrypted (see storage.crypto)."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String, Text, UniqueConstraint
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
