"""The App Home tab: connection, today's meetings, and the digest settings as controls.

A pure function of what the handler gathered; every control saves as soon as it changes
(a block_actions request per change), so the view has no Save button.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any, Sequence
from zoneinfo import ZoneInfo

from storage.prefs import PrefsRecord
from zoom.models import Meeting

from .account import CONNECT_ACTION, INTRO, connect_button
from .format import day_label, escape
from .meetings import EMPTY_TEXT, ZOOM_MEETINGS_PAGE, meeting_block
from .settings import digest_line, empty_line, remind_line

MAX_HOME_BLOCKS = 100  # Slack's limit for a Home tab (50 is for messages)

DISCONNECT_ACTION = "home_disconnect"
DIGEST_ENABLED_ACTION = "home_digest_enabled"
DIGEST_TIME_ACTION = "home_digest_time"
DIGEST_DAYS_ACTION = "home_digest_days"
DIGEST_EMPTY_ACTION = "home_digest_empty"
REMIND_ACTION = "home_remind"

# Option values as the controls send them back (selected_option.value), and their labels.
ENABLED_OPTIONS = (("on", "On"), ("off", "Off"))
DAYS_OPTIONS = (("weekdays", "Weekdays (Mon–Fri)"), ("daily", "Every day"))
EMPTY_OPTION = ("on", "Send a short “No Zoom meetings today” note")
REMIND_OPTIONS = (("off", "Off"), ("5", "5 minutes before"), ("10", "10 minutes before"), ("15", "15 minutes before"))

NOT_CONNECTED_MEETINGS = "Connect Zoom to see your meetings here."
ZOOM_DOWN_MEETINGS = "Zoom isn't answering right now, so your meetings can't be shown. Reopen this tab in a minute."


def home_view(
    *,
    connected_email: str | None,
    needs_reconnect: bool,
    connect_url: str | None,
    meetings: Sequence[Meeting] | None,
    prefs: PrefsRecord,
    tz: ZoneInfo,
    now: datetime,
    error: str | None = None,
) -> dict[str, Any]:
    """The whole Home view, within Slack's 100 blocks.

    `meetings` is None when they could not be loaded (not connected, or Zoom failed);
    `error` is a one-line note about the last click (already mrkdwn-safe).
    """
    top: list[dict[str, Any]] = [{"type": "header", "text": {"type": "plain_text", "text": "zoombot"}}]
    if error:
        top.append(_context(f":warning: {error}"))
    top.extend(_connection(connected_email, needs_reconnect, connect_url))
    top.append({"type": "divider"})
    top.append(_header("Today's meetings"))
    top.append(_context(day_label(now, tz)))

    bottom = [{"type": "divider"}, *settings_blocks(prefs)]
    room = MAX_HOME_BLOCKS - len(top) - len(bottom)
    connected = connected_email is not None and not needs_reconnect
    return {"type": "home", "blocks": [*top, *_meetings(meetings, connected, tz, now, room), *bottom]}


def settings_blocks(prefs: PrefsRecord) -> list[dict[str, Any]]:
    """"Daily digest": the setting in words, then one labelled control per setting."""
    summary = "\n".join([f"*{digest_line(prefs)}.*", empty_line(prefs) + ".", remind_line(prefs) + "."])
    enabled = "on" if prefs.digest_enabled else "off"
    remind = "off" if prefs.remind_minutes is None else str(prefs.remind_minutes)
    time_picker: dict[str, Any] = {
        "type": "timepicker",
        "action_id": DIGEST_TIME_ACTION,
        "initial_time": clock(prefs.digest_minute),
        "placeholder": _plain("Pick a time"),
        "timezone": prefs.tz,  # shown under the picker as a hint
    }
    when_empty: dict[str, Any] = {
        "type": "checkboxes",
        "action_id": DIGEST_EMPTY_ACTION,
        "options": [_option(*EMPTY_OPTION)],
    }
    if prefs.digest_when_empty:  # Slack refuses an empty initial_options list
        when_empty["initial_options"] = [_option(*EMPTY_OPTION)]
    return [
        _header("Daily digest"),
        _section(summary),
        _section("*Digest*\nA direct message with the day's meetings.", _select(DIGEST_ENABLED_ACTION, ENABLED_OPTIONS, enabled)),
        _section("*Time*\nWhen the digest comes, in your timezone.", time_picker),
        _section("*Days*", _select(DIGEST_DAYS_ACTION, DAYS_OPTIONS, prefs.digest_days)),
        _section("*Days without meetings*", when_empty),
        _section("*Reminders*\nA direct message before each meeting, with a Join button.", _select(REMIND_ACTION, REMIND_OPTIONS, remind)),
        _context(
            f"Times are in your Slack timezone, *{escape(prefs.tz)}*. Changes save as soon as you make them; "
            "`/zoom digest` and `/zoom remind` change the same settings."
        ),
    ]


def clock(minute: int) -> str:
    """Minutes after midnight as the timepicker's "HH:MM"."""
    return f"{minute // 60:02d}:{minute % 60:02d}"


