"""`/zoom meetings`: ack at once, then the list through the response_url."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from tests.conftest import ALICE_EMAIL
from tests.flows import all_text, buttons, connect, connect_url
from tests.harness import MovableClock

# Monday 7 December 2026, 09:00 in New York (Alice's Slack timezone).
NOW = datetime(2026, 12, 7, 14, 0, tzinfo=timezone.utc)


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(start=NOW)


@pytest.fixture
def connected(sender, zoom):
    assert connect(sender).status_code == 200
    return sender


def meetings(sender, slack, text="meetings"):
    response, response_url = sender.command(text)
    assert response.status_code == 200
    assert response.text == "", "a connected user's command is acked empty, answered later"
    return slack.wait_for_response(response_url)[0]


def add(zoom, topic, start, **kw):
    return zoom.add_meeting(ALICE_EMAIL, topic=topic, start_time=start, **kw)


def test_today_lists_only_todays_meetings_in_the_users_timezone(connected, zoom, slack):
    add(zoom, "Standup", NOW + timedelta(hours=1), duration=15, meeting_id=81234567890)
    add(zoom, "Late review", datetime(2026, 12, 8, 4, 30, tzinfo=timezone.utc))  # 23:30 in New York: today
    add(zoom, "Yesterday", NOW - timedelta(days=1))
    add(zoom, "Tomorrow morning", datetime(2026, 12, 8, 15, 0, tzinfo=timezone.utc))
    message = meetings(connected, slack, "meetings today")
    text = all_text(message)
    assert message["blocks"][0]["type"] == "header"
    assert "Today" in message["blocks"][0]["text"]["text"]
    assert "Standup" in text and "Late review" in text
    assert "Yesterday" not in text and "Tomorrow morning" not in text
    assert "ID 812 3456 7890" in text and "15 min" in text
    stamp = int((NOW + timedelta(hours=1)).timestamp())
    assert f"<!date^{stamp}^{{time}}|10:00 AM>" in text
    joins = [b for b in buttons(message) if b["action_id"] == "join_meeting"]
    assert [b["url"] for b in joins][0] == "https://zoom.example/j/81234567890"
    assert message.get("response_type", "ephemeral") == "ephemeral"


def test_tomorrow_and_week(connected, zoom, slack):
    add(zoom, "Tomorrow sync", datetime(2026, 12, 8, 15, 0, tzinfo=timezone.utc))
    add(zoom, "Friday demo", datetime(2026, 12, 11, 18, 0, tzinfo=timezone.utc), duration=90)
    add(zoom, "Far away", NOW + timedelta(days=9))
    tomorrow = all_text(meetings(connected, slack, "meetings tomorrow"))
    assert "Tomorrow sync" in tomorrow and "Friday demo" not in tomorrow
    week = meetings(connected, slack, "meetings")
    text = all_text(week)
    assert "Tomorrow sync" in text and "Friday demo" in text and "Far away" not in text
    assert "1 h 30 min" in text
    assert "*Tuesday, December 8*" in text and "*Friday, December 11*" in text
    assert all_text(meetings(connected, slack, "meetings week")) == text


def test_an_empty_range_says_so_kindly(connected, slack):
    message = meetings(connected, slack, "meetings today")
    assert "No Zoom meetings today" in all_text(message)


def test_a_bad_period_gets_a_correction(connected, zoom, slack):
    response, _ = connected.command("meetings yesterday")
    assert "`yesterday` isn't a period I know" in all_text(response.json())
    assert not zoom.api_calls or all("/meetings" not in c[1] for c in zoom.api_calls)


def test_topics_from_zoom_are_escaped(connected, zoom, slack):
    add(zoom, "<!channel> & <https://evil.example|click>", NOW + timedelta(hours=2), agenda="<@U0BOSS> be there")
    text = all_text(meetings(connected, slack, "meetings today"))
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt;" in text
    assert "<!channel>" not in text and "<@U0BOSS>" not in text


def test_many_pages_and_more_than_fifty_blocks(connected, zoom, slack):
    zoom.max_page_size = 25
    for index in range(70):
        add(zoom, f"Meeting {index:02d}", NOW + timedelta(hours=1, minutes=30 * index))
    message = meetings(connected, slack)
    pages = [c for c in zoom.api_calls if c[1].endswith("/users/me/meetings")]
    assert len(pages) >= 3
    assert len(message["blocks"]) <= 50
    shown = sum(1 for b in buttons(message) if b["action_id"] == "join_meeting")
    assert f"and {70 - shown} more" in all_text(message)
    assert "Meeting 00" in all_text(message)


def test_an_expired_access_token_is_refreshed_once(connected, zoom, slack, bot):
    add(zoom, "Standup", NOW + timedelta(hours=1))
    zoom.expire_access_tokens()  # Zoom answers 401/124 though our clock says it is fresh
    assert "Standup" in all_text(meetings(connected, slack, "meetings today"))
    assert zoom.refresh_count == 1
    assert "Standup" in all_text(meetings(connected, slack, "meetings today"))
    assert zoom.refresh_count == 1


def test_a_token_near_expiry_is_refreshed_before_the_call(connected, zoom, slack, bot, clock):
    add(zoom, "Standup", NOW + timedelta(hours=1))
    clock.advance(minutes=59, seconds=30)
    assert "Standup" in all_text(meetings(connected, slack, "meetings today"))
    assert zoom.refresh_count == 1
    assert not any(c[1].endswith("/users/me/meetings") and False for c in zoom.api_calls)


@pytest.mark.parametrize("retry_after", ["1", "iso"])
def test_a_429_is_waited_out(connected, zoom, slack, bot, retry_after):
    add(zoom, "Standup", NOW + timedelta(hours=1))
    value = (NOW + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ") if retry_after == "iso" else "1"
    zoom.rate_limit_next(1, value)
    assert "Standup" in all_text(meetings(connected, slack, "meetings today"))
    assert bot.sleeps, "the bot did not wait"


def test_a_429_without_retry_after_backs_off(connected, zoom, slack, bot):
    add(zoom, "Standup", NOW + timedelta(hours=1))
    zoom.rate_limit_next(2, None)
    assert "Standup" in all_text(meetings(connected, slack, "meetings today"))
    assert len(bot.sleeps) == 2 and bot.sleeps[1] > bot.sleeps[0] * 0.9


def test_zoom_down_gets_a_friendly_answer(connected, zoom, slack):
    zoom.fail_next_api(503)
    text = all_text(meetings(connected, slack, "meetings today"))
    assert "Zoom isn't answering right now" in text


def test_a_refused_refresh_asks_to_reconnect(connected, zoom, slack, bot, clock):
    clock.advance(hours=2)
    zoom.fail_next_token(400, {"reason": "Invalid Token!", "error": "invalid_grant"})
    response, response_url = connected.command("meetings")
    # Still marked active until the refresh fails: the list comes back as a reconnect prompt.
    message = slack.wait_for_response(response_url)[0]
    assert "Your Zoom connection has expired" in all_text(message)
    assert connect_url(message)
    again, _ = connected.command("meetings")
    assert "Your Zoom connection has expired" in all_text(again.json())


def test_a_command_without_a_response_url_is_told_so_and_nothing_is_queued(connected, sender, bot):
    from urllib.parse import urlencode

    body = urlencode({
        "team_id": sender.fake_slack.team_id, "user_id": "U0ALICE", "user_name": "alice", "command": "/zoom",
        "text": "meetings", "channel_id": "C0GENERAL", "channel_name": "general", "api_app_id": "A0ZOOMBOT",
    }).encode()

    response = sender.raw(body, "application/x-www-form-urlencoded")

    assert response.status_code == 200
    assert "didn't say where to send your meetings" in all_text(response.json())
    assert bot.runtime.services.tasks.count() == 0
