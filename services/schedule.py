"""When digests are due: pure functions of the settings and the clock, DST-correct."""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .meetings import zone

WEEKDAYS = "weekdays"
DAILY = "daily"
# A digest due while the bot was down is still sent if it is less than this late.
LATE_LIMIT = timedelta(hours=3)


@dataclass(frozen=True)
class DigestSchedule:
    enabled: bool
    minute: int  # local minute of the day, 0..1439
    days: str  # WEEKDAYS or DAILY
    tz: ZoneInfo

    def runs_on(self, day: date) -> bool:
        return self.days == DAILY or day.weekday() < 5


def slot_on(day: date, schedule: DigestSchedule) -> datetime:
    """The instant of `day`'s digest: the chosen local time that day, in the user's zone.

    A time that does not exist that day (the hour skipped when clocks go forward) lands
    just after the gap; an ambiguous one (clocks go back) means its first occurrence.
    """
    hours, minutes = divmod(schedule.minute, 60)
    local = datetime.combine(day, time(hours, minutes), tzinfo=schedule.tz)
    return local.astimezone(ZoneInfo("UTC"))


def next_slot(schedule: DigestSchedule, *, after: datetime) -> datetime | None:
    """The first digest instant strictly after `after`; None when the digest is off."""
    if not schedule.enabled:
        return None
    first = after.astimezone(schedule.tz).date() - timedelta(days=1)
    for offset in range(9):
        day = first + timedelta(days=offset)
        if schedule.runs_on(day):
            slot = slot_on(day, schedule)
            if slot > after:
                return slot
    return None  # unreachable: a week always has a weekday


def local_date_of(slot: datetime, tz: ZoneInfo) -> date:
    return slot.astimezone(tz).date()


def schedule_of(*, enabled: bool, minute: int, days: str, tz: str) -> DigestSchedule:
    return DigestSchedule(enabled=enabled, minute=minute, days=days, tz=zone(tz))


_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?$")


def parse_clock(text: str) -> int | None:
    """A time of day as minutes after midnight: "08:30", "8am", "8:30am", "5:30 pm", "17:05".

    None when it is not a time: "25:00", "8:75", "noonish", "13pm".
    """
    match = _TIME.match(text.strip().lower())
    if not match:
        return None
    hours, minutes, meridiem = int(match.group(1)), int(match.group(2) or 0), match.group(3)
    if minutes > 59:
        return None
    if meridiem:
        if not 1 <= hours <= 12:
            return None
        hours = hours % 12 + (12 if meridiem.startswith("p") else 0)
    elif match.group(2) is None or hours > 23:
        return None  # a bare "8" is ambiguous; 24-hour times need minutes
    return hours * 60 + minutes


def format_clock(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"
