"""The App Home tab, over HTTP against the fakes: app_home_opened, each control, Disconnect."""
from __future__ import annotations

import json
import secrets
import time
from datetime import datetime, timedelta, timezone
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import requests

from blocks.home import MAX_HOME_BLOCKS, home_view
from storage.prefs import PrefsRecord
from tests.conftest import ALICE, ALICE_EMAIL
from sandbox.fakes.slack import APP_ID, BOT_ID
from sandbox.fakes.slack_signing import TEAM_DOMAIN, VERIFICATION_TOKEN
from tests.flows import all_text, buttons, connect, eventually
from tests.harness import MovableClock
from zoom.models import Meeting

UTC = timezone.utc
NY = ZoneInfo("America/New_York")
# Monday 7 December 2026, 07:00 in New York.
MONDAY_0700 = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
NOTHING_CHANGED = "nothing was changed"


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(start=MONDAY_0700)


@pytest.fixture
def alice(sender, bot, slack):
    assert connect(sender).status_code == 200
    return eventually(lambda: bot.services.prefs.get(team_id=slack.team_id, user_id=ALICE))


# -- what Slack sends ---------------------------------------------------------------------


def open_home(sender, slack, *, tab: str = "home") -> None:
    """Slack's app_home_opened, as sent each time Alice opens a tab of the app."""
    event = {"type": "app_home_opened", "user": ALICE, "channel": "D0ALICE", "tab": tab, "event_ts": f"{time.time():.6f}"}
    assert sender.event(event).status_code == 200


