"""Plain data that the Zoom clients return."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta, timezone


@dataclass(frozen=True)
class TokenSet:
    """The answer of the token endpoint, with an absolute expiry."""

    access_token: str
    refresh_token: str
    expires_at: datetime
    scope: str

    def __repr__(self) -> str:  # never print tokens, even in a debugger or a traceback
        return f"TokenSet(expires_at={self.expires_at.isoformat()}, scope={self.scope!r})"


@dataclass(frozen=True)
class ZoomUser:
    id: str
    email: str
    display_name: str
    timezone: str | None
    account_id: str | None


@dataclass(frozen=True)
class Meeting:
    id: int
    uuid: str
    topic: str
    type: int
    start_time: datetime | None  # aware, UTC; None for recurring meetings with no fixed time
    duration_minutes: int
    timezone: str | None
    join_url: str
    agenda: str

    @property
    def end_time(self) -> datetime | None:
        if self.start_time is None:
            return None
        return self.start_time + timedelta(minutes=self.duration_minutes)


def parse_zoom_time(value: str | None) -> datetime | None:
    """Parse Zoom's ISO-8601 UTC timestamps ("2026-12-04T15:00:00Z")."""
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc)


def meeting_from_api(data: dict) -> Meeting:
    """Build a Meeting from one element of the list-meetings answer, tolerating gaps."""
    try:
        meeting_id = int(data.get("id") or 0)
    except (TypeError, ValueError):
        meeting_id = 0
    try:
        duration = max(0, int(data.get("duration") or 0))
    except (TypeError, ValueError):
        duration = 0
    return Meeting(
        id=meeting_id,
        uuid=str(data.get("uuid") or ""),
        topic=str(data.get("topic") or "Untitled meeting"),
        type=int(data.get("type") or 2),
        start_time=parse_zoom_time(data.get("start_time")),
        duration_minutes=duration,
        timezone=data.get("timezone") or None,
        join_url=str(data.get("join_url") or ""),
        agenda=str(data.get("agenda") or ""),
    )
