"""Who the sandbox's demo person is, and a realistic week of their Zoom meetings."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .fakes import FakeSlack, FakeZoom

DEMO_EMAIL = "demo@example.com"
DEMO_FIRST_NAME = "Dana"
DEMO_LAST_NAME = "Demo"
DEMO_USER_ID = "U0DEMO"
DEMO_USER_NAME = "dana"
TEAM_ID = "T0SANDBOX"
CHANNEL_ID = "C0GENERAL"
CHANNEL_NAME = "general"

# Topics come from Zoom, where anyone who can invite you can write anything: this one proves
# that neither the bot nor the sandbox's page lets such text become markup or a Slack mention.
UNTRUSTED_TOPIC = "<script>alert(1)</script> & <!channel>"
STANDUP_ID = 81234567890


@dataclass(frozen=True)
class PlannedMeeting:
    workday: int  # 0 = the first working day from today on (today, on a weekday), 1 = the next...
    at: time
    minutes: int
    topic: str
    agenda: str = ""


WORK_WEEK: tuple[PlannedMeeting, ...] = (
    PlannedMeeting(0, time(8, 0), 15, "Breakfast sync with the Berlin office"),
    PlannedMeeting(0, time(14, 30), 60, "Design review", "Walk through the new onboarding flow"),
    PlannedMeeting(1, time(11, 0), 30, "1:1 with Sam", "Career goals, and the Q3 roadmap"),
    PlannedMeeting(
        1, time(16, 0), 30, UNTRUSTED_TOPIC,
        "Topics and agendas arrive from Zoom as they were typed: <b>this</b> & <!here> stay text.",
    ),
    PlannedMeeting(2, time(10, 0), 90, "Sprint planning", "Bring your estimates for the reminder work."),
    PlannedMeeting(2, time(12, 30), 45, "Lunch & learn: Block Kit in practice"),
    PlannedMeeting(3, time(15, 0), 45, "Interview: Senior Backend Engineer", "Panel: Priya, Sam, Dana."),
    PlannedMeeting(4, time(16, 0), 60, "Team retro", "What went well, what we change next sprint."),
)
WEEKEND = PlannedMeeting(0, time(18, 0), 60, "Book club: The Mythical Man-Month")


def zone_or_utc(name: str | None) -> ZoneInfo:
    """The zone a browser reported, or UTC for anything Python does not know."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def add_demo_slack_user(slack: FakeSlack, tz: ZoneInfo, *, now: datetime) -> None:
    """(Re)register the demo person in the fake Slack, living in `tz` (as users.info tells)."""
    offset = now.astimezone(tz).utcoffset() or timedelta(0)
    slack.add_user(
        DEMO_USER_ID,
        name=DEMO_USER_NAME,
        real_name=f"{DEMO_FIRST_NAME} {DEMO_LAST_NAME}",
        tz=tz.key,
        tz_label=now.astimezone(tz).tzname() or tz.key,
        tz_offset=int(offset.total_seconds()),
    )


def seed_week(zoom: FakeZoom, tz: ZoneInfo, *, now: datetime) -> int:
    """The demo Zoom user and their meetings for today and the next six days, in `tz`.

    Working days get a recurring standup and the week's meetings, the weekend a book club, and
    one meeting is under way right now, so the list shows "happening now". Returns the number
    of meetings scheduled.
    """
    zoom.add_user(DEMO_EMAIL, first_name=DEMO_FIRST_NAME, last_name=DEMO_LAST_NAME, timezone=tz.key)
    today = now.astimezone(tz).date()
    count = 0

    def add(day: date, at: time, minutes: int, topic: str, agenda: str = "", *,
            meeting_id: int | None = None, recurring: bool = False) -> None:
        nonlocal count
        start = datetime.combine(day, at, tzinfo=tz)
        zoom.add_meeting(
            DEMO_EMAIL, topic=topic, start_time=start, duration=minutes, agenda=agenda,
            meeting_id=meeting_id, type=8 if recurring else 2, timezone=tz.key,
        )
        count += 1

    week = [today + timedelta(days=offset) for offset in range(7)]  # the span of `/zoom meetings`
    workdays = [day for day in week if day.weekday() < 5]  # always five of them
    for day in workdays:
        add(day, time(9, 30), 15, "Standup", meeting_id=STANDUP_ID, recurring=True)
    for planned in WORK_WEEK:
        add(workdays[planned.workday], planned.at, planned.minutes, planned.topic, planned.agenda)
    weekend = next(day for day in week if day.weekday() >= 5)
    add(weekend, WEEKEND.at, WEEKEND.minutes, WEEKEND.topic)
    # Under way now, and today (just after midnight it starts at midnight, not yesterday).
    midnight = datetime.combine(today, time(0), tzinfo=tz)
    started = max(now - timedelta(minutes=10), midnight).astimezone(tz).replace(second=0, microsecond=0)
    add(started.date(), started.time(), 45, "Customer call: Acme Corp", "Renewal, and their SSO question")
    return count