def home_click(sender, slack, action: dict[str, Any]) -> requests.Response:
    """A block_actions request from Alice's Home tab: a view container and no response_url."""
    shown = slack.published_views[-1]["view"] if slack.published_views else {"type": "home", "blocks": []}
    view_id = "V0HOMEALICE"
    payload = {
        "type": "block_actions",
        "user": {"id": ALICE, "username": "alice", "name": "alice", "team_id": slack.team_id},
        "api_app_id": APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": {"type": "view", "view_id": view_id},
        "trigger_id": f"{secrets.randbelow(10**13)}.{secrets.randbelow(10**13)}.{secrets.token_hex(16)}",
        "team": {"id": slack.team_id, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "view": {
            "id": view_id, "team_id": slack.team_id, "type": "home", "blocks": shown["blocks"],
            "private_metadata": "", "callback_id": "", "state": {"values": {}},
            "hash": secrets.token_hex(8), "app_id": APP_ID, "bot_id": BOT_ID,
        },
        "actions": [{"block_id": secrets.token_urlsafe(4), "action_ts": f"{time.time():.6f}", **action}],
    }
    response = sender.action(payload)
    assert response.status_code == 200 and response.text == ""  # acked at once, nothing to show
    return response


def select(action_id: str, value: str) -> dict[str, Any]:
    return {"action_id": action_id, "type": "static_select",
            "selected_option": {"text": {"type": "plain_text", "text": value}, "value": value}}


def timepicker(selected: str | None) -> dict[str, Any]:
    return {"action_id": "home_digest_time", "type": "timepicker", "selected_time": selected}


def checkboxes(*values: str) -> dict[str, Any]:
    return {"action_id": "home_digest_empty", "type": "checkboxes",
            "selected_options": [{"text": {"type": "plain_text", "text": v}, "value": v} for v in values]}


# -- reading a published view ---------------------------------------------------------------


def element(view: dict[str, Any], action_id: str) -> dict[str, Any]:
    for block in view["blocks"]:
        for candidate in [block.get("accessory"), *(block.get("elements") or [])]:
            if isinstance(candidate, dict) and candidate.get("action_id") == action_id:
                return candidate
    raise AssertionError(f"no {action_id} in the view")


def chosen(view: dict[str, Any], action_id: str) -> str | None:
    return (element(view, action_id).get("initial_option") or {}).get("value")


def joins(view: dict[str, Any]) -> list[dict[str, Any]]:
    return [b for b in buttons(view) if b["action_id"] == "join_meeting"]


def published_after(slack, count: int, check=lambda view: True) -> dict[str, Any]:
    """The first view published for Alice after her first `count`, that passes `check`."""
    def find() -> dict[str, Any] | None:
        views = [v["view"] for v in slack.snapshot()["published_views"] if v["user_id"] == ALICE]
        return next((v for v in views[count:] if check(v)), None)
    return eventually(find)


def prefs_of(bot, slack):
    return bot.services.prefs.get(team_id=slack.team_id, user_id=ALICE)


def add(zoom, topic: str, start: datetime, **kw: Any) -> dict[str, Any]:
    return zoom.add_meeting(ALICE_EMAIL, topic=topic, start_time=start, **kw)


# -- opening the tab ----------------------------------------------------------------------


def test_opening_home_shows_the_connection_todays_meetings_and_the_settings(alice, sender, bot, zoom, slack):
    add(zoom, "Standup", MONDAY_0700 + timedelta(hours=2, minutes=30), duration=15)  # 09:30
    add(zoom, "Design review", MONDAY_0700 + timedelta(hours=7), duration=60, agenda="New onboarding")
    add(zoom, "Tomorrow's thing", MONDAY_0700 + timedelta(days=1))
    open_home(sender, slack)
    view = slack.wait_for_view(user_id=ALICE)["view"]
    text = all_text(view)

    assert view["type"] == "home" and view["blocks"][0]["text"]["text"] == "zoombot"
    assert f"Connected to Zoom as *{ALICE_EMAIL}*" in text
    disconnect = element(view, "home_disconnect")
    assert disconnect["type"] == "button" and disconnect["confirm"]["style"] == "danger"
    assert not [b for b in buttons(view) if b["action_id"] == "connect_zoom"]

    assert "Today's meetings" in text and "Monday, December 7" in text
    assert "Standup" in text and "Design review" in text and "Tomorrow's thing" not in text
    assert [b["text"]["text"] for b in joins(view)] == ["Join", "Join"]
    assert all(b["url"].startswith("https://") for b in joins(view))

    assert "Daily digest at 08:00 on weekdays (America/New_York)" in text
    assert "On days without meetings: no message" in text and "Reminders before meetings: off" in text
    assert chosen(view, "home_digest_enabled") == "on"
    assert element(view, "home_digest_time")["initial_time"] == "08:00"
    assert element(view, "home_digest_time")["timezone"] == "America/New_York"
    assert chosen(view, "home_digest_days") == "weekdays"
    assert element(view, "home_digest_empty")["type"] == "checkboxes"
    assert "initial_options" not in element(view, "home_digest_empty")
    assert chosen(view, "home_remind") == "off"


def test_before_connecting_home_offers_a_connect_link_that_works(sender, bot, zoom, slack):
    open_home(sender, slack)
    view = slack.wait_for_view(user_id=ALICE)["view"]
    text = all_text(view)
    [button] = [b for b in buttons(view) if b["action_id"] == "connect_zoom"]
    assert button["style"] == "primary"
    assert button["url"].startswith(f"{bot.url}/zoom/oauth/start?t=")
    assert "Connect your Zoom account to get started" in text
    assert "Connect Zoom to see your meetings here" in text and not joins(view)
    assert "home_disconnect" not in json.dumps(view)
    assert chosen(view, "home_digest_enabled") == "on"  # the settings are there already
    # The link goes through Zoom's consent and connects Alice.
    page = requests.get(button["url"], timeout=10)
    assert page.status_code == 200 and "Zoom is connected as" in page.text
    assert bot.services.grants.find(team_id=slack.team_id, user_id=ALICE).active


def test_the_messages_tab_publishes_nothing(alice, sender, slack):
    open_home(sender, slack, tab="messages")
    open_home(sender, slack)
    slack.wait_for_view(user_id=ALICE)
    open_home(sender, slack)
    published_after(slack, 1)
    assert len([v for v in slack.published_views if v["user_id"] == ALICE]) == 2


def test_a_day_without_meetings_says_so_kindly(alice, sender, slack):
    open_home(sender, slack)
    assert "No Zoom meetings today. Enjoy the focus time." in all_text(slack.wait_for_view(user_id=ALICE)["view"])


def test_topics_are_escaped_so_they_cannot_ping_anyone(alice, sender, zoom, slack):
    add(zoom, "<!channel> all hands & <@U0BOSS>", MONDAY_0700 + timedelta(hours=3))
    open_home(sender, slack)
    text = all_text(slack.wait_for_view(user_id=ALICE)["view"])
    assert "&lt;!channel&gt; all hands &amp; &lt;@U0BOSS&gt;" in text
    assert "<!channel>" not in text and "<@U0BOSS>" not in text


def test_zoom_not_answering_shows_a_friendly_note_and_keeps_the_rest(alice, sender, zoom, slack):
    add(zoom, "Standup", MONDAY_0700 + timedelta(hours=2))
    zoom.fail_next_api(503)
    open_home(sender, slack)
    view = slack.wait_for_view(user_id=ALICE)["view"]
    text = all_text(view)
    assert "Zoom isn't answering" in text and "Reopen this tab in a minute" in text
    assert not joins(view) and "Standup" not in text
    assert f"Connected to Zoom as *{ALICE_EMAIL}*" in text and chosen(view, "home_remind") == "off"


def test_an_expired_connection_offers_to_connect_again(alice, sender, bot, zoom, slack, clock):
    clock.advance(minutes=61)
    zoom.fail_next_token(400, {"reason": "Invalid Token!", "error": "invalid_grant"})
    bot.services.sweep.run()
    open_home(sender, slack)
    view = slack.wait_for_view(user_id=ALICE)["view"]
    text = all_text(view)
    assert f"Your Zoom connection ({ALICE_EMAIL}) has expired" in text
    assert [b["url"] for b in buttons(view) if b["action_id"] == "connect_zoom"][0].startswith(f"{bot.url}/zoom/oauth/start?")
    assert "Connect Zoom to see your meetings here" in text and "home_disconnect" not in json.dumps(view)


def test_a_hundred_and_twenty_meetings_stay_within_a_hundred_blocks(alice, sender, zoom, slack):
    for i in range(120):
        add(zoom, f"Meeting {i:03d}", MONDAY_0700 + timedelta(hours=1, minutes=5 * i), duration=5)
    open_home(sender, slack)
    view = slack.wait_for_view(user_id=ALICE)["view"]  # the fake refuses a view over 100 blocks
    assert len(view["blocks"]) <= MAX_HOME_BLOCKS
    shown = len(joins(view))
    assert 0 < shown < 120
    assert f"…and {120 - shown} more today" in all_text(view)
    assert chosen(view, "home_remind") == "off"  # the settings still fit below the list


# -- changing settings from the tab ---------------------------------------------------------


CHANGES = [
    pytest.param(timepicker("09:15"), {"digest_minute": 9 * 60 + 15},
                 lambda v: element(v, "home_digest_time")["initial_time"] == "09:15", "Daily digest at 09:15 on weekdays", id="time"),
    pytest.param(select("home_digest_enabled", "off"), {"digest_enabled": False, "next_digest_at": None},
                 lambda v: chosen(v, "home_digest_enabled") == "off", "Daily digest is off", id="off"),
    pytest.param(select("home_digest_days", "daily"), {"digest_days": "daily"},
                 lambda v: chosen(v, "home_digest_days") == "daily", "Daily digest at 08:00 every day", id="daily"),
    pytest.param(checkboxes("on"), {"digest_when_empty": True},
                 lambda v: "initial_options" in element(v, "home_digest_empty"), "“No Zoom meetings today” note", id="empty"),
    pytest.param(select("home_remind", "10"), {"remind_minutes": 10},
                 lambda v: chosen(v, "home_remind") == "10", "Reminders 10 minutes before each meeting", id="remind"),
]


@pytest.mark.parametrize("action, saved, shows, words", CHANGES)
def test_each_control_saves_at_once_and_republishes(alice, sender, bot, slack, action, saved, shows, words):
    open_home(sender, slack)
    slack.wait_for_view(user_id=ALICE)
    home_click(sender, slack, action)
    view = published_after(slack, 1, shows)
    assert words in all_text(view) and NOTHING_CHANGED not in all_text(view)
    prefs = prefs_of(bot, slack)
    for name, value in saved.items():
        assert getattr(prefs, name) == value, name


def test_a_new_time_reschedules_the_next_digest(alice, sender, bot, slack):
    home_click(sender, slack, timepicker("09:15"))
    published_after(slack, 0, lambda v: element(v, "home_digest_time")["initial_time"] == "09:15")
    assert prefs_of(bot, slack).next_digest_at == datetime(2026, 12, 7, 14, 15, tzinfo=UTC)  # 09:15 in New York


def test_unticking_days_without_meetings_and_turning_reminders_off(alice, sender, bot, slack):
    bot.services.digests.change(team_id=slack.team_id, user_id=ALICE, digest_when_empty=True, remind_minutes=15)
    home_click(sender, slack, checkboxes())
    published_after(slack, 0, lambda v: "initial_options" not in element(v, "home_digest_empty"))
    home_click(sender, slack, select("home_remind", "off"))
    view = published_after(slack, 1, lambda v: chosen(v, "home_remind") == "off")
    assert "Reminders before meetings: off" in all_text(view)
    prefs = prefs_of(bot, slack)
    assert prefs.digest_when_empty is False and prefs.remind_minutes is None


@pytest.mark.parametrize("action", [
    pytest.param(timepicker("25:99"), id="time-25:99"),
    pytest.param(timepicker("24:00"), id="time-24:00"),
    pytest.param(timepicker("09:60"), id="time-09:60"),
    pytest.param(timepicker("8am"), id="time-8am"),
    pytest.param(timepicker(None), id="time-missing"),
    pytest.param(select("home_digest_enabled", "maybe"), id="enabled-maybe"),
    pytest.param(select("home_digest_days", "fortnightly"), id="days-fortnightly"),
    pytest.param(checkboxes("sometimes"), id="empty-unknown"),
    pytest.param({"action_id": "home_digest_empty", "type": "checkboxes"}, id="empty-missing"),
    pytest.param(select("home_remind", "7"), id="remind-7"),
    pytest.param(select("home_remind", "-5"), id="remind-negative"),
])
def test_a_bad_value_changes_nothing_and_republishes_the_saved_settings(alice, sender, bot, slack, action):
    before = prefs_of(bot, slack)
    home_click(sender, slack, action)
    view = published_after(slack, 0)
    assert NOTHING_CHANGED in all_text(view)
    assert element(view, "home_digest_time")["initial_time"] == "08:00" and chosen(view, "home_remind") == "off"
    assert prefs_of(bot, slack) == before


def test_a_click_from_someone_new_makes_their_settings_first(sender, bot, slack):
    home_click(sender, slack, select("home_remind", "5"))
    view = published_after(slack, 0, lambda v: chosen(v, "home_remind") == "5")
    assert "Connect Zoom to see your meetings here" in all_text(view)
    assert prefs_of(bot, slack).remind_minutes == 5 and prefs_of(bot, slack).tz == "America/New_York"


def test_disconnect_from_home_deletes_the_grant_and_offers_connect_again(alice, sender, bot, zoom, slack):
    open_home(sender, slack)
    slack.wait_for_view(user_id=ALICE)
    home_click(sender, slack, {"action_id": "home_disconnect", "type": "button",
                               "text": {"type": "plain_text", "text": "Disconnect"}})
    view = published_after(slack, 1)
    assert bot.services.grants.find(team_id=slack.team_id, user_id=ALICE) is None
    assert len(zoom.revoked) == 1
    assert [b for b in buttons(view) if b["action_id"] == "connect_zoom"]
    assert "Connect Zoom to see your meetings here" in all_text(view)
    assert "home_disconnect" not in json.dumps(view)


def test_url_buttons_in_home_are_acknowledged(alice, sender):
    for action_id in ("join_meeting", "connect_zoom"):
        response, _ = sender.block_action(action_id, url="https://zoom.example/j/1", response_url=False)
        assert response.status_code == 200


# -- the builder alone ------------------------------------------------------------------------


def prefs(**changes: Any) -> PrefsRecord:
    base = dict(id=1, enterprise_id="", team_id="T1", slack_user_id="U1", tz="America/New_York", tz_checked_at=None,
                digest_enabled=True, digest_minute=8 * 60, digest_days="weekdays", digest_when_empty=False,
                remind_minutes=None, next_digest_at=None)
    return PrefsRecord(**{**base, **changes})


def meeting(topic: str = "Standup", start: datetime = MONDAY_0700 + timedelta(hours=2), mid: int = 81234567890) -> Meeting:
    return Meeting(mid, "uuid", topic, 2, start, 30, "UTC", f"https://zoom.example/j/{mid}", "")


def view_of(**overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = dict(connected_email="alice@example.com", needs_reconnect=False, connect_url=None,
                                meetings=[meeting()], prefs=prefs(), tz=NY, now=MONDAY_0700)
    return home_view(**{**args, **overrides})


def test_home_view_cuts_a_long_list_at_exactly_one_hundred_blocks():
    many = [meeting(f"M{i}", MONDAY_0700 + timedelta(minutes=i)) for i in range(300)]
    view = view_of(meetings=many)
    assert len(view["blocks"]) == MAX_HOME_BLOCKS
    shown = len(joins(view))
    assert f"…and {300 - shown} more today" in all_text(view)
    assert view["blocks"][-1]["type"] == "context"  # the settings are kept, at the end


def test_home_view_fills_the_tab_without_a_more_line_when_everything_fits():
    few = [meeting(f"M{i}", MONDAY_0700 + timedelta(minutes=i)) for i in range(20)]
    view = view_of(meetings=few)
    assert len(joins(view)) == 20 and "more today" not in all_text(view)


def test_home_view_tells_each_meeting_state_apart():
    assert "Enjoy the focus time" in all_text(view_of(meetings=[]))
    assert "Zoom isn't answering" in all_text(view_of(meetings=None))
    assert "Connect Zoom to see your meetings here" in all_text(view_of(connected_email=None, meetings=None, connect_url="https://bot/zoom/oauth/start?t=x"))
    expired = view_of(needs_reconnect=True, meetings=None, connect_url="https://bot/zoom/oauth/start?t=x")
    assert "has expired" in all_text(expired) and "Connect Zoom to see your meetings here" in all_text(expired)


def test_home_view_shows_every_setting_in_words_and_in_its_control():
    view = view_of(prefs=prefs(digest_enabled=False, digest_minute=17 * 60 + 5, digest_days="daily",
                               digest_when_empty=True, remind_minutes=15, tz="Europe/Berlin"))
    text = all_text(view)
    assert "Daily digest is off" in text and "Reminders 15 minutes before each meeting" in text
    assert "“No Zoom meetings today” note" in text and "Europe/Berlin" in text
    assert chosen(view, "home_digest_enabled") == "off" and chosen(view, "home_digest_days") == "daily"
    assert element(view, "home_digest_time") == {
        "type": "timepicker", "action_id": "home_digest_time", "initial_time": "17:05",
        "placeholder": {"type": "plain_text", "text": "Pick a time"}, "timezone": "Europe/Berlin",
    }
    assert [o["value"] for o in element(view, "home_digest_empty")["initial_options"]] == ["on"]
    assert chosen(view, "home_remind") == "15"


def test_home_view_escapes_zoom_text_and_the_account_email():
    view = view_of(connected_email="<!here>@example.com", meetings=[meeting("<!channel> & co")])
    text = all_text(view)
    assert "&lt;!here&gt;@example.com" in text and "&lt;!channel&gt; &amp; co" in text
    assert "<!here>" not in text and "<!channel>" not in text


def test_home_view_without_a_connect_url_still_explains_what_to_do():
    view = view_of(connected_email=None, meetings=None, connect_url=None)
    assert not buttons(view) or all(b["action_id"] != "connect_zoom" for b in buttons(view))
    assert "Connect your Zoom account to get started" in all_text(view)


def test_home_view_shows_a_note_about_the_last_click():
    assert ":warning: Nothing changed." in all_text(view_of(error="Nothing changed."))
