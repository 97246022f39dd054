"""Which meetings a `/zoom meetings [today|tomorrow|week]` asks for, and fetching them."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from storage.grants import GrantRecord, GrantStore
from zoom.api import ZoomApi
from zoom.models import Meeting

from .tokens import NotConnected, TokenManager

WINDOW_NAMES = ("today", "tomorrow", "week")


@dataclass(frozen=True)
class MeetingWindow:
    """A span of time in one timezone. `ongoing` also keeps meetings already under way."""

    name: str
    title: str
    start: datetime
    end: datetime
    tz: ZoneInfo
    ongoing: bool = False

    @property
    def zoom_type(self) -> str:
        # "upcoming" leaves out meetings that already ended; "today" shows the whole day.
        return "scheduled" if self.name == "today" else "upcoming"

    def contains(self, meeting: Meeting) -> bool:
        if meeting.start_time is None:
            return False  # recurring meetings with no fixed time have no place in a day
        if self.ongoing:
            end = meeting.end_time or meeting.start_time
            return meeting.start_time < self.end and end > self.start
        return self.start <= meeting.start_time < self.end


def zone(name: str | None) -> ZoneInfo:
    """The ZoneInfo for an IANA name, UTC when the name is missing or unknown."""
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return ZoneInfo("UTC")


def local_day(day: datetime, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The start and end (exclusive) of the local day containing `day`, DST-correct."""
    local = day.astimezone(tz).date()
    start = datetime.combine(local, time(0), tzinfo=tz)
    end = datetime.combine(local + timedelta(days=1), time(0), tzinfo=tz)
    return start, end


def window_for(name: str | None, *, now: datetime, tz: ZoneInfo) -> MeetingWindow | None:
    """The window a subcommand argument names; None when the argument means nothing."""
    key = (name or "week").strip().lower()
    if key == "today":
        start, end = local_day(now, tz)
        return MeetingWindow("today", "Today", start, end, tz)
    if key == "tomorrow":
        # One day later in local terms, not 24 hours: a DST change would skew it.
        start, end = local_day(datetime.combine(now.astimezone(tz).date() + timedelta(days=1), time(12), tzinfo=tz), tz)
        return MeetingWindow("tomorrow", "Tomorrow", start, end, tz)
    if key in ("week", "next", "7", "upcoming"):
        return MeetingWindow("week", "Next 7 days", now, now + timedelta(days=7), tz, ongoing=True)
    return None


class MeetingService:
    def __init__(self, store: GrantStore, tokens: TokenManager, api: ZoomApi) -> None:
        self._store = store
        self._tokens = tokens
        self._api = api

    def list_for(
        self, *, team_id: str, user_id: str, window: MeetingWindow, enterprise_id: str = "", grant: GrantRecord | None = None
    ) -> list[Meeting]:
        """The user's meetings in `window`, sorted. Raises NotConnected / NeedsReconnect / ZoomError.

        `grant`: the user's grant as the caller has just read it, to save reading it again (a
        token refreshed in between costs one 401 and a retry, in with_token).
        """
        if grant is None:
            grant = self._store.find(team_id=team_id, user_id=user_id, enterprise_id=enterprise_id)
        if grant is None:
            raise NotConnected()
        tz_name = str(window.tz.key)
        first = window.start.astimezone(window.tz).date()
        last = window.end.astimezone(window.tz).date()
        meetings = self._tokens.with_token(
            grant,
            lambda token: self._api.list_meetings(
                token, start=first, end=last, timezone=tz_name, meeting_type=window.zoom_type
            ),
        )
        seen: set[tuple[int, datetime | None]] = set()
        chosen = []
        for meeting in meetings:
            key = (meeting.id, meeting.start_time)
            if key in seen or not window.contains(meeting):
                continue
            seen.add(key)
            chosen.append(meeting)
        chosen.sort(key=lambda m: (m.start_time, m.topic))
        return chosen
