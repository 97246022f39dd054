"""The morning digest and the settings commands, over HTTP against the fakes, time injected."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import ALICE, ALICE_EMAIL
from tests.flows import all_text, buttons, connect, eventually
from tests.harness import BotServer, MovableClock

UTC = timezone.utc
# Monday 7 December 2026, 07:59 in New York.
MONDAY_0759 = datetime(2026, 12, 7, 12, 59, tzinfo=UTC)
MONDAY_0800 = datetime(2026, 12, 7, 13, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(start=MONDAY_0759)


@pytest.fixture
def alice(sender, bot, slack):
    assert connect(sender).status_code == 200
    return eventually(lambda: bot.services.prefs.get(team_id=slack.team_id, user_id=ALICE))


def digests(slack):
    return [m for m in slack.messages if m["channel"] == ALICE and "Your Zoom meetings today" in all_text(m)]


def add(zoom, topic, start, **kw):
    return zoom.add_meeting(ALICE_EMAIL, topic=topic, start_time=start, **kw)


def test_connecting_schedules_the_first_digest_at_eight_local(alice):
    assert alice.tz == "America/New_York" and alice.digest_enabled
    assert alice.next_digest_at == MONDAY_0800


def test_the_digest_lists_the_days_meetings_with_a_summary(alice, bot, zoom, slack, clock):
    add(zoom, "Standup", MONDAY_0800 + timedelta(hours=1, minutes=30), duration=15)  # 09:30
    add(zoom, "Planning", MONDAY_0800 + timedelta(hours=6), duration=120)
    add(zoom, "Tomorrow", MONDAY_0800 + timedelta(days=1))
    assert bot.services.digests.run_due().sent == 0  # 07:59: not yet
    clock.advance(seconds=61)
    report = bot.services.digests.run_due()
    assert report.sent == 1
    [digest] = digests(slack)
    text = all_text(digest)
    stamp = int((MONDAY_0800 + timedelta(hours=1, minutes=30)).timestamp())
    assert f"2 meetings today, 2 h 15 min in total; first at <!date^{stamp}^{{time}}|9:30 AM>" in text
    assert "Standup" in text and "Planning" in text and "Tomorrow" not in text
    assert len([b for b in buttons(digest) if b["action_id"] == "join_meeting"]) == 2
    # Exactly once: later runs that day send nothing more.
    clock.advance(minutes=30)
    assert bot.services.digests.run_due().sent == 0
    assert len(digests(slack)) == 1
    prefs = bot.services.prefs.get(team_id=slack.team_id, user_id=ALICE)
    assert prefs.next_digest_at == MONDAY_0800 + timedelta(days=1)


def test_a_day_without_meetings_sends_nothing_unless_asked(alice, bot, zoom, slack, clock, sender):
    clock.advance(minutes=2)
    assert bot.services.digests.run_due().empty == 1
    assert not [m for m in slack.messages if "No Zoom meetings today" in all_text(m)]
    _, url = sender.command("digest empty on")
    slack.wait_for_response(url)
    clock.advance(days=1)
    bot.services.digests.run_due()
    assert [m for m in slack.messages if m["channel"] == ALICE and "No Zoom meetings today" in all_text(m)]


def test_weekends_are_skipped_unless_daily(alice, bot, zoom, slack, clock, sender):
    clock.advance(days=5, minutes=2)  # Saturday 08:01
    add(zoom, "Saturday thing", clock.now() + timedelta(hours=2))
    bot.services.digests.run_due()
    assert not digests(slack)
    _, url = sender.command("digest daily")
    assert "every day" in all_text(slack.wait_for_response(url)[0])
    clock.advance(days=1)  # Sunday 08:01
    add(zoom, "Sunday thing", clock.now() + timedelta(hours=2))
    bot.services.digests.run_due()
    assert len(digests(slack)) == 1 and "Sunday thing" in all_text(digests(slack)[0])


def test_a_digest_less_than_three_hours_late_is_still_sent(alice, bot, zoom, slack, clock):
    add(zoom, "Lunch", MONDAY_0800 + timedelta(hours=4))
    clock.advance(hours=2, minutes=59)
    assert bot.services.digests.run_due().sent == 1


def test_a_digest_three_hours_late_is_skipped(alice, bot, zoom, slack, clock):
    add(zoom, "Lunch", MONDAY_0800 + timedelta(hours=4))
    clock.advance(hours=3, minutes=2)
    assert bot.services.digests.run_due().late == 1
    assert not digests(slack)
    assert bot.services.prefs.get(team_id=slack.team_id, user_id=ALICE).next_digest_at == MONDAY_0800 + timedelta(days=1)


def test_exactly_once_across_a_restart(alice, bot, zoom, slack, clock, tmp_path):
    add(zoom, "Standup", MONDAY_0800 + timedelta(hours=1))
    clock.advance(minutes=1)
    bot.services.digests.run_due()
    bot.stop()
    again = BotServer(tmp_path=tmp_path, zoom_url=zoom.url, slack_api_url=slack.api_url, clock=clock)
    try:
        again.services.digests.run_due()
        clock.advance(hours=1)
        again.services.digests.run_due()
    finally:
        again.stop()
        bot.stop = lambda: None  # already stopped
    assert len(digests(slack)) == 1


def test_a_run_that_died_after_claiming_is_taken_over_when_its_lease_ends(alice, bot, zoom, slack, clock):
    add(zoom, "Standup", MONDAY_0800 + timedelta(hours=1))
    clock.advance(minutes=1)
    # A process claims Alice, then dies before doing anything (as after kill -9).
    claimed = bot.services.prefs.claim_due_digests(now=clock.now(), lease=timedelta(minutes=5), limit=10)
    assert [p.slack_user_id for p in claimed] == [ALICE]
    assert bot.services.digests.run_due().sent == 0  # still leased to the dead process
    clock.advance(minutes=5, seconds=1)
    assert bot.services.digests.run_due().sent == 1
    assert len(digests(slack)) == 1


def test_a_run_that_died_mid_send_is_finished_once_slack_shows_it_never_arrived(alice, bot, zoom, slack, clock):
    add(zoom, "Standup", MONDAY_0800 + timedelta(hours=1))
    clock.advance(minutes=1)
    prefs = bot.services.prefs.claim_due_digests(now=clock.now(), lease=timedelta(minutes=1), limit=10)[0]
    # It had recorded the day's digest and died before its post reached Slack.
    assert bot.services.prefs.start_delivery(prefs.id, "2026-12-07", now=clock.now())
    clock.advance(seconds=61)
    assert bot.services.digests.run_due().retry == 1  # its sender might still be posting
    assert not digests(slack)
    clock.advance(seconds=61)
    assert bot.services.digests.run_due().sent == 1  # Slack has no such message: send it
    assert len(digests(slack)) == 1
    clock.advance(minutes=30)
    bot.services.digests.run_due()
    assert len(digests(slack)) == 1
    assert bot.services.prefs.deliveries(prefs.id) == [("2026-12-07", "sent")]


def test_a_run_that_died_after_slack_got_the_digest_never_sends_twice(alice, bot, zoom, slack, clock):
    add(zoom, "Standup", MONDAY_0800 + timedelta(hours=1))
    clock.advance(minutes=1)
    prefs = bot.services.prefs.claim_due_digests(now=clock.now(), lease=timedelta(minutes=1), limit=10)[0]
    assert bot.services.prefs.start_delivery(prefs.id, "2026-12-07", now=clock.now())
    # ... its post reached Slack, and then the process died before it could say so.
    assert bot.services.notifier.dm(
        team_id=slack.team_id, user_id=ALICE, message={"text": "Your Zoom meetings today", "blocks": None},
        metadata={"event_type": "zoombot_digest", "event_payload": {"local_date": "2026-12-07"}},
    )
    clock.advance(minutes=3)
    assert bot.services.digests.run_due().duplicate == 1
    assert len([m for m in slack.messages if m["channel"] == ALICE and "Your Zoom meetings today" in all_text(m)]) == 1
    assert bot.services.prefs.deliveries(prefs.id) == [("2026-12-07", "sent")]
    assert bot.services.prefs.get(team_id=slack.team_id, user_id=ALICE).next_digest_at == MONDAY_0800 + timedelta(days=1)


def test_a_rate_limited_slack_delays_the_digest_and_never_drops_it(alice, bot, zoom, slack, clock):
    add(zoom, "Standup", MONDAY_0800 + timedelta(hours=1))
    slack.rate_limit_next("chat.postMessage", n=2, retry_after="1")
    clock.advance(minutes=1)
    assert bot.services.digests.run_due().sent == 1
    assert len(digests(slack)) == 1 and slack.rate_limited_count >= 2


def test_zoom_down_at_digest_time_retries_a_minute_later(alice, bot, zoom, slack, clock):
    add(zoom, "Standup", MONDAY_0800 + timedelta(hours=1))
    zoom.fail_next_api(503, n=1)
    clock.advance(minutes=1)
    assert bot.services.digests.run_due().retry == 1
    assert bot.services.digests.run_due().sent == 0  # waits its minute
    clock.advance(minutes=1, seconds=1)
    assert bot.services.digests.run_due().sent == 1


def test_a_user_who_moves_gets_it_at_eight_in_the_new_zone(alice, bot, zoom, slack, clock):
    slack.add_user(ALICE, name="alice", tz="America/Los_Angeles", tz_label="Pacific Standard Time", tz_offset=-28800)
    clock.advance(hours=21)  # Tuesday 01:59 in Los Angeles: time for the daily re-read of zones
    assert bot.services.digests.refresh_timezones() == 1
    prefs = bot.services.prefs.get(team_id=slack.team_id, user_id=ALICE)
    assert prefs.tz == "America/Los_Angeles"
    assert prefs.next_digest_at == datetime(2026, 12, 8, 16, 0, tzinfo=UTC)  # Tuesday 08:00 PST


def test_settings_commands_confirm_the_whole_setting(alice, sender, slack):
    cases = {
        "digest": "Daily digest at 08:00 on weekdays (America/New_York)",
        "digest 08:30": "Saved. *Daily digest at 08:30 on weekdays (America/New_York).*",
        "digest 5:30 pm": "Daily digest at 17:30 on weekdays",
        "digest 8am": "Daily digest at 08:00",
        "digest daily": "Daily digest at 08:00 every day",
        "digest weekdays": "on weekdays",
        "digest off": "Daily digest is off",
        "digest on": "Daily digest at 08:00 on weekdays",
        "digest empty on": "“No Zoom meetings today” note",
        "remind 10": "Reminders 10 minutes before each meeting",
        "remind off": "Reminders before meetings: off",
    }
    for command, expected in cases.items():
        response, url = sender.command(command)
        assert response.status_code == 200 and response.text == ""
        assert expected in all_text(slack.wait_for_response(url)[0]), command


@pytest.mark.parametrize("command", ["digest 25:00", "digest 8:75", "digest sometimes", "digest empty maybe", "remind 7", "remind soon", "digest 13pm"])
def test_bad_settings_get_a_correction_and_change_nothing(alice, sender, bot, slack, command):
    before = bot.services.prefs.get(team_id=slack.team_id, user_id=ALICE)
    response, _ = sender.command(command)
    text = all_text(response.json())
    assert "Try" in text or "Use" in text or "Say" in text
    assert bot.services.prefs.get(team_id=slack.team_id, user_id=ALICE) == before


def test_changing_the_time_reschedules_today(alice, sender, bot, slack, clock):
    _, url = sender.command("digest 09:15")
    slack.wait_for_response(url)
    prefs = bot.services.prefs.get(team_id=slack.team_id, user_id=ALICE)
    assert prefs.next_digest_at == MONDAY_0800 + timedelta(hours=1, minutes=15)


def test_a_run_takes_users_who_fall_due_while_it_runs_and_a_second_run_meanwhile_returns_at_once(bot, zoom, slack, clock):
    """What lets the minute job run past its minute (jobs/scheduler.py allows a second instance)."""
    import threading

    from services.digest import DigestService
    from tests.seeding import seed_users

    s = bot.services
    first = seed_users(s, zoom, slack, 16, now=clock.now(), digest_due=MONDAY_0800, meeting_at=MONDAY_0800 + timedelta(hours=2))
    second = seed_users(s, zoom, slack, 12, now=clock.now(), digest_due=MONDAY_0800 + timedelta(minutes=1),
                        meeting_at=MONDAY_0800 + timedelta(hours=2), start=100)
    digests = DigestService(prefs=s.prefs, grants=s.grants, meetings=s.meetings, timezones=s.timezones,
                            notifier=s.notifier, connect=s.connect, client_for_team=s.client_for_team,
                            clock=s.clock, concurrency=2)  # claims follow the posts, two at a time
    slack.api_delay = 0.1
    clock.advance(minutes=1)  # 08:00: only the first sixteen are due
    reports = []
    run = threading.Thread(target=lambda: reports.append(digests.run_due()))
    run.start()
    eventually(lambda: len(slack.messages) >= 2)
    idle = digests.run_due()  # the run going on holds the lock: this one does nothing
    assert (idle.sent, idle.empty, idle.late, idle.retry, idle.duplicate) == (0, 0, 0, 0, 0)
    clock.advance(minutes=1)  # 08:01, while the run still has users of 08:00 to do
    run.join(timeout=30)
    assert reports and reports[0].sent == 28
    assert sorted(m["channel"] for m in slack.messages) == sorted(first + second)
