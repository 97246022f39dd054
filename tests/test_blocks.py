"""Block Kit builders as pure functions: no network."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from blocks.account import connect_message, reconnect_message, status_message
from blocks.format import date_token, escape, format_duration, format_meeting_id
from blocks.help import help_message
from blocks.meetings import meeting_list_message
from zoom.models import Meeting

NY = ZoneInfo("America/New_York")
START = datetime(2026, 12, 7, 14, 0, tzinfo=timezone.utc)


def meeting(topic="Standup", start=START, minutes=30, mid=81234567890, agenda=""):
    return Meeting(mid, "uuid", topic, 2, start, minutes, "UTC", f"https://zoom.example/j/{mid}", agenda)


def test_escape_neutralises_slack_control_sequences():
    assert escape("<!channel> & <@U1>") == "&lt;!channel&gt; &amp; &lt;@U1&gt;"


def test_meeting_ids_are_grouped_like_zoom():
    assert format_meeting_id(123456789) == "123 456 789"
    assert format_meeting_id(1234567890) == "123 456 7890"
    assert format_meeting_id(81234567890) == "812 3456 7890"
    assert format_meeting_id(12345) == "12345"


def test_durations_read_naturally():
    assert [format_duration(m) for m in (0, 45, 60, 135)] == ["no set length", "45 min", "1 h", "2 h 15 min"]


def test_date_tokens_carry_a_local_fallback():
    assert date_token(START, NY) == f"<!date^{int(START.timestamp())}^{{time}}|9:00 AM>"


def test_a_list_groups_by_local_day_with_join_buttons():
    late = datetime(2026, 12, 8, 4, 30, tzinfo=timezone.utc)  # still Monday in New York
    message = meeting_list_message([meeting(), meeting("Late", late)], window_name="week", title="Next 7 days", tz=NY)
    kinds = [b["type"] for b in message["blocks"]]
    assert kinds == ["header", "section", "section", "section"]
    assert message["blocks"][1]["text"]["text"] == "*Monday, December 7*"
    assert message["blocks"][2]["accessory"]["url"] == "https://zoom.example/j/81234567890"
    assert message["blocks"][2]["accessory"]["text"]["text"] == "Join"
    assert message["text"].endswith("2 meetings")


def test_a_long_list_stops_at_fifty_blocks_and_says_how_many_more():
    many = [meeting(f"M{i}", START + timedelta(minutes=10 * i)) for i in range(80)]
    message = meeting_list_message(many, window_name="week", title="Next 7 days", tz=NY)
    assert len(message["blocks"]) == 50
    shown = sum(1 for b in message["blocks"] if "accessory" in b)
    assert message["blocks"][-1]["type"] == "context"
    assert f"and {80 - shown} more" in message["blocks"][-1]["elements"][0]["text"]
    assert "https://zoom.us/meeting" in message["blocks"][-1]["elements"][0]["text"]


def test_exactly_fifty_blocks_needs_no_more_line():
    # header + 1 day heading + 48 meetings = 50 blocks
    many = [meeting(f"M{i}", START + timedelta(minutes=i)) for i in range(48)]
    message = meeting_list_message(many, window_name="today", title="Today", tz=NY)
    assert len(message["blocks"]) == 50 and message["blocks"][-1]["type"] == "section"


def test_agenda_is_escaped_and_shortened():
    block = meeting_list_message([meeting(agenda="<!here> " + "x" * 500)], window_name="today", title="Today", tz=NY)["blocks"][2]
    assert "&lt;!here&gt;" in block["text"]["text"] and len(block["text"]["text"]) < 400


def test_a_meeting_without_an_https_join_url_has_no_button():
    odd = Meeting(1, "u", "T", 2, START, 30, None, "javascript:alert(1)", "")
    block = meeting_list_message([odd], window_name="today", title="Today", tz=NY)["blocks"][2]
    assert "accessory" not in block


def test_empty_lists_are_kind():
    for name, phrase in (("today", "No Zoom meetings today"), ("tomorrow", "No Zoom meetings tomorrow"), ("week", "next 7 days")):
        message = meeting_list_message([], window_name=name, title=name, tz=NY)
        assert phrase in message["blocks"][1]["text"]["text"]


def test_connect_and_reconnect_messages_have_a_primary_url_button():
    for message in (connect_message("https://zoom.us/oauth/authorize?x"), reconnect_message("https://zoom.us/oauth/authorize?x")):
        button = next(b for b in message["blocks"] if b["type"] == "actions")["elements"][0]
        assert button["style"] == "primary" and button["url"].startswith("https://zoom.us/")
    assert "expired" in reconnect_message("https://x")["text"]


def test_status_escapes_the_email():
    message = status_message(email="<!channel>@x", connected_since=START, needs_reconnect=False, tz=NY)
    assert "&lt;!channel&gt;" in message["text"]


def test_help_has_a_fallback_text():
    assert "/zoom meetings" in help_message()["text"]
