"""`/zoom remind N`: one DM N minutes before each meeting, once per occurrence."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import ALICE, ALICE_EMAIL
from tests.flows import all_text, buttons, connect, eventually
from tests.harness import BotServer, MovableClock

UTC = timezone.utc
T0 = datetime(2026, 12, 7, 13, 30, tzinfo=UTC)  # Monday 08:30 in New York


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(start=T0)


@pytest.fixture
def alice(sender, bot, slack):
    assert connect(sender).status_code == 200
    return eventually(lambda: bot.services.prefs.get(team_id=slack.team_id, user_id=ALICE))


def reminders(slack):
    return [m for m in slack.messages if m["channel"] == ALICE and "starts in" in all_text(m)]


def remind(sender, slack, minutes):
    _, url = sender.command(f"remind {minutes}")
    slack.wait_for_response(url)


def test_reminders_are_off_by_default(alice, bot, zoom, slack, clock):
    zoom.add_meeting(ALICE_EMAIL, topic="Standup", start_time=T0 + timedelta(minutes=10))
    assert alice.remind_minutes is None
    for _ in range(3):
        bot.services.reminders.run()
        clock.advance(minutes=4)
    assert not reminders(slack)


def test_a_reminder_comes_once_that_many_minutes_before(alice, sender, bot, zoom, slack, clock):
    start = T0 + timedelta(minutes=30)
    zoom.add_meeting(ALICE_EMAIL, topic="Design <review>", start_time=start, meeting_id=81234567890)
    remind(sender, slack, 10)
    assert bot.services.reminders.run() == (1, 0)  # planned, not yet due
    clock.advance(minutes=19)
    assert bot.services.reminders.run()[1] == 0
    clock.advance(minutes=1)  # 10 minutes before
    assert bot.services.reminders.run()[1] == 1
    [message] = reminders(slack)
    assert "*Design &lt;review&gt;* starts in 10 min" in all_text(message)
    assert buttons(message)[0]["url"] == "https://zoom.example/j/81234567890"
    for _ in range(4):
        clock.advance(minutes=2)
        bot.services.reminders.run()
    assert len(reminders(slack)) == 1


def test_a_meeting_added_late_in_the_day_is_reminded_too(alice, sender, bot, zoom, slack, clock):
    remind(sender, slack, 5)
    bot.services.reminders.run()
    zoom.add_meeting(ALICE_EMAIL, topic="Added late", start_time=T0 + timedelta(minutes=20))
    clock.advance(minutes=5)
    bot.services.reminders.run()  # the next look at Zoom finds it
    clock.advance(minutes=10)
    assert bot.services.reminders.run()[1] == 1
    assert "Added late" in all_text(reminders(slack)[0])


def test_a_rescheduled_meeting_is_reminded_at_its_new_time_only(alice, sender, bot, zoom, slack, clock):
    remind(sender, slack, 5)
    zoom.add_meeting(ALICE_EMAIL, topic="Moved", start_time=T0 + timedelta(minutes=30), meeting_id=11122233344)
    bot.services.reminders.run()
    assert zoom.remove_meeting(ALICE_EMAIL, 11122233344)
    zoom.add_meeting(ALICE_EMAIL, topic="Moved", start_time=T0 + timedelta(minutes=50), meeting_id=11122233344)
    clock.advance(minutes=5)
    bot.services.reminders.run()
    clock.advance(minutes=20)  # the old time's reminder would be due now
    assert bot.services.reminders.run()[1] == 0
    clock.advance(minutes=20)
    assert bot.services.reminders.run()[1] == 1


def test_no_second_reminder_after_a_restart(alice, sender, bot, zoom, slack, clock, tmp_path):
    remind(sender, slack, 15)
    zoom.add_meeting(ALICE_EMAIL, topic="Standup", start_time=T0 + timedelta(minutes=15))
    assert bot.services.reminders.run()[1] == 1
    bot.stop()
    again = BotServer(tmp_path=tmp_path, zoom_url=zoom.url, slack_api_url=slack.api_url, clock=clock)
    try:
        clock.advance(minutes=6)
        again.services.reminders.run()
        clock.advance(minutes=1)
        again.services.reminders.run()
    finally:
        again.stop()
        bot.stop = lambda: None
    assert len(reminders(slack)) == 1


def test_turning_reminders_off_stops_pending_ones(alice, sender, bot, zoom, slack, clock):
    remind(sender, slack, 10)
    zoom.add_meeting(ALICE_EMAIL, topic="Standup", start_time=T0 + timedelta(minutes=30))
    bot.services.reminders.run()
    remind(sender, slack, "off")
    clock.advance(minutes=21)
    assert bot.services.reminders.run()[1] == 0
    assert not reminders(slack)
