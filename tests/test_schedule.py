"""When digests are due: DST in New York and Berlin, weekends, and reading times. Pure."""
from __future__ import annotations

from datetime import date, datetime, timezone

import pytest

from services.preferences import parse_digest, parse_remind
from services.schedule import next_slot, parse_clock, schedule_of, slot_on

UTC = timezone.utc


def sched(tz: str, minute: int = 8 * 60, days: str = "weekdays", enabled: bool = True):
    return schedule_of(enabled=enabled, minute=minute, days=days, tz=tz)


@pytest.mark.parametrize(
    "tz,before,after",
    [
        # New York springs forward on Sunday 14 March 2027: 08:00 is 13:00Z before, 12:00Z after.
        ("America/New_York", datetime(2027, 3, 12, 13, 0, tzinfo=UTC), datetime(2027, 3, 15, 12, 0, tzinfo=UTC)),
        # ... and falls back on Sunday 1 November 2026: 12:00Z before, 13:00Z after.
        ("America/New_York", datetime(2026, 10, 30, 12, 0, tzinfo=UTC), datetime(2026, 11, 2, 13, 0, tzinfo=UTC)),
        # Berlin springs forward on Sunday 28 March 2027: 07:00Z before, 06:00Z after.
        ("Europe/Berlin", datetime(2027, 3, 26, 7, 0, tzinfo=UTC), datetime(2027, 3, 29, 6, 0, tzinfo=UTC)),
        # ... and falls back on Sunday 25 October 2026: 06:00Z before, 07:00Z after.
        ("Europe/Berlin", datetime(2026, 10, 23, 6, 0, tzinfo=UTC), datetime(2026, 10, 26, 7, 0, tzinfo=UTC)),
    ],
)
def test_eight_oclock_stays_eight_oclock_across_dst(tz, before, after):
    assert next_slot(sched(tz), after=before) == after  # Friday's digest, then Monday's


def test_daily_includes_the_weekend_and_the_dst_sunday_itself():
    s = sched("America/New_York", days="daily")
    assert next_slot(s, after=datetime(2027, 3, 13, 13, 0, tzinfo=UTC)) == datetime(2027, 3, 14, 12, 0, tzinfo=UTC)


def test_weekdays_skip_saturday_and_sunday():
    saturday_morning = datetime(2026, 12, 5, 6, 0, tzinfo=UTC)
    assert next_slot(sched("Europe/Berlin"), after=saturday_morning) == datetime(2026, 12, 7, 7, 0, tzinfo=UTC)


def test_a_time_skipped_by_dst_lands_just_after_the_gap():
    s = sched("America/New_York", minute=2 * 60 + 30, days="daily")
    assert slot_on(date(2027, 3, 14), s) == datetime(2027, 3, 14, 7, 30, tzinfo=UTC)  # 03:30 EDT


def test_a_slot_later_today_is_next_and_an_off_digest_has_none():
    s = sched("Europe/Berlin", minute=9 * 60)
    assert next_slot(s, after=datetime(2026, 12, 7, 7, 59, tzinfo=UTC)) == datetime(2026, 12, 7, 8, 0, tzinfo=UTC)
    assert next_slot(s, after=datetime(2026, 12, 7, 8, 0, tzinfo=UTC)) == datetime(2026, 12, 8, 8, 0, tzinfo=UTC)
    assert next_slot(sched("Europe/Berlin", enabled=False), after=datetime(2026, 12, 7, tzinfo=UTC)) is None


@pytest.mark.parametrize(
    "text,minute",
    [("08:30", 510), ("8:30", 510), ("8am", 480), ("8:30am", 510), ("8:30 AM", 510), ("5:30 pm", 1050),
     ("17:05", 1025), ("0:00", 0), ("12am", 0), ("12pm", 720), ("23:59", 1439)],
)
def test_times_are_read_in_every_documented_form(text, minute):
    assert parse_clock(text) == minute


@pytest.mark.parametrize("text", ["25:00", "8:75", "13pm", "0am", "8", "noon", "", "8:3", "-1:00", "08:30:00"])
def test_non_times_are_refused(text):
    assert parse_clock(text) is None


def test_digest_arguments():
    assert parse_digest([]).show_only
    assert parse_digest(["on"]).changes == {"digest_enabled": True}
    assert parse_digest(["OFF"]).changes == {"digest_enabled": False}
    assert parse_digest(["weekdays"]).changes == {"digest_days": "weekdays"}
    assert parse_digest(["daily"]).changes == {"digest_days": "daily"}
    assert parse_digest(["empty", "on"]).changes == {"digest_when_empty": True}
    assert parse_digest(["5:30", "pm"]).changes == {"digest_minute": 1050, "digest_enabled": True}
    assert "isn't a time I can read" in parse_digest(["25:00"]).error
    assert "`08:30`" in parse_digest(["25:00"]).error
    assert "empty on" in parse_digest(["empty", "maybe"]).error
    assert "I don't know" in parse_digest(["sometimes"]).error
    assert "&lt;!channel&gt;" in parse_digest(["<!channel>"]).error


def test_remind_arguments():
    assert parse_remind(["5"]).changes == {"remind_minutes": 5}
    assert parse_remind(["15"]).changes == {"remind_minutes": 15}
    assert parse_remind(["off"]).changes == {"remind_minutes": None}
    assert "isn't a reminder" in parse_remind(["7"]).error
    assert "/zoom remind 10" in parse_remind(["soon"]).error