# -- the parts ----------------------------------------------------------------------------


def _connection(email: str | None, needs_reconnect: bool, connect_url: str | None) -> list[dict[str, Any]]:
    if email is not None and not needs_reconnect:
        return [_section(f":white_check_mark: Connected to Zoom as *{escape(email)}*.", _disconnect_button())]
    if needs_reconnect:
        who = f" ({escape(email)})" if email else ""
        text = (
            f":warning: *Your Zoom connection{who} has expired.*\n"
            "Zoom no longer accepts zoombot's access. Connect again to keep seeing your meetings here."
        )
    else:
        text = f"{INTRO}\nConnect your Zoom account to get started."
    blocks = [_section(text)]
    if connect_url:
        blocks.append({"type": "actions", "elements": [connect_button(connect_url, action_id=CONNECT_ACTION)]})
        blocks.append(_context("The button opens Zoom's own consent page."))
    return blocks


def _meetings(
    meetings: Sequence[Meeting] | None, connected: bool, tz: ZoneInfo, now: datetime, room: int
) -> list[dict[str, Any]]:
    if not connected:
        return [_section(NOT_CONNECTED_MEETINGS)]
    if meetings is None:
        return [_section(f":hourglass: {ZOOM_DOWN_MEETINGS}")]
    timed = [m for m in meetings if m.start_time is not None]
    if not timed:
        return [_section(EMPTY_TEXT["today"])]
    if len(timed) <= room:
        return [meeting_block(m, tz, now=now) for m in timed]
    shown = timed[: max(0, room - 1)]  # the last block says how many more
    more = _context(f"…and {len(timed) - len(shown)} more today. <{ZOOM_MEETINGS_PAGE}|See all your meetings in Zoom>")
    return [*(meeting_block(m, tz, now=now) for m in shown), more]


def _disconnect_button() -> dict[str, Any]:
    return {
        "type": "button",
        "text": _plain("Disconnect"),
        "action_id": DISCONNECT_ACTION,
        "confirm": {
            "title": _plain("Disconnect Zoom?"),
            "text": _plain(
                "zoombot's access is revoked at Zoom and your tokens are deleted. "
                "Digests and reminders stop until you connect again."
            ),
            "confirm": _plain("Disconnect"),
            "deny": _plain("Keep it"),
            "style": "danger",
        },
    }


def _select(action_id: str, options: Sequence[tuple[str, str]], selected: str) -> dict[str, Any]:
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": _plain("Choose"),
        "options": [_option(value, label) for value, label in options],
    }
    chosen = [_option(value, label) for value, label in options if value == selected]
    if chosen:
        element["initial_option"] = chosen[0]
    return element


def _option(value: str, label: str) -> dict[str, Any]:
    return {"text": _plain(label), "value": value}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def _header(text: str) -> dict[str, Any]:
    return {"type": "header", "text": _plain(text)}


def _section(text: str, accessory: dict[str, Any] | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def _context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": text}]}
